/**
 * signet account add | accounts | balance | notes | history | send | note … | outbox | sync | audit
 *
 * Each command parses its flags (amounts are decimal strings like "12.34",
 * checked here so a typo is named by its flag), calls the app's handler for
 * the operation (the UI's own: the same checks, sign-then-sync and sync), and
 * prints the result.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SignetError } from '../../core/api/errors.js';
import type { AppRequest, AppResult } from '../../core/api/methods.js';
import {
  dateInputSchema,
  type FinanceOfferFile,
  financeOfferFileSchema,
} from '../../core/api/notes.js';
import { parseAddress } from '../../core/chain/address.js';
import { formatAmount, parseAmount } from '../../core/chain/amount.js';
import type { CliApp, CliContext } from '../context.js';
import type { PinOptions } from '../pin-source.js';
import { stopSignal } from '../stop-signal.js';

interface Flags {
  json?: boolean;
  pinFile?: string;
  carrierPinFile?: string;
  pinStdin?: boolean;
  offline?: boolean;
  carrier?: string;
}

type Signed = Pick<AppResult<'wallet.send'>, 'transactions' | 'sync'>;
type NoteOperationRequest = AppRequest<'notes.execute'>['operation'];

export function registerWalletCommands(program: Command, context: CliContext): void {
  const pins = (flags: Flags): PinOptions => ({
    files: flags.pinFile ? { user: flags.pinFile } : {},
    ...(flags.carrierPinFile ? { carrierFile: flags.carrierPinFile } : {}),
    stdin: flags.pinStdin === true,
  });
  const pinOptions = (command: Command) =>
    command
      .option('--pin-file <file>', 'file holding the user PIN')
      .option('--pin-stdin', 'read the user PIN from standard input');

  /**
   * A command that has the token sign and queues what it signed: PIN options,
   * --offline and --json; the handler signs, then (unless --offline) syncs.
   * `prepare` parses the flags first, so bad input fails before any token or
   * store is touched.
   */
  const signing = <F extends Flags>(
    command: Command,
    prepare: (flags: F) => (app: CliApp, pins: PinOptions) => Promise<Signed>,
  ) =>
    pinOptions(command)
      .option('--offline', 'sign and queue only: no network access at all')
      .option(
        '--carrier <account>',
        "a P-256 sender's carrier (address or key URI): one of your secp256k1 accounts, which signs and pays for the transaction",
      )
      .option(
        '--carrier-pin-file <file>',
        "file holding the PIN of the carrier's token, when it is another token than the sender's (with --pin-stdin: the line after the sender's PIN)",
      )
      .option('--json', 'machine-readable output')
      .action((flags: F) =>
        context.run(
          flags,
          async (app) => {
            const { transactions, sync } = await prepare(flags)(app, pins(flags));
            return { transactions, sync };
          },
          describeSigned,
        ),
      );
  const account = program.command('account').description('wallet accounts');
  pinOptions(
    account
      .command('add')
      .description(
        'add a key as a wallet account: secp256k1 or P-256 (its account contract, e.g. a TPM key) on a token, or an account on a Ledger',
      )
      .requiredOption(
        '--key <uri>',
        "pkcs11: URI of the key, or ledger: URI of the account (ledger:<device id>?path=m/44'/60'/0'/0/0; `signet devices list` prints it)",
      )
      .option('--name <name>', 'a name for people')
      .option('--json', 'machine-readable output'),
  ).action((flags: Flags & { key: string; name?: string }) =>
    context.run(
      flags,
      (app) => app.call('accounts.add', { key: flags.key, name: flags.name }, pins(flags)),
      (a) =>
        `${a.name}  ${a.address}${a.curve === 'p256' ? ' (P-256 account contract)' : ''}\n  ${a.keyUri}`,
    ),
  );

  program
    .command('accounts')
    .description('list wallet accounts')
    .option('--json', 'machine-readable output')
    .action((flags: Flags) =>
      context.run(
        flags,
        async (app) => {
          await app.call('app.info', {}).then(requireChain);
          return app.call('accounts.list', {});
        },
        (list) =>
          list.map((a) => `${a.name}  ${a.address}  ${a.keyUri}`).join('\n') || 'no accounts',
      ),
    );

  program
    .command('balance')
    .description('balances as of the last sync, with what the outbox still owes')
    .option('--account <address>', 'one account')
    .option('--json', 'machine-readable output')
    .action((flags: Flags & { account?: string }) =>
      context.run(
        flags,
        (app) => app.call('accounts.balances', { address: accountFlag(flags.account) }),
        (rows) =>
          rows
            .map(
              (r) =>
                `${r.name}  ${r.balance}  (available ${r.available})${r.syncedBlock === null ? '  never synced' : ''}`,
            )
            .join('\n') || 'no accounts',
      ),
    );

  program
    .command('notes')
    .description('notes held, by maturity, as of the last sync')
    .option('--account <address>', 'one account')
    .option('--json', 'machine-readable output')
    .action((flags: Flags & { account?: string }) =>
      context.run(
        flags,
        (app) => app.call('notes.list', { address: accountFlag(flags.account) }),
        (rows) =>
          rows
            .map(
              (n) =>
                `note ${n.tokenId}  ${n.value}  matures ${n.maturity}  ${n.status}  acceptor ${n.acceptor}  currency ${n.currency}${n.currencyKnown ? '' : ' (unknown currency: not money)'}`,
            )
            .join('\n') || 'no notes',
      ),
    );

  program
    .command('history')
    .description('indexed history, newest first')
    .option('--account <address>', 'one account')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'machine-readable output')
    .action((flags: Flags & { account?: string; limit: string }) =>
      context.run(
        flags,
        async (app) => {
          // The API hands out pages of at most 500; the CLI reads as many as --limit asks for.
          const limit = Number(flags.limit) || 50;
          const address = accountFlag(flags.account);
          const rows: AppResult<'history.page'>['rows'] = [];
          let before: AppRequest<'history.page'>['before'];
          while (rows.length < limit) {
            const page = await app.call('history.page', {
              address,
              limit: Math.min(limit - rows.length, PAGE),
              before,
            });
            rows.push(...page.rows);
            if (!page.next) break;
            before = page.next;
          }
          return rows;
        },
        (rows) =>
          rows
            .map(
              (e) =>
                `#${e.blockNumber}  ${e.kind}  ${e.from ?? '-'} → ${e.to ?? '-'}  ${e.tokenId ? `note ${e.tokenId}${e.amount === '0.00' ? '' : ` ${e.amount}`}` : e.amount}`,
            )
            .join('\n') || 'no history',
      ),
    );

  signing(
    program
      .command('send')
      .description('pay currency; signed on the token, sent when a node is reachable')
      .requiredOption('--from <uri>', 'key URI (pkcs11: or ledger:) of the paying account')
      .requiredOption('--to <address>', 'recipient')
      .requiredOption('--amount <amount>', 'e.g. 12.34'),
    (flags: Flags & { from: string; to: string; amount: string }) => {
      const to = parseAddress(flags.to, 'recipient');
      const amount = amountFlag(flags.amount);
      const carrier = carrierFlag(flags.carrier);
      return (app, pinOptions) =>
        app.call(
          'wallet.send',
          { from: flags.from, to, amount, offline: flags.offline === true, carrier },
          pinOptions,
        );
    },
  );

  const note = program
    .command('note')
    .description('digital notes: issue, endorse, split, finance, redeem');
  signing(
    note
      .command('issue')
      .description('issue a note as its acceptor (debtor)')
      .requiredOption('--from <uri>', 'key URI (pkcs11: or ledger:) of the acceptor')
      .requiredOption('--to <address>', 'payee')
      .requiredOption('--amount <amount>', 'face value')
      .requiredOption('--maturity <date>', 'YYYY-MM-DD'),
    (flags: Flags & { from: string; to: string; amount: string; maturity: string }) => {
      const payee = parseAddress(flags.to, 'payee');
      const faceValue = amountFlag(flags.amount);
      const maturity = dateFlag(flags.maturity);
      return (app, p) =>
        noteExecute(app, { op: 'issue', from: flags.from, payee, faceValue, maturity }, p, flags);
    },
  );
  signing(
    note
      .command('endorse')
      .description('transfer a whole note')
      .requiredOption('--from <uri>', 'key URI (pkcs11: or ledger:) of the holder')
      .requiredOption('--note <id>', 'note id')
      .requiredOption('--to <address>', 'new holder'),
    (flags: Flags & { from: string; note: string; to: string }) => {
      const to = parseAddress(flags.to, 'new holder');
      const tokenId = noteIdFlag(flags.note);
      return (app, p) =>
        noteExecute(app, { op: 'endorse', from: flags.from, tokenId, to }, p, flags);
    },
  );
  signing(
    note
      .command('split')
      .description('transfer part of a note; the rest stays')
      .requiredOption('--from <uri>', 'key URI (pkcs11: or ledger:) of the holder')
      .requiredOption('--note <id>', 'note id')
      .requiredOption('--to <address>', 'recipient of the part')
      .requiredOption('--amount <amount>', 'value to transfer'),
    (flags: Flags & { from: string; note: string; to: string; amount: string }) => {
      const to = parseAddress(flags.to, 'recipient');
      const tokenId = noteIdFlag(flags.note);
      const value = amountFlag(flags.amount);
      return (app, p) =>
        noteExecute(app, { op: 'split', from: flags.from, tokenId, to, value }, p, flags);
    },
  );
  signing(
    note
      .command('redeem')
      .description('at or after maturity: the acceptor pays the holder')
      .requiredOption('--from <uri>', 'key URI (pkcs11: or ledger:) of the holder')
      .requiredOption('--note <id>', 'note id'),
    (flags: Flags & { from: string; note: string }) => {
      const tokenId = noteIdFlag(flags.note);
      return (app, p) => noteExecute(app, { op: 'redeem', from: flags.from, tokenId }, p, flags);
    },
  );
  pinOptions(
    note
      .command('finance')
      .description(
        'the holder offers note value to a bank for a price: signs an offer file (offline)',
      )
      .requiredOption('--from <uri>', 'key URI (pkcs11: or ledger:) of the holder')
      .requiredOption('--note <id>', 'note id')
      .requiredOption('--bank <address>', 'the financing bank')
      .requiredOption('--price <amount>', 'what the bank pays')
      .option('--amount <amount>', 'note value sold (default: all of it)')
      .option(
        '--days <n>',
        'the bank may accept until the end of the day (UTC) this many days from today',
        '7',
      )
      .requiredOption('--out <file>', 'where to write the signed offer')
      // Accepted like on every signing command (scripts pass it throughout): an offer is
      // a signature written to a file, so this command never touches the network anyway.
      .option('--offline', 'no network access (an offer never needs any)')
      .option('--json', 'machine-readable output'),
  ).action(
    (
      flags: Flags & {
        from: string;
        note: string;
        bank: string;
        price: string;
        amount?: string;
        days: string;
        out: string;
      },
    ) =>
      context.run(
        flags,
        async (app) => {
          const bank = parseAddress(flags.bank, 'bank');
          const tokenId = noteIdFlag(flags.note);
          const price = amountFlag(flags.price);
          const value = flags.amount === undefined ? undefined : amountFlag(flags.amount);
          const deadline = deadlineFlag(flags.days);
          const { offer } = await app.call(
            'notes.execute',
            {
              operation: {
                op: 'finance-offer',
                from: flags.from,
                tokenId,
                bank,
                value,
                price,
                deadline,
              },
            },
            pins(flags),
          );
          if (!offer) throw new SignetError('INTERNAL', 'the finance offer was not signed');
          writeFile(flags.out, `${JSON.stringify(offer, null, 2)}\n`, 'offer');
          return { file: flags.out, offer };
        },
        (r) =>
          `offer signed and written to ${r.file}; give it to the bank (\`signet note finance-accept\`)`,
      ),
  );
  signing(
    note
      .command('finance-accept')
      .description("the bank pays for a note against the holder's signed offer (atomic)")
      .requiredOption('--from <uri>', 'key URI (pkcs11: or ledger:) of the bank')
      .requiredOption('--offer <file>', 'the offer file from the holder'),
    (flags: Flags & { from: string; offer: string }) => {
      const offer = readOfferFile(flags.offer);
      return (app, p) =>
        noteExecute(app, { op: 'finance-accept', from: flags.from, offer }, p, flags);
    },
  );

  program
    .command('audit')
    .description('the append-only log of every signature, and whether its hash chain is intact')
    .option('--search <text>', 'only entries mentioning this')
    .option('--limit <n>', 'how many', '50')
    .option('--csv <file>', 'export the whole log as CSV')
    .option('--json', 'machine-readable output')
    .action((flags: Flags & { search?: string; limit: string; csv?: string }) =>
      context.run(
        flags,
        async (app) => {
          await app.call('app.info', {}).then(requireChain);
          if (flags.csv) writeFile(flags.csv, (await app.call('audit.export', {})).csv, 'CSV');
          return {
            chain: await app.call('audit.verify', {}),
            entries: await auditEntries(app, flags.search, Number(flags.limit) || 50),
          };
        },
        (r) =>
          [
            r.chain.intact
              ? `hash chain intact (${r.chain.entries} entries)`
              : `HASH CHAIN BROKEN at entry ${r.chain.firstBadSeq}`,
            ...r.entries.map(
              (e) => `#${e.seq} ${e.at} ${e.action} ${e.txHash ?? ''}\n  ${e.keyUri ?? ''}`,
            ),
          ].join('\n'),
      ),
    );

  program
    .command('outbox')
    .description('signed transactions and where they are')
    .option('--json', 'machine-readable output')
    .action((flags: Flags) =>
      context.run(
        flags,
        (app) => app.call('outbox.list', {}),
        (rows) =>
          rows
            .map(
              (t) =>
                `${t.status.padEnd(9)} ${t.kind} nonce ${t.nonce} ${t.txHash}${t.carried ? ` for ${t.carried.account} (its nonce ${t.carried.nonce})` : ''}${t.error ? `  (${t.error})` : ''}`,
            )
            .join('\n') || 'the outbox is empty',
      ),
    );

  program
    .command('sync')
    .description('send the outbox, follow it to finality, index history and balances')
    .option('--watch', 'keep syncing until stopped')
    .option('--interval <ms>', 'with --watch: pause between syncs', '1000')
    .option('--json', 'machine-readable output')
    .action((flags: Flags & { watch?: boolean; interval: string }) =>
      context.run(
        flags,
        async (app) => {
          if (!flags.watch) return app.call('sync.run', {});
          await watch(app, Number(flags.interval) || 1000, (line) =>
            context.io.stdout.write(`${JSON.stringify(line)}\n`),
          );
          return { stopped: true as const };
        },
        (r) =>
          'stopped' in r
            ? 'stopped'
            : `head ${r.head}: sent ${r.sent}, included ${r.included}, confirmed ${r.confirmed}, failed ${r.failed}, ${r.events} new events${r.unconfirmed > 0 ? `, ${r.unconfirmed} unconfirmed (too few nodes agree)` : ''}${r.rewoundTo === null ? '' : `, rewound to block ${r.rewoundTo} (reorg)`}`,
      ),
    );
}

