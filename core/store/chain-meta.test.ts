import { describe, expect, it } from 'vitest';
import { getChainMeta, setChainMeta } from './chain-meta.js';
import { memoryStore } from './test-fixtures.js';

describe('chain meta', () => {
  it('keeps the latest head and fees per chain, bigints exact', () => {
    const store = memoryStore();
    expect(getChainMeta(store, 1)).toBeUndefined();
    setChainMeta(store, { chainId: 1, head: 10, baseFee: 7n, gasPrice: 2n ** 80n });
    setChainMeta(store, { chainId: 1, head: 11, baseFee: 0n, gasPrice: 2n ** 80n + 1n });
    expect(getChainMeta(store, 1)).toEqual({
      chainId: 1,
      head: 11,
      baseFee: 0n,
      gasPrice: 2n ** 80n + 1n,
      syncedAt: '2026-01-01T00:00:02.000Z',
    });
    expect(getChainMeta(store, 2)).toBeUndefined();
  });

  it('refuses a negative fee', () => {
    const store = memoryStore();
    expect(() => setChainMeta(store, { chainId: 1, head: 1, baseFee: -1n, gasPrice: 1n })).toThrow(
      expect.objectContaining({ code: 'AMOUNT_INVALID' }),
    );
  });
});
