/**
 * The append-only audit log of every signature and provisioning step. Each entry
 * is chained to the one before: hash = sha256(prevHash ‖ canonical JSON of the
 * entry without its hash), so editing or removing a row shows at that row (or
 * the next). SQL triggers refuse UPDATE and DELETE; the chain catches whoever
 * gets around them. Truncating the newest entries is not detectable from the
 * log alone: compare the head hash with a copy kept elsewhere for that.
 */
import { createHash } from 'node:crypto';
import type { Hex } from 'viem';
import { SignetError } from '../api/errors.js';
import { CanonicalText, canonicalJson } from './canonical-json.js';
import { hash32, parseJsonObject, safeUint } from './codec.js';
import type { Store } from './database.js';

export interface NewAuditEntry {
  /** 'sign-transaction', 'sign-typed-data', 'generate-key', 'init-token', … */
  action: string;
  /** The key or token URI acted on, if any. */
  keyUri?: string | null;
  /** What was signed or done, decoded for a reader. Never a PIN. */
  subject: Record<string, unknown>;
  txHash?: Hex | null;
}

export interface AuditEntry {
  seq: number;
  /** ISO 8601. */
  at: string;
  action: string;
  keyUri: string | null;
  subject: Record<string, unknown>;
  txHash: Hex | null;
  prevHash: string;
  hash: string;
}

export interface AuditChainReport {
  intact: boolean;
  /** The first entry whose hash or link does not hold. */
  firstBadSeq?: number;
  entries: number;
}

interface AuditRow {
  seq: number;
  at: string;
  action: string;
  key_uri: string | null;
  subject: string;
  tx_hash: string | null;
  prev_hash: string;
  hash: string;
}

/** The prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Key names a secret hides behind, as whole words: userPin, so_pin, newPassword, puk. */
const SECRET_WORDS = new Set(['pin', 'pins', 'puk', 'password', 'passwd', 'passphrase', 'secret']);
/** The same run together in one lowercase word. */
const SECRET_COMPOUNDS = /^(so|user|new|old|current)?(pin|puk)(code)?$|password|passphrase|secret/;

/** An entry checked (no secrets) and its subject serialised, ready to chain and insert. */
export interface PreparedAuditEntry {
  readonly action: string;
  readonly keyUri: string | null;
  readonly subject: CanonicalText;
  readonly txHash: Hex | null;
}

/** Checks an entry and serialises its subject, outside any lock. */
export function prepareAudit(entry: NewAuditEntry): PreparedAuditEntry {
  refuseSecrets(entry.subject, 'subject');
  return {
    action: entry.action,
    keyUri: entry.keyUri ?? null,
    subject: new CanonicalText(canonicalJson(entry.subject)),
    txHash: entry.txHash == null ? null : hash32(entry.txHash, 'transaction hash'),
  };
}

/**
 * Chains and appends prepared entries, in order, in one write transaction:
 * the newest entry is read once under the write lock (no other process can
 * append between that read and the inserts), then each entry is hashed onto
 * the one before it.
 */
export function appendPrepared(
  store: Store,
  entries: readonly PreparedAuditEntry[],
): Array<Pick<AuditEntry, 'seq' | 'at' | 'prevHash' | 'hash'>> {
  const at = store.now().toISOString();
  return store.transaction(() => {
    const last = store.db
      .prepare<[], { seq: number; hash: string }>(
        'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
      )
      .get();
    const insert = store.db.prepare(
      `INSERT INTO audit_log (seq, at, action, key_uri, subject, tx_hash, prev_hash, hash)
       VALUES (@seq, @at, @action, @keyUri, @subject, @txHash, @prevHash, @hash)`,
    );
    let seq = last?.seq ?? 0;
    let prevHash = last?.hash ?? GENESIS_HASH;
    return entries.map((entry) => {
      const unhashed = { ...entry, seq: ++seq, at, prevHash };
      const hash = entryHash(unhashed);
      insert.run({ ...unhashed, subject: entry.subject.text, hash });
      const chained = { seq, at, prevHash, hash };
      prevHash = hash;
      return chained;
    });
  });
}

