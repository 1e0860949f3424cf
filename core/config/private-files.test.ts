/**
 * The data directory and Signet's files in it are the owner's alone, whatever
 * the umask: the tests run with umask 0, so any mode they see is the one Signet
 * asked for, not one the umask took bits away from.
 */
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closedPortProfile, tempDir } from '../../test/support/store-fixtures.js';
import { readActiveProfile, writeActiveProfile } from '../chain/profile-file.js';
import { appendAudit } from '../store/audit-log.js';
import { openStore } from '../store/database.js';
import { readConfig, writeConfig } from './config.js';

/** Every file renamed into place, with its mode just before the rename. */
const renamed = vi.hoisted(() => [] as Array<{ from: string; mode: number }>);
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    renameSync: (from: string, to: string) => {
      renamed.push({ from, mode: fs.statSync(from).mode & 0o777 });
      fs.renameSync(from, to);
    },
  };
});

const modeOf = (path: string) => statSync(path).mode & 0o777;
const profile = closedPortProfile({ name: 'private', chainId: 31337, confirmations: 1 });
const temp = tempDir();
let umask: number;

beforeAll(() => {
  umask = process.umask(0);
});
afterAll(() => {
  process.umask(umask);
  temp.remove();
});

describe('files Signet writes in its data directory', () => {
  it('profile.json (node URLs may carry credentials): 0600, its temp file too, in a 0700 folder', () => {
    const home = join(temp.dir, 'new', 'Signet');
    renamed.length = 0;
    writeActiveProfile(
      { ...profile, rpc: ['https://teller:s3cret@node.example/rpc'] },
      { SIGNET_HOME: home },
    );
    expect(modeOf(home)).toBe(0o700);
    expect(modeOf(join(home, 'profile.json'))).toBe(0o600);
    expect(renamed).toEqual([
      { from: expect.stringMatching(/profile\.json\.\d+\.tmp$/), mode: 0o600 },
    ]);
  });

  it('profile.json made readable by others before (an older Signet) is 0600 once rewritten', () => {
    const home = join(temp.dir, 'older');
    mkdirSync(home);
    writeFileSync(join(home, 'profile.json'), '{}', { mode: 0o644 });
    expect(modeOf(join(home, 'profile.json'))).toBe(0o644);
    writeActiveProfile(profile, { SIGNET_HOME: home });
    expect(modeOf(join(home, 'profile.json'))).toBe(0o600);
  });

  it('config.json: 0600', () => {
    const home = join(temp.dir, 'config-home');
    renamed.length = 0;
    writeConfig({ modules: ['/opt/vendor/libvendor-pkcs11.so'] }, { SIGNET_HOME: home });
    expect(modeOf(home)).toBe(0o700);
    expect(modeOf(join(home, 'config.json'))).toBe(0o600);
    expect(renamed.map((r) => r.mode)).toEqual([0o600]);
  });

  it('the SQLite store and its -wal and -shm files: 0600, in a 0700 folder', () => {
    const home = join(temp.dir, 'store-home');
    const path = join(home, 'signet.sqlite');
    const store = openStore(path);
    try {
      appendAudit(store, { action: 'init-token', subject: { label: 'A' } });
      expect(existsSync(`${path}-wal`)).toBe(true);
      expect(existsSync(`${path}-shm`)).toBe(true);
      expect(modeOf(home)).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`])
        expect(modeOf(file), file).toBe(0o600);
    } finally {
      store.close();
    }
  });

  it('closes to others what an older Signet left open, when next used: folder, store, WAL, profile, config', () => {
    const home = join(temp.dir, 'loose');
    mkdirSync(home, { mode: 0o755 });
    const path = join(home, 'signet.sqlite');
    openStore(path).close();
    const loose = [
      path,
      `${path}-wal`,
      `${path}-shm`,
      join(home, 'profile.json'),
      join(home, 'config.json'),
    ];
    writeFileSync(`${path}-wal`, '');
    writeFileSync(`${path}-shm`, '');
    writeActiveProfile(profile, { SIGNET_HOME: home });
    writeConfig({ modules: [] }, { SIGNET_HOME: home });
    for (const file of loose) chmodSync(file, 0o644);
    chmodSync(home, 0o755);

    readActiveProfile({ SIGNET_HOME: home });
    readConfig({ SIGNET_HOME: home });
    const store = openStore(path);
    try {
      expect(modeOf(home)).toBe(0o700);
      for (const file of loose) expect(modeOf(file), file).toBe(0o600);
    } finally {
      store.close();
    }
  });
});
