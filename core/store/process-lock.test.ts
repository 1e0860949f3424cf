import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore } from '../../test/support/store-fixtures.js';
import type { Store } from './database.js';
import { release, setLockLocation, tryAcquire, withProcessLock } from './process-lock.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Another live process, whose pid can stand as a lock holder. */
function otherProcess(): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

function holdAs(store: Store, pid: number, host = hostname(), purpose = 'signet sync --watch') {
  store.db
    .prepare(
      `INSERT INTO process_locks (name, pid, host, purpose, since, location)
       VALUES ('sync', ?, ?, ?, '2026-12-02T08:00:00.000Z', NULL)`,
    )
    .run(pid, host, purpose);
}

describe('process locks', () => {
  it('takes a free lock, and gives it back', () => {
    const store = memoryStore();
    expect(tryAcquire(store, 'app', 'the Signet app')).toBeUndefined();
    setLockLocation(store, 'app', 'http://127.0.0.1:5555/');
    expect(store.db.prepare('SELECT pid, purpose, location FROM process_locks').get()).toEqual({
      pid: process.pid,
      purpose: 'the Signet app',
      location: 'http://127.0.0.1:5555/',
    });
    release(store, 'app');
    expect(store.db.prepare('SELECT count(*) AS n FROM process_locks').get()).toEqual({ n: 0 });
  });

  it('names a live holder in another process, and waits, then says who holds it in one line', async () => {
    const store = memoryStore();
    const other = otherProcess();
    holdAs(store, other.pid!);
    expect(tryAcquire(store, 'sync', 'the Signet app')).toMatchObject({
      pid: other.pid,
      purpose: 'signet sync --watch',
    });
    let ran = false;
    const started = Date.now();
    const error = await withProcessLock(store, 'sync', { purpose: 'x', waitMs: 300 }, async () => {
      ran = true;
    }).catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(error).toMatchObject({
      code: 'SYNC_BUSY',
      message: `another Signet process is syncing this data folder: signet sync --watch (pid ${other.pid}, since 2026-12-02T08:00:00.000Z); try again when it is done`,
    });
  });

  it('gets the lock as soon as the other process lets go within the wait', async () => {
    const store = memoryStore();
    const other = otherProcess();
    holdAs(store, other.pid!);
    setTimeout(() => store.db.prepare('DELETE FROM process_locks').run(), 150);
    const started = Date.now();
    const ran = await withProcessLock(
      store,
      'sync',
      { purpose: 'x', waitMs: 5_000, pollMs: 20 },
      async () => 'ran',
    );
    expect(ran).toBe('ran');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('takes over the lock of a holder that died (kill -9 leaves its row behind)', async () => {
    const store = memoryStore();
    const dead = otherProcess();
    const exited = new Promise((resolve) => dead.once('exit', resolve));
    dead.kill('SIGKILL');
    await exited;
    holdAs(store, dead.pid!);
    expect(tryAcquire(store, 'sync', 'the Signet app')).toBeUndefined();
    expect(store.db.prepare('SELECT pid FROM process_locks').pluck().get()).toBe(process.pid);
  });

  it('trusts a holder on another host (its process cannot be checked from here)', () => {
    const store = memoryStore();
    holdAs(store, 999_999, 'branch-pc-7');
    expect(tryAcquire(store, 'sync', 'the Signet app')).toMatchObject({ host: 'branch-pc-7' });
  });

  it('runs the callers of one process one after the other, never together', async () => {
    const store = memoryStore();
    const events: string[] = [];
    const work = (name: string) =>
      withProcessLock(store, 'sync', { purpose: name, waitMs: 1_000 }, async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        events.push(`${name} out`);
      });
    await Promise.all([work('a'), work('b'), work('c')]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
    // And a failing holder lets the next one in.
    const failing = withProcessLock(store, 'sync', { purpose: 'f', waitMs: 10 }, async () => {
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    expect(tryAcquire(store, 'sync', 'after')).toBeUndefined();
  });
});
