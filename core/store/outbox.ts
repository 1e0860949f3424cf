/**
 * Signed transactions waiting to reach the chain: "sign offline, sync later".
 *
 *   signed ──► sent ──► included ──► confirmed
 *     │         │  │       └──► failed     (reverted, at the confirmation depth:
 *     │         │  │                        the receipt's block is kept)
 *     │         │  └──► failed             (dropped: gone, its nonce free)
 *     └─────────┴──► failed | replaced     (refused by a quorum | nonce taken by another)
 *   unconfirm (a reorg): included | confirmed | failed in a block ──► sent
 *
 * Who may move a row where is the sync's business (core/sync/outbox-sender.ts):
 * a row that was ever sent is never failed for a refusal, only for a reverted
 * receipt or once the chain shows its nonce free and the transaction gone.
 *
 * Each state change is one UPDATE guarded by the statuses it may leave, so a
 * crash or a second Signet process between steps can neither lose a transaction
 * nor move it twice. Repeating a change that already happened is a no-op that
 * returns false (two processes syncing the same receipt is normal); a change the
 * current status forbids throws. markSent on a 'sent' row is a re-broadcast: it
 * counts another attempt.
 */
import type Database from 'better-sqlite3';
import { type Address, type Hex, keccak256 } from 'viem';
import { SignetError } from '../api/errors.js';
import { requireAccount } from './accounts.js';
import { canonicalJson } from './canonical-json.js';
import { checksumAddress, hash32, hexBytes, parseJsonObject, safeUint, uintText } from './codec.js';
import type { Store } from './database.js';

export type OutboxStatus = 'signed' | 'sent' | 'included' | 'confirmed' | 'failed' | 'replaced';
export type OutboxAsset = 'currency' | 'note';

export interface NewOutboxTx {
  chainId: number;
  from: string;
  nonce: number;
  /** The signed transaction, ready for eth_sendRawTransaction; its hash is derived from it here. */
  raw: Hex;
  kind: string;
  /** What the UI shows and pending sums read: to, amount, tokenId, …; bigints become strings. */
  summary: Record<string, unknown>;
  asset: OutboxAsset;
  /** Outgoing currency in minor units; 0n when none. */
  amount: bigint;
  /**
   * A carried operation: the P-256 account it acts for (the amount leaves that
   * account, not `from`) and that account's own nonce. Absent: an ordinary
   * transaction of `from`.
   */
  carried?: CarriedFor;
}

/** The account a carried operation acts for, and its nonce there (P256Account.nonce). */
export interface CarriedFor {
  account: Address;
  nonce: number;
}

/** A signed transaction checked and encoded for its row, its hash computed: ready to insert. */
export interface PreparedOutboxTx {
  readonly chainId: number;
  readonly from: Address;
  readonly nonce: number;
  readonly txHash: Hex;
  readonly raw: Hex;
  readonly kind: string;
  readonly summary: string;
  readonly asset: OutboxAsset;
  readonly amount: string;
  readonly account: Address | null;
  readonly accountNonce: number | null;
}

export interface OutboxTx extends Omit<NewOutboxTx, 'from' | 'carried'> {
  id: number;
  from: Address;
  txHash: Hex;
  status: OutboxStatus;
  /** Why it failed (a revert reason, the node's refusal). */
  error: string | null;
  createdAt: string;
  /** First broadcast. */
  sentAt: string | null;
  includedAt: string | null;
  blockNumber: number | null;
  blockHash: Hex | null;
  /** Broadcasts so far. */
  attempts: number;
  /** The pinned block at which a quorum first said: no node knows it and its nonce is free. */
  missingSince: number | null;
  /** A carried operation's account and account nonce; null for an ordinary transaction. */
  carried: CarriedFor | null;
}

