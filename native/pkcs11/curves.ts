/** The curves Signet uses and how PKCS#11 encodes them (CKA_EC_PARAMS, CKA_EC_POINT). */
import { SignetError } from '../../core/api/errors.js';
import { CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA } from './constants.js';
import { pkcs11js } from './pkcs11js.js';

export const curveNames = ['secp256k1', 'p256', 'ed25519'] as const;
export type Curve = (typeof curveNames)[number];

interface CurveSpec {
  keyType: number;
  generate: number;
  sign: number;
  /** CKA_EC_PARAMS as written at generation; the first is what Signet writes. */
  params: string[];
  /** Length of the public key Signet reports: SEC1 uncompressed, or raw Ed25519. */
  publicKeyLength: number;
}

function spec(curve: Curve): CurveSpec {
  const p = pkcs11js();
  switch (curve) {
    case 'secp256k1': // OID 1.3.132.0.10
      return {
        keyType: p.CKK_EC,
        generate: p.CKM_EC_KEY_PAIR_GEN,
        sign: p.CKM_ECDSA,
        params: ['06052b8104000a'],
        publicKeyLength: 65,
      };
    case 'p256': // OID 1.2.840.10045.3.1.7
      return {
        keyType: p.CKK_EC,
        generate: p.CKM_EC_KEY_PAIR_GEN,
        sign: p.CKM_ECDSA,
        params: ['06082a8648ce3d030107'],
        publicKeyLength: 65,
      };
    case 'ed25519': // OID 1.3.101.112, or PrintableString "edwards25519" on older tokens
      return {
        keyType: CKK_EC_EDWARDS,
        generate: CKM_EC_EDWARDS_KEY_PAIR_GEN,
        sign: CKM_EDDSA,
        params: ['06032b6570', '130c656477617264733235353139'],
        publicKeyLength: 32,
      };
  }
}

export function curveSpec(curve: Curve): CurveSpec {
  return spec(curve);
}

export function parseCurve(name: string): Curve {
  if ((curveNames as readonly string[]).includes(name)) return name as Curve;
  throw new SignetError(
    'CURVE_UNSUPPORTED',
    `unsupported curve "${name}"; use ${curveNames.join(', ')}`,
    { details: { curve: name } },
  );
}

/** The curve named by a key's CKA_EC_PARAMS, or undefined for one Signet does not use. */
export function curveFromParams(params: Buffer): Curve | undefined {
  const hex = params.toString('hex');
  return curveNames.find((curve) => spec(curve).params.includes(hex));
}

/**
 * CKA_EC_POINT is a DER OCTET STRING around the point (`04 41 04 …` for
 * secp256k1); a few tokens return the bare point. Accept both, check the length.
 */
export function publicKeyFromEcPoint(curve: Curve, ecPoint: Buffer): Uint8Array {
  const want = spec(curve).publicKeyLength;
  let point: Buffer = ecPoint;
  if (ecPoint.length === want + 2 && ecPoint[0] === 0x04 && ecPoint[1] === want) {
    point = ecPoint.subarray(2);
  } else if (
    ecPoint.length === want + 3 &&
    ecPoint[0] === 0x04 &&
    ecPoint[1] === 0x81 &&
    ecPoint[2] === want
  ) {
    point = ecPoint.subarray(3);
  }
  if (point.length !== want || (want === 65 && point[0] !== 0x04)) {
    throw new SignetError(
      'DEVICE_ERROR',
      `token returned a malformed ${curve} public key (${ecPoint.length} bytes)`,
    );
  }
  return new Uint8Array(point);
}
