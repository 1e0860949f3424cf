import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddress } from './address.js';
import { formatAmount, parseAmount } from './amount.js';

describe('amounts', () => {
  it('parses decimal strings into minor units exactly', () => {
    expect(parseAmount('12.34')).toBe(1234n);
    expect(parseAmount('12.3')).toBe(1230n);
    expect(parseAmount('7')).toBe(700n);
    expect(parseAmount('0.01')).toBe(1n);
    expect(parseAmount('92233720368547758.07')).toBe(9223372036854775807n);
    expect(parseAmount('123456789012345678901234567890.99')).toBe(
      12345678901234567890123456789099n,
    );
  });

  it('refuses more than 2 decimals, zero, negatives, exponents and junk, in one line', () => {
    expect(() => parseAmount('1.234')).toThrow('"1.234" has more than 2 decimals');
    expect(() => parseAmount('0.00')).toThrow('the amount must be more than zero');
    for (const bad of ['-1', '1e3', '1,00', '', '.5', '5.', 'NaN', '0x10', '1.2.3']) {
      expect(() => parseAmount(bad)).toThrow(/is not an amount/);
    }
  });

  it('formats and parses back without loss', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 40n }), (minor) => {
        expect(parseAmount(formatAmount(minor))).toBe(minor);
      }),
    );
    expect(formatAmount(5n)).toBe('0.05');
    expect(formatAmount(-1234n)).toBe('-12.34');
  });
});

describe('addresses', () => {
  const good = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
  it('accepts a checksummed or single-case address and returns it checksummed', () => {
    expect(parseAddress(good)).toBe(good);
    expect(parseAddress(good.toLowerCase())).toBe(good);
  });
  it('refuses a wrong checksum and anything that is not an address', () => {
    const typo = good.replace('C51812', 'c51812');
    expect(() => parseAddress(typo, 'recipient')).toThrow(
      `the recipient ${typo} has a wrong checksum (mistyped?); expected ${good}`,
    );
    expect(() => parseAddress('0x1234')).toThrow('is not a 0x-prefixed 20-byte address');
  });
});
