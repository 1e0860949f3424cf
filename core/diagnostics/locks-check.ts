/**
 * Who holds the process locks of the data directory (core/store/process-lock.ts):
 * the `sync` lock (one process sends and indexes at a time) and the `app` lock
 * (one `npm start` or `signet ledger up` per folder). Read from the store
 * without taking anything over; a holder that has ended is said to be gone.
 */
import type { Finding } from '../api/diagnostics.js';
import type { LockState } from '../store/process-lock.js';
import { type DiagnosticCheck, finding } from './check.js';

/** A sync holding its lock this long is likely stuck (a sync round takes seconds). */
export const STUCK_SYNC_MINUTES = 10;

export const locksCheck: DiagnosticCheck = {
  name: 'process locks',
  area: 'locks',
  async run(context) {
    const store = context.store();
    // No store, or one that cannot be read: the data check says which.
    if (store.state !== 'open') return [];
    const now = context.now();
    return [
      lockFinding(
        store.locks.find((lock) => lock.name === 'sync'),
        'sync',
        now,
      ),
      lockFinding(
        store.locks.find((lock) => lock.name === 'app'),
        'app',
        now,
      ),
    ];
  },
};

function lockFinding(lock: LockState | undefined, name: 'sync' | 'app', now: Date): Finding {
  if (!lock) return finding('locks', 'ok', name === 'sync' ? 'lock.syncFree' : 'lock.appFree');
  const facts = {
    lock: name,
    pid: lock.pid,
    host: lock.host,
    purpose: lock.purpose,
    since: lock.since,
    seen: lock.seen,
    location: lock.location,
    mine: lock.mine,
  };
  if (!lock.alive)
    return finding('locks', 'ok', name === 'sync' ? 'lock.syncStale' : 'lock.appStale', facts);
  if (name === 'app') return finding('locks', 'ok', 'lock.appHeld', facts);
  const minutes = Math.floor((now.getTime() - Date.parse(lock.since)) / 60_000);
  return minutes >= STUCK_SYNC_MINUTES
    ? finding('locks', 'warn', 'lock.syncStuck', { ...facts, minutes })
    : finding('locks', 'ok', 'lock.syncHeld', facts);
}
