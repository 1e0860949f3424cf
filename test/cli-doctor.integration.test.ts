/**
 * `signet doctor` on real parts: SoftHSM2 tokens in a temporary folder (one with a
 * wrong user PIN typed, one with a wrong SO PIN: SoftHSM2 raises the COUNT_LOW flags),
 * the FAKE smart card (test/fakes) for a user PIN locked after three wrong tries, which
 * SoftHSM2 never does, a real Hardhat node with FAKE nodes around it (test/fakes:
 * down, on another chain, lagging, behind credentials), and data folders in good and
 * bad order.
 *
 * Two homes:
 * - `tidy`: nothing fails (a node down among three, a wrong PIN typed: warnings). Exit 0.
 * - `messy`: a module in config.json that does not exist and one that is no module, a
 *   locked PIN, a profile of four nodes of which only two answer on its chain, a
 *   profile.json others can read, a sync lock held for twenty minutes by a live
 *   process and an app lock left by one that ended. Exit 1.
 * Each finding has its sentence and, for warnings and failures, its fix; --json is the
 * report's stable shape; the UI's door (doctor.run through dispatch) answers the same.
 * And the doctor changed nothing: the store's bytes, the modes, the tokens (a login
 * would have cleared COUNT_LOW) are as they were.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoctorReport, doctorReportSchema, type Finding } from '../core/api/diagnostics.js';
import type { ChainProfile } from '../core/api/profile.js';
import { createAppApi } from '../core/app/app-api.js';
import { writeActiveProfile } from '../core/chain/profile-file.js';
import { openStore } from '../core/store/database.js';
import { migrations } from '../core/store/schema.js';
import type { DevNode } from '../ledger/dev-node.js';
import { startHardhatNode } from '../ledger/hardhat-node.js';
import { buildFakeSmartcard, type FakeSmartcard } from './fakes/fake-smartcard.js';
import { type FakeNode, fakeDownNodeUrl, startFakeProxy } from './fakes/rpc-fake-nodes.js';
import { pinFile, signet } from './support/cli.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';
import { closedPortProfile } from './support/store-fixtures.js';

const PIN = '4711-doctor';
const SO_PIN = '87654321';
const SECRET = 's3cret-pass';
const API_KEY = 'apikey0123456789secret';
const tokens = createSoftHsmStore('signet-doctor-');
const tidy = mkdtempSync(join(tmpdir(), 'signet-doctor-tidy-'));
const messy = mkdtempSync(join(tmpdir(), 'signet-doctor-messy-'));
const cutOff = mkdtempSync(join(tmpdir(), 'signet-doctor-cut-off-'));
/** The tokens' and the fake card's environment, for in-process and child runs alike. */
const envOf = (home: string) => ({ ...card.env, SIGNET_HOME: home });

let node: DevNode;
const fakes: FakeNode[] = [];
let card: FakeSmartcard;
let sleeper: ChildProcess;
const urls = {
  up: '',
  proxy: '',
  proxy2: '',
  down: '',
  wrongChain: '',
  behind: '',
  secret: '',
};
let serials: { typo: string; so: string; locked: string };

function profile(rpc: string[]): ChainProfile {
  return { ...closedPortProfile({ name: 'doctor ledger', chainId: 31337, confirmations: 1 }), rpc };
}

async function rpc(method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(node.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await response.json()) as { result: unknown }).result;
}

