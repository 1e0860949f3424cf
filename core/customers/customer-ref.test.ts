import { keccak256, stringToBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../api/errors.js';
import { customerRefHash, normaliseCustomerRef } from './customer-ref.js';

const refusal = (text: string) => {
  try {
    normaliseCustomerRef(text);
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    return error as SignetError;
  }
  throw new Error(`"${text}" was accepted`);
};

describe('customer references', () => {
  it('hashes the tagged, normalised UTF-8 text with keccak256', () => {
    expect(customerRefHash('CUST-00042')).toBe(
      keccak256(stringToBytes('signet-customer-ref-1:CUST-00042')),
    );
    // Not the bare text's hash: the tag keeps it apart.
    expect(customerRefHash('CUST-00042')).not.toBe(keccak256(stringToBytes('CUST-00042')));
  });

  it('hashes the same reference the same however it was typed: NFC, no surrounding space', () => {
    const composed = 'Zoë-7';
    const decomposed = 'Zoe\u0308-7';
    expect(decomposed).not.toBe(composed);
    expect(customerRefHash(decomposed)).toBe(customerRefHash(composed));
    expect(customerRefHash('  CUST-1 \t')).toBe(customerRefHash('CUST-1'));
    // Case and inner spaces are the bank's: kept.
    expect(customerRefHash('cust-1')).not.toBe(customerRefHash('CUST-1'));
    expect(customerRefHash('A B')).not.toBe(customerRefHash('AB'));
  });

  it('counts characters, not UTF-16 units: 128 CJK or emoji characters pass, 129 do not', () => {
    expect(normaliseCustomerRef('客'.repeat(128))).toHaveLength(128);
    expect(() => normaliseCustomerRef('😀'.repeat(128))).not.toThrow();
    expect(refusal('😀'.repeat(129)).message).toBe(
      'the customer reference has 129 characters; at most 128',
    );
  });

  it('refuses an empty reference, one too long, and control characters', () => {
    expect(refusal('').message).toBe('the customer reference is empty');
    expect(refusal(' \n ').details).toEqual({ field: 'customer', reason: 'customer-empty' });
    expect(refusal('x'.repeat(129)).details).toEqual({
      field: 'customer',
      reason: 'customer-too-long',
    });
    expect(refusal('CUST\n42').message).toBe('the customer reference contains a control character');
    expect(refusal('CUST\u0000').code).toBe('INVALID_ARGUMENT');
  });
});
