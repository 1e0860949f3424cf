/**
 * signet purse open | request | pay | receive | settle | close | status
 *
 * Offline digital cash (issue 13): lock money into a purse on your token
 * (online), then pay and receive with no network: the payee writes a payment
 * request, the payer's token signs a voucher for it, the payee checks it
 * offline. Each moves as a file (`--out`, `--request`, `--payment`) or as QR
 * frames (`--qr-dir`: numbered PNGs, read back with a real QR decoder). Settle
 * once online; close after the thaw window. The work is the app's handlers'
 * (core/app/purse.ts); PINs come from --pin-file or --pin-stdin, never argv.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import QRCode from 'qrcode';
import { SignetError } from '../../core/api/errors.js';
import type { AppResult } from '../../core/api/methods.js';
import { MAX_PAYMENT_TEXT } from '../../core/api/purse.js';
import { QR_ERROR_CORRECTION, readQrImage } from '../../core/treasury/qr-images.js';
import type { CliContext } from '../context.js';
import { frameFileName, readLimited, writeAtomically } from '../files.js';
import type { PinOptions } from '../pin-source.js';

interface PinFlags {
  pinFile?: string;
  pinStdin?: boolean;
  json?: boolean;
}

/** A QR frame image at most: a dense frame is a few KiB. */
const MAX_FRAME_BYTES = 512 * 1024;

