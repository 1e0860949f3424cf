/**
 * The FAKE smart card (a SoftHSM2 token wrapped to lock its PIN, to have a PIN pad and
 * to be pulled out) behaves like a card: lockout progression, SO unblock, state shared
 * across processes, PIN-pad login, removal and re-insertion.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftHsmStore, type SoftHsmStore } from '../support/softhsm.js';
import { buildFakeSmartcard, type FakeSmartcard } from './fake-smartcard.js';

const { CKU_USER, CKU_SO, CKF_SERIAL_SESSION, CKF_RW_SESSION } = pkcs11js;
/** Session states (CK_STATE), which pkcs11js does not name. */
const CKS_RO_PUBLIC_SESSION = 0;
const CKS_RO_USER_FUNCTIONS = 1;
/** Slot flags (CK_SLOT_INFO), which pkcs11js's typings do not name. */
const CKF_TOKEN_PRESENT = 0x1;
const CKF_REMOVABLE_DEVICE = 0x2;
const COUNT_LOW = pkcs11js.CKF_USER_PIN_COUNT_LOW;
const FINAL_TRY = pkcs11js.CKF_USER_PIN_FINAL_TRY;
const LOCKED = pkcs11js.CKF_USER_PIN_LOCKED;
const PIN_FLAGS = COUNT_LOW | FINAL_TRY | LOCKED;
const PINPAD = pkcs11js.CKF_PROTECTED_AUTHENTICATION_PATH;
const SO_PIN = '87654321';
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let store: SoftHsmStore;
let fake: FakeSmartcard;
let p11: pkcs11js.PKCS11;
let lockout: string; // token serials
let shared: string;
let pinpad: string;
let removable: string;

function slotOf(serial: string): Buffer {
  const slot = p11
    .C_GetSlotList(true)
    .find((s) => p11.C_GetTokenInfo(s).serialNumber.trim() === serial);
  if (!slot) throw new Error(`no token ${serial}`);
  return slot;
}

function flagsOf(serial: string): number {
  return p11.C_GetTokenInfo(slotOf(serial)).flags;
}

/** Logs in and out again; returns 'CKR_OK' or the CKR_ name of the error. */
function login(serial: string, pin: string, userType = CKU_USER): string {
  const session = p11.C_OpenSession(slotOf(serial), CKF_SERIAL_SESSION | CKF_RW_SESSION);
  try {
    p11.C_Login(session, userType, pin);
    p11.C_Logout(session);
    return 'CKR_OK';
  } catch (error) {
    return (error as { message: string }).message;
  } finally {
    p11.C_CloseSession(session);
  }
}

/** Another process (as each CLI command is): reads the token's flags and tries a user login. */
function loginInChild(serial: string, pin: string): { flags: number; login: string } {
  const script = `
    const pkcs11js = require('pkcs11js');
    const [modulePath, serial, pin] = process.argv.slice(1);
    const p11 = new pkcs11js.PKCS11();
    p11.load(modulePath);
    p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).serialNumber.trim() === serial);
    const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    let login = 'CKR_OK';
    try { p11.C_Login(session, pkcs11js.CKU_USER, pin); } catch (e) { login = e.message; }
    const flags = p11.C_GetTokenInfo(slot).flags;
    p11.C_Finalize();
    console.log(JSON.stringify({ flags, login }));`;
  const out = execFileSync(process.execPath, ['-e', script, fake.modulePath, serial, pin], {
    cwd: repoRoot,
    env: fake.env,
    encoding: 'utf8',
  });
  return JSON.parse(out) as { flags: number; login: string };
}

beforeAll(() => {
  store = createSoftHsmStore('signet-fake-smartcard-');
  lockout = store.initToken('fake-lockout', '1234', SO_PIN);
  shared = store.initToken('fake-shared', '2468', SO_PIN);
  pinpad = store.initToken('fake-pinpad', '5678', SO_PIN);
  removable = store.initToken('fake-removable', '1357', SO_PIN);
  fake = buildFakeSmartcard({ softhsmConf: store.conf, dir: join(store.dir, 'fake') });
  fake.activate();
  p11 = new pkcs11js.PKCS11();
  p11.load(fake.modulePath);
  p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
});

afterAll(() => {
  p11?.C_Finalize();
  p11?.close();
  store?.remove();
});

