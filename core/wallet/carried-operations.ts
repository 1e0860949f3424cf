/**
 * How a P-256 account acts, planned offline. Its key cannot sign a ledger
 * transaction (those are secp256k1), so each of its calls becomes an operation
 * the key signs (EIP-712, the account's own nonce, a deadline) and a carrier
 * (one of the wallet's secp256k1 accounts, which pays the gas) signs an
 * ordinary transaction that hands the operation to the P-256 account factory.
 * The carrier's transactions then go through the outbox, sync, quorum and
 * nonce rules like any other; the account's nonces are planned from the last
 * sync plus the outbox the same way (outbox.ts nextAccountNonces).
 *
 * Which carrier: the one the caller names, else the carrier of the account's
 * latest operation still in flight (so its operations stay in one nonce
 * order: two carriers could deliver them out of order, and the later one would
 * fail), else the wallet's oldest secp256k1 account synced on this ledger.
 */
import type { TransactionSerializable } from 'viem';
import { isLedgerDeviceUri } from '../../native/hid/uri.js';
import { parsePkcs11Uri, sameTokenUri } from '../../native/pkcs11/uri.js';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { parseAddress } from '../chain/address.js';
import { type AccountOperation, carriedCallData, p256Factory } from '../chain/p256-account.js';
import { type Account, getAccount, listAccounts } from '../store/accounts.js';
import { chainNow, getChainMeta } from '../store/chain-meta.js';
import { getAccountState } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { listOutbox, nextAccountNonces } from '../store/outbox.js';
import { findAccount } from './find-account.js';
import { syncedState } from './offline-checks.js';
import { type Call, gasBudget, planTransactions } from './transaction-plan.js';

/**
 * Gas a carried operation costs beyond the call itself, measured on the dev
 * ledger (no P-256 precompile: OpenZeppelin's Solidity verifier): about 83,000
 * to deploy the account on first use, 255,000 to verify the signature, and the
 * factory's and account's own work; a transfer carried costs 392,000 in all the
 * first time and 314,000 after. Unused gas is not charged.
 */
export const CARRY_GAS = 450_000n;

/** How long a signed operation may wait to be carried: until the end of the UTC day a week on. */
const VALIDITY_DAYS = 7;

/** What the P-256 key and the carrier sign for a run of calls. */
export interface CarriedPlan {
  carrier: Account;
  /** One per call, in order: what the P-256 key signs. */
  operations: AccountOperation[];
}

/**
 * The deadline every operation signed now carries: the end (23:59:59 UTC) of
 * the day a week after the ledger's "now" as known offline. A whole day, so a
 * review and the signing a minute later plan the same one.
 */
export function operationDeadline(store: Store, profile: ChainProfile, now: Date): bigint {
  const chainTime = chainNow(getChainMeta(store, profile.chainId), now);
  const day = Math.floor(chainTime.getTime() / 86_400_000) + VALIDITY_DAYS;
  return BigInt((day + 1) * 86_400 - 1);
}

/** The carrier for `account`'s operations (see the file comment), checked. */
export function resolveCarrier(
  store: Store,
  profile: ChainProfile,
  account: Account,
  named?: string,
): Account {
  if (named !== undefined) {
    const carrier = named.startsWith('pkcs11:')
      ? findAccount(store, named)
      : getAccount(store, parseAddress(named, 'carrier'));
    if (!carrier) {
      throw new SignetError(
        'ACCOUNT_UNKNOWN',
        `carrier ${named} is not one of this wallet's accounts`,
      );
    }
    if (carrier.curve !== 'secp256k1') {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `carrier ${carrier.name} is a ${carrier.curve} account; a carrier signs ledger transactions, so it needs a secp256k1 key`,
        { details: { reason: 'carrier-curve', carrier: carrier.address } },
      );
    }
    syncedState(store, profile.chainId, carrier.address);
    return carrier;
  }
  const inFlight = listOutbox(store, profile.chainId)
    .filter(
      (tx) =>
        tx.carried?.account === account.address &&
        ['signed', 'sent', 'included'].includes(tx.status),
    )
    .sort((a, b) => b.id - a.id)[0];
  const candidates = listAccounts(store).filter(
    (a) => a.curve === 'secp256k1' && getAccountState(store, profile.chainId, a.address),
  );
  const carrier =
    candidates.find((a) => a.address === inFlight?.from) ?? candidates[0] ?? undefined;
  if (!carrier) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `${account.name} is a P-256 account: its operations are carried by one of your secp256k1 accounts, which pays the gas, and none is synced on this ledger; add one and sync, or name one as the carrier`,
      { details: { reason: 'carrier-missing', account: account.address } },
    );
  }
  return carrier;
}

export type CarrierLogin =
  | { kind: 'same-token' }
  | { kind: 'other-token'; token: string; keyToken: string }
  | { kind: 'device' };

/**
 * What unlocks the carrier's key, from the two accounts' key URIs alone (a
 * review opens no token): a key on the P-256 key's own token signs under its
 * login (one PIN; wallet.ts opens it beside the key), one on another token
 * needs that token's PIN, one on a Ledger is confirmed on the device.
 */
export function carrierLogin(account: Account, carrier: Account): CarrierLogin {
  if (isLedgerDeviceUri(carrier.keyUri)) return { kind: 'device' };
  const key = parsePkcs11Uri(account.keyUri);
  const carrierKey = parsePkcs11Uri(carrier.keyUri);
  if (sameTokenUri(key, carrierKey)) return { kind: 'same-token' };
  return { kind: 'other-token', token: carrierKey.token ?? '', keyToken: key.token ?? '' };
}

/**
 * The operations a P-256 account signs for `calls`, and the carrier's
 * transactions that carry them, as a review shows them: each transaction calls
 * the factory with the operation and a zero signature, which the key's
 * signature replaces when it is made (wallet.ts). Nonces: the account's from
 * the last sync plus the outbox; the carrier's likewise.
 */
export function planCarried(
  store: Store,
  profile: ChainProfile,
  account: Account,
  carrier: Account,
  calls: Call[],
  now: Date,
): CarriedPlan & { txs: TransactionSerializable[] } {
  const factory = p256Factory(profile);
  const state = syncedState(store, profile.chainId, account.address);
  const nonces = nextAccountNonces(
    store,
    profile.chainId,
    account.address,
    state.chainNonce,
    calls.length,
  );
  const deadline = operationDeadline(store, profile, now);
  const operations = calls.map(
    (call, i): AccountOperation => ({
      target: call.to,
      value: 0n,
      data: call.data,
      nonce: BigInt(nonces[i]!),
      deadline,
    }),
  );
  const txs = planTransactions(
    store,
    profile,
    syncedState(store, profile.chainId, carrier.address),
    calls.map((call, i) => ({
      to: factory,
      data: carriedCallData(account.publicKey, operations[i]!),
      kind: call.kind,
      gas: gasBudget[call.kind] + CARRY_GAS,
    })),
  );
  return { carrier, operations, txs };
}
