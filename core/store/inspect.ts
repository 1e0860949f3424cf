/**
 * The store as `signet doctor` sees it, without changing it: opened read-only
 * (no migration, no mode change, no lock taken over), its schema version,
 * SQLite's quick integrity check, and who holds the process locks.
 *
 * A read-only reader of a WAL database still needs SQLite's -wal and -shm
 * index files: SQLite makes them (empty, with the database file's mode) if no
 * other process has. The store's contents are not written.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { type LockState, listLocks } from './process-lock.js';
import { migrations } from './schema.js';

export type StoreInspection =
  | { state: 'missing' }
  /** `damaged`: SQLite says the file is no database, or a corrupt one. */
  | { state: 'unreadable'; reason: string; damaged: boolean }
  | {
      state: 'open';
      /** The file's schema version (PRAGMA user_version). */
      version: number;
      /** The newest version this Signet knows. */
      known: number;
      /** 'ok', or the first problem SQLite's quick_check found. */
      integrity: string;
      /** The process locks; empty when the file predates them. */
      locks: LockState[];
    };

export function inspectStore(path: string, now: () => Date = () => new Date()): StoreInspection {
  if (!existsSync(path)) return { state: 'missing' };
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 2_000 });
  } catch (error) {
    return unreadable(error);
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    const integrity = String(db.pragma('quick_check(1)', { simple: true }));
    // The lock table arrived with schema version 2.
    const hasLocks =
      db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'process_locks'")
        .get() !== undefined;
    return {
      state: 'open',
      version,
      known: migrations.length,
      integrity,
      locks: hasLocks ? listLocks({ db, now }) : [],
    };
  } catch (error) {
    // Not a database at all, or damaged beyond reading its header.
    return unreadable(error);
  } finally {
    db.close();
  }
}

function unreadable(error: unknown): StoreInspection {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return {
    state: 'unreadable',
    reason: message.split('\n')[0]!.slice(0, 300),
    damaged: code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT',
  };
}
