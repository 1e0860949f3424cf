/**
 * Locks between processes on one data directory, kept in the store so that
 * every process that can open the store sees them: `sync` (one process sends
 * the outbox and indexes at a time) and `app` (one `npm start` per data
 * directory). A lock names its holder (pid, host, what it is doing, and where
 * the app can be found), so a process that waits or gives up can say who holds
 * it. A holder that died (kill -9, a power cut) leaves its row behind: on the
 * same host a dead pid's row is taken over; a row from another host is trusted
 * (its process cannot be checked from here).
 *
 * Inside one process, callers of the same lock queue in memory first (two app
 * API instances in one process share its pid, so the row alone cannot tell them
 * apart).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SignetError } from '../api/errors.js';
import type { Store } from './database.js';

export type LockName = 'sync' | 'app';

export interface LockHolder {
  pid: number;
  host: string;
  /** What the holder is doing, for people: "signet sync --watch", "the Signet app". */
  purpose: string;
  since: string;
  /** Where the holder can be reached (the app's address); null when it has none. */
  location: string | null;
}

interface LockRow {
  name: string;
  pid: number;
  host: string;
  purpose: string;
  since: string;
  location: string | null;
}

/** In-process queue per (store file, lock): the tail each new caller waits behind. */
const queues = new Map<string, Promise<void>>();

/**
 * Takes the lock for this process if it is free (or its holder is dead); returns
 * the live holder otherwise. Not re-entrant: use withProcessLock for work.
 */
export function tryAcquire(
  store: Store,
  name: LockName,
  purpose: string,
  location: string | null = null,
): LockHolder | undefined {
  return store.transaction(() => {
    const held = store.db
      .prepare<[string], LockRow>('SELECT * FROM process_locks WHERE name = ?')
      .get(name);
    if (held && isAlive(held) && held.pid !== process.pid) return holderOf(held);
    store.db
      .prepare(
        `INSERT INTO process_locks (name, pid, host, purpose, since, location)
         VALUES (@name, @pid, @host, @purpose, @since, @location)
         ON CONFLICT (name) DO UPDATE SET pid = @pid, host = @host, purpose = @purpose,
           since = @since, location = @location`,
      )
      .run({
        name,
        pid: process.pid,
        host: hostname(),
        purpose,
        since: store.now().toISOString(),
        location,
      });
    return undefined;
  });
}

/** Says where this process (the lock's holder) can be reached. */
export function setLockLocation(store: Store, name: LockName, location: string): void {
  store.db
    .prepare('UPDATE process_locks SET location = ? WHERE name = ? AND pid = ? AND host = ?')
    .run(location, name, process.pid, hostname());
}

/** Lets go of the lock if this process holds it. */
export function release(store: Store, name: LockName): void {
  store.db
    .prepare('DELETE FROM process_locks WHERE name = ? AND pid = ? AND host = ?')
    .run(name, process.pid, hostname());
}

/**
 * Runs `work` holding the lock: first in turn with this process's other callers,
 * then against other processes, polling until `waitMs` has passed; after that,
 * one line saying who holds it (code BUSY).
 */
export async function withProcessLock<T>(
  store: Store,
  name: LockName,
  options: { purpose: string; waitMs: number; pollMs?: number },
  work: () => Promise<T>,
): Promise<T> {
  const key = `${store.path}\0${name}`;
  const before = queues.get(key) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => {
    done = resolve;
  });
  const tail = before.then(() => mine);
  queues.set(key, tail);
  try {
    await before;
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      const holder = tryAcquire(store, name, options.purpose);
      if (!holder) break;
      if (Date.now() >= deadline) throw busy(name, holder);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    }
    try {
      return await work();
    } finally {
      release(store, name);
    }
  } finally {
    done();
    if (queues.get(key) === tail) queues.delete(key);
  }
}

export function busy(name: LockName, holder: LockHolder): SignetError {
  const who = `${holder.purpose} (pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}, since ${holder.since})`;
  const message =
    name === 'sync'
      ? `another Signet process is syncing this data folder: ${who}; try again when it is done`
      : `Signet is already running on this data folder: ${who}${holder.location ? ` at ${holder.location}` : ''}`;
  return new SignetError(name === 'sync' ? 'SYNC_BUSY' : 'ALREADY_RUNNING', message, {
    details: { lock: name, ...holder },
  });
}

function holderOf(row: LockRow): LockHolder {
  return {
    pid: row.pid,
    host: row.host,
    purpose: row.purpose,
    since: row.since,
    location: row.location,
  };
}

/** Whether the holder may still be running: a live pid on this host, or any row of another host. */
function isAlive(row: LockRow): boolean {
  if (row.host !== hostname()) return true;
  try {
    process.kill(row.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(row.pid);
}

/** A killed child its parent has not reaped yet still answers kill(pid, 0). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
