/**
 * A wallet that signs offline with no ledger running: a ledger profile whose
 * only node is a closed port, and for an account already added, the state an
 * offline payment needs (registered, a balance, a nonce, the fees of the last
 * sync) written into the store as a sync would have left it.
 */
import { join } from 'node:path';
import type { ChainProfile } from '../../core/api/profile.js';
import { writeActiveProfile } from '../../core/chain/profile-file.js';
import { setChainMeta } from '../../core/store/chain-meta.js';
import { upsertAccountState } from '../../core/store/chain-state.js';
import { openStore } from '../../core/store/database.js';
import { closedPortProfile } from './store-fixtures.js';

export const OFFLINE_CHAIN_ID = 4242;
/** Someone to pay. */
export const PAYEE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

/** Selects a closed-port chain profile in the data directory `home`. */
export function selectOfflineChain(home: string): ChainProfile {
  const profile = closedPortProfile({
    name: 'offline',
    chainId: OFFLINE_CHAIN_ID,
    confirmations: 0,
  });
  writeActiveProfile(profile, { SIGNET_HOME: home });
  return profile;
}

/** Gives an account (already added) 100.00, nonce 0 and the fees of a last sync. */
export function seedSyncedAccount(home: string, address: `0x${string}`): void {
  const store = openStore(join(home, 'signet.sqlite'));
  try {
    upsertAccountState(store, {
      chainId: OFFLINE_CHAIN_ID,
      address,
      balance: 10_000n,
      registered: true,
      frozen: false,
      chainNonce: 0,
      updatedBlock: 10,
    });
    setChainMeta(store, {
      chainId: OFFLINE_CHAIN_ID,
      head: 10,
      headTime: 1_800_000_000,
      baseFee: 10n ** 9n,
      gasPrice: 2n * 10n ** 9n,
    });
  } finally {
    store.close();
  }
}
