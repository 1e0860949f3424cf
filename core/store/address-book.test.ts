import { getAddress } from 'viem';
import { beforeEach, describe, expect, it } from 'vitest';
import { memoryStore, walletAccount } from '../../test/support/store-fixtures.js';
import { ADDRESS_BOOK_MAX_ENTRIES, addressBookNameSchema } from '../api/address-book.js';
import { addAccount } from './accounts.js';
import {
  addAddressBookEntry,
  addressBookNames,
  getAddressBookEntry,
  listAddressBook,
  removeAddressBookEntry,
  renameAddressBookEntry,
} from './address-book.js';
import { listAudit, verifyAuditChain } from './audit-log.js';
import type { Store } from './database.js';

let store: Store;
const alice = walletAccount(1);
const bob = walletAccount(2).address;
const carol = walletAccount(3).address;
beforeEach(() => {
  store = memoryStore();
  addAccount(store, { ...alice, name: 'alice' });
});

/** The refusal `fn` throws: code and reason, and nothing written. */
function refusal(fn: () => unknown) {
  const before = { book: listAddressBook(store), audit: verifyAuditChain(store).entries };
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(listAddressBook(store)).toEqual(before.book);
  expect(verifyAuditChain(store).entries).toBe(before.audit);
  const error = caught as { code?: string; message?: string; details?: { reason?: string } };
  expect(error?.message).not.toContain('\n');
  return { code: error?.code, reason: error?.details?.reason };
}

