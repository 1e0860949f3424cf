/**
 * Each treasury as the last sync read it (store schema v8): whether the Safe is
 * deployed, its owners and threshold on chain, and its money and standing in
 * the currency's registry, at the sync's pinned block. `treasury show` offers it
 * beside (or, offline, instead of) a live read.
 */
import { type Address, getAddress } from 'viem';
import { safeUint, uintText } from './codec.js';
import type { Store } from './database.js';

export interface TreasuryState {
  chainId: number;
  address: Address;
  deployed: boolean;
  /** In the Safe's own order (getOwners); empty before it is deployed. */
  owners: Address[];
  /** 0 before it is deployed. */
  threshold: number;
  /** Currency balance in minor units. */
  balance: bigint;
  registered: boolean;
  frozen: boolean;
  updatedBlock: number;
}

interface Row {
  chain_id: number;
  address: string;
  deployed: number;
  owners: string;
  threshold: number;
  balance: string;
  registered: number;
  frozen: number;
  updated_block: number;
}

export function upsertTreasuryState(store: Store, state: TreasuryState): void {
  store.db
    .prepare(
      `INSERT INTO treasury_state
         (chain_id, address, deployed, owners, threshold, balance, registered, frozen, updated_block)
       VALUES (@chainId, @address, @deployed, @owners, @threshold, @balance, @registered, @frozen, @updatedBlock)
       ON CONFLICT (chain_id, address) DO UPDATE SET
         deployed = excluded.deployed, owners = excluded.owners, threshold = excluded.threshold,
         balance = excluded.balance, registered = excluded.registered, frozen = excluded.frozen,
         updated_block = excluded.updated_block`,
    )
    .run({
      chainId: safeUint(state.chainId, 'chain id'),
      address: getAddress(state.address),
      deployed: state.deployed ? 1 : 0,
      owners: JSON.stringify(state.owners.map((o) => getAddress(o))),
      threshold: safeUint(state.threshold, 'threshold'),
      balance: uintText(state.balance, 'balance'),
      registered: state.registered ? 1 : 0,
      frozen: state.frozen ? 1 : 0,
      updatedBlock: safeUint(state.updatedBlock, 'block number'),
    });
}

export function getTreasuryState(
  store: Store,
  chainId: number,
  address: string,
): TreasuryState | undefined {
  const row = store.db
    .prepare<[number, string], Row>(
      'SELECT * FROM treasury_state WHERE chain_id = ? AND address = ?',
    )
    .get(chainId, getAddress(address));
  if (!row) return undefined;
  return {
    chainId: row.chain_id,
    address: getAddress(row.address),
    deployed: row.deployed === 1,
    owners: (JSON.parse(row.owners) as string[]).map((o) => getAddress(o)),
    threshold: row.threshold,
    balance: BigInt(row.balance),
    registered: row.registered === 1,
    frozen: row.frozen === 1,
    updatedBlock: row.updated_block,
  };
}