/** The largest page the API gives (history.page, audit.list). */
const PAGE = 500;

/** Up to `limit` audit entries, newest first, a page at a time. */
async function auditEntries(app: CliApp, search: string | undefined, limit: number) {
  const entries: AppResult<'audit.list'>['entries'] = [];
  while (entries.length < limit) {
    const want = Math.min(limit - entries.length, PAGE);
    const page = await app.call('audit.list', { search, limit: want, offset: entries.length });
    entries.push(...page.entries);
    if (page.entries.length < want) break;
  }
  return entries;
}

function noteExecute(
  app: CliApp,
  operation: NoteOperationRequest,
  pins: PinOptions,
  flags: Pick<Flags, 'offline' | 'carrier'>,
) {
  const carrier = carrierFlag(flags.carrier);
  return app.call('notes.execute', { operation, offline: flags.offline === true, carrier }, pins);
}

/** --carrier: a key URI as typed, or an address (checksum checked). */
function carrierFlag(text: string | undefined): string | undefined {
  if (text === undefined || text.startsWith('pkcs11:')) return text;
  return parseAddress(text, 'carrier');
}

/** Syncs every `intervalMs` until SIGINT/SIGTERM; each report (or error) is one JSON line. */
async function watch(
  app: CliApp,
  intervalMs: number,
  report: (line: unknown) => void,
): Promise<void> {
  const stop = stopSignal();
  let stopped = false;
  void stop.received.then(() => {
    stopped = true;
  });
  try {
    while (!stopped) {
      try {
        report(await app.call('sync.run', {}));
      } catch (error) {
        report({ error: error instanceof Error ? error.message : String(error) });
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        stop.received,
        new Promise((resolve) => {
          timer = setTimeout(resolve, intervalMs);
        }),
      ]);
      clearTimeout(timer);
    }
  } finally {
    stop.dispose();
  }
}

