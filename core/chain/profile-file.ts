/**
 * The active ledger profile: `profile.json` in the data directory, written by
 * `signet ledger use FILE` (or `ledger up`). A malformed file is one line saying
 * what is wrong with it, and nothing is written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignetError } from '../api/errors.js';
import { type ChainProfile, profileSchema } from '../api/profile.js';
import { signetHome } from '../config/paths.js';
import { closeToOthers, writePrivateFile } from '../config/private-files.js';

export function activeProfilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(signetHome(env), 'profile.json');
}

/** Parses profile JSON from a file or a string (named by `source` in errors). */
export function parseProfile(text: string, source: string): ChainProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SignetError('PROFILE_INVALID', `ledger profile ${source} is not valid JSON`);
  }
  const parsed = profileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new SignetError(
      'PROFILE_INVALID',
      `ledger profile ${source} is malformed: ${where}${issue.message}`,
    );
  }
  return parsed.data;
}

export function readProfileFile(path: string): ChainProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SignetError('FILE_INVALID', `cannot read ledger profile ${path} (${reason})`);
  }
  return parseProfile(text, path);
}

export function readActiveProfile(env: NodeJS.ProcessEnv = process.env): ChainProfile {
  const path = activeProfilePath(env);
  if (!existsSync(path)) {
    throw new SignetError(
      'PROFILE_INVALID',
      'no ledger selected: run `signet ledger up` for the dev ledger, or `signet ledger use FILE`',
    );
  }
  // The active profile is Signet's own file (node URLs may carry credentials).
  closeToOthers(path);
  return readProfileFile(path);
}

export function writeActiveProfile(
  profile: ChainProfile,
  env: NodeJS.ProcessEnv = process.env,
): void {
  // 0600: node URLs may carry credentials (https://user:secret@node…).
  writePrivateFile(
    activeProfilePath(env),
    `${JSON.stringify(profileSchema.parse(profile), null, 2)}\n`,
  );
}
