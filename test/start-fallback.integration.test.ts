/**
 * `npm start` where Electron cannot run (as on this machine): app/start.ts in its
 * own process with a fresh data directory and a stand-in for the built UI. It
 * tries to fetch Electron's binary with Electron's own install.js (pointed at a
 * closed loopback port, so it fails at once whatever the network), must say so
 * in one line, start the dev ledger and the demo token, serve the UI and the
 * API on 127.0.0.1 behind a session token, and stop everything on SIGTERM.
 * With ELECTRON_SKIP_BINARY_DOWNLOAD it does not try, and says that in one line.
 * A data directory that already selects a real ledger must be left alone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { findSoftHsmModule } from '../app/demo-token.js';
import { findElectronBinary } from '../app/electron-binary.js';

const root = resolve(import.meta.dirname, '..');
const electronHere = findElectronBinary().available;
const softhsm = findSoftHsmModule() !== undefined;
const STAND_IN = '<!doctype html><title>Signet UI stand-in</title>';
const URL_LINE = /^Open (http:\/\/127\.0\.0\.1:(\d+)\/#token=([0-9a-f]{64}))$/m;

interface Started {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Electron's download settings: none from this environment (a mirror set in an
 * .npmrc wins over ELECTRON_MIRROR), then `settings`.
 */
function electronSettings(env: NodeJS.ProcessEnv, settings: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(env)) if (/electron/i.test(name)) delete env[name];
  Object.assign(env, settings);
}

