/**
 * How values cross into and out of SQLite: EIP-55 addresses, uint256 amounts as
 * canonical decimal text (never floats, never REAL), lowercase hashes, and safe
 * integers for block numbers and nonces. Every check names the input it refuses.
 */
import { type Address, getAddress, type Hex, isAddress } from 'viem';
import { SignetError } from '../api/errors.js';

const UINT256_MAX = 2n ** 256n - 1n;

/** The EIP-55 form of an address; a mixed-case address with a wrong checksum is refused. */
export function checksumAddress(text: string, what = 'address'): Address {
  if (typeof text !== 'string' || !isAddress(text, { strict: true })) {
    throw new SignetError(
      'ADDRESS_INVALID',
      `the ${what} must be 0x and 40 hex digits with a valid EIP-55 checksum: ${String(text)}`,
      { details: { what } },
    );
  }
  return getAddress(text);
}

export function optionalAddress(text: string | null | undefined, what: string): Address | null {
  return text === null || text === undefined ? null : checksumAddress(text, what);
}

/** A uint256 as the store keeps it: decimal text without leading zeros. */
export function uintText(value: bigint, what: string): string {
  if (typeof value !== 'bigint' || value < 0n || value > UINT256_MAX) {
    throw new SignetError(
      'AMOUNT_INVALID',
      `the ${what} must be a bigint from 0 to 2^256-1 (minor units), got ${String(value)}`,
      { details: { what } },
    );
  }
  return value.toString();
}

/** Block numbers, nonces, log indexes, chain ids, unix times: exact in a JS number. */
export function safeUint(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `the ${what} must be a non-negative integer, got ${value}`,
      { details: { what } },
    );
  }
  return value;
}

/** A 32-byte hash (transaction, block), lowercased so lookups match. */
export function hash32(text: string, what: string): Hex {
  if (typeof text !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(text)) {
    throw new SignetError('INVALID_ARGUMENT', `the ${what} must be 0x and 64 hex digits`, {
      details: { what },
    });
  }
  return text.toLowerCase() as Hex;
}

/** Non-empty hex bytes (a signed transaction, a public key), lowercased. */
export function hexBytes(text: string, what: string): Hex {
  if (typeof text !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(text)) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `the ${what} must be 0x and an even number of hex digits`,
      { details: { what } },
    );
  }
  return text.toLowerCase() as Hex;
}

/** JSON columns always hold an object (CHECK json_valid guards the text). */
export function parseJsonObject(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}
