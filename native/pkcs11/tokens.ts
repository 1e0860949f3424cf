/** Slots and the tokens in them: what they are, their PIN state, what they can sign with. */
import { SignetError } from '../../core/api/errors.js';
import { CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA } from './constants.js';
import type { Pkcs11Module } from './module.js';
import { type Handle, pkcs11js } from './pkcs11js.js';
import { fromPkcs11Error } from './return-codes.js';
import { isTpmModule } from './tpm.js';
import { formatPkcs11Uri, matchesToken, type Pkcs11Uri } from './uri.js';

export interface TokenFlags {
  tokenInitialized: boolean;
  loginRequired: boolean;
  protectedAuthenticationPath: boolean;
  writeProtected: boolean;
  userPinInitialized: boolean;
  userPinCountLow: boolean;
  userPinFinalTry: boolean;
  userPinLocked: boolean;
  userPinToBeChanged: boolean;
  soPinCountLow: boolean;
  soPinFinalTry: boolean;
  soPinLocked: boolean;
  soPinToBeChanged: boolean;
}

export interface TokenDescription {
  /** The slot id as the module numbers it (may change after C_InitToken). */
  slot: number;
  slotHandle: Handle;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  flags: TokenFlags;
  minPinLength: number;
  maxPinLength: number;
  /** Names of the mechanisms the token can sign with. */
  mechanisms: string[];
  modulePath: string;
  /** A TPM-backed token (tpm2-pkcs11): P-256 only, wrong PINs counted by the TPM. */
  tpm: boolean;
}

export function slotNumber(handle: Handle): number {
  return Number(handle.length >= 8 ? handle.readBigUInt64LE() : handle.readUInt32LE());
}

export function readTokenFlags(flags: number): TokenFlags {
  const p = pkcs11js();
  const has = (bit: number) => (flags & bit) !== 0;
  return {
    tokenInitialized: has(p.CKF_TOKEN_INITIALIZED),
    loginRequired: has(p.CKF_LOGIN_REQUIRED),
    protectedAuthenticationPath: has(p.CKF_PROTECTED_AUTHENTICATION_PATH),
    writeProtected: has(p.CKF_WRITE_PROTECTED),
    userPinInitialized: has(p.CKF_USER_PIN_INITIALIZED),
    userPinCountLow: has(p.CKF_USER_PIN_COUNT_LOW),
    userPinFinalTry: has(p.CKF_USER_PIN_FINAL_TRY),
    userPinLocked: has(p.CKF_USER_PIN_LOCKED),
    userPinToBeChanged: has(p.CKF_USER_PIN_TO_BE_CHANGED),
    soPinCountLow: has(p.CKF_SO_PIN_COUNT_LOW),
    soPinFinalTry: has(p.CKF_SO_PIN_FINAL_TRY),
    soPinLocked: has(p.CKF_SO_PIN_LOCKED),
    soPinToBeChanged: has(p.CKF_SO_PIN_TO_BE_CHANGED),
  };
}

/** Listing options: `mechanisms: false` skips the mechanism list (mechanisms: []), for a caller that reads it later. */
export interface DescribeOptions {
  mechanisms?: boolean;
}

export function describeToken(
  module: Pkcs11Module,
  slotHandle: Handle,
  options: DescribeOptions = {},
): TokenDescription {
  try {
    const info = module.api.C_GetTokenInfo(slotHandle);
    return {
      slot: slotNumber(slotHandle),
      slotHandle,
      label: trimPadding(info.label),
      manufacturer: trimPadding(info.manufacturerID),
      model: trimPadding(info.model),
      serial: trimPadding(info.serialNumber),
      flags: readTokenFlags(info.flags),
      minPinLength: info.minPinLen,
      maxPinLength: info.maxPinLen,
      mechanisms: options.mechanisms === false ? [] : signingMechanisms(module, slotHandle),
      modulePath: module.path,
      tpm: isTpmModule(module.info()),
    };
  } catch (error) {
    throw fromPkcs11Error(error, `reading the token in slot ${slotNumber(slotHandle)}`);
  }
}

/**
 * The token in a known slot read again (label, serial, flags: they change with an init
 * or a login), its mechanisms kept: one C_GetTokenInfo rather than a listing.
 */
