/**
 * signet provision batch: a branch's batch of customers' tokens from a CSV
 * (issue 12 §2), resumable: run the same command again after an interruption.
 * The report (CSV and JSON) says per row what was done, in words; the PINs go
 * only to the sealed mailers, never to this output or the report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SignetError } from '../../core/api/errors.js';
import { type ProvisionRowReport, provisionReportCsv } from '../../core/api/provisioning.js';
import type { CliContext } from '../context.js';

interface BatchFlags {
  csv: string;
  operator: string;
  soPinFile?: string;
  pinFile?: string;
  pinStdin?: boolean;
  mailers: string;
  module?: string;
  report?: string;
  batch?: string;
  waitSeconds: string;
  json?: boolean;
}

export function registerProvisionCommands(program: Command, context: CliContext): void {
  const provision = program
    .command('provision')
    .description("provision customers' tokens for a branch");
  provision
    .command('batch')
    .description(
      "initialise each customer's token, make its key, register and fund the account, write a sealed PIN mailer; run again to resume",
    )
    .requiredOption(
      '--csv <file>',
      'customer,name,token (serial or slot:N),amount,language (en|zh-CN)',
    )
    .requiredOption('--operator <uri>', "the operator bank's key: registers and funds the accounts")
    .requiredOption(
      '--mailers <dir>',
      'folder for the sealed PIN mailers (one file per customer, mode 0600)',
    )
    .option('--so-pin-file <file>', "file holding the bank's SO PIN for the customers' tokens")
    .option('--pin-file <file>', "file holding the operator token's PIN")
    .option(
      '--pin-stdin',
      "read the PINs from standard input, one a line: the operator token's, then the SO PIN",
    )
    .option(
      '--module <path>',
      "the customers' tokens' PKCS#11 module (default: the operator URI's module-path)",
    )
    .option('--report <file>', 'write the report as FILE.csv and FILE.json')
    .option(
      '--batch <id>',
      "the batch's name in the journal (default: the CSV's hash, so the same file resumes)",
    )
    .option('--wait-seconds <n>', 'how long to wait for a token that is not inserted', '120')
    .option('--json', 'machine-readable output')
    .action((flags: BatchFlags) =>
      context.run(
        flags,
        async (app) => {
          const wait = Number(flags.waitSeconds);
          if (!Number.isFinite(wait) || wait < 0 || wait > 86_400) {
            throw new SignetError(
              'INVALID_ARGUMENT',
              `--wait-seconds must be 0 to 86400, not ${flags.waitSeconds}`,
            );
          }
          let csv: string;
          try {
            csv = readFileSync(flags.csv, 'utf8');
          } catch (error) {
            const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
            throw new SignetError('FILE_INVALID', `cannot read ${flags.csv} (${reason})`);
          }
          const result = await app.call(
            'provision.batch',
            {
              csv,
              operator: flags.operator,
              mailers: flags.mailers,
              ...(flags.module ? { module: flags.module } : {}),
              ...(flags.batch ? { batchId: flags.batch } : {}),
              waitMs: Math.round(wait * 1000),
            },
            {
              files: {
                ...(flags.pinFile ? { user: flags.pinFile } : {}),
                ...(flags.soPinFile ? { so: flags.soPinFile } : {}),
              },
              stdin: flags.pinStdin === true,
            },
          );
          if (flags.report) writeReport(flags.report, result.batchId, result.rows);
          if (result.failed + result.refused > 0) context.exitCode = 1;
          return result;
        },
        (result) =>
          [
            ...result.rows.map((r) => `line ${r.line}  ${r.customer}  ${r.status}: ${r.outcome}`),
            `${result.provisioned} provisioned, ${result.failed} failed, ${result.refused} refused (batch ${result.batchId}, ${result.seconds.toFixed(1)} s)`,
          ].join('\n'),
      ),
    );
  provision
    .command('replace')
    .description(
      'at the counter: a lost token replaced — freeze the lost account, provision the new token, register it for the same customer, move the money and notes (recoverFrozen), write a new PIN mailer; run again to resume',
    )
    .requiredOption('--customer <ref>', "the customer's reference (as registered)")
    .requiredOption('--lost <address>', "the lost token's account")
    .requiredOption('--token <serial-or-uri>', 'the new token: its serial or a pkcs11: URI')
    .requiredOption('--operator <uri>', "the operator bank's key")
    .requiredOption('--mailers <dir>', 'folder for the new sealed PIN mailer (mode 0600)')
    .option('--so-pin-file <file>', "file holding the bank's SO PIN for the new token")
    .option('--pin-file <file>', "file holding the operator token's PIN")
    .option(
      '--pin-stdin',
      "read the PINs from standard input: the operator token's, then the SO PIN",
    )
    .option('--module <path>', "the new token's PKCS#11 module (default: a URI's module-path)")
    .option('--language <lang>', "the mailer's language: en or zh-CN", 'en')
    .option('--name <name>', "the customer's name on the mailer")
    .option(
      '--operation <id>',
      'names the operation in the journal (default: from customer and lost account)',
    )
    .option('--json', 'machine-readable output')
    .action((flags: ReplaceFlags) =>
      context.run(
        flags,
        (app) =>
          app.call(
            'provision.replace',
            {
              customer: flags.customer,
              lost: flags.lost,
              token: flags.token,
              operator: flags.operator,
              mailers: flags.mailers,
              language: language(flags.language),
              ...(flags.module ? { module: flags.module } : {}),
              ...(flags.name ? { name: flags.name } : {}),
              ...(flags.operation ? { operationId: flags.operation } : {}),
            },
            {
              files: {
                ...(flags.pinFile ? { user: flags.pinFile } : {}),
                ...(flags.soPinFile ? { so: flags.soPinFile } : {}),
              },
              stdin: flags.pinStdin === true,
            },
          ),
        (r) =>
          [
            ...r.done,
            `customer ${r.customer}: ${r.lost} replaced by ${r.replacement} on token ${r.tokenSerial}; new PIN mailer ${r.mailer} (operation ${r.operationId})`,
          ].join('\n'),
      ),
    );
  provision
    .command('unblock')
    .description(
      'at the counter: a locked or forgotten user PIN reset with the SO PIN to a fresh PIN, written only to a new PIN mailer',
    )
    .requiredOption('--token <uri-or-serial>', "the customer's token")
    .requiredOption('--customer <ref>', "the customer's reference (the token's label)")
    .requiredOption('--mailers <dir>', 'folder for the new sealed PIN mailer (mode 0600)')
    .option('--so-pin-file <file>', "file holding the bank's SO PIN")
    .option('--pin-stdin', 'read the SO PIN from standard input')
    .option('--module <path>', "the token's PKCS#11 module (default: the URI's module-path)")
    .option('--language <lang>', "the mailer's language: en or zh-CN", 'en')
    .option('--name <name>', "the customer's name on the mailer")
    .option('--json', 'machine-readable output')
    .action((flags: UnblockFlags) =>
      context.run(
        flags,
        (app) =>
          app.call(
            'provision.unblock',
            {
              token: flags.token,
              customer: flags.customer,
              mailers: flags.mailers,
              language: language(flags.language),
              ...(flags.module ? { module: flags.module } : {}),
              ...(flags.name ? { name: flags.name } : {}),
            },
            {
              files: flags.soPinFile ? { so: flags.soPinFile } : {},
              stdin: flags.pinStdin === true,
            },
          ),
        (r) => `user PIN of token ${r.tokenSerial} reset; new PIN mailer ${r.mailer}`,
      ),
    );
}

interface ReplaceFlags {
  customer: string;
  lost: string;
  token: string;
  operator: string;
  mailers: string;
  soPinFile?: string;
  pinFile?: string;
  pinStdin?: boolean;
  module?: string;
  language: string;
  name?: string;
  operation?: string;
  json?: boolean;
}

interface UnblockFlags {
  token: string;
  customer: string;
  mailers: string;
  soPinFile?: string;
  pinStdin?: boolean;
  module?: string;
  language: string;
  name?: string;
  json?: boolean;
}

function language(text: string): 'en' | 'zh-CN' {
  if (text !== 'en' && text !== 'zh-CN') {
    throw new SignetError('INVALID_ARGUMENT', `--language must be en or zh-CN, not ${text}`);
  }
  return text;
}

function writeReport(file: string, batchId: string, rows: ProvisionRowReport[]): void {
  const stem = file.replace(/\.(csv|json)$/, '');
  writeFileSync(`${stem}.csv`, provisionReportCsv(rows));
  writeFileSync(`${stem}.json`, `${JSON.stringify({ batchId, rows }, null, 2)}\n`);
}
