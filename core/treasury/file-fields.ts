/**
 * The fields the treasury's signed files (`.signet-approval`, `.signet-policy`)
 * share, checked the same way in both: addresses with a valid EIP-55 checksum,
 * uint256 values as decimal text, and the owner-list cap.
 */
import { getAddress, isAddress } from 'viem';
import { z } from 'zod';

export const UINT256_MAX = 2n ** 256n - 1n;
/** Far more owners than any treasury has; a file claiming more is refused unread. */
export const MAX_OWNERS = 64;

export const addressField = z
  .string()
  .refine(
    (text) => isAddress(text, { strict: true }),
    'not an address (0x and 40 hex digits, valid EIP-55 checksum)',
  )
  .transform((text) => getAddress(text));

export const uint256Field = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, 'not a decimal integer without leading zeros')
  .transform((text) => BigInt(text))
  .refine((value) => value <= UINT256_MAX, 'larger than 2^256-1');
