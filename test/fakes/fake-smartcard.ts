/**
 * Test helper for the FAKE smart card (fake-smartcard/fake-smartcard.c): a PKCS#11
 * module that wraps a real SoftHSM2 token and adds what SoftHSM2 lacks but real cards
 * have: a PIN that locks after 3 wrong tries, optionally a PIN pad, a card that can be
 * pulled out of its reader and put back, and on demand a card gone bad, whose signatures
 * do not verify. It exists only so tests can exercise Signet's lockout, PIN-pad, removal
 * and signature-check paths; it is not a card.
 *
 * Removal, as a card reader shows it (PKCS#11 v2.40 §5.1, §11; OpenSC does the same):
 * remove(serial) pulls the card with that serial out, in every process using the module
 * (a presence file, read per call). While it is out, C_GetSlotList(true) leaves its slot
 * out, C_GetSlotList(false) lists it with C_GetSlotInfo lacking CKF_TOKEN_PRESENT,
 * C_GetTokenInfo and C_OpenSession give CKR_TOKEN_NOT_PRESENT, and every call on a
 * session opened before gives CKR_DEVICE_REMOVED. insert(serial) puts it back: it was
 * power-cycled, so the sessions from before stay dead (CKR_SESSION_HANDLE_INVALID), its
 * login is gone, and new sessions work. The PIN's failure count survives, as on a card.
 *
 * The module reads its environment per call (SoftHSM2 reads SOFTHSM2_CONF once, at
 * C_Initialize), so call activate() before loading it, or pass `env` to a child process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { softhsmModule } from '../support/softhsm.js';

export interface FakeSmartcard {
  modulePath: string;
  env: NodeJS.ProcessEnv;
  /** sets env vars in this process too */
  activate(): void;
  /** Pulls the card (the token with this serial) out of its reader. */
  remove(serial: string): void;
  /** Puts it back: a new insertion, logged out, its old sessions dead. */
  insert(serial: string): void;
  /** Whether the card is in its reader. */
  isPresent(serial: string): boolean;
  /**
   * A card gone bad: while on, every signature comes back with one bit flipped, so
   * it does not verify. Set in this process (read per call) and in `env`.
   */
  corruptSignatures(on: boolean): void;
  /**
   * The card with this serial is pulled out while it makes a key pair (the key made, the
   * answer lost: CKR_DEVICE_REMOVED); undefined: no more. Set in this process and in `env`.
   */
  pullAtKeygen(serial: string | undefined): void;
}

interface Presence {
  removed: boolean;
  /** Goes up at each removal: sessions opened under another number are dead. */
  insertion: number;
}

function readPresence(path: string): Map<string, Presence> {
  const cards = new Map<string, Presence>();
  if (!existsSync(path)) return cards;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [serial, state, insertion] = line.trim().split(/\s+/);
    if (serial && state && insertion)
      cards.set(serial, { removed: state === 'removed', insertion: Number(insertion) });
  }
  return cards;
}

/** Written beside and renamed over: the module, reading per call, never sees half a file. */
function writePresence(path: string, cards: Map<string, Presence>): void {
  const text = [...cards]
    .map(
      ([serial, card]) => `${serial} ${card.removed ? 'removed' : 'present'} ${card.insertion}\n`,
    )
    .join('');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
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
  const presence = join(options.dir, 'presence');
  const vars: Record<string, string | undefined> = {
    SOFTHSM2_CONF: options.softhsmConf,
    FAKE_SMARTCARD_UNDERLYING: softhsmModule,
    FAKE_SMARTCARD_STATE: join(options.dir, 'state'),
    FAKE_SMARTCARD_PRESENCE: presence,
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
    remove(serial) {
      const cards = readPresence(presence);
      const card = cards.get(serial) ?? { removed: false, insertion: 0 };
      if (card.removed) return;
      cards.set(serial, { removed: true, insertion: card.insertion + 1 });
      writePresence(presence, cards);
    },
    insert(serial) {
      const cards = readPresence(presence);
      const card = cards.get(serial);
      if (!card?.removed) return;
      cards.set(serial, { removed: false, insertion: card.insertion });
      writePresence(presence, cards);
    },
    isPresent: (serial) => !readPresence(presence).get(serial)?.removed,
    pullAtKeygen(serial) {
      if (serial === undefined) {
        delete process.env.FAKE_SMARTCARD_PULL_AT_KEYGEN;
        delete env.FAKE_SMARTCARD_PULL_AT_KEYGEN;
      } else {
        process.env.FAKE_SMARTCARD_PULL_AT_KEYGEN = serial;
        env.FAKE_SMARTCARD_PULL_AT_KEYGEN = serial;
      }
    },
    corruptSignatures(on) {
      if (on) {
        process.env.FAKE_SMARTCARD_CORRUPT_SIGNATURE = '1';
        env.FAKE_SMARTCARD_CORRUPT_SIGNATURE = '1';
      } else {
        delete process.env.FAKE_SMARTCARD_CORRUPT_SIGNATURE;
        delete env.FAKE_SMARTCARD_CORRUPT_SIGNATURE;
      }
    },
  };
}
