import { describe, expect, it } from 'vitest';
import { curveFromParams, parseCurve, publicKeyFromEcPoint } from './curves.js';

const point = Buffer.concat([Buffer.from([0x04]), Buffer.alloc(64, 7)]);

describe('curves', () => {
  it('names curves by their CKA_EC_PARAMS, both Ed25519 encodings included', () => {
    expect(curveFromParams(Buffer.from('06052b8104000a', 'hex'))).toBe('secp256k1');
    expect(curveFromParams(Buffer.from('06082a8648ce3d030107', 'hex'))).toBe('p256');
    expect(curveFromParams(Buffer.from('06032b6570', 'hex'))).toBe('ed25519');
    expect(curveFromParams(Buffer.from('130c656477617264733235353139', 'hex'))).toBe('ed25519');
    expect(curveFromParams(Buffer.from('06052b81040022', 'hex'))).toBeUndefined(); // P-384
  });

  it('unwraps CKA_EC_POINT from its DER OCTET STRING, or takes the bare point', () => {
    const wrapped = Buffer.concat([Buffer.from([0x04, 0x41]), point]);
    expect(Buffer.from(publicKeyFromEcPoint('secp256k1', wrapped))).toEqual(point);
    expect(Buffer.from(publicKeyFromEcPoint('p256', point))).toEqual(point);
    const ed = Buffer.alloc(32, 9);
    expect(
      Buffer.from(publicKeyFromEcPoint('ed25519', Buffer.concat([Buffer.from([0x04, 0x20]), ed]))),
    ).toEqual(ed);
  });

  it('rejects a point of the wrong size or form in one line', () => {
    expect(() => publicKeyFromEcPoint('secp256k1', point.subarray(0, 40))).toThrow(
      'token returned a malformed secp256k1 public key (40 bytes)',
    );
    const compressed = Buffer.concat([Buffer.from([0x02]), Buffer.alloc(64, 1)]);
    expect(() => publicKeyFromEcPoint('p256', compressed)).toThrow('malformed p256 public key');
  });

  it('refuses curve names it does not know', () => {
    expect(parseCurve('p256')).toBe('p256');
    expect(() => parseCurve('P-384')).toThrow(
      'unsupported curve "P-384"; use secp256k1, p256, ed25519',
    );
  });
});
