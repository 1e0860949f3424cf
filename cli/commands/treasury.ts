/**
 * signet treasury create | list | show | propose | batch | cancel | policy set | review | approve | merge | execute
 *
 * A treasury is a Safe whose payments several owners approve, each with their
 * own key, possibly on a machine with no network: a proposal travels as a
 * `.signet-approval` file, each approver adds a signature, and anyone online
 * executes it once enough have. Every command shows the proposal decoded and
 * the safeTxHash the keys sign; the work is the app's handlers' (core/app/treasury.ts).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { SignetError } from '../../core/api/errors.js';
import type { AppResult } from '../../core/api/methods.js';
import { parseAddress } from '../../core/chain/address.js';
import { MAX_APPROVAL_FILE_BYTES } from '../../core/treasury/bundle-codec.js';
import type { CliContext } from '../context.js';
import type { PinOptions } from '../pin-source.js';

interface Flags {
  json?: boolean;
  pinFile?: string;
  pinStdin?: boolean;
  offline?: boolean;
}

type Review = AppResult<'treasury.review'>['review'];
type Treasury = AppResult<'treasury.create'>['treasury'];
type Signed = Pick<AppResult<'treasury.execute'>, 'transactions' | 'sync'>;

export function registerTreasuryCommands(program: Command, context: CliContext): void {
  const pins = (flags: Flags): PinOptions => ({
    files: flags.pinFile ? { user: flags.pinFile } : {},
    stdin: flags.pinStdin === true,
  });
  const withPins = (command: Command) =>
    command
      .option('--pin-file <file>', 'file holding the user PIN')
      .option('--pin-stdin', 'read the user PIN from standard input');

  const treasury = program
    .command('treasury')
    .description('treasuries: payments several owners approve, by file, with no backend');

  withPins(
    treasury
      .command('create')
      .description(
        'create a treasury (a Safe): prints its address (predicted offline) and queues its deployment',
      )
      .requiredOption('--name <name>', 'a name for people')
      .requiredOption(
        '--owner <owner>',
        'an owner: address, or key URI of a wallet account (repeat for each)',
        collect,
        [],
      )
      .requiredOption('--threshold <n>', 'approvals a payment needs')
      .requiredOption('--from <uri>', 'key URI of the wallet account that sends the deployment')
      .option('--salt <n>', 'CREATE2 salt nonce (a fresh random one when left out)')
      .option('--offline', 'sign and queue only: no network access at all')
      .option('--json', 'machine-readable output'),
  ).action(
    (
      flags: Flags & {
        name: string;
        owner: string[];
        threshold: string;
        from: string;
        salt?: string;
      },
    ) =>
      context.run(
        flags,
        (app) =>
          app.call(
            'treasury.create',
            {
              name: flags.name,
              owners: flags.owner,
              threshold: positiveInteger(flags.threshold, '--threshold'),
              from: flags.from,
              saltNonce: flags.salt,
              offline: flags.offline === true,
            },
            pins(flags),
          ),
        (result) =>
          `treasury ${result.treasury.name}  ${result.treasury.address}  (predicted; ${result.treasury.threshold} of ${result.treasury.owners.length} owners)\n${describeSigned(result)}`,
      ),
  );

  treasury
    .command('list')
    .description("this ledger's treasuries")
    .option('--json', 'machine-readable output')
    .action((flags: Flags) =>
      context.run(
        flags,
        (app) => app.call('treasury.list', {}),
        (rows) => rows.map(treasuryLine).join('\n') || 'no treasuries',
      ),
    );

  treasury
    .command('show')
    .description('a treasury as stored and, unless --offline, as the chain has it')
    .argument('<treasury>', 'name or address')
    .option('--offline', 'no network access: the stored treasury only')
    .option('--json', 'machine-readable output')
    .action((name: string, flags: Flags) =>
      context.run(
        flags,
        (app) => app.call('treasury.show', { treasury: name, offline: flags.offline === true }),
        ({ treasury: t, chain, synced }) => {
          const lines = [treasuryLine(t), `  owners ${t.owners.join(', ')}`];
          if (!chain) lines.push('  on chain: not read (--offline)');
          else if (!chain.deployed)
            lines.push(
              `  not deployed yet (\`signet sync\` sends its deployment); balance ${chain.balance}`,
            );
          else
            lines.push(
              `  deployed at the predicted address: ${chain.threshold} of ${chain.owners.length} owners, nonce ${chain.nonce}, balance ${chain.balance}`,
            );
          if (!synced) lines.push('  synced: not yet (`signet sync` follows it)');
          else {
            const standing = synced.frozen
              ? 'frozen'
              : synced.registered
                ? 'registered'
                : 'not registered';
            lines.push(
              `  synced at block ${synced.block}: balance ${synced.balance}, ${standing}, ${synced.notes.length} note${synced.notes.length === 1 ? '' : 's'} held`,
              ...synced.notes.map(
                (n) => `    note #${n.tokenId}: ${n.value}, matures ${n.maturity}`,
              ),
            );
          }
          return lines.join('\n');
        },
      ),
    );

  withPins(
    treasury
      .command('propose')
      .description('propose a currency payment by the treasury: writes an approval bundle')
      .argument('<treasury>', 'name or address')
      .requiredOption('--to <address>', 'recipient')
      .requiredOption('--amount <amount>', 'e.g. 12.34')
      .requiredOption('--out <file>', 'the .signet-approval file to write')
      .option('--description <text>', 'what the payment is for, shown to every approver')
      .option('--sign-with <uri>', "an owner's key that approves it at once")
      .option('--offline', 'no network access: the Safe nonce from the store and earlier proposals')
      .option('--json', 'machine-readable output'),
  ).action(
    (
      name: string,
      flags: Flags & {
        to: string;
        amount: string;
        out: string;
        description?: string;
        signWith?: string;
      },
    ) =>
      context.run(
        flags,
        async (app) => {
          const result = await app.call(
            'treasury.propose',
            {
              treasury: name,
              to: parseAddress(flags.to, 'recipient'),
              amount: flags.amount,
              description: flags.description,
              signWith: flags.signWith,
              offline: flags.offline === true,
            },
            pins(flags),
          );
          writeBundle(flags.out, result.bundle);
          return { ...result, file: flags.out };
        },
        (result) => `${describeReview(result.review)}\nwrote ${result.file}`,
      ),
  );

  treasury
    .command('review')
    .description('show an approval bundle decoded; signs nothing')
    .argument('<file>', '.signet-approval file')
    .option('--json', 'machine-readable output')
    .action((file: string, flags: Flags) =>
      context.run(
        flags,
        (app) => app.call('treasury.review', { bundle: readBundle(file) }),
        (result) => describeReview(result.review),
      ),
    );

  withPins(
    treasury
      .command('approve')
      .description(
        "approve a proposal with an owner's key: writes the bundle with the new signature",
      )
      .argument('<file>', '.signet-approval file')
      .requiredOption(
        '--key <uri>',
        "key URI of the approving owner's key: a secp256k1 owner, or a P-256 key (a TPM's) whose account is an owner",
      )
      .requiredOption('--out <file>', 'the .signet-approval file to write')
      .option('--offline', 'no network and no ledger needed: chain and owners come from the bundle')
      .option(
        '--policy <file>',
        "the treasury's .signet-policy to check the proposal against (else the stored one)",
      )
      .option('--json', 'machine-readable output'),
  ).action((file: string, flags: Flags & { key: string; out: string; policy?: string }) =>
    context.run(
      flags,
      async (app) => {
        const bundle = readBundle(file);
        const result = await app.call(
          'treasury.approve',
          {
            bundle,
            key: flags.key,
            offline: flags.offline === true,
            ...(flags.policy ? { policy: readBundle(flags.policy) } : {}),
          },
          pins(flags),
        );
        writeBundle(flags.out, result.bundle);
        return { ...result, file: flags.out };
      },
      (result) =>
        [
          describeReview(result.review),
          ...(result.policy
            ? [
                `within policy version ${result.policy.version} (${result.policy.requiredThreshold} approvals needed); spent on ${result.policy.day}: ${result.policy.spentToday.map((s) => s.amount).join(', ')}, counting ${result.policy.counted}`,
              ]
            : []),
          `approved by ${result.approvedBy}`,
          `wrote ${result.file}`,
        ].join('\n'),
    ),
  );

  treasury
    .command('merge')
    .description('merge approval bundles of one proposal, in any order')
    .argument('<files...>', 'two or more .signet-approval files')
    .requiredOption('--out <file>', 'the .signet-approval file to write')
    .option('--json', 'machine-readable output')
    .action((files: string[], flags: Flags & { out: string }) =>
      context.run(
        flags,
        async (app) => {
          if (files.length < 2) {
            throw new SignetError('INVALID_ARGUMENT', 'merge needs at least two bundles');
          }
          const result = await app.call('treasury.merge', { bundles: files.map(readBundle) });
          writeBundle(flags.out, result.bundle);
          return { ...result, file: flags.out };
        },
        (result) => `${describeReview(result.review)}\nwrote ${result.file}`,
      ),
    );

  registerBatchCommand(treasury, context, withPins, pins);

  withPins(
    treasury
      .command('cancel')
      .description(
        'propose a cancel at a nonce: a call that does nothing; executed, the proposal there never can be',
      )
      .argument('<treasury>', 'name or address')
      .requiredOption('--nonce <n>', 'the Safe nonce of the proposal to cancel')
      .requiredOption('--out <file>', 'the .signet-approval file to write')
      .option('--description <text>', 'why, shown to every approver')
      .option('--sign-with <uri>', "an owner's key that approves it at once")
      .option('--offline', 'no network access: the Safe nonce from the store')
      .option('--json', 'machine-readable output'),
  ).action(
    (
      name: string,
      flags: Flags & { nonce: string; out: string; description?: string; signWith?: string },
    ) =>
      context.run(
        flags,
        async (app) => {
          if (!/^\d{1,18}$/.test(flags.nonce)) {
            throw new SignetError(
              'INVALID_ARGUMENT',
              `--nonce must be a whole number, not "${flags.nonce}"`,
            );
          }
          const result = await app.call(
            'treasury.cancel',
            {
              treasury: name,
              nonce: flags.nonce,
              description: flags.description,
              signWith: flags.signWith,
              offline: flags.offline === true,
            },
            pins(flags),
          );
          writeBundle(flags.out, result.bundle);
          return { ...result, file: flags.out };
        },
        (result) => `${describeReview(result.review)}\nwrote ${result.file}`,
      ),
  );

  treasury
    .command('policy')
    .description("a treasury's policy, signed by its owners, checked before every approval")
    .command('set')
    .description(
      'store a verified .signet-policy for the treasury (only a higher version replaces one)',
    )
    .argument('<treasury>', 'name or address')
    .argument('<file>', '.signet-policy file')
    .option('--json', 'machine-readable output')
    .action((name: string, file: string, flags: Flags) =>
      context.run(
        flags,
        (app) => app.call('treasury.policy.set', { treasury: name, policy: readBundle(file) }),
        (r) => `treasury ${r.treasury} ${r.safe}: policy version ${r.version} stored`,
      ),
    );

  withPins(
    treasury
      .command('execute')
      .description(
        'check the bundle against the chain, then queue execTransaction (sent by `signet sync`)',
      )
      .argument('<file>', '.signet-approval file with enough approvals')
      .requiredOption('--from <uri>', 'key URI of the wallet account that sends it')
      .option('--json', 'machine-readable output'),
  ).action((file: string, flags: Flags & { from: string }) =>
    context.run(
      flags,
      (app) =>
        app.call('treasury.execute', { bundle: readBundle(file), from: flags.from }, pins(flags)),
      (result) => `${describeReview(result.review)}\n${describeSigned(result)}`,
    ),
  );
}

/**
 * `treasury batch`: the CSV checked whole (each bad row on a line of its own,
 * nothing written), then one `.signet-approval` per proposal in --out-dir,
 * named by treasury and nonce. Every file is written only once all are made.
 */
