import { type Address, getAddress, keccak256, numberToHex, slice } from 'viem';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../api/errors.js';
import {
  type BatchCsvContext,
  checkBatchCsv,
  formatBatchProblems,
  parseCsvRecords,
} from './batch-csv.js';

const CURRENCY = getAddress('0xe7f1725e7734ce288f8367e1bb143e90bb3f0512');
const HEADER = 'token_type,token_address,receiver,amount,id';
/** Receivers that look like real addresses (checksummed, mixed case). */
const receiver = (i: number): Address => getAddress(slice(keccak256(numberToHex(i + 1)), 12));
const UNREGISTERED = receiver(999);

function context(overrides: Partial<BatchCsvContext> = {}): BatchCsvContext {
  return {
    currency: CURRENCY,
    balance: 1_000_000_00n,
    isRegistered: (address) => address !== UNREGISTERED,
    ...overrides,
  };
}
const row = (to: string, amount: string, id = '', token: string = CURRENCY, type = 'erc20') =>
  `${type},${token},${to},${amount},${id}`;
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n');

async function problemsOf(text: string | Uint8Array, ctx = context()) {
  const result = await checkBatchCsv(text, ctx);
  if (result.ok) throw new Error('the file passed');
  return result.problems;
}

describe('checkBatchCsv', () => {
  it('reads rows into minor units, with line numbers, ids and the total', async () => {
    const result = await checkBatchCsv(
      csv(
        row(receiver(0), '12.34', 'inv-1'),
        row(receiver(1).toLowerCase(), '5', ''),
        row(receiver(2), '0.5'),
      ),
      context(),
    );
    expect(result).toEqual({
      ok: true,
      rows: [
        { line: 2, receiver: receiver(0), amount: 12_34n, id: 'inv-1' },
        { line: 3, receiver: receiver(1), amount: 5_00n, id: '' },
        { line: 4, receiver: receiver(2), amount: 50n, id: '' },
      ],
      total: 12_34n + 5_00n + 50n,
    });
  });

  it('takes CRLF, a BOM, quoted fields (commas, doubled quotes, line breaks), spaces and blank trailing lines', async () => {
    const text = `\uFEFF${HEADER}\r\n${row(receiver(0), '"1.00"', '"Smith, J ""Jr"""')}\r\n"erc20", ${CURRENCY} ,"${receiver(1)}",2,"two\r\nlines"\r\n${row(receiver(2), '3')}\r\n\r\n\r\n`;
    const bytes = new TextEncoder().encode(text);
    const result = await checkBatchCsv(bytes, context());
    expect(result).toEqual({
      ok: true,
      rows: [
        { line: 2, receiver: receiver(0), amount: 1_00n, id: 'Smith, J "Jr"' },
        { line: 3, receiver: receiver(1), amount: 2_00n, id: 'two\r\nlines' },
        { line: 5, receiver: receiver(2), amount: 3_00n, id: '' },
      ],
      total: 6_00n,
    });
  });

  it('names every bad row, by line and column, and returns nothing to sign', async () => {
    const badChecksum = receiver(3).replace(/[a-f]/, (c) => c.toUpperCase());
    const problems = await problemsOf(
      csv(
        row(receiver(0), '1.00'), // line 2: fine
        row(receiver(1), '1.00', '', CURRENCY, 'erc721'), // 3
        row(receiver(2), '1.00', '', receiver(50)), // 4: another token
        row(badChecksum, '1.00'), // 5
        row('0x1234', '1.00'), // 6
        row(UNREGISTERED, '1.00'), // 7
        row(receiver(4), '1.001'), // 8
        row(receiver(5), '0'), // 9
        row(receiver(6), '-3'), // 10
        row(receiver(7), '1e3'), // 11
        row(receiver(8), '1.5.0'), // 12
        `erc20,${CURRENCY},${receiver(9)},1`, // 13: a field missing
        row(receiver(10), '0.1', '', 'not-an-address'), // 14
      ),
    );
    expect(problems.map((p) => [p.line, p.column])).toEqual([
      [3, 'token_type'],
      [4, 'token_address'],
      [5, 'receiver'],
      [6, 'receiver'],
      [7, 'receiver'],
      [8, 'amount'],
      [9, 'amount'],
      [10, 'amount'],
      [11, 'amount'],
      [12, 'amount'],
      [13, 'row'],
      [14, 'token_address'],
    ]);
    const lines = formatBatchProblems(problems);
    expect(lines[0]).toBe(
      'line 3, token_type: "erc721" is not paid here: only erc20 (the ledger\'s currency)',
    );
    expect(lines[1]).toMatch(/^line 4, token_address: 0x\w+ is not the ledger's currency/);
    expect(lines[2]).toMatch(/wrong EIP-55 checksum/);
    expect(lines[3]).toMatch(/"0x1234" is not an address/);
    expect(lines[4]).toBe(
      `line 7, receiver: ${UNREGISTERED} is not a registered account of the currency`,
    );
    expect(lines[5]).toMatch(/more than 2 decimals/);
    expect(lines[6]).toMatch(/more than zero/);
    expect(lines[7]).toMatch(/is not an amount/);
    expect(lines[10]).toBe('line 13, row: has 4 fields, expected 5');
  });

  it('refuses a total over the treasury’s balance, naming both', async () => {
    const text = csv(row(receiver(0), '60.00'), row(receiver(1), '40.01'));
    expect(await problemsOf(text, context({ balance: 100_00n }))).toEqual([
      {
        line: 3,
        column: 'total',
        reason: "the rows total 100.01, more than the treasury's balance of 100.00",
      },
    ]);
    expect((await checkBatchCsv(text, context({ balance: 100_01n }))).ok).toBe(true);
  });

  it('asks the registry through the caller’s check, which may be async (the chain)', async () => {
    const asked: Address[] = [];
    const result = await checkBatchCsv(csv(row(receiver(0), '1'), row(receiver(1), '1')), {
      ...context(),
      isRegistered: async (address) => {
        asked.push(address);
        return address === receiver(0);
      },
    });
    expect(asked).toEqual([receiver(0), receiver(1)]);
    expect(result).toEqual({
      ok: false,
      problems: [
        { line: 3, column: 'receiver', reason: expect.stringMatching(/not a registered/) },
      ],
    });
  });

  it.each([
    [
      'a missing header',
      row(receiver(0), '1'),
      /header must be token_type,token_address,receiver,amount,id/,
    ],
    ['another header', 'type,address,to,amount,id\n', /header must be/],
    ['an empty file', '', /header must be/],
    ['a header and no rows', `${HEADER}\r\n\r\n`, /no payment rows/],
    [
      'an unclosed quote',
      csv(`erc20,${CURRENCY},"${receiver(0)},1,`),
      /line 2: a quoted field is never closed/,
    ],
  ])('refuses %s in one line', async (_what, text, message) => {
    const error = await checkBatchCsv(text, context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('FILE_INVALID');
    expect((error as SignetError).message).toMatch(message);
    expect((error as SignetError).message).not.toContain('\n');
  });

  it('refuses bytes that are not UTF-8 (a spreadsheet’s legacy encoding) in one line', async () => {
    const bytes = new TextEncoder().encode(csv(row(receiver(0), '1', 'Müller')));
    const latin1 = bytes.filter((b) => b !== 0xc3).map((b) => (b === 0xbc ? 0xfc : b));
    await expect(checkBatchCsv(latin1, context())).rejects.toThrow(
      /^the CSV file is not UTF-8 text$/,
    );
    expect((await checkBatchCsv(bytes, context())).ok).toBe(true);
  });

  it('refuses a file over the size limit before reading it', async () => {
    const text = csv(...Array.from({ length: 20 }, (_, i) => row(receiver(i), '1')));
    let asked = 0;
    const error = await checkBatchCsv(text, {
      ...context({ maxBytes: 1000 }),
      isRegistered: () => {
        asked++;
        return true;
      },
    }).catch((e: unknown) => e);
    expect((error as SignetError).message).toMatch(
      /^the CSV file is [\d,]+ bytes, over the limit of 1,000$/,
    );
    expect(asked).toBe(0);
  });

  it('checks a 200-row file, reporting progress row by row', async () => {
    const text = csv(
      ...Array.from({ length: 200 }, (_, i) =>
        row(receiver(i), `${i + 1}.${String(i % 100).padStart(2, '0')}`),
      ),
    );
    const progress: [number, number][] = [];
    const result = await checkBatchCsv(
      text,
      context({ onProgress: (n, of) => progress.push([n, of]) }),
    );
    expect(progress).toHaveLength(200);
    expect(progress[0]).toEqual([1, 200]);
    expect(progress.at(-1)).toEqual([200, 200]);
    if (!result.ok) throw new Error(formatBatchProblems(result.problems).join('\n'));
    expect(result.rows).toHaveLength(200);
    expect(result.rows[199]).toEqual({
      line: 201,
      receiver: receiver(199),
      amount: 200_99n,
      id: '',
    });
    let expected = 0n;
    for (let i = 0; i < 200; i++) expected += BigInt(i + 1) * 100n + BigInt(i % 100);
    expect(result.total).toBe(expected);
  });
});

describe('parseCsvRecords', () => {
  it('keeps the line each record starts on, across quoted line breaks and blank lines', () => {
    expect(parseCsvRecords('a,b\n\n"x\ny",z\r\n  \nlast')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['x\ny', 'z'] },
      { line: 6, fields: ['last'] },
    ]);
  });
});
