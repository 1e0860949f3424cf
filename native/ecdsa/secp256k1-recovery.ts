/**
 * Finds the recovery id of a low-S secp256k1 signature. Finding it is also the
 * verification: the key recovered with the right parity is the signer's, and a
 * signature that recovers to the key under neither parity is not its signature.
 */
import { equalBytes } from '@noble/curves/utils.js';
import { libsecp256k1 } from './libsecp256k1.js';

/** Returns 0 or 1 if `rs` (r‖s, 64 bytes) is `publicKey`'s signature of `digest`, else null. */
export function secp256k1RecoveryId(
  digest: Uint8Array,
  rs: Uint8Array,
  publicKey: Uint8Array,
): 0 | 1 | null {
  for (const parity of [0, 1] as const) {
    const recovered = recoverKey(digest, rs, parity);
    if (recovered && equalBytes(recovered, publicKey)) return parity;
  }
  return null;
}

function recoverKey(digest: Uint8Array, rs: Uint8Array, parity: 0 | 1): Uint8Array | null {
  try {
    return libsecp256k1.ecdsaRecover(rs, parity, digest, false);
  } catch {
    // No point has x = r for this parity (or the key would be infinity): no signer.
    return null;
  }
}