function registerBatchCommand(
  treasury: Command,
  context: CliContext,
  withPins: (command: Command) => Command,
  pins: (flags: Flags) => PinOptions,
): void {
  withPins(
    treasury
      .command('batch')
      .description(
        'pay the rows of a Safe CSV Airdrop file: one MultiSendCallOnly proposal (or several, split by gas) as approval bundles',
      )
      .argument('<treasury>', 'name or address')
      .requiredOption('--csv <file>', 'token_type,token_address,receiver,amount,id')
      .option('--out-dir <dir>', 'where the .signet-approval files go', '.')
      .option('--description <text>', 'heads each proposal\'s description, e.g. "Payroll December"')
      .option('--sign-with <uri>', "an owner's key that approves each proposal at once")
      .option('--offline', 'no network: payees checked against the synced accounts only')
      .option('--json', 'machine-readable output'),
  ).action(
    (
      name: string,
      flags: Flags & { csv: string; outDir: string; description?: string; signWith?: string },
    ) =>
      context.run(
        flags,
        async (app) => {
          let csv: string;
          try {
            csv = readFileSync(flags.csv, 'utf8');
          } catch (error) {
            const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
            throw new SignetError('FILE_INVALID', `cannot read ${flags.csv} (${reason})`);
          }
          const result = await app
            .call(
              'treasury.batch',
              {
                treasury: name,
                csv,
                description: flags.description,
                signWith: flags.signWith,
                offline: flags.offline === true,
              },
              pins(flags),
            )
            .catch((error: unknown) => {
              // Each bad row on a line of its own, before the one-line refusal.
              const problems = error instanceof SignetError ? error.details?.problems : undefined;
              if (Array.isArray(problems)) {
                for (const line of problems) context.io.stderr.write(`${flags.csv}: ${line}\n`);
              }
              throw error;
            });
          const files = result.proposals.map((p) =>
            join(
              flags.outDir,
              `${p.review.safeName ?? p.review.safe}-${p.review.nonce}.signet-approval`,
            ),
          );
          for (const [i, p] of result.proposals.entries()) writeBundle(files[i]!, p.bundle);
          return { ...result, files };
        },
        (result) =>
          [
            `${result.rows} payments, total ${result.total}: ${result.proposals.length} proposal${result.proposals.length === 1 ? '' : 's'}`,
            ...(result.splitReason ? [`split: ${result.splitReason}`] : []),
            ...result.limits.map((l) => `note: ${l}`),
            ...result.proposals.flatMap((p, i) => [
              describeReview(p.review),
              `wrote ${result.files[i]}`,
            ]),
          ].join('\n'),
      ),
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(text: string, flag: string): number {
  if (!/^[1-9]\d{0,3}$/.test(text)) {
    throw new SignetError('INVALID_ARGUMENT', `${flag} must be a positive integer, not "${text}"`);
  }
  return Number(text);
}

function readBundle(path: string): string {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SignetError('FILE_INVALID', `cannot read ${path} (${reason})`);
  }
  if (text.length > MAX_APPROVAL_FILE_BYTES) {
    throw new SignetError('FILE_INVALID', `${path} is larger than an approval bundle can be`);
  }
  return text.toString('utf8');
}

/** Written whole or not at all (a temporary file renamed over the target). */
function writeBundle(path: string, content: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, content, { flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unwritable';
    throw new SignetError('FILE_INVALID', `cannot write the bundle to ${path} (${reason})`);
  }
}

function treasuryLine(t: Treasury): string {
  return `${t.name}  ${t.address}  ${t.threshold} of ${t.owners.length}  chain ${t.chainId}`;
}

function describeReview(review: Review): string {
  const named = (address: string) => {
    const entry = review.names.find((n) => n.address.toLowerCase() === address.toLowerCase());
    if (!entry || entry.kind === 'unknown') return address;
    return `${address} (${entry.kind === 'contract' ? entry.role : entry.name})`;
  };
  const { call } = review;
  const what =
    call.kind === 'payment'
      ? `pay ${call.amount} to ${named(call.to)} (currency ${named(call.currency)})`
      : call.kind === 'cancel'
        ? `cancel: a call to the treasury itself that does nothing, using up nonce ${review.nonce}`
        : call.kind === 'batch'
          ? [
              `batch of ${call.count} payments, total ${call.total} (currency ${named(call.currency)})`,
              ...call.payees.map((p) => `    ${p.amount} to ${named(p.to)}`),
              ...(call.count > call.payees.length
                ? [`    … and ${call.count - call.payees.length} more`]
                : []),
            ].join('\n')
          : `${call.operation} ${named(call.to)} value ${call.value} data ${call.data}`;
  return [
    `treasury ${review.safeName ? `${review.safeName} ` : ''}${review.safe} on chain ${review.chainId}, Safe nonce ${review.nonce}`,
    `  ${what}`,
    `  description: ${review.description}`,
    `  safeTxHash: ${review.safeTxHash}`,
    `  approvals ${review.approvals.length} of ${review.threshold}: ${review.approvals.map(named).join(', ') || 'none yet'}`,
    `  owners: ${review.owners.map(named).join(', ')}`,
  ].join('\n');
}

function describeSigned(result: Signed): string {
  const lines = result.transactions.map(
    (t) => `${t.kind}  nonce ${t.nonce}  ${t.status}  ${t.txHash}`,
  );
  const { sync } = result;
  if (sync === null) lines.push('queued: `signet sync` sends it');
  else if ('error' in sync) lines.push(`queued; the sync failed: ${sync.error}`);
  return lines.join('\n');
}
