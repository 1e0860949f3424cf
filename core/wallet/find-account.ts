/**
 * The wallet account a key URI names. People type short URIs
 * (`pkcs11:token=Alice;object=cash`); accounts keep the full one. Every
 * attribute the typed URI gives must match, and exactly one account must.
 * No token access: this works offline and with the token unplugged.
 */
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

export function findAccount(store: Store, keyUri: string): Account {
  const wanted = parsePkcs11Uri(keyUri);
  const found = listAccounts(store).filter((account) =>
    matches(wanted, parsePkcs11Uri(account.keyUri)),
  );
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
