/**
 * Turns whatever a token returned for CKM_ECDSA into a verified low-S r‖s (plus the recovery id on
 * secp256k1). Tokens give no recovery id and a high s about two times in three; Ethereum and
 * most verifiers reject high s. Nothing leaves here unverified: a token that signs with another
 * key, or returns garbage, must not reach a chain.
 */
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { numberToBytesBE } from '@noble/curves/utils.js';
import { SignetError } from '../../core/api/errors.js';
import { libsecp256k1 } from './libsecp256k1.js';
import { secp256k1RecoveryId } from './secp256k1-recovery.js';
import { parseEcdsaSignature } from './signature-format.js';

export type EcdsaCurve = 'secp256k1' | 'p256';

export interface NormalisedSignature {
  r: bigint;
  s: bigint;
  /** r‖s, 64 bytes, low-S */
  signature: Uint8Array;
  /** secp256k1 only: recovery id 0/1 for the low-S signature */
  v?: 0 | 1;
}

const orders: Record<EcdsaCurve, bigint> = {
  secp256k1: secp256k1.Point.CURVE().n,
  p256: p256.Point.CURVE().n,
};

function isUncompressedPoint(curve: EcdsaCurve, key: Uint8Array): boolean {
  if (key.length !== 65 || key[0] !== 0x04) return false;
  return curve === 'secp256k1'
    ? libsecp256k1.publicKeyVerify(key)
    : p256.utils.isValidPublicKey(key, false);
}

/**
 * Parses, normalises to low-S and verifies against the key's public key (SEC1 uncompressed,
 * 65 bytes). Throws SignetError('SIGNATURE_INVALID', …) if it does not verify — a bad signature
 * is never returned.
 */
export function normaliseEcdsaSignature(
  curve: EcdsaCurve,
  digest: Uint8Array,
  tokenOutput: Uint8Array,
  publicKey: Uint8Array,
): NormalisedSignature {
  const n = Object.hasOwn(orders, curve) ? orders[curve] : undefined;
  if (n === undefined) {
    throw new SignetError('CURVE_UNSUPPORTED', `ECDSA on curve ${String(curve)} is not supported`);
  }
  if (digest.length !== 32) {
    throw new SignetError('DIGEST_INVALID', `digest must be 32 bytes, got ${digest.length}`);
  }
  if (!isUncompressedPoint(curve, publicKey)) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `public key is not a 65-byte uncompressed ${curve} point (got ${publicKey.length} bytes)`,
    );
  }
  const parsed = parseEcdsaSignature(tokenOutput, 32);
  if (parsed.r >= n || parsed.s >= n) {
    const which = parsed.r >= n ? 'r' : 's';
    throw new SignetError(
      'SIGNATURE_INVALID',
      `token returned a malformed signature: ${which} is not below the ${curve} group order`,
    );
  }
  const { r } = parsed;
  const s = parsed.s > n >> 1n ? n - parsed.s : parsed.s;
  const signature = new Uint8Array(64);
  signature.set(numberToBytesBE(r, 32), 0);
  signature.set(numberToBytesBE(s, 32), 32);

  let v: 0 | 1 | undefined;
  let valid: boolean;
  if (curve === 'secp256k1') {
    // v is computed for the final low-S signature, so flipping s needs no parity bookkeeping.
    const found = secp256k1RecoveryId(digest, signature, publicKey);
    valid = found !== null;
    if (found !== null) v = found;
  } else {
    valid = p256.verify(signature, digest, publicKey, { prehash: false, lowS: true });
  }
  if (!valid) {
    throw new SignetError(
      'SIGNATURE_INVALID',
      `token's ${curve} signature does not verify against the key's public key`,
      { details: { curve } },
    );
  }
  return v === undefined ? { r, s, signature } : { r, s, signature, v };
}
