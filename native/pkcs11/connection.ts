/**
 * A connection to one token: a small pool of sessions sharing one login. One
 * operation runs on a session at a time (never two interleaved C_SignInit on a
 * session); a second caller waits for a free session. A session that fails is
 * closed, not reused; a new one is opened (and logged in again) on demand.
 *
 * A token pulled out takes its sessions and its login with it, even once it is
 * back (PKCS#11 v2.40 §5.1): an idle session is checked before it is reused, and
 * if it is dead every idle one is dropped, so the next operation after the token
 * is put back opens a new session and logs in again rather than fail.
 */
import { SignetError } from '../../core/api/errors.js';
import { type PinProvider, type PinRole, withPin } from '../pin.js';
import { CKS_RO_PUBLIC_SESSION, CKS_RW_PUBLIC_SESSION } from './constants.js';
import type { Pkcs11Module } from './module.js';
import { type Handle, pkcs11js } from './pkcs11js.js';
import { ckrName, fromPkcs11Error } from './return-codes.js';
import { describeToken, readTokenFlags, type TokenDescription, type TokenFlags } from './tokens.js';
import { tpmPinError } from './tpm.js';

export interface ConnectionOptions {
  /** Read-write sessions, needed to create, change or delete anything. */
  write?: boolean;
  /** How many sessions may run operations at once. */
  sessions?: number;
}

export class TokenConnection {
  private readonly idle: Handle[] = [];
  private readonly waiting: Array<{
    resolve(session: Handle): void;
    reject(error: unknown): void;
  }> = [];
  private open = 0;
  private max: number;
  /** Set once Signet itself logged in, so close() logs out only what it logged in. */
  private login: { role: 'user' | 'so'; pins: PinProvider } | undefined;
  private closed = false;
  private epoch = 0;

  constructor(
    readonly module: Pkcs11Module,
    readonly token: TokenDescription,
    private readonly options: ConnectionOptions = {},
  ) {
    this.max = Math.max(1, options.sessions ?? 1);
  }

  /** Logs in as the user or the SO; with a PIN pad, the PIN is typed on the device. */
  async logIn(role: 'user' | 'so', pins: PinProvider): Promise<void> {
    await this.withSession((session) => this.logInOn(session, role, pins));
    this.login = { role, pins };
  }

  /** Runs `work` on a session of its own; operations on one session never overlap. */
  async withSession<T>(work: (session: Handle) => T | Promise<T>): Promise<T> {
    const session = await this.acquire();
    try {
      const result = await work(session);
      this.release(session);
      return result;
    } catch (error) {
      this.discard(session);
      throw error;
    }
  }

  /**
   * Counts logins. Tokens invalidate private-object handles at logout (SoftHSM2
   * renumbers them), so a handle found under one login must be looked up again
   * once this changes.
   */
  get loginEpoch(): number {
    return this.epoch;
  }

  /** Re-reads the token's flags (PIN state changes with every login attempt). */
  flags(): TokenFlags {
    try {
      return readTokenFlags(this.module.api.C_GetTokenInfo(this.token.slotHandle).flags);
    } catch (error) {
      throw fromPkcs11Error(error, `reading the state of token "${this.token.label}"`);
    }
  }

  refresh(): TokenDescription {
    return describeToken(this.module, this.token.slotHandle);
  }

  /** Logs out (if Signet logged in) and closes every session. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const api = this.module.api;
    const session = this.idle[0];
    if (this.login && session) {
      try {
        api.C_Logout(session);
      } catch {
        // Already logged out (token removed, or its last session closed).
      }
    }
    for (const handle of this.idle.splice(0)) closeQuietly(this.module, handle);
    this.open = 0;
  }

  private async acquire(): Promise<Handle> {
    if (this.closed) throw new SignetError('INTERNAL', 'token connection already closed');
    const ready = this.takeIdle();
    if (ready) return ready;
    if (this.open < this.max) {
      this.open++;
      try {
        return await this.openSession();
      } catch (error) {
        this.open--;
        // A token with fewer sessions than asked for (small smart cards): use
        // the ones already open rather than fail.
        if (!(error instanceof SignetError && error.code === 'DEVICE_BUSY' && this.open > 0))
          throw error;
        this.max = this.open;
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /**
   * An idle session that still answers. One that does not (the token was pulled
   * out, and maybe put back) is dead with every other idle one: all are dropped.
   */
  private takeIdle(): Handle | undefined {
    const session = this.idle.pop();
    if (!session) return undefined;
    try {
      this.module.api.C_GetSessionInfo(session);
      return session;
    } catch {
      for (const dead of [session, ...this.idle.splice(0)]) {
        closeQuietly(this.module, dead);
        this.open--;
      }
      return undefined;
    }
  }

  private release(session: Handle): void {
    const next = this.waiting.shift();
    if (next) next.resolve(session);
    else this.idle.push(session);
  }

  /** A failed session may hold a half-done operation: close it rather than reuse it. */
  private discard(session: Handle): void {
    closeQuietly(this.module, session);
    this.open--;
    this.serveWaiting();
  }

