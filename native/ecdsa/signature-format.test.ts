import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, numberToBytesBE } from '@noble/curves/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../../core/api/errors.js';
import { parseEcdsaSignature } from './signature-format.js';

const hex = (text: string) => hexToBytes(text.replace(/\s+/g, ''));
const repeat = (byte: string, count: number) => byte.repeat(count);

/** Minimal DER encoder written independently of the parser, for round trips. */
function derInteger(value: bigint): string {
  let body = value.toString(16);
  if (body.length % 2) body = `0${body}`;
  if (Number.parseInt(body.slice(0, 2), 16) & 0x80) body = `00${body}`;
  return `02${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
}
function der(r: bigint, s: bigint): Uint8Array {
  const body = derInteger(r) + derInteger(s);
  const length = body.length / 2;
  const header = length < 0x80 ? length.toString(16).padStart(2, '0') : `81${length.toString(16)}`;
  return hex(`30${header}${body}`);
}

function malformedMessage(bytes: Uint8Array, size?: number): string {
  try {
    parseEcdsaSignature(bytes, size);
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('SIGNATURE_INVALID');
    return (error as SignetError).message;
  }
  throw new Error(`accepted ${bytesToHex(bytes)}`);
}

const R32 = `7f${repeat('11', 31)}`;
const S32 = `80${repeat('22', 31)}`;

describe('parseEcdsaSignature: valid encodings', () => {
  it('reads DER with and without the 0x00 sign pad', () => {
    const bytes = hex(`30 45 02 20 ${R32} 02 21 00 ${S32}`);
    expect(parseEcdsaSignature(bytes)).toEqual({ r: BigInt(`0x${R32}`), s: BigInt(`0x${S32}`) });
  });

  it('reads DER with both integers padded', () => {
    const high = `ff${repeat('ee', 31)}`;
    const bytes = hex(`30 46 02 21 00 ${high} 02 21 00 ${high}`);
    expect(parseEcdsaSignature(bytes)).toEqual({ r: BigInt(`0x${high}`), s: BigInt(`0x${high}`) });
  });

  it('reads DER with short integers', () => {
    expect(parseEcdsaSignature(hex('30 07 02 01 01 02 02 00 80'))).toEqual({ r: 1n, s: 0x80n });
  });

  it('reads the one-byte long-form length that P-521 signatures need', () => {
    const r = BigInt(`0x01${repeat('ab', 65)}`);
    const s = BigInt(`0x01${repeat('cd', 65)}`);
    const bytes = der(r, s);
    expect(bytesToHex(bytes.subarray(0, 3))).toBe('308188');
    expect(parseEcdsaSignature(bytes, 66)).toEqual({ r, s });
  });

  it('reads raw r‖s', () => {
    expect(parseEcdsaSignature(hex(R32 + S32))).toEqual({
      r: BigInt(`0x${R32}`),
      s: BigInt(`0x${S32}`),
    });
  });

  it('gives the same (r, s) for the raw and DER forms of a noble signature', () => {
    const secret = secp256k1.utils.randomSecretKey();
    const signature = secp256k1.Signature.fromBytes(
      secp256k1.sign(new Uint8Array(32).fill(7), secret, { prehash: false }),
    );
    const raw = parseEcdsaSignature(signature.toBytes('compact'));
    expect(parseEcdsaSignature(signature.toBytes('der'))).toEqual(raw);
    expect(raw).toEqual({ r: signature.r, s: signature.s });
  });

  it('round-trips any (r, s) through raw and DER (property)', () => {
    const scalar = fc.bigInt({ min: 1n, max: (1n << 256n) - 1n });
    fc.assert(
      fc.property(scalar, scalar, (r, s) => {
        const raw = new Uint8Array([...numberToBytesBE(r, 32), ...numberToBytesBE(s, 32)]);
        expect(parseEcdsaSignature(raw)).toEqual({ r, s });
        const encoded = der(r, s);
        // A 64-byte DER would be read as raw; the odds are ~2^-40 and such a signature fails verify.
        if (encoded.length !== 64) expect(parseEcdsaSignature(encoded)).toEqual({ r, s });
      }),
      { numRuns: 200 },
    );
  });

  it('accepts only the canonical DER of what it returns (mutation property)', () => {
    const base = der(BigInt(`0x${R32}`), BigInt(`0x${S32}`));
    const mutation = fc.record({
      at: fc.nat({ max: base.length }),
      kind: fc.constantFrom('set', 'insert', 'delete'),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        const bytes = [...base];
        for (const { at, kind, byte } of mutations) {
          if (kind === 'set' && at < bytes.length) bytes[at] = byte;
          else if (kind === 'insert') bytes.splice(at, 0, byte);
          else bytes.splice(at, 1);
        }
        const input = Uint8Array.from(bytes);
        if (input.length === 64) return;
        let parsed: { r: bigint; s: bigint };
        try {
          parsed = parseEcdsaSignature(input);
        } catch (error) {
          expect((error as SignetError).code).toBe('SIGNATURE_INVALID');
          return;
        }
        expect(bytesToHex(der(parsed.r, parsed.s))).toBe(bytesToHex(input));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseEcdsaSignature: malformed input', () => {
  const cases: [string, string, string][] = [
    ['empty input', '', 'expected 64-byte r‖s or a DER SEQUENCE, got 0 bytes'],
    [
      'wrong outer tag',
      '31 06 02 01 01 02 01 01',
      'expected 64-byte r‖s or a DER SEQUENCE, got 8 bytes starting 0x31',
    ],
    ['no length', '30', 'SEQUENCE has no length'],
    ['truncated long-form length', '30 81', 'SEQUENCE length is truncated'],
    [
      'long form where short fits (SEQUENCE)',
      '30 81 06 02 01 01 02 01 01',
      'SEQUENCE uses a long-form length where the short form fits',
    ],
    [
      'two-byte length',
      '30 82 00 06 02 01 01 02 01 01',
      'SEQUENCE length byte 0x82 is not a short or one-byte length',
    ],
    [
      'indefinite length',
      '30 80 02 01 01 02 01 01 00 00',
      'SEQUENCE length byte 0x80 is not a short or one-byte length',
    ],
    [
      'SEQUENCE longer than input',
      '30 07 02 01 01 02 01 01',
      'SEQUENCE claims 7 bytes but 6 follow',
    ],
    ['trailing byte after', '30 06 02 01 01 02 01 01 00', '1 trailing byte after the SEQUENCE'],
    [
      'trailing bytes inside',
      '30 08 02 01 01 02 01 01 00 00',
      '2 trailing bytes inside the SEQUENCE',
    ],
    ['empty SEQUENCE', '30 00', 'r is missing'],
    ['s missing', '30 03 02 01 01', 's is missing'],
    ['wrong INTEGER tag', '30 06 03 01 01 02 01 01', 'expected INTEGER r tag 0x02, got 0x03'],
    ['wrong INTEGER tag for s', '30 06 02 01 01 04 01 01', 'expected INTEGER s tag 0x02, got 0x04'],
    [
      'long form where short fits (INTEGER)',
      '30 07 02 81 01 01 02 01 01',
      'INTEGER r uses a long-form length where the short form fits',
    ],
    ['INTEGER length cut off', '30 01 02', 'INTEGER r has no length'],
    ['r past the SEQUENCE', '30 06 02 05 01 02 01 01', 'r runs past the end of the SEQUENCE'],
    ['zero-length r', '30 05 02 00 02 01 01', 'r is empty'],
    ['zero-length s', '30 05 02 01 01 02 00', 's is empty'],
    ['negative r', '30 06 02 01 81 02 01 01', 'r is negative'],
    ['negative s', '30 06 02 01 01 02 01 ff', 's is negative'],
    [
      'unnecessary leading zero in r',
      '30 07 02 02 00 01 02 01 01',
      'r has an unnecessary leading zero',
    ],
    [
      'unnecessary leading zero in s',
      '30 07 02 01 01 02 02 00 7f',
      's has an unnecessary leading zero',
    ],
    ['r = 0', '30 06 02 01 00 02 01 01', 'r is zero'],
    ['s = 0', '30 06 02 01 01 02 01 00', 's is zero'],
    [
      'r of 33 bytes',
      `30 46 02 21 01 ${repeat('11', 32)} 02 21 00 ${S32}`,
      'r is longer than 32 bytes',
    ],
    [
      'padded r of 33 bytes',
      `30 47 02 22 00 80 ${repeat('11', 32)} 02 21 00 ${S32}`,
      'r is longer than 32 bytes',
    ],
    ['raw r = 0', repeat('00', 32) + S32, 'r is zero'],
    ['raw s = 0', R32 + repeat('00', 32), 's is zero'],
  ];

  it.each(cases)('rejects %s', (_name, input, reason) => {
    expect(malformedMessage(hex(input))).toBe(`token returned a malformed signature: ${reason}`);
  });

  it('rejects a nonsensical size as a programming error', () => {
    expect(() => parseEcdsaSignature(new Uint8Array(64), 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
