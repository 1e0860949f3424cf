/**
 * The envelope of Signet's signed treasury files (`.signet-approval`,
 * `.signet-policy`): canonical JSON (core/store/canonical-json.ts)
 *
 *   {"body":{…},"checksum":"sha256:<hex of the canonical body>","type":"…","version":N}
 *
 * ending with a newline. The checksum catches truncation and corruption in
 * transit; what the body means (and its signatures) each file type checks itself.
 */
import { sha256, stringToBytes } from 'viem';
import { z } from 'zod';
import type { SignetError } from '../api/errors.js';
import { canonicalJson } from '../store/canonical-json.js';

export interface FileKind {
  type: string;
  version: number;
  /** Refused, before parsing, above this many bytes (or UTF-16 units for a string). */
  maxBytes: number;
  /** The file type's own error (e.g. BUNDLE_INVALID "the approval bundle …"). */
  invalid: (reason: string, message: string) => SignetError;
}

export function checksumOf(body: unknown): string {
  return `sha256:${sha256(stringToBytes(canonicalJson(body))).slice(2)}`;
}

/** The file's text for a body already checked and in canonical form. */
export function encodeChecksummedFile(kind: FileKind, body: unknown): string {
  return `${canonicalJson({ type: kind.type, version: kind.version, checksum: checksumOf(body), body })}\n`;
}

/** The first thing zod found wrong, as "where: what". */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'its top level';
  return `${where}: ${issue?.message ?? 'invalid'}`;
}

/**
 * The body of a file of this kind, its size, encoding, envelope and checksum
 * checked; the body itself is still unchecked (`unknown`).
 */
export function decodeChecksummedFile(kind: FileKind, input: string | Uint8Array): unknown {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > kind.maxBytes) {
    throw kind.invalid('size', `is ${size} bytes, more than the ${kind.maxBytes} it may be`);
  }
  let text: string;
  try {
    text =
      typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw kind.invalid('encoding', 'is not UTF-8 text');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw kind.invalid('truncated', 'is truncated or not JSON');
  }
  const file = z
    .strictObject({
      type: z.literal(kind.type),
      version: z.literal(kind.version),
      checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'not sha256: and 64 hex digits'),
      body: z.unknown(),
    })
    .safeParse(json);
  if (!file.success) {
    throw kind.invalid(
      'format',
      `is not a ${kind.type} file version ${kind.version} (${firstIssue(file.error)})`,
    );
  }
  if (checksumOf(file.data.body) !== file.data.checksum) {
    throw kind.invalid('checksum', 'is corrupted: its checksum does not match its content');
  }
  return file.data.body;
}
