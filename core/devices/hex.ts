/** Hex as Signet prints it (lowercase, 0x) and reads it (0x optional). */
import { SignetError } from '../api/errors.js';

export function toHex(bytes: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

/** Parses user-supplied hex; `what` names the input in the error. */
export function parseHexInput(text: string, what: string): Uint8Array {
  const digits = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) {
    throw new SignetError(
      'DIGEST_INVALID',
      `the ${what} must be hex (an even number of 0-9a-f digits)`,
    );
  }
  return new Uint8Array(Buffer.from(digits, 'hex'));
}