export function refreshToken(module: Pkcs11Module, token: TokenDescription): TokenDescription {
  try {
    const info = module.api.C_GetTokenInfo(token.slotHandle);
    return {
      ...token,
      label: trimPadding(info.label),
      manufacturer: trimPadding(info.manufacturerID),
      model: trimPadding(info.model),
      serial: trimPadding(info.serialNumber),
      flags: readTokenFlags(info.flags),
      minPinLength: info.minPinLen,
      maxPinLength: info.maxPinLen,
    };
  } catch (error) {
    throw fromPkcs11Error(error, `reading the token in slot ${token.slot}`);
  }
}

/**
 * Token info fields are fixed-width and padded with spaces; some tokens pad with
 * NULs instead (tpm2-pkcs11 copies the TPM's vendor string, NULs and all, into
 * the model), which must not end up in a URI.
 */
function trimPadding(field: string): string {
  return field.replace(/[\s\0]+$/, '');
}

/** Every slot that holds a token, initialised or not. */
export function listTokens(
  module: Pkcs11Module,
  options: DescribeOptions = {},
): TokenDescription[] {
  let slots: Handle[];
  try {
    slots = module.api.C_GetSlotList(true);
  } catch (error) {
    throw fromPkcs11Error(error, `listing the slots of ${module.path}`);
  }
  const tokens: TokenDescription[] = [];
  for (const slot of slots) {
    try {
      tokens.push(describeToken(module, slot, options));
    } catch (error) {
      // Pulled out between the two calls: that slot holds no token any more.
      if (error instanceof SignetError && error.code === 'TOKEN_REMOVED') continue;
      throw error;
    }
  }
  return tokens;
}

/**
 * The token a URI names. Exactly one token must match. The slots are listed
 * without their mechanisms (dozens of calls per token present); the match reads its own.
 */
export function findToken(module: Pkcs11Module, uri: Pkcs11Uri): TokenDescription {
  const listed = listTokens(module, { mechanisms: false });
  const match =
    uri.slotId !== undefined
      ? single(
          listed.filter((t) => t.slot === uri.slotId && matchesToken(uri, t)),
          uri,
        )
      : single(
          listed.filter((t) => t.flags.tokenInitialized && matchesToken(uri, t)),
          uri,
        );
  return describeToken(module, match.slotHandle);
}

function single(matches: TokenDescription[], uri: Pkcs11Uri): TokenDescription {
  const text = formatPkcs11Uri(uri);
  if (matches.length === 0) {
    throw new SignetError('TOKEN_NOT_FOUND', `no token matches ${text} (is it inserted?)`, {
      details: { uri: text },
    });
  }
  if (matches.length > 1) {
    throw new SignetError(
      'AMBIGUOUS_URI',
      `${matches.length} tokens match ${text}; add serial= to name one`,
      { details: { uri: text, serials: matches.map((t) => t.serial) } },
    );
  }
  return matches[0]!;
}

/** The URI that names this token from now on: by identity, never by slot. */
export function tokenUri(token: TokenDescription): Pkcs11Uri {
  const uri: Pkcs11Uri = { modulePath: token.modulePath };
  if (token.label) uri.token = token.label;
  if (token.manufacturer) uri.manufacturer = token.manufacturer;
  if (token.serial) uri.serial = token.serial;
  if (token.model) uri.model = token.model;
  return uri;
}

let mechanismNames: Map<number, string> | undefined;

export function mechanismName(mechanism: number): string {
  if (!mechanismNames) {
    mechanismNames = new Map([
      [CKM_EDDSA, 'CKM_EDDSA'],
      [CKM_EC_EDWARDS_KEY_PAIR_GEN, 'CKM_EC_EDWARDS_KEY_PAIR_GEN'],
    ]);
    for (const [name, value] of Object.entries(pkcs11js())) {
      if (name.startsWith('CKM_') && typeof value === 'number' && !mechanismNames.has(value)) {
        mechanismNames.set(value, name);
      }
    }
  }
  return mechanismNames.get(mechanism) ?? `0x${mechanism.toString(16).padStart(8, '0')}`;
}

function signingMechanisms(module: Pkcs11Module, slot: Handle): string[] {
  const { CKF_SIGN } = pkcs11js();
  return module.api
    .C_GetMechanismList(slot)
    .filter((mechanism) => (module.api.C_GetMechanismInfo(slot, mechanism).flags & CKF_SIGN) !== 0)
    .map(mechanismName);
}
