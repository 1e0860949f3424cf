/**
 * Turns a contract call into a transaction Signet can sign offline: nonce from
 * the last sync plus the outbox, gas from a fixed budget per kind (estimating
 * needs a node), fees from the last sync with headroom.
 */
import type { Address, Hex, TransactionSerializable } from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { getChainMeta } from '../store/chain-meta.js';
import type { AccountState } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { nextNonces } from '../store/outbox.js';

/** Generous budgets measured on the dev ledger (unused gas is not charged). */
export const gasBudget = {
  transfer: 120_000n,
  approve: 80_000n,
  'note-issue': 400_000n,
  'note-endorse': 250_000n,
  'note-split': 450_000n,
  'note-redeem': 250_000n,
  'note-finance': 600_000n,
  // A Safe 1.4.1 proxy with a handful of owners; execTransaction with a currency payment.
  'treasury-create': 600_000n,
  'treasury-execute': 300_000n,
  // The operator bank's registry calls (DigitalCurrency.registerAccount, freeze, unfreeze).
  'customer-register': 150_000n,
  'customer-freeze': 100_000n,
  'customer-unfreeze': 100_000n,
  // recoverFrozen: the money, then each system contract's recoverNotes with up to
  // SYSTEM_RECOVERY_GAS (12M) each; the dev ledger has one (the notes).
  'customer-recover': 13_000_000n,
  // The collection service's OfflinePurse calls (core/collect/submitter.ts sizes a settle batch's).
  'purse-settle': 3_000_000n,
  'purse-fraud': 400_000n,
} as const;

export type TxKind = keyof typeof gasBudget;

/** A contract call Signet will sign, with what the outbox and audit log record of it. */
export interface Call {
  to: Address;
  data: Hex;
  kind: TxKind;
  summary: Record<string, unknown>;
  asset: 'currency' | 'note';
  /** Outgoing currency (minor units) this transaction commits. */
  amount: bigint;
  /** A gas limit other than the kind's budget (a treasury batch's, sized by its transfers). */
  gas?: bigint;
}

const PRIORITY_FEE = 1_000_000_000n; // 1 gwei

/**
 * Plans `calls` as transactions of one account, in order: the lowest free
 * nonces (past the first `nonceOffset` of them; consecutive unless a live
 * entry holds one in between), fees from the last sync. The chain's fees and
 * the account's free nonces are read once for the whole run.
 */
export function planTransactions(
  store: Store,
  profile: ChainProfile,
  state: AccountState,
  /** `gas`: a limit other than the kind's budget (an operation carried for a P-256 account). */
  calls: ReadonlyArray<{ to: Address; data: Hex; kind: TxKind; gas?: bigint }>,
  nonceOffset = 0,
): TransactionSerializable[] {
  const meta = getChainMeta(store, profile.chainId);
  if (!meta)
    throw new SignetError(
      'ACCOUNT_UNKNOWN',
      'this ledger has never been synced; run `signet sync` once while online',
    );
  // A gap a dropped transaction left is filled first (outbox.ts nextNonces).
  const nonces = nextNonces(
    store,
    profile.chainId,
    state.address,
    state.chainNonce,
    nonceOffset + calls.length,
  ).slice(nonceOffset);
  // Twice the last base fee survives six full blocks of fee growth (12.5% each).
  const fees =
    profile.txType === 'legacy'
      ? { type: 'legacy' as const, gasPrice: (meta.gasPrice * 5n) / 4n }
      : {
          type: 'eip1559' as const,
          maxFeePerGas: meta.baseFee * 2n + PRIORITY_FEE,
          maxPriorityFeePerGas: PRIORITY_FEE,
        };
  return calls.map((call, i) => ({
    chainId: profile.chainId,
    nonce: nonces[i]!,
    to: call.to,
    data: call.data,
    value: 0n,
    gas: call.gas ?? gasBudget[call.kind],
    ...fees,
  }));
}
