/**
 * Finding anvil (SIGNET_ANVIL, the npm package, PATH, or a one-line reason), the
 * engine names, and a real anvil started with the flags that make it Signet's dev
 * chain: chain 31337, Cancun, 1 gwei base fee, the well-known accounts.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findAnvilBinary, startAnvilNode } from './anvil-node.js';
import { devKeys } from './deploy.js';
import { devEngineOf, parseDevEngine } from './dev-node.js';

const dir = mkdtempSync(join(tmpdir(), 'signet-anvil-find-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const nowhere = '@foundry-rs/anvil-nowhere-x64';

function fakeBinary(folder: string, mode: number): string {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, 'anvil');
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, mode);
  return path;
}

describe('findAnvilBinary', () => {
  it('finds the npm package, else an anvil on PATH', () => {
    const onPath = fakeBinary(join(dir, 'bin'), 0o755);
    expect(
      findAnvilBinary({ packageName: nowhere, env: { PATH: `/nonexistent:${dir}/bin` } }),
    ).toEqual({
      path: onPath,
    });
  });

  it('takes SIGNET_ANVIL alone when set, and says when it is not an executable file', () => {
    const good = fakeBinary(join(dir, 'own'), 0o755);
    const notExecutable = fakeBinary(join(dir, 'plain'), 0o644);
    expect(findAnvilBinary({ env: { SIGNET_ANVIL: good } })).toEqual({ path: good });
    expect(findAnvilBinary({ env: { SIGNET_ANVIL: notExecutable, PATH: `${dir}/own` } })).toEqual({
      missing: `SIGNET_ANVIL=${notExecutable} is not an executable file`,
    });
    expect(findAnvilBinary({ env: { SIGNET_ANVIL: dir } })).toEqual({
      missing: `SIGNET_ANVIL=${dir} is not an executable file`,
    });
  });

  it('says in one line what is missing and how to install it', async () => {
    const found = findAnvilBinary({ packageName: nowhere, env: { PATH: join(dir, 'empty') } });
    expect(found).toEqual({
      missing: `anvil is not installed: no ${nowhere} package (npm installs it, as an optional dependency, only on Linux x64) and no anvil on PATH; install Foundry (https://getfoundry.sh) or use --engine hardhat`,
    });
    await expect(startAnvilNode({ binary: found })).rejects.toMatchObject({
      code: 'DEV_ENGINE_MISSING',
      message: (found as { missing: string }).missing,
    });
  });
});

describe('engine names', () => {
  it('parses hardhat and anvil, and nothing else', () => {
    expect(parseDevEngine('anvil')).toBe('anvil');
    expect(parseDevEngine('hardhat')).toBe('hardhat');
    expect(() => parseDevEngine('ganache', 'SIGNET_TEST_ENGINE')).toThrow(
      'SIGNET_TEST_ENGINE must be hardhat or anvil, not "ganache"',
    );
  });

  it('tells the engine from web3_clientVersion', () => {
    expect(devEngineOf('anvil/v1.7.1')).toBe('anvil');
    expect(devEngineOf('HardhatNetwork/2.29.1/@nomicfoundation/edr/0.3.8')).toBe('hardhat');
    expect(devEngineOf('Geth/v1.14.0-stable/linux-amd64/go1.22')).toBeUndefined();
  });
});

const installed = findAnvilBinary();
describe.skipIf('missing' in installed)(
  `a real anvil${'missing' in installed ? ` (skipped: ${installed.missing})` : ''}`,
  () => {
    it('runs as the dev chain: chain 31337, Cancun, 1 gwei base fee, the well-known accounts; port 0 is a free port', async () => {
      const node = await startAnvilNode({ port: 0 });
      try {
        expect(node.engine).toBe('anvil');
        expect(node.port).toBeGreaterThan(0);
        expect(node.url).toBe(`http://127.0.0.1:${node.port}`);
        const rpc = async (method: string) => {
          const response = await fetch(node.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }),
          });
          return ((await response.json()) as { result: any }).result;
        };
        const info = await rpc('anvil_nodeInfo');
        expect(info.hardFork).toMatch(/^cancun$/i);
        expect(info.environment).toMatchObject({ chainId: 31337, baseFee: '0x3b9aca00' });
        const { privateKeyToAccount } = await import('viem/accounts');
        expect((await rpc('eth_accounts')).slice(0, 2)).toEqual(
          [devKeys.centralBank, devKeys.operator].map((k) =>
            privateKeyToAccount(k).address.toLowerCase(),
          ),
        );
      } finally {
        await node.stop();
      }
      expect(node.process.exitCode !== null || node.process.signalCode !== null).toBe(true);
    });
  },
);
