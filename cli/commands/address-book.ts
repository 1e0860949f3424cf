/**
 * signet addressbook list | add | rename | remove
 *
 * The names a review shows beside other parties' addresses: the same address
 * book, through the same handlers, as the UI's.
 */
import type { Command } from 'commander';
import type { AppResult } from '../../core/api/methods.js';
import { parseAddress } from '../../core/chain/address.js';
import type { CliContext } from '../context.js';

type Entry = AppResult<'addressBook.add'>;
const line = (e: Entry) => `${e.name}  ${e.address}`;

export function registerAddressBookCommands(program: Command, context: CliContext): void {
  const book = program
    .command('addressbook')
    .description("names for other parties' addresses, shown beside them on every review");

  book
    .command('list')
    .description('every entry, by name')
    .option('--json', 'machine-readable output')
    .action((flags: { json?: boolean }) =>
      context.run(
        flags,
        (app) => app.call('addressBook.list', {}),
        (entries) => entries.map(line).join('\n') || 'the address book is empty',
      ),
    );

  book
    .command('add')
    .description('name an address')
    .requiredOption('--address <address>', 'the address (EIP-55 checksum checked)')
    .requiredOption('--name <name>', 'a name of at most 64 characters')
    .option('--json', 'machine-readable output')
    .action((flags: { address: string; name: string; json?: boolean }) =>
      context.run(
        flags,
        (app) =>
          app.call('addressBook.add', {
            address: parseAddress(flags.address),
            name: flags.name,
          }),
        (e) => `added: ${line(e)}`,
      ),
    );

  book
    .command('rename')
    .description("change an entry's name")
    .requiredOption('--address <address>', 'the address of the entry')
    .requiredOption('--name <name>', 'its new name')
    .option('--json', 'machine-readable output')
    .action((flags: { address: string; name: string; json?: boolean }) =>
      context.run(
        flags,
        (app) =>
          app.call('addressBook.rename', {
            address: parseAddress(flags.address),
            name: flags.name,
          }),
        (e) => `renamed: ${line(e)}`,
      ),
    );

  book
    .command('remove')
    .description('forget an entry')
    .requiredOption('--address <address>', 'the address of the entry')
    .option('--json', 'machine-readable output')
    .action((flags: { address: string; json?: boolean }) =>
      context.run(
        flags,
        (app) => app.call('addressBook.remove', { address: parseAddress(flags.address) }),
        (e) => `removed: ${line(e)}`,
      ),
    );
}
