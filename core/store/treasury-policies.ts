/**
 * Each treasury's policy as its owners signed it: the `.signet-policy` file's
 * text (verified by the caller before it is stored, and again when used), one
 * per treasury. Versions only go up: an older or equal one does not replace it.
 */
import { type Address, getAddress } from 'viem';
import type { Store } from './database.js';

export interface StoredPolicy {
  chainId: number;
  safe: Address;
  version: number;
  file: string;
  storedAt: string;
}

interface PolicyRow {
  chain_id: number;
  safe: string;
  version: number;
  file: string;
  stored_at: string;
}

export function getTreasuryPolicy(
  store: Store,
  chainId: number,
  safe: Address,
): StoredPolicy | undefined {
  const row = store.db
    .prepare('SELECT * FROM treasury_policies WHERE chain_id = ? AND safe = ?')
    .get(chainId, getAddress(safe)) as PolicyRow | undefined;
  return row
    ? {
        chainId: row.chain_id,
        safe: getAddress(row.safe),
        version: row.version,
        file: row.file,
        storedAt: row.stored_at,
      }
    : undefined;
}

/** Stores the policy when its version is above the stored one's; says whether it did. */
export function storeTreasuryPolicy(
  store: Store,
  policy: { chainId: number; safe: Address; version: number; file: string },
): boolean {
  const result = store.db
    .prepare(
      `INSERT INTO treasury_policies (chain_id, safe, version, file, stored_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (chain_id, safe) DO UPDATE SET
         version = excluded.version, file = excluded.file, stored_at = excluded.stored_at
       WHERE excluded.version > treasury_policies.version`,
    )
    .run(
      policy.chainId,
      getAddress(policy.safe),
      policy.version,
      policy.file,
      new Date().toISOString(),
    );
  return result.changes > 0;
}
