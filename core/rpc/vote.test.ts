import { describe, expect, it } from 'vitest';
import {
  answerKey,
  lowerMedian,
  majority,
  pinnedHead,
  quorumAnchor,
  quorumKey,
  quorumOf,
} from './vote.js';

describe('answerKey', () => {
  it('ignores key order and hex case', () => {
    expect(answerKey({ b: '0xABCD', a: [1, { y: 2, x: 1 }] })).toBe(
      answerKey({ a: [1, { x: 1, y: 2 }], b: '0xabcd' }),
    );
  });

  it('keeps the case of text that is not hex, and tells null from a missing answer', () => {
    expect(answerKey('Hello')).not.toBe(answerKey('hello'));
    expect(answerKey(null)).not.toBe(answerKey(undefined));
  });
});

describe('majority', () => {
  it.each([
    [['a'], 'a'],
    [['a', 'a'], 'a'],
    [['a', 'a', 'b'], 'a'],
    [['b', 'a', 'a'], 'a'],
    [['a', 'b'], undefined], // a tie: nothing to go on
    [['a', 'a', 'b', 'b'], undefined],
    [['a', 'a', 'b', 'c'], undefined], // a plurality is not a majority
    [[], undefined],
  ])('%j → %s', (keys, winner) => {
    expect(majority(keys)).toBe(winner);
  });
});

describe('quorumOf', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [7, 4],
  ])('%i configured nodes → %i', (configured, quorum) => {
    expect(quorumOf(configured)).toBe(quorum);
  });

  it('refuses a profile without nodes', () => {
    expect(() => quorumOf(0)).toThrow(RangeError);
  });
});

describe('quorumKey', () => {
  it.each([
    // Counted against the nodes configured, not those that answered.
    [['a'], 1, 'a'],
    [['a'], 3, undefined], // two of three down: one answer is not believed
    [['a', 'a'], 3, 'a'],
    [['a', 'b'], 2, undefined],
    [['a', 'a'], 2, 'a'],
    [['a', 'b', 'a'], 3, 'a'], // the liar is outvoted
    [['a', 'a', 'b'], 4, undefined], // a majority of the answers, not a quorum of four
    [['a', 'a', 'a', 'b'], 4, 'a'],
    [[], 1, undefined],
  ])('%j of %i configured → %s', (keys, configured, winner) => {
    expect(quorumKey(keys, configured)).toBe(winner);
  });
});

describe('pinnedHead', () => {
  it.each([
    [[100], 1, 100],
    [[100, 100, 100], 3, 100],
    [[100, 99, 100], 3, 99], // one block behind: pinned where it has every block
    [[100, 99], 3, 99], // one down: the two that answered
    [[0xffffffff, 100, 99], 3, 99], // a huge claimed head moves nothing
    [[100, 99, 40], 3, 99], // far behind: left out rather than holding every read back
    [[100, 40], 2, 40], // two configured: both must vote, so both must have the block
    [[100, 40], 3, 40], // fewer answered than a quorum: all of them
  ])('%j of %i configured → %i', (heads, configured, pinned) => {
    expect(pinnedHead(heads, configured, 5)).toBe(pinned);
  });
});

describe('quorumAnchor', () => {
  it.each([
    [[100], 1, 100],
    [[0xffffffff, 100, 100], 3, 100], // one huge claim moves nothing
    [[0xffffffff, 0xfffffffe, 100], 3, 0xfffffffe], // two of three claiming it are a quorum
    [[110, 100], 2, 100], // two configured: both must have reached it
    [[110, 100], 3, 100], // fewer answered than a quorum: the lowest of them
    [[100, 40, 120, 100, 100], 5, 100],
  ])('%j of %i configured → %i', (heads, configured, anchor) => {
    expect(quorumAnchor(heads, configured)).toBe(anchor);
  });

  it('needs a head', () => {
    expect(() => quorumAnchor([], 3)).toThrow(RangeError);
  });
});

describe('lowerMedian', () => {
  it.each([
    [[7n], 7n],
    [[10n ** 30n, 5n, 6n], 6n], // one liar's huge price is outvoted
    [[1n, 5n, 6n], 5n], // and so is a tiny one
    [[5n, 10n ** 30n], 5n], // an even count takes the lower middle: a fee too low only waits
    [[9n, 8n, 7n, 6n], 7n],
  ])('%s → %s', (values, median) => {
    expect(lowerMedian(values)).toBe(median);
  });

  it('needs a value', () => {
    expect(() => lowerMedian([])).toThrow(RangeError);
  });
});