interface OutboxRow {
  id: number;
  chain_id: number;
  from_address: string;
  nonce: number;
  tx_hash: string;
  raw: string;
  kind: string;
  summary: string;
  asset: OutboxAsset;
  amount: string;
  status: OutboxStatus;
  error: string | null;
  created_at: string;
  sent_at: string | null;
  included_at: string | null;
  block_number: number | null;
  block_hash: string | null;
  attempts: number;
  missing_since: number | null;
  account_address: string | null;
  account_nonce: number | null;
}

/** Rows that hold their nonce: everything but failed and replaced. */
const LIVE = `status NOT IN ('failed', 'replaced')`;
/** Rows whose amount is still leaving the account. */
const PENDING = `status IN ('signed', 'sent', 'included')`;
/** Whose money a row moves: the account a carried operation acts for, else the sender. */
const PAYER = 'coalesce(account_address, from_address)';

/**
 * Checks and encodes a signed transaction for the outbox, outside any lock (a
 * wallet does it while the token signs the next one). The transaction hash is
 * computed here, once, from the signed bytes: one hash means one set of signed
 * bytes everywhere below.
 */
export function prepareSigned(tx: NewOutboxTx): PreparedOutboxTx {
  const raw = hexBytes(tx.raw, 'signed transaction');
  return {
    chainId: safeUint(tx.chainId, 'chain id'),
    from: checksumAddress(tx.from, 'sender'),
    nonce: safeUint(tx.nonce, 'nonce'),
    txHash: keccak256(raw),
    raw,
    kind: tx.kind,
    summary: canonicalJson(tx.summary),
    asset: tx.asset,
    amount: uintText(tx.amount, 'amount'),
    account: tx.carried ? checksumAddress(tx.carried.account, 'carried account') : null,
    accountNonce: tx.carried ? safeUint(tx.carried.nonce, 'account nonce') : null,
  };
}

/**
 * Records prepared transactions, all or none, in one write transaction that
 * does little more than the inserts. The same transaction again is a no-op (a
 * retry after a crash); a second one with a live nonce is refused, naming the
 * holder (the partial unique index is what refuses it).
 */
export function addPrepared(store: Store, txs: readonly PreparedOutboxTx[]): OutboxTx[] {
  const createdAt = store.now().toISOString();
  return store.transaction(() => {
    const accounts = txs.flatMap((tx) => (tx.account ? [tx.from, tx.account] : [tx.from]));
    for (const address of new Set(accounts)) requireAccount(store, address);
    const insert = store.db.prepare<[PreparedOutboxTx & { createdAt: string }]>(
      `INSERT INTO outbox (chain_id, from_address, nonce, tx_hash, raw, kind, summary, asset, amount,
                           created_at, account_address, account_nonce)
       VALUES (@chainId, @from, @nonce, @txHash, @raw, @kind, @summary, @asset, @amount, @createdAt,
               @account, @accountNonce)
       ON CONFLICT (tx_hash) DO NOTHING`,
    );
    return txs.map((tx) => {
      let added: Database.RunResult;
      try {
        added = insert.run({ ...tx, createdAt });
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
          throw nonceTaken(store, tx);
        throw error;
      }
      // A new row is what was inserted, as the schema's defaults left it; none means a retry.
      return added.changes === 1
        ? fromRow({
            id: Number(added.lastInsertRowid),
            chain_id: tx.chainId,
            from_address: tx.from,
            nonce: tx.nonce,
            tx_hash: tx.txHash,
            raw: tx.raw,
            kind: tx.kind,
            summary: tx.summary,
            asset: tx.asset,
            amount: tx.amount,
            status: 'signed',
            error: null,
            created_at: createdAt,
            sent_at: null,
            included_at: null,
            block_number: null,
            block_hash: null,
            attempts: 0,
            missing_since: null,
            account_address: tx.account,
            account_nonce: tx.accountNonce,
          })
        : getOutbox(store, tx.txHash)!;
    });
  });
}

/** Records one signed transaction: prepareSigned, then addPrepared. */
export function addSigned(store: Store, tx: NewOutboxTx): OutboxTx {
  return addPrepared(store, [prepareSigned(tx)])[0]!;
}

