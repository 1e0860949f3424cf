/**
 * Key pairs on a token: generate, list, find by URI, delete. Private keys are
 * made on the token, as token objects, sensitive and never extractable.
 */
import { randomBytes } from 'node:crypto';
import { SignetError } from '../../core/api/errors.js';
import type { TokenConnection } from './connection.js';
import { CKK_EC_EDWARDS } from './constants.js';
import { type Curve, curveFromParams, curveSpec, publicKeyFromEcPoint } from './curves.js';
import { findObjects } from './find-objects.js';
import { type Handle, pkcs11js } from './pkcs11js.js';
import { fromPkcs11Error } from './return-codes.js';
import { tokenUri } from './tokens.js';
import { checkTpmCurve } from './tpm.js';
import { formatPkcs11Uri, type Pkcs11Uri } from './uri.js';

export interface KeyProtection {
  sensitive: boolean;
  extractable: boolean;
  alwaysSensitive: boolean;
  neverExtractable: boolean;
  /** Generated on the token (not imported). */
  local: boolean;
  /** All of the above as they should be: the key can never have left the hardware. */
  hardwareProtected: boolean;
}

export interface TokenKey {
  uri: Pkcs11Uri;
  label: string;
  id: Uint8Array;
  curve: Curve;
  publicKey: Uint8Array;
  protection: KeyProtection;
  privateHandle: Handle;
  publicHandle: Handle;
}

export async function generateKeyPair(
  connection: TokenConnection,
  curve: Curve,
  label: string,
): Promise<TokenKey> {
  const p = pkcs11js();
  const spec = curveSpec(curve);
  if (connection.token.tpm) checkTpmCurve(curve, connection.token.label);
  if (!connection.token.mechanisms.includes(mechanismNameOfSign(curve))) {
    throw new SignetError(
      'CURVE_UNSUPPORTED',
      `token "${connection.token.label}" cannot make ${curve} keys`,
      { details: { curve } },
    );
  }
  const id = randomBytes(16);
  const common = [
    { type: p.CKA_TOKEN, value: true },
    { type: p.CKA_LABEL, value: label },
    { type: p.CKA_ID, value: id },
    { type: p.CKA_KEY_TYPE, value: spec.keyType },
  ];
  const publicTemplate = [
    ...common,
    { type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY },
    { type: p.CKA_PRIVATE, value: false },
    { type: p.CKA_VERIFY, value: true },
    { type: p.CKA_EC_PARAMS, value: Buffer.from(spec.params[0]!, 'hex') },
  ];
  const privateTemplate = [
    ...common,
    { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY },
    { type: p.CKA_PRIVATE, value: true },
    { type: p.CKA_SIGN, value: true },
    { type: p.CKA_SENSITIVE, value: true },
    { type: p.CKA_EXTRACTABLE, value: false },
    { type: p.CKA_DERIVE, value: false },
  ];
  return connection.withSession((session) => {
    try {
      const pair = connection.module.api.C_GenerateKeyPair(
        session,
        { mechanism: spec.generate },
        publicTemplate,
        privateTemplate,
      );
      return readKey(connection, session, pair.privateKey)!;
    } catch (error) {
      throw fromPkcs11Error(
        error,
        `generating a ${curve} key on token "${connection.token.label}"`,
      );
    }
  });
}

/** Every key pair on the token that Signet can sign with. */
export function listKeys(connection: TokenConnection): Promise<TokenKey[]> {
  const p = pkcs11js();
  return connection.withSession((session) => {
    try {
      return findObjects(connection, session, [{ type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY }])
        .map((handle) => readKey(connection, session, handle))
        .filter((key): key is TokenKey => key !== undefined);
    } catch (error) {
      throw fromPkcs11Error(error, `listing the keys on token "${connection.token.label}"`);
    }
  });
}

