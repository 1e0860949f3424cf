/**
 * A token pulled out, and put back, in the middle of Signet's work: on the FAKE smart
 * card (test/fakes), which wraps a throwaway SoftHSM2 token and can be pulled out of its
 * "reader" as a real card can (this machine has no USB to unplug anything from).
 *
 * - The device layer: a TokenConnection and its signer see TOKEN_REMOVED in one line
 *   saying to plug it back in; once it is back, the same connection signs again (new
 *   sessions, a new login), and nobody waiting for a session waits forever.
 * - Each API call (what the CLI and the UI use) finds no such token while it is out
 *   (TOKEN_NOT_FOUND: a new call cannot know it was ever there), TOKEN_REMOVED when it
 *   is pulled during the call, and works again once it is back, in the same process.
 * - The `signet` command: exit 2, exactly one line on stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { SignetError } from '../core/api/errors.js';
import { DeviceService, keySummary } from '../core/devices/device-service.js';
import type { PinProvider } from '../native/pin.js';
import { TokenConnection } from '../native/pkcs11/connection.js';
import { findKey, generateKeyPair, listKeys, type TokenKey } from '../native/pkcs11/keys.js';
import { openModule, type Pkcs11Module } from '../native/pkcs11/module.js';
import { listedModulesOnly } from '../native/pkcs11/module-policy.js';
import { Pkcs11Signer } from '../native/pkcs11/signer.js';
import { listTokens, type TokenDescription, tokenUri } from '../native/pkcs11/tokens.js';
import { formatPkcs11Uri } from '../native/pkcs11/uri.js';
import { buildFakeSmartcard, type FakeSmartcard } from './fakes/fake-smartcard.js';
import { pinFile, signetProcess } from './support/cli.js';
import { createSoftHsmStore } from './support/softhsm.js';

const store = createSoftHsmStore('signet-removal-');
const home = mkdtempSync(join(tmpdir(), 'signet-removal-home-'));
const PIN = '2580-card';
const LABEL = 'Removable';
const REMOVED = 'the token was removed; plug it back in and try again';
let card: FakeSmartcard;
/** The removable card's serial, and another card that stays in its reader. */
let serial: string;
let key: TokenKey;
let keyUri: string;
let cardUri: string;
let pinRequests = 0;
const pins: PinProvider = async () => {
  pinRequests++;
  return Buffer.from(PIN);
};

beforeAll(async () => {
  serial = store.initToken(LABEL, PIN);
  store.initToken('Stays', PIN);
  card = buildFakeSmartcard({ softhsmConf: store.conf, dir: join(store.dir, 'fake') });
  card.activate();
  const module = openModule(card.modulePath);
  try {
    const token = tokenOf(module);
    const setup = new TokenConnection(module, token, { write: true });
    await setup.logIn('user', pins);
    key = await generateKeyPair(setup, 'secp256k1', 'cash');
    setup.close();
    keyUri = keySummary(key).uri;
    cardUri = formatPkcs11Uri(tokenUri(token));
  } finally {
    module.close();
  }
});
afterEach(() => card.insert(serial));
afterAll(() => {
  store.remove();
  rmSync(home, { recursive: true, force: true });
});

function tokenOf(module: Pkcs11Module): TokenDescription {
  const token = listTokens(module).find((t) => t.serial === serial);
  if (!token) throw new Error(`no card ${serial}`);
  return token;
}

const digest = () => new Uint8Array(32).map(() => Math.floor(Math.random() * 256));

