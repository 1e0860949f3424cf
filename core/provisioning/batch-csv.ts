/**
 * A provisioning batch's CSV: one customer a row,
 *   customer reference, name, token (serial, or `slot:N`), initial amount, language
 * with an optional header line (its first field `customer`). Each row is checked
 * on its own: a bad row (duplicate customer or token, an amount with 3 decimals,
 * an unknown language) is reported with its line, and the others go on.
 */
import { SignetError } from '../api/errors.js';
import { parseAmount } from '../chain/amount.js';
import { parseCsvRecords } from '../treasury/batch-csv.js';

export const mailerLanguages = ['en', 'zh-CN'] as const;
export type MailerLanguage = (typeof mailerLanguages)[number];

/** Where a row's token is: by serial (what a card carries), or a slot of a module with no serials. */
export type TokenRef = { serial: string } | { slot: number };

export interface ProvisionRow {
  line: number;
  customerRef: string;
  name: string;
  token: TokenRef;
  /** Initial amount in minor units; 0n: not funded. */
  amount: bigint;
  language: MailerLanguage;
}

export interface RowProblem {
  line: number;
  customerRef: string;
  /** A stable word for the kind of problem (the report's `reason`). */
  reason:
    | 'columns'
    | 'customer-invalid'
    | 'customer-duplicate'
    | 'token-invalid'
    | 'token-duplicate'
    | 'amount-invalid'
    | 'language-invalid'
    | 'name-invalid';
  message: string;
}

/** Token labels are at most 32 bytes; the customer reference becomes the label. */
const MAX_LABEL_BYTES = 32;
const MAX_ROWS = 10_000;

export function parseProvisionCsv(text: string): { rows: ProvisionRow[]; problems: RowProblem[] } {
  const records = parseCsvRecords(text.replace(/^\uFEFF/, ''));
  if (records[0] && records[0].fields[0]?.trim().toLowerCase() === 'customer') records.shift();
  if (records.length === 0) throw new SignetError('FILE_INVALID', 'the CSV holds no customer rows');
  if (records.length > MAX_ROWS)
    throw new SignetError('FILE_INVALID', `a batch holds at most ${MAX_ROWS} customers`);
  const rows: ProvisionRow[] = [];
  const problems: RowProblem[] = [];
  const customers = new Map<string, number>();
  const tokens = new Map<string, number>();
  for (const { line, fields } of records) {
    const [ref = '', name = '', token = '', amount = '', language = ''] = fields.map((f) =>
      f.trim(),
    );
    const bad = (reason: RowProblem['reason'], message: string) =>
      problems.push({ line, customerRef: ref, reason, message: `line ${line}: ${message}` });
    if (fields.length !== 5) {
      bad('columns', `${fields.length} fields, not 5 (customer, name, token, amount, language)`);
      continue;
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(ref) || Buffer.byteLength(ref) > MAX_LABEL_BYTES) {
      bad(
        'customer-invalid',
        `customer reference "${ref}" must be 1 to ${MAX_LABEL_BYTES} letters, digits, ".", "_" or "-" (it becomes the token's label)`,
      );
      continue;
    }
    const earlier = customers.get(ref);
    if (earlier !== undefined) {
      bad('customer-duplicate', `customer ${ref} is already on line ${earlier}`);
      continue;
    }
    if (name.length === 0 || name.length > 100) {
      bad('name-invalid', `the name must be 1 to 100 characters`);
      continue;
    }
    const tokenRef = parseTokenRef(token);
    if (!tokenRef) {
      bad('token-invalid', `"${token}" is neither a token serial (hex) nor slot:N`);
      continue;
    }
    const tokenKey = 'serial' in tokenRef ? tokenRef.serial : `slot:${tokenRef.slot}`;
    const tokenLine = tokens.get(tokenKey);
    if (tokenLine !== undefined) {
      bad('token-duplicate', `token ${tokenKey} is already on line ${tokenLine}`);
      continue;
    }
    let minor = 0n;
    if (amount !== '' && amount !== '0' && !/^0\.0{1,2}$/.test(amount)) {
      try {
        minor = parseAmount(amount);
      } catch (error) {
        bad('amount-invalid', error instanceof Error ? error.message : String(error));
        continue;
      }
    }
    if (!(mailerLanguages as readonly string[]).includes(language)) {
      bad('language-invalid', `language "${language}" is not one of ${mailerLanguages.join(', ')}`);
      continue;
    }
    customers.set(ref, line);
    tokens.set(tokenKey, line);
    rows.push({
      line,
      customerRef: ref,
      name,
      token: tokenRef,
      amount: minor,
      language: language as MailerLanguage,
    });
  }
  return { rows, problems };
}

function parseTokenRef(text: string): TokenRef | undefined {
  const slot = /^slot:(\d{1,10})$/.exec(text);
  if (slot) return { slot: Number(slot[1]) };
  if (/^[0-9A-Za-z]{1,16}$/.test(text)) return { serial: text };
  return undefined;
}

export function tokenRefText(token: TokenRef): string {
  return 'serial' in token ? `serial ${token.serial}` : `slot ${token.slot}`;
}
