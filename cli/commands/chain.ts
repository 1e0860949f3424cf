/** signet ledger up | use | status | fund */

import { join } from 'node:path';
import type { Command } from 'commander';
import { SignetError } from '../../core/api/errors.js';
import { parseAddress } from '../../core/chain/address.js';
import { formatAmount, parseAmount } from '../../core/chain/amount.js';
import {
  readActiveProfile,
  readProfileFile,
  writeActiveProfile,
} from '../../core/chain/profile-file.js';
import { signetHome } from '../../core/config/paths.js';
import { openStore } from '../../core/store/database.js';
import { acquire, busy, type HeldLock } from '../../core/store/process-lock.js';
import type { DevChain } from '../../ledger/dev-chain.js';
import { parseDevEngine } from '../../ledger/dev-node.js';
import type { CliContext } from '../context.js';
import { stopSignal } from '../stop-signal.js';

export function registerChainCommands(program: Command, context: CliContext): void {
  const ledger = program.command('ledger').description('the ledger Signet syncs with');

  ledger
    .command('up')
    .description(
      'start the embedded dev ledger (Hardhat Network, or anvil) and select it; runs until stopped',
    )
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', '8545')
    .option('--engine <engine>', 'the dev node: hardhat or anvil (Foundry)', 'hardhat')
    .option('--json', 'print the profile as one JSON line once the ledger is ready')
    .action((flags: { port: string; engine: string; json?: boolean }) =>
      context.run(
        flags,
        async () => {
          const port = Number(flags.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535) {
            throw new SignetError(
              'INVALID_ARGUMENT',
              `--port must be 0 to 65535, not "${flags.port}"`,
            );
          }
          const engine = parseDevEngine(flags.engine);
          // Like a second `npm start`, a dev ledger started under a running app would
          // re-point the profile the app's window uses: one of them per data folder.
          const lock = holdAppLock(context.io.env, 'signet ledger up');
          // Loaded on demand: the dev ledger brings the Solidity compiler with it.
          const { startDevChain } = await import('../../ledger/dev-chain.js');
          // Listening before the node starts: a Ctrl-C or SIGTERM at any moment from here
          // on stops the node, where the default action would kill this process and
          // leave the node running on its own.
          const stop = stopSignal();
          let dev: DevChain | undefined;
          try {
            dev = await startDevChain({ port, engine, env: context.io.env });
            writeActiveProfile(dev.profile, context.io.env);
            lock.setLocation(dev.node.url);
          } catch (error) {
            stop.dispose();
            await dev?.stop();
            lock.release();
            throw error;
          }
          const running = dev;
          context.afterOutput = () =>
            stop.received.then(() => running.stop()).finally(() => lock.release());
          return running.profile;
        },
        (profile) =>
          `dev ledger (${flags.engine}) up at ${profile.rpc[0]} (chain ${profile.chainId}); selected as the active ledger. Stop with Ctrl-C.\n${JSON.stringify(profile, null, 2)}`,
      ),
    );

  ledger
    .command('use')
    .description('select a ledger profile (JSON) for every later command')
    .argument('<file>', 'profile JSON file')
    .option('--json', 'machine-readable output')
    .action((file: string, flags: { json?: boolean }) =>
      context.run(
        flags,
        () => {
          const profile = readProfileFile(file);
          writeActiveProfile(profile, context.io.env);
          return profile;
        },
        (profile) =>
          `using ledger "${profile.name}" (chain ${profile.chainId}, ${profile.rpc.length} node(s))`,
      ),
    );

  ledger
    .command('status')
    .description(
      'the active ledger: nodes (up, behind, disagreeing, down), head, sync checkpoint, outbox',
    )
    .option('--json', 'machine-readable output')
    .action((flags: { json?: boolean }) =>
      context.run(
        flags,
        (app) => app.call('ledger.status', {}),
        (r) =>
          [
            `ledger "${r.name}" (chain ${r.chainId}${r.dev ? ', dev' : ''}) head ${r.head ?? 'unknown'}, synced to ${r.syncedBlock ?? 'never'}`,
            ...r.nodes.map(
              (n) =>
                `  ${n.state.padEnd(11)} ${n.url}${n.head === undefined ? '' : `  head ${n.head}`}${n.lastError ? `  (${n.lastError})` : ''}`,
            ),
            `  outbox: ${r.outbox.signed} signed, ${r.outbox.sent} sent, ${r.outbox.included} included, ${r.outbox.confirmed} confirmed, ${r.outbox.failed} failed`,
          ].join('\n'),
      ),
    );

  ledger
    .command('fund')
    .description('dev ledger only: register an account and give it currency')
    .requiredOption('--account <address>', 'account to fund')
    .requiredOption('--amount <amount>', 'amount, e.g. 100.00')
    .option('--json', 'machine-readable output')
    .action((flags: { account: string; amount: string; json?: boolean }) =>
      context.run(
        flags,
        async () => {
          const account = parseAddress(flags.account, 'account');
          const amount = parseAmount(flags.amount);
          const profile = readActiveProfile(context.io.env);
          const { fundAccount } = await import('../../ledger/dev-chain.js');
          const txHash = await fundAccount(profile, account, amount);
          return { account, amount: amount.toString(), txHash };
        },
        (result) =>
          `funded ${result.account} with ${formatAmount(BigInt(result.amount))} (tx ${result.txHash})`,
      ),
    );
}

/**
 * The data folder's app lock, for as long as this command runs; one line saying
 * who has it otherwise. The store stays open with it, so its heartbeat can beat.
 */
function holdAppLock(env: NodeJS.ProcessEnv, purpose: string): HeldLock {
  const store = openStore(join(signetHome(env), 'signet.sqlite'));
  const taken = acquire(store, 'app', purpose);
  if ('holder' in taken) {
    store.close();
    throw busy('app', taken.holder);
  }
  return {
    setLocation: taken.held.setLocation,
    release: () => {
      taken.held.release();
      store.close();
    },
  };
}
