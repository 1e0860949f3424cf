/**
 * An independent verifier for tests: the OpenSSL command line, which shares no
 * code with @noble/curves or libsecp256k1. `pkeyutl -verify` checks an ECDSA
 * signature over the 32-byte digest exactly as given (no hashing).
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function opensslVerifiesDigest(
  curve: 'secp256k1' | 'P-256',
  publicKeyHex: string,
  digest: Uint8Array,
  signatureHex: string,
): boolean {
  const point = Buffer.from(publicKeyHex.replace(/^0x/, ''), 'hex');
  const pem = createPublicKey({
    key: {
      kty: 'EC',
      crv: curve,
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  }).export({ type: 'spki', format: 'pem' });
  const signature = Buffer.from(signatureHex.replace(/^0x/, ''), 'hex');
  const dir = mkdtempSync(join(tmpdir(), 'signet-openssl-'));
  try {
    writeFileSync(join(dir, 'key.pem'), pem);
    writeFileSync(join(dir, 'digest'), digest);
    writeFileSync(join(dir, 'sig.der'), rawToDer(signature));
    const result = spawnSync(
      'openssl',
      ['pkeyutl', '-verify', '-pubin', '-inkey', 'key.pem', '-in', 'digest', '-sigfile', 'sig.der'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    return result.status === 0 && result.stdout.includes('Signature Verified Successfully');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rawToDer(signature: Buffer): Buffer {
  const integer = (bytes: Buffer) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    let body = bytes.subarray(start);
    if (body[0]! & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const body = Buffer.concat([integer(signature.subarray(0, 32)), integer(signature.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}
