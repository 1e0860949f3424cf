import { getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  closedPortProfile,
  memoryStore,
  walletAccount,
} from '../../test/support/store-fixtures.js';
import { ADDRESS_BOOK_MAX_ENTRIES } from '../api/address-book.js';
import { addAccount } from '../store/accounts.js';
import { addAddressBookEntry } from '../store/address-book.js';
import { namesIn } from './address-names.js';

const profile = closedPortProfile({ name: 't', chainId: 7, confirmations: 0 });

describe('names on a review', () => {
  it('names each address in the preview, reading only their address book entries, not the whole book', () => {
    const store = memoryStore();
    const alice = walletAccount(1);
    addAccount(store, { ...alice, name: 'alice' });
    const party = (i: number) => getAddress(`0xab${i.toString(16).padStart(38, '0')}`);
    for (let i = 0; i < ADDRESS_BOOK_MAX_ENTRIES; i++) {
      addAddressBookEntry(store, { address: party(i), name: `Party ${i}` });
    }
    const stranger = getAddress(`0x${'ef'.repeat(20)}`);
    const preview = {
      from: alice.address,
      to: party(7).toLowerCase(),
      args: { 'offer.bank': party(999), note: `held by ${stranger}` },
      contract: profile.contracts.notes,
    };

    // Every statement the namer prepares, as SQL text.
    const prepared: string[] = [];
    const prepare = store.db.prepare.bind(store.db);
    store.db.prepare = ((sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    }) as typeof store.db.prepare;

    expect(namesIn(store, profile, preview)).toEqual([
      { address: alice.address, kind: 'account', name: 'alice' },
      { address: party(7), kind: 'address-book', name: 'Party 7' },
      { address: party(999), kind: 'address-book', name: 'Party 999' },
      { address: stranger, kind: 'unknown' },
      { address: getAddress(profile.contracts.notes), kind: 'contract', role: 'notes' },
    ]);
    const bookQueries = prepared.filter((sql) => /\baddress_book\b/.test(sql));
    expect(bookQueries).toEqual([
      'SELECT address, name FROM address_book WHERE address IN (?, ?, ?, ?, ?)',
    ]);
  });
});
