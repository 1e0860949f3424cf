/**
 * Sync checkpoints per (chain id, stream): the last block a stream indexed and
 * its hash. On restart the sync compares the hash with the chain's and rewinds
 * on a mismatch (a reorg happened while Signet was away).
 */
import type { Hex } from 'viem';
import { hash32, safeUint } from './codec.js';
import type { Store } from './database.js';

export interface Checkpoint {
  blockNumber: number;
  blockHash: Hex;
}

export function getCheckpoint(
  store: Store,
  chainId: number,
  stream: string,
): Checkpoint | undefined {
  return store.db
    .prepare<[number, string], Checkpoint>(
      `SELECT block_number AS blockNumber, block_hash AS blockHash
       FROM checkpoints WHERE chain_id = ? AND stream = ?`,
    )
    .get(chainId, stream);
}

export function setCheckpoint(
  store: Store,
  chainId: number,
  stream: string,
  checkpoint: Checkpoint,
): void {
  store.db
    .prepare(
      `INSERT INTO checkpoints (chain_id, stream, block_number, block_hash, updated_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (chain_id, stream) DO UPDATE SET block_number = excluded.block_number,
         block_hash = excluded.block_hash, updated_at = excluded.updated_at`,
    )
    .run(
      safeUint(chainId, 'chain id'),
      stream,
      safeUint(checkpoint.blockNumber, 'block number'),
      hash32(checkpoint.blockHash, 'block hash'),
      store.now().toISOString(),
    );
}