export function registerPurseCommands(program: Command, context: CliContext): void {
  const pins = (flags: PinFlags): PinOptions => ({
    files: flags.pinFile ? { user: flags.pinFile } : {},
    stdin: flags.pinStdin === true,
  });
  const withPin = (command: Command) =>
    command
      .option('--pin-file <file>', 'file holding the user PIN')
      .option('--pin-stdin', 'read the user PIN from standard input')
      .option('--json', 'machine-readable output');

  const purse = program
    .command('purse')
    .description(
      'offline digital cash: open a purse on your token, pay and receive with no network',
    );

  purse
    .command('status')
    .description('your purses on the selected chain, and offline income pending vs settled')
    .option('--account <address>', 'one account only')
    .option(
      '--refresh',
      "read the purses, vouchers and operators' certificate keys from the chain, and fetch a purse's awaited certificate",
    )
    .option('--json', 'machine-readable output')
    .action((flags: { account?: string; refresh?: boolean; json?: boolean }) =>
      context.run(
        flags,
        (app) =>
          app.call('purse.status', {
            ...(flags.account ? { account: flags.account } : {}),
            refresh: flags.refresh === true,
          }),
        describeStatus,
      ),
    );

  withPin(
    purse
      .command('open')
      .description(
        'lock money into a new purse (online): a purse key on your token, approve + open, then the operator’s certificate (run again to fetch a certificate still awaited)',
      )
      .requiredOption(
        '--account <uri>',
        "your account's key URI (the purse key is made on its token)",
      )
      .requiredOption('--locked <amount>', 'money to lock, e.g. 100.00')
      .requiredOption('--cap <amount>', 'most one payment may pay')
      .requiredOption('--max-count <n>', 'most payments the purse may make')
      .requiredOption('--validity <duration>', 'how long it may pay offline: seconds, or 12h, 7d'),
  ).action(
    (
      flags: PinFlags & {
        account: string;
        locked: string;
        cap: string;
        maxCount: string;
        validity: string;
      },
    ) =>
      context.run(
        flags,
        (app) =>
          app.call(
            'purse.open',
            {
              account: flags.account,
              locked: flags.locked,
              cap: flags.cap,
              maxCount: integer(flags.maxCount, '--max-count'),
              validitySeconds: duration(flags.validity),
            },
            pins(flags),
          ),
        (r) =>
          [
            `purse ${r.purse.purse} (epoch ${r.purse.epoch}) locks ${r.purse.locked}: ${r.purse.state}`,
            ...(r.notice ? [r.notice] : []),
            ...transactionLines(r),
          ].join('\n'),
      ),
  );

  purse
    .command('request')
    .description('ask for a payment (payee): a request file and/or QR frames for the payer')
    .requiredOption('--account <address>', 'your account to be paid')
    .requiredOption('--amount <amount>', 'e.g. 12.34')
    .option('--memo <text>', 'a note for the payer (at most 140 characters)')
    .option('--out <file>', 'write the request file here')
    .option('--qr-dir <dir>', 'write the request as numbered PNG QR frames here')
    .option('--json', 'machine-readable output')
    .action(
      (flags: {
        account: string;
        amount: string;
        memo?: string;
        out?: string;
        qrDir?: string;
        json?: boolean;
      }) =>
        context.run(
          flags,
          async (app) => {
            const r = await app.call('purse.request', {
              account: flags.account,
              amount: flags.amount,
              ...(flags.memo !== undefined ? { memo: flags.memo } : {}),
            });
            if (flags.out) writeAtomically(flags.out, `${r.text}\n`);
            const frames = flags.qrDir ? await writeFrames(flags.qrDir, r.parts) : 0;
            return { ...r, file: flags.out ?? null, frames };
          },
          (r) =>
            [
              `payment request: ${r.amount} to ${r.payee} (chain ${r.chainId})`,
              ...(r.file ? [`wrote ${r.file}`] : []),
              ...(r.frames ? [`wrote ${r.frames} QR frames to ${flags.qrDir}`] : []),
              ...(!r.file && !r.frames ? [r.text] : []),
            ].join('\n'),
        ),
    );

  withPin(
    purse
      .command('pay')
      .description(
        'pay a payment request offline: your token signs a voucher; hand over the file or QR frames',
      )
      .option('--request <file>', 'the payee’s request file')
      .option('--request-qr <dir>', 'the payee’s request as PNG QR frames')
      .option('--account <address>', 'the paying account (its open purse), if you have several')
      .option('--out <file>', 'write the offline payment file here')
      .option('--qr-dir <dir>', 'write the payment as numbered PNG QR frames here'),
  ).action(
    (
      flags: PinFlags & {
        request?: string;
        requestQr?: string;
        account?: string;
        out?: string;
        qrDir?: string;
      },
    ) =>
      context.run(
        flags,
        async (app) => {
          const request = transitInput(flags.request, flags.requestQr, '--request or --request-qr');
          const r = await app.call(
            'purse.pay',
            { request, ...(flags.account ? { account: flags.account } : {}) },
            pins(flags),
          );
          if (flags.out) writeAtomically(flags.out, `${r.payment.text}\n`);
          const frames = flags.qrDir ? await writeFrames(flags.qrDir, r.payment.parts) : 0;
          return { ...r, file: flags.out ?? null, frames };
        },
        (r) =>
          [
            `paid ${r.voucher.amount} to ${r.voucher.payee} offline: voucher ${r.voucher.counter} of purse ${r.voucher.purse} (${r.purse.paymentsLeft} payments, ${r.purse.amountLeft} left)`,
            ...(r.file ? [`wrote ${r.file}`] : []),
            ...(r.frames ? [`wrote ${r.frames} QR frames to ${flags.qrDir}`] : []),
            ...(!r.file && !r.frames ? [r.payment.text] : []),
          ].join('\n'),
      ),
  );

  purse
    .command('receive')
    .description('check an offline payment with no network and keep it as pending income')
    .option('--payment <file>', 'the offline payment file')
    .option('--payment-qr <dir>', 'the payment as PNG QR frames')
    .option('--json', 'machine-readable output')
    .action((flags: { payment?: string; paymentQr?: string; json?: boolean }) =>
      context.run(
        flags,
        async (app) => {
          const payment = transitInput(flags.payment, flags.paymentQr, '--payment or --payment-qr');
          const r = await app.call('purse.receive', { payment });
          if (!r.complete) {
            throw new SignetError(
              'VOUCHER_REFUSED',
              `the QR frames are incomplete: ${r.received} of ${r.needed} fragments`,
              { details: { reason: 'malformed' } },
            );
          }
          return r;
        },
        (r) =>
          r.complete
            ? `${r.alreadyHeld ? 'already held' : 'accepted'}: ${r.voucher.amount} to ${r.voucher.payee} from purse ${r.voucher.purse} (voucher ${r.voucher.counter}); pending offline income ${r.pendingIncome}`
            : '',
      ),
    );

  withPin(
    purse
      .command('settle')
      .description(
        'submit the vouchers you hold: through your own account, or to the collection service',
      )
      .option(
        '--submitter <uri>',
        'the account key that signs and pays for the settle transactions',
      )
      .option('--service', 'deposit them at the collection service in config.json instead'),
  ).action((flags: PinFlags & { submitter?: string; service?: boolean }) =>
    context.run(
      flags,
      (app) =>
        app.call(
          'purse.settle',
          flags.service
            ? { via: 'service' }
            : { via: 'own', ...(flags.submitter ? { submitter: flags.submitter } : {}) },
          pins(flags),
        ),
      (r) =>
        [
          `submitted ${r.submitted} vouchers; ${r.alreadySettled} already settled on chain`,
          ...(r.service
            ? [
                `collection service ${r.service.url}: ${r.service.accepted} accepted, ${r.service.refused} refused`,
              ]
            : []),
          ...transactionLines(r),
        ].join('\n'),
    ),
  );

  withPin(
    purse
      .command('close')
      .description('refund what no voucher claimed, after the thaw window')
      .requiredOption('--purse <address>', 'the purse (its key’s address)'),
  ).action((flags: PinFlags & { purse: string }) =>
    context.run(
      flags,
      (app) => app.call('purse.close', { purse: flags.purse }, pins(flags)),
      (r) => [`purse ${r.purse.purse}: ${r.purse.state}`, ...transactionLines(r)].join('\n'),
    ),
  );
}

