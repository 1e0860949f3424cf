/**
 * Checks an Ed25519 signature a token returned before anything uses it (PKCS#11 CKM_EDDSA gives
 * the 64-byte R‖S directly, no format games).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { SignetError } from '../../core/api/errors.js';

/**
 * Throws SignetError('SIGNATURE_INVALID', …) unless `signature` is a valid Ed25519 signature of
 * `message` by `publicKey` (32 bytes). Strict RFC 8032 decoding (`zip215: false`), not ZIP-215:
 * a signature we pass on should verify under every verifier, and strict mode also rejects
 * small-order keys.
 */
export function verifyEd25519(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): void {
  if (publicKey.length !== 32) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `Ed25519 public key must be 32 bytes, got ${publicKey.length}`,
    );
  }
  if (signature.length !== 64) {
    throw new SignetError(
      'SIGNATURE_INVALID',
      `token returned a malformed signature: Ed25519 signatures are 64 bytes, got ${signature.length}`,
    );
  }
  if (!ed25519.verify(signature, message, publicKey, { zip215: false })) {
    throw new SignetError(
      'SIGNATURE_INVALID',
      "token's Ed25519 signature does not verify against the key's public key",
    );
  }
}
