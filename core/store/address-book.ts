/**
 * The user's address book: a name for another party's address, shown beside
 * the hex on every review (core/app/address-names.ts). A name names one
 * address and is never one of the wallet's own accounts' names, and the
 * wallet's own accounts are named by their account, not here: so a name on a
 * review says which party it is and where the name comes from. Every change
 * goes into the audit log, as what a review shows depends on it. The book holds
 * at most ADDRESS_BOOK_MAX_ENTRIES entries, so listing it is bounded.
 */
import { type Address, getAddress } from 'viem';
import {
  ADDRESS_BOOK_MAX_ENTRIES,
  type AddressBookEntry,
  addressBookNameSchema,
} from '../api/address-book.js';
import { SignetError } from '../api/errors.js';
import { listAccounts } from './accounts.js';
import { appendAudit } from './audit-log.js';
import { checksumAddress } from './codec.js';
import type { Store } from './database.js';

interface EntryRow {
  address: string;
  name: string;
  created_at: string;
  updated_at: string;
}

const fromRow = (row: EntryRow): AddressBookEntry => ({
  address: row.address,
  name: row.name,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/**
 * Every entry, by name. The cap bounds it; the LIMIT holds even for a book
 * filled before there was one (its first entries by name, then).
 */
export function listAddressBook(store: Store): AddressBookEntry[] {
  return store.db
    .prepare<[number], EntryRow>(
      'SELECT * FROM address_book ORDER BY name COLLATE NOCASE, address LIMIT ?',
    )
    .all(ADDRESS_BOOK_MAX_ENTRIES)
    .map(fromRow);
}

/**
 * The names of just these addresses (any case), keyed by lower-case address:
 * what a review needs, read in one query rather than the whole book.
 */
export function addressBookNames(store: Store, addresses: readonly string[]): Map<string, string> {
  const wanted = [...new Set(addresses.map((a) => getAddress(a)))];
  const names = new Map<string, string>();
  // SQLite allows 32,766 parameters a statement; a review shows a handful of addresses.
  for (let i = 0; i < wanted.length; i += 500) {
    const chunk = wanted.slice(i, i + 500);
    const rows = store.db
      .prepare<string[], Pick<EntryRow, 'address' | 'name'>>(
        `SELECT address, name FROM address_book WHERE address IN (${chunk.map(() => '?').join(', ')})`,
      )
      .all(...chunk);
    for (const row of rows) names.set(row.address.toLowerCase(), row.name);
  }
  return names;
}

export function getAddressBookEntry(store: Store, address: string): AddressBookEntry | undefined {
  const row = store.db
    .prepare<[string], EntryRow>('SELECT * FROM address_book WHERE address = ?')
    .get(checksumAddress(address));
  return row && fromRow(row);
}

/** Adds a name for an address that has none yet. */
export function addAddressBookEntry(
  store: Store,
  entry: { address: string; name: string },
): AddressBookEntry {
  const address = checksumAddress(entry.address);
  const name = checkedName(entry.name);
  return store.transaction(() => {
    const existing = getAddressBookEntry(store, address);
    if (existing) {
      throw refused(
        `${address} is already in the address book as "${existing.name}"; rename it instead`,
        'address-taken',
        { address, name: existing.name },
      );
    }
    const account = listAccounts(store).find((a) => a.address === address);
    if (account) {
      throw refused(
        `${address} is your account "${account.name}"; reviews name it so already`,
        'own-account',
        { address, account: account.name },
      );
    }
    requireFreeName(store, name, address);
    requireRoom(store);
    const at = store.now().toISOString();
    store.db
      .prepare(
        'INSERT INTO address_book (address, name, created_at, updated_at) VALUES (?, ?, ?, ?)',
      )
      .run(address, name, at, at);
    appendAudit(store, { action: 'address-book-add', subject: { address, name } });
    return { address, name, createdAt: at, updatedAt: at };
  });
}

export function renameAddressBookEntry(
  store: Store,
  address: string,
  newName: string,
): AddressBookEntry {
  const checked = checksumAddress(address);
  const name = checkedName(newName);
  return store.transaction(() => {
    const existing = requireEntry(store, checked);
    if (existing.name === name) return existing;
    requireFreeName(store, name, checked);
    const at = store.now().toISOString();
    store.db
      .prepare('UPDATE address_book SET name = ?, updated_at = ? WHERE address = ?')
      .run(name, at, checked);
    appendAudit(store, {
      action: 'address-book-rename',
      subject: { address: checked, name, previous: existing.name },
    });
    return { ...existing, name, updatedAt: at };
  });
}

/** Removes an entry; returns what it was. */
export function removeAddressBookEntry(store: Store, address: string): AddressBookEntry {
  const checked = checksumAddress(address);
  return store.transaction(() => {
    const existing = requireEntry(store, checked);
    store.db.prepare('DELETE FROM address_book WHERE address = ?').run(checked);
    appendAudit(store, {
      action: 'address-book-remove',
      subject: { address: checked, name: existing.name },
    });
    return existing;
  });
}

function checkedName(text: string): string {
  const parsed = addressBookNameSchema.safeParse(text);
  if (!parsed.success) {
    throw refused(
      `the name is not usable: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      'name-invalid',
      {},
    );
  }
  return parsed.data;
}

/** One entry more must fit under the cap. */
function requireRoom(store: Store): void {
  const { entries } = store.db
    .prepare<[], { entries: number }>('SELECT count(*) AS entries FROM address_book')
    .get()!;
  if (entries >= ADDRESS_BOOK_MAX_ENTRIES) {
    throw refused(
      `the address book is full (${ADDRESS_BOOK_MAX_ENTRIES} entries); remove one to add another`,
      'address-book-full',
      { entries, max: ADDRESS_BOOK_MAX_ENTRIES },
    );
  }
}

function requireEntry(store: Store, address: Address): AddressBookEntry {
  const entry = getAddressBookEntry(store, address);
  if (!entry) {
    throw refused(`${address} is not in the address book`, 'not-in-address-book', { address });
  }
  return entry;
}

/** A name names one party: not another entry's (any case), nor one of the wallet's accounts' or treasuries'. */
function requireFreeName(store: Store, name: string, address: Address): void {
  const other = store.db
    .prepare<[string, string], EntryRow>(
      'SELECT * FROM address_book WHERE name = ? COLLATE NOCASE AND address != ?',
    )
    .get(name, address);
  if (other) {
    throw refused(`the name "${other.name}" is already used for ${other.address}`, 'name-taken', {
      name: other.name,
      address: other.address,
    });
  }
  const folded = name.toLowerCase();
  const account = listAccounts(store).find((a) => a.name.toLowerCase() === folded);
  if (account) {
    throw refused(
      `"${account.name}" is the name of your account ${account.address}; choose another`,
      'name-taken',
      { name: account.name, address: account.address },
    );
  }
  // A payee named as a treasury would read, on an approver's review, as money kept in the house.
  const treasury = store.db
    .prepare<[string], { name: string; address: string }>(
      'SELECT name, address FROM treasuries WHERE name = ? COLLATE NOCASE LIMIT 1',
    )
    .get(name);
  if (treasury) {
    throw refused(
      `"${treasury.name}" is the name of your treasury ${treasury.address}; choose another`,
      'name-taken',
      { name: treasury.name, address: treasury.address },
    );
  }
}

function refused(message: string, reason: string, details: Record<string, unknown>) {
  return new SignetError('INVALID_ARGUMENT', message, { details: { reason, ...details } });
}
