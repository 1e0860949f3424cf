/**
 * TokenConnection on a real SoftHSM2 token: one operation per session at a time,
 * a failed session is replaced (and logged in again), nothing stays logged in.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenConnection } from '../native/pkcs11/connection.js';
import { CKS_RO_PUBLIC_SESSION } from '../native/pkcs11/constants.js';
import { findKey, generateKeyPair, type TokenKey } from '../native/pkcs11/keys.js';
import { openModule, type Pkcs11Module } from '../native/pkcs11/module.js';
import { pkcs11js } from '../native/pkcs11/pkcs11js.js';
import { Pkcs11Signer } from '../native/pkcs11/signer.js';
import { listTokens, type TokenDescription } from '../native/pkcs11/tokens.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';

const store = createSoftHsmStore();
const PIN = '5555-pin';
let module: Pkcs11Module;
let token: TokenDescription;
/** Made under a login that has ended: its handles are stale, only its id is kept. */
let created: TokenKey;
let pinRequests = 0;
const pins = async () => {
  pinRequests++;
  return Buffer.from(PIN);
};

beforeAll(async () => {
  store.initToken('conn', PIN);
  store.activate();
  module = openModule(softhsmModule);
  token = listTokens(module).find((t) => t.label === 'conn')!;
  const setup = new TokenConnection(module, token, { write: true });
  await setup.logIn('user', pins);
  created = await generateKeyPair(setup, 'secp256k1', 'k');
  setup.close();
});
afterAll(() => {
  module.close();
  store.remove();
});

function isLoggedOut(): boolean {
  const session = module.api.C_OpenSession(token.slotHandle, pkcs11js().CKF_SERIAL_SESSION);
  try {
    return module.api.C_GetSessionInfo(session).state === CKS_RO_PUBLIC_SESSION;
  } finally {
    module.api.C_CloseSession(session);
  }
}

describe('TokenConnection', () => {
  it('never runs two operations on one session at once, and uses at most `sessions` sessions', async () => {
    const connection = new TokenConnection(module, token, { sessions: 2 });
    const busy = new Set<string>();
    const seen = new Set<string>();
    let overlap = false;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        connection.withSession(async (session) => {
          const id = session.toString('hex');
          if (busy.has(id)) overlap = true;
          busy.add(id);
          seen.add(id);
          await new Promise((resolve) => setTimeout(resolve, 5));
          busy.delete(id);
        }),
      ),
    );
    connection.close();
    expect(overlap).toBe(false);
    expect(seen.size).toBe(2);
  });

  it('logs out and closes its sessions on close()', async () => {
    const connection = new TokenConnection(module, token, { sessions: 2 });
    await connection.logIn('user', pins);
    expect(isLoggedOut()).toBe(false);
    connection.close();
    expect(isLoggedOut()).toBe(true);
  });

  it('replaces a session that failed and logs in again to carry on signing', async () => {
    const connection = new TokenConnection(module, token, { sessions: 1 });
    await connection.logIn('user', pins);
    const key = await findKey(connection, { id: created.id });
    const asked = pinRequests;
    // A signing operation left half-done on the only session: the session is
    // closed (which ends the login and invalidates key handles), and the next
    // operation must still work: new session, new login, key found again.
    await expect(
      connection.withSession((session) => {
        module.api.C_SignInit(session, { mechanism: pkcs11js().CKM_ECDSA }, key.privateHandle);
        throw new Error('caller failed mid-operation');
      }),
    ).rejects.toThrow('caller failed mid-operation');
    const signer = new Pkcs11Signer(connection, key);
    const signature = await signer.sign(new Uint8Array(randomBytes(32)));
    expect(signature.bytes).toHaveLength(64);
    expect(pinRequests).toBe(asked + 1);
    await signer.close();
    expect(isLoggedOut()).toBe(true);
  });

  it('signs many digests across sessions, in input order, each verified', async () => {
    const connection = new TokenConnection(module, token, { sessions: 2 });
    await connection.logIn('user', pins);
    const key = await findKey(connection, { id: created.id });
    const signer = new Pkcs11Signer(connection, key);
    const digests = Array.from({ length: 50 }, () => new Uint8Array(randomBytes(32)));
    const signatures = await signer.signMany(digests, 6);
    const { secp256k1 } = await import('@noble/curves/secp256k1.js');
    signatures.forEach((signature, i) => {
      expect(
        secp256k1.verify(signature.bytes, digests[i]!, key.publicKey, { prehash: false }),
      ).toBe(true);
    });
    await signer.close();
  });
});

describe('openModule', () => {
  it('shares one library opened by two paths (a link and its target): closing one leaves the other initialised', () => {
    const link = join(mkdtempSync(join(tmpdir(), 'signet-module-link-')), 'libsofthsm2.so');
    symlinkSync(realpathSync(softhsmModule), link);
    const other = openModule(link);
    expect(other.api).toBe(module.api);
    other.close();
    // Before, the link's last close finalised the library under `module`'s feet.
    expect(listTokens(module).some((t) => t.label === 'conn')).toBe(true);
  });
});
