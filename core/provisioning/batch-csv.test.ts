import { describe, expect, it } from 'vitest';
import { parseProvisionCsv } from './batch-csv.js';

describe('a provisioning batch CSV', () => {
  it('reads rows with or without a header, quoted names, amounts in minor units', () => {
    const { rows, problems } = parseProvisionCsv(
      'customer,name,token,amount,language\nC-1,"Li, Wei",00ab12cd,12.5,zh-CN\r\nC-2,Ann,slot:3,,en\n',
    );
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        customerRef: 'C-1',
        name: 'Li, Wei',
        token: { serial: '00ab12cd' },
        amount: 1250n,
        language: 'zh-CN',
      },
      { line: 3, customerRef: 'C-2', name: 'Ann', token: { slot: 3 }, amount: 0n, language: 'en' },
    ]);
  });

  it('refuses each bad row with its line and reason, and keeps the others', () => {
    const { rows, problems } = parseProvisionCsv(
      [
        'C-1,Ann,00aa,1.00,en',
        'C-1,Again,00bb,1.00,en',
        'C-2,Bob,00aa,1.00,en',
        'C-3,Cy,00cc,1.234,en',
        'C-4,Di,00dd,1.00,fr',
        'C 5,Ed,00ee,1.00,en',
        'C-6,Fa,not a serial,1.00,en',
        'C-7,Gu,00ff,1.00',
        `${'X'.repeat(33)},Long,0011,1.00,en`,
        'C-8,,0022,1.00,en',
        'C-9,Ok,0033,0,en',
      ].join('\n'),
    );
    expect(rows.map((r) => r.customerRef)).toEqual(['C-1', 'C-9']);
    expect(problems.map((p) => [p.line, p.reason])).toEqual([
      [2, 'customer-duplicate'],
      [3, 'token-duplicate'],
      [4, 'amount-invalid'],
      [5, 'language-invalid'],
      [6, 'customer-invalid'],
      [7, 'token-invalid'],
      [8, 'columns'],
      [9, 'customer-invalid'],
      [10, 'name-invalid'],
    ]);
    expect(problems[2]!.message).toBe('line 4: "1.234" has more than 2 decimals');
  });

  it('refuses a file with no rows as a whole', () => {
    expect(() => parseProvisionCsv('customer,name,token,amount,language\n')).toThrow(
      'the CSV holds no customer rows',
    );
  });
});
