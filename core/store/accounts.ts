/**
 * The wallet's accounts: an address and the token key that signs for it. One key,
 * one account (key_uri is UNIQUE); an address never changes its key.
 */
import type { Address, Hex } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import type { CurveName } from '../api/devices.js';
import { SignetError } from '../api/errors.js';
import { checksumAddress, hexBytes } from './codec.js';
import type { Store } from './database.js';

export interface Account {
  /** EIP-55 checksummed. */
  address: Address;
  /** pkcs11: URI of the key on a token, or ledger: URI of the account on a Ledger. */
  keyUri: string;
  name: string;
  curve: CurveName;
  publicKey: Hex;
  /** ISO 8601. */
  createdAt: string;
}

export type NewAccount = Omit<Account, 'createdAt'>;

interface AccountRow {
  address: string;
  key_uri: string;
  name: string;
  curve: string;
  public_key: string;
  created_at: string;
}

/** Adds an account; adding the same address with the same key again is a no-op. */
export function addAccount(store: Store, account: NewAccount): Account {
  const address = checksumAddress(account.address, 'account address');
  const publicKey = hexBytes(account.publicKey, 'public key');
  if (!/^(pkcs11|ledger):/.test(account.keyUri)) {
    throw new SignetError(
      'INVALID_URI',
      `the account's key must be a pkcs11: or ledger: URI: ${account.keyUri}`,
    );
  }
  // A secp256k1 address is derived from the key: a mismatch is a bug upstream.
  if (account.curve === 'secp256k1' && publicKeyToAddress(publicKey) !== address) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `address ${address} is not the address of this public key`,
      { details: { address, keyUri: account.keyUri } },
    );
  }
  return store.transaction(() => {
    const existing = getAccount(store, address);
    if (existing) {
      if (existing.keyUri === account.keyUri) return existing;
      throw new SignetError(
        'INVALID_ARGUMENT',
        `account ${address} already exists with a different key`,
        { details: { address, keyUri: existing.keyUri, newKeyUri: account.keyUri } },
      );
    }
    const other = findAccountByKeyUri(store, account.keyUri);
    if (other) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `that key already belongs to account ${other.address}`,
        { details: { address: other.address, keyUri: account.keyUri } },
      );
    }
    const created: Account = {
      address,
      keyUri: account.keyUri,
      name: account.name,
      curve: account.curve,
      publicKey,
      createdAt: store.now().toISOString(),
    };
    store.db
      .prepare(
        `INSERT INTO accounts (address, key_uri, name, curve, public_key, created_at)
         VALUES (@address, @keyUri, @name, @curve, @publicKey, @createdAt)`,
      )
      .run(created);
    return created;
  });
}

export function getAccount(store: Store, address: string): Account | undefined {
  const row = store.db
    .prepare<[string], AccountRow>('SELECT * FROM accounts WHERE address = ?')
    .get(checksumAddress(address));
  return row && fromRow(row);
}

/** Oldest first, the order the user added them. */
/** The account, or ACCOUNT_UNKNOWN: for callers that act for one of the wallet's accounts. */
export function requireAccount(store: Store, address: string): Account {
  const account = getAccount(store, address);
  if (!account) {
    throw new SignetError('ACCOUNT_UNKNOWN', `${address} is not one of this wallet's accounts`, {
      details: { address },
    });
  }
  return account;
}

export function listAccounts(store: Store): Account[] {
  return store.db
    .prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY created_at, address')
    .all()
    .map(fromRow);
}

export function findAccountByKeyUri(store: Store, keyUri: string): Account | undefined {
  const row = store.db
    .prepare<[string], AccountRow>('SELECT * FROM accounts WHERE key_uri = ?')
    .get(keyUri);
  return row && fromRow(row);
}

function fromRow(row: AccountRow): Account {
  return {
    address: row.address as Address,
    keyUri: row.key_uri,
    name: row.name,
    curve: row.curve as CurveName,
    publicKey: row.public_key as Hex,
    createdAt: row.created_at,
  };
}
