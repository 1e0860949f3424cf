/**
 * Files the CLI reads and writes for transit (payments, approval bundles, QR
 * frames): size-capped reads, all-or-nothing writes, and frame file names.
 * Each failure is one FILE_INVALID line naming the path and the system's code.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SignetError } from '../core/api/errors.js';

/** The file's bytes, refused when larger than `what` can be (no decoder sees a huge file). */
export function readLimited(path: string, limit: number, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SignetError('FILE_INVALID', `cannot read ${path} (${reason})`);
  }
  if (bytes.length > limit)
    throw new SignetError('FILE_INVALID', `${path} is larger than ${what} can be`);
  return bytes;
}

/**
 * Written whole or not at all (a temporary file renamed over the target).
 * `what` names the content in the error; `exclusive` refuses a leftover temporary.
 */
export function writeAtomically(
  path: string,
  content: string,
  options: { what?: string; exclusive?: boolean } = {},
): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, content, { flag: options.exclusive ? 'wx' : 'w' });
    renameSync(temporary, path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unwritable';
    const target = options.what ? `${options.what} to ${path}` : path;
    throw new SignetError('FILE_INVALID', `cannot write ${target} (${reason})`);
  }
}

/** `frame-001.png`…: zero-padded (at least 3 digits) so name order is frame order. */
export function frameFileName(index: number, count: number): string {
  const width = Math.max(3, String(count).length);
  return `frame-${String(index + 1).padStart(width, '0')}.png`;
}
