/**
 * Branch-staff operations on a token: initialise it, set and change the user
 * PIN, unblock a locked PIN with the SO PIN.
 */
import { SignetError } from '../../core/api/errors.js';
import type { PinProvider } from '../pin.js';
import { withPin } from '../pin.js';
import { checkPinLength, TokenConnection } from './connection.js';
import type { Pkcs11Module } from './module.js';
import type { Handle } from './pkcs11js.js';
import { fromPkcs11Error } from './return-codes.js';
import { describeToken, listTokens, refreshToken, type TokenDescription } from './tokens.js';
import { refuseSharedTpmLabel, refuseTpmReinit } from './tpm.js';

const LABEL_BYTES = 32;

export interface InitTokenOptions {
  label: string;
  /** Re-initialising erases every key on the token: the caller must confirm. */
  confirmErase?: boolean;
}

/**
 * Initialises the token in `slot` with a label and a new SO PIN, then sets the
 * user PIN. Returns the token as found afterwards: SoftHSM2 moves a freshly
 * initialised token to a new slot, so it is found again by label and serial.
 */
export async function initToken(
  module: Pkcs11Module,
  slot: Handle,
  options: InitTokenOptions,
  pins: PinProvider,
): Promise<TokenDescription> {
  const before = describeToken(module, slot);
  const label = paddedLabel(options.label);
  if (before.flags.tokenInitialized && before.tpm) refuseTpmReinit(before.label, before.slot);
  if (before.flags.tokenInitialized && !options.confirmErase) {
    throw new SignetError(
      'CONFIRMATION_REQUIRED',
      `the token in slot ${before.slot} is already initialised as "${before.label}"; re-initialising erases its keys (confirm with --yes)`,
      { details: { slot: before.slot, label: before.label } },
    );
  }
  if (before.tpm) refuseSharedTpmLabel(listTokens(module), options.label);
  // A token initialised before, with a serial of its own, keeps it: it is read again in
  // its slot, not looked for among every token (a batch re-initialises dozens).
  const bySerial = before.flags.tokenInitialized && before.serial !== '' && !before.tpm;
  const tokensBefore = bySerial
    ? undefined
    : new Set(
        listTokens(module)
          .filter((t) => t.flags.tokenInitialized && t.slot !== before.slot)
          .map(identity),
      );
  const findAgain = () =>
    tokensBefore
      ? findInitialised(module, options.label, tokensBefore)
      : findReinitialised(module, before, options.label);
  // The SO PIN is used twice (init, then SO login to set the user PIN): ask once.
  const soPin = await pins({ role: 'new-so', token: options.label });
  try {
    checkPinLength(before, 'new-so', soPin.toString('utf8'));
    await withPin(pins, { role: 'new-user', token: options.label }, async (userPin) => {
      checkPinLength(before, 'new-user', userPin);
      try {
        module.api.C_InitToken(slot, soPin.toString('utf8'), label);
      } catch (error) {
        throw fromPkcs11Error(error, `initialising the token in slot ${before.slot}`);
      }
      const token = findAgain();
      const connection = new TokenConnection(module, token, { write: true });
      try {
        await connection.logIn('so', async () => Buffer.from(soPin));
        await connection.withSession((session) => {
          try {
            module.api.C_InitPIN(session, userPin);
          } catch (error) {
            throw fromPkcs11Error(error, `setting the user PIN of token "${token.label}"`);
          }
        });
      } finally {
        connection.close();
      }
    });
  } finally {
    soPin.fill(0);
  }
  return findAgain();
}

/** Changes the user PIN: asks for the current PIN, then the new one. */
export async function changeUserPin(connection: TokenConnection, pins: PinProvider): Promise<void> {
  const token = connection.token;
  await withPin(pins, { role: 'user', token: token.label }, (oldPin) =>
    withPin(pins, { role: 'new-user', token: token.label }, async (newPin) => {
      checkPinLength(token, 'new-user', newPin);
      // tpm2-pkcs11 (1.9) answers C_SetPIN outside a login with CKR_OK even when the
      // current PIN is wrong (the TPM refused, and the PIN stays as it was): log in
      // with it first, which checks it and says what the TPM counted.
      if (token.tpm) await connection.logIn('user', async () => Buffer.from(oldPin));
      return connection.withSession(async (session) => {
        try {
          connection.module.api.C_SetPIN(session, oldPin, newPin);
        } catch (error) {
          throw await connection.pinError(error, 'user');
        }
      });
    }),
  );
}

/** Sets a new user PIN with the SO PIN: unblocks a locked PIN, or sets a first one. */
export async function unblockUserPin(
  connection: TokenConnection,
  pins: PinProvider,
): Promise<void> {
  await connection.logIn('so', pins);
  await withPin(pins, { role: 'new-user', token: connection.token.label }, (newPin) => {
    checkPinLength(connection.token, 'new-user', newPin);
    return connection.withSession((session) => {
      try {
        connection.module.api.C_InitPIN(session, newPin);
      } catch (error) {
        throw fromPkcs11Error(error, `setting the user PIN of token "${connection.token.label}"`);
      }
    });
  });
}

/** Token labels are 32 bytes padded with spaces (not NULs). */
function paddedLabel(label: string): string {
  const bytes = Buffer.byteLength(label);
  if (label.length === 0 || bytes > LABEL_BYTES || label !== label.trim()) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `a token label must be 1 to ${LABEL_BYTES} bytes without leading or trailing spaces, not "${label}"`,
    );
  }
  return label + ' '.repeat(LABEL_BYTES - bytes);
}

/**
 * What tells one initialised token from another across an init: slot and serial
 * together. SoftHSM2 gives the new token a new slot (and serial); tpm2-pkcs11 keeps
 * the slot but gives every token the same serial, 0000000000000000.
 */
function identity(token: TokenDescription): string {
  return `${token.slot}/${token.serial}`;
}

/** A re-initialised token by its serial: in its slot if it is still there, else among all. */
function findReinitialised(
  module: Pkcs11Module,
  before: TokenDescription,
  label: string,
): TokenDescription {
  const same = (t: TokenDescription) =>
    t.serial === before.serial && t.label === label && t.flags.tokenInitialized;
  try {
    const inSlot = refreshToken(module, before);
    if (same(inSlot)) return inSlot;
  } catch (error) {
    if (!(error instanceof SignetError)) throw error; // moved to another slot: look below
  }
  const matches = listTokens(module).filter(same);
  if (matches.length !== 1) {
    throw new SignetError(
      'DEVICE_ERROR',
      `re-initialised token "${label}" (serial ${before.serial}) could not be found again (${matches.length} candidates)`,
    );
  }
  return matches[0]!;
}

function findInitialised(
  module: Pkcs11Module,
  label: string,
  tokensBefore: Set<string>,
): TokenDescription {
  const matches = listTokens(module).filter(
    (t) => t.label === label && t.flags.tokenInitialized && !tokensBefore.has(identity(t)),
  );
  if (matches.length !== 1) {
    throw new SignetError(
      'DEVICE_ERROR',
      `initialised token "${label}" could not be found again (${matches.length} candidates)`,
    );
  }
  return matches[0]!;
}
