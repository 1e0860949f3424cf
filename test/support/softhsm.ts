/**
 * Throwaway SoftHSM2 token stores for tests: each call makes a fresh temporary
 * directory with its own softhsm2.conf, so tests never touch a user's tokens.
 * SoftHSM2 reads SOFTHSM2_CONF at C_Initialize, so set it before loading the module.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const candidates = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
];

export const softhsmModule: string =
  candidates.find((path) => existsSync(path)) ??
  (() => {
    throw new Error('SoftHSM2 is not installed (apt-get install softhsm2)');
  })();

export interface SoftHsmStore {
  dir: string;
  conf: string;
  /** Environment for child processes (CLI, pkcs11-tool) that must see this store. */
  env: NodeJS.ProcessEnv;
  /** Initialises a token with softhsm2-util (an independent tool) and returns its serial. */
  initToken(label: string, userPin: string, soPin?: string): string;
  /** Makes this store the one the current process sees. */
  activate(): void;
  remove(): void;
}

export function createSoftHsmStore(prefix = 'signet-softhsm-'): SoftHsmStore {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  return {
    dir,
    conf,
    env,
    initToken(label, userPin, soPin = '87654321') {
      const out = execFileSync(
        'softhsm2-util',
        ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', userPin],
        { env, encoding: 'utf8' },
      );
      const slot = /reassigned to slot (\d+)/.exec(out)?.[1];
      if (!slot) throw new Error(`softhsm2-util did not report a slot: ${out}`);
      const show = execFileSync('softhsm2-util', ['--show-slots'], { env, encoding: 'utf8' });
      const block = show.split(/\n(?=Slot )/).find((b) => b.startsWith(`Slot ${slot}`)) ?? '';
      const serial = /Serial number:\s*(\S+)/.exec(block)?.[1];
      if (!serial) throw new Error(`no serial for slot ${slot}`);
      return serial;
    },
    activate() {
      process.env.SOFTHSM2_CONF = conf;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
