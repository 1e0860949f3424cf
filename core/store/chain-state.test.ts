import { beforeEach, describe, expect, it } from 'vitest';
import { memoryStore, walletAccount } from '../../test/support/store-fixtures.js';
import { addAccount } from './accounts.js';
import {
  getAccountState,
  getNote,
  listAccountStates,
  listNotes,
  type Note,
  upsertAccountState,
  upsertNote,
} from './chain-state.js';
import type { Store } from './database.js';

const alice = walletAccount(1).address;
const bob = walletAccount(2).address;
const big = 2n ** 200n + 12_345n; // far past int64, let alone 2^53

let store: Store;
beforeEach(() => {
  store = memoryStore();
  addAccount(store, walletAccount(1));
  addAccount(store, walletAccount(2));
});

function note(tokenId: bigint, over: Partial<Note> = {}): Note {
  return {
    chainId: 1,
    tokenId,
    holder: alice,
    slot: 3n,
    acceptor: bob,
    currency: bob,
    maturity: 1_800_000_000,
    value: 1_000n,
    status: 'active',
    updatedBlock: 5,
    ...over,
  };
}

describe('account state', () => {
  it('upserts per chain and returns bigint balances exactly', () => {
    const state = {
      chainId: 1,
      address: alice,
      balance: big,
      registered: true,
      frozen: false,
      chainNonce: 4,
      updatedBlock: 100,
    };
    upsertAccountState(store, state);
    expect(getAccountState(store, 1, alice)).toEqual(state);
    upsertAccountState(store, { ...state, balance: 0n, frozen: true, updatedBlock: 101 });
    expect(getAccountState(store, 1, alice)).toMatchObject({ balance: 0n, frozen: true });
    expect(getAccountState(store, 2, alice)).toBeUndefined();
    expect(listAccountStates(store, 1)).toHaveLength(1);
  });

  it('refuses negative or non-bigint balances and unknown accounts', () => {
    const state = {
      chainId: 1,
      address: alice,
      balance: -1n,
      registered: true,
      frozen: false,
      chainNonce: 0,
      updatedBlock: 0,
    };
    expect(() => upsertAccountState(store, state)).toThrow(
      expect.objectContaining({ code: 'AMOUNT_INVALID' }),
    );
    expect(() =>
      upsertAccountState(store, { ...state, balance: 1.5 as unknown as bigint }),
    ).toThrow(/must be a bigint/);
    const stranger = walletAccount(9).address;
    expect(() => upsertAccountState(store, { ...state, balance: 1n, address: stranger })).toThrow(
      expect.objectContaining({ code: 'ACCOUNT_UNKNOWN' }),
    );
  });
});

describe('notes', () => {
  it('upserts and reads back every field', () => {
    upsertNote(store, note(big, { value: big }));
    expect(getNote(store, 1, big)).toEqual(note(big, { value: big }));
    upsertNote(store, note(big, { value: big, status: 'redeemed', updatedBlock: 9 }));
    expect(getNote(store, 1, big)).toMatchObject({ status: 'redeemed', updatedBlock: 9 });
    expect(getNote(store, 2, big)).toBeUndefined();
  });

  it('lists by holder and status, soonest maturity then token id in numeric order', () => {
    upsertNote(store, note(10n));
    upsertNote(store, note(9n));
    upsertNote(store, note(100n, { maturity: 1_700_000_000 }));
    upsertNote(store, note(2n, { holder: bob }));
    upsertNote(store, note(3n, { status: 'dishonoured' }));
    const ids = (notes: Note[]) => notes.map((n) => n.tokenId);
    expect(ids(listNotes(store, 1, { holder: alice, status: 'active' }))).toEqual([100n, 9n, 10n]);
    expect(ids(listNotes(store, 1, { status: 'dishonoured' }))).toEqual([3n]);
    expect(listNotes(store, 1)).toHaveLength(5);
  });
});