describe('the address book', () => {
  it('adds, lists by name, renames and removes, each change in the audit log', () => {
    const added = addAddressBookEntry(store, { address: bob.toLowerCase(), name: '  Bob’s shop ' });
    expect(added).toEqual({
      address: bob, // EIP-55, whatever case was typed
      name: 'Bob’s shop', // trimmed
      createdAt: expect.any(String),
      updatedAt: added.createdAt,
    });
    addAddressBookEntry(store, { address: carol, name: 'Acme bank' });
    expect(listAddressBook(store).map((e) => e.name)).toEqual(['Acme bank', 'Bob’s shop']);

    const renamed = renameAddressBookEntry(store, bob, 'Zed');
    expect(renamed).toMatchObject({ address: bob, name: 'Zed', createdAt: added.createdAt });
    expect(renamed.updatedAt > added.updatedAt).toBe(true);
    expect(getAddressBookEntry(store, bob)?.name).toBe('Zed');
    // Renaming to the name it has, in another case of the same name, is allowed.
    expect(renameAddressBookEntry(store, bob, 'ZED').name).toBe('ZED');

    expect(removeAddressBookEntry(store, carol).name).toBe('Acme bank');
    expect(listAddressBook(store).map((e) => e.address)).toEqual([bob]);

    const actions = listAudit(store, { limit: 10 }).map((e) => [e.action, e.subject]);
    expect(actions.reverse()).toEqual([
      ['address-book-add', { address: bob, name: 'Bob’s shop' }],
      ['address-book-add', { address: carol, name: 'Acme bank' }],
      ['address-book-rename', { address: bob, name: 'Zed', previous: 'Bob’s shop' }],
      ['address-book-rename', { address: bob, name: 'ZED', previous: 'Zed' }],
      ['address-book-remove', { address: carol, name: 'Acme bank' }],
    ]);
    expect(verifyAuditChain(store).intact).toBe(true);
  });

  it('keeps one name per party: no second name for an address, no name twice (any case)', () => {
    addAddressBookEntry(store, { address: bob, name: 'Bob' });
    expect(refusal(() => addAddressBookEntry(store, { address: bob, name: 'Robert' }))).toEqual({
      code: 'INVALID_ARGUMENT',
      reason: 'address-taken',
    });
    expect(refusal(() => addAddressBookEntry(store, { address: carol, name: 'bob' }))).toEqual({
      code: 'INVALID_ARGUMENT',
      reason: 'name-taken',
    });
    addAddressBookEntry(store, { address: carol, name: 'Carol' });
    expect(refusal(() => renameAddressBookEntry(store, carol, 'BOB'))).toEqual({
      code: 'INVALID_ARGUMENT',
      reason: 'name-taken',
    });
  });

  it("never names the wallet's own accounts, nor takes one of their names", () => {
    expect(
      refusal(() => addAddressBookEntry(store, { address: alice.address, name: 'A' })),
    ).toEqual({ code: 'INVALID_ARGUMENT', reason: 'own-account' });
    // "Alice" in the address book would pass for the wallet's own account "alice".
    expect(refusal(() => addAddressBookEntry(store, { address: bob, name: 'Alice' }))).toEqual({
      code: 'INVALID_ARGUMENT',
      reason: 'name-taken',
    });
  });

  it('refuses names that are empty, too long, or hide characters, and bad addresses', () => {
    const bad = [
      '',
      '   ',
      'x'.repeat(65),
      'Bob\u202Egnp.exe', // right-to-left override: shows as "Bobexe.png"
      'Bob\u200B', // zero-width space: "Bob" twice, two parties
      'Bob\nAlice',
      'Bob\u0000',
    ];
    for (const name of bad) {
      expect(
        refusal(() => addAddressBookEntry(store, { address: bob, name })),
        name,
      ).toEqual({
        code: 'INVALID_ARGUMENT',
        reason: 'name-invalid',
      });
    }
    // 64 characters fit, counted as characters (not UTF-16 units): 64 CJK ones or emoji.
    expect(addAddressBookEntry(store, { address: bob, name: '银'.repeat(64) }).name).toHaveLength(
      64,
    );
    expect(addAddressBookEntry(store, { address: carol, name: '🏦'.repeat(64) }).name).toBe(
      '🏦'.repeat(64),
    );
    // A checksum with one letter's case flipped: a mistyped address, refused.
    const letter = bob.slice(2).search(/[a-fA-F]/) + 2;
    const flip = (c: string) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());
    const mistyped = bob.slice(0, letter) + flip(bob[letter]!) + bob.slice(letter + 1);
    for (const address of [mistyped, bob.slice(0, 41), 'bob']) {
      expect(refusal(() => addAddressBookEntry(store, { address, name: 'D' })).code).toBe(
        'ADDRESS_INVALID',
      );
    }
  });

  it('says so when renaming or removing an address it does not hold', () => {
    expect(refusal(() => renameAddressBookEntry(store, bob, 'Bob'))).toEqual({
      code: 'INVALID_ARGUMENT',
      reason: 'not-in-address-book',
    });
    expect(refusal(() => removeAddressBookEntry(store, bob))).toEqual({
      code: 'INVALID_ARGUMENT',
      reason: 'not-in-address-book',
    });
  });

  it('holds at most ADDRESS_BOOK_MAX_ENTRIES entries: one more is refused in one line until one is removed', () => {
    // Party i at 0xab…i: none of them is alice, bob or carol.
    const party = (i: number) => getAddress(`0xab${i.toString(16).padStart(38, '0')}`);
    for (let i = 0; i < ADDRESS_BOOK_MAX_ENTRIES; i++) {
      addAddressBookEntry(store, { address: party(i), name: `Party ${i}` });
    }
    expect(refusal(() => addAddressBookEntry(store, { address: bob, name: 'Bob' }))).toEqual({
      code: 'INVALID_ARGUMENT',
      reason: 'address-book-full',
    });
    expect(() => addAddressBookEntry(store, { address: bob, name: 'Bob' })).toThrow(
      `the address book is full (${ADDRESS_BOOK_MAX_ENTRIES} entries); remove one to add another`,
    );
    // Renaming needs no room; removing one makes room for one.
    expect(renameAddressBookEntry(store, party(0), 'First party').name).toBe('First party');
    removeAddressBookEntry(store, party(1));
    expect(addAddressBookEntry(store, { address: bob, name: 'Bob' }).address).toBe(bob);
    expect(listAddressBook(store)).toHaveLength(ADDRESS_BOOK_MAX_ENTRIES);
  });

  it('lists at most ADDRESS_BOOK_MAX_ENTRIES, even from a book filled before there was a cap', () => {
    const insert = store.db.prepare(
      "INSERT INTO address_book (address, name, created_at, updated_at) VALUES (?, ?, '', '')",
    );
    for (let i = 0; i <= ADDRESS_BOOK_MAX_ENTRIES; i++) {
      insert.run(getAddress(`0xcd${i.toString(16).padStart(38, '0')}`), `P${i}`);
    }
    const listed = listAddressBook(store);
    expect(listed).toHaveLength(ADDRESS_BOOK_MAX_ENTRIES);
    // By name, as always: the first ones.
    expect(listed[0]!.name).toBe('P0');
  });

  it('reads the names of just the addresses asked for, in any case', () => {
    addAddressBookEntry(store, { address: bob, name: 'Bob' });
    addAddressBookEntry(store, { address: carol, name: 'Carol' });
    const names = addressBookNames(store, [bob.toLowerCase(), alice.address, bob]);
    expect([...names]).toEqual([[bob.toLowerCase(), 'Bob']]);
    expect(addressBookNames(store, [])).toEqual(new Map());
  });

  it('refuses a huge name by its length alone, before any check walks its characters', () => {
    // Had the character checks run, the control characters would add an issue of their own.
    const huge = '\u0000'.repeat(1_000_000);
    const parsed = addressBookNameSchema.safeParse(huge);
    expect(parsed.error?.issues.map((i) => i.message)).toEqual(['at most 64 characters']);
    expect(refusal(() => addAddressBookEntry(store, { address: bob, name: huge }))).toEqual({
      code: 'INVALID_ARGUMENT',
      reason: 'name-invalid',
    });
    // Spaces around a name are trimmed, within what a name's text may be.
    expect(addressBookNameSchema.parse(`  ${'银'.repeat(64)}  `)).toBe('银'.repeat(64));
  });
});
