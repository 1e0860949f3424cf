import { describe, expect, it } from 'vitest';
import { type ProvisionRowReport, provisionReportCsv } from './provisioning.js';

const row: ProvisionRowReport = {
  line: 2,
  customer: 'C-1',
  status: 'refused',
  outcome: 'refused: the name says "Li, Wei"',
  reason: 'token-duplicate',
  tokenSerial: null,
  address: null,
  amount: '1.00',
  registerTx: null,
  fundTx: null,
  mailer: null,
  seconds: {},
};

describe('provisionReportCsv (the CLI report file and the screen download)', () => {
  it('writes a header and one quoted line per row, quotes doubled, CRLF', () => {
    const csv = provisionReportCsv([row]);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(
      'line,customer,status,outcome,reason,tokenSerial,address,amount,registerTx,fundTx,mailer',
    );
    expect(lines[1]).toBe(
      '"2","C-1","refused","refused: the name says ""Li, Wei""","token-duplicate","","","1.00","","",""',
    );
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
  });
});
