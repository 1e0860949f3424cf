/**
 * The wallet account a key URI names. People type short URIs
 * (`pkcs11:token=Alice;object=cash`); accounts keep the full one. Every
 * attribute the typed URI gives must match, and exactly one account must.
 * A `ledger:` URI names one account exactly (device id and account index).
 * No device access: this works offline and with the token or Ledger unplugged.
 */
import { isLedgerDeviceUri, parseLedgerDeviceUri } from '../../native/hid/uri.js';
import { type Pkcs11Uri, parsePkcs11Uri } from '../../native/pkcs11/uri.js';
import { SignetError } from '../api/errors.js';
import { type Account, listAccounts } from '../store/accounts.js';
import type { Store } from '../store/database.js';

const attributes = ['token', 'manufacturer', 'serial', 'model', 'object', 'modulePath'] as const;

function matches(wanted: Pkcs11Uri, have: Pkcs11Uri): boolean {
  if (wanted.id && (!have.id || Buffer.compare(Buffer.from(wanted.id), Buffer.from(have.id)) !== 0))
    return false;
  return attributes.every((name) => wanted[name] === undefined || wanted[name] === have[name]);
}

/** The accounts a URI names: token accounts by their attributes, Ledger accounts exactly. */
function matching(store: Store, keyUri: string): Account[] {
  const accounts = listAccounts(store);
  if (isLedgerDeviceUri(keyUri)) {
    const wanted = parseLedgerDeviceUri(keyUri);
    return accounts.filter((account) => {
      if (!isLedgerDeviceUri(account.keyUri)) return false;
      const have = parseLedgerDeviceUri(account.keyUri);
      return have.device === wanted.device && have.account === wanted.account;
    });
  }
  const wanted = parsePkcs11Uri(keyUri);
  return accounts.filter(
    (account) =>
      !isLedgerDeviceUri(account.keyUri) && matches(wanted, parsePkcs11Uri(account.keyUri)),
  );
}

export function findAccount(store: Store, keyUri: string): Account {
  const found = matching(store, keyUri);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new SignetError(
      'ACCOUNT_UNKNOWN',
      `no wallet account uses ${keyUri}; add it with \`signet account add --key URI\``,
    );
  }
  throw new SignetError(
    'AMBIGUOUS_URI',
    `${found.length} wallet accounts match ${keyUri}: ${found.map((a) => a.name).join(', ')}; add object= or id=`,
  );
}
