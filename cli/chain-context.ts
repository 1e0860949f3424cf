/**
 * What ledger commands share: the store in the data directory, the active
 * profile, and (only when a command may go online) the pool of nodes.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainProfile } from '../core/api/profile.js';
import { readActiveProfile } from '../core/chain/profile-file.js';
import { readConfig } from '../core/config/config.js';
import { signetHome } from '../core/config/paths.js';
import { RpcPool } from '../core/rpc/rpc-pool.js';
import { openStore, type Store } from '../core/store/database.js';
import { Wallet } from '../core/wallet/wallet.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import type { CliIo } from './io.js';
import { cliPinProvider, type PinOptions } from './pin-source.js';

export interface ChainSession {
  store: Store;
  profile: ChainProfile;
  wallet: Wallet;
  /** Nodes of the profile; never called for --offline work. */
  rpc(): RpcPool;
}

export async function withChain<T>(
  io: CliIo,
  pins: PinOptions,
  work: (session: ChainSession) => Promise<T>,
): Promise<T> {
  const profile = readActiveProfile(io.env);
  const home = signetHome(io.env);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const store = openStore(join(home, 'signet.sqlite'));
  let pool: RpcPool | undefined;
  try {
    const wallet = new Wallet({
      store,
      profile,
      search: { configured: readConfig(io.env).modules, policy: anyModule },
      pins: cliPinProvider(pins, io),
    });
    return await work({
      store,
      profile,
      wallet,
      rpc: () => {
        pool ??= new RpcPool({ urls: profile.rpc, chainId: profile.chainId, timeoutMs: 5_000 });
        return pool;
      },
    });
  } finally {
    store.close();
  }
}
