/**
 * signet treasury propose-note <treasury> issue | endorse | split | redeem | finance-accept
 *
 * A note operation by the treasury, proposed as an approval bundle that owners
 * approve like a payment. The flags are `signet note`'s (--to, --amount, --note,
 * --maturity, --offer); an issue also takes --payee and --face-value. The work is
 * core/app/treasury-note.ts; the review is printed as every treasury command does.
 */
import type { Command } from 'commander';
import { SignetError } from '../../core/api/errors.js';
import type { AppRequest, AppResult } from '../../core/api/methods.js';
import { parseAddress } from '../../core/chain/address.js';
import { formatAmount } from '../../core/chain/amount.js';
import type { CliContext } from '../context.js';
import { describeReview, writeBundle } from './treasury.js';
import { amountFlag, dateFlag, noteIdFlag, readOfferFile } from './wallet.js';

type Operation = AppRequest<'treasury.proposeNote'>['operation'];
type NoteCall = Extract<AppResult<'treasury.review'>['review']['call'], { kind: 'note' }>;

interface Flags {
  to?: string;
  payee?: string;
  amount?: string;
  faceValue?: string;
  maturity?: string;
  note?: string;
  offer?: string;
  out: string;
  description?: string;
  signWith?: string;
  offline?: boolean;
  json?: boolean;
  pinFile?: string;
  pinStdin?: boolean;
}

/** The flags each operation takes (--payee and --face-value are an issue's names for --to and --amount). */
const FLAGS: Record<Operation['op'], Array<keyof Flags>> = {
  issue: ['to', 'payee', 'amount', 'faceValue', 'maturity'],
  endorse: ['note', 'to'],
  split: ['note', 'to', 'amount'],
  redeem: ['note'],
  'finance-accept': ['offer'],
};

const FLAG_NAMES: Partial<Record<keyof Flags, string>> = {
  to: '--to',
  payee: '--payee',
  amount: '--amount',
  faceValue: '--face-value',
  maturity: '--maturity',
  note: '--note',
  offer: '--offer',
};

export function registerTreasuryNoteCommands(program: Command, context: CliContext): void {
  const treasury =
    program.commands.find((c) => c.name() === 'treasury') ??
    program.command('treasury').description('treasuries');

  treasury
    .command('propose-note')
    .description(
      'propose a note operation by the treasury (issue, endorse, split, redeem, finance-accept): writes an approval bundle',
    )
    .argument('<treasury>', 'name or address')
    .argument('<operation>', 'issue | endorse | split | redeem | finance-accept')
    .option('--to <address>', 'issue: payee; endorse: new holder; split: recipient of the part')
    .option('--payee <address>', 'issue: the payee (same as --to)')
    .option('--amount <amount>', 'issue: face value; split: value to transfer')
    .option('--face-value <amount>', 'issue: the face value (same as --amount)')
    .option('--maturity <date>', 'issue: YYYY-MM-DD')
    .option('--note <id>', 'endorse, split, redeem: note id')
    .option('--offer <file>', "finance-accept: the holder's signed offer file")
    .requiredOption('--out <file>', 'the .signet-approval file to write')
    .option('--description <text>', 'what it is for, shown to every approver')
    .option('--sign-with <uri>', "an owner's key that approves it at once")
    .option('--offline', 'no network access: the Safe nonce and notes from the store')
    .option('--pin-file <file>', 'file holding the user PIN')
    .option('--pin-stdin', 'read the user PIN from standard input')
    .option('--json', 'machine-readable output')
    .action((name: string, op: string, flags: Flags) =>
      context.run(
        flags,
        async (app) => {
          const operation = operationFlags(op, flags);
          const result = await app.call(
            'treasury.proposeNote',
            {
              treasury: name,
              operation,
              description: flags.description,
              signWith: flags.signWith,
              offline: flags.offline === true,
            },
            {
              files: flags.pinFile ? { user: flags.pinFile } : {},
              stdin: flags.pinStdin === true,
            },
          );
          writeBundle(flags.out, result.bundle);
          return { ...result, file: flags.out };
        },
        (result) => `${describeReview(result.review)}\nwrote ${result.file}`,
      ),
    );
}

