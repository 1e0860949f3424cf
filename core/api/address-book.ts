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
 * The most entries the book holds: names for the parties one deals with, not a
 * directory. It bounds what any caller (a page holding the bridge token) can
 * add, and so `addressBook.list`, which returns the whole book.
 */
export const ADDRESS_BOOK_MAX_ENTRIES = 1000;

/**
 * The longest text accepted as typed, in UTF-16 units, checked before anything
 * walks the text: 64 characters of up to two units each, and room for spaces
 * trimmed around them.
 */
const NAME_INPUT_MAX = 4 * ADDRESS_BOOK_NAME_MAX;

/**
 * A name as people type it: trimmed, 1 to 64 characters, no control or
 * invisible formatting characters (a right-to-left override or a zero-width
 * space could make one name pass for another on screen).
 */
export const addressBookNameSchema = z
  .string()
  // abort: zod runs later checks after a failed one unless told; these walk the text.
  .max(NAME_INPUT_MAX, { message: `at most ${ADDRESS_BOOK_NAME_MAX} characters`, abort: true })
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
  /** By name: the whole book, at most ADDRESS_BOOK_MAX_ENTRIES entries. */
  'addressBook.list': z.array(addressBookEntrySchema),
  'addressBook.add': addressBookEntrySchema,
  'addressBook.rename': addressBookEntrySchema,
  /** The entry removed. */
  'addressBook.remove': addressBookEntrySchema,
} as const;