  /**
   * New sessions for callers waiting on discarded ones. A caller that cannot have
   * one (the token is out) gets the error, and the next caller tries in turn:
   * nobody waits for a session that will never come.
   */
  private serveWaiting(): void {
    while (this.waiting.length > 0 && this.open < this.max) {
      const next = this.waiting.shift()!;
      this.open++;
      this.openSession().then(next.resolve, (error: unknown) => {
        this.open--;
        next.reject(error);
        this.serveWaiting();
      });
    }
  }

  private async openSession(): Promise<Handle> {
    const { CKF_SERIAL_SESSION, CKF_RW_SESSION } = pkcs11js();
    const flags = CKF_SERIAL_SESSION | (this.options.write ? CKF_RW_SESSION : 0);
    let session: Handle;
    try {
      session = this.module.api.C_OpenSession(this.token.slotHandle, flags);
    } catch (error) {
      throw fromPkcs11Error(error, `opening a session on token "${this.token.label}"`);
    }
    // The login belongs to the application, not the session, and ends when the
    // last session closes: after a discarded session, log in again if needed.
    // A token pulled out and put back has forgotten the login too.
    if (this.login) {
      try {
        const state = this.module.api.C_GetSessionInfo(session).state;
        if (state === CKS_RO_PUBLIC_SESSION || state === CKS_RW_PUBLIC_SESSION) {
          await this.logInOn(session, this.login.role, this.login.pins);
        }
      } catch (error) {
        closeQuietly(this.module, session);
        throw fromPkcs11Error(error, `logging in to token "${this.token.label}"`);
      }
    }
    return session;
  }

  private async logInOn(session: Handle, role: 'user' | 'so', pins: PinProvider): Promise<void> {
    const { CKU_USER, CKU_SO } = pkcs11js();
    const userType = role === 'user' ? CKU_USER : CKU_SO;
    const api = this.module.api;
    try {
      if (this.token.flags.protectedAuthenticationPath) {
        // PIN pad: the PIN is typed on the device. pkcs11js cannot pass NULL, so
        // an empty PIN (length 0) stands for it, which modules treat the same.
        api.C_Login(session, userType, '');
      } else {
        await withPin(pins, { role, token: this.token.label }, (pin) => {
          checkPinLength(this.token, role, pin);
          api.C_Login(session, userType, pin);
        });
      }
    } catch (error) {
      if (ckrName(error) !== 'CKR_USER_ALREADY_LOGGED_IN') throw await this.pinError(error, role);
    }
    this.epoch++;
  }

  /**
   * Words for a failed PIN, with the retry state the token reports; for a TPM
   * token, the tries left and the lockout as the TPM itself counts them.
   */
  async pinError(error: unknown, role: PinRole): Promise<SignetError> {
    const ckr = ckrName(error);
    const who = role === 'so' ? 'SO PIN' : 'PIN';
    const token = `token "${this.token.label}"`;
    if (ckr !== 'CKR_PIN_INCORRECT' && ckr !== 'CKR_PIN_LOCKED') {
      return fromPkcs11Error(error, `logging in to ${token}`);
    }
    if (this.token.tpm) return tpmPinError(ckr, role, this.token.label, this.token.serial);
    const state = retryState(this.flags(), role === 'so' ? 'so' : 'user');
    const details = { ckr, role, retryState: state, token: this.token.serial };
    if (ckr === 'CKR_PIN_LOCKED' || state === 'locked') {
      const remedy = role === 'so' ? 're-initialise the token' : 'unblock it with the SO PIN';
      return new SignetError('PIN_LOCKED', `the ${who} of ${token} is locked; ${remedy}`, {
        details,
      });
    }
    const left = {
      'final-try': '; one try left before it locks',
      'count-low': '; the token reports few tries left',
      unknown: '',
    }[state];
    return new SignetError('PIN_INCORRECT', `wrong ${who} for ${token}${left}`, { details });
  }
}

export type RetryState = 'locked' | 'final-try' | 'count-low' | 'unknown';

export function retryState(flags: TokenFlags, who: 'user' | 'so'): RetryState {
  if (who === 'user') {
    if (flags.userPinLocked) return 'locked';
    if (flags.userPinFinalTry) return 'final-try';
    if (flags.userPinCountLow) return 'count-low';
  } else {
    if (flags.soPinLocked) return 'locked';
    if (flags.soPinFinalTry) return 'final-try';
    if (flags.soPinCountLow) return 'count-low';
  }
  return 'unknown';
}

/** Checked before the token sees it, so a PIN of the wrong length costs no try. */
export function checkPinLength(token: TokenDescription, role: PinRole, pin: string): void {
  const length = Buffer.byteLength(pin);
  const { minPinLength: min, maxPinLength: max } = token;
  if (length < min || (max > 0 && length > max)) {
    const who = role === 'so' ? 'SO PIN' : 'PIN';
    throw new SignetError(
      'PIN_LEN_RANGE',
      `the ${who} for token "${token.label}" must be ${min} to ${max} characters long, not ${length}`,
      { details: { min, max, role } },
    );
  }
}

function closeQuietly(module: Pkcs11Module, session: Handle): void {
  try {
    module.api.C_CloseSession(session);
  } catch {
    // The session is gone already (token removed); nothing left to release.
  }
}
