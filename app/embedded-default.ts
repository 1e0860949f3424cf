/**
 * What `npm start` may do to the data directory before the window opens: select
 * the embedded dev ledger unless the user already chose a real one.
 */
import { existsSync } from 'node:fs';
import { SignetError } from '../core/api/errors.js';
import type { ChainProfile } from '../core/api/profile.js';
import { activeProfilePath, readActiveProfile } from '../core/chain/profile-file.js';

export type CurrentProfile =
  /** No ledger selected yet: the dev ledger may be selected. */
  | { kind: 'none' }
  /** A dev ledger from an earlier run (its node is gone with that run): replaceable. */
  | { kind: 'dev'; profile: ChainProfile }
  /** The user's own ledger: never replaced. */
  | { kind: 'real'; profile: ChainProfile }
  /** A profile that cannot be read: left alone for the user to fix. */
  | { kind: 'unreadable'; problem: string };

export function currentProfile(env: NodeJS.ProcessEnv): CurrentProfile {
  if (!existsSync(activeProfilePath(env))) return { kind: 'none' };
  try {
    const profile = readActiveProfile(env);
    return profile.dev ? { kind: 'dev', profile } : { kind: 'real', profile };
  } catch (error) {
    const problem = error instanceof SignetError ? error.message : String(error);
    return { kind: 'unreadable', problem };
  }
}
