/**
 * `signet ledger up` on each engine, as a real process: it starts the node, deploys
 * Signet's contracts, prints and selects the profile, funds accounts through the
 * engine's own test controls (and refuses to fund a node that is neither), and
 * stops the node on SIGTERM. A wrong --engine, or
 * anvil missing, is one line that starts nothing and selects nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicClient, getAddress, http } from 'viem';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChainProfile } from '../core/api/profile.js';
import { currencyAbi } from '../core/chain/abi.js';
import {
  activeProfilePath,
  readActiveProfile,
  writeActiveProfile,
} from '../core/chain/profile-file.js';
import { findAnvilBinary } from '../ledger/anvil-node.js';
import type { DevEngine } from '../ledger/dev-node.js';
import { startFakeProxy } from './fakes/rpc-fake-nodes.js';
import { signet } from './support/cli.js';

const signetJs = join(import.meta.dirname, '../bin/signet.js');
const anvil = findAnvilBinary();
const anvilMissing = 'missing' in anvil ? anvil.missing : undefined;

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function freshHome(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'signet-ledger-up-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  return { ...process.env, SIGNET_HOME: home };
}

/** Resolves to the connection error code (ECONNREFUSED when nothing listens there). */
function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/** `signet ledger up --port 0 --json [args]` in its own process; resolves with the printed profile. */
/** `signet ledger up --port 0 --json [args]` in its own process. */
function spawnChainUp(env: NodeJS.ProcessEnv, args: string[]) {
  const child = spawn(
    process.execPath,
    [signetJs, 'ledger', 'up', '--port', '0', '--json', ...args],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // SIGTERM first: `ledger up` stops its node on it; a SIGKILL would leave the node running.
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const profile = new Promise<ChainProfile>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]!) as ChainProfile);
    });
    void exited.then((how) =>
      reject(new Error(`ledger up exited (${JSON.stringify(how)}):\n${stderr}`)),
    );
  });
  profile.catch(() => {}); // a test that never waits for it must not see it as unhandled
  return { child, profile, exited, stderr: () => stderr };
}

/** Resolves with the ledger up process and the profile it printed. */
async function startChainUp(env: NodeJS.ProcessEnv, args: string[]) {
  const up = spawnChainUp(env, args);
  return { ...up, profile: await up.profile };
}

/**
 * The child process of `pid` whose command line mentions `name` (Linux:
 * /proc/PID/task/PID/children), polled until it exists.
 */