function nonceTaken(store: Store, tx: PreparedOutboxTx): SignetError {
  if (tx.account !== null && tx.accountNonce !== null) {
    const carrier = store.db
      .prepare<[number, string, number], string>(
        `SELECT tx_hash FROM outbox
         WHERE chain_id = ? AND account_address = ? AND account_nonce = ? AND ${LIVE}`,
      )
      .pluck()
      .get(tx.chainId, tx.account, tx.accountNonce);
    if (carrier) {
      return new SignetError(
        'INVALID_ARGUMENT',
        `account nonce ${tx.accountNonce} of ${tx.account} is already used by transaction ${carrier}; mark that one replaced or failed first`,
        {
          details: {
            chainId: tx.chainId,
            account: tx.account,
            accountNonce: tx.accountNonce,
            txHash: carrier,
          },
        },
      );
    }
  }
  const holder = store.db
    .prepare<[number, string, number], string>(
      `SELECT tx_hash FROM outbox WHERE chain_id = ? AND from_address = ? AND nonce = ? AND ${LIVE}`,
    )
    .pluck()
    .get(tx.chainId, tx.from, tx.nonce);
  return new SignetError(
    'INVALID_ARGUMENT',
    `nonce ${tx.nonce} of ${tx.from} is already used by transaction ${holder}; mark that one replaced or failed first`,
    { details: { chainId: tx.chainId, from: tx.from, nonce: tx.nonce, txHash: holder } },
  );
}

export function getOutbox(store: Store, txHash: string): OutboxTx | undefined {
  const row = store.db
    .prepare<[string], OutboxRow>('SELECT * FROM outbox WHERE tx_hash = ?')
    .get(hash32(txHash, 'transaction hash'));
  return row && fromRow(row);
}

/** The nonce to sign with next: nextNonces' first. */
export function nextNonce(store: Store, chainId: number, from: string, chainNonce: number): number {
  return nextNonces(store, chainId, from, chainNonce, 1)[0]!;
}

/**
 * The `count` nonces to sign with next, in order: the lowest ones from the
 * chain's count up that no live outbox entry holds. A nonce a failed or
 * replaced entry let go is filled again, even below live entries: a
 * transaction dropped under one that some node still holds leaves a gap that
 * nothing else can fill, and without it the one above (and everything signed
 * after) could never be mined.
 */
export function nextNonces(
  store: Store,
  chainId: number,
  from: string,
  chainNonce: number,
  count: number,
): number[] {
  return freeNonces(store, 'from_address', 'nonce', chainId, from, chainNonce, count);
}

/**
 * nextNonces for a P-256 account's own nonce (P256Account.nonce): the lowest
 * ones from the account's nonce on chain that no live carried operation holds,
 * whichever wallet account carries it.
 */
export function nextAccountNonces(
  store: Store,
  chainId: number,
  account: string,
  chainNonce: number,
  count: number,
): number[] {
  return freeNonces(store, 'account_address', 'account_nonce', chainId, account, chainNonce, count);
}

function freeNonces(
  store: Store,
  addressColumn: 'from_address' | 'account_address',
  nonceColumn: 'nonce' | 'account_nonce',
  chainId: number,
  address: string,
  chainNonce: number,
  count: number,
): number[] {
  let next = safeUint(chainNonce, 'chain nonce');
  const held = store.db
    .prepare<[number, string, number], number>(
      `SELECT ${nonceColumn} FROM outbox
       WHERE chain_id = ? AND ${addressColumn} = ? AND ${nonceColumn} >= ? AND ${LIVE}
       ORDER BY ${nonceColumn}`,
    )
    .pluck()
    .all(chainId, checksumAddress(address, 'sender'), next);
  const nonces: number[] = [];
  for (const taken of [...held, Number.POSITIVE_INFINITY]) {
    while (nonces.length < count && next < taken) nonces.push(next++);
    if (nonces.length === count) break;
    next = taken + 1;
  }
  return nonces;
}

/**
 * Currency signed away but not yet confirmed: subtract it from the synced
 * balance. A carried operation's amount leaves the account it acts for, not
 * its carrier.
 */