describe('fake smart card', () => {
  it('says it is a fake and starts with no PIN flags and no PIN pad', () => {
    const info = p11.C_GetTokenInfo(slotOf(lockout));
    expect(info.manufacturerID).toBe('Signet fake smart card'.padEnd(32, ' '));
    expect(info.flags & (PIN_FLAGS | PINPAD)).toBe(0);
  });

  it('a right PIN resets the failure count', () => {
    expect(login(lockout, '0000')).toBe('CKR_PIN_INCORRECT');
    expect(flagsOf(lockout) & PIN_FLAGS).toBe(COUNT_LOW);
    expect(login(lockout, '1234')).toBe('CKR_OK');
    expect(flagsOf(lockout) & PIN_FLAGS).toBe(0);
  });

  it('locks the PIN after three wrong tries, then refuses even the right PIN', () => {
    expect(login(lockout, '0000')).toBe('CKR_PIN_INCORRECT');
    expect(flagsOf(lockout) & PIN_FLAGS).toBe(COUNT_LOW);
    expect(login(lockout, '0000')).toBe('CKR_PIN_INCORRECT');
    expect(flagsOf(lockout) & PIN_FLAGS).toBe(COUNT_LOW | FINAL_TRY);
    expect(login(lockout, '0000')).toBe('CKR_PIN_LOCKED');
    expect(flagsOf(lockout) & PIN_FLAGS).toBe(LOCKED);
    expect(login(lockout, '1234')).toBe('CKR_PIN_LOCKED');
    expect(flagsOf(lockout) & PIN_FLAGS).toBe(LOCKED);
    // The state file is keyed by the token serial.
    expect(readFileSync(fake.env.FAKE_SMARTCARD_STATE!, 'utf8')).toContain(`${lockout} 3\n`);
  });

  it('stays locked across C_Finalize/C_Initialize and in another process', () => {
    p11.C_Finalize();
    p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    expect(flagsOf(lockout) & PIN_FLAGS).toBe(LOCKED);
    expect(login(lockout, '1234')).toBe('CKR_PIN_LOCKED');
    const child = loginInChild(lockout, '1234');
    expect(child.login).toBe('CKR_PIN_LOCKED');
    expect(child.flags & PIN_FLAGS).toBe(LOCKED);
  });

  it('counts wrong PINs entered by another process', () => {
    expect(loginInChild(shared, '0000')).toEqual({
      login: 'CKR_PIN_INCORRECT',
      flags: expect.any(Number),
    });
    expect(flagsOf(shared) & PIN_FLAGS).toBe(COUNT_LOW);
    expect(loginInChild(shared, '0000').flags & PIN_FLAGS).toBe(COUNT_LOW | FINAL_TRY);
    expect(login(shared, '2468')).toBe('CKR_OK');
    expect(loginInChild(shared, '2468')).toEqual({ login: 'CKR_OK', flags: expect.any(Number) });
    expect(flagsOf(shared) & PIN_FLAGS).toBe(0);
  });

  it('the SO unblocks the PIN with C_InitPIN', () => {
    const session = p11.C_OpenSession(slotOf(lockout), CKF_SERIAL_SESSION | CKF_RW_SESSION);
    p11.C_Login(session, CKU_SO, SO_PIN);
    p11.C_InitPIN(session, '4321');
    p11.C_Logout(session);
    p11.C_CloseSession(session);
    expect(flagsOf(lockout) & PIN_FLAGS).toBe(0);
    expect(login(lockout, '4321')).toBe('CKR_OK');
    expect(flagsOf(lockout) & PIN_FLAGS).toBe(0);
  });

  describe('with a PIN pad', () => {
    // The module reads its env per call, so switching it on needs no reload.
    const usePad = (pinpadPin: string) =>
      buildFakeSmartcard({ softhsmConf: store.conf, dir: join(store.dir, 'fake'), pinpadPin });
    afterAll(() => fake.activate());

    it('reports a protected authentication path', () => {
      usePad('5678').activate();
      expect(flagsOf(pinpad) & PINPAD).toBe(PINPAD);
      expect(flagsOf(pinpad) & PIN_FLAGS).toBe(0);
    });

    // pkcs11js 2.1.7 cannot pass a NULL PIN (C_Login needs 3 arguments, the PIN a
    // string); '' arrives as ulPinLen 0, which the fake treats as "use the pad".
    it('logs in with no PIN when the PIN typed on the pad is right', () => {
      usePad('5678').activate();
      expect(login(pinpad, '')).toBe('CKR_OK');
    });

    it('counts a wrong PIN typed on the pad', () => {
      usePad('9999').activate();
      expect(login(pinpad, '')).toBe('CKR_PIN_INCORRECT');
      expect(flagsOf(pinpad) & PIN_FLAGS).toBe(COUNT_LOW);
      usePad('5678').activate();
      expect(login(pinpad, '')).toBe('CKR_OK');
      expect(flagsOf(pinpad) & PIN_FLAGS).toBe(0);
    });

    it('reports a cancelled entry when nothing is typed on the pad', () => {
      usePad('5678').activate();
      delete process.env.FAKE_SMARTCARD_PINPAD_PIN;
      expect(login(pinpad, '')).toBe('CKR_FUNCTION_CANCELED');
      expect(flagsOf(pinpad) & PIN_FLAGS).toBe(0);
    });
  });
});

