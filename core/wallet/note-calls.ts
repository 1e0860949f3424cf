/**
 * The digital-note operations as Signet checks and builds them offline: who
 * may act, on which note, at which moment, and the contract calls that do it.
 * Signing them (Wallet) and previewing them for the review screen both start
 * here, so what the user reviews is exactly what the token will be asked to sign.
 * Everything is checked offline from the synced store, except the note a bank
 * is offered to finance: read from the ledger whenever the context has nodes to
 * ask (financed-note.ts), the store's copy only when it must stay offline.
 * The sender is a wallet account's key URI, or an actor its caller resolved: a
 * treasury, whose calls become a Safe proposal (core/app/treasury-note.ts).
 */
import { randomBytes } from 'node:crypto';
import { type Address, encodeFunctionData, type Hex, maxUint256 } from 'viem';
import { SignetError } from '../api/errors.js';
import type { FinanceOfferFile } from '../api/notes.js';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi, notesAbi } from '../chain/abi.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import type { Account } from '../store/accounts.js';
import { chainNow, getChainMeta } from '../store/chain-meta.js';
import type { AccountState, Note } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { listOutbox } from '../store/outbox.js';
import { financeOfferTyped, offerMessage, offerSigner } from './finance-offer.js';
import { financedNoteFacts, type NoteFacts, requireFinanceable } from './financed-note.js';
import {
  activeSender,
  heldNote,
  requireActive,
  requireBeforeMaturity,
  requireFunds,
  requireMatured,
} from './offline-checks.js';
import type { Call } from './transaction-plan.js';

export interface NoteContext {
  store: Store;
  profile: ChainProfile;
  /** The local clock; maturity is judged by the ledger's time as best known offline. */
  now?: () => Date;
  /** Nodes to ask what the store does not know; absent when the operation must stay offline. */
  rpc?: RpcPool;
}

/**
 * Who acts on a note when it is not a wallet account named by its key URI: a
 * treasury (a Safe, core/app/treasury-note.ts), whose calls become a proposal.
 * The caller reads its state and notes (from the chain when it may go online):
 * the store follows only the wallet's own accounts.
 */
export interface NoteActor<A extends { address: Address }> {
  account: A;
  /** Null when not known (offline): the contract checks registration and funds when it runs. */
  state: AccountState | null;
  /** The note as the caller read it, wherever it is held; undefined when there is none. */
  note(tokenId: bigint): (Note & { source: 'store' | 'chain' }) | undefined;
}

/** A wallet account's key URI, or an actor the caller resolved. */
export type NoteSender<A extends { address: Address } = Account> = string | NoteActor<A>;

export interface PlannedCalls<A extends { address: Address } = Account> {
  account: A;
  calls: Call[];
  /** The note the operation acts on, as checked (none for an issue). */
  note?: NoteFacts;
}

function chainTime({ store, profile, now }: NoteContext): Date {
  return chainNow(getChainMeta(store, profile.chainId), now?.() ?? new Date());
}

/**
 * The acting account and what is known of it: a key URI's wallet account from
 * the last sync (registered, not frozen), or the actor as its caller read it.
 */
function sender<A extends { address: Address }>(
  context: NoteContext,
  from: NoteSender<A>,
): { account: A; state: AccountState | null } {
  if (typeof from !== 'string') {
    if (from.state) requireActive(from.state);
    return from;
  }
  // A key URI names a wallet Account: the default of A, the only one string senders use.
  return activeSender(context.store, context.profile.chainId, from) as unknown as {
    account: A;
    state: AccountState;
  };
}

/** The account holding a note, checked for the moment the operation needs. */
function holder<A extends { address: Address }>(
  context: NoteContext,
  from: NoteSender<A>,
  tokenId: bigint,
  when: 'before-maturity' | 'matured',
) {
  const { account } = sender(context, from);
  const note =
    typeof from === 'string'
      ? {
          ...heldNote(context.store, context.profile.chainId, tokenId, account.address),
          source: 'store' as const,
        }
      : actorNote(from, tokenId);
  if (when === 'matured') requireMatured(note, chainTime(context));
  else requireBeforeMaturity(note, chainTime(context));
  return { account, note };
}

