/**
 * Decodes the ECDSA signature a token returned: raw r‖s (SoftHSM2, OpenSC, tpm2-pkcs11) or DER
 * (some HSMs). Strict on purpose: a token that emits sloppy DER is broken, and accepting several
 * encodings of one signature is how malleability bugs start.
 */
import { SignetError } from '../../core/api/errors.js';

const SEQUENCE = 0x30;
const INTEGER = 0x02;

function malformed(reason: string): SignetError {
  return new SignetError('SIGNATURE_INVALID', `token returned a malformed signature: ${reason}`);
}

function hexByte(byte: number | undefined): string {
  return byte === undefined ? 'nothing' : `0x${byte.toString(16).padStart(2, '0')}`;
}

function plural(count: number): string {
  return count === 1 ? '1 trailing byte' : `${count} trailing bytes`;
}

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * Reads a DER tag and length at `at`; returns where the contents start and end.
 * Only the short form and the one-byte long form exist here: no ECDSA signature up to P-521
 * (2 × 69 content bytes) needs more.
 */
function readHeader(
  bytes: Uint8Array,
  at: number,
  tag: number,
  what: string,
): { start: number; end: number } {
  if (bytes[at] !== tag) {
    throw malformed(`expected ${what} tag ${hexByte(tag)}, got ${hexByte(bytes[at])}`);
  }
  const first = bytes[at + 1];
  if (first === undefined) throw malformed(`${what} has no length`);
  let length = first;
  let start = at + 2;
  if (first === 0x81) {
    const long = bytes[at + 2];
    if (long === undefined) throw malformed(`${what} length is truncated`);
    if (long < 0x80) throw malformed(`${what} uses a long-form length where the short form fits`);
    length = long;
    start = at + 3;
  } else if (first >= 0x80) {
    throw malformed(`${what} length byte ${hexByte(first)} is not a short or one-byte length`);
  }
  return { start, end: start + length };
}

/** Reads one DER INTEGER that must be a positive value of at most `size` bytes. */
function readInteger(
  bytes: Uint8Array,
  at: number,
  limit: number,
  size: number,
  name: 'r' | 's',
): { value: bigint; next: number } {
  if (at >= limit) throw malformed(`${name} is missing`);
  const { start, end } = readHeader(bytes, at, INTEGER, `INTEGER ${name}`);
  if (end > limit) throw malformed(`${name} runs past the end of the SEQUENCE`);
  const content = bytes.subarray(start, end);
  const [lead, second] = content;
  if (lead === undefined) throw malformed(`${name} is empty`);
  if (lead & 0x80) throw malformed(`${name} is negative`);
  // DER allows a 0x00 pad only to keep the next byte's top bit from reading as a sign bit.
  if (lead === 0 && second !== undefined && !(second & 0x80)) {
    throw malformed(`${name} has an unnecessary leading zero`);
  }
  const magnitude = lead === 0 && second !== undefined ? content.subarray(1) : content;
  if (magnitude.length > size) throw malformed(`${name} is longer than ${size} bytes`);
  const value = toBigInt(magnitude);
  if (value === 0n) throw malformed(`${name} is zero`);
  return { value, next: end };
}

function parseDer(bytes: Uint8Array, size: number): { r: bigint; s: bigint } {
  if (bytes[0] !== SEQUENCE) {
    const got =
      bytes.length === 0 ? '0 bytes' : `${bytes.length} bytes starting ${hexByte(bytes[0])}`;
    throw malformed(`expected ${2 * size}-byte r‖s or a DER SEQUENCE, got ${got}`);
  }
  const { start, end } = readHeader(bytes, 0, SEQUENCE, 'SEQUENCE');
  if (end > bytes.length) {
    throw malformed(`SEQUENCE claims ${end - start} bytes but ${bytes.length - start} follow`);
  }
  if (end < bytes.length) throw malformed(`${plural(bytes.length - end)} after the SEQUENCE`);
  const r = readInteger(bytes, start, end, size, 'r');
  const s = readInteger(bytes, r.next, end, size, 's');
  if (s.next !== end) throw malformed(`${plural(end - s.next)} inside the SEQUENCE`);
  return { r: r.value, s: s.value };
}

/**
 * Raw r‖s is recognised by length alone (exactly 2×size bytes). A DER signature of that exact
 * length would need r and s to be short by 3+ bytes between them (odds ~2^-40 for size 32); it
 * would then fail verification, never be accepted wrongly.
 */
export function parseEcdsaSignature(bytes: Uint8Array, size = 32): { r: bigint; s: bigint } {
  if (!Number.isInteger(size) || size < 1) {
    throw new SignetError('INVALID_ARGUMENT', `signature size must be a positive integer: ${size}`);
  }
  if (bytes.length !== 2 * size) return parseDer(bytes, size);
  const r = toBigInt(bytes.subarray(0, size));
  const s = toBigInt(bytes.subarray(size));
  if (r === 0n) throw malformed('r is zero');
  if (s === 0n) throw malformed('s is zero');
  return { r, s };
}
