/**
 * Starts anvil (Foundry's node, a Rust binary shipped in an npm package) as a
 * JSON-RPC node on 127.0.0.1, set up to behave like Signet's Hardhat dev chain:
 * chain 31337, the Cancun EVM, a block per transaction, and the well-known
 * "test test … junk" accounts the deployment seeds from. Port 0 lets anvil bind
 * a free port itself and report it, so there is no race for the port.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { SignetError } from '../core/api/errors.js';
import { type DevNode, whenReady } from './dev-node.js';

/** The npm package that carries anvil for this machine (Signet depends on the Linux x64 one). */
const anvilPackage = `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;

export type AnvilBinary = { path: string } | { missing: string };

/**
 * Where anvil is: SIGNET_ANVIL if set (a path to the binary, and then only that);
 * else the optional npm package (the version package.json pins); else an `anvil`
 * on PATH (Foundry installed with foundryup). `missing` says why not and how to get
 * it, in one line.
 */
export function findAnvilBinary(
  options: { packageName?: string; env?: NodeJS.ProcessEnv } = {},
): AnvilBinary {
  const { packageName = anvilPackage, env = process.env } = options;
  if (env.SIGNET_ANVIL) {
    return executable(env.SIGNET_ANVIL)
      ? { path: env.SIGNET_ANVIL }
      : { missing: `SIGNET_ANVIL=${env.SIGNET_ANVIL} is not an executable file` };
  }
  try {
    const root = dirname(createRequire(import.meta.url).resolve(`${packageName}/package.json`));
    const path = join(root, 'bin', 'anvil');
    if (executable(path)) return { path };
  } catch {
    // not installed for this platform: try PATH
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const path = join(dir, 'anvil');
    if (executable(path)) return { path };
  }
  return {
    missing: `anvil is not installed: no ${packageName} package (npm installs it, as an optional dependency, only on Linux x64) and no anvil on PATH; install Foundry (https://getfoundry.sh) or use --engine hardhat`,
  };
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The flags that make anvil the dev chain Signet's contracts and seeded keys expect. */
function anvilArgs(port: number): string[] {
  return [
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--chain-id',
    '31337', // Hardhat's, so profiles and messages read the same on both engines
    '--hardfork',
    'cancun', // what the contracts are compiled for (anvil's default is newer)
    '--mnemonic',
    'test test test test test test test test test test test junk',
    '--accounts',
    '4',
    '--block-base-fee-per-gas',
    '1000000000', // 1 gwei, Hardhat's initial base fee
    '--color',
    'never',
    // Auto-mining (a block per transaction) is anvil's default without --block-time.
  ];
}

/**
 * Starts anvil; `binary` defaults to what findAnvilBinary finds in `env` (a missing
 * one is one line).
 */
export async function startAnvilNode(
  options: { port?: number; binary?: AnvilBinary; env?: NodeJS.ProcessEnv } = {},
): Promise<DevNode> {
  const binary = options.binary ?? findAnvilBinary({ env: options.env });
  if ('missing' in binary) {
    throw new SignetError('DEV_ENGINE_MISSING', binary.missing, { details: { engine: 'anvil' } });
  }
  const child = spawn(binary.path, anvilArgs(options.port ?? 0), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return whenReady(child, {
    engine: 'anvil',
    ready: /Listening on 127\.0\.0\.1:(\d+)/,
    timeoutMs: 30_000,
  });
}
