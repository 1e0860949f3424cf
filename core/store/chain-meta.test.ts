import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../test/support/store-fixtures.js';
import { chainNow, getChainMeta, setChainMeta } from './chain-meta.js';

describe('chain meta', () => {
  it('keeps the latest head and fees per chain, bigints exact', () => {
    const store = memoryStore();
    expect(getChainMeta(store, 1)).toBeUndefined();
    setChainMeta(store, {
      chainId: 1,
      head: 10,
      headTime: 1_700_000_000,
      baseFee: 7n,
      gasPrice: 2n ** 80n,
    });
    setChainMeta(store, {
      chainId: 1,
      head: 11,
      headTime: 1_700_000_012,
      baseFee: 0n,
      gasPrice: 2n ** 80n + 1n,
    });
    expect(getChainMeta(store, 1)).toEqual({
      chainId: 1,
      head: 11,
      headTime: 1_700_000_012,
      baseFee: 0n,
      gasPrice: 2n ** 80n + 1n,
      syncedAt: '2026-01-01T00:00:02.000Z',
    });
    expect(getChainMeta(store, 2)).toBeUndefined();
  });

  it("estimates the ledger's now from the last synced block time, never behind our clock", () => {
    const meta = {
      chainId: 1,
      head: 5,
      headTime: 2_000_000_000,
      baseFee: 0n,
      gasPrice: 0n,
      syncedAt: '2026-01-01T00:00:00.000Z',
    };
    // Synced an hour ago; the ledger's clock was ahead (a dev ledger moved forward in time).
    const local = new Date('2026-01-01T01:00:00.000Z');
    expect(chainNow(meta, local).getTime()).toBe(2_000_000_000_000 + 3_600_000);
    // A ledger clock behind ours does not pull "now" back.
    expect(chainNow({ ...meta, headTime: 0 }, local)).toEqual(local);
    expect(chainNow(undefined, local)).toEqual(local);
  });

  it('refuses a negative fee', () => {
    const store = memoryStore();
    expect(() =>
      setChainMeta(store, { chainId: 1, head: 1, headTime: 0, baseFee: -1n, gasPrice: 1n }),
    ).toThrow(expect.objectContaining({ code: 'AMOUNT_INVALID' }));
  });
});
