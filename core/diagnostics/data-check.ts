/**
 * The data directory: that it is a folder of the user's own, closed to
 * everyone else (core/config/private-files.ts: the folder 0700, Signet's files
 * in it 0600 or 0700), the config file, and the store: its schema version and
 * SQLite's quick integrity check, read without migrating or repairing it.
 * Modes are reported, never changed here.
 *
 * Only Signet's own entries are judged one by one: the default data folder is
 * also Electron's userData, where Chromium keeps files of its own with modes
 * of its own; the folder's 0700 is what keeps them, and everything, private.
 */
import { existsSync, lstatSync, readdirSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../api/diagnostics.js';
import { configPath } from '../config/config.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../config/private-files.js';
import { type DiagnosticCheck, type DoctorContext, finding, firstLine } from './check.js';

/** What Signet keeps in the data folder (config.ts, profile-file.ts, the store, app/demo-token.ts). */
export const signetEntries = [
  'config.json',
  'profile.json',
  'signet.sqlite',
  'signet.sqlite-wal',
  'signet.sqlite-shm',
  'demo-tokens',
];

export const dataCheck: DiagnosticCheck = {
  name: 'data folder',
  area: 'data',
  async run(context) {
    return [...folderFindings(context), ...configFindings(context), ...storeFindings(context)];
  },
};

function folderFindings(context: DoctorContext): Finding[] {
  const home = context.home;
  if (!existsSync(home)) return [finding('data', 'ok', 'data.missing', { path: home })];
  let folder: Stats;
  try {
    folder = statSync(home);
  } catch (error) {
    return [finding('data', 'fail', 'data.unreadable', { path: home, reason: firstLine(error) })];
  }
  if (!folder.isDirectory()) return [finding('data', 'fail', 'data.notFolder', { path: home })];
  if (process.platform === 'win32')
    return [finding('data', 'ok', 'data.unchecked', { path: home, os: process.platform })];

  let names: string[];
  try {
    names = readdirSync(home)
      .filter((name) => signetEntries.includes(name))
      .sort();
  } catch (error) {
    return [finding('data', 'fail', 'data.unreadable', { path: home, reason: firstLine(error) })];
  }
  const uid = process.getuid?.() ?? folder.uid;
  const findings: Finding[] = [];
  const look = (path: string, stats: Stats) => {
    if (stats.uid !== uid)
      findings.push(
        finding('data', 'fail', 'data.notOwner', { path, owner: stats.uid, uid, home }),
      );
    // A link's own mode means nothing; what it points at is checked where it lives.
    if (!stats.isSymbolicLink() && (stats.mode & 0o077) !== 0) {
      const want = stats.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
      findings.push(
        finding('data', 'fail', 'data.open', {
          path,
          mode: octal(stats.mode),
          want: want.toString(8),
        }),
      );
    }
  };
  look(home, folder);
  for (const name of names) {
    const path = join(home, name);
    try {
      look(path, lstatSync(path));
    } catch (error) {
      // Gone since readdir (a -wal file at a checkpoint): nothing left to judge.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      findings.push(finding('data', 'fail', 'data.unreadable', { path, reason: firstLine(error) }));
    }
  }
  if (findings.length === 0)
    findings.push(finding('data', 'ok', 'data.private', { path: home, entries: names.length }));
  return findings;
}

function configFindings(context: DoctorContext): Finding[] {
  const config = context.config();
  if (config.state !== 'invalid') return [];
  return [
    finding('data', 'fail', 'config.invalid', {
      path: configPath(context.env),
      reason: config.reason,
    }),
  ];
}

function storeFindings(context: DoctorContext): Finding[] {
  const path = join(context.home, 'signet.sqlite');
  const store = context.store();
  switch (store.state) {
    case 'missing':
      return [finding('data', 'ok', 'store.missing', { path })];
    case 'unreadable':
      return [
        finding('data', 'fail', store.damaged ? 'store.damaged' : 'store.unreadable', {
          path,
          reason: store.reason,
        }),
      ];
  }
  const facts = { path, version: store.version, known: store.known };
  if (store.version > store.known) return [finding('data', 'fail', 'store.newer', facts)];
  if (store.integrity !== 'ok')
    return [finding('data', 'fail', 'store.damaged', { ...facts, reason: store.integrity })];
  return [
    finding('data', 'ok', store.version === store.known ? 'store.current' : 'store.older', facts),
  ];
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}
