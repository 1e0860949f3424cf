import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStore } from '../../test/support/store-fixtures.js';
import type { Store } from './database.js';
import { acquire, HEARTBEAT_MS, STALE_MS, withProcessLock } from './process-lock.js';

const children: ChildProcess[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Another live process, whose pid can stand as a lock holder. */
function otherProcess(): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

/** The "<boot id>:<start time>" a holder's row keeps, as the lock module reads it. */
function instanceOf(pid: number): string {
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return `${boot}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}

function holdAs(
  store: Store,
  row: { pid: number; host?: string; instance?: string | null; seen?: string },
) {
  store.db
    .prepare(
      `INSERT INTO process_locks (name, pid, host, instance, purpose, since, seen, location)
       VALUES ('sync', @pid, @host, @instance, 'signet sync --watch', '2026-12-02T08:00:00.000Z',
               @seen, NULL)`,
    )
    .run({
      pid: row.pid,
      host: row.host ?? hostname(),
      instance: row.instance === undefined ? instanceOf(row.pid) : row.instance,
      seen: row.seen ?? new Date().toISOString(),
    });
}

const holderPid = (store: Store) =>
  store.db.prepare('SELECT pid FROM process_locks').pluck().get() as number | undefined;

describe('process locks', () => {
  it('takes a free lock, says where the holder is, and gives it back', () => {
    const store = memoryStore();
    const taken = acquire(store, 'app', 'the Signet app');
    if (!('held' in taken)) throw new Error('the lock was free');
    taken.held.setLocation('http://127.0.0.1:5555/');
    expect(
      store.db.prepare('SELECT pid, purpose, location, instance FROM process_locks').get(),
    ).toEqual({
      pid: process.pid,
      purpose: 'the Signet app',
      location: 'http://127.0.0.1:5555/',
      instance: instanceOf(process.pid),
    });
    taken.held.release();
    expect(holderPid(store)).toBeUndefined();
  });

  it('names a live holder in another process, and waits, then says who holds it in one line', async () => {
    const store = memoryStore();
    const other = otherProcess();
    holdAs(store, { pid: other.pid! });
    expect(acquire(store, 'sync', 'the Signet app')).toMatchObject({
      holder: { pid: other.pid, purpose: 'signet sync --watch' },
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
    holdAs(store, { pid: otherProcess().pid! });
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
    const instance = instanceOf(dead.pid!);
    const exited = new Promise((resolve) => dead.once('exit', resolve));
    dead.kill('SIGKILL');
    await exited;
    holdAs(store, { pid: dead.pid!, instance });
    expect('held' in acquire(store, 'sync', 'the Signet app')).toBe(true);
    expect(holderPid(store)).toBe(process.pid);
  });

  it('takes over a row whose pid now belongs to another process (a reboot, a reused pid)', () => {
    const store = memoryStore();
    // pid 1 is alive, but it is not the process that wrote this row.
    holdAs(store, { pid: 1, instance: 'another-boot:12345' });
    expect('held' in acquire(store, 'sync', 'the Signet app')).toBe(true);
    expect(holderPid(store)).toBe(process.pid);
  });

  it('trusts a holder on another host while its heartbeat is fresh, and takes over once it is stale', () => {
    const store = memoryStore();
    const now = store.now();
    holdAs(store, { pid: 999_999, host: 'branch-pc-7', instance: null, seen: now.toISOString() });
    expect(acquire(store, 'sync', 'the Signet app')).toMatchObject({
      holder: { host: 'branch-pc-7' },
    });
    store.db
      .prepare('UPDATE process_locks SET seen = ?')
      .run(new Date(now.getTime() - STALE_MS - 5_000).toISOString());
    expect('held' in acquire(store, 'sync', 'the Signet app')).toBe(true);
  });

  it('keeps its heartbeat while held, and stops it on release', () => {
    vi.useFakeTimers();
    const store = memoryStore();
    const taken = acquire(store, 'app', 'the Signet app');
    if (!('held' in taken)) throw new Error('the lock was free');
    const seen = () => store.db.prepare('SELECT seen FROM process_locks').pluck().get();
    const first = seen();
    vi.advanceTimersByTime(HEARTBEAT_MS + 1);
    expect(seen()).not.toBe(first);
    taken.held.release();
    vi.advanceTimersByTime(3 * HEARTBEAT_MS);
    expect(seen()).toBeUndefined();
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
    expect(holderPid(store)).toBeUndefined();
  });
});