/** The operation from its flags: each one it needs, none it does not take. */
function operationFlags(op: string, flags: Flags): Operation {
  if (!(op in FLAGS)) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `"${op}" is not a note operation: issue, endorse, split, redeem or finance-accept`,
    );
  }
  const name = op as Operation['op'];
  for (const [key, flag] of Object.entries(FLAG_NAMES)) {
    if (flags[key as keyof Flags] !== undefined && !FLAGS[name].includes(key as keyof Flags)) {
      throw new SignetError('INVALID_ARGUMENT', `${flag} does not apply to ${op}`);
    }
  }
  const need = (value: string | undefined, flag: string): string => {
    if (value === undefined) throw new SignetError('INVALID_ARGUMENT', `${op} needs ${flag}`);
    return value;
  };
  const either = (a: string | undefined, b: string | undefined, flags: string) => {
    if (a !== undefined && b !== undefined) {
      throw new SignetError('INVALID_ARGUMENT', `give one of ${flags}, not both`);
    }
    return need(a ?? b, flags);
  };
  switch (name) {
    case 'issue':
      return {
        op: name,
        payee: parseAddress(either(flags.payee, flags.to, '--payee or --to'), 'payee'),
        faceValue: amountFlag(either(flags.faceValue, flags.amount, '--face-value or --amount')),
        maturity: dateFlag(need(flags.maturity, '--maturity')),
      };
    case 'endorse':
      return {
        op: name,
        tokenId: noteIdFlag(need(flags.note, '--note')),
        to: parseAddress(need(flags.to, '--to'), 'new holder'),
      };
    case 'split':
      return {
        op: name,
        tokenId: noteIdFlag(need(flags.note, '--note')),
        to: parseAddress(need(flags.to, '--to'), 'recipient'),
        value: amountFlag(need(flags.amount, '--amount')),
      };
    case 'redeem':
      return { op: name, tokenId: noteIdFlag(need(flags.note, '--note')) };
    case 'finance-accept':
      return { op: name, offer: readOfferFile(need(flags.offer, '--offer')) };
  }
}

/** A decoded note operation, for `treasury show`, `review`, `approve` and the rest. */
export function describeNoteCall(call: NoteCall, named: (address: string) => string): string {
  const money = (minor: string | null) => (minor === null ? '?' : formatAmount(BigInt(minor)));
  const what = (() => {
    switch (call.op) {
      case 'issue':
        return `issue a note of face value ${money(call.faceValue)} to ${named(call.to ?? '?')}, maturing ${call.maturity}, payable by the treasury in ${named(call.currency ?? '?')}`;
      case 'endorse':
        return `endorse note ${call.tokenId} (whole) to ${named(call.to ?? '?')}`;
      case 'split':
        return `split ${money(call.value)} of note ${call.tokenId} to ${named(call.to ?? '?')}`;
      case 'redeem':
        return `redeem note ${call.tokenId}: its acceptor pays the treasury`;
      case 'finance-accept':
        return `finance ${money(call.value)} of note ${call.tokenId} for a price of ${money(call.price)}, offer valid until ${call.deadline}`;
    }
  })();
  return [
    `note: ${what}`,
    `    note contract ${named(call.notes)}${call.verified ? '' : ' (NOT VERIFIED: no ledger selected; read by the DigitalNote ABI)'}`,
    ...(call.allowance
      ? [
          `    and allows ${named(call.allowance.spender)} to pull ${call.allowance.amount === 'unlimited' ? 'unlimited' : money(call.allowance.amount)} of ${named(call.allowance.token)}`,
        ]
      : []),
  ].join('\n');
}
