import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mailerExists, writePinMailer } from './pin-mailer.js';

describe('a sealed PIN mailer', () => {
  it('is one owner-only file in the customer language, written whole (no temporary file left)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-mailer-'));
    const facts = {
      customerRef: 'C-1',
      name: '王小明',
      tokenSerial: '00ab',
      language: 'zh-CN' as const,
    };
    expect(mailerExists(dir, 'C-1')).toBe(false);
    const path = writePinMailer(dir, facts, '12345678');
    expect(mailerExists(dir, 'C-1')).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['C-1.pin.txt']);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('客户姓名：王小明');
    expect(text).toContain('令牌序列号：00ab');
    expect(text).toContain('PIN: 12345678');
    const en = readFileSync(
      writePinMailer(dir, { ...facts, customerRef: 'C-2', language: 'en' }, '87654321'),
      'utf8',
    );
    expect(en).toContain('Reference: C-2');
    expect(en).toContain('PIN: 87654321');
  });
});
