import { type Hex, keccak256 } from 'viem';
import { beforeEach, describe, expect, it } from 'vitest';
import { hex32, memoryStore, walletAccount } from '../../test/support/store-fixtures.js';
import { addAccount } from './accounts.js';
import type { Store } from './database.js';
import {
  addPrepared,
  addSigned,
  clearMissing,
  getOutbox,
  listOutbox,
  markConfirmed,
  markFailed,
  markIncluded,
  markMissing,
  markReplaced,
  markSent,
  type NewOutboxTx,
  nextAccountNonces,
  nextNonce,
  nextNonces,
  pendingOutgoing,
  prepareSigned,
  toSend,
  unconfirm,
} from './outbox.js';

const alice = walletAccount(1).address;
const bob = walletAccount(2).address;
const above53 = 2n ** 53n + 1n; // the first integer a float cannot hold

let store: Store;
beforeEach(() => {
  store = memoryStore();
  addAccount(store, walletAccount(1));
  addAccount(store, walletAccount(2));
});

/** Stand-in signed bytes of transaction `id`; its hash is keccak256 of them, as on chain. */
const raw = (id: number): Hex => `0x02f8${id.toString(16).padStart(4, '0')}`;
const txHash = (id: number) => keccak256(raw(id));

/** Transaction `id` from alice with the given nonce. */
function tx(id: number, nonce: number, over: Partial<NewOutboxTx> = {}): NewOutboxTx {
  return {
    chainId: 1,
    from: alice,
    nonce,
    raw: raw(id),
    kind: 'transfer',
    summary: { to: bob, amount: above53 },
    asset: 'currency',
    amount: above53,
    ...over,
  };
}

const block = (n: number) => ({ blockNumber: n, blockHash: hex32(1000 + n) });

describe('addSigned', () => {
  it('records a signed transaction with status signed', () => {
    const added = addSigned(store, tx(1, 0));
    expect(added).toMatchObject({
      chainId: 1,
      from: alice,
      nonce: 0,
      txHash: txHash(1),
      status: 'signed',
      amount: above53,
      summary: { to: bob, amount: above53.toString() },
      attempts: 0,
      sentAt: null,
      blockNumber: null,
    });
    expect(getOutbox(store, txHash(1))).toEqual(added);
  });

  it('refuses a second transaction with a live nonce, naming the holder', () => {
    addSigned(store, tx(1, 0));
    expect(() => addSigned(store, tx(2, 0))).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        details: { chainId: 1, from: alice, nonce: 0, txHash: txHash(1) },
      }),
    );
    // Same nonce on another chain or from another account is fine.
    addSigned(store, tx(3, 0, { chainId: 2 }));
    addSigned(store, tx(4, 0, { from: bob }));
  });

  it('lets the partial unique index refuse a duplicate nonce even past the check', () => {
    addSigned(store, tx(1, 0));
    const insert = () =>
      store.db
        .prepare(
          `INSERT INTO outbox (chain_id, from_address, nonce, tx_hash, raw, kind, summary, asset,
                               amount, created_at)
           VALUES (1, ?, 0, ?, '0x00', 'transfer', '{}', 'currency', '0', 'now')`,
        )
        .run(alice, txHash(2));
    expect(insert).toThrow(
      /UNIQUE constraint failed: outbox.chain_id, outbox.from_address, outbox.nonce/,
    );
  });

  it('frees the nonce once the holder is replaced or failed (a fee bump)', () => {
    addSigned(store, tx(1, 0));
    store.transaction(() => {
      markReplaced(store, txHash(1));
      addSigned(store, tx(2, 0));
    });
    expect(listOutbox(store, 1).map((t) => [t.txHash, t.status])).toEqual([
      [txHash(1), 'replaced'],
      [txHash(2), 'signed'],
    ]);
  });

  it('treats the same transaction again as a no-op (a retry after a crash)', () => {
    const first = addSigned(store, tx(1, 0));
    expect(addSigned(store, tx(1, 0))).toEqual(first);
    expect(listOutbox(store, 1)).toHaveLength(1);
  });

  it('keys every row by the hash of its signed bytes, computed once from them', () => {
    expect(prepareSigned(tx(1, 0)).txHash).toBe(txHash(1));
    expect(addSigned(store, tx(2, 1)).txHash).toBe(keccak256(raw(2)));
  });

  it('records a batch all or none: a taken nonce in the middle leaves nothing of it', () => {
    addSigned(store, tx(1, 5));
    const batch = [tx(2, 4), tx(3, 5), tx(4, 6)].map(prepareSigned);
    expect(() => addPrepared(store, batch)).toThrow(
      expect.objectContaining({
        details: expect.objectContaining({ nonce: 5, txHash: txHash(1) }),
      }),
    );
    expect(listOutbox(store, 1).map((t) => t.txHash)).toEqual([txHash(1)]);
    const done = addPrepared(store, [tx(2, 4), tx(4, 6)].map(prepareSigned));
    expect(done.map((t) => [t.nonce, t.status])).toEqual([
      [4, 'signed'],
      [6, 'signed'],
    ]);
  });

  it('refuses a sender that is not one of the wallet accounts', () => {
    expect(() => addSigned(store, tx(1, 0, { from: walletAccount(9).address }))).toThrow(
      expect.objectContaining({ code: 'ACCOUNT_UNKNOWN' }),
    );
  });
});

