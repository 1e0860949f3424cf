/**
 * `ledger:` URIs, the one parser and printer: a key on a Ledger device, as
 * `pkcs11:` URIs name a key on a token.
 *
 *   ledger:0x9858EfFD232B4033E47d90003D41EC34EcaEda94?path=m/44'/60'/0'/0/0
 *          └── device id ──────────────────────────┘      └─ BIP-44 path ─┘
 *
 * The device id is the address the device's Ethereum app derives at
 * m/44'/60'/0'/0/0, EIP-55 checksummed. Why not the USB serial number: Ledger
 * devices report the same HID serial ("0001") on every unit, and the HID path
 * (/dev/hidrawN, a USB port) changes with every replug. The first address is
 * what stays: it follows the seed, so a device restored from the same recovery
 * phrase is the same device to Signet (it holds the same keys), and a device
 * reset to another seed is not. It costs one GET_ADDRESS to read, is public
 * (the app shows it to anyone holding the unlocked device), and reveals no
 * more than the account 0 address it is. `signet devices list` prints it.
 *
 * Paths: the Ethereum app's BIP-44 accounts only, `m/44'/60'/x'/0/0`, where x
 * is the account index (0 ≤ x < 2³¹), hardened with `'`. Strict where leniency
 * could pick the wrong key: one spelling of each part, unknown or repeated
 * attributes refused, each failure one line.
 */
import { SignetError } from '../../core/api/errors.js';
import { checksumAddress } from './address.js';

export interface LedgerDeviceUri {
  /** The device's id: its Ethereum app's address at m/44'/60'/0'/0/0, EIP-55 checksummed. */
  device: string;
  /** The BIP-44 account index x of m/44'/60'/x'/0/0. */
  account: number;
}

/** The highest account index: BIP-32 hardened indexes are 0 … 2³¹−1. */
export const ledgerDeviceMaxAccount = 0x7fffffff;

const SCHEME = 'ledger:';

function invalid(reason: string, uri: string): SignetError {
  return new SignetError('INVALID_URI', `invalid ledger URI: ${reason}`, { details: { uri } });
}

/** Quoted for a message: one line, and cut short if someone pasted a page. */
const quote = (value: string) =>
  JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);

/** Is this text meant as a `ledger:` URI (whether or not it is a valid one)? */
export function isLedgerDeviceUri(text: string): boolean {
  return text.slice(0, SCHEME.length).toLowerCase() === SCHEME;
}

export function parseLedgerDeviceUri(text: string): LedgerDeviceUri {
  // The text goes into messages: JSON-quoted, and cut short if someone pastes a page.
  const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  const fail = (reason: string) => invalid(reason, shown);
  if (!isLedgerDeviceUri(text)) throw fail('it must start with "ledger:"');
  const rest = text.slice(SCHEME.length);
  if (/[#\s]/.test(rest)) throw fail('it must not contain spaces or "#"');
  const q = rest.indexOf('?');
  const deviceText = q < 0 ? rest : rest.slice(0, q);
  const queryText = q < 0 ? '' : rest.slice(q + 1);

  if (deviceText === '') {
    throw fail(
      "it names no device: write ledger:<device id>?path=m/44'/60'/0'/0/0 (`signet devices list` prints the id)",
    );
  }
  const device = parseDeviceId(deviceText, fail);

  const attributes = new Map<string, string>();
  for (const attribute of queryText === '' ? [] : queryText.split('&')) {
    const eq = attribute.indexOf('=');
    const name = eq < 0 ? attribute : attribute.slice(0, eq);
    if (name === '') throw fail('empty attribute name');
    if (eq < 0) throw fail(`attribute ${quote(name)} has no "="`);
    if (name !== 'path') throw fail(`unknown attribute ${quote(name)} (only path= is known)`);
    if (attributes.has(name)) throw fail(`attribute ${quote(name)} is repeated`);
    attributes.set(name, attribute.slice(eq + 1));
  }
  const path = attributes.get('path');
  if (path === undefined) throw fail("it has no path= (e.g. ?path=m/44'/60'/0'/0/0)");
  return { device, account: parsePath(path, fail) };
}

function parseDeviceId(text: string, fail: (reason: string) => SignetError): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw fail(`device id ${quote(text)} is not a 0x-prefixed 20-byte address`);
  }
  const checksummed = checksumAddress(text.slice(2));
  const body = text.slice(2);
  const singleCase = body === body.toLowerCase() || body === body.toUpperCase();
  if (!singleCase && checksummed !== text) {
    throw fail(`device id ${text} has a wrong checksum (mistyped?); expected ${checksummed}`);
  }
  return checksummed;
}

