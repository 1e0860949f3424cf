/**
 * What is different about TPM-backed tokens (tpm2-pkcs11), in one place:
 *
 * - Recognised by the module, not the token: C_GetTokenInfo carries the TPM's own
 *   vendor ("IBM" for swtpm, "Intel", "Infineon", …) and vendor string as
 *   manufacturer and model, which say nothing about tpm2-pkcs11; C_GetInfo names
 *   tpm2-pkcs11 itself.
 * - P-256 keys only among Signet's curves: a secp256k1 key pair fails on the token
 *   with a vendor-defined error, so Signet refuses it first, in words.
 * - Wrong PINs are counted by the TPM's dictionary-attack protection, not by the
 *   PIN flags: the tries left and the lockout come from the TPM (native/tpm/lockout.ts).
 */
import { SignetError } from '../../core/api/errors.js';
import type { PinRole } from '../pin.js';
import { lockoutWords, readTpmLockout, type TpmLockout } from '../tpm/lockout.js';
import type { Curve } from './curves.js';
import type { ModuleInfo } from './module.js';
import type { TokenDescription } from './tokens.js';

/** tpm2-pkcs11's C_GetInfo manufacturerID. */
export const TPM2_PKCS11_MANUFACTURER = 'tpm2-software.github.io';

export function isTpmModule(info: ModuleInfo): boolean {
  return info.manufacturer === TPM2_PKCS11_MANUFACTURER;
}

/** The curves of Signet's that a TPM token makes keys on. */
export const tpmCurves: readonly Curve[] = ['p256'];

/** Refuses, before the token is asked, a curve a TPM token cannot hold. */
export function checkTpmCurve(curve: Curve, tokenLabel: string): void {
  if (tpmCurves.includes(curve)) return;
  throw new SignetError(
    'CURVE_UNSUPPORTED',
    `token "${tokenLabel}" is a TPM token, and TPM tokens hold P-256 keys only: use --curve p256, not ${curve}`,
    { details: { curve, supported: [...tpmCurves] } },
  );
}

/**
 * tpm2-pkcs11 refuses C_InitToken on an initialised token (CKR_ARGUMENTS_BAD) and
 * always keeps one free slot to initialise: say so instead of trying.
 */
export function refuseTpmReinit(tokenLabel: string, slot: number): never {
  throw new SignetError(
    'INVALID_ARGUMENT',
    `token "${tokenLabel}" in slot ${slot} is a TPM token, which cannot be re-initialised; initialise the free slot instead (--free), or remove this token with tpm2_ptool rmtoken`,
    { details: { slot, label: tokenLabel } },
  );
}

/**
 * Every tpm2-pkcs11 token has the serial 0000000000000000, so only its label tells
 * it apart in a URI: a second token of the same TPM with the same label could
 * never be named. Refused before the init.
 */
export function refuseSharedTpmLabel(tokens: TokenDescription[], label: string): void {
  const taken = tokens.some((t) => t.flags.tokenInitialized && t.label === label);
  if (!taken) return;
  throw new SignetError(
    'INVALID_ARGUMENT',
    `this TPM already has a token labelled "${label}"; TPM tokens share one serial number, so only the label tells them apart: choose another label`,
    { details: { label } },
  );
}

/**
 * A wrong or refused PIN on a TPM token, with the tries left from the TPM's own
 * counter (read after the failure, so it includes it) and when it forgives one.
 */
export async function tpmPinError(
  ckr: 'CKR_PIN_INCORRECT' | 'CKR_PIN_LOCKED',
  role: PinRole,
  tokenLabel: string,
  serial: string,
): Promise<SignetError> {
  const lockout = await readTpmLockout();
  const who = role === 'so' || role === 'new-so' ? 'SO PIN' : 'PIN';
  const token = `token "${tokenLabel}"`;
  const details = {
    ckr,
    role,
    retryState: retryStateOf(lockout),
    ...(lockout.known ? { triesLeft: lockout.triesLeft } : {}),
    tpmLockout: lockout,
    token: serial,
  };
  const words = lockoutWords(lockout);
  if (ckr === 'CKR_PIN_LOCKED') {
    // The TPM refused to try the PIN at all: right or wrong, it was not checked.
    const why = lockout.known
      ? words
      : `the TPM refuses every PIN after too many wrong ones, for a while (${words})`;
    return new SignetError('PIN_LOCKED', `the ${who} of ${token} cannot be tried now: ${why}`, {
      details,
    });
  }
  // This wrong PIN may have been the one that locked the TPM.
  const code = lockout.known && lockout.locked ? 'PIN_LOCKED' : 'PIN_INCORRECT';
  return new SignetError(code, `wrong ${who} for ${token}; ${words}`, { details });
}

/** The PKCS#11-style retry state the UI already words, from the TPM's counter. */
function retryStateOf(lockout: TpmLockout): 'locked' | 'final-try' | 'count-low' | 'unknown' {
  if (!lockout.known) return 'unknown';
  if (lockout.locked || lockout.triesLeft === 0) return 'locked';
  if (lockout.triesLeft === 1) return 'final-try';
  return lockout.failures > 0 ? 'count-low' : 'unknown';
}