describe('nextNonce and pendingOutgoing', () => {
  it('is the chain nonce with an empty outbox, else one past the highest live nonce', () => {
    expect(nextNonce(store, 1, alice, 7)).toBe(7);
    addSigned(store, tx(1, 7));
    addSigned(store, tx(2, 8));
    expect(nextNonce(store, 1, alice, 7)).toBe(9);
    expect(nextNonce(store, 1, alice, 12)).toBe(12); // the chain moved on (another wallet)
    markReplaced(store, txHash(2));
    expect(nextNonce(store, 1, alice, 7)).toBe(8); // a replaced nonce is free again
    expect(nextNonce(store, 1, bob, 0)).toBe(0);
  });

  it('fills the gap a dropped transaction left below one still live, from the chain count up', () => {
    addSigned(store, tx(1, 7));
    addSigned(store, tx(2, 8));
    addSigned(store, tx(3, 10));
    markSent(store, txHash(1));
    markSent(store, txHash(2));
    // 7 dropped (no node has it); 8 is still held by a node and can be mined once 7 is.
    markFailed(store, txHash(1), 'dropped: no ledger node has it');
    expect(nextNonce(store, 1, alice, 7)).toBe(7);
    expect(nextNonces(store, 1, alice, 7, 4)).toEqual([7, 9, 11, 12]);
    expect(nextNonces(store, 1, alice, 9, 2)).toEqual([9, 11]);
    expect(nextNonces(store, 1, alice, 11, 2)).toEqual([11, 12]); // the chain moved past them all
    expect(nextNonces(store, 1, alice, 0, 0)).toEqual([]);
  });

  it('sums unconfirmed currency exactly, past 2^53', () => {
    addSigned(store, tx(1, 0));
    addSigned(store, tx(2, 1));
    addSigned(store, tx(3, 2, { asset: 'note', amount: 0n }));
    addSigned(store, tx(4, 3, { amount: 1n }));
    addSigned(store, tx(5, 4));
    expect(pendingOutgoing(store, 1, alice)).toBe(3n * above53 + 1n);
    // confirmed, failed and replaced no longer count; included still does
    markSent(store, txHash(1));
    markIncluded(store, txHash(1), block(10));
    markConfirmed(store, txHash(1));
    markFailed(store, txHash(2), 'execution reverted: frozen');
    markReplaced(store, txHash(5));
    markSent(store, txHash(4));
    markIncluded(store, txHash(4), block(11));
    expect(pendingOutgoing(store, 1, alice)).toBe(1n);
    expect(pendingOutgoing(store, 2, alice)).toBe(0n);
  });
});

