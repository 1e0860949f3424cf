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