function actorNote<A extends { address: Address }>(actor: NoteActor<A>, tokenId: bigint) {
  const note = actor.note(tokenId);
  if (!note) {
    throw new SignetError(
      'NOTE_NOT_FOUND',
      `note ${tokenId} is not known offline (the store follows the wallet's own accounts): propose it online, where the note is read from the ledger`,
      { details: { tokenId: tokenId.toString(), reason: 'not-known' } },
    );
  }
  if (note.holder.toLowerCase() !== actor.account.address.toLowerCase()) {
    const asOf = note.source === 'chain' ? `at block ${note.updatedBlock}` : 'as of the last sync';
    throw new SignetError(
      'NOTE_NOT_FOUND',
      `${actor.account.address} holds no note ${tokenId}: ${note.holder} holds it ${asOf}`,
      { details: { tokenId: tokenId.toString(), reason: 'not-held', holder: note.holder } },
    );
  }
  if (note.status === 'redeemed') {
    throw new SignetError('NOTE_NOT_FOUND', `note ${tokenId} has been redeemed`);
  }
  return note;
}

const day = (date: Date) => date.toISOString().slice(0, 10);

/** Every value of a record as text (bigints in decimal): how offers and their review travel as JSON. */
export function textValues<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]: string } {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) as never;
}

/** The acceptor (debtor) issues a note to a payee, and approves paying it at maturity. */
export function issueNoteCalls<A extends { address: Address } = Account>(
  context: NoteContext,
  from: NoteSender<A>,
  payee: Address,
  faceValue: bigint,
  maturity: Date,
): PlannedCalls<A> {
  const { account } = sender(context, from);
  if (faceValue <= 0n) throw new SignetError('AMOUNT_INVALID', 'a note needs a face value above 0');
  if (maturity.getTime() <= chainTime(context).getTime()) {
    throw new SignetError('INVALID_ARGUMENT', `the maturity ${day(maturity)} is not in the future`);
  }
  const { currency, notes } = context.profile.contracts;
  const seconds = BigInt(Math.floor(maturity.getTime() / 1000));
  return {
    account,
    calls: [
      {
        to: notes,
        data: encodeFunctionData({
          abi: notesAbi,
          functionName: 'issue',
          args: [payee, faceValue, currency, seconds],
        }),
        kind: 'note-issue',
        summary: { payee, faceValue: faceValue.toString(), maturity: day(maturity) },
        asset: 'note',
        amount: 0n,
      },
      // Redemption pulls the face value from the acceptor at maturity. The approval is
      // unlimited: a finite one would replace (not add to) the one earlier notes rely
      // on, and the note contract pulls only what matured notes entitle it to.
      {
        to: currency,
        data: encodeFunctionData({
          abi: currencyAbi,
          functionName: 'approve',
          args: [notes, maxUint256],
        }),
        kind: 'approve',
        summary: { spender: notes, amount: 'unlimited', for: 'note redemption' },
        asset: 'currency',
        amount: 0n,
      },
    ],
  };
}

/** Transfers a whole note to a new holder. */
export function endorseNoteCalls<A extends { address: Address } = Account>(
  context: NoteContext,
  from: NoteSender<A>,
  tokenId: bigint,
  to: Address,
): PlannedCalls<A> {
  const { account, note } = holder(context, from, tokenId, 'before-maturity');
  return {
    account,
    note,
    calls: [
      {
        to: context.profile.contracts.notes,
        data: encodeFunctionData({
          abi: notesAbi,
          functionName: 'transferFrom',
          args: [account.address, to, tokenId],
        }),
        kind: 'note-endorse',
        summary: { tokenId: tokenId.toString(), to },
        asset: 'note',
        amount: 0n,
      },
    ],
  };
}

/** Transfers part of a note's value to `to` as a new note; the rest stays. */
export function splitNoteCalls<A extends { address: Address } = Account>(
  context: NoteContext,
  from: NoteSender<A>,
  tokenId: bigint,
  to: Address,
  value: bigint,
): PlannedCalls<A> {
  const { account, note } = holder(context, from, tokenId, 'before-maturity');
  if (value <= 0n) throw new SignetError('AMOUNT_INVALID', 'a split needs a value above 0');
  if (value >= note.value) {
    throw new SignetError(
      'AMOUNT_INVALID',
      `a split must leave value on note ${tokenId} (it holds ${note.value}); endorse it to move it whole`,
    );
  }
  return {
    account,
    note,
    calls: [
      {
        to: context.profile.contracts.notes,
        data: encodeFunctionData({
          abi: notesAbi,
          functionName: 'transferFrom',
          args: [tokenId, to, value],
        }),
        kind: 'note-split',
        summary: { tokenId: tokenId.toString(), to, value: value.toString() },
        asset: 'note',
        amount: 0n,
      },
    ],
  };
}

/** At or after maturity, the holder has the acceptor pay the note. */
export function redeemNoteCalls<A extends { address: Address } = Account>(
  context: NoteContext,
  from: NoteSender<A>,
  tokenId: bigint,
): PlannedCalls<A> {
  const { account, note } = holder(context, from, tokenId, 'matured');
  return {
    account,
    note,
    calls: [
      {
        to: context.profile.contracts.notes,
        data: encodeFunctionData({ abi: notesAbi, functionName: 'redeem', args: [tokenId] }),
        kind: 'note-redeem',
        summary: { tokenId: tokenId.toString() },
        asset: 'note',
        amount: 0n,
      },
    ],
  };
}