describe('state machine', () => {
  it('walks signed → sent → included → confirmed, stamping each step', () => {
    addSigned(store, tx(1, 0));
    expect(markSent(store, txHash(1))).toBe(true);
    expect(markSent(store, txHash(1))).toBe(true); // a re-broadcast
    expect(markIncluded(store, txHash(1), block(10))).toBe(true);
    expect(markConfirmed(store, txHash(1))).toBe(true);
    const done = getOutbox(store, txHash(1))!;
    expect(done).toMatchObject({ status: 'confirmed', attempts: 2, ...block(10) });
    expect(done.sentAt).not.toBeNull();
    expect(done.includedAt! > done.sentAt!).toBe(true);
  });

  it('refuses a change the current status forbids', () => {
    addSigned(store, tx(1, 0));
    expect(() => markIncluded(store, txHash(1), block(10))).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: `transaction ${txHash(1)} is signed; it cannot become included`,
      }),
    );
    expect(() => markConfirmed(store, txHash(1))).toThrow(/is signed; it cannot become confirmed/);
    markSent(store, txHash(1));
    markIncluded(store, txHash(1), block(10));
    markConfirmed(store, txHash(1));
    expect(() => markFailed(store, txHash(1), 'late')).toThrow(
      /is confirmed; it cannot become failed/,
    );
    expect(() => markReplaced(store, txHash(1))).toThrow(/is confirmed; it cannot become replaced/);
    expect(getOutbox(store, txHash(1))?.status).toBe('confirmed');
  });

  it('makes repeating a change that already happened a no-op returning false', () => {
    addSigned(store, tx(1, 0));
    markSent(store, txHash(1));
    markIncluded(store, txHash(1), block(10));
    expect(markIncluded(store, txHash(1), block(10))).toBe(false);
    expect(markSent(store, txHash(1))).toBe(false); // the other process saw it on chain first
    markConfirmed(store, txHash(1));
    expect(markConfirmed(store, txHash(1))).toBe(false);
    expect(markIncluded(store, txHash(1), block(10))).toBe(false);
    expect(getOutbox(store, txHash(1))).toMatchObject({ status: 'confirmed', attempts: 1 });

    addSigned(store, tx(2, 1));
    expect(markFailed(store, txHash(2), 'nonce too low')).toBe(true);
    expect(markFailed(store, txHash(2), 'again')).toBe(false);
    expect(getOutbox(store, txHash(2))?.error).toBe('nonce too low'); // the first reason stays
  });

  it('refuses inclusion in a different block without a rewind first', () => {
    addSigned(store, tx(1, 0));
    markSent(store, txHash(1));
    markIncluded(store, txHash(1), block(10));
    expect(() =>
      markIncluded(store, txHash(1), { blockNumber: 10, blockHash: hex32(9_999) }),
    ).toThrow(/is included; it cannot become included/);
  });

  it('names an unknown transaction', () => {
    expect(() => markSent(store, txHash(42))).toThrow(
      `transaction ${txHash(42)} is not in the outbox`,
    );
  });
});

describe('unconfirm', () => {
  it('puts included and confirmed rows at or above the block back to sent', () => {
    for (const [id, at] of [
      [1, 9],
      [2, 10],
      [3, 11],
    ] as const) {
      addSigned(store, tx(id, id - 1));
      markSent(store, txHash(id));
      markIncluded(store, txHash(id), block(at));
    }
    markConfirmed(store, txHash(1));
    markConfirmed(store, txHash(2));
    addSigned(store, tx(4, 3, { chainId: 2 }));
    markSent(store, txHash(4));
    markIncluded(store, txHash(4), block(12));

    const rewound = unconfirm(store, 1, 10);
    expect(rewound.map((t) => t.nonce).sort()).toEqual([1, 2]);
    expect(rewound.every((t) => t.status === 'sent' && t.blockNumber === null)).toBe(true);
    expect(getOutbox(store, txHash(1))?.status).toBe('confirmed');
    expect(getOutbox(store, txHash(4))?.status).toBe('included'); // another chain
    expect(toSend(store, 1).map((t) => t.nonce)).toEqual([1, 2]);
    expect(pendingOutgoing(store, 1, alice)).toBe(2n * above53);
    // and they can be included again, in the new chain's block
    expect(markIncluded(store, txHash(2), { blockNumber: 10, blockHash: hex32(7_777) })).toBe(true);
  });
});

