/**
 * Opens Signet's SQLite store. The desktop app and the CLI may hold the same
 * file at once, hence WAL (readers never block the writer), a busy timeout, and
 * write transactions that take the write lock up front (BEGIN IMMEDIATE) so two
 * processes never deadlock upgrading a read lock.
 */
import Database from 'better-sqlite3';
import { SignetError } from '../api/errors.js';
import { closeToOthers, touchPrivateFile } from '../config/private-files.js';
import { migrations as shippedMigrations } from './schema.js';

export interface Store {
  readonly db: Database.Database;
  readonly path: string;
  /** Runs `fn` in one write transaction (a savepoint when nested); rolls back if it throws. */
  transaction<T>(fn: () => T): T;
  /** The time to stamp rows with; replaceable in tests. */
  now(): Date;
  close(): void;
}

export interface StoreOptions {
  /** Milliseconds to wait for the other process's write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  now?: () => Date;
  /** Tests only: a different migration list. */
  migrations?: readonly string[];
}

export function openStore(path: string, options: StoreOptions = {}): Store {
  const db = openDatabase(path, options.busyTimeoutMs ?? 5_000);
  try {
    migrate(db, path, options.migrations ?? shippedMigrations);
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    db,
    path,
    transaction: (fn) => db.transaction(fn).immediate(),
    now: options.now ?? (() => new Date()),
    close: () => db.close(),
  };
}

function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
    // database file's mode, so all three are the owner's alone.
    if (path !== ':memory:') {
      touchPrivateFile(path);
      // Left by an older Signet with looser modes: the WAL holds recent writes too.
      for (const sidecar of ['-wal', '-shm']) closeToOthers(`${path}${sidecar}`);
    }
    db = new Database(path, { timeout: busyTimeoutMs });
    db.pragma('journal_mode = WAL'); // ':memory:' stays 'memory'
    // FULL: a signed transaction recorded in the outbox must survive a power cut.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    cacheStatements(db);
    return db;
  } catch (error) {
    db?.close();
    const message = error instanceof Error ? error.message : String(error);
    throw new SignetError('FILE_INVALID', `cannot open the Signet store ${path}: ${message}`, {
      details: { path },
      cause: error,
    });
  }
}

/**
 * Every store function prepares its SQL where it runs it; preparing is most of
 * the cost of a small write, so the same text reuses one compiled statement
 * (a run of 1,000 signed payments prepares ~9,000 times otherwise). The result
 * mode a caller set (pluck, raw, expand) is reset on each reuse.
 */
function cacheStatements(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = prepare(sql);
      cache.set(sql, statement);
    } else if (statement.reader) {
      statement.raw(false).pluck(false).expand(false);
    }
    return statement;
  }) as typeof db.prepare;
}

/** Applies the missing steps in order, each in its own transaction with its version bump. */
function migrate(db: Database.Database, path: string, steps: readonly string[]): void {
  const version = userVersion(db);
  if (version > steps.length) {
    throw new SignetError(
      'FILE_INVALID',
      `the store ${path} has schema version ${version} but this Signet knows up to ${steps.length}: update Signet`,
      { details: { path, version, known: steps.length } },
    );
  }
  steps.forEach((sql, index) => {
    const target = index + 1;
    try {
      db.transaction(() => {
        // Re-read under the write lock: the other process may have migrated meanwhile.
        if (userVersion(db) >= target) return;
        db.exec(sql);
        db.pragma(`user_version = ${target}`);
      }).immediate();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SignetError(
        'INTERNAL',
        `migrating ${path} to version ${target} failed: ${message}`,
        {
          details: { path, version: target },
          cause: error,
        },
      );
    }
  });
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