beforeAll(async () => {
  serials = {
    typo: tokens.initToken('Typo', PIN, SO_PIN),
    so: tokens.initToken('SoTypo', PIN, SO_PIN),
    locked: tokens.initToken('Locked', PIN, SO_PIN),
  };
  tokens.activate();
  card = buildFakeSmartcard({ softhsmConf: tokens.conf, dir: join(tokens.dir, 'fake') });
  card.activate();

  // A wrong user PIN on "Typo", a wrong SO PIN on "SoTypo" (SoftHSM2 sets COUNT_LOW),
  // three wrong PINs on "Locked" through the fake card (which then locks it).
  const wrong = pinFile('0000-wrong');
  const keys = (uri: string) =>
    signet(['keys', '--token', uri, '--pin-file', wrong], { env: envOf(tidy) });
  expect((await keys(`pkcs11:serial=${serials.typo}?module-path=${softhsmModule}`)).code).toBe(1);
  const unblock = await signet(
    [
      'pin',
      'unblock',
      '--token',
      `pkcs11:serial=${serials.so}?module-path=${softhsmModule}`,
      '--so-pin-file',
      wrong,
      '--new-pin-file',
      pinFile('1234-new'),
    ],
    { env: envOf(tidy) },
  );
  expect(unblock.code).toBe(1);
  for (let i = 0; i < 3; i++)
    expect(
      (await keys(`pkcs11:serial=${serials.locked}?module-path=${card.modulePath}`)).code,
    ).toBe(1);

  // A real node, a transparent proxy in front of it, a port where nothing listens, a
  // node on another chain, one 20 blocks behind, one behind basic auth with an API key.
  node = await startHardhatNode();
  await rpc('hardhat_mine', ['0x40']);
  const proxy = async (options = {}) => {
    const started = await startFakeProxy(node.url, options);
    fakes.push(started);
    return started.url;
  };
  urls.up = node.url;
  urls.proxy = await proxy();
  urls.proxy2 = await proxy();
  urls.down = await fakeDownNodeUrl();
  urls.wrongChain = await proxy({ chainId: 1 });
  urls.behind = await proxy({ lag: 20 });
  const secret = new URL(await proxy({ basicAuth: `ops:${SECRET}` }));
  urls.secret = `http://ops:${SECRET}@${secret.host}/?apikey=${API_KEY}`;

  // cut off: of three nodes, one answers on the chain.
  writeActiveProfile(profile([urls.up, urls.down, urls.wrongChain]), { SIGNET_HOME: cutOff });

  // tidy: three nodes, one down; a store; nothing else.
  writeActiveProfile(profile([urls.up, urls.down, urls.secret]), { SIGNET_HOME: tidy });
  openStore(join(tidy, 'signet.sqlite')).close();

  // messy: see the header.
  writeFileSync(
    join(messy, 'config.json'),
    JSON.stringify({
      modules: [card.modulePath, '/nonexistent/libvendor-pkcs11.so', notAModule()],
    }),
    { mode: 0o600 },
  );
  // Three nodes at the head: a quorum of five, so the fourth, 20 blocks lower, is behind.
  writeActiveProfile(profile([urls.up, urls.proxy, urls.proxy2, urls.behind, urls.wrongChain]), {
    SIGNET_HOME: messy,
  });
  chmodSync(join(messy, 'profile.json'), 0o644);
  const store = openStore(join(messy, 'signet.sqlite'));
  sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  const ended = spawn('true');
  await new Promise((resolve) => ended.once('exit', resolve));
  const lock = store.db.prepare(
    `INSERT INTO process_locks (name, pid, host, instance, purpose, since, seen, location)
     VALUES (?, ?, ?, NULL, ?, ?, ?, NULL)`,
  );
  const twentyMinutesAgo = new Date(Date.now() - 20 * 60_000).toISOString();
  lock.run(
    'sync',
    sleeper.pid,
    hostname(),
    'signet sync --watch',
    twentyMinutesAgo,
    twentyMinutesAgo,
  );
  lock.run(
    'app',
    ended.pid,
    hostname(),
    'the Signet app (npm start)',
    twentyMinutesAgo,
    twentyMinutesAgo,
  );
  store.close();
}, 120_000);

afterAll(async () => {
  sleeper?.kill();
  await Promise.all(fakes.map((f) => f.stop()));
  await node?.stop();
  tokens.remove();
  rmSync(tidy, { recursive: true, force: true });
  rmSync(messy, { recursive: true, force: true });
  rmSync(cutOff, { recursive: true, force: true });
});

/** `signet` as a real process (bin/signet.js), without blocking this one. */
function signetChild(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../bin/signet.js'), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout })));
}

/** A file named like a module that is none (a text file). */
function notAModule(): string {
  const path = join(messy, 'libnot-a-module.so');
  writeFileSync(path, 'not an ELF file\n', { mode: 0o600 });
  return path;
}

