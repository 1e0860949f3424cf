/**
 * Batch payments from a CSV in Safe's CSV Airdrop format
 * (`token_type,token_address,receiver,amount,id`, decimal amounts). Every row
 * is checked before any proposal exists: the receiver's address (EIP-55 when
 * written in mixed case), the token (the ledger's currency, `erc20`), the
 * amount (more than zero, at most the currency's decimals, parsed to minor
 * units, never a float), the receiver registered (a check the caller gives:
 * offline from the store, online from the chain), and the total within the
 * treasury's balance. Bad rows are all named (line, column, reason) and then
 * nothing is returned to sign.
 */
import { type Address, getAddress, isAddress, type PublicClient } from 'viem';
import { SignetError } from '../api/errors.js';
import { currencyAbi } from '../chain/abi.js';
import { formatAmount, parseAmount } from '../chain/amount.js';

/** Files above this are refused before parsing (about 10,000 rows). */
export const MAX_BATCH_CSV_BYTES = 1_000_000;

export const BATCH_CSV_COLUMNS = [
  'token_type',
  'token_address',
  'receiver',
  'amount',
  'id',
] as const;
export type BatchCsvColumn = (typeof BATCH_CSV_COLUMNS)[number] | 'row' | 'total';

export interface BatchRow {
  /** Line in the file where the row starts (1 is the header). */
  line: number;
  receiver: Address;
  /** Minor units. */
  amount: bigint;
  /** The file's `id` column (Safe uses it for NFTs; here a free reference), as written. */
  id: string;
}

export interface BatchRowProblem {
  line: number;
  column: BatchCsvColumn;
  reason: string;
}

export type BatchCsvResult =
  | { ok: true; rows: BatchRow[]; total: bigint }
  | { ok: false; problems: BatchRowProblem[] };

export interface BatchCsvContext {
  /** The ledger's currency (the profile's contracts.currency). */
  currency: Address;
  /** The treasury's balance in minor units. */
  balance: bigint;
  /** Whether the currency's registry knows `address` (store or chain: the caller decides). */
  isRegistered: (address: Address) => boolean | Promise<boolean>;
  /** Called as rows are checked (rows checked, rows in the file). */
  onProgress?: (checked: number, total: number) => void;
  maxBytes?: number;
}

function fileInvalid(message: string, reason: string): SignetError {
  return new SignetError('FILE_INVALID', message, { details: { reason } });
}

/**
 * RFC 4180 records: fields split by commas, quoted fields may hold commas,
 * doubled quotes and line breaks; CRLF or LF. Each record keeps the line it
 * starts on. Blank lines are skipped.
 */
export function parseCsvRecords(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let touched = false; // the record has any character, so it is not a blank line
  const endRecord = () => {
    fields.push(field);
    if (touched) records.push({ line: start, fields });
    fields = [];
    field = '';
    touched = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
      touched = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      touched = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      field += c;
      if (c.trim() !== '') touched = true;
    }
  }
  if (quoted) throw fileInvalid(`line ${start}: a quoted field is never closed`, 'csv-quote');
  endRecord();
  return records;
}

/** The text of a CSV file: UTF-8 (a BOM is dropped), refused over the size limit. */
function csvText(input: string | Uint8Array, maxBytes: number): string {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (bytes > maxBytes) {
    throw fileInvalid(
      `the CSV file is ${bytes.toLocaleString('en')} bytes, over the limit of ${maxBytes.toLocaleString('en')}`,
      'csv-too-large',
    );
  }
  let text: string;
  try {
    text =
      typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw fileInvalid('the CSV file is not UTF-8 text', 'csv-encoding');
  }
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** A receiver as written: 0x and 40 hex digits, and the EIP-55 checksum when in mixed case. */
function checkAddress(text: string): { address: Address } | { problem: string } {
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) {
    return { problem: `"${text}" is not an address (0x and 40 hex digits)` };
  }
  const lower = text.slice(2) === text.slice(2).toLowerCase();
  const upper = text.slice(2) === text.slice(2).toUpperCase();
  if (!lower && !upper && !isAddress(text, { strict: true })) {
    return { problem: `"${text}" has a wrong EIP-55 checksum (mistyped?)` };
  }
  return { address: getAddress(text) };
}

