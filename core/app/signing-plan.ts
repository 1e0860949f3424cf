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
import type { Account } from '../store/accounts.js';
import type { Store } from '../store/database.js';
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
): TransactionsPlan {
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

/** A currency payment: the sender's offline checks, then its one transaction. */
export function planSend(
  store: Store,
  profile: ChainProfile,
  fromKeyUri: string,
  to: Address,
  amount: bigint,
): TransactionsPlan {
  const { account, call } = checkedPayment(store, profile, fromKeyUri, to, amount);
  return transactionsPlan(store, profile, 'send', account, [call]);
}

/**
 * A note operation: its calls' transactions, or a finance offer's typed data.
 * Accepting a finance offer may read the note from the nodes (`context.rpc`).
 */
export async function planNote(
  context: NoteContext,
  operation: NoteOperation,
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
      ),
      ...note,
    };
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
