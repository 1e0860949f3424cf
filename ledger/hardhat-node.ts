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
import { type DevNode, whenReady } from './dev-node.js';

const here = dirname(fileURLToPath(import.meta.url));
const hardhatCli = join(
  dirname(createRequire(import.meta.url).resolve('hardhat/package.json')),
  'internal/cli/cli.js',
);

export async function startHardhatNode(options: { port?: number } = {}): Promise<DevNode> {
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
  return whenReady(child, {
    engine: 'hardhat',
    ready: /Started HTTP and WebSocket JSON-RPC server/,
    port,
    timeoutMs: 60_000,
  });
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
