/**
 * Two processes on one data folder never sync at the same time: while another
 * process (here a real child process holding the store's `sync` lock, as
 * `signet sync --watch` does mid-sync) syncs, the app's sync waits, then says
 * in one line which process holds it, sending and indexing nothing. Killed
 * with -9, the holder leaves its row behind, and the next sync takes it over.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { writeActiveProfile } from '../core/chain/profile-file.js';
import { getCheckpoint } from '../core/store/checkpoint.js';
import { openStore } from '../core/store/database.js';
import { closedPortProfile } from './support/store-fixtures.js';

const root = resolve(import.meta.dirname, '..');
const profile = closedPortProfile({ name: 'lock test', chainId: 4343, confirmations: 0 });
let home: string;
let api: AppApi;
let holder: ChildProcess;

/** A second process that takes the sync lock, says so, and holds it until killed. */
function holdSyncLock(dbPath: string): Promise<ChildProcess> {
  const script = `
    import { openStore } from './core/store/database.ts';
    import { acquire } from './core/store/process-lock.ts';
    const store = openStore(${JSON.stringify(dbPath)});
    const taken = acquire(store, 'sync', 'signet sync --watch');
    console.log('holder' in taken ? 'busy' : 'held');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolveHeld, reject) => {
    child.stdout!.once('data', (chunk: Buffer) =>
      chunk.toString().trim() === 'held' ? resolveHeld(child) : reject(new Error(String(chunk))),
    );
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
  });
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'signet-sync-lock-'));
  writeActiveProfile(profile, { SIGNET_HOME: home });
  api = createAppApi({ home, env: { SIGNET_HOME: home }, syncWaitMs: 400 });
  holder = await holdSyncLock(join(home, 'signet.sqlite'));
}, 30_000);

afterAll(() => {
  holder?.kill('SIGKILL');
  api?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('the sync lock between processes', () => {
  it('waits for the other process, then names it in one line and syncs nothing', async () => {
    const started = Date.now();
    const reply = await api.dispatch('sync.run', {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(reply).toMatchObject({
      ok: false,
      error: {
        code: 'SYNC_BUSY',
        details: { lock: 'sync', pid: holder.pid, purpose: 'signet sync --watch' },
      },
    });
    if (!reply.ok) {
      expect(reply.error.message).toMatch(
        new RegExp(
          `^another Signet process is syncing this data folder: signet sync --watch \\(pid ${holder.pid}, since \\S+\\); try again when it is done$`,
        ),
      );
    }
    const store = openStore(join(home, 'signet.sqlite'));
    expect(getCheckpoint(store, profile.chainId, 'logs')).toBeUndefined();
    store.close();
  });

  it('takes the lock over from a holder killed with -9, and syncs (here: no node answers)', async () => {
    const exited = new Promise((resolveExit) => holder.once('exit', resolveExit));
    holder.kill('SIGKILL');
    await exited;
    const reply = await api.dispatch('sync.run', {});
    // Past the lock: now it is the nodes (a closed port) that say no.
    expect(reply).toMatchObject({ ok: false, error: { code: 'NODE_UNREACHABLE' } });
  });
});