/** The one key a URI names (by id and/or object label). */
export async function findKey(connection: TokenConnection, uri: Pkcs11Uri): Promise<TokenKey> {
  const text = formatPkcs11Uri(uri);
  if (uri.type !== undefined && uri.type !== 'private') {
    throw new SignetError(
      'INVALID_URI',
      `${text} names a ${uri.type} object; name the private key`,
      {
        details: { uri: text },
      },
    );
  }
  const matches = (await listKeys(connection)).filter(
    (key) =>
      (uri.id === undefined || Buffer.from(uri.id).equals(Buffer.from(key.id))) &&
      (uri.object === undefined || uri.object === key.label),
  );
  if (matches.length === 0) {
    throw new SignetError(
      'KEY_NOT_FOUND',
      `no key on token "${connection.token.label}" matches ${text}`,
      {
        details: { uri: text },
      },
    );
  }
  if (matches.length > 1) {
    throw new SignetError(
      'AMBIGUOUS_URI',
      `${matches.length} keys match ${text}; add id= to name one`,
      {
        details: { uri: text },
      },
    );
  }
  return matches[0]!;
}

/** The private key object with this CKA_ID, looked up again under the current login. */
export function findPrivateHandle(
  connection: TokenConnection,
  session: Handle,
  id: Uint8Array,
): Handle {
  const p = pkcs11js();
  const [handle] = findObjects(connection, session, [
    { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY },
    { type: p.CKA_ID, value: Buffer.from(id) },
  ]);
  if (!handle) {
    throw new SignetError(
      'KEY_NOT_FOUND',
      `the key is no longer on token "${connection.token.label}"`,
    );
  }
  return handle;
}

export function deleteKey(connection: TokenConnection, key: TokenKey): Promise<void> {
  return connection.withSession((session) => {
    try {
      connection.module.api.C_DestroyObject(session, key.privateHandle);
      connection.module.api.C_DestroyObject(session, key.publicHandle);
    } catch (error) {
      throw fromPkcs11Error(error, `deleting key "${key.label}"`);
    }
  });
}

function readKey(
  connection: TokenConnection,
  session: Handle,
  privateHandle: Handle,
): TokenKey | undefined {
  const p = pkcs11js();
  const api = connection.module.api;
  const [keyType, id, label] = api
    .C_GetAttributeValue(session, privateHandle, [
      { type: p.CKA_KEY_TYPE },
      { type: p.CKA_ID },
      { type: p.CKA_LABEL },
    ])
    .map((attribute) => attribute.value as Buffer);
  const type = keyType!.readUIntLE(0, Math.min(keyType!.length, 6));
  if (type !== p.CKK_EC && type !== CKK_EC_EDWARDS) return undefined;
  // The curve and public point live on the public object with the same CKA_ID.
  const [publicHandle] = findObjects(connection, session, [
    { type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY },
    { type: p.CKA_ID, value: id! },
  ]);
  if (!publicHandle) return undefined;
  const [params, point] = api
    .C_GetAttributeValue(session, publicHandle, [
      { type: p.CKA_EC_PARAMS },
      { type: p.CKA_EC_POINT },
    ])
    .map((attribute) => attribute.value as Buffer);
  const curve = curveFromParams(params!);
  if (!curve) return undefined;
  const keyLabel = label!.toString('utf8');
  return {
    uri: { ...tokenUri(connection.token), object: keyLabel, id: new Uint8Array(id!) },
    label: keyLabel,
    id: new Uint8Array(id!),
    curve,
    publicKey: publicKeyFromEcPoint(curve, point!),
    protection: readProtection(connection, session, privateHandle),
    privateHandle,
    publicHandle,
  };
}

function readProtection(
  connection: TokenConnection,
  session: Handle,
  handle: Handle,
): KeyProtection {
  const p = pkcs11js();
  const flag = (type: number): boolean => {
    try {
      const [attribute] = connection.module.api.C_GetAttributeValue(session, handle, [{ type }]);
      return (attribute?.value as Buffer | undefined)?.[0] === 1;
    } catch {
      return false; // An attribute the token does not report protects nothing.
    }
  };
  const protection = {
    sensitive: flag(p.CKA_SENSITIVE),
    extractable: flag(p.CKA_EXTRACTABLE),
    alwaysSensitive: flag(p.CKA_ALWAYS_SENSITIVE),
    neverExtractable: flag(p.CKA_NEVER_EXTRACTABLE),
    local: flag(p.CKA_LOCAL),
  };
  const hardwareProtected =
    protection.sensitive &&
    !protection.extractable &&
    protection.alwaysSensitive &&
    protection.neverExtractable &&
    protection.local;
  return { ...protection, hardwareProtected };
}

function mechanismNameOfSign(curve: Curve): string {
  return curve === 'ed25519' ? 'CKM_EDDSA' : 'CKM_ECDSA';
}
