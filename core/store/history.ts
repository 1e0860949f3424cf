/**
 * Indexed ledger events per chain id, one row per log: (chainId, txHash,
 * logIndex) is unique, so re-indexing a range is harmless. Newest first means
 * (blockNumber, logIndex) descending; pages walk an index and stop early.
 */
import type { Address, Hex } from 'viem';
import { canonicalJson } from './canonical-json.js';
import { checksumAddress, hash32, parseJsonObject, safeUint, uintText } from './codec.js';
import type { Store } from './database.js';

export interface HistoryEvent {
  chainId: number;
  txHash: Hex;
  logIndex: number;
  blockNumber: number;
  blockHash: Hex;
  /**
   * 'transfer' (currency), or a note operation: 'note-issue', 'note-endorse',
   * 'note-split', 'note-finance', 'note-redeem', 'note-dishonour' (core/sync/events.ts).
   */
  kind: string;
  from: Address | null;
  to: Address | null;
  /** Minor units; 0 when the event moves no amount. */
  amount: bigint;
  tokenId: bigint | null;
  /** Block time, unix seconds, when known. */
  timestamp: number | null;
  /** The rest of the event; bigints come back as decimal strings. */
  data: Record<string, unknown>;
}

/** A position in the history: list what comes strictly before (older than) it. */
export interface HistoryCursor {
  blockNumber: number;
  logIndex: number;
}

export interface HistoryQuery {
  /** Only events from or to this address. */
  address?: string;
  limit: number;
  offset?: number;
  before?: HistoryCursor;
}

interface HistoryRow {
  chain_id: number;
  tx_hash: string;
  log_index: number;
  block_number: number;
  block_hash: string;
  kind: string;
  from_address: string | null;
  to_address: string | null;
  amount: string;
  token_id: string | null;
  timestamp: number | null;
  data: string;
}

const columns = `chain_id, tx_hash, log_index, block_number, block_hash, kind, from_address,
  to_address, amount, token_id, timestamp, data`;

/** Adds events in one transaction; ones already stored are skipped. Returns how many were new. */
export function addEvents(store: Store, events: readonly HistoryEvent[]): number {
  // Checked before the write lock is taken; a history names the same few addresses
  // over and over, so each is checked (EIP-55, a keccak) once per call.
  const addresses = new Map<string, Address>();
  const address = (text: string | null, what: string): Address | null => {
    if (text === null || text === undefined) return null;
    let checked = addresses.get(text);
    if (checked === undefined) {
      checked = checksumAddress(text, what);
      addresses.set(text, checked);
    }
    return checked;
  };
  const rows = events.map((event) => toParams(event, address));
  const insert = store.db.prepare<Row>(
    `INSERT INTO history (${columns})
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (chain_id, tx_hash, log_index) DO NOTHING`,
  );
  return store.transaction(() => {
    let added = 0;
    for (const row of rows) added += insert.run(...row).changes;
    return added;
  });
}

export function listHistory(store: Store, chainId: number, query: HistoryQuery): HistoryEvent[] {
  const limit = safeUint(query.limit, 'limit');
  const offset = safeUint(query.offset ?? 0, 'offset');
  const params = {
    chainId,
    limit,
    offset,
    // Without a cursor, start past the newest possible position.
    beforeBlock: safeUint(query.before?.blockNumber ?? Number.MAX_SAFE_INTEGER, 'cursor block'),
    beforeLog: safeUint(query.before?.logIndex ?? 0, 'cursor log index'),
    address: query.address === undefined ? null : checksumAddress(query.address),
  };
  const older = '(block_number, log_index) < (@beforeBlock, @beforeLog)';
  const newest = 'ORDER BY block_number DESC, log_index DESC';
  const sql =
    params.address === null
      ? `SELECT ${columns} FROM history WHERE chain_id = @chainId AND ${older}
         ${newest} LIMIT @limit OFFSET @offset`
      : // An OR over two columns cannot walk one index: take the first offset + limit rows
        // of each side (each along its own index) and merge; UNION drops self-transfers' twin.
        `SELECT * FROM (
           SELECT * FROM (SELECT ${columns} FROM history
             WHERE chain_id = @chainId AND from_address = @address AND ${older}
             ${newest} LIMIT @limit + @offset)
           UNION
           SELECT * FROM (SELECT ${columns} FROM history
             WHERE chain_id = @chainId AND to_address = @address AND ${older}
             ${newest} LIMIT @limit + @offset))
         ${newest} LIMIT @limit OFFSET @offset`;
  return store.db.prepare<[typeof params], HistoryRow>(sql).all(params).map(fromRow);
}

