/**
 * A sealed PIN mailer: one printable plain-text file per customer, owner-only
 * (0600), in the customer's language. Written to a temporary name and renamed,
 * so a file with the final name is always whole, and its PIN is the token's:
 * the PIN is set before the mailer is written, and a resume sets a fresh one
 * only while no mailer exists (core/provisioning/batch.ts).
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { MailerLanguage } from './batch-csv.js';

export interface MailerFacts {
  customerRef: string;
  name: string;
  tokenSerial: string;
  language: MailerLanguage;
}

export function mailerPath(dir: string, customerRef: string): string {
  return join(dir, `${customerRef}.pin.txt`);
}

export function mailerExists(dir: string, customerRef: string): boolean {
  return existsSync(mailerPath(dir, customerRef));
}

/**
 * Writes the mailer whole or not at all; the PIN goes nowhere else. `stem` names
 * the file (default: the customer reference; a counter's new mailer adds the operation).
 */
export function writePinMailer(
  dir: string,
  facts: MailerFacts,
  pin: string,
  stem = facts.customerRef,
): string {
  const path = mailerPath(dir, stem);
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, mailerText(facts, pin));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  return path;
}

/** The PIN line, found by its marker in either language (tests read the PIN back). */
export const PIN_MARKER = 'PIN: ';

export function mailerText(facts: MailerFacts, pin: string): string {
  const { customerRef, name, tokenSerial } = facts;
  const lines =
    facts.language === 'zh-CN'
      ? [
          '密封密码函 — 请亲自拆阅',
          '',
          `客户姓名：${name}`,
          `客户编号：${customerRef}`,
          `令牌序列号：${tokenSerial}`,
          '',
          `${PIN_MARKER}${pin}`,
          '',
          '使用说明：',
          '1. 请勿将此密码告诉任何人，包括银行工作人员。',
          '2. 记住密码后请销毁本函。',
          '3. 密码多次输错后令牌将被锁定，请携带身份证件到网点解锁。',
          '4. 如令牌遗失，请立即联系银行冻结账户。',
        ]
      : [
          'SEALED PIN MAILER — to be opened by the addressee only',
          '',
          `Customer: ${name}`,
          `Reference: ${customerRef}`,
          `Token serial: ${tokenSerial}`,
          '',
          `${PIN_MARKER}${pin}`,
          '',
          'Instructions:',
          '1. Never tell this PIN to anyone, bank staff included.',
          '2. Destroy this letter once you have learnt the PIN.',
          '3. Too many wrong PINs lock the token: bring an identity document to a branch to unlock it.',
          '4. If the token is lost, call the bank at once to freeze the account.',
        ];
  return `${lines.join('\n')}\n`;
}
