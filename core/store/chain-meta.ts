/**
 * What offline signing needs to know about a chain besides balances: the fees
 * and head seen at the last sync. Fees are read when online and reused offline
 * with headroom; a transaction priced too low waits in the outbox, never lost.
 */
import { safeUint, uintText } from './codec.js';
import type { Store } from './database.js';

export interface ChainMeta {
  chainId: number;
  head: number;
  /** EIP-1559 base fee of the head block (wei); 0 on chains without one. */
  baseFee: bigint;
  /** eth_gasPrice at the last sync (wei), for legacy transactions. */
  gasPrice: bigint;
  syncedAt: string;
}

export function getChainMeta(store: Store, chainId: number): ChainMeta | undefined {
  const row = store.db
    .prepare<[number], { head: number; base_fee: string; gas_price: string; synced_at: string }>(
      'SELECT head, base_fee, gas_price, synced_at FROM chain_meta WHERE chain_id = ?',
    )
    .get(chainId);
  return (
    row && {
      chainId,
      head: row.head,
      baseFee: BigInt(row.base_fee),
      gasPrice: BigInt(row.gas_price),
      syncedAt: row.synced_at,
    }
  );
}

export function setChainMeta(store: Store, meta: Omit<ChainMeta, 'syncedAt'>): void {
  store.db
    .prepare(
      `INSERT INTO chain_meta (chain_id, head, base_fee, gas_price, synced_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (chain_id) DO UPDATE SET head = excluded.head, base_fee = excluded.base_fee,
         gas_price = excluded.gas_price, synced_at = excluded.synced_at`,
    )
    .run(
      safeUint(meta.chainId, 'chain id'),
      safeUint(meta.head, 'head'),
      uintText(meta.baseFee, 'base fee'),
      uintText(meta.gasPrice, 'gas price'),
      store.now().toISOString(),
    );
}
