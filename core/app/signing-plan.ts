/**
 * What the token will sign for one operation, planned once: the account, the
 * calls and their transactions (or the typed data), and the digest of exactly
 * that (core/wallet/review-digest.ts). The preview shows a plan and hands out
 * its digest; signing plans again, refuses if the digest moved, and signs the
 * plan it checked, so nothing is planned between the check and the token.
 */
import type { Address, Hex, TransactionSerializable } from 'viem';
import { SignetError } from '../api/errors.js';
import type { NoteOperation } from '../api/notes.js';
import type { ChainProfile } from '../api/profile.js';
import { executeDigest } from '../chain/p256-account.js';
import type { Account } from '../store/accounts.js';
import type { Store } from '../store/database.js';
import { type CarriedPlan, planCarried, resolveCarrier } from '../wallet/carried-operations.js';
import type { NoteFacts } from '../wallet/financed-note.js';
import type { financeOfferTypedData, NoteContext } from '../wallet/note-calls.js';
import { syncedState } from '../wallet/offline-checks.js';
import { checkedPayment } from '../wallet/payment.js';
import { reviewDigest } from '../wallet/review-digest.js';
import { type Call, planTransactions } from '../wallet/transaction-plan.js';
import type { CallerOrigin } from './dispatcher.js';
import { planNoteOperation } from './note-operation.js';

export interface TransactionsPlan {
  kind: 'transactions';
  account: Account;
  calls: Call[];
  txs: TransactionSerializable[];
  reviewDigest: Hex;
  /** The note the operation acts on, as checked (none for a payment or an issue). */
  note?: NoteFacts;
  /**
   * A P-256 account's: the operations its key signs, and the carrier whose
   * transactions (`txs`, each with a zero signature the key's replaces) carry them.
   */
  carried?: CarriedPlan;
}

export interface TypedDataPlan {
  kind: 'typed-data';
  account: Account;
  typedData: ReturnType<typeof financeOfferTypedData>['typedData'];
  reviewDigest: Hex;
  note?: NoteFacts;
}

function transactionsPlan(
  store: Store,
  profile: ChainProfile,
  operation: string,
  account: Account,
  calls: Call[],
  carrier?: string,
  now: Date = new Date(),
): TransactionsPlan {
  if (account.curve === 'p256')
    return carriedPlan(store, profile, operation, account, calls, carrier, now);
  if (carrier !== undefined) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `${account.name} signs its own transactions; a carrier is only for a P-256 account`,
      { details: { field: 'carrier', reason: 'carrier-not-needed' } },
    );
  }
  // The account's next free nonces, fees from the last sync: what the wallet signs.
  const txs = planTransactions(
    store,
    profile,
    syncedState(store, profile.chainId, account.address),
    calls,
  );
  return {
    kind: 'transactions',
    account,
    calls,
    txs,
    reviewDigest: reviewDigest(operation, account.address, { kind: 'transactions', txs }),
  };
}

/** A P-256 account's calls: operations its key signs, carried by a secp256k1 account's transactions. */
function carriedPlan(
  store: Store,
  profile: ChainProfile,
  operation: string,
  account: Account,
  calls: Call[],
  named: string | undefined,
  now: Date,
): TransactionsPlan {
  const carrier = resolveCarrier(store, profile, account, named);
  const { operations, txs } = planCarried(store, profile, account, carrier, calls, now);
  const digests = operations.map((op) => executeDigest(profile.chainId, account.address, op));
  return {
    kind: 'transactions',
    account,
    calls,
    txs,
    carried: { carrier, operations },
    reviewDigest: reviewDigest(operation, account.address, {
      kind: 'carried',
      carrier: carrier.address,
      operations: digests,
      txs,
    }),
  };
}

/**
 * A currency payment: the sender's offline checks, then its one transaction
 * (a P-256 sender's carried by `carrier`, or the default carrier).
 */
export function planSend(
  store: Store,
  profile: ChainProfile,
  fromKeyUri: string,
  to: Address,
  amount: bigint,
  carrier?: string,
): TransactionsPlan {
  const { account, call } = checkedPayment(store, profile, fromKeyUri, to, amount);
  return transactionsPlan(store, profile, 'send', account, [call], carrier);
}

/**
 * A note operation: its calls' transactions, or a finance offer's typed data.
 * Accepting a finance offer may read the note from the nodes (`context.rpc`).
 */
export async function planNote(
  context: NoteContext,
  operation: NoteOperation,
  carrier?: string,
): Promise<TransactionsPlan | TypedDataPlan> {
  const planned = await planNoteOperation(context, operation);
  const note = 'note' in planned && planned.note ? { note: planned.note } : {};
  if (planned.kind === 'calls') {
    return {
      ...transactionsPlan(
        context.store,
        context.profile,
        operation.op,
        planned.account,
        planned.calls,
        carrier,
        context.now?.(),
      ),
      ...note,
    };
  }
  if (planned.account.curve === 'p256') {
    // The note contract would accept it (EIP-1271), but an offer file carries a
    // 65-byte secp256k1 signature and the bank recovers its signer offline.
    throw new SignetError(
      'INVALID_ARGUMENT',
      `${planned.account.name} is a P-256 account: it cannot sign finance offers yet; endorse or split the note instead`,
      { details: { reason: 'p256-finance-offer' } },
    );
  }
  if (carrier !== undefined) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      'a finance offer is signed, not sent: it needs no carrier',
      {
        details: { field: 'carrier', reason: 'carrier-not-needed' },
      },
    );
  }
  const { typedData } = planned;
  return {
    ...note,
    kind: 'typed-data',
    account: planned.account,
    typedData,
    reviewDigest: reviewDigest(operation.op, planned.account.address, {
      kind: 'typed-data',
      typedData,
    }),
  };
}

/**
 * Before the token is opened: the UI must name the review it showed, and what
 * would be signed now must be exactly that. The CLI has no review step (its
 * command line is the whole request, and it prints what it signed); it may
 * still name a digest, which is then checked the same way.
 */
export function requireReviewed(
  origin: CallerOrigin,
  reviewed: string | undefined,
  plan: { reviewDigest: Hex },
): void {
  if (reviewed === undefined) {
    if (origin === 'cli') return;
    throw new SignetError(
      'INVALID_ARGUMENT',
      'nothing is signed from the UI without the review digest of the preview the user saw',
      { details: { field: 'reviewDigest', reason: 'review-missing' } },
    );
  }
  if (reviewed.toLowerCase() !== plan.reviewDigest) {
    throw new SignetError('REVIEW_STALE', 'the ledger changed since you reviewed; review again', {
      details: { reviewed: reviewed.toLowerCase(), current: plan.reviewDigest },
    });
  }
}
