import { createHash, generateKeyPairSync, type JsonWebKey, sign, verify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, concatBytes, equalBytes, numberToBytesBE } from '@noble/curves/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SignetError } from '../../core/api/errors.js';
import { type EcdsaCurve, normaliseEcdsaSignature } from './normalise.js';

const noble = { secp256k1, p256 } as const;
const order = (curve: EcdsaCurve) => noble[curve].Point.CURVE().n;

function thrown(run: () => unknown): SignetError {
  try {
    run();
  } catch (error) {
    return error as SignetError;
  }
  throw new Error('did not throw');
}

const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const secretArb = (curve: EcdsaCurve) =>
  fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .filter((key) => noble[curve].utils.isValidSecretKey(key));

/** What a token might return for `digest`: noble's low-S signature, optionally made high-S, raw or DER. */
function tokenSignature(
  curve: EcdsaCurve,
  digest: Uint8Array,
  secret: Uint8Array,
  high: boolean,
  der: boolean,
) {
  const { Signature } = noble[curve];
  const low = Signature.fromBytes(noble[curve].sign(digest, secret, { prehash: false }));
  const sent = high ? new Signature(low.r, order(curve) - low.s) : low;
  return { low, output: sent.toBytes(der ? 'der' : 'compact') };
}

describe.each(['secp256k1', 'p256'] as const)('normaliseEcdsaSignature on %s', (curve) => {
  const n = order(curve);

  it('returns the low-S signature (and the right v on secp256k1) for high and low S, raw and DER', () => {
    fc.assert(
      fc.property(
        secretArb(curve),
        digestArb,
        fc.boolean(),
        fc.boolean(),
        (secret, digest, high, der) => {
          const publicKey = noble[curve].getPublicKey(secret, false);
          const { low, output } = tokenSignature(curve, digest, secret, high, der);
          const result = normaliseEcdsaSignature(curve, digest, output, publicKey);
          expect(result.r).toBe(low.r);
          expect(result.s).toBe(low.s);
          expect(result.s <= n / 2n).toBe(true);
          expect(bytesToHex(result.signature)).toBe(bytesToHex(low.toBytes('compact')));
          if (curve === 'p256') {
            expect(result.v).toBeUndefined();
            return;
          }
          expect(result.v === 0 || result.v === 1).toBe(true);
          const recovered = secp256k1.Signature.fromBytes(result.signature)
            .addRecoveryBit(result.v!)
            .recoverPublicKey(digest)
            .toBytes(false);
          expect(bytesToHex(recovered)).toBe(bytesToHex(publicKey));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects a signature over another digest or by another key', () => {
    fc.assert(
      fc.property(
        secretArb(curve),
        secretArb(curve),
        digestArb,
        digestArb,
        fc.boolean(),
        (secret, otherSecret, digest, otherDigest, high) => {
          fc.pre(!equalBytes(secret, otherSecret) && !equalBytes(digest, otherDigest));
          const publicKey = noble[curve].getPublicKey(secret, false);
          const { output } = tokenSignature(curve, digest, secret, high, false);
          for (const [d, key] of [
            [otherDigest, publicKey],
            [digest, noble[curve].getPublicKey(otherSecret, false)],
          ] as const) {
            const error = thrown(() => normaliseEcdsaSignature(curve, d, output, key));
            expect(error.code).toBe('SIGNATURE_INVALID');
            expect(error.message).toBe(
              `token's ${curve} signature does not verify against the key's public key`,
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('agrees with OpenSSL (node:crypto), which signs with high S as often as low', () => {
    const keys = generateKeyPairSync('ec', { namedCurve: curve === 'p256' ? 'prime256v1' : curve });
    const jwk = keys.publicKey.export({ format: 'jwk' }) as JsonWebKey;
    const publicKey = concatBytes(
      Uint8Array.of(4),
      Buffer.from(jwk.x!, 'base64url'),
      Buffer.from(jwk.y!, 'base64url'),
    );
    let highS = 0;
    for (let i = 0; i < 64; i++) {
      // ECDSA in OpenSSL hashes its input, so sign the preimage and normalise over its SHA-256.
      const preimage = Buffer.from(`signet test message ${i}`);
      const digest = createHash('sha256').update(preimage).digest();
      const dsaEncoding = i % 2 ? 'der' : 'ieee-p1363';
      const output = sign('sha256', preimage, { key: keys.privateKey, dsaEncoding });
      const sent = noble[curve].Signature.fromBytes(output, i % 2 ? 'der' : 'compact');
      if (sent.s > n / 2n) highS++;
      const result = normaliseEcdsaSignature(curve, digest, output, publicKey);
      expect(result.s <= n / 2n).toBe(true);
      const ok = verify(
        'sha256',
        preimage,
        { key: jwk, format: 'jwk', dsaEncoding: 'ieee-p1363' },
        result.signature,
      );
      expect(ok).toBe(true);
      if (curve === 'secp256k1') {
        const recovered = secp256k1.Signature.fromBytes(result.signature)
          .addRecoveryBit(result.v!)
          .recoverPublicKey(digest)
          .toBytes(false);
        expect(equalBytes(recovered, publicKey)).toBe(true);
      }
    }
    expect(highS).toBeGreaterThan(0); // the normalisation path was exercised
  });

  it('rejects r or s not below the group order', () => {
    const publicKey = noble[curve].getPublicKey(noble[curve].utils.randomSecretKey(), false);
    const digest = new Uint8Array(32).fill(1);
    for (const [r, s, which] of [
      [n, 1n, 'r'],
      [1n, n, 's'],
    ] as const) {
      const raw = concatBytes(numberToBytesBE(r, 32), numberToBytesBE(s, 32));
      const error = thrown(() => normaliseEcdsaSignature(curve, digest, raw, publicKey));
      expect(error.code).toBe('SIGNATURE_INVALID');
      expect(error.message).toBe(
        `token returned a malformed signature: ${which} is not below the ${curve} group order`,
      );
    }
  });

  it('rejects a digest that is not 32 bytes', () => {
    const publicKey = noble[curve].getPublicKey(noble[curve].utils.randomSecretKey(), false);
    for (const length of [0, 31, 33, 64]) {
      const error = thrown(() =>
        normaliseEcdsaSignature(
          curve,
          new Uint8Array(length),
          new Uint8Array(64).fill(1),
          publicKey,
        ),
      );
      expect(error.code).toBe('DIGEST_INVALID');
      expect(error.message).toBe(`digest must be 32 bytes, got ${length}`);
    }
  });

  it('rejects a public key that is not an uncompressed point on the curve', () => {
    const good = noble[curve].getPublicKey(noble[curve].utils.randomSecretKey(), false);
    const offCurve = good.slice();
    offCurve[64]! ^= 1;
    const compressed = noble[curve].getPublicKey(noble[curve].utils.randomSecretKey(), true);
    for (const key of [offCurve, compressed, good.subarray(1)]) {
      const error = thrown(() =>
        normaliseEcdsaSignature(curve, new Uint8Array(32), new Uint8Array(64).fill(1), key),
      );
      expect(error.code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('normaliseEcdsaSignature on secp256k1: corner cases of the recovery id', () => {
  const n = order('secp256k1');
  const { Point, Signature } = secp256k1;

  function expectRecovers(digest: Uint8Array, output: Uint8Array, publicKey: Uint8Array) {
    const result = normaliseEcdsaSignature('secp256k1', digest, output, publicKey);
    const recovered = Signature.fromBytes(result.signature)
      .addRecoveryBit(result.v!)
      .recoverPublicKey(digest)
      .toBytes(false);
    expect(bytesToHex(recovered)).toBe(bytesToHex(publicKey));
    return result.v;
  }

  it('handles digests ≡ 0 mod n (where Q0 + Q1 is the point at infinity) with both parities', () => {
    const seen = new Set<number | undefined>();
    for (const digest of [new Uint8Array(32), numberToBytesBE(n, 32)]) {
      for (let i = 1; i <= 12; i++) {
        const secret = numberToBytesBE(BigInt(i) * 0x1234567n, 32);
        const publicKey = secp256k1.getPublicKey(secret, false);
        const { output } = tokenSignature('secp256k1', digest, secret, i % 2 === 0, false);
        seen.add(expectRecovers(digest, output, publicKey));
      }
    }
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('handles a signature whose parity-0 key is the point at infinity', () => {
    // Q0 = r⁻¹(s·R0 − z·G) is infinity when z = s·k0 (R0 = k0·G, even y); then the signer is
    // Q1 = −2·z·r⁻¹·G, and libsecp256k1 has no byte form for Q0 to compare with.
    for (const k of [3n, 5n, 7n, 11n]) {
      const R = Point.BASE.multiply(k);
      const k0 = R.y % 2n === 0n ? k : n - k;
      const r = R.x % n;
      const s = 0x1234n * k;
      const z = (s * k0) % n;
      const d = (n - ((2n * z * secp256k1.Point.Fn.inv(r)) % n)) % n;
      const publicKey = Point.BASE.multiply(d).toBytes(false);
      const output = concatBytes(numberToBytesBE(r, 32), numberToBytesBE(s, 32));
      expect(expectRecovers(numberToBytesBE(z, 32), output, publicKey)).toBe(1);
    }
  });

  it('rejects an r that is not the x of any point', () => {
    const isX = (x: bigint) => {
      try {
        Point.fromBytes(concatBytes(Uint8Array.of(2), numberToBytesBE(x, 32)));
        return true;
      } catch {
        return false;
      }
    };
    let r = 1n;
    while (isX(r)) r++;
    const publicKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false);
    const output = concatBytes(numberToBytesBE(r, 32), numberToBytesBE(1n, 32));
    const error = thrown(() =>
      normaliseEcdsaSignature('secp256k1', new Uint8Array(32).fill(9), output, publicKey),
    );
    expect(error.code).toBe('SIGNATURE_INVALID');
  });

  it('rejects a curve it does not know', () => {
    const error = thrown(() =>
      normaliseEcdsaSignature(
        'ed25519' as EcdsaCurve,
        new Uint8Array(32),
        new Uint8Array(64),
        new Uint8Array(65),
      ),
    );
    expect(error.code).toBe('CURVE_UNSUPPORTED');
  });
});
