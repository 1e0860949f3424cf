/**
 * The dev chain's node engines: Hardhat Network (the default, from npm) and
 * anvil (Foundry), two independent implementations, so Signet is proven against
 * more than one node. Each starts from its own file (hardhat-node.ts,
 * anvil-node.ts); this one names them, and tells a running node's engine (whose
 * name is also viem's test-client mode: hardhat_* or anvil_* methods). Light on
 * purpose: the CLI loads it to check --engine before it loads any node.
 */
import type { ChildProcess } from 'node:child_process';
import { SignetError } from '../core/api/errors.js';

export const devEngines = ['hardhat', 'anvil'] as const;
export type DevEngine = (typeof devEngines)[number];

/** A dev node running as a child process on 127.0.0.1. */
export interface DevNode {
  engine: DevEngine;
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function isDevEngine(value: string): value is DevEngine {
  return (devEngines as readonly string[]).includes(value);
}

/** Reads an engine name from a flag or an environment variable; anything else is one line. */
export function parseDevEngine(value: string, source = '--engine'): DevEngine {
  if (isDevEngine(value)) return value;
  throw new SignetError(
    'INVALID_ARGUMENT',
    `${source} must be ${devEngines.join(' or ')}, not "${value}"`,
    { details: { engines: [...devEngines] } },
  );
}

/**
 * Which engine a node is, from its `web3_clientVersion` ("HardhatNetwork/2.…",
 * "anvil/v1.7.1"): for code that only has a profile (the faucet). Anvil also answers
 * most hardhat_* methods, but Signet calls each engine by its own names.
 */
export function devEngineOf(clientVersion: string): DevEngine | undefined {
  if (/^anvil\//i.test(clientVersion)) return 'anvil';
  if (/^HardhatNetwork\//i.test(clientVersion)) return 'hardhat';
  return undefined;
}

/**
 * A dev node's child process once it says it is ready: `ready` is matched
 * against its output; a first group, if any, is the port it chose. A node that
 * exits, fails to start or stays silent for `timeoutMs` is killed, and the
 * error carries what it printed. Its output is drained afterwards (nodes log
 * every request).
 */
export function whenReady(
  child: ChildProcess,
  options: { engine: DevEngine; ready: RegExp; port?: number; timeoutMs: number },
): Promise<DevNode> {
  const name = options.engine === 'hardhat' ? 'Hardhat node' : 'anvil';
  return new Promise<DevNode>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () =>
        fail(new Error(`${name} did not start within ${options.timeoutMs / 1000} s:\n${output}`)),
      options.timeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = options.ready.exec(output);
      if (!ready) return;
      clearTimeout(timer);
      child.stdout!.removeListener('data', onOutput);
      child.stderr!.removeListener('data', onOutput);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      child.stdout!.resume();
      child.stderr!.resume();
      const port = ready[1] ? Number(ready[1]) : options.port!;
      resolve({
        engine: options.engine,
        url: `http://127.0.0.1:${port}`,
        port,
        process: child,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    child.once('error', fail);
    child.once('exit', (code) =>
      fail(new Error(`${name} exited (${code}) before starting:\n${output}`)),
    );
  });
}