export function pendingOutgoing(store: Store, chainId: number, from: string): bigint {
  const amounts = store.db
    .prepare<[number, string], string>(
      `SELECT amount FROM outbox
       WHERE chain_id = ? AND ${PAYER} = ? AND asset = 'currency' AND ${PENDING}`,
    )
    .pluck()
    .all(chainId, checksumAddress(from, 'sender'));
  // Summed here, not in SQL: SQLite's sum() would go through int64 or float.
  return amounts.reduce((total, amount) => total + BigInt(amount), 0n);
}

export function listOutbox(
  store: Store,
  chainId: number,
  filter: { status?: OutboxStatus } = {},
): OutboxTx[] {
  return store.db
    .prepare<[{ chainId: number; status: string | null }], OutboxRow>(
      `SELECT * FROM outbox WHERE chain_id = @chainId AND (@status IS NULL OR status = @status)
       ORDER BY from_address, nonce, id`,
    )
    .all({ chainId, status: filter.status ?? null })
    .map(fromRow);
}

/** What the sender should (re-)broadcast, each account's in nonce order. */
export function toSend(store: Store, chainId: number): OutboxTx[] {
  return store.db
    .prepare<[number], OutboxRow>(
      `SELECT * FROM outbox WHERE chain_id = ? AND status IN ('signed', 'sent')
       ORDER BY from_address, nonce`,
    )
    .all(chainId)
    .map(fromRow);
}

export function markSent(store: Store, txHash: Hex): boolean {
  return transition(store, txHash, {
    to: 'sent',
    from: ['signed', 'sent'],
    set: 'attempts = attempts + 1, sent_at = coalesce(sent_at, @now)',
    // Another process saw it on chain first: it was evidently sent.
    done: (row) => row.status === 'included' || row.status === 'confirmed',
  });
}

export function markIncluded(
  store: Store,
  txHash: Hex,
  block: { blockNumber: number; blockHash: Hex },
): boolean {
  const blockHash = hash32(block.blockHash, 'block hash');
  return transition(store, txHash, {
    to: 'included',
    from: ['sent'],
    set: 'included_at = @now, block_number = @blockNumber, block_hash = @blockHash',
    params: { blockNumber: safeUint(block.blockNumber, 'block number'), blockHash },
    // In another block means a reorg the caller has not rewound: refuse.
    done: (row) =>
      (row.status === 'included' || row.status === 'confirmed') && row.blockHash === blockHash,
  });
}

export function markConfirmed(store: Store, txHash: Hex): boolean {
  return transition(store, txHash, {
    to: 'confirmed',
    from: ['included'],
    done: (row) => row.status === 'confirmed',
  });
}

/**
 * Refused, reverted or dropped. A reverted transaction names its receipt's
 * block, so that a reorg that takes the block away puts it back in flight.
 */
export function markFailed(
  store: Store,
  txHash: Hex,
  error: string,
  block?: { blockNumber: number; blockHash: Hex },
): boolean {
  return transition(store, txHash, {
    to: 'failed',
    from: ['signed', 'sent', 'included'],
    set: block
      ? 'error = @error, block_number = @blockNumber, block_hash = @blockHash'
      : 'error = @error',
    params: block
      ? {
          error,
          blockNumber: safeUint(block.blockNumber, 'block number'),
          blockHash: hash32(block.blockHash, 'block hash'),
        }
      : { error },
    done: (row) => row.status === 'failed',
  });
}

/**
 * A quorum said no node knows this sent transaction and its nonce is free, at
 * pinned block `blockNumber`: remembers the first such block and returns it.
 */
export function markMissing(store: Store, txHash: Hex, blockNumber: number): number | undefined {
  return store.db
    .prepare<[number, string], number>(
      `UPDATE outbox SET missing_since = coalesce(missing_since, ?)
       WHERE tx_hash = ? AND status = 'sent' RETURNING missing_since`,
    )
    .pluck()
    .get(safeUint(blockNumber, 'block number'), hash32(txHash, 'transaction hash'));
}