async function doctor(
  home: string,
): Promise<{ code: number; report: DoctorReport; lines: string[] }> {
  const json = await signet(['doctor', '--json'], { env: envOf(home) });
  const text = await signet(['doctor'], { env: envOf(home) });
  expect(json.code).toBe(text.code);
  return {
    code: json.code,
    report: doctorReportSchema.parse(json.json),
    lines: text.stdout.trimEnd().split('\n'),
  };
}

const find = (report: DoctorReport, code: string, match: (f: Finding) => boolean = () => true) =>
  report.findings.filter((f) => f.code === code && match(f));
const one = (report: DoctorReport, code: string, match?: (f: Finding) => boolean): Finding => {
  const found = find(report, code, match);
  expect(found, `${code} in ${JSON.stringify(report.findings.map((f) => f.code))}`).toHaveLength(1);
  return found[0]!;
};
const forToken = (label: string) => (f: Finding) =>
  f.facts.label === label && f.facts.manufacturer !== 'Signet fake smart card';

/** Every file under `dir` with its bytes' hash and mode. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string) => {
    const stats = statSync(path);
    if (stats.isDirectory()) {
      out[path] = `dir ${(stats.mode & 0o777).toString(8)}`;
      for (const name of readdirSync(path)) walk(join(path, name));
    } else {
      const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
      out[path] = `${hash} ${(stats.mode & 0o777).toString(8)}`;
    }
  };
  walk(dir);
  return out;
}

describe('signet doctor on a tidy machine', () => {
  let run: Awaited<ReturnType<typeof doctor>>;
  beforeAll(async () => {
    run = await doctor(tidy);
  }, 60_000);

  it('exits 0 when nothing fails, warnings and all', () => {
    expect(run.report.summary.fail).toBe(0);
    expect(run.report.summary.warn).toBeGreaterThan(0);
    expect(run.code).toBe(0);
  });

  it('names each module with its versions, and each token with its PIN state', () => {
    const softhsm = one(
      run.report,
      'module.loaded',
      (f) => realpathSync(String(f.facts.path)) === realpathSync(softhsmModule),
    );
    expect(softhsm).toMatchObject({
      area: 'modules',
      status: 'ok',
      facts: {
        manufacturer: 'SoftHSM',
        description: 'Implementation of PKCS11',
        cryptokiVersion: '2.40',
        libraryVersion: expect.stringMatching(/^2\.\d+$/),
      },
    });
    expect(softhsm.fix).toBeUndefined();
    const typo = one(run.report, 'token.userPinCountLow', forToken('Typo'));
    expect(typo).toMatchObject({ area: 'tokens', status: 'warn', facts: { serial: serials.typo } });
    expect(typo.what).toBe(
      'A wrong user PIN was entered on “Typo”: the token reports few tries left.',
    );
    expect(typo.fix).toContain(`signet pin unblock --token 'pkcs11:token=Typo;`);
    expect(one(run.report, 'token.soPinCountLow', forToken('SoTypo')).status).toBe('warn');
    // SoftHSM2 never locks: through it, "Locked" merely had wrong PINs typed.
    expect(one(run.report, 'token.userPinCountLow', forToken('Locked')).status).toBe('warn');
  });

  it('says which node is down, and that the others still make a quorum', () => {
    expect(one(run.report, 'ledger.profile').facts).toMatchObject({ chainId: 31337, nodes: 3 });
    const down = one(run.report, 'node.down');
    expect(down).toMatchObject({
      status: 'warn',
      what: `Node ${urls.down} does not answer: connection refused.`,
    });
    expect(down.fix).toMatch(/^Check that the node runs/);
    expect(find(run.report, 'node.up')).toHaveLength(2);
    expect(one(run.report, 'ledger.quorum')).toMatchObject({
      status: 'ok',
      facts: { answering: 2, nodes: 3, quorum: 2 },
    });
  });

  it('never shows a node’s credentials', () => {
    const secretHost = new URL(urls.secret).host;
    const up = one(run.report, 'node.up', (f) => String(f.facts.url).includes(secretHost));
    expect(up.facts.url).toBe(`http://${secretHost}?apikey=***`);
    const all = JSON.stringify(run.report) + run.lines.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(API_KEY);
    expect(all).not.toContain('ops:');
  });

  it('finds the data folder private, the store current, and no lock held', () => {
    expect(one(run.report, 'data.private').status).toBe('ok');
    expect(one(run.report, 'store.current').facts).toMatchObject({
      version: migrations.length,
      known: migrations.length,
    });
    expect(one(run.report, 'lock.syncFree').status).toBe('ok');
    expect(one(run.report, 'lock.appFree').status).toBe('ok');
  });

  it('prints one line per finding, the fix on the same line, and a count last', () => {
    const { findings, summary } = run.report;
    expect(run.lines).toHaveLength(findings.length + 1);
    // Two runs (--json and not): a node's latency may differ by a millisecond.
    // And the first run's read-only look at the store may have left SQLite's -wal and -shm.
    const steady = (text: string) =>
      text.replace(/\(\d+ ms\)/g, '(… ms)').replace(/Signet’s \d+ files/, 'Signet’s … files');
    findings.forEach((f, i) => {
      const line = steady(run.lines[i]!);
      expect(line.startsWith(`${f.status.padEnd(4)}  ${f.area}`)).toBe(true);
      expect(line).toContain(steady(f.what));
      if (f.status === 'ok') expect(line).not.toContain('Fix:');
      else expect(line).toContain(` Fix: ${f.fix}`);
    });
    expect(run.lines.at(-1)).toBe(
      `${summary.ok} ok, ${summary.warn} warning${summary.warn === 1 ? '' : 's'}, 0 failures`,
    );
  });
});

describe('signet doctor on a messy machine', () => {
  let run: Awaited<ReturnType<typeof doctor>>;
  let before: Record<string, string>;
  beforeAll(async () => {
    before = { ...snapshot(messy), ...snapshot(join(tokens.dir, 'tokens')) };
    run = await doctor(messy);
  }, 60_000);

  it('exits 1 when anything fails, in-process and as a real process', async () => {
    expect(run.code).toBe(1);
    expect(run.report.summary.fail).toBeGreaterThan(0);
    // Not spawnSync: the FAKE nodes live in this process and must go on answering.
    const child = await signetChild(['doctor', '--json'], envOf(messy));
    expect(child.code).toBe(1);
    const codes = (r: DoctorReport) => r.findings.map((f) => `${f.code} ${f.status}`);
    expect(codes(doctorReportSchema.parse(JSON.parse(child.stdout)))).toEqual(codes(run.report));
  });

  it('fails the modules config.json names that are missing or not modules', () => {
    const config = join(messy, 'config.json');
    expect(one(run.report, 'module.missing')).toMatchObject({
      status: 'fail',
      what: `/nonexistent/libvendor-pkcs11.so, listed in ${config}, does not exist.`,
      fix: `Correct the path in "modules" of ${config}, or remove it.`,
    });
    const invalid = one(run.report, 'module.invalid');
    expect(invalid).toMatchObject({ status: 'fail', facts: { path: notAModule() } });
    expect(invalid.what).toBe(`${notAModule()} is not a PKCS#11 module (file too short).`);
  });

  it('fails a locked user PIN with the way to unblock it', () => {
    const locked = one(
      run.report,
      'token.userPinLocked',
      (f) => f.facts.manufacturer === 'Signet fake smart card',
    );
    expect(locked).toMatchObject({
      area: 'tokens',
      status: 'fail',
      what: 'The user PIN of “Locked” is locked: its keys cannot sign.',
    });
    expect(locked.fix).toContain(
      `--token 'pkcs11:token=Locked;manufacturer=Signet%20fake%20smart%20card`,
    );
    expect(locked.fix).toContain(`module-path=${card.modulePath}`);
  });

  it('fails a node on another chain; warns of the node far behind', () => {
    expect(one(run.report, 'node.wrongChain')).toMatchObject({
      status: 'fail',
      what: `Node ${urls.wrongChain} is on another chain (on chain 1, the profile expects 31337).`,
      fix: 'Point the profile at nodes of chain 31337, or select the profile of the chain this node serves.',
    });
    const behind = one(run.report, 'node.behind');
    expect(behind).toMatchObject({ status: 'warn', facts: { url: urls.behind, lag: 20 } });
    expect(behind.what).toBe(
      `Node ${urls.behind} is at block ${behind.facts.head}, 20 blocks behind the others (block ${behind.facts.anchor}).`,
    );
    expect(behind.fix).toMatch(/^Check the node’s peers and sync/);
    expect(find(run.report, 'node.up')).toHaveLength(3);
    expect(one(run.report, 'ledger.quorum').facts).toMatchObject({ answering: 4, nodes: 5 });
  });

  it('fails a file others can read, and says who holds the locks', () => {
    const profilePath = join(messy, 'profile.json');
    expect(one(run.report, 'data.open')).toMatchObject({
      status: 'fail',
      facts: { path: profilePath, mode: '0644', want: '600' },
      fix: `Close it: \`chmod 600 ${profilePath}\`.`,
    });
    const stuck = one(run.report, 'lock.syncStuck');
    expect(stuck).toMatchObject({
      status: 'warn',
      facts: { pid: sleeper.pid, purpose: 'signet sync --watch', minutes: 20 },
    });
    expect(stuck.fix).toBe(
      `If that sync hangs, stop that process (pid ${sleeper.pid}): the lock is freed when it ends.`,
    );
    expect(one(run.report, 'lock.appStale').status).toBe('ok');
  });

  it('changed nothing: the store, the modes, the tokens are as they were', async () => {
    const after = { ...snapshot(messy), ...snapshot(join(tokens.dir, 'tokens')) };
    // SQLite's -wal and -shm index files may appear beside the store (any reader makes
    // them): the store itself, every other file and every mode are untouched.
    for (const name of ['signet.sqlite-wal', 'signet.sqlite-shm']) delete after[join(messy, name)];
    expect(after).toEqual(before);
    // No login either: the wrong PIN's flag is still up (a login would have cleared it).
    const again = await doctor(tidy);
    expect(find(again.report, 'token.userPinCountLow', forToken('Typo'))).toHaveLength(1);
  });

  it('answers the UI’s door with the same report: one handler', async () => {
    const api = createAppApi({ home: messy, env: envOf(messy) });
    try {
      const reply = await api.dispatch('doctor.run', {});
      expect(reply.ok).toBe(true);
      const report = doctorReportSchema.parse(reply.ok ? reply.result : undefined);
      const codes = (r: DoctorReport) => r.findings.map((f) => `${f.code} ${f.status}`);
      expect(codes(report)).toEqual(codes(run.report));
      // Refused like any call with a field the contract does not name.
      expect(await api.dispatch('doctor.run', { module: '/tmp/libevil.so' })).toMatchObject({
        ok: false,
        error: {
          code: 'INVALID_ARGUMENT',
          message: 'invalid doctor.run request: unknown field "module"',
        },
      });
    } finally {
      api.close();
    }
  });
});

describe('signet doctor with too few nodes answering', () => {
  it('fails the lost quorum, and names the nodes that are down or elsewhere', async () => {
    const run = await signet(['doctor', '--json'], { env: envOf(cutOff) });
    expect(run.code).toBe(1);
    const report = doctorReportSchema.parse(run.json);
    expect(one(report, 'ledger.noQuorum')).toMatchObject({
      status: 'fail',
      what: 'Only 1 of 3 node(s) answer on chain 31337, and 2 must agree to confirm a transaction: until then Signet leaves transactions unconfirmed.',
      facts: { answering: 1, nodes: 3, quorum: 2 },
    });
    expect(one(report, 'node.down').facts.url).toBe(urls.down);
    expect(one(report, 'node.wrongChain').facts.url).toBe(urls.wrongChain);
    expect(one(report, 'node.up').facts.url).toBe(urls.up);
    // No store yet in this folder: said, and not made.
    expect(one(report, 'store.missing').status).toBe('ok');
    expect(readdirSync(cutOff)).toEqual(['profile.json']);
  });
});
