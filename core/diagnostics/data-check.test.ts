/**
 * The data folder check on real folders and files in a temporary directory: each
 * way a folder, config.json or the store can be wrong gives its finding, and the
 * check changes none of them.
 */
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../api/diagnostics.js';
import { openStore } from '../store/database.js';
import { migrations } from '../store/schema.js';
import { createDoctorContext } from './check.js';
import { dataCheck } from './data-check.js';

let root: string;
let home: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'signet-data-check-'));
  home = join(root, 'Signet');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const look = () => dataCheck.run(createDoctorContext({ home, env: {} }));
const codes = (findings: Finding[]) => findings.map((f) => `${f.code} ${f.status}`);

describe('the data folder check', () => {
  it('finds a folder of Signet’s files closed to others, counting only Signet’s', async () => {
    mkdirSync(home, { mode: 0o700 });
    for (const name of ['config.json', 'profile.json', 'Local State'])
      writeFileSync(join(home, name), '{}', { mode: 0o600 });
    expect(await look()).toEqual([
      expect.objectContaining({
        code: 'data.private',
        status: 'ok',
        what: `The data folder ${home} and Signet’s 2 files in it are readable by you only.`,
      }),
      expect.objectContaining({ code: 'store.missing' }),
    ]);
  });

  it('says a folder not made yet will be made, and makes nothing', async () => {
    expect(codes(await look())).toEqual(['data.missing ok', 'store.missing ok']);
    expect(readdirSync(root)).toEqual([]);
  });

  it('fails a data folder that is a file', async () => {
    writeFileSync(home, '');
    const [finding] = await look();
    expect(finding).toMatchObject({
      code: 'data.notFolder',
      status: 'fail',
      fix: 'Move it out of the way, or set SIGNET_HOME to a folder of your own.',
    });
  });

  it('fails a folder or file others can reach, and leaves its mode as it was', async () => {
    mkdirSync(home, { mode: 0o755 });
    chmodSync(home, 0o755);
    writeFileSync(join(home, 'config.json'), '{"modules":[]}', { mode: 0o640 });
    chmodSync(join(home, 'config.json'), 0o640);
    // Chromium's own files in Electron's userData (the default data folder): the folder
    // keeps them private, their modes are Chromium's business.
    writeFileSync(join(home, 'Preferences'), '{}', { mode: 0o644 });
    chmodSync(join(home, 'Preferences'), 0o644);
    const findings = await look();
    expect(findings.filter((f) => f.code === 'data.open')).toEqual([
      expect.objectContaining({
        status: 'fail',
        facts: { path: home, mode: '0755', want: '700' },
        fix: `Close it: \`chmod 700 ${home}\`.`,
      }),
      expect.objectContaining({
        facts: { path: join(home, 'config.json'), mode: '0640', want: '600' },
      }),
    ]);
    expect(findings.filter((f) => f.status !== 'ok')).toHaveLength(2);
    expect(statSync(home).mode & 0o777).toBe(0o755);
    expect(statSync(join(home, 'config.json')).mode & 0o777).toBe(0o640);
  });

  // Only root can give a folder away.
  it.runIf(process.getuid?.() === 0)('fails a folder that belongs to another user', async () => {
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, 4242, 4242);
    const [finding] = (await look()).filter((f) => f.code === 'data.notOwner');
    expect(finding).toMatchObject({
      status: 'fail',
      what: `${home} belongs to user 4242, not to you (user 0).`,
      fix: `Run Signet as that user, or give the folder back to yourself: \`chown -R 0 ${home}\`.`,
    });
  });

  it('fails a config.json that is not JSON, or not Signet’s', async () => {
    mkdirSync(home, { mode: 0o700 });
    writeFileSync(join(home, 'config.json'), '{"modules": [', { mode: 0o600 });
    expect((await look()).find((f) => f.code === 'config.invalid')).toMatchObject({
      status: 'fail',
      facts: { reason: 'not valid JSON' },
    });
    writeFileSync(join(home, 'config.json'), '{"modules": "/one.so"}', { mode: 0o600 });
    expect((await look()).find((f) => f.code === 'config.invalid')?.facts.reason).toMatch(
      /^modules: /,
    );
  });

  it('reads the store’s version without migrating it', async () => {
    mkdirSync(home, { mode: 0o700 });
    const path = join(home, 'signet.sqlite');
    openStore(path, { migrations: migrations.slice(0, 2) }).close();
    const older = (await look()).find((f) => f.code.startsWith('store.'));
    expect(older).toMatchObject({
      code: 'store.older',
      status: 'ok',
      facts: { version: 2, known: migrations.length },
    });
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
  });

  it('fails a store newer than this Signet, and one that is no database', async () => {
    mkdirSync(home, { mode: 0o700 });
    const path = join(home, 'signet.sqlite');
    const db = new Database(path);
    db.pragma(`user_version = ${migrations.length + 1}`);
    db.close();
    chmodSync(path, 0o600);
    expect((await look()).find((f) => f.code.startsWith('store.'))).toMatchObject({
      code: 'store.newer',
      status: 'fail',
      fix: 'Update Signet: an older Signet does not open a newer store.',
    });
    writeFileSync(path, 'x'.repeat(4096), { mode: 0o600 });
    expect((await look()).find((f) => f.code.startsWith('store.'))).toMatchObject({
      code: 'store.damaged',
      status: 'fail',
      facts: { reason: 'file is not a database' },
    });
  });
});