/** `m/44'/60'/x'/0/0` → x, or the first thing wrong with it. */
function parsePath(path: string, fail: (reason: string) => SignetError): number {
  const shape = "the Ethereum app's accounts are m/44'/60'/x'/0/0";
  if (path.includes('%')) {
    throw fail(`write the path plainly (m/44'/60'/0'/0/0), without percent-escapes`);
  }
  if (!path.startsWith('m/')) throw fail(`path ${quote(path)} must start with "m/"`);
  const levels = path.slice(2).split('/');
  if (levels.length !== 5) {
    throw fail(`path ${quote(path)} has ${levels.length} levels after m/, not 5: ${shape}`);
  }
  const parsed = levels.map((level) => parseLevel(level, path, fail));
  const [purpose, coin, account, change, index] = parsed as [Level, Level, Level, Level, Level];
  if (purpose.index !== 44 || !purpose.hardened) {
    throw fail(`path ${quote(path)} must begin m/44' (BIP-44): ${shape}`);
  }
  if (coin.index !== 60 || !coin.hardened) {
    throw fail(`path ${quote(path)} must have coin type 60' (Ethereum): ${shape}`);
  }
  if (!account.hardened) {
    throw fail(
      `the account level of ${quote(path)} must be hardened (${account.index}'): ${shape}`,
    );
  }
  if (change.index !== 0 || change.hardened || index.index !== 0 || index.hardened) {
    throw fail(`path ${quote(path)} must end /0/0 (not hardened): ${shape}`);
  }
  return account.index;
}

interface Level {
  index: number;
  hardened: boolean;
}

function parseLevel(level: string, path: string, fail: (reason: string) => SignetError): Level {
  const hardened = level.endsWith("'");
  const digits = hardened ? level.slice(0, -1) : level;
  if (/^\d+[hH’]$/.test(level)) {
    throw fail(
      `write hardened levels with ' (${level.slice(0, -1)}'), not ${quote(level.at(-1)!)}`,
    );
  }
  if (!/^(0|[1-9]\d*)$/.test(digits)) {
    throw fail(
      `level ${quote(level)} of path ${quote(path)} is not a decimal index (no sign, no leading zeros)`,
    );
  }
  const index = Number(digits);
  if (index > ledgerDeviceMaxAccount) {
    throw fail(
      `index ${digits} in path ${quote(path)} is out of range (0 to ${ledgerDeviceMaxAccount})`,
    );
  }
  return { index, hardened };
}

/** m/44'/60'/x'/0/0 for an account index. */
export function ledgerDevicePath(account: number): string {
  if (!Number.isSafeInteger(account) || account < 0 || account > ledgerDeviceMaxAccount) {
    throw new SignetError(
      'INVALID_URI',
      `invalid ledger URI: account index ${account} is out of range (0 to ${ledgerDeviceMaxAccount})`,
    );
  }
  return `m/44'/60'/${account}'/0/0`;
}

/** Prints the canonical form; refuses fields that would not parse back to themselves. */
export function formatLedgerDeviceUri(uri: LedgerDeviceUri): string {
  const text = `${SCHEME}${uri.device}?path=${ledgerDevicePath(uri.account)}`;
  const back = parseLedgerDeviceUri(text); // the parser is the one definition of valid
  if (back.device !== uri.device) {
    throw new SignetError(
      'INVALID_URI',
      `invalid ledger URI: device id ${uri.device} is not in its checksummed form ${back.device}`,
    );
  }
  return text;
}