describe('unconfirm and reverted transactions', () => {
  it('puts a transaction that reverted in a block at or above back in flight, and keeps refusals failed', () => {
    addSigned(store, tx(1, 0));
    markSent(store, txHash(1));
    markFailed(store, txHash(1), 'transaction reverted: NotRegistered(0x…)', block(10));
    addSigned(store, tx(2, 1));
    markFailed(store, txHash(2), 'insufficient funds'); // refused: in no block
    addSigned(store, tx(3, 2));
    markSent(store, txHash(3));
    markFailed(store, txHash(3), 'transaction reverted', block(9));
    expect(getOutbox(store, txHash(1))).toMatchObject({ status: 'failed', blockNumber: 10 });

    const rewound = unconfirm(store, 1, 10);
    expect(rewound.map((t) => t.txHash)).toEqual([txHash(1)]);
    expect(getOutbox(store, txHash(1))).toMatchObject({
      status: 'sent',
      error: null,
      blockNumber: null,
      blockHash: null,
    });
    expect(getOutbox(store, txHash(2))?.status).toBe('failed');
    expect(getOutbox(store, txHash(3))?.status).toBe('failed'); // below the reorg
  });

  it('leaves a reverted transaction failed when another live one holds its nonce since', () => {
    addSigned(store, tx(1, 0));
    markSent(store, txHash(1));
    markFailed(store, txHash(1), 'transaction reverted', block(10));
    addSigned(store, tx(2, 0)); // signed again with the same nonce
    expect(unconfirm(store, 1, 10)).toEqual([]);
    expect(getOutbox(store, txHash(1))?.status).toBe('failed');
    expect(getOutbox(store, txHash(2))?.status).toBe('signed');
  });
});

