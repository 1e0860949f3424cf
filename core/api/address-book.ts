/**
 * The address book part of Signet's API contract: names the user keeps for
 * other people's addresses, shown beside the hex wherever a review shows an
 * address (core/app/address-names.ts). Pure zod, no Node imports.
 */
import { z } from 'zod';
import { addressInputSchema } from './chain.js';

/** The longest name, in characters: it has to fit beside an address on a review. */
export const ADDRESS_BOOK_NAME_MAX = 64;

/**
 * A name as people type it: trimmed, 1 to 64 characters, no control or
 * invisible formatting characters (a right-to-left override or a zero-width
 * space could make one name pass for another on screen).
 */
export const addressBookNameSchema = z
  .string()
  .trim()
  .min(1, 'a name')
  .refine((name) => [...name].length <= ADDRESS_BOOK_NAME_MAX, {
    message: `at most ${ADDRESS_BOOK_NAME_MAX} characters`,
  })
  .refine((name) => !/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(name), {
    message: 'no control or invisible characters',
  });

export const addressBookEntrySchema = z.object({
  /** EIP-55. */
  address: z.string(),
  name: z.string(),
  /** ISO 8601: when the entry was added, and last renamed. */
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AddressBookEntry = z.infer<typeof addressBookEntrySchema>;

export const addressBookRequests = {
  'addressBook.list': z.object({}),
  'addressBook.add': z.object({ address: addressInputSchema, name: addressBookNameSchema }),
  'addressBook.rename': z.object({ address: addressInputSchema, name: addressBookNameSchema }),
  'addressBook.remove': z.object({ address: addressInputSchema }),
} as const;

export const addressBookResults = {
  /** By name. */
  'addressBook.list': z.array(addressBookEntrySchema),
  'addressBook.add': addressBookEntrySchema,
  'addressBook.rename': addressBookEntrySchema,
  /** The entry removed. */
  'addressBook.remove': addressBookEntrySchema,
} as const;
