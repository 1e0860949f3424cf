/**
 * signet collect serve
 *
 * The operator's collection service (core/collect/service.ts): HTTP on the
 * address given, where payees and payers deposit offline payments and holders
 * of opened purses ask for their certificates (of exactly the purse's on-chain
 * terms; what purses may open is the operator's on-chain purse policy,
 * OfflinePurse.setPursePolicy); its vouchers go to the purse contract in
 * batches, signed by the submitter key. Runs until Ctrl-C or SIGTERM. PINs come
 * from --pin-file (read at each login), never argv.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SignetError } from '../../core/api/errors.js';
import { startCollectService } from '../../core/collect/service.js';
import { signetHome } from '../../core/config/paths.js';
import type { CliContext } from '../context.js';
import { cliPinProviders } from '../pin-source.js';
import { stopSignal } from '../stop-signal.js';

interface Flags {
  listen: string;
  submitterKey: string;
  certificateKey?: string;
  pinFile?: string;
  data?: string;
  batchSize: string;
  interval: string;
  json?: boolean;
}

export function registerCollectCommands(program: Command, context: CliContext): void {
  const collect = program
    .command('collect')
    .description("the operator's collection service for offline payments");

  collect
    .command('serve')
    .description('collect offline payments over HTTP and settle them on chain; certify purses')
    .requiredOption('--listen <host:port>', 'address to listen on, e.g. 127.0.0.1:8545')
    .requiredOption('--submitter-key <uri>', 'pkcs11: key that signs the settle transactions')
    .option('--certificate-key <uri>', "pkcs11: key of the operator's purse certificates")
    .option('--pin-file <file>', 'file holding the user PIN of the keys’ token')
    .option('--data <dir>', 'the service’s data folder (default: <Signet home>/collect)')
    .option('--batch-size <n>', 'vouchers per settle transaction', '100')
    .option('--interval <ms>', 'pause between submission rounds', '2000')
    .option('--json', 'print the service’s address as one JSON line once it listens')
    .action((flags: Flags) =>
      context.run(
        flags,
        async () => {
          const { host, port } = parseListen(flags.listen);
          const env = context.io.env;
          const home = signetHome(env);
          const pins = cliPinProviders(
            { files: flags.pinFile ? { user: flags.pinFile } : {}, stdin: false },
            context.io,
          ).pins;
          const stop = stopSignal();
          let lastError = '';
          let service: Awaited<ReturnType<typeof startCollectService>>;
          try {
            service = await startCollectService({
              home,
              env,
              dataDir: resolve(flags.data ?? `${home}/collect`),
              host,
              port,
              submitterKey: flags.submitterKey,
              certificateKey: flags.certificateKey,
              pins,
              batchSize: positive(flags.batchSize, '--batch-size'),
              intervalMs: positive(flags.interval, '--interval'),
              onError: (error) => {
                // A node down fails every round the same way: said once until it changes.
                const line = `signet collect: ${error instanceof SignetError ? error.message : 'internal error'}`;
                if (line !== lastError) context.io.stderr.write(`${line}\n`);
                lastError = line;
              },
            });
          } catch (error) {
            stop.dispose();
            throw error;
          }
          context.afterOutput = () => stop.received.then(() => service.close());
          return {
            url: service.url,
            chainId: service.chainId,
            purseContract: service.purseContract,
            submitter: service.submitter,
          };
        },
        (r) =>
          `collecting at ${r.url} (chain ${r.chainId}, purse contract ${r.purseContract}, submitter ${r.submitter}). Stop with Ctrl-C.`,
      ),
    );
}

function parseListen(text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65535) {
    throw new SignetError('INVALID_ARGUMENT', `--listen must be host:port, not "${text}"`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `${flag} must be a whole number above 0, not "${text}"`,
    );
  }
  return value;
}
