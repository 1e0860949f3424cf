/**
 * The one table from PKCS#11 return values (CKR_*) to Signet's errors. Messages
 * say what happened in words; the CKR name goes into details for people who
 * need it, never a bare number into the message.
 */
import { type ErrorCode, SignetError } from '../../core/api/errors.js';

interface Mapping {
  code: ErrorCode;
  say: string;
}

const table: Record<string, Mapping> = {
  CKR_PIN_INCORRECT: { code: 'PIN_INCORRECT', say: 'wrong PIN' },
  CKR_PIN_INVALID: {
    code: 'PIN_LEN_RANGE',
    say: 'the PIN has characters the token does not accept',
  },
  CKR_PIN_LEN_RANGE: {
    code: 'PIN_LEN_RANGE',
    say: 'the PIN is too short or too long for the token',
  },
  CKR_PIN_LOCKED: { code: 'PIN_LOCKED', say: 'the PIN is locked; unblock it with the SO PIN' },
  CKR_PIN_EXPIRED: { code: 'PIN_LOCKED', say: 'the PIN has expired and must be changed' },
  CKR_TOKEN_NOT_PRESENT: {
    code: 'TOKEN_REMOVED',
    say: 'the token was removed; plug it back in and try again',
  },
  CKR_DEVICE_REMOVED: {
    code: 'TOKEN_REMOVED',
    say: 'the token was removed; plug it back in and try again',
  },
  CKR_SESSION_HANDLE_INVALID: {
    code: 'TOKEN_REMOVED',
    say: 'the token session is gone (token removed?); plug it back in and try again',
  },
  CKR_SESSION_CLOSED: {
    code: 'TOKEN_REMOVED',
    say: 'the token session was closed (token removed?); plug it back in and try again',
  },
  CKR_TOKEN_NOT_RECOGNIZED: { code: 'TOKEN_NOT_FOUND', say: 'the token is not recognised' },
  CKR_SLOT_ID_INVALID: { code: 'TOKEN_NOT_FOUND', say: 'no such slot' },
  CKR_CURVE_NOT_SUPPORTED: {
    code: 'CURVE_UNSUPPORTED',
    say: 'the token does not support this curve',
  },
  CKR_DOMAIN_PARAMS_INVALID: {
    code: 'CURVE_UNSUPPORTED',
    say: 'the token does not support this curve',
  },
  CKR_MECHANISM_INVALID: {
    code: 'MECHANISM_UNSUPPORTED',
    say: 'the token does not offer this mechanism',
  },
  CKR_KEY_TYPE_INCONSISTENT: {
    code: 'MECHANISM_UNSUPPORTED',
    say: 'the key cannot be used this way',
  },
  CKR_DATA_LEN_RANGE: { code: 'DIGEST_INVALID', say: 'the data has the wrong length for this key' },
  CKR_OPERATION_ACTIVE: { code: 'DEVICE_BUSY', say: 'the token is busy with another operation' },
  CKR_SESSION_COUNT: { code: 'DEVICE_BUSY', say: 'the token has no free sessions' },
  CKR_USER_NOT_LOGGED_IN: { code: 'PIN_REQUIRED', say: 'the token needs a login first' },
  CKR_USER_PIN_NOT_INITIALIZED: {
    code: 'TOKEN_NOT_INITIALIZED',
    say: 'the token has no user PIN yet',
  },
  CKR_CRYPTOKI_NOT_INITIALIZED: {
    code: 'MODULE_INIT_FAILED',
    say: 'the module is not initialised',
  },
  CKR_DEVICE_MEMORY: { code: 'DEVICE_ERROR', say: 'the token is out of memory' },
  CKR_DEVICE_ERROR: { code: 'DEVICE_ERROR', say: 'the token reported a device error' },
  CKR_GENERAL_ERROR: { code: 'DEVICE_ERROR', say: 'the token reported a general error' },
  CKR_FUNCTION_FAILED: { code: 'DEVICE_ERROR', say: 'the token could not complete the operation' },
};

/** The CKR name of an error thrown by pkcs11js, or undefined if it is not one. */
export function ckrName(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /^CKR_[A-Z0-9_]+$/.test(message) ? message : undefined;
}

/**
 * Turns whatever pkcs11js threw into a SignetError. `doing` says what Signet was
 * trying to do, e.g. `signing with key "alice"`.
 */
export function fromPkcs11Error(error: unknown, doing: string): SignetError {
  if (error instanceof SignetError) return error;
  const ckr = ckrName(error);
  if (!ckr) {
    const message = error instanceof Error ? error.message : String(error);
    return new SignetError('DEVICE_ERROR', `${doing} failed: ${message}`, { cause: error });
  }
  const mapping = table[ckr] ?? { code: 'DEVICE_ERROR', say: `the token refused (${ckr})` };
  return new SignetError(mapping.code, `${doing} failed: ${mapping.say}`, {
    details: { ckr },
    cause: error,
  });
}
