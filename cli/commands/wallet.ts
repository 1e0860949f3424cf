/**
 * signet account add | accounts | balance | notes | history | send | note … | outbox | sync
 * Amounts are decimal strings here ("12.34") and minor units inside.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SignetError } from '../../core/api/errors.js';
import {
  dateInputSchema,
  type FinanceOfferFile,
  financeOfferFileSchema,
} from '../../core/api/notes.js';
import { balanceRows, heldNoteRows } from '../../core/app/read-models.js';
import { historyRow, outboxRow } from '../../core/app/views.js';
import { parseAddress } from '../../core/chain/address.js';
import { parseAmount } from '../../core/chain/amount.js';
import { listAccounts } from '../../core/store/accounts.js';
import { exportAuditCsv, listAudit, verifyAuditChain } from '../../core/store/audit-log.js';
import { listNotes } from '../../core/store/chain-state.js';
import { listHistory } from '../../core/store/history.js';
import { listOutbox, type OutboxTx } from '../../core/store/outbox.js';
import { SyncEngine, type SyncReport } from '../../core/sync/sync-engine.js';
import { type ChainSession, withChain } from '../chain-context.js';
import type { CliContext } from '../context.js';

interface Flags {
  json?: boolean;
  pinFile?: string;
  pinStdin?: boolean;
  offline?: boolean;
}

export function registerWalletCommands(program: Command, context: CliContext): void {
  const ledger = <T>(flags: Flags, work: (session: ChainSession) => Promise<T>) =>
    withChain(
      context.io,
      { files: flags.pinFile ? { user: flags.pinFile } : {}, stdin: flags.pinStdin === true },
      work,
    );
  const pinOptions = (command: Command) =>
    command
      .option('--pin-file <file>', 'file holding the user PIN')
      .option('--pin-stdin', 'read the user PIN from standard input');
  /** Signs offline, then (unless --offline) tries to send; a node that is down leaves it queued. */
  const signThenSync = async (
    session: ChainSession,
    flags: Flags,
    sign: () => Promise<OutboxTx[]>,
  ) => {
    const queued = await sign();
    let sync: SyncReport | { error: string } | null = null;
    if (!flags.offline) {
      try {
        sync = await new SyncEngine(session.store, session.rpc(), session.profile).syncOnce();
      } catch (error) {
        sync = { error: error instanceof Error ? error.message : String(error) };
      }
    }
    const fresh = queued.map(
      (tx) =>
        listOutbox(session.store, session.profile.chainId).find((t) => t.txHash === tx.txHash) ??
        tx,
    );
    return { transactions: fresh.map(outboxRow), sync };
  };
  const describeQueued = (result: {
    transactions: ReturnType<typeof outboxRow>[];
    sync: SyncReport | { error: string } | null;
  }) =>
    [
      ...result.transactions.map((t) => `${t.status}: ${t.kind} nonce ${t.nonce} tx ${t.txHash}`),
      result.sync === null
        ? 'signed offline; it is in the outbox until `signet sync`'
        : 'error' in result.sync
          ? `kept in the outbox: ${result.sync.error}`
          : '',
    ]
      .filter(Boolean)
      .join('\n');

  /**
   * A command that has the token sign and queues what it signed: PIN options,
   * --offline and --json, then sign-then-sync and one report. `prepare` parses
   * the input first, so bad input fails before any token or store is touched.
   */
  const signing = <F extends Flags>(
    command: Command,
    prepare: (flags: F) => (session: ChainSession) => Promise<OutboxTx | OutboxTx[]>,
  ) =>
    pinOptions(command)
      .option('--offline', 'sign and queue only: no network access at all')
      .option('--json', 'machine-readable output')
      .action((flags: F) =>
        context.run(
          flags,
          () => {
            const sign = prepare(flags);
            return ledger(flags, (s) => signThenSync(s, flags, async () => [await sign(s)].flat()));
          },
          describeQueued,
        ),
      );

  const account = program.command('account').description('wallet accounts');
  pinOptions(
    account
      .command('add')
      .description('add a secp256k1 key on a token as a wallet account')
      .requiredOption('--key <uri>', 'pkcs11: URI of the key')
      .option('--name <name>', 'a name for people')
      .option('--json', 'machine-readable output'),
  ).action((flags: Flags & { key: string; name?: string }) =>
    context.run(
      flags,
      () => ledger(flags, (s) => s.wallet.addAccount(flags.key, flags.name)),
      (a) => `${a.name}  ${a.address}\n  ${a.keyUri}`,
    ),
  );

  program
    .command('accounts')
    .description('list wallet accounts')
    .option('--json', 'machine-readable output')
    .action((flags: Flags) =>
      context.run(
        flags,
        () => ledger(flags, async (s) => listAccounts(s.store)),
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
        () =>
          ledger(flags, async (s) =>
            balanceRows(s.store, s.profile.chainId, accountFlag(flags.account)),
          ),
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
        () =>
          ledger(flags, async (s) => heldNoteRows(s.store, s.profile, accountFlag(flags.account))),
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
        () =>
          ledger(flags, async (s) =>
            listHistory(s.store, s.profile.chainId, {
              address: accountFlag(flags.account),
              limit: Number(flags.limit) || 50,
            }).map(historyRow),
          ),
        (rows) =>
          rows
            .map(
              (e) =>
                `#${e.blockNumber}  ${e.kind}  ${e.from ?? '-'} → ${e.to ?? '-'}  ${e.tokenId ? `note ${e.tokenId}` : e.amount}`,
            )
            .join('\n') || 'no history',
      ),
    );

  signing(
    program
      .command('send')
      .description('pay currency; signed on the token, sent when a node is reachable')
      .requiredOption('--from <uri>', 'pkcs11: URI of the paying key')
      .requiredOption('--to <address>', 'recipient')
      .requiredOption('--amount <amount>', 'e.g. 12.34'),
    (flags: Flags & { from: string; to: string; amount: string }) => {
      const to = parseAddress(flags.to, 'recipient');
      const amount = parseAmount(flags.amount);
      return (s) => s.wallet.send(flags.from, to, amount);
    },
  );

  const note = program
    .command('note')
    .description('digital notes: issue, endorse, split, finance, redeem');
  signing(
    note
      .command('issue')
      .description('issue a note as its acceptor (debtor)')
      .requiredOption('--from <uri>', 'pkcs11: URI of the acceptor key')
      .requiredOption('--to <address>', 'payee')
      .requiredOption('--amount <amount>', 'face value')
      .requiredOption('--maturity <date>', 'YYYY-MM-DD'),
    (flags: Flags & { from: string; to: string; amount: string; maturity: string }) => {
      const to = parseAddress(flags.to, 'payee');
      const amount = parseAmount(flags.amount);
      const maturity = parseDate(flags.maturity);
      return (s) => s.wallet.issueNote(flags.from, to, amount, maturity);
    },
  );
  signing(
    note
      .command('endorse')
      .description('transfer a whole note')
      .requiredOption('--from <uri>', 'pkcs11: URI of the holder key')
      .requiredOption('--note <id>', 'note id')
      .requiredOption('--to <address>', 'new holder'),
    (flags: Flags & { from: string; note: string; to: string }) => {
      const to = parseAddress(flags.to, 'new holder');
      const id = parseNoteId(flags.note);
      return (s) => s.wallet.endorseNote(flags.from, id, to);
    },
  );
  signing(
    note
      .command('split')
      .description('transfer part of a note; the rest stays')
      .requiredOption('--from <uri>', 'pkcs11: URI of the holder key')
      .requiredOption('--note <id>', 'note id')
      .requiredOption('--to <address>', 'recipient of the part')
      .requiredOption('--amount <amount>', 'value to transfer'),
    (flags: Flags & { from: string; note: string; to: string; amount: string }) => {
      const to = parseAddress(flags.to, 'recipient');
      const id = parseNoteId(flags.note);
      const amount = parseAmount(flags.amount);
      return (s) => s.wallet.splitNote(flags.from, id, to, amount);
    },
  );
  signing(
    note
      .command('redeem')
      .description('at or after maturity: the acceptor pays the holder')
      .requiredOption('--from <uri>', 'pkcs11: URI of the holder key')
      .requiredOption('--note <id>', 'note id'),
    (flags: Flags & { from: string; note: string }) => {
      const id = parseNoteId(flags.note);
      return (s) => s.wallet.redeemNote(flags.from, id);
    },
  );
  pinOptions(
    note
      .command('finance')
      .description(
        'the holder offers note value to a bank for a price: signs an offer file (offline)',
      )
      .requiredOption('--from <uri>', 'pkcs11: URI of the holder key')
      .requiredOption('--note <id>', 'note id')
      .requiredOption('--bank <address>', 'the financing bank')
      .requiredOption('--price <amount>', 'what the bank pays')
      .option('--amount <amount>', 'note value sold (default: all of it)')
      .option('--days <n>', 'the offer is valid this many days', '7')
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
        () => {
          const bank = parseAddress(flags.bank, 'bank');
          const id = parseNoteId(flags.note);
          const price = parseAmount(flags.price);
          // Not a number would crash as an internal error; zero or less signs a dead offer.
          const days = Number(flags.days);
          if (!(Number.isFinite(days) && days > 0)) {
            throw new SignetError(
              'INVALID_ARGUMENT',
              `--days must be a positive number of days, not "${flags.days}"`,
            );
          }
          return ledger(flags, async (s) => {
            const held = listNotes(s.store, s.profile.chainId).find((n) => n.tokenId === id);
            const value = flags.amount ? parseAmount(flags.amount) : (held?.value ?? 0n);
            const deadline = new Date(Date.now() + days * 86_400_000);
            const offer = await s.wallet.signFinanceOffer(flags.from, {
              tokenId: id,
              bank,
              value,
              price,
              deadline,
            });
            writeFileSync(flags.out, `${JSON.stringify(offer, null, 2)}\n`);
            return { file: flags.out, offer };
          });
        },
        (r) =>
          `offer signed and written to ${r.file}; give it to the bank (\`signet note finance-accept\`)`,
      ),
  );
  signing(
    note
      .command('finance-accept')
      .description("the bank pays for a note against the holder's signed offer (atomic)")
      .requiredOption('--from <uri>', 'pkcs11: URI of the bank key')
      .requiredOption('--offer <file>', 'the offer file from the holder'),
    (flags: Flags & { from: string; offer: string }) => {
      const file = readOfferFile(flags.offer);
      return (s) =>
        s.wallet.acceptFinanceOffer(flags.from, file, flags.offline ? undefined : s.rpc());
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
        () =>
          ledger(flags, async (s) => {
            if (flags.csv) writeFileSync(flags.csv, exportAuditCsv(s.store));
            return {
              chain: verifyAuditChain(s.store),
              entries: listAudit(s.store, {
                search: flags.search,
                limit: Number(flags.limit) || 50,
              }),
            };
          }),
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
        () => ledger(flags, async (s) => listOutbox(s.store, s.profile.chainId).map(outboxRow)),
        (rows) =>
          rows
            .map(
              (t) =>
                `${t.status.padEnd(9)} ${t.kind} nonce ${t.nonce} ${t.txHash}${t.error ? `  (${t.error})` : ''}`,
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
        () =>
          ledger(flags, async (s) => {
            const engine = new SyncEngine(s.store, s.rpc(), s.profile);
            if (!flags.watch) return { ...(await engine.syncOnce()), nodes: s.rpc().status() };
            const stop = new AbortController();
            const onSignal = () => stop.abort();
            process.once('SIGINT', onSignal);
            process.once('SIGTERM', onSignal);
            await engine.watch(stop.signal, Number(flags.interval) || 1000, (report) => {
              const line = report instanceof Error ? { error: report.message } : report;
              context.io.stdout.write(`${JSON.stringify(line)}\n`);
            });
            return { stopped: true as const };
          }),
        (r) =>
          'stopped' in r
            ? 'stopped'
            : `head ${r.head}: sent ${r.sent}, included ${r.included}, confirmed ${r.confirmed}, failed ${r.failed}, ${r.events} new events${r.rewoundTo === null ? '' : `, rewound to block ${r.rewoundTo} (reorg)`}`,
      ),
    );
}

/** A calendar day as the API checks it (core/api/notes.ts), at 00:00 UTC. */
function parseDate(text: string): Date {
  if (!dateInputSchema.safeParse(text).success) {
    throw new SignetError('INVALID_ARGUMENT', `"${text}" is not a date (use YYYY-MM-DD)`);
  }
  return new Date(`${text}T00:00:00Z`);
}

/** The --account filter, checked (checksum included) when given. */
function accountFlag(text: string | undefined) {
  return text ? parseAddress(text, 'account') : undefined;
}

function parseNoteId(text: string): bigint {
  if (!/^\d+$/.test(text))
    throw new SignetError('INVALID_ARGUMENT', `"${text}" is not a note id (digits)`);
  return BigInt(text);
}

function readOfferFile(path: string): FinanceOfferFile {
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