describe('carried operations (a P-256 account, carried by another account)', () => {
  /** A P-256 account: its address is its contract's, not derived from the key here. */
  const p256Account = walletAccount(3).address;
  beforeEach(() => {
    addAccount(store, {
      address: p256Account,
      publicKey: `0x04${'11'.repeat(64)}`,
      keyUri: 'pkcs11:token=TPM;object=tpm-key;type=private',
      name: 'TPM',
      curve: 'p256',
    });
  });
  const carried = (
    id: number,
    nonce: number,
    accountNonce: number,
    over: Partial<NewOutboxTx> = {},
  ) =>
    tx(id, nonce, { carried: { account: p256Account, nonce: accountNonce }, amount: 5n, ...over });

  it('records the account and its nonce beside the carrier’s transaction nonce', () => {
    const row = addSigned(store, carried(1, 4, 0));
    expect(row).toMatchObject({
      from: alice,
      nonce: 4,
      carried: { account: p256Account, nonce: 0 },
    });
    expect(getOutbox(store, txHash(1))?.carried).toEqual({ account: p256Account, nonce: 0 });
    expect(addSigned(store, tx(2, 5)).carried).toBeNull();
  });

  it('counts the amount as leaving the account, not the carrier', () => {
    addSigned(store, carried(1, 0, 0));
    addSigned(store, tx(2, 1, { amount: 7n }));
    expect(pendingOutgoing(store, 1, p256Account)).toBe(5n);
    expect(pendingOutgoing(store, 1, alice)).toBe(7n);
  });

  it('plans the account’s nonces across carriers, filling what a failed operation freed', () => {
    expect(nextAccountNonces(store, 1, p256Account, 3, 2)).toEqual([3, 4]);
    addSigned(store, carried(1, 0, 3));
    addSigned(store, carried(2, 0, 4, { from: bob }));
    expect(nextAccountNonces(store, 1, p256Account, 3, 2)).toEqual([5, 6]);
    markFailed(store, txHash(1), 'transaction reverted: Expired(1)');
    expect(nextAccountNonces(store, 1, p256Account, 3, 2)).toEqual([3, 5]);
    // The carriers' own nonces are their business.
    expect(nextNonces(store, 1, alice, 0, 1)).toEqual([0]);
    expect(nextNonces(store, 1, bob, 0, 1)).toEqual([1]);
  });

  it('refuses a second live operation with the same account nonce, naming the holder', () => {
    addSigned(store, carried(1, 0, 0));
    expect(() => addSigned(store, carried(2, 0, 0, { from: bob }))).toThrow(
      new RegExp(`account nonce 0 of ${p256Account} is already used by transaction ${txHash(1)}`),
    );
    markReplaced(store, txHash(1));
    expect(addSigned(store, carried(2, 0, 0, { from: bob })).status).toBe('signed');
  });

  it('refuses an account that is not one of the wallet’s', () => {
    const stranger = walletAccount(9).address;
    expect(() => addSigned(store, tx(1, 0, { carried: { account: stranger, nonce: 0 } }))).toThrow(
      /not one of this wallet's accounts/,
    );
  });

  it('leaves a reverted operation failed when another live one holds its account nonce since', () => {
    addSigned(store, carried(1, 0, 0));
    markSent(store, txHash(1));
    markFailed(store, txHash(1), 'transaction reverted: Expired(1)', block(10));
    addSigned(store, carried(2, 0, 0, { from: bob })); // signed again, another carrier
    expect(unconfirm(store, 1, 10)).toEqual([]);
    expect(getOutbox(store, txHash(1))?.status).toBe('failed');
  });
});

describe('missing transactions', () => {
  it('remembers the first block a sent transaction was seen missing, until it is seen again', () => {
    addSigned(store, tx(1, 0));
    expect(markMissing(store, txHash(1), 5)).toBeUndefined(); // never sent: not tracked
    markSent(store, txHash(1));
    expect(markMissing(store, txHash(1), 5)).toBe(5);
    expect(markMissing(store, txHash(1), 8)).toBe(5);
    expect(getOutbox(store, txHash(1))?.missingSince).toBe(5);
    clearMissing(store, txHash(1));
    expect(markMissing(store, txHash(1), 9)).toBe(9);
    // A reorg puts it back in flight with a clean slate.
    markIncluded(store, txHash(1), block(10));
    unconfirm(store, 1, 10);
    expect(getOutbox(store, txHash(1))?.missingSince).toBeNull();
  });
});

describe('listing', () => {
  it('lists by sender then nonce, and filters by status', () => {
    addSigned(store, tx(1, 1, { from: bob }));
    addSigned(store, tx(2, 5));
    addSigned(store, tx(3, 0, { from: bob }));
    addSigned(store, tx(4, 4));
    markSent(store, txHash(4));
    // bob's address (0x2B5A…) sorts before alice's (0x7E5F…)
    expect(listOutbox(store, 1).map((t) => [t.from, t.nonce])).toEqual([
      [bob, 0],
      [bob, 1],
      [alice, 4],
      [alice, 5],
    ]);
    expect(listOutbox(store, 1, { status: 'sent' }).map((t) => t.txHash)).toEqual([txHash(4)]);
    expect(toSend(store, 1)).toHaveLength(4);
    markFailed(store, txHash(2), 'insufficient funds');
    expect(toSend(store, 1).map((t) => t.txHash)).not.toContain(txHash(2));
  });
});