/**
 * Finance, step 1 (the holder, possibly offline): the EIP-712 offer to sell
 * `value` of a note (all of it when left out) to `bank` for `price`. `nonce` is
 * fresh unless the caller passes the one it previewed, so the review shows
 * exactly what is signed.
 */
export function financeOfferTypedData(
  context: NoteContext,
  fromKeyUri: string,
  terms: { tokenId: bigint; bank: Address; value?: bigint; price: bigint; deadline: Date },
  nonce: Hex = `0x${randomBytes(32).toString('hex')}`,
) {
  const { account, note } = holder<Account>(context, fromKeyUri, terms.tokenId, 'before-maturity');
  const { tokenId, bank, price, deadline } = terms;
  const value = terms.value ?? note.value;
  if (value <= 0n || value > note.value) {
    throw new SignetError(
      'AMOUNT_INVALID',
      `note ${tokenId} holds ${note.value}; offer between 1 and all of it, not ${value}`,
    );
  }
  if (deadline.getTime() <= chainTime(context).getTime()) {
    throw new SignetError('INVALID_ARGUMENT', `the offer deadline ${day(deadline)} has passed`);
  }
  return {
    account,
    note,
    typedData: financeOfferTyped(context.profile, {
      tokenId,
      value,
      bank,
      price,
      deadline: BigInt(Math.floor(deadline.getTime() / 1000)),
      nonce,
    }),
  };
}

/**
 * Finance, step 2 (the bank): approve the price and submit the holder's signed
 * offer, once the offer's signer has been recovered (and is the holder the file
 * names) and the note it sells checked: in the ledger's currency, not yet due,
 * held by that signer, worth what is offered. The note's facts are read from
 * the ledger when `context.rpc` is given, else the store's last-known copy.
 */
export async function acceptFinanceOfferCalls<A extends { address: Address } = Account>(
  context: NoteContext,
  bank: NoteSender<A>,
  file: FinanceOfferFile,
): Promise<PlannedCalls<A>> {
  const { store, profile } = context;
  const { account, state } = sender(context, bank);
  if (
    file.chainId !== profile.chainId ||
    file.notes.toLowerCase() !== profile.contracts.notes.toLowerCase()
  ) {
    throw new SignetError(
      'WRONG_CHAIN',
      `the offer is for chain ${file.chainId} contract ${file.notes}, not this ledger`,
    );
  }
  if (file.offer.bank.toLowerCase() !== account.address.toLowerCase()) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `the offer is made to bank ${file.offer.bank}, not ${account.address}`,
    );
  }
  const taken = listOutbox(store, profile.chainId).find(
    (tx) =>
      tx.kind === 'note-finance' && tx.summary.nonce === file.offer.nonce && tx.status !== 'failed',
  );
  if (taken) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `this offer was already accepted (transaction ${taken.txHash})`,
    );
  }
  const signer = await offerSigner(profile, file);
  const offer = offerMessage(file);
  const note = await financedNoteFacts(store, profile, offer.tokenId, context.rpc);
  requireFinanceable(profile, note, { signer, value: offer.value }, chainTime(context));
  const { price } = offer;
  if (state) requireFunds(store, state, price);
  return {
    account,
    note,
    calls: [
      {
        to: profile.contracts.currency,
        // Unlimited for the same reason as at issue: a finite approval would replace
        // the one this bank's own notes may rely on. finance() pulls only the price
        // of an offer the holder signed and this bank submits.
        data: encodeFunctionData({
          abi: currencyAbi,
          functionName: 'approve',
          args: [profile.contracts.notes, maxUint256],
        }),
        kind: 'approve',
        summary: {
          spender: profile.contracts.notes,
          amount: 'unlimited',
          for: `financing note ${offer.tokenId}`,
        },
        asset: 'currency',
        amount: price,
      },
      {
        to: profile.contracts.notes,
        data: encodeFunctionData({
          abi: notesAbi,
          functionName: 'finance',
          args: [offer, file.signature as Hex],
        }),
        kind: 'note-finance',
        summary: {
          tokenId: offer.tokenId.toString(),
          holder: signer,
          acceptor: note.acceptor,
          currency: note.currency,
          maturity: day(new Date(note.maturity * 1000)),
          value: offer.value.toString(),
          price: price.toString(),
          nonce: offer.nonce,
        },
        asset: 'note',
        amount: 0n,
      },
    ],
  };
}
