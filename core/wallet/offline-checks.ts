/**
 * What Signet checks before a token signs, from the last sync and the outbox
 * alone (no network): each failure is one line saying what to do.
 */
import type { Address } from 'viem';
import { SignetError } from '../api/errors.js';
import { formatAmount } from '../chain/amount.js';
import { type AccountState, getAccountState, getNote, type Note } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { pendingOutgoing } from '../store/outbox.js';
import { findAccount } from './find-account.js';

export function syncedState(store: Store, chainId: number, address: Address): AccountState {
  const state = getAccountState(store, chainId, address);
  if (!state) {
    throw new SignetError(
      'ACCOUNT_UNKNOWN',
      `account ${address} has never been synced; run \`signet sync\` once while online`,
    );
  }
  return state;
}

export function requireActive(state: AccountState): void {
  if (!state.registered) {
    throw new SignetError(
      'NOT_REGISTERED',
      `account ${state.address} is not registered with an operator bank`,
    );
  }
  if (state.frozen) {
    throw new SignetError(
      'ACCOUNT_FROZEN',
      `account ${state.address} is frozen by its operator bank`,
    );
  }
}

/** Balance after every payment still waiting in the outbox. */
export function requireFunds(store: Store, state: AccountState, amount: bigint): void {
  const pending = pendingOutgoing(store, state.chainId, state.address);
  const available = state.balance - pending;
  if (amount > available) {
    const pendingText =
      pending > 0n
        ? ` (balance ${formatAmount(state.balance)}, ${formatAmount(pending)} pending)`
        : '';
    throw new SignetError(
      'INSUFFICIENT_BALANCE',
      `not enough funds: ${formatAmount(available)} available${pendingText}, ${formatAmount(amount)} needed`,
      {
        details: {
          balance: state.balance.toString(),
          pending: pending.toString(),
          amount: amount.toString(),
        },
      },
    );
  }
}

export function heldNote(store: Store, chainId: number, tokenId: bigint, holder: Address): Note {
  const note = getNote(store, chainId, tokenId);
  if (!note || note.holder !== holder || note.status === 'redeemed') {
    throw new SignetError(
      'NOTE_NOT_FOUND',
      `account ${holder} holds no note ${tokenId} (as of the last sync)`,
    );
  }
  return note;
}

/** Notes move only before maturity; `operation` names what was asked ("financed"). */
export function requireBeforeMaturity(note: Note, now: Date, operation?: string): void {
  if (now.getTime() / 1000 >= note.maturity) {
    throw new SignetError(
      'NOTE_MATURED',
      `note ${note.tokenId} matured on ${new Date(note.maturity * 1000).toISOString().slice(0, 10)}; it can only be redeemed${operation ? `, not ${operation}` : ''}`,
    );
  }
}

export function requireMatured(note: Note, now: Date): void {
  if (now.getTime() / 1000 < note.maturity) {
    throw new SignetError(
      'NOTE_NOT_MATURE',
      `note ${note.tokenId} matures on ${new Date(note.maturity * 1000).toISOString().slice(0, 10)}; it cannot be redeemed before`,
    );
  }
}

/** The account a key URI names, synced at least once, registered and not frozen. */
export function activeSender(store: Store, chainId: number, keyUri: string) {
  const account = findAccount(store, keyUri);
  const state = syncedState(store, chainId, account.address);
  requireActive(state);
  return { account, state };
}
