/**
 * RFC 7512 `pkcs11:` URIs: the one parser and printer. Stricter than the RFC where leniency
 * could pick the wrong key: unknown, repeated or malformed attributes are errors, not ignored.
 */
import { SignetError } from '../../core/api/errors.js';
import { sameModulePath } from './module.js';

export type Pkcs11ObjectType = 'cert' | 'data' | 'private' | 'public' | 'secret-key';

export interface Pkcs11Uri {
  // path attributes
  token?: string;
  manufacturer?: string;
  serial?: string;
  model?: string;
  libraryManufacturer?: string;
  libraryDescription?: string;
  libraryVersion?: string;
  slotDescription?: string;
  slotManufacturer?: string;
  slotId?: number;
  object?: string;
  type?: Pkcs11ObjectType;
  id?: Uint8Array;
  // query attributes
  modulePath?: string;
  moduleName?: string;
  pinSource?: string;
  /** vendor-specific `x-…` attributes, path or query, kept verbatim (decoded) */
  vendor?: Record<string, string>;
}

type Field = Exclude<keyof Pkcs11Uri, 'vendor'>;

// Wire name → field, in canonical print order. Maps, so `constructor` is not an attribute.
const PATH = new Map<string, Field>([
  ['token', 'token'],
  ['manufacturer', 'manufacturer'],
  ['serial', 'serial'],
  ['model', 'model'],
  ['library-manufacturer', 'libraryManufacturer'],
  ['library-description', 'libraryDescription'],
  ['library-version', 'libraryVersion'],
  ['slot-description', 'slotDescription'],
  ['slot-manufacturer', 'slotManufacturer'],
  ['slot-id', 'slotId'],
  ['object', 'object'],
  ['type', 'type'],
  ['id', 'id'],
]);
const QUERY = new Map<string, Field>([
  ['module-name', 'moduleName'],
  ['module-path', 'modulePath'],
  ['pin-source', 'pinSource'],
]);

const TYPES: readonly string[] = ['cert', 'data', 'private', 'public', 'secret-key'];
const VENDOR = /^x-[A-Za-z0-9_-]+$/;
const VERSION = /^\d+(\.\d+)?$/; // pk11-lib-ver: 1*DIGIT [ "." 1*DIGIT ]
// RFC 7512 §2.3: unreserved plus pk11-path-res-avail / pk11-query-res-avail. `;` and `&` are
// the delimiters of their own component, so each may appear unescaped only in the other one.
const PATH_CHAR = /^[A-Za-z0-9\-._~:[\]@!$'()*+,=&]$/;
const QUERY_CHAR = /^[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]$/;

const PIN_REFUSED =
  'pin-value is refused: Signet never takes a PIN in a URI (PINs come from a prompt, a file or stdin)';

function invalid(reason: string, details: Record<string, unknown>): SignetError {
  return new SignetError('INVALID_URI', `invalid pkcs11 URI: ${reason}`, { details });
}

const quote = (value: string) => JSON.stringify(value); // one line, whatever the value holds
const nameOf = (attribute: string) => attribute.split('=', 1)[0]!;
// x-pin-value is the pre-RFC draft spelling; it must not slip through as a vendor attribute.
const isPin = (attribute: string) => /^(x-)?pin-value$/i.test(nameOf(attribute));

export function parsePkcs11Uri(text: string): Pkcs11Uri {
  const q = text.indexOf('?');
  const head = q < 0 ? text : text.slice(0, q);
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(head)?.[0] ?? '';
  const pathText = head.slice(scheme.length);
  const path = pathText === '' ? [] : pathText.split(';');
  const query = q < 0 || q === text.length - 1 ? [] : text.slice(q + 1).split('&');

  // First, before any other error can echo the text: no message or details may carry a PIN.
  if (path.some(isPin) || query.some(isPin)) {
    throw invalid(PIN_REFUSED, { uri: scheme + path.filter((a) => !isPin(a)).join(';') });
  }
  const fail = (reason: string) => invalid(reason, { uri: text });
  if (scheme.toLowerCase() !== 'pkcs11:') throw fail('it must start with "pkcs11:"');

  const uri: Pkcs11Uri = {};
  const vendor: Record<string, string> = {};
  const seen = new Set<string>();
  const read = (attributes: string[], known: Map<string, Field>, chars: RegExp, where: string) => {
    for (const attribute of attributes) {
      const name = nameOf(attribute);
      if (name === '') throw fail(`empty attribute name in the ${where}`);
      if (name === attribute) throw fail(`attribute "${name}" has no "="`);
      if (seen.has(name)) throw fail(`attribute "${name}" is repeated`);
      seen.add(name);
      const raw = attribute.slice(name.length + 1);
      const field = known.get(name);
      if (field) (uri as Record<string, unknown>)[field] = parseValue(name, raw, chars, fail);
      else if (VENDOR.test(name)) vendor[name] = utf8(decode(raw, chars, name, fail), name, fail);
      else throw fail(`unknown ${where} attribute ${quote(name)}`);
    }
  };
  read(path, PATH, PATH_CHAR, 'path');
  read(query, QUERY, QUERY_CHAR, 'query');
  if (Object.keys(vendor).length > 0) uri.vendor = vendor;
  return uri;
}

type Fail = (reason: string) => SignetError;

function parseValue(name: string, raw: string, chars: RegExp, fail: Fail): unknown {
  // slot-id, type and library-version are literal in the grammar (no pct-encoded), so the
  // raw text is checked as is: `type=%70ublic` is not a second spelling of `public`.
  switch (name) {
    case 'id':
      return decode(raw, chars, name, fail);
    case 'slot-id': {
      const slot = Number(raw);
      if (!/^\d+$/.test(raw)) throw fail(`slot-id must be a decimal integer, got ${quote(raw)}`);
      if (!Number.isSafeInteger(slot)) throw fail(`slot-id ${raw} is too large`);
      return slot;
    }
    case 'type':
      if (!TYPES.includes(raw)) throw fail(`unknown type ${quote(raw)}`);
      return raw;
    case 'library-version':
      if (!VERSION.test(raw)) throw fail(`library-version must be M or M.N, got ${quote(raw)}`);
      return raw;
    case 'module-name':
    case 'module-path':
      if (raw === '') throw fail(`${name} must not be empty`); // 1*pk11-qchar
      return utf8(decode(raw, chars, name, fail), name, fail);
    default:
      return utf8(decode(raw, chars, name, fail), name, fail);
  }
}

/** Percent-decodes to raw bytes, refusing any character the component does not allow bare. */
function decode(raw: string, chars: RegExp, name: string, fail: Fail): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw fail(`bad percent-escape "%${hex}" in ${name}`);
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (chars.test(c)) {
      bytes.push(c.charCodeAt(0));
    } else {
      const char = String.fromCodePoint(raw.codePointAt(i)!);
      throw fail(`character ${quote(char)} in ${name} must be percent-encoded`);
    }
  }
  return Uint8Array.from(bytes);
}

