/**
 * What `npm start` may do to the data directory before the window opens: select
 * the embedded dev ledger unless the user already chose a real one, and put the
 * demo token's key in the wallet as an account.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SignetError } from '../core/api/errors.js';
import type { ChainProfile } from '../core/api/profile.js';
import { activeProfilePath, readActiveProfile } from '../core/chain/profile-file.js';
import { readConfig } from '../core/config/config.js';
import { getAccount } from '../core/store/accounts.js';
import { openStore } from '../core/store/database.js';
import { Wallet } from '../core/wallet/wallet.js';
import { listedModulesOnly } from '../native/pkcs11/module-policy.js';

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

/**
 * Adds the demo key as a wallet account unless it already is one (then no PIN
 * is used). Returns true when it was added now.
 */
export async function addDemoAccount(options: {
  home: string;
  env: NodeJS.ProcessEnv;
  profile: ChainProfile;
  keyUri: string;
  address: string;
  pin: string;
  name: string;
}): Promise<boolean> {
  const store = openStore(join(options.home, 'signet.sqlite'));
  try {
    if (getAccount(store, options.address)) return false;
    const wallet = new Wallet({
      store,
      profile: options.profile,
      search: { configured: readConfig(options.env).modules, policy: listedModulesOnly },
      pins: async () => Buffer.from(options.pin),
    });
    await wallet.addAccount(options.keyUri, options.name);
    return true;
  } finally {
    store.close();
  }
}
