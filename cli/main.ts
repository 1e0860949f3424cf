/** The `signet` command: the same API as the UI, for branch staff and scripts. */
import { Command, CommanderError } from 'commander';
import { SignetError } from '../core/api/errors.js';
import { registerAddressBookCommands } from './commands/address-book.js';
import { registerChainCommands } from './commands/chain.js';
import { registerCollectCommands } from './commands/collect.js';
import { registerCustomerCommands } from './commands/customers.js';
import { registerDeviceCommands } from './commands/devices.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerProvisionCommands } from './commands/provision.js';
import { registerPurseCommands } from './commands/purse.js';
import { registerTreasuryCommands } from './commands/treasury.js';
import { registerTreasuryNoteCommands } from './commands/treasury-note.js';
import { registerTreasuryQrCommands } from './commands/treasury-qr.js';
import { registerWalletCommands } from './commands/wallet.js';
import { createContext } from './context.js';
import { type CliIo, processIo } from './io.js';
import { printError } from './output.js';

/** Runs one command line; resolves to the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const json = argv.includes('--json');
  const pinInArgv = argv.find((arg) => /^--(so-|new-|carrier-)?pin(=|$)/.test(arg));
  if (pinInArgv) {
    // Refuse without echoing the value: a PIN in argv is visible to every process.
    return printError(
      io,
      json,
      new SignetError(
        'INVALID_ARGUMENT',
        'Signet never takes a PIN on the command line; use --pin-file, --pin-stdin or the prompt',
      ),
    );
  }
  const context = createContext(io, purposeOf(argv));
  const program = new Command('signet')
    .description('Signet: a wallet and signing client whose keys never leave hardware')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      // Commander's own usage errors become one line through printError below.
      writeErr: () => {},
    });
  registerDeviceCommands(program, context);
  registerChainCommands(program, context);
  registerWalletCommands(program, context);
  registerAddressBookCommands(program, context);
  registerDoctorCommand(program, context);
  registerTreasuryCommands(program, context);
  registerTreasuryQrCommands(program, context);
  registerTreasuryNoteCommands(program, context);
  registerCustomerCommands(program, context);
  registerPurseCommands(program, context);
  registerProvisionCommands(program, context);
  registerCollectCommands(program, context);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      const message = error.message.replace(/^error: /, '');
      return printError(io, json, new SignetError('INVALID_ARGUMENT', message));
    }
    return printError(io, json, error);
  }
  return context.exitCode;
}

/** What this command is, for another process waiting on its lock: "signet sync --watch". */
function purposeOf(argv: string[]): string {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  const watch = argv.includes('--watch') ? ' --watch' : '';
  return `signet ${words.slice(0, 2).join(' ')}${watch}`.trim();
}
