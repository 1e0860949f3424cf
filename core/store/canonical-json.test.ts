import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves out whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('sorts integer-like keys as text, which a JS object would not', () => {
    expect(canonicalJson({ 2: 'two', 10: 'ten', a: 'a' })).toBe('{"10":"ten","2":"two","a":"a"}');
  });

  it('writes bigints as decimal strings, even past 2^53', () => {
    expect(canonicalJson({ amount: 2n ** 64n + 1n })).toBe('{"amount":"18446744073709551617"}');
  });

  it('writes bytes as 0x hex and drops undefined like JSON.stringify', () => {
    expect(
      canonicalJson({ digest: new Uint8Array([0xde, 0xad]), gone: undefined, list: [undefined] }),
    ).toBe('{"digest":"0xdead","list":[null]}');
  });

  it('gives the same text for the same value built in any order', () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
  });
});