// ---- files and frames ----------------------------------------------------------

function transitInput(file: string | undefined, qrDir: string | undefined, flags: string) {
  if ((file === undefined) === (qrDir === undefined)) {
    throw new SignetError('INVALID_ARGUMENT', `give one of ${flags}`);
  }
  if (file !== undefined)
    return { text: readLimited(file, MAX_PAYMENT_TEXT, 'a payment file').toString('utf8') };
  return { parts: readFrames(qrDir!) };
}

/** Every PNG in the folder, in name order, read by a real QR decoder (jsQR). */
function readFrames(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((name) => name.toLowerCase().endsWith('.png'))
      .sort();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SignetError('FILE_INVALID', `cannot read ${dir} (${reason})`);
  }
  if (names.length === 0) throw new SignetError('FILE_INVALID', `no PNG frames in ${dir}`);
  return names.map((name) => {
    const path = join(dir, name);
    return readQrImage(readLimited(path, MAX_FRAME_BYTES, 'a QR frame'), path);
  });
}

async function writeFrames(dir: string, parts: string[]): Promise<number> {
  try {
    mkdirSync(dir, { recursive: true });
    for (const [i, part] of parts.entries()) {
      const png = await QRCode.toBuffer(part, {
        type: 'png',
        errorCorrectionLevel: QR_ERROR_CORRECTION,
        margin: 4,
        scale: 4,
      });
      writeFileSync(join(dir, frameFileName(i, parts.length)), png);
    }
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unwritable';
    throw new SignetError('FILE_INVALID', `cannot write the QR frames to ${dir} (${reason})`);
  }
  return parts.length;
}

function integer(text: string, flag: string): number {
  if (!/^[1-9]\d{0,5}$/.test(text)) {
    throw new SignetError('INVALID_ARGUMENT', `${flag} must be a positive integer, not "${text}"`);
  }
  return Number(text);
}

/** Seconds, or a number with s, m, h or d. */
function duration(text: string): number {
  const match = /^(\d{1,8})([smhd]?)$/.exec(text.trim());
  if (!match) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `--validity must be seconds or like 12h or 7d, not "${text}"`,
    );
  }
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

// ---- output ----------------------------------------------------------------------

function transactionLines(r: {
  transactions: Array<{ kind: string; nonce: number; status: string; txHash: string }>;
  sync: AppResult<'purse.open'>['sync'];
}): string[] {
  const lines = r.transactions.map((t) => `${t.kind}  nonce ${t.nonce}  ${t.status}  ${t.txHash}`);
  if (r.transactions.length > 0) {
    if (r.sync === null) lines.push('queued: `signet sync` sends it');
    else if ('error' in r.sync) lines.push(`queued; the sync failed: ${r.sync.error}`);
  }
  return lines;
}

function describeStatus(s: AppResult<'purse.status'>): string {
  const lines = [
    `chain ${s.chainId}: settled balance ${s.settledBalance}, pending offline income ${s.pendingIncome} (receive limit ${s.receiveLimit ?? 'none'})`,
  ];
  for (const p of s.purses) {
    lines.push(
      `purse ${p.purse}  epoch ${p.epoch}  ${p.state}${p.mismatch ? ' (counter mismatch)' : ''}  locked ${p.locked}  paid offline ${p.paidOffline}  left ${p.amountLeft} in ${p.paymentsLeft} payments (cap ${p.cap})  valid until ${new Date(p.validUntil * 1000).toISOString()}`,
    );
    if (p.state === 'awaiting-certificate') {
      lines.push(
        `  opened on chain, awaiting the operator's certificate: pays nothing yet; \`signet purse status --refresh\` asks again`,
      );
    }
  }
  for (const v of s.vouchers) {
    lines.push(
      `  ${v.direction} ${v.amount} ${v.direction === 'paid' ? 'to' : 'from purse'} ${v.direction === 'paid' ? v.payee : v.purse}  #${v.counter}  ${v.status}`,
    );
  }
  if (s.certificateKeysSyncedAt === null) {
    lines.push(
      'certificate keys never synced: `signet purse status --refresh` once online to receive offline',
    );
  }
  return lines.join('\n');
}