/** What `work` rejects with (it must reject), as a SignetError in one line. */
async function failure(work: Promise<unknown>): Promise<SignetError> {
  const error = await work.then(
    () => new Error('expected a failure, got a result'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SignetError);
  expect((error as SignetError).message).not.toContain('\n');
  return error as SignetError;
}

/** A signer on its own connection to the card (the module stays open until close()). */
async function openSigner(sessions: number) {
  const module = openModule(card.modulePath);
  const connection = new TokenConnection(module, tokenOf(module), { sessions });
  await connection.logIn('user', pins);
  const found = await findKey(connection, { id: key.id });
  return { connection, signer: new Pkcs11Signer(connection, found, () => module.close()) };
}

async function expectSigns(signer: Pkcs11Signer): Promise<void> {
  const data = digest();
  const signature = await signer.sign(data);
  expect(secp256k1.verify(signature.bytes, data, key.publicKey, { prehash: false })).toBe(true);
}

describe('the device layer, the card pulled out under an open connection', () => {
  it('signing while it is out: TOKEN_REMOVED in one line; back in, the same connection signs after logging in again', async () => {
    const { connection, signer } = await openSigner(1);
    try {
      await expectSigns(signer);
      const asked = pinRequests;

      card.remove(serial);
      for (let i = 0; i < 2; i++) {
        const error = await failure(signer.sign(digest()));
        expect(error.code).toBe('TOKEN_REMOVED');
        expect(error.category).toBe('device');
        expect(error.message).toMatch(new RegExp(`^[^\\n]+ failed: ${REMOVED}$`));
        expect(['CKR_DEVICE_REMOVED', 'CKR_TOKEN_NOT_PRESENT']).toContain(error.details?.ckr);
      }
      const listing = await failure(listKeys(connection));
      expect(listing.code).toBe('TOKEN_REMOVED');
      expect(pinRequests).toBe(asked);

      card.insert(serial);
      await expectSigns(signer);
      // A new session, and the login the card forgot, with the PIN asked once more.
      expect(pinRequests).toBe(asked + 1);
      expect((await listKeys(connection)).map((k) => k.label)).toContain('cash');
    } finally {
      await signer.close();
    }
  });

  it('pulled out and put back while idle: the next signature works at once (every dead session dropped)', async () => {
    const { signer } = await openSigner(4);
    try {
      // Several sessions, all idle now.
      await signer.signMany(Array.from({ length: 12 }, digest), 8);
      const asked = pinRequests;
      card.remove(serial);
      card.insert(serial);
      await expectSigns(signer);
      await expectSigns(signer);
      expect(pinRequests).toBe(asked + 1);
    } finally {
      await signer.close();
    }
  });

  it('callers waiting for a session when the card is pulled each get TOKEN_REMOVED: none waits forever', async () => {
    const { signer } = await openSigner(1);
    try {
      // One runs, three wait for its session; then the card is pulled.
      const all = Promise.allSettled([1, 2, 3, 4].map(() => signer.sign(digest())));
      card.remove(serial);
      let timer: NodeJS.Timeout | undefined;
      const settled = await Promise.race([
        all,
        new Promise<'hung'>((resolve) => {
          timer = setTimeout(() => resolve('hung'), 5_000);
        }),
      ]);
      clearTimeout(timer);
      expect(settled).not.toBe('hung');
      if (settled === 'hung') return;
      expect(settled.map((r) => r.status)).toEqual([
        'rejected',
        'rejected',
        'rejected',
        'rejected',
      ]);
      for (const result of settled) {
        const reason = (result as PromiseRejectedResult).reason as SignetError;
        expect(reason.code).toBe('TOKEN_REMOVED');
      }
      card.insert(serial);
      await expectSigns(signer);
    } finally {
      await signer.close();
    }
  });

  it('pulled out between the slot list and the token info: the listing leaves it out rather than fail', () => {
    const module = openModule(card.modulePath);
    try {
      // The card goes right after C_GetSlotList has listed its slot.
      const api = new Proxy(module.api, {
        get(target, name) {
          const value = Reflect.get(target, name, target);
          if (name !== 'C_GetSlotList')
            return typeof value === 'function' ? value.bind(target) : value;
          return (present: boolean) => {
            const slots = target.C_GetSlotList(present);
            card.remove(serial);
            return slots;
          };
        },
      });
      const tokens = listTokens({ ...module, api }).filter((t) => t.flags.tokenInitialized);
      expect(tokens.map((t) => t.label)).toEqual(['Stays']);
    } finally {
      module.close();
    }
  });
});

describe('each API call (as the CLI and the UI make them)', () => {
  const service = (provider: PinProvider = pins) =>
    new DeviceService({
      pins: provider,
      configuredModules: [card.modulePath],
      policy: listedModulesOnly,
      audit: () => {},
    });
  const labels = async () =>
    (await service().listTokens({ module: card.modulePath })).map((t) => t.label);

  it('the token list leaves the card out while it is out, keeps the others, and shows it again once back', async () => {
    expect(await labels()).toEqual(expect.arrayContaining([LABEL, 'Stays']));
    card.remove(serial);
    const out = await labels();
    expect(out).toContain('Stays');
    expect(out).not.toContain(LABEL);
    card.insert(serial);
    expect(await labels()).toContain(LABEL);
  });

  it('listing keys or signing while it is out: TOKEN_NOT_FOUND in one line ("is it inserted?"), no PIN asked', async () => {
    card.remove(serial);
    const asked = pinRequests;
    for (const work of [
      service().sign({ key: keyUri, digest: `0x${'11'.repeat(32)}` }),
      service().listKeys({ token: cardUri }),
    ]) {
      const error = await failure(work);
      expect(error.code).toBe('TOKEN_NOT_FOUND');
      expect(error.category).toBe('device');
      expect(error.message).toMatch(/^no token matches pkcs11:\S+ \(is it inserted\?\)$/);
    }
    expect(pinRequests).toBe(asked);
  });

  it('pulled out while the PIN is typed: TOKEN_REMOVED, no PIN try used; back in, the next call signs (same process)', async () => {
    const pullingPins: PinProvider = async (request) => {
      card.remove(serial);
      return pins(request);
    };
    const error = await failure(
      service(pullingPins).sign({ key: keyUri, digest: `0x${'22'.repeat(32)}` }),
    );
    expect(error.code).toBe('TOKEN_REMOVED');
    expect(error.message).toBe(`logging in to token "${LABEL}" failed: ${REMOVED}`);

    card.insert(serial);
    const [token] = (await service().listTokens({ module: card.modulePath })).filter(
      (t) => t.label === LABEL,
    );
    // The card never saw the PIN: no try counted.
    expect(token?.flags).toMatchObject({ userPinCountLow: false, userPinLocked: false });
    const signed = await service().sign({ key: keyUri, digest: `0x${'22'.repeat(32)}` });
    expect(signed.signature).toMatch(/^0x[0-9a-f]{128}$/);
  });
});

describe('the signet command', () => {
  const env = () => ({ ...card.env, SIGNET_HOME: home });
  const oneLine = (stderr: string) => stderr.split('\n').filter(Boolean);

  it('sign and keys with the card out: exit 2, exactly one line on stderr', () => {
    card.remove(serial);
    const pin = pinFile(PIN);
    const sign = signetProcess(
      ['sign', '--key', keyUri, '--digest', '33'.repeat(32), '--pin-file', pin],
      { env: env() },
    );
    expect(sign.code).toBe(2);
    expect(oneLine(sign.stderr)).toHaveLength(1);
    expect(sign.stderr).toMatch(/^signet: no token matches pkcs11:\S+ \(is it inserted\?\)\n$/);
    expect(sign.stdout).toBe('');

    const keys = signetProcess(['keys', '--token', cardUri, '--pin-file', pin, '--json'], {
      env: env(),
    });
    expect(keys.code).toBe(2);
    expect(oneLine(keys.stderr)).toHaveLength(1);
    expect(keys.json.error.code).toBe('TOKEN_NOT_FOUND');

    const tokens = signetProcess(['tokens', '--module', card.modulePath, '--json'], { env: env() });
    expect(tokens.code).toBe(0);
    expect(tokens.json.map((t: { label: string }) => t.label)).not.toContain(LABEL);
  });

  it('the card pulled while the PIN is read from stdin: exit 2, one line, TOKEN_REMOVED', async () => {
    let stdout = '';
    let stderr = '';
    // Standard input is read when the PIN is needed: the card goes at that moment.
    const stdin = Readable.from(
      (async function* () {
        card.remove(serial);
        yield Buffer.from(`${PIN}\n`);
      })(),
    );
    const code = await main(
      ['sign', '--key', keyUri, '--digest', '44'.repeat(32), '--pin-stdin', '--json'],
      {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        stdin: stdin as Readable & { isTTY?: boolean },
        env: env(),
      },
    );
    expect(code).toBe(2);
    expect(stderr).toBe(`signet: logging in to token "${LABEL}" failed: ${REMOVED}\n`);
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'TOKEN_REMOVED',
      details: { ckr: 'CKR_DEVICE_REMOVED' },
    });
  });

  it('back in: the same command signs (exit 0)', () => {
    const sign = signetProcess(
      ['sign', '--key', keyUri, '--digest', '55'.repeat(32), '--pin-file', pinFile(PIN), '--json'],
      { env: env() },
    );
    expect(sign.stderr).toBe('');
    expect(sign.code).toBe(0);
    expect(sign.json.signature).toMatch(/^0x[0-9a-f]{128}$/);
  });
});
