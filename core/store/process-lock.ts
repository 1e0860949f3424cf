/**
 * Locks between processes on one data directory, kept in the store so that
 * every process that can open the store sees them: `sync` (one process sends
 * the outbox and indexes at a time) and `app` (one app, or one `signet ledger
 * up`, per data directory). A lock names its holder (pid, host, what it is
 * doing, and where it can be found), so a process that waits or gives up can
 * say who holds it.
 *
 * A holder that died (kill -9, a power cut) leaves its row behind, and the row
 * is taken over once the holder is known dead: on this host, when its pid is
 * gone or now belongs to another process (the row keeps the boot and the
 * process's start time, so a pid reused after a reboot is not mistaken for the
 * holder); on another host (a shared folder), when its heartbeat is older than
 * STALE_MS. Holders refresh the heartbeat every HEARTBEAT_MS.
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

/** A lock this process holds: it keeps the heartbeat going until released. */
export interface HeldLock {
  /** Says where this process can be reached. */
  setLocation(location: string): void;
  release(): void;
}

interface LockRow extends LockHolder {
  name: string;
  instance: string | null;
  seen: string;
}

export const HEARTBEAT_MS = 20_000;
/** A row from another host whose heartbeat is this old belongs to a holder that died. */
export const STALE_MS = 90_000;

/** In-process queue per (store file, lock): the tail each new caller waits behind. */
const queues = new Map<string, Promise<void>>();

/**
 * Takes the lock for this process if it is free (or its holder is dead), and
 * keeps its heartbeat until released; returns the live holder otherwise. Not
 * re-entrant: use withProcessLock for work.
 */
export function acquire(
  store: Store,
  name: LockName,
  purpose: string,
): { held: HeldLock } | { holder: LockHolder } {
  const holder = store.transaction(() => {
    const row = store.db
      .prepare<[string], LockRow>('SELECT * FROM process_locks WHERE name = ?')
      .get(name);
    if (row && !isMine(row) && isAlive(row, store.now())) return holderOf(row);
    const now = store.now().toISOString();
    store.db
      .prepare(
        `INSERT INTO process_locks (name, pid, host, instance, purpose, since, seen, location)
         VALUES (@name, @pid, @host, @instance, @purpose, @now, @now, NULL)
         ON CONFLICT (name) DO UPDATE SET pid = @pid, host = @host, instance = @instance,
           purpose = @purpose, since = @now, seen = @now, location = NULL`,
      )
      .run({
        name,
        pid: process.pid,
        host: hostname(),
        instance: instanceOf(process.pid),
        purpose,
        now,
      });
    return undefined;
  });
  if (holder) return { holder };
  const mine = 'WHERE name = @name AND pid = @pid AND host = @host';
  const who = { name, pid: process.pid, host: hostname() };
  const heartbeat = setInterval(() => {
    try {
      store.db
        .prepare(`UPDATE process_locks SET seen = @seen ${mine}`)
        .run({ ...who, seen: store.now().toISOString() });
    } catch {
      // A busy store skips a beat; the next one comes before the row looks stale.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    held: {
      setLocation: (location) =>
        store.db.prepare(`UPDATE process_locks SET location = @location ${mine}`).run({
          ...who,
          location,
        }),
      release: () => {
        clearInterval(heartbeat);
        store.db.prepare(`DELETE FROM process_locks ${mine}`).run(who);
      },
    },
  };
}

/**
 * Runs `work` holding the lock: first in turn with this process's other callers,
 * then against other processes, polling until `waitMs` has passed; after that,
 * one line saying who holds it.
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
    let taken = acquire(store, name, options.purpose);
    while ('holder' in taken) {
      if (Date.now() >= deadline) throw busy(name, taken.holder);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
      taken = acquire(store, name, options.purpose);
    }
    try {
      return await work();
    } finally {
      taken.held.release();
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

/** A lock as `signet doctor` shows it: its holder, and whether that holder still runs. */
export interface LockState extends LockHolder {
  name: LockName;
  /** The holder's last heartbeat. */
  seen: string;
  /** False when the holder has ended (the next taker takes the row over). */
  alive: boolean;
  /** Held by this very process. */
  mine: boolean;
}

/**
 * Every lock row, read only (a read-only connection will do: nothing is taken
 * over or cleaned up here).
 */
export function listLocks(store: Pick<Store, 'db' | 'now'>): LockState[] {
  const rows = store.db.prepare<[], LockRow>('SELECT * FROM process_locks ORDER BY name').all();
  const now = store.now();
  return rows.map((row) => ({
    ...holderOf(row),
    name: row.name as LockName,
    seen: row.seen,
    alive: isMine(row) || isAlive(row, now),
    mine: isMine(row),
  }));
}

function holderOf(row: LockRow): LockHolder {
  const { pid, host, purpose, since, location } = row;
  return { pid, host, purpose, since, location };
}

function isMine(row: LockRow): boolean {
  return row.host === hostname() && row.pid === process.pid;
}

/** Whether the row's holder may still be running (see the header). */
function isAlive(row: LockRow, now: Date): boolean {
  if (row.host !== hostname()) return now.getTime() - Date.parse(row.seen) < STALE_MS;
  try {
    process.kill(row.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const instance = instanceOf(row.pid);
  // The pid lives on, but as another process (a reboot, or a reused pid), or a zombie.
  if (row.instance !== null && instance !== undefined && instance !== row.instance) return false;
  return !isZombie(row.pid);
}

/**
 * "<boot id>:<start time>" of a process on Linux: the same pid after a reboot
 * or reuse gives another value. Undefined where /proc does not tell.
 */
function instanceOf(pid: number): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state, field 3;
    // the start time is field 22.
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return started ? `${boot}:${started}` : undefined;
  } catch {
    return undefined;
  }
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