/**
 * Reads and checks a batch CSV. File-level faults (too large, not UTF-8 CSV,
 * wrong header, no rows) throw FILE_INVALID; row faults are all collected and
 * returned, with no rows, so nothing can be signed from a file with a bad row.
 */
export async function checkBatchCsv(
  input: string | Uint8Array,
  context: BatchCsvContext,
): Promise<BatchCsvResult> {
  const text = csvText(input, context.maxBytes ?? MAX_BATCH_CSV_BYTES);
  const records = parseCsvRecords(text);
  const [header, ...body] = records;
  const names = header?.fields.map((f) => f.trim().toLowerCase());
  if (!names || names.join(',') !== BATCH_CSV_COLUMNS.join(',')) {
    throw fileInvalid(
      `the CSV header must be ${BATCH_CSV_COLUMNS.join(',')}${names ? `, not ${names.join(',')}` : ''}`,
      'csv-header',
    );
  }
  if (body.length === 0) throw fileInvalid('the CSV file has no payment rows', 'csv-empty');

  const currency = getAddress(context.currency);
  const problems: BatchRowProblem[] = [];
  const rows: BatchRow[] = [];
  const report = (line: number, column: BatchCsvColumn, reason: string) =>
    problems.push({ line, column, reason });
  for (const [index, { line, fields }] of body.entries()) {
    if (fields.length !== BATCH_CSV_COLUMNS.length) {
      report(line, 'row', `has ${fields.length} fields, expected ${BATCH_CSV_COLUMNS.length}`);
    } else {
      const [tokenType, tokenAddress, receiverText, amountText, id] = fields.map((f) =>
        f.trim(),
      ) as [string, string, string, string, string];
      if (tokenType.toLowerCase() !== 'erc20') {
        report(
          line,
          'token_type',
          `"${tokenType}" is not paid here: only erc20 (the ledger's currency)`,
        );
      }
      const token = checkAddress(tokenAddress);
      if ('problem' in token) report(line, 'token_address', token.problem);
      else if (token.address !== currency) {
        report(line, 'token_address', `${token.address} is not the ledger's currency ${currency}`);
      }
      const receiver = checkAddress(receiverText);
      if ('problem' in receiver) report(line, 'receiver', receiver.problem);
      else if (!(await context.isRegistered(receiver.address))) {
        report(line, 'receiver', `${receiver.address} is not a registered account of the currency`);
      }
      let amount: bigint | undefined;
      try {
        amount = parseAmount(amountText);
      } catch (error) {
        report(line, 'amount', error instanceof SignetError ? error.message : String(error));
      }
      if ('address' in receiver && amount !== undefined) {
        rows.push({ line, receiver: receiver.address, amount, id });
      }
    }
    context.onProgress?.(index + 1, body.length);
  }
  const total = rows.reduce((sum, row) => sum + row.amount, 0n);
  if (problems.length === 0 && total > context.balance) {
    report(
      body[body.length - 1]!.line,
      'total',
      `the rows total ${formatAmount(total)}, more than the treasury's balance of ${formatAmount(context.balance)}`,
    );
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, rows, total };
}

/** One line per bad row, for the CLI and the UI's report. */
export function formatBatchProblems(problems: readonly BatchRowProblem[]): string[] {
  return problems.map((p) => `line ${p.line}, ${p.column}: ${p.reason}`);
}

/** The online registry check: the currency contract's isRegistered, asked of a node. */
export function registeredOnChain(client: PublicClient, currency: Address) {
  return (address: Address): Promise<boolean> =>
    client.readContract({
      address: currency,
      abi: currencyAbi,
      functionName: 'isRegistered',
      args: [address],
    });
}
