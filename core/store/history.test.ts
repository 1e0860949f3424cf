import { beforeEach, describe, expect, it } from 'vitest';
import { hex32, memoryStore, walletAccount } from '../../test/support/store-fixtures.js';
import type { Store } from './database.js';
import {
  addEvents,
  countHistory,
  deleteFromBlock,
  type HistoryEvent,
  historyBlocks,
  listHistory,
} from './history.js';

const alice = walletAccount(1).address;
const bob = walletAccount(2).address;
const carol = walletAccount(3).address;

/** Event n: in block n / 10, log n % 10 (so n orders the events), alice → bob by default. */
function event(n: number, over: Partial<HistoryEvent> = {}): HistoryEvent {
  return {
    chainId: 1,
    txHash: hex32(n),
    logIndex: n % 10,
    blockNumber: Math.floor(n / 10),
    blockHash: hex32(1_000_000 + Math.floor(n / 10)),
    kind: 'transfer',
    from: alice,
    to: bob,
    amount: BigInt(n),
    tokenId: null,
    timestamp: 1_700_000_000 + n,
    data: {},
    ...over,
  };
}

const positions = (events: HistoryEvent[]) => events.map((e) => e.blockNumber * 10 + e.logIndex);

let store: Store;
beforeEach(() => {
  store = memoryStore();
});

describe('addEvents', () => {
  it('stores every field, bigints exact, data as JSON', () => {
    const note = event(7, {
      kind: 'note-issue',
      from: null,
      amount: 2n ** 255n,
      tokenId: 2n ** 70n,
      timestamp: null,
      data: { slot: 3n, maturity: 1_800_000_000 },
    });
    expect(addEvents(store, [note])).toBe(1);
    expect(listHistory(store, 1, { limit: 10 })).toEqual([
      { ...note, data: { slot: '3', maturity: 1_800_000_000 } },
    ]);
  });

  it('skips logs it already has, so re-indexing a range is harmless', () => {
    expect(addEvents(store, [event(1), event(2)])).toBe(2);
    expect(addEvents(store, [event(2), event(3), event(1)])).toBe(1);
    expect(countHistory(store, 1)).toBe(3);
  });

  it('adds nothing when one event of the batch is malformed', () => {
    expect(() => addEvents(store, [event(1), event(2, { amount: -5n })])).toThrow(
      expect.objectContaining({ code: 'AMOUNT_INVALID' }),
    );
    expect(countHistory(store, 1)).toBe(0);
  });
});

describe('listHistory', () => {
  beforeEach(() => {
    addEvents(
      store,
      [5, 1, 9, 3, 12, 7, 10].map((n) => event(n)),
    );
    addEvents(store, [event(11, { from: bob, to: carol }), event(4, { from: carol, to: alice })]);
    addEvents(store, [event(8, { from: carol, to: carol })]); // a self-transfer
    addEvents(store, [event(6, { chainId: 2 })]);
  });

  it('lists newest first and pages by offset', () => {
    expect(positions(listHistory(store, 1, { limit: 4 }))).toEqual([12, 11, 10, 9]);
    expect(positions(listHistory(store, 1, { limit: 4, offset: 4 }))).toEqual([8, 7, 5, 4]);
    expect(positions(listHistory(store, 1, { limit: 4, offset: 8 }))).toEqual([3, 1]);
    expect(positions(listHistory(store, 2, { limit: 4 }))).toEqual([6]);
  });

  it('pages by cursor: strictly older than the last row shown', () => {
    const first = listHistory(store, 1, { limit: 3 });
    const last = first.at(-1)!;
    const next = listHistory(store, 1, { limit: 3, before: last });
    expect(positions(next)).toEqual([9, 8, 7]);
  });

  it('filters by address on either side, once per event', () => {
    expect(positions(listHistory(store, 1, { address: carol, limit: 10 }))).toEqual([11, 8, 4]);
    expect(positions(listHistory(store, 1, { address: carol, limit: 1, offset: 1 }))).toEqual([8]);
    expect(positions(listHistory(store, 1, { address: bob.toLowerCase(), limit: 2 }))).toEqual([
      12, 11,
    ]);
    expect(countHistory(store, 1, { address: carol })).toBe(3);
    expect(countHistory(store, 1, { address: alice })).toBe(8);
  });
});

describe('deleteFromBlock', () => {
  it('deletes this chain at and above the block and returns what it deleted', () => {
    addEvents(
      store,
      [5, 9, 10, 12, 25].map((n) => event(n)),
    );
    addEvents(store, [event(30, { chainId: 2 })]);
    const deleted = deleteFromBlock(store, 1, 1);
    expect(positions(deleted).sort((a, b) => a - b)).toEqual([10, 12, 25]);
    expect(deleted.find((e) => e.logIndex === 5)?.amount).toBe(25n);
    expect(positions(listHistory(store, 1, { limit: 10 }))).toEqual([9, 5]);
    expect(countHistory(store, 2)).toBe(1);
    expect(deleteFromBlock(store, 1, 1)).toEqual([]);
  });
});

describe('historyBlocks', () => {
  it('lists the distinct stored blocks below a block, newest first (reorg anchors)', () => {
    addEvents(
      store,
      [5, 9, 10, 12, 25, 31].map((n) => event(n)),
    );
    addEvents(store, [event(40, { chainId: 2 })]);
    expect(historyBlocks(store, 1, 3, 10)).toEqual([
      { blockNumber: 2, blockHash: hex32(1_000_002) },
      { blockNumber: 1, blockHash: hex32(1_000_001) },
      { blockNumber: 0, blockHash: hex32(1_000_000) },
    ]);
    expect(historyBlocks(store, 1, 3, 1).map((b) => b.blockNumber)).toEqual([2]);
    expect(historyBlocks(store, 1, 0, 10)).toEqual([]);
  });
});

describe('paging 100,000 rows', () => {
  it('reads the first and a deep page through the index', () => {
    const events = Array.from({ length: 100_000 }, (_, n) =>
      event(n, { to: n % 3 === 0 ? carol : bob }),
    );
    const insertStart = performance.now();
    expect(addEvents(store, events)).toBe(100_000);
    const insertMs = performance.now() - insertStart;

    const timed = (run: () => HistoryEvent[]) => {
      const start = performance.now();
      const rows = run();
      return { rows, ms: performance.now() - start };
    };
    const page1 = timed(() => listHistory(store, 1, { limit: 50 }));
    const deep = timed(() =>
      listHistory(store, 1, { limit: 50, before: { blockNumber: 500, logIndex: 0 } }),
    );
    const byAddress = timed(() => listHistory(store, 1, { address: carol, limit: 50 }));
    console.log(
      `100,000 rows: insert ${insertMs.toFixed(0)} ms; page 1 ${page1.ms.toFixed(2)} ms;` +
        ` cursor page at block 500 ${deep.ms.toFixed(2)} ms; page 1 by address ${byAddress.ms.toFixed(2)} ms`,
    );
    expect(positions(page1.rows)[0]).toBe(99_999);
    expect(positions(deep.rows)[0]).toBe(4_999);
    expect(byAddress.rows.every((e) => e.to === carol)).toBe(true);
    expect(page1.ms).toBeLessThan(1_000); // loose: the figure printed above is what matters
    expect(deep.ms).toBeLessThan(1_000);
    expect(byAddress.ms).toBeLessThan(1_000);
  });
});
