import { describe, expect, it } from 'vitest';
import { atDepth, deepestAt, freeingDepth } from './depth.js';

describe('atDepth', () => {
  it.each([
    // head, block, confirmations → at depth
    [10, 10, 1, true], // a block is its own first confirmation
    [10, 10, 2, false],
    [11, 10, 2, true],
    [12, 10, 3, true],
    [11, 10, 3, false],
    [10, 10, 0, true],
    [9, 10, 1, false], // above the head: not even its own
  ])('block %i under head %i with %i confirmations → %s', (head, block, confirmations, deep) => {
    expect(atDepth(head, block, confirmations)).toBe(deep);
  });
});

describe('deepestAt', () => {
  it('is the newest block atDepth holds for, never below 0', () => {
    for (const depth of [1, 2, 3, 12]) {
      const block = deepestAt(20, depth);
      expect(atDepth(20, block, depth)).toBe(true);
      expect(atDepth(20, block + 1, depth)).toBe(false);
    }
    expect(deepestAt(1, 5)).toBe(0);
  });

  it('refuses a depth below 1: no block under the head has less', () => {
    expect(() => deepestAt(20, 0)).toThrow(RangeError);
  });
});

describe('freeingDepth', () => {
  it('is the confirmations, but at least one block: 0 confirmations frees nothing at first sight', () => {
    expect([0, 1, 2, 6].map(freeingDepth)).toEqual([1, 1, 2, 6]);
  });
});
