import { generateKeyPairSync, type JsonWebKey, sign } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyEd25519 } from './ed25519.js';

const secretArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const messageArb = fc.uint8Array({ maxLength: 200 });
const rejects = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) =>
  expect(() => verifyEd25519(message, signature, publicKey)).toThrow(
    expect.objectContaining({ code: 'SIGNATURE_INVALID' }),
  );

describe('verifyEd25519', () => {
  it('accepts noble signatures and rejects any flipped bit in signature or message', () => {
    fc.assert(
      fc.property(secretArb, messageArb, fc.nat(), (secret, message, bit) => {
        const publicKey = ed25519.getPublicKey(secret);
        const signature = ed25519.sign(message, secret);
        verifyEd25519(message, signature, publicKey);
        const badSignature = signature.slice();
        badSignature[(bit >> 3) % 64]! ^= 1 << (bit & 7);
        rejects(message, badSignature, publicKey);
        if (message.length > 0) {
          const badMessage = message.slice();
          badMessage[(bit >> 3) % message.length]! ^= 1 << (bit & 7);
          rejects(badMessage, signature, publicKey);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('accepts signatures made by OpenSSL (node:crypto)', () => {
    const keys = generateKeyPairSync('ed25519');
    const jwk = keys.publicKey.export({ format: 'jwk' }) as JsonWebKey;
    const publicKey = Buffer.from(jwk.x!, 'base64url');
    const message = Buffer.from('signet ed25519 interop');
    verifyEd25519(message, sign(null, message, keys.privateKey), publicKey);
  });

  it('rejects the malleable S + L form, wrong lengths and another key', () => {
    const secret = ed25519.utils.randomSecretKey();
    const publicKey = ed25519.getPublicKey(secret);
    const message = Uint8Array.of(1, 2, 3);
    const signature = ed25519.sign(message, secret);
    const L = ed25519.Point.CURVE().n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
    const malleable = signature.slice();
    let t = s + L;
    for (let i = 32; i < 64; i++, t >>= 8n) malleable[i] = Number(t & 0xffn);
    rejects(message, malleable, publicKey);
    expect(() => verifyEd25519(message, signature.subarray(0, 63), publicKey)).toThrow(
      'token returned a malformed signature: Ed25519 signatures are 64 bytes, got 63',
    );
    rejects(message, signature, ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    expect(() => verifyEd25519(message, signature, publicKey.subarray(1))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
