/**
 * The FAKE smart card (a SoftHSM2 token wrapped to lock its PIN and to have a PIN pad)
 * behaves like a card: lockout progression, SO unblock, state shared across processes,
 * PIN-pad login.
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