export function countHistory(
  store: Store,
  chainId: number,
  filter: { address?: string } = {},
): number {
  if (filter.address === undefined) {
    return store.db
      .prepare<[number], number>('SELECT count(*) FROM history WHERE chain_id = ?')
      .pluck()
      .get(chainId)!;
  }
  const address = checksumAddress(filter.address);
  return store.db
    .prepare<[number, string, string], number>(
      'SELECT count(*) FROM history WHERE chain_id = ? AND (from_address = ? OR to_address = ?)',
    )
    .pluck()
    .get(chainId, address, address)!;
}

/** Reorg rewind: deletes the chain's events at or above `blockNumber` and returns them. */
export function deleteFromBlock(
  store: Store,
  chainId: number,
  blockNumber: number,
): HistoryEvent[] {
  return store.transaction(() =>
    store.db
      .prepare<[number, number], HistoryRow>(
        `DELETE FROM history WHERE chain_id = ? AND block_number >= ? RETURNING ${columns}`,
      )
      .all(chainId, safeUint(blockNumber, 'block number'))
      .map(fromRow),
  );
}

/** A row's values in the order of `columns`. */
type Row = [
  chainId: number,
  txHash: Hex,
  logIndex: number,
  blockNumber: number,
  blockHash: Hex,
  kind: string,
  from: Address | null,
  to: Address | null,
  amount: string,
  tokenId: string | null,
  timestamp: number | null,
  data: string,
];

function toParams(
  event: HistoryEvent,
  address: (text: string | null, what: string) => Address | null,
): Row {
  return [
    safeUint(event.chainId, 'chain id'),
    hash32(event.txHash, 'transaction hash'),
    safeUint(event.logIndex, 'log index'),
    safeUint(event.blockNumber, 'block number'),
    hash32(event.blockHash, 'block hash'),
    event.kind,
    address(event.from, 'sender'),
    address(event.to, 'recipient'),
    uintText(event.amount, 'amount'),
    event.tokenId === null ? null : uintText(event.tokenId, 'token id'),
    event.timestamp === null ? null : safeUint(event.timestamp, 'timestamp'),
    canonicalJson(event.data ?? {}),
  ];
}

function fromRow(row: HistoryRow): HistoryEvent {
  return {
    chainId: row.chain_id,
    txHash: row.tx_hash as Hex,
    logIndex: row.log_index,
    blockNumber: row.block_number,
    blockHash: row.block_hash as Hex,
    kind: row.kind,
    from: row.from_address as Address | null,
    to: row.to_address as Address | null,
    amount: BigInt(row.amount),
    tokenId: row.token_id === null ? null : BigInt(row.token_id),
    timestamp: row.timestamp,
    data: parseJsonObject(row.data),
  };
}

/** Distinct (block, hash) pairs the history holds below `below`, newest first: reorg anchors. */
export function historyBlocks(
  store: Store,
  chainId: number,
  below: number,
  limit: number,
): Array<{ blockNumber: number; blockHash: Hex }> {
  return store.db
    .prepare<[number, number, number], { blockNumber: number; blockHash: Hex }>(
      `SELECT DISTINCT block_number AS blockNumber, block_hash AS blockHash FROM history
       WHERE chain_id = ? AND block_number < ? ORDER BY block_number DESC LIMIT ?`,
    )
    .all(chainId, below, limit);
}
