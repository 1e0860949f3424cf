import { describe, expect, it } from 'vitest';
import { answerKey, majority } from './vote.js';

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
