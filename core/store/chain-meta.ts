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
  /** The head block's timestamp (unix seconds): the ledger's clock, which may differ from ours. */
  headTime: number;
  /** EIP-1559 base fee of the head block (wei); 0 on chains without one. */
  baseFee: bigint;
  /** eth_gasPrice at the last sync (wei), for legacy transactions. */
  gasPrice: bigint;
  syncedAt: string;
}

export function getChainMeta(store: Store, chainId: number): ChainMeta | undefined {
  const row = store.db
    .prepare<
      [number],
      { head: number; head_time: number; base_fee: string; gas_price: string; synced_at: string }
    >('SELECT head, head_time, base_fee, gas_price, synced_at FROM chain_meta WHERE chain_id = ?')
    .get(chainId);
  return (
    row && {
      chainId,
      head: row.head,
      headTime: row.head_time,
      baseFee: BigInt(row.base_fee),
      gasPrice: BigInt(row.gas_price),
      syncedAt: row.synced_at,
    }
  );
}

export function setChainMeta(store: Store, meta: Omit<ChainMeta, 'syncedAt'>): void {
  store.db
    .prepare(
      `INSERT INTO chain_meta (chain_id, head, head_time, base_fee, gas_price, synced_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (chain_id) DO UPDATE SET head = excluded.head, head_time = excluded.head_time, base_fee = excluded.base_fee,
         gas_price = excluded.gas_price, synced_at = excluded.synced_at`,
    )
    .run(
      safeUint(meta.chainId, 'chain id'),
      safeUint(meta.head, 'head'),
      safeUint(meta.headTime, 'head time'),
      uintText(meta.baseFee, 'base fee'),
      uintText(meta.gasPrice, 'gas price'),
      store.now().toISOString(),
    );
}

/**
 * The ledger's "now", estimated offline: the last synced block's time moved on
 * by the time elapsed since that sync, or our clock if the ledger's is behind.
 * Maturity is the contract's business, judged by block time, not by our clock.
 */
export function chainNow(meta: ChainMeta | undefined, local: Date): Date {
  if (!meta) return local;
  const elapsed = local.getTime() - new Date(meta.syncedAt).getTime();
  return new Date(Math.max(local.getTime(), meta.headTime * 1000 + Math.max(0, elapsed)));
}
