/** Addresses typed by people: a mixed-case address must carry a valid EIP-55 checksum. */
import { type Address, getAddress } from 'viem';
import { SignetError } from '../api/errors.js';

export function parseAddress(text: string, what = 'address'): Address {
  const trimmed = text.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(trimmed)) {
    throw new SignetError(
      'ADDRESS_INVALID',
      `the ${what} "${text}" is not a 0x-prefixed 20-byte address`,
    );
  }
  const checksummed = getAddress(trimmed);
  const body = trimmed.slice(2);
  const singleCase = body === body.toLowerCase() || body === body.toUpperCase();
  if (!singleCase && checksummed !== trimmed) {
    throw new SignetError(
      'ADDRESS_INVALID',
      `the ${what} ${trimmed} has a wrong checksum (mistyped?); expected ${checksummed}`,
    );
  }
  return checksummed;
}
