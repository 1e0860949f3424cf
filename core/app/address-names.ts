/**
 * Names for the addresses a review shows, so the user reads who, not only hex:
 * the ledger's contracts by their role (from the profile), the wallet's own
 * accounts by their names, the address book's entries by theirs, or "unknown".
 * In that order: a contract's role and an account's name are Signet's own
 * facts; the address book is what the user typed. Computed here, beside the
 * handlers, so every client (the UI, the CLI) shows the same names.
 */
import { type Address, getAddress } from 'viem';
import type { AddressName } from '../api/chain.js';
import { type ChainProfile, contractRoles } from '../api/profile.js';
import { listAccounts } from '../store/accounts.js';
import { addressBookNames } from '../store/address-book.js';
import type { Store } from '../store/database.js';

/** A 20-byte address standing alone in text (not the start of a longer hex value). */
const ADDRESS_IN_TEXT = /(?<![0-9a-zA-Z])0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])/g;

/**
 * Names `addresses` (20-byte hex, any case). Only their address book entries
 * are read, not the whole book: a review shows a handful of addresses.
 */
export function nameAddresses(
  store: Store,
  profile: ChainProfile,
  addresses: readonly string[],
): AddressName[] {
  const key = (address: string) => address.toLowerCase();
  const contracts = new Map(
    contractRoles.flatMap((role) => {
      const address = profile.contracts[role];
      return address ? [[key(address), role] as const] : [];
    }),
  );
  const accounts = new Map(listAccounts(store).map((a) => [key(a.address), a.name]));
  const checked = addresses.map((text) => getAddress(text));
  const book = addressBookNames(store, checked);
  return checked.map((address: Address): AddressName => {
    const role = contracts.get(key(address));
    if (role) return { address, kind: 'contract', role };
    const account = accounts.get(key(address));
    if (account !== undefined) return { address, kind: 'account', name: account };
    const entry = book.get(key(address));
    if (entry !== undefined) return { address, kind: 'address-book', name: entry };
    return { address, kind: 'unknown' };
  });
}

/** Every address in `value`'s strings (nested objects and arrays too), once each, named. */
export function namesIn(store: Store, profile: ChainProfile, value: unknown): AddressName[] {
  const found = new Map<string, string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const match of v.matchAll(ADDRESS_IN_TEXT)) found.set(match[0].toLowerCase(), match[0]);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return nameAddresses(store, profile, [...found.values()]);
}