/** The transaction was seen again (a node knows it, or its receipt): it is not missing. */
export function clearMissing(store: Store, txHash: Hex): void {
  store.db
    .prepare(
      'UPDATE outbox SET missing_since = NULL WHERE tx_hash = ? AND missing_since IS NOT NULL',
    )
    .run(hash32(txHash, 'transaction hash'));
}

/** Another transaction took this one's nonce (a fee bump, a cancel). */
export function markReplaced(store: Store, txHash: Hex): boolean {
  return transition(store, txHash, {
    to: 'replaced',
    from: ['signed', 'sent'],
    done: (row) => row.status === 'replaced',
  });
}

/**
 * Reorg: transactions included at or above `blockNumber` are back in flight, and
 * so are those that reverted there (their receipt left with the block). A
 * reverted one whose nonce (or carried operation's account nonce) another live
 * row has taken since stays failed.
 */
export function unconfirm(store: Store, chainId: number, blockNumber: number): OutboxTx[] {
  return store.db
    .prepare<[number, number], OutboxRow>(
      `UPDATE outbox SET status = 'sent', error = NULL, included_at = NULL, block_number = NULL,
                         block_hash = NULL, missing_since = NULL
       WHERE chain_id = ? AND block_number >= ?
         AND (status IN ('included', 'confirmed')
              OR (status = 'failed' AND NOT EXISTS (
                    SELECT 1 FROM outbox AS live
                    WHERE live.chain_id = outbox.chain_id AND live.${LIVE}
                      AND ((live.from_address = outbox.from_address AND live.nonce = outbox.nonce)
                           OR (live.account_address = outbox.account_address
                               AND live.account_nonce = outbox.account_nonce)))))
       RETURNING *`,
    )
    .all(chainId, safeUint(blockNumber, 'block number'))
    .map(fromRow);
}

interface Transition {
  to: OutboxStatus;
  /** The statuses the UPDATE may move the row from. */
  from: readonly OutboxStatus[];
  set?: string;
  params?: Record<string, unknown>;
  /** The row already shows this change: report a no-op instead of an error. */
  done: (row: OutboxTx) => boolean;
}

function transition(store: Store, txHash: Hex, step: Transition): boolean {
  const hash = hash32(txHash, 'transaction hash');
  const assignments = ['status = @to', ...(step.set ? [step.set] : [])].join(', ');
  const guard = step.from.map((status) => `'${status}'`).join(', ');
  const { changes } = store.db
    .prepare(`UPDATE outbox SET ${assignments} WHERE tx_hash = @hash AND status IN (${guard})`)
    .run({ ...step.params, to: step.to, hash, now: store.now().toISOString() });
  if (changes === 1) return true;
  const row = getOutbox(store, hash);
  if (!row) {
    throw new SignetError('INVALID_ARGUMENT', `transaction ${hash} is not in the outbox`, {
      details: { txHash: hash },
    });
  }
  if (step.done(row)) return false;
  throw new SignetError(
    'INVALID_ARGUMENT',
    `transaction ${hash} is ${row.status}; it cannot become ${step.to}`,
    { details: { txHash: hash, status: row.status, to: step.to } },
  );
}

function fromRow(row: OutboxRow): OutboxTx {
  return {
    id: row.id,
    chainId: row.chain_id,
    from: row.from_address as Address,
    nonce: row.nonce,
    txHash: row.tx_hash as Hex,
    raw: row.raw as Hex,
    kind: row.kind,
    summary: parseJsonObject(row.summary),
    asset: row.asset,
    amount: BigInt(row.amount),
    status: row.status,
    error: row.error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    includedAt: row.included_at,
    blockNumber: row.block_number,
    blockHash: row.block_hash as Hex | null,
    attempts: row.attempts,
    missingSince: row.missing_since,
    carried:
      row.account_address === null || row.account_nonce === null
        ? null
        : { account: row.account_address as Address, nonce: row.account_nonce },
  };
}