/** The CKR_ name a call throws, or 'CKR_OK'. */
function ckrOf(call: () => unknown): string {
  try {
    call();
    return 'CKR_OK';
  } catch (error) {
    return (error as { message: string }).message;
  }
}

const sameSlot = (a: Buffer) => (b: Buffer) => a.equals(b);

describe('fake smart card: pulled out and put back', () => {
  let slot: Buffer;

  beforeAll(() => {
    slot = slotOf(removable);
  });
  afterAll(() => fake.insert(removable));

  it('out: the reader is listed without a card, the token and new sessions are "not present"', () => {
    expect(p11.C_GetSlotInfo(slot).flags & (CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE)).toBe(
      CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE,
    );
    fake.remove(removable);
    expect(fake.isPresent(removable)).toBe(false);
    expect(p11.C_GetSlotList(true).some(sameSlot(slot))).toBe(false);
    expect(p11.C_GetSlotList(false).some(sameSlot(slot))).toBe(true);
    expect(p11.C_GetSlotInfo(slot).flags & (CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE)).toBe(
      CKF_REMOVABLE_DEVICE,
    );
    expect(ckrOf(() => p11.C_GetTokenInfo(slot))).toBe('CKR_TOKEN_NOT_PRESENT');
    expect(ckrOf(() => p11.C_GetMechanismList(slot))).toBe('CKR_TOKEN_NOT_PRESENT');
    expect(ckrOf(() => p11.C_OpenSession(slot, CKF_SERIAL_SESSION))).toBe('CKR_TOKEN_NOT_PRESENT');
    // The other cards are where they were.
    expect(flagsOf(shared) & PIN_FLAGS).toBe(0);
    expect(login(shared, '2468')).toBe('CKR_OK');

    fake.insert(removable);
    expect(fake.isPresent(removable)).toBe(true);
    expect(p11.C_GetSlotList(true).some(sameSlot(slot))).toBe(true);
    expect(p11.C_GetTokenInfo(slot).serialNumber.trim()).toBe(removable);
    expect(login(removable, '1357')).toBe('CKR_OK');
  });

  it('sessions from before: CKR_DEVICE_REMOVED while out, CKR_SESSION_HANDLE_INVALID once back; the login is gone, new sessions work', () => {
    const keyId = Buffer.from('removal-test');
    const before = p11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION);
    const other = p11.C_OpenSession(slot, CKF_SERIAL_SESSION);
    p11.C_Login(before, CKU_USER, '1357');
    expect(p11.C_GetSessionInfo(other).state).toBe(CKS_RO_USER_FUNCTIONS);
    const { privateKey } = p11.C_GenerateKeyPair(
      before,
      { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06052b8104000a', 'hex') }, // secp256k1
      ],
      [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_ID, value: keyId },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
      ],
    );

    fake.remove(removable);
    for (const call of [
      () => p11.C_GetSessionInfo(before),
      () => p11.C_SignInit(before, { mechanism: pkcs11js.CKM_ECDSA }, privateKey),
      () => p11.C_FindObjectsInit(other, []),
      () => p11.C_Login(other, CKU_USER, '1357'),
      () => p11.C_Logout(before),
      () => p11.C_GenerateRandom(other, Buffer.alloc(8)),
    ]) {
      expect(ckrOf(call)).toBe('CKR_DEVICE_REMOVED');
    }

    fake.insert(removable);
    for (const call of [
      () => p11.C_GetSessionInfo(before),
      () => p11.C_SignInit(before, { mechanism: pkcs11js.CKM_ECDSA }, privateKey),
      () => p11.C_FindObjectsInit(other, []),
    ]) {
      expect(ckrOf(call)).toBe('CKR_SESSION_HANDLE_INVALID');
    }
    // Power-cycled: a new session starts logged out, and a login works again.
    const after = p11.C_OpenSession(slot, CKF_SERIAL_SESSION);
    expect(after.equals(before) || after.equals(other)).toBe(false);
    expect(p11.C_GetSessionInfo(after).state).toBe(CKS_RO_PUBLIC_SESSION);
    p11.C_Login(after, CKU_USER, '1357');
    // The key is on the card; its handle, from the login before, is looked up again.
    p11.C_FindObjectsInit(after, [{ type: pkcs11js.CKA_ID, value: keyId }]);
    const [key] = p11.C_FindObjects(after, 1);
    p11.C_FindObjectsFinal(after);
    p11.C_SignInit(after, { mechanism: pkcs11js.CKM_ECDSA }, key!);
    expect(p11.C_Sign(after, Buffer.alloc(32, 7), Buffer.alloc(80))).toHaveLength(64);
    p11.C_Logout(after);
    p11.C_CloseSession(after);
    // The dead handles are released by C_CloseSession, which still says they were dead.
    expect(ckrOf(() => p11.C_CloseSession(before))).toBe('CKR_SESSION_HANDLE_INVALID');
    expect(ckrOf(() => p11.C_CloseSession(other))).toBe('CKR_SESSION_HANDLE_INVALID');
    expect(ckrOf(() => p11.C_GetSessionInfo(before))).toBe('CKR_SESSION_HANDLE_INVALID');
  });

  it('a session opened after re-insertion dies at the next removal; C_CloseSession while out releases it', () => {
    const session = p11.C_OpenSession(slot, CKF_SERIAL_SESSION);
    fake.remove(removable);
    expect(ckrOf(() => p11.C_GetSessionInfo(session))).toBe('CKR_DEVICE_REMOVED');
    expect(ckrOf(() => p11.C_CloseSession(session))).toBe('CKR_DEVICE_REMOVED');
    fake.insert(removable);
    expect(ckrOf(() => p11.C_GetSessionInfo(session))).toBe('CKR_SESSION_HANDLE_INVALID');
    expect(login(removable, '1357')).toBe('CKR_OK');
  });

  it('the PIN failure count survives the removal, as on a card', () => {
    expect(login(removable, '0000')).toBe('CKR_PIN_INCORRECT');
    fake.remove(removable);
    fake.insert(removable);
    expect(flagsOf(removable) & PIN_FLAGS).toBe(COUNT_LOW);
    expect(login(removable, '1357')).toBe('CKR_OK');
    expect(flagsOf(removable) & PIN_FLAGS).toBe(0);
  });

  it('FAKE_SMARTCARD_PULL_AT_KEYGEN: pulled while it makes a key pair: the key is made, the answer is CKR_DEVICE_REMOVED, the card out until put back', () => {
    const keyId = Buffer.from('pulled-at-keygen');
    const session = p11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION);
    p11.C_Login(session, CKU_USER, '1357');
    fake.pullAtKeygen(removable);
    try {
      const generate = () =>
        p11.C_GenerateKeyPair(
          session,
          { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
          [
            { type: pkcs11js.CKA_TOKEN, value: true },
            { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06052b8104000a', 'hex') },
          ],
          [
            { type: pkcs11js.CKA_TOKEN, value: true },
            { type: pkcs11js.CKA_ID, value: keyId },
            { type: pkcs11js.CKA_SIGN, value: true },
            { type: pkcs11js.CKA_PRIVATE, value: true },
          ],
        );
      expect(ckrOf(generate)).toBe('CKR_DEVICE_REMOVED');
    } finally {
      fake.pullAtKeygen(undefined);
    }
    expect(fake.isPresent(removable)).toBe(false);
    expect(ckrOf(() => p11.C_GetTokenInfo(slot))).toBe('CKR_TOKEN_NOT_PRESENT');
    expect(ckrOf(() => p11.C_CloseSession(session))).toBe('CKR_DEVICE_REMOVED');

    fake.insert(removable);
    const after = p11.C_OpenSession(slot, CKF_SERIAL_SESSION);
    p11.C_Login(after, CKU_USER, '1357');
    p11.C_FindObjectsInit(after, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_ID, value: keyId },
    ]);
    expect(p11.C_FindObjects(after, 10)).toHaveLength(1);
    p11.C_FindObjectsFinal(after);
    p11.C_Logout(after);
    p11.C_CloseSession(after);
  });

  it('another process sees the card out, and back', () => {
    const script = `
      const pkcs11js = require('pkcs11js');
      const [modulePath, serial] = process.argv.slice(1);
      const p11 = new pkcs11js.PKCS11();
      p11.load(modulePath);
      p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
      const serials = p11.C_GetSlotList(true).map((s) => p11.C_GetTokenInfo(s).serialNumber.trim());
      p11.C_Finalize();
      console.log(JSON.stringify(serials.includes(serial)));`;
    const listed = () =>
      JSON.parse(
        execFileSync(process.execPath, ['-e', script, fake.modulePath, removable], {
          cwd: repoRoot,
          env: fake.env,
          encoding: 'utf8',
        }),
      ) as boolean;
    fake.remove(removable);
    expect(listed()).toBe(false);
    fake.insert(removable);
    expect(listed()).toBe(true);
  });
});
