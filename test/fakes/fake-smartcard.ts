/**
 * Test helper for the FAKE smart card (fake-smartcard/fake-smartcard.c): a PKCS#11
 * module that wraps a real SoftHSM2 token and adds what SoftHSM2 lacks but real cards
 * have: a PIN that locks after 3 wrong tries and, optionally, a PIN pad. It exists
 * only so tests can exercise Signet's lockout and PIN-pad paths; it is not a card.
 *
 * The module reads its environment per call (SoftHSM2 reads SOFTHSM2_CONF once, at
 * C_Initialize), so call activate() before loading it, or pass `env` to a child process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { softhsmModule } from '../support/softhsm.js';

export interface FakeSmartcard {
  modulePath: string;
  env: NodeJS.ProcessEnv;
  /** sets env vars in this process too */
  activate(): void;
}

const source = join(dirname(fileURLToPath(import.meta.url)), 'fake-smartcard', 'fake-smartcard.c');
/** OASIS PKCS#11 v2.40 headers that ship with pkcs11js (self-contained on this platform). */
const headers = join(
  dirname(createRequire(import.meta.url).resolve('pkcs11js')),
  'includes',
  'pkcs11',
);

export function buildFakeSmartcard(options: {
  softhsmConf: string;
  dir: string;
  /** Enables the PIN pad; this is what the user "types" on it. */
  pinpadPin?: string;
}): FakeSmartcard {
  mkdirSync(options.dir, { recursive: true });
  const modulePath = join(options.dir, 'fake-smartcard.so');
  if (!existsSync(modulePath)) {
    // Build beside the target and rename, so a concurrent build never sees half a file.
    const tmp = `${modulePath}.${process.pid}.tmp`;
    execFileSync(
      'cc',
      [
        '-shared',
        '-fPIC',
        '-O2',
        '-Wall',
        '-Wextra',
        `-I${headers}`,
        '-o',
        tmp,
        source,
        '-ldl',
        '-lpthread',
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    renameSync(tmp, modulePath);
  }
  const vars: Record<string, string | undefined> = {
    SOFTHSM2_CONF: options.softhsmConf,
    FAKE_SMARTCARD_UNDERLYING: softhsmModule,
    FAKE_SMARTCARD_STATE: join(options.dir, 'state'),
    FAKE_SMARTCARD_PINPAD: options.pinpadPin === undefined ? '0' : '1',
    FAKE_SMARTCARD_PINPAD_PIN: options.pinpadPin,
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ...vars };
  if (options.pinpadPin === undefined) delete env.FAKE_SMARTCARD_PINPAD_PIN;
  return {
    modulePath,
    env,
    activate() {
      for (const [name, value] of Object.entries(vars)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}
