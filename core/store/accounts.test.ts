import { beforeEach, describe, expect, it } from 'vitest';
import { memoryStore, walletAccount } from '../../test/support/store-fixtures.js';
import { addAccount, findAccountByKeyUri, getAccount, listAccounts } from './accounts.js';
import type { Store } from './database.js';

let store: Store;
beforeEach(() => {
  store = memoryStore();
});

describe('accounts', () => {
  it('adds an account and finds it by address (any case) and by key URI', () => {
    const account = walletAccount(1);
    const added = addAccount(store, account);
    expect(added).toEqual({ ...account, createdAt: '2026-01-01T00:00:01.000Z' });
    expect(getAccount(store, account.address.toLowerCase())).toEqual(added);
    expect(findAccountByKeyUri(store, account.keyUri)).toEqual(added);
    expect(findAccountByKeyUri(store, 'pkcs11:object=nobody')).toBeUndefined();
  });

  it('stores the EIP-55 form of a lowercase address', () => {
    const account = walletAccount(2);
    addAccount(store, { ...account, address: account.address.toLowerCase() as `0x${string}` });
    expect(listAccounts(store).map((a) => a.address)).toEqual([account.address]);
  });

  it('treats adding the same address and key again as a no-op', () => {
    const first = addAccount(store, walletAccount(1));
    expect(addAccount(store, { ...walletAccount(1), name: 'renamed?' })).toEqual(first);
    expect(listAccounts(store)).toHaveLength(1);
  });

  it('refuses the same address with a different key URI', () => {
    addAccount(store, walletAccount(1));
    const other = { ...walletAccount(1), keyUri: 'pkcs11:token=Other;object=key-1' };
    expect(() => addAccount(store, other)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('different key'),
      }),
    );
  });

  it('refuses a key URI that already belongs to another account', () => {
    addAccount(store, walletAccount(1));
    const p256 = { ...walletAccount(2), curve: 'p256' as const, keyUri: walletAccount(1).keyUri };
    expect(() => addAccount(store, p256)).toThrow(/already belongs to account/);
  });

  it('refuses a bad checksum, a non-pkcs11 URI and an address that is not the key', () => {
    const account = walletAccount(1);
    const badChecksum = account.address.replace(/[a-f]/, (c) => c.toUpperCase());
    expect(() => addAccount(store, { ...account, address: badChecksum as `0x${string}` })).toThrow(
      expect.objectContaining({ code: 'ADDRESS_INVALID' }),
    );
    expect(() => addAccount(store, { ...account, keyUri: 'file:///key' })).toThrow(
      expect.objectContaining({ code: 'INVALID_URI' }),
    );
    expect(() => addAccount(store, { ...account, address: walletAccount(2).address })).toThrow(
      /is not the address of this public key/,
    );
    expect(listAccounts(store)).toEqual([]);
  });

  it('lists accounts oldest first', () => {
    addAccount(store, walletAccount(3));
    addAccount(store, walletAccount(1));
    expect(listAccounts(store).map((a) => a.name)).toEqual(['Account 3', 'Account 1']);
  });
});
