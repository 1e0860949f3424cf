import { describe, expect, it } from 'vitest';
import { hex32, memoryStore } from '../../test/support/store-fixtures.js';
import { getCheckpoint, setCheckpoint } from './checkpoint.js';

describe('checkpoints', () => {
  it('is undefined until set, then holds the latest per chain and stream', () => {
    const store = memoryStore();
    expect(getCheckpoint(store, 1, 'currency')).toBeUndefined();
    setCheckpoint(store, 1, 'currency', { blockNumber: 10, blockHash: hex32(10) });
    setCheckpoint(store, 1, 'currency', { blockNumber: 12, blockHash: hex32(12) });
    setCheckpoint(store, 1, 'notes', { blockNumber: 5, blockHash: hex32(5) });
    setCheckpoint(store, 2, 'currency', { blockNumber: 7, blockHash: hex32(7) });
    expect(getCheckpoint(store, 1, 'currency')).toEqual({ blockNumber: 12, blockHash: hex32(12) });
    expect(getCheckpoint(store, 1, 'notes')).toEqual({ blockNumber: 5, blockHash: hex32(5) });
    expect(getCheckpoint(store, 2, 'currency')).toEqual({ blockNumber: 7, blockHash: hex32(7) });
  });

  it('lowercases the block hash and refuses a malformed one', () => {
    const store = memoryStore();
    const upper = `0x${'AB'.repeat(32)}` as const;
    setCheckpoint(store, 1, 's', { blockNumber: 1, blockHash: upper });
    expect(getCheckpoint(store, 1, 's')?.blockHash).toBe(upper.toLowerCase());
    expect(() => setCheckpoint(store, 1, 's', { blockNumber: 1, blockHash: '0x12' })).toThrow(
      /block hash must be 0x and 64 hex digits/,
    );
  });
});
