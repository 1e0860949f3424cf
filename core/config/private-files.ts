/**
 * Signet's data directory is its owner's alone: profile.json may carry node
 * URLs with credentials, the store holds the audit log and signed transactions.
 * The directory is made 0700 and Signet's files 0600, whatever the umask
 * (which can only take bits away from these); ones an older Signet (or the
 * user) left open to others are closed again when Signet next uses them.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Makes the folder (and any missing parents) readable by its owner only. */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  closeToOthers(path, PRIVATE_DIR_MODE);
}

/** Takes away the group's and others' access to an existing file or folder, if it has any. */
export function closeToOthers(path: string, mode = PRIVATE_FILE_MODE): void {
  if (existsSync(path) && (statSync(path).mode & 0o077) !== 0) chmodSync(path, mode);
}

/**
 * Writes `text` to a new file beside `path`, created 0600 (and exclusively: a
 * file or link already there is an error, not something to write through),
 * then renames it over `path`: a reader sees the old file or the new, never
 * half of one, and never a moment where it is readable by others.
 */
export function writePrivateFile(path: string, text: string): void {
  makePrivateDir(dirname(path));
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true }); // left by a crash of an earlier process with this pid
  try {
    writeFileSync(tmp, text, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Creates `path` empty and 0600 if it does not exist; an existing one is closed to others. */
export function touchPrivateFile(path: string): void {
  makePrivateDir(dirname(path));
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  closeToOthers(path);
}