function describeSigned(result: Signed): string {
  return [
    ...result.transactions.map(
      (t) =>
        `${t.status}: ${t.kind} nonce ${t.nonce} tx ${t.txHash}${t.carried ? ` for ${t.carried.account} (its nonce ${t.carried.nonce})` : ''}`,
    ),
    result.sync === null
      ? 'signed offline; it is in the outbox until `signet sync`'
      : 'error' in result.sync
        ? `kept in the outbox: ${result.sync.error}`
        : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Commands that read the store say first when there is no ledger (as every ledger command does). */
function requireChain(info: AppResult<'app.info'>): void {
  if (!info.ledger) throw new SignetError('PROFILE_INVALID', info.chainProblem ?? 'no ledger');
}

/** An amount flag, checked (at most 2 decimals), as the API's decimal text. */
export function amountFlag(text: string): string {
  return formatAmount(parseAmount(text));
}

/** The --account filter, checked (checksum included) when given. */
function accountFlag(text: string | undefined) {
  return text ? parseAddress(text, 'account') : undefined;
}

export function noteIdFlag(text: string): string {
  if (!/^\d+$/.test(text))
    throw new SignetError('INVALID_ARGUMENT', `"${text}" is not a note id (digits)`);
  return BigInt(text).toString();
}

/** A calendar day as the API checks it (core/api/notes.ts). */
export function dateFlag(text: string): string {
  if (!dateInputSchema.safeParse(text).success) {
    throw new SignetError('INVALID_ARGUMENT', `"${text}" is not a date (use YYYY-MM-DD)`);
  }
  return text;
}

/** --days N: the day N days from today (UTC), the offer's last day, as the UI's date field gives it. */
function deadlineFlag(text: string): string {
  const days = Number(text);
  if (!(Number.isInteger(days) && days > 0 && days <= 3650)) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `--days must be a positive number of days, not "${text}"`,
    );
  }
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export function readOfferFile(path: string): FinanceOfferFile {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new SignetError('FILE_INVALID', `${path} is not a readable JSON offer file`);
  }
  const parsed = financeOfferFileSchema.safeParse(value);
  if (!parsed.success)
    throw new SignetError(
      'FILE_INVALID',
      `${path} is not a Signet finance offer (malformed fields)`,
    );
  return parsed.data;
}

function writeFile(path: string, content: string, what: string): void {
  try {
    writeFileSync(path, content);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unwritable';
    throw new SignetError('FILE_INVALID', `cannot write the ${what} to ${path} (${reason})`);
  }
}