/** Appends one entry; returns it as a reader will get it back. */
export function appendAudit(store: Store, entry: NewAuditEntry): AuditEntry {
  const prepared = prepareAudit(entry);
  const [chained] = appendPrepared(store, [prepared]);
  return {
    ...chained!,
    action: prepared.action,
    keyUri: prepared.keyUri,
    subject: parseJsonObject(prepared.subject.text),
    txHash: prepared.txHash,
  };
}

/** Newest first; `search` matches action, key URI, subject text or transaction hash. */
export function listAudit(
  store: Store,
  query: { search?: string; limit: number; offset?: number },
): AuditEntry[] {
  const search = query.search ? `%${query.search.replace(/[\\%_]/g, '\\$&')}%` : null;
  return store.db
    .prepare<[{ search: string | null; limit: number; offset: number }], AuditRow>(
      `SELECT * FROM audit_log
       WHERE @search IS NULL OR action LIKE @search ESCAPE '\\' OR key_uri LIKE @search ESCAPE '\\'
          OR subject LIKE @search ESCAPE '\\' OR tx_hash LIKE @search ESCAPE '\\'
       ORDER BY seq DESC LIMIT @limit OFFSET @offset`,
    )
    .all({
      search,
      limit: safeUint(query.limit, 'limit'),
      offset: safeUint(query.offset ?? 0, 'offset'),
    })
    .map(fromRow);
}

/** Recomputes every link, oldest first, and names the first entry that does not hold. */
export function verifyAuditChain(store: Store): AuditChainReport {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  let firstBadSeq: number | undefined;
  for (const row of store.db
    .prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq')
    .iterate()) {
    entries++;
    if (firstBadSeq !== undefined) continue;
    const linked = row.seq === expectedSeq && row.prev_hash === prevHash;
    if (!linked || !hashHolds(row)) firstBadSeq = row.seq;
    prevHash = row.hash;
    expectedSeq = row.seq + 1;
  }
  return firstBadSeq === undefined
    ? { intact: true, entries }
    : { intact: false, firstBadSeq, entries };
}

const CSV_COLUMNS = [
  'seq',
  'at',
  'action',
  'keyUri',
  'subject',
  'txHash',
  'prevHash',
  'hash',
] as const;

/** The whole log, oldest first, as RFC 4180 CSV (CRLF line ends, quotes only where needed). */
export function exportAuditCsv(store: Store): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of store.db
    .prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq')
    .iterate()) {
    const entry = { ...fromRow(row), subject: row.subject };
    lines.push(CSV_COLUMNS.map((column) => csvField(entry[column])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function hashHolds(row: AuditRow): boolean {
  try {
    const { hash, ...unhashed } = fromRow(row);
    return entryHash(unhashed) === hash;
  } catch {
    return false; // a subject that no longer parses was edited too
  }
}

/** sha256(prevHash ‖ canonical JSON of the entry without its hash); the subject may come pre-serialised. */
function entryHash(
  unhashed: Omit<AuditEntry, 'hash' | 'subject'> & {
    subject: Record<string, unknown> | CanonicalText;
  },
): string {
  return createHash('sha256')
    .update(unhashed.prevHash)
    .update(canonicalJson(unhashed))
    .digest('hex');
}

/**
 * Defence in depth: a PIN must never reach the log, whoever forgot to strip it.
 * A key named like a secret is refused unless its value is a flag (boolean or
 * null), so token state such as `userPinLocked: true` can still be recorded.
 */
function refuseSecrets(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value)) {
    if (isSecretName(key) && item !== null && typeof item !== 'boolean') {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `audit entries must not carry secrets: ${path}.${key}`,
        { details: { field: `${path}.${key}` } },
      );
    }
    refuseSecrets(item, `${path}.${key}`);
  }
}

function isSecretName(key: string): boolean {
  const words = key.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).map((w) => w.toLowerCase());
  return words.some((word) => SECRET_WORDS.has(word)) || SECRET_COMPOUNDS.test(key.toLowerCase());
}

function fromRow(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    action: row.action,
    keyUri: row.key_uri,
    subject: parseJsonObject(row.subject),
    txHash: row.tx_hash as Hex | null,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