// fatal: malformed UTF-8 is an error, not U+FFFD. ignoreBOM: a leading U+FEFF is kept, not eaten.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function utf8(bytes: Uint8Array, name: string, fail: Fail): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw fail(`${name} is not valid UTF-8 once percent-decoded`);
  }
}

/** Escapes every byte the component does not allow bare; `id` is binary, so all of it. */
function encode(value: string | Uint8Array, chars: RegExp | undefined): string {
  const bytes = typeof value === 'string' ? utf8Encoder.encode(value) : value;
  let out = '';
  for (const byte of bytes) {
    const c = String.fromCharCode(byte);
    out += chars?.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Prints the canonical form; throws on values that would not parse back to the same fields. */
export function formatPkcs11Uri(uri: Pkcs11Uri): string {
  const print = (name: string, value: unknown, chars: RegExp): string => {
    const fail = (reason: string) =>
      invalid(`cannot print ${name}: ${reason}`, { attribute: name });
    if (name === 'id') {
      if (!(value instanceof Uint8Array)) throw fail('it must be a Uint8Array');
      return `${name}=${encode(value, undefined)}`;
    }
    if (name === 'slot-id') {
      if (!Number.isSafeInteger(value) || (value as number) < 0) throw fail('not a slot number');
      return `${name}=${value}`;
    }
    // Render, then parse back: the parser is the one definition of what is valid.
    if (typeof value !== 'string' || /\p{Cs}/u.test(value)) throw fail('not a Unicode string');
    const text = `${name}=${name === 'type' || name === 'library-version' ? value : encode(value, chars)}`;
    parseValue(name, text.slice(name.length + 1), chars, fail);
    return text;
  };
  const path: string[] = [];
  const query: string[] = [];
  for (const [name, field] of PATH) {
    if (uri[field] !== undefined) path.push(print(name, uri[field], PATH_CHAR));
  }
  // Vendor attributes go in the path: a consumer that does not know one then matches nothing
  // (fail closed) rather than ignoring it as an unknown query attribute.
  const vendor = uri.vendor ?? {};
  for (const name of Object.keys(vendor).sort()) {
    const details = { attribute: name };
    if (isPin(name)) throw invalid(PIN_REFUSED, details);
    if (!VENDOR.test(name)) throw invalid(`vendor attribute ${quote(name)} is not x-…`, details);
    path.push(print(name, vendor[name], PATH_CHAR));
  }
  for (const [name, field] of QUERY) {
    if (uri[field] !== undefined) query.push(print(name, uri[field], QUERY_CHAR));
  }
  return `pkcs11:${path.join(';')}${query.length > 0 ? `?${query.join('&')}` : ''}`;
}

/** Does the token satisfy every token attribute the URI names? Token fields are space-padded. */
export function matchesToken(
  uri: Pkcs11Uri,
  token: { label: string; manufacturer: string; serial: string; model: string },
): boolean {
  const pairs: [string | undefined, string][] = [
    [uri.token, token.label],
    [uri.manufacturer, token.manufacturer],
    [uri.serial, token.serial],
    [uri.model, token.model],
  ];
  return pairs.every(([want, have]) => want === undefined || want === have.replace(/ +$/, ''));
}

/**
 * Do two URIs name one token: the same module (symlinks followed) and the same token attributes,
 * the label or the serial among them? Decided from the URIs alone, as a review
 * (which opens no token) must; Pkcs11Signer.keyBeside decides the same with the
 * token in hand. URIs without a module path are never the same here: which
 * module's token such a URI means is found only when it is opened.
 */
export function sameTokenUri(a: Pkcs11Uri, b: Pkcs11Uri): boolean {
  if (!a.modulePath || !b.modulePath || !sameModulePath(a.modulePath, b.modulePath)) return false;
  if (a.token === undefined && a.serial === undefined) return false;
  return (['token', 'manufacturer', 'serial', 'model', 'slotId'] as const).every(
    (field) => a[field] === b[field],
  );
}