async function childNamed(pid: number, name: string, ms = 30_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
    for (const child of children) {
      try {
        if (readFileSync(`/proc/${child}/cmdline`, 'utf8').includes(name)) return child;
      } catch {
        // gone already
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`process ${pid} started no ${name} within ${ms} ms`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const clientVersion: Record<DevEngine, RegExp> = {
  hardhat: /^HardhatNetwork\//,
  anvil: /^anvil\//,
};

describe('signet ledger up', () => {
  const cases: Array<{ engine: DevEngine; args: string[]; skip?: string }> = [
    { engine: 'hardhat', args: [] }, // the default
    { engine: 'anvil', args: ['--engine', 'anvil'], skip: anvilMissing },
  ];
  for (const { engine, args, skip } of cases) {
    it.skipIf(skip !== undefined)(
      `${args.length ? args.join(' ') : '(no --engine)'} starts ${engine}, deploys, selects the profile, funds, and stops on SIGTERM${skip ? ` — skipped: ${skip}` : ''}`,
      { timeout: 90_000 },
      async () => {
        const env = freshHome();
        const up = await startChainUp(env, args);
        const url = up.profile.rpc[0]!;
        expect(up.profile).toMatchObject({ name: 'dev', chainId: 31337, dev: true });
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(url).not.toMatch(/:0$/);
        expect(readActiveProfile(env)).toEqual(up.profile);

        const client = createPublicClient({ transport: http(url, { retryCount: 0 }) });
        expect(await client.request({ method: 'web3_clientVersion' })).toMatch(
          clientVersion[engine],
        );
        expect(await client.getCode({ address: up.profile.contracts.currency })).toMatch(
          /^0x[0-9a-f]{100,}$/,
        );
        expect(await client.getCode({ address: up.profile.contracts.safeSingleton })).toMatch(
          /^0x[0-9a-f]{100,}$/,
        );

        // The faucet reaches the engine's own setBalance: a fresh account gets gas money.
        const fresh = getAddress('0x00000000000000000000000000000000000f00d5');
        const funded = await signet(
          ['ledger', 'fund', '--account', fresh, '--amount', '2.50', '--json'],
          { env },
        );
        expect(funded.stderr).toBe('');
        expect(await client.getBalance({ address: fresh })).toBe(10n ** 19n);
        expect(
          await client.readContract({
            address: up.profile.contracts.currency,
            abi: currencyAbi,
            functionName: 'balanceOf',
            args: [fresh],
          }),
        ).toBe(250n);

        // A node that is neither engine gets no ether: the faucet names what it found.
        const geth = await startFakeProxy(url, {
          alter: (method, _params, result) =>
            method === 'web3_clientVersion' ? 'Geth/v1.14.0-stable/linux-amd64/go1.22' : result,
        });
        cleanups.push(() => void geth.stop());
        writeActiveProfile({ ...up.profile, rpc: [geth.url] }, env);
        const other = getAddress('0x00000000000000000000000000000000000f00d6');
        const refused = await signet(['ledger', 'fund', '--account', other, '--amount', '1.00'], {
          env,
        });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toBe(
          `signet: ledger "dev" at ${geth.url} runs Geth/v1.14.0-stable/linux-amd64/go1.22, not a dev node Signet can fund (Hardhat or anvil)\n`,
        );
        expect(await client.getBalance({ address: other })).toBe(0n);

        up.child.kill('SIGTERM');
        expect(await up.exited, up.stderr()).toEqual({ code: 0, signal: null });
        expect(await tryConnect(url)).toBe('ECONNREFUSED');
      },
    );
  }

  it('a SIGTERM while the node is still starting stops it once it is up: no node is left behind', async () => {
    const env = freshHome();
    const engine: DevEngine = anvilMissing ? 'hardhat' : 'anvil';
    const up = spawnChainUp(env, ['--engine', engine]);
    const node = await childNamed(up.child.pid!, engine === 'anvil' ? 'bin/anvil' : 'hardhat');
    up.child.kill('SIGTERM');
    expect(await up.exited, up.stderr()).toEqual({ code: 0, signal: null });
    expect(alive(node)).toBe(false);
  });

  it('one dev ledger (or app) per data folder: a second `ledger up` says where the first runs, and changes nothing', async () => {
    const env = freshHome();
    const first = await startChainUp(env, anvilMissing ? [] : ['--engine', 'anvil']);
    const second = await signet(['ledger', 'up', '--port', '0'], { env });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `^signet: Signet is already running on this data folder: signet ledger up \\(pid ${first.child.pid}, since \\S+\\) at ${first.profile.rpc[0]!.replace(/\./g, '\\.')}\n$`,
      ),
    );
    expect(readActiveProfile(env)).toEqual(first.profile);
  }, 90_000);

  it('refuses an unknown --engine in one line, and starts and selects nothing', async () => {
    const env = freshHome();
    const run = await signet(['ledger', 'up', '--port', '0', '--engine', 'geth'], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('signet: --engine must be hardhat or anvil, not "geth"\n');
    expect(existsSync(activeProfilePath(env))).toBe(false);
    const json = await signet(['ledger', 'up', '--port', '0', '--engine', 'Anvil', '--json'], {
      env,
    });
    expect(json.json).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: '--engine must be hardhat or anvil, not "Anvil"',
        details: { engines: ['hardhat', 'anvil'] },
      },
    });
  });

  it('says in one line when anvil cannot be found, and selects nothing', async () => {
    const env = { ...freshHome(), SIGNET_ANVIL: '/nonexistent/anvil' };
    const run = await signet(['ledger', 'up', '--port', '0', '--engine', 'anvil', '--json'], {
      env,
    });
    expect(run.code).toBe(1);
    expect(run.json).toEqual({
      error: {
        code: 'DEV_ENGINE_MISSING',
        message: 'SIGNET_ANVIL=/nonexistent/anvil is not an executable file',
        details: { engine: 'anvil' },
      },
    });
    expect(existsSync(activeProfilePath(env))).toBe(false);
  });
});
