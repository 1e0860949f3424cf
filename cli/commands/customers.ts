/**
 * signet customer register | freeze | unfreeze | show
 *
 * The operator bank's registry: its key (a wallet account holding the
 * currency's OPERATOR_ROLE) registers a customer's account, or a treasury's,
 * under the hash of the bank's customer reference (the text stays off chain),
 * and freezes or unfreezes the accounts it registered. Checked on chain before
 * the token signs; queued in the outbox and sent like every transaction. The
 * work is the app's handlers' (core/app/customers.ts).
 */
import type { Command } from 'commander';
import type { AppResult } from '../../core/api/methods.js';
import { parseAddress } from '../../core/chain/address.js';
import type { CliContext } from '../context.js';
import type { PinOptions } from '../pin-source.js';

interface Flags {
  json?: boolean;
  pinFile?: string;
  pinStdin?: boolean;
  operator: string;
  account: string;
}

type Signed = AppResult<'customers.register'>;
type Standing = AppResult<'customers.show'>;

export function registerCustomerCommands(program: Command, context: CliContext): void {
  const pins = (flags: Flags): PinOptions => ({
    files: flags.pinFile ? { user: flags.pinFile } : {},
    stdin: flags.pinStdin === true,
  });
  const signing = (command: Command) =>
    command
      .requiredOption('--operator <uri>', "key URI of the operator bank's wallet account")
      .requiredOption('--account <address>', 'the account (a customer, a treasury)')
      .option('--pin-file <file>', 'file holding the user PIN')
      .option('--pin-stdin', 'read the user PIN from standard input')
      .option('--json', 'machine-readable output');

  const customer = program
    .command('customer')
    .description("the operator bank's customer registry: register, freeze, unfreeze, show");

  signing(
    customer
      .command('register')
      .description(
        "register an account under a customer reference: only the reference's hash goes on chain",
      )
      .requiredOption(
        '--customer <reference>',
        "the bank's customer reference (1 to 128 characters)",
      ),
  ).action((flags: Flags & { customer: string }) =>
    context.run(
      flags,
      (app) =>
        app.call(
          'customers.register',
          {
            operator: flags.operator,
            account: parseAddress(flags.account, 'account'),
            customer: flags.customer,
          },
          pins(flags),
        ),
      describeSigned,
    ),
  );

  for (const action of ['freeze', 'unfreeze'] as const) {
    signing(
      customer
        .command(action)
        .description(
          action === 'freeze'
            ? 'freeze a customer account this operator registered: it neither sends nor receives'
            : 'unfreeze a customer account this operator froze',
        ),
    ).action((flags: Flags) =>
      context.run(
        flags,
        (app) =>
          app.call(
            `customers.${action}`,
            { operator: flags.operator, account: parseAddress(flags.account, 'account') },
            pins(flags),
          ),
        describeSigned,
      ),
    );
  }

  customer
    .command('show')
    .description("an account's standing in the registry, as the nodes agree on it")
    .argument('<address>', 'the account')
    .option('--json', 'machine-readable output')
    .action((address: string, flags: { json?: boolean }) =>
      context.run(
        flags,
        (app) => app.call('customers.show', { account: parseAddress(address, 'account') }),
        describeStanding,
      ),
    );
}

function standingWords(s: Standing): string {
  if (s.operator) return `customer of operator ${s.operator}${s.frozen ? ', frozen' : ''}`;
  if (s.isOperator) return 'an operator bank';
  if (s.registered) return 'the central bank';
  return 'not registered';
}

function describeStanding(s: Standing): string {
  return [
    `${s.account}  ${standingWords(s)}  (chain ${s.chainId}, block ${s.block})`,
    `  balance ${s.balance}`,
    ...(s.customerRef ? [`  customer reference hash ${s.customerRef}`] : []),
  ].join('\n');
}

function describeSigned(result: Signed): string {
  const r = result.review;
  const done = {
    register: `registered ${r.account} under customer reference hash ${r.customerRef} (the reference itself stays off chain)`,
    freeze: `froze ${r.account}`,
    unfreeze: `unfroze ${r.account}`,
  }[r.action];
  const lines = [
    `${done}: operator ${r.operator} on chain ${r.chainId}`,
    ...result.transactions.map((t) => `${t.kind}  nonce ${t.nonce}  ${t.status}  ${t.txHash}`),
  ];
  const { sync } = result;
  if (sync === null) lines.push('queued: `signet sync` sends it');
  else if ('error' in sync) lines.push(`queued; the sync failed: ${sync.error}`);
  return lines.join('\n');
}