/** A loopback port nothing listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return port;
}

function startSignet(home: string, uiDir: string, electron: NodeJS.ProcessEnv): Started {
  const env: NodeJS.ProcessEnv = { ...process.env, SIGNET_HOME: home, SIGNET_RENDERER_DIR: uiDir };
  delete env.SOFTHSM2_CONF; // start.ts brings its own demo store
  electronSettings(env, electron);
  // Where Electron does run, ask for the browser: this test is about the bridge.
  if (electronHere) env.SIGNET_UI = 'browser';
  const child = spawn(process.execPath, ['--import', 'tsx', 'app/start.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const check of waiters) check();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      for (const check of waiters) check();
      resolveExit(code);
    });
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    output: () => text,
    exited,
    waitFor: (pattern, ms = 45_000) =>
      new Promise((resolveWait, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} within ${ms} ms; output:\n${text}`));
        }, ms);
        const check = () => {
          const match = pattern.exec(text);
          if (match) {
            clearTimeout(timer);
            waiters.delete(check);
            resolveWait(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`start.ts exited (${child.exitCode}) before ${pattern}:\n${text}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

function electronLines(output: string): string[] {
  return output.split('\n').filter((line) => /electron|fetch/i.test(line));
}

function uiStandIn(): string {
  const dir = tempDir('signet-ui-');
  writeFileSync(join(dir, 'index.html'), STAND_IN);
  return dir;
}

async function post(port: string, method: string, token?: string, body: unknown = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/api/${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, reply: (await res.json()) as { ok: boolean; result?: unknown } };
}

/** Resolves to the connection error code (ECONNREFUSED when nothing listens there). */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolveTry) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolveTry('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolveTry('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolveTry(error.code ?? 'error'));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start without Electron', () => {
  it('serves the wallet on the embedded default through the loopback bridge, then stops cleanly', async () => {
    const home = join(tempDir('signet-start-'), 'home');
    // Electron's real install.js runs, and cannot reach its (loopback) mirror.
    const mirrorPort = await closedPort();
    const signet = startSignet(home, uiStandIn(), {
      ELECTRON_MIRROR: `http://127.0.0.1:${mirrorPort}/`,
      electron_config_cache: tempDir('signet-electron-cache-'),
    });
    const [, url, port, token] = await signet.waitFor(URL_LINE);
    const hardhatPid = Number(/Dev ledger \(Hardhat, pid (\d+)\)/.exec(signet.output())?.[1]);
    cleanups.push(() => {
      if (alive(hardhatPid)) process.kill(hardhatPid, 'SIGKILL');
    });
    expect(hardhatPid).toBeGreaterThan(0);
    expect(alive(hardhatPid)).toBe(true);

    // One line about Electron: the fetch failed, why, and what happens instead.
    expect(electronLines(signet.output())).toEqual([
      electronHere
        ? 'Serving the UI in your browser (SIGNET_UI=browser).'
        : `Electron's binary could not be fetched (connect ECONNREFUSED 127.0.0.1:${mirrorPort}); serving the same UI in your browser instead.`,
    ]);
    expect(url).toBe(`http://127.0.0.1:${port}/#token=${token}`);

    // The UI from SIGNET_RENDERER_DIR.
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(STAND_IN);

    // No token, or a wrong one: 401.
    expect((await post(port!, 'app.info')).status).toBe(401);
    expect((await post(port!, 'app.info', 'ab'.repeat(32))).status).toBe(401);

    // The dev ledger is the active profile.
    const profile = JSON.parse(readFileSync(join(home, 'profile.json'), 'utf8'));
    expect(profile).toMatchObject({ dev: true, chainId: 31337 });
    const info = await post(port!, 'app.info', token);
    expect(info).toEqual({
      status: 200,
      reply: {
        ok: true,
        result: {
          ledger: { name: profile.name, chainId: 31337, dev: true },
          chainProblem: null,
        },
      },
    });

    // The demo token's account, funded and synced.
    const balances = await post(port!, 'accounts.balances', token);
    expect(balances.status).toBe(200);
    if (softhsm) {
      const demo = JSON.parse(readFileSync(join(home, 'demo-tokens', 'demo.json'), 'utf8'));
      expect(balances.reply.result).toEqual([
        expect.objectContaining({
          address: demo.address,
          name: 'Demo account',
          balance: '1000.00',
          available: '1000.00',
          registered: true,
        }),
      ]);
      expect(signet.output()).toMatch(/DEMO ONLY: the demo token's PIN is \d{8} /);
      expect(readFileSync(join(home, 'demo-tokens', 'README'), 'utf8')).toContain('DEMO ONLY');
    } else {
      expect(signet.output()).toContain('SoftHSM2 is not installed');
      expect(balances.reply.result).toEqual([]);
    }

    // Bound to 127.0.0.1 only: this machine's other addresses refuse the port.
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    for (const address of others) {
      expect(await tryConnect(address, Number(port))).toBe('ECONNREFUSED');
    }
    expect(await tryConnect('127.0.0.1', Number(port))).toBe('connected');

    // A second start on the same data folder says where the first one is, and starts nothing.
    const second = startSignet(home, uiStandIn(), { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expect(await second.exited).toBe(1);
    const pid = signet.child.pid;
    expect(second.output()).toMatch(
      new RegExp(
        `^signet start: Signet is already running on this data folder: the Signet app \\(npm start\\) \\(pid ${pid}, since [^)]+\\) at http://127\\.0\\.0\\.1:${port}/; use that one, or stop it first\\.$`,
        'm',
      ),
    );
    expect(second.output()).not.toMatch(/Dev ledger|Open http/);
    expect(JSON.parse(readFileSync(join(home, 'profile.json'), 'utf8'))).toEqual(profile);
    expect((await post(port!, 'app.info', token)).reply).toEqual(info.reply);

    // SIGTERM: bridge, API and dev ledger down, exit code 0.
    signet.child.kill('SIGTERM');
    expect(await signet.exited).toBe(0);
    expect(signet.output()).toContain('Signet stopped; the dev ledger is down.');
    expect(alive(hardhatPid)).toBe(false);
    expect(await tryConnect('127.0.0.1', Number(port))).toBe('ECONNREFUSED');
    // The first one let go of the data folder as it stopped.
    const db = new Database(join(home, 'signet.sqlite'), { readonly: true });
    expect(db.prepare("SELECT * FROM process_locks WHERE name = 'app'").all()).toEqual([]);
    db.close();
  }, 90_000);

  it('keeps a data directory that already selects a real ledger as it is', async () => {
    const home = join(tempDir('signet-start-real-'), 'home');
    mkdirSync(home, { recursive: true });
    const zero = `0x${'11'.repeat(20)}`;
    const real = `${JSON.stringify(
      {
        name: 'Branch ledger',
        chainId: 1337,
        rpc: ['http://127.0.0.1:9'],
        confirmations: 2,
        txType: 'eip1559',
        contracts: {
          currency: zero,
          notes: zero,
          safeSingleton: zero,
          safeProxyFactory: zero,
          multiSend: zero,
          multiSendCallOnly: zero,
          fallbackHandler: zero,
        },
        deployBlock: 0,
        dev: false,
      },
      null,
      2,
    )}\n`;
    writeFileSync(join(home, 'profile.json'), real);
    const signet = startSignet(home, uiStandIn(), { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    const [, url, port, token] = await signet.waitFor(URL_LINE);
    // No fetch attempt: one line says why, then the bridge's URL.
    expect(electronLines(signet.output())).toEqual([
      electronHere
        ? 'Serving the UI in your browser (SIGNET_UI=browser).'
        : "Electron's binary is not installed and was not fetched (ELECTRON_SKIP_BINARY_DOWNLOAD is set); serving the same UI in your browser instead.",
    ]);
    expect(url).toBe(`http://127.0.0.1:${port}/#token=${token}`);
    expect(signet.output()).toContain('Using your ledger "Branch ledger" (chain 1337)');
    expect(signet.output()).not.toContain('Dev ledger');
    expect(existsSync(join(home, 'demo-tokens'))).toBe(false);
    expect(readFileSync(join(home, 'profile.json'), 'utf8')).toBe(real);
    const info = await post(port!, 'app.info', token);
    expect(info.reply).toEqual({
      ok: true,
      result: { ledger: { name: 'Branch ledger', chainId: 1337, dev: false }, chainProblem: null },
    });
    signet.child.kill('SIGTERM');
    expect(await signet.exited).toBe(0);
  }, 30_000);
});
