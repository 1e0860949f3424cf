import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, walletAccount } from '../../test/support/store-fixtures.js';
import { addAccount, getAccount } from './accounts.js';
import { openStore } from './database.js';
import { migrations } from './schema.js';

let temp: ReturnType<typeof tempDir>;
let file: string;
beforeEach(() => {
  temp = tempDir();
  file = join(temp.dir, 'nested', 'signet.db');
});
afterEach(() => temp.remove());

function tables(db: Database.Database): string[] {
  return db
    .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
}

describe('openStore', () => {
  it('migrates an empty file to the latest version, creating its folder', () => {
    const store = openStore(file);
    expect(store.db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(tables(store.db)).toEqual([
      'account_state',
      'accounts',
      'address_book',
      'audit_log',
      'chain_meta',
      'checkpoints',
      'history',
      'notes',
      'outbox',
      'process_locks',
      'provision_journal',
      'purse_certificate_keys',
      'purse_key_sync',
      'purse_vouchers',
      'purses',
      'treasuries',
      'treasury_policies',
      'treasury_state',
    ]);
    store.close();
  });

  it('reopens an up-to-date file without migrating again and keeps its data', () => {
    const first = openStore(file);
    addAccount(first, walletAccount(1));
    first.close();
    const again = openStore(file);
    expect(again.db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(getAccount(again, walletAccount(1).address)?.name).toBe('Account 1');
    again.close();
  });

  it('refuses a file written by a newer Signet, and leaves it alone', () => {
    const newer = join(temp.dir, 'newer.db');
    const raw = new Database(newer);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openStore(newer)).toThrow(
      expect.objectContaining({
        code: 'FILE_INVALID',
        message: expect.stringContaining(
          `schema version 99 but this Signet knows up to ${migrations.length}`,
        ),
      }),
    );
    const check = new Database(newer);
    expect(check.pragma('user_version', { simple: true })).toBe(99);
    expect(tables(check)).toEqual([]);
    check.close();
  });

  it('applies steps in order, each with its version; a failing step rolls back alone', () => {
    const steps = ['CREATE TABLE a (x INTEGER)', 'ALTER TABLE a ADD COLUMN y INTEGER'];
    openStore(file, { migrations: steps }).close();
    const broken = [...steps, 'CREATE TABLE b (x INTEGER); CREATE TABLE a (x INTEGER)'];
    let error: unknown;
    try {
      openStore(file, { migrations: broken });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'INTERNAL', details: { version: 3 } });
    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(tables(db)).toEqual(['a']); // table b went with the failed step
    db.close();
  });

  it('uses WAL, foreign keys and a busy timeout on a file', () => {
    const store = openStore(file, { busyTimeoutMs: 1234 });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    store.close();
  });

  it('opens :memory: for tests', () => {
    const store = openStore(':memory:');
    expect(store.db.pragma('user_version', { simple: true })).toBe(migrations.length);
    store.close();
  });

  it('names the file when it is not a database', () => {
    const junk = join(temp.dir, 'junk.db');
    writeFileSync(junk, 'this is not sqlite, not even close, it is just some text '.repeat(20));
    expect(() => openStore(junk)).toThrow(
      expect.objectContaining({ code: 'FILE_INVALID', details: { path: junk } }),
    );
  });

  it('lets two handles on one file (the app and the CLI) see each other', () => {
    const app = openStore(file);
    const cli = openStore(file);
    addAccount(cli, walletAccount(1));
    expect(getAccount(app, walletAccount(1).address)?.keyUri).toBe(walletAccount(1).keyUri);
    addAccount(app, walletAccount(2));
    expect(getAccount(cli, walletAccount(2).address)).toBeDefined();
    app.close();
    cli.close();
  });

  it("waits out the other handle's write lock, then gives up after the busy timeout", () => {
    const app = openStore(file);
    const cli = openStore(file, { busyTimeoutMs: 50 });
    app.db.exec('BEGIN IMMEDIATE');
    const start = performance.now();
    expect(() => addAccount(cli, walletAccount(1))).toThrow(/database is locked/);
    expect(performance.now() - start).toBeGreaterThanOrEqual(40);
    app.db.exec('COMMIT');
    expect(addAccount(cli, walletAccount(1)).address).toBe(walletAccount(1).address);
    app.close();
    cli.close();
  });
});

describe('Store.transaction', () => {
  it('rolls back everything when the function throws, and nests', () => {
    const store = openStore(':memory:');
    expect(() =>
      store.transaction(() => {
        addAccount(store, walletAccount(1)); // itself a (nested) transaction
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(getAccount(store, walletAccount(1).address)).toBeUndefined();
    store.close();
  });
});
