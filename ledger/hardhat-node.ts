/**
 * Starts Hardhat Network (from npm, nothing downloaded) as a JSON-RPC node on
 * 127.0.0.1. Port 0 picks a free port. The node runs in its own process so
 * that tests can stop it, kill it, or put a proxy in front of it.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DevNode } from './dev-node.js';

/** Hardhat's node is a DevNode like any other engine's. */
export type HardhatNode = DevNode;

const here = dirname(fileURLToPath(import.meta.url));
const hardhatCli = join(
  dirname(createRequire(import.meta.url).resolve('hardhat/package.json')),
  'internal/cli/cli.js',
);

export async function startHardhatNode(options: { port?: number } = {}): Promise<HardhatNode> {
  const port = options.port || (await freePort());
  const child = spawn(
    process.execPath,
    [
      hardhatCli,
      'node',
      '--hostname',
      '127.0.0.1',
      '--port',
      String(port),
      '--config',
      join(here, 'hardhat.config.cjs'),
    ],
    {
      cwd: here,
      env: {
        ...process.env,
        HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true',
        HARDHAT_TELEMETRY_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`Hardhat node did not start within 60 s:\n${output}`)),
      60_000,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Started HTTP and WebSocket JSON-RPC server')) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume(); // keep draining: Hardhat logs every request
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) =>
      fail(new Error(`Hardhat node exited (${code}) before starting:\n${output}`)),
    );
  });
  child.removeAllListeners('exit');
  return {
    engine: 'hardhat',
    url,
    port,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
