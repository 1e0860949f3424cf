/**
 * The collection service's own store (collect.sqlite in its data folder): the
 * vouchers deposited, the settle and fraud-proof transactions they went out in,
 * the fraud pairs found among them, and the certificates the operator issued.
 * Its transactions themselves live in the service's Signet store (outbox), so a
 * batch row names its transaction by hash and is reconciled with the outbox.
 *
 *   voucher:  pending ──► submitted ──► settled      (a quorum of nodes shows it paid)
 *                ▲            ├──► rejected          (the contract refused it for good)
 *                └────────────┘  the transaction failed, or a retriable rejection (later,
 *                                 with a back-off), or unpaid without a reason (up to
 *                                 MAX_ATTEMPTS, then rejected)
 *
 * A voucher's primary key is its hash: depositing it again changes nothing.
 * Every state change is one UPDATE guarded by the state it leaves. Conflicts
 * (another voucher at the counter, an overlapping range, the same previous
 * voucher) are found by index: ranges are kept as fixed-width decimal text so
 * that SQLite compares uint256 amounts in order.
 */
import type { Hex } from 'viem';
import type { OfflinePaymentJson } from '../api/purse-transit.js';
import { openStore, type Store } from '../store/database.js';

export const collectMigrations: readonly string[] = [
  `CREATE TABLE vouchers (
     hash TEXT PRIMARY KEY,
     chain_id INTEGER NOT NULL,
     purse_contract TEXT NOT NULL,
     purse TEXT NOT NULL,
     epoch INTEGER NOT NULL,
     counter INTEGER NOT NULL,
     payee TEXT NOT NULL,
     amount TEXT NOT NULL,
     payment TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'settled', 'rejected')),
     batch_id INTEGER REFERENCES batches (id),
     tx_hash TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     deposited_at TEXT NOT NULL,
     settled_at TEXT,
     -- Why the contract did not pay it (VoucherRejected), when it said.
     reason TEXT,
     -- A retriable rejection (payee inactive, guarantee short) waits until then.
     not_before TEXT
   );
   CREATE INDEX vouchers_by_purse ON vouchers (chain_id, purse, epoch);
   CREATE INDEX vouchers_by_status ON vouchers (chain_id, status, deposited_at);
   CREATE TABLE batches (
     id INTEGER PRIMARY KEY,
     chain_id INTEGER NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('settle', 'fraud')),
     tx_hash TEXT UNIQUE,
     status TEXT NOT NULL CHECK (status IN ('signing', 'queued', 'done', 'failed')),
     created_at TEXT NOT NULL
   );
   CREATE TABLE frauds (
     id INTEGER PRIMARY KEY,
     chain_id INTEGER NOT NULL,
     purse TEXT NOT NULL,
     epoch INTEGER NOT NULL,
     voucher_a TEXT NOT NULL REFERENCES vouchers (hash),
     voucher_b TEXT NOT NULL REFERENCES vouchers (hash),
     kind TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'proven', 'failed')),
     batch_id INTEGER REFERENCES batches (id),
     attempts INTEGER NOT NULL DEFAULT 0,
     UNIQUE (chain_id, purse, epoch)
   );
   CREATE TABLE certificates (
     hash TEXT PRIMARY KEY,
     chain_id INTEGER NOT NULL,
     purse TEXT NOT NULL,
     owner TEXT NOT NULL,
     certificate TEXT NOT NULL,
     signature TEXT NOT NULL,
     issued_at TEXT NOT NULL
   );`,
  // FIX-13 F3: indexed conflict lookup (set for older rows by openCollectStore).
  `ALTER TABLE vouchers ADD COLUMN range_start TEXT;
   ALTER TABLE vouchers ADD COLUMN range_end TEXT;
   ALTER TABLE vouchers ADD COLUMN prev_hash TEXT;
   CREATE INDEX vouchers_by_counter ON vouchers (chain_id, purse, epoch, counter);
   CREATE INDEX vouchers_by_range ON vouchers (chain_id, purse, epoch, range_start);
   CREATE INDEX vouchers_by_prev ON vouchers (chain_id, purse, epoch, prev_hash);`,
];

/** A uint256 as 78-digit decimal text: text order is number order. */
export function sortableAmount(value: bigint): string {
  return value.toString().padStart(78, '0');
}

/** Settle transactions a voucher may go out in without being paid before it is given up. */
export const MAX_ATTEMPTS = 5;

export type CollectedStatus = 'pending' | 'submitted' | 'settled' | 'rejected';

export interface CollectedVoucher {
  hash: Hex;
  chainId: number;
  purse: string;
  epoch: number;
  counter: number;
  payee: string;
  amount: bigint;
  payment: OfflinePaymentJson;
  status: CollectedStatus;
  batchId: number | null;
  txHash: Hex | null;
  attempts: number;
  reason: string | null;
}

interface VoucherRow {
  hash: string;
  chain_id: number;
  purse: string;
  epoch: number;
  counter: number;
  payee: string;
  amount: string;
  payment: string;
  status: CollectedStatus;
  batch_id: number | null;
  tx_hash: string | null;
  attempts: number;
  reason: string | null;
}

function fromRow(row: VoucherRow): CollectedVoucher {
  return {
    hash: row.hash as Hex,
    chainId: row.chain_id,
    purse: row.purse,
    epoch: row.epoch,
    counter: row.counter,
    payee: row.payee,
    amount: BigInt(row.amount),
    payment: JSON.parse(row.payment) as OfflinePaymentJson,
    status: row.status,
    batchId: row.batch_id,
    txHash: row.tx_hash as Hex | null,
    attempts: row.attempts,
    reason: row.reason,
  };
}

export function openCollectStore(path: string): Store {
  const store = openStore(path, { migrations: collectMigrations });
  // Rows stored before the range columns existed get them from their payment.
  const old = store.db
    .prepare<[], { hash: string; payment: string }>(
      'SELECT hash, payment FROM vouchers WHERE range_start IS NULL',
    )
    .all();
  if (old.length > 0) {
    const set = store.db.prepare(
      'UPDATE vouchers SET range_start = ?, range_end = ?, prev_hash = ? WHERE hash = ?',
    );
    store.transaction(() => {
      for (const row of old) {
        const v = (JSON.parse(row.payment) as OfflinePaymentJson).voucher;
        const [start, end] = [BigInt(v.cumulative) - BigInt(v.amount), BigInt(v.cumulative)];
        set.run(
          sortableAmount(start),
          sortableAmount(end),
          v.prevVoucherHash.toLowerCase(),
          row.hash,
        );
      }
    });
  }
  return store;
}

export function getVoucher(store: Store, hash: string): CollectedVoucher | undefined {
  const row = store.db
    .prepare<[string], VoucherRow>('SELECT * FROM vouchers WHERE hash = ?')
    .get(hash.toLowerCase());
  return row && fromRow(row);
}

export function vouchersOfPurse(
  store: Store,
  chainId: number,
  purse: string,
  epoch: number,
): CollectedVoucher[] {
  return store.db
    .prepare<[number, string, number], VoucherRow>(
      'SELECT * FROM vouchers WHERE chain_id = ? AND purse = ? AND epoch = ? ORDER BY counter',
    )
    .all(chainId, purse.toLowerCase(), epoch)
    .map(fromRow);
}

/** How many vouchers the service holds for a purse, and at one of its counters. */
export function heldCounts(
  store: Store,
  chainId: number,
  purse: string,
  epoch: number,
  counter: number,
): { purse: number; counter: number } {
  const row = store.db
    .prepare<[number, number, string, number], { total: number; atCounter: number | null }>(
      `SELECT count(*) AS total, sum(counter = ?) AS atCounter FROM vouchers
       WHERE chain_id = ? AND purse = ? AND epoch = ?`,
    )
    .get(counter, chainId, purse.toLowerCase(), epoch)!;
  return { purse: row.total, counter: row.atCounter ?? 0 };
}

/**
 * The held vouchers that may conflict with one at `counter` claiming [start, end) after
 * `prevHash`: the same counter, an overlapping range, or the same previous voucher
 * (each found by index; the caller decides with verify.ts's fraudKind). Oldest first.
 */
export function conflictCandidates(
  store: Store,
  chainId: number,
  purse: string,
  epoch: number,
  voucher: { counter: number; start: bigint; end: bigint; prevHash: string },
): CollectedVoucher[] {
  return store.db
    .prepare<[number, string, number, number, string, string, string], VoucherRow>(
      `SELECT * FROM vouchers WHERE chain_id = ? AND purse = ? AND epoch = ?
         AND (counter = ? OR (range_start < ? AND range_end > ?) OR prev_hash = ?)
       ORDER BY deposited_at, counter LIMIT 8`,
    )
    .all(
      chainId,
      purse.toLowerCase(),
      epoch,
      voucher.counter,
      sortableAmount(voucher.end),
      sortableAmount(voucher.start),
      voucher.prevHash.toLowerCase(),
    )
    .map(fromRow);
}

export interface NewVoucher {
  hash: Hex;
  chainId: number;
  purseContract: string;
  purse: string;
  epoch: number;
  counter: number;
  payee: string;
  amount: bigint;
  payment: OfflinePaymentJson;
}

/** Stores a deposited voucher as pending; false if it was held already (nothing changes). */
export function insertVoucher(store: Store, voucher: NewVoucher): boolean {
  const { changes } = store.db
    .prepare(
      `INSERT INTO vouchers (hash, chain_id, purse_contract, purse, epoch, counter, payee, amount,
                             payment, status, deposited_at, range_start, range_end, prev_hash)
       VALUES (@hash, @chainId, @purseContract, @purse, @epoch, @counter, @payee, @amount,
               @payment, 'pending', @now, @rangeStart, @rangeEnd, @prevHash)
       ON CONFLICT (hash) DO NOTHING`,
    )
    .run({
      ...voucher,
      rangeStart: sortableAmount(
        BigInt(voucher.payment.voucher.cumulative) - BigInt(voucher.payment.voucher.amount),
      ),
      rangeEnd: sortableAmount(BigInt(voucher.payment.voucher.cumulative)),
      prevHash: voucher.payment.voucher.prevVoucherHash.toLowerCase(),
      hash: voucher.hash.toLowerCase(),
      purseContract: voucher.purseContract.toLowerCase(),
      purse: voucher.purse.toLowerCase(),
      payee: voucher.payee.toLowerCase(),
      amount: voucher.amount.toString(),
      payment: JSON.stringify(voucher.payment),
      now: store.now().toISOString(),
    });
  return changes === 1;
}

/** Records a fraud pair; one per purse and epoch (one proof freezes it). */
export function insertFraud(
  store: Store,
  fraud: { chainId: number; purse: string; epoch: number; a: Hex; b: Hex; kind: string },
): boolean {
  const { changes } = store.db
    .prepare(
      `INSERT INTO frauds (chain_id, purse, epoch, voucher_a, voucher_b, kind, status)
       VALUES (@chainId, @purse, @epoch, @a, @b, @kind, 'pending')
       ON CONFLICT DO NOTHING`,
    )
    .run({
      ...fraud,
      purse: fraud.purse.toLowerCase(),
      a: fraud.a.toLowerCase(),
      b: fraud.b.toLowerCase(),
    });
  return changes === 1;
}

export interface Batch {
  id: number;
  chainId: number;
  kind: 'settle' | 'fraud';
  txHash: Hex | null;
  status: 'signing' | 'queued' | 'done' | 'failed';
}

interface BatchRow {
  id: number;
  chain_id: number;
  kind: 'settle' | 'fraud';
  tx_hash: string | null;
  status: Batch['status'];
}

const batchFromRow = (row: BatchRow): Batch => ({
  id: row.id,
  chainId: row.chain_id,
  kind: row.kind,
  txHash: row.tx_hash as Hex | null,
  status: row.status,
});

export function openBatches(store: Store, chainId: number): Batch[] {
  return store.db
    .prepare<[number], BatchRow>(
      `SELECT * FROM batches WHERE chain_id = ? AND status IN ('signing', 'queued') ORDER BY id`,
    )
    .all(chainId)
    .map(batchFromRow);
}

/**
 * Takes up to `limit` pending vouchers (oldest first) into a new settle batch,
 * in state signing: they are 'submitted' before the token signs, so a crash
 * leaves them accounted for (reconciled with the outbox at the next start).
 */
export function startSettleBatch(
  store: Store,
  chainId: number,
  limit: number,
): { batch: Batch; vouchers: CollectedVoucher[] } | null {
  return store.transaction(() => {
    const rows = store.db
      .prepare<[number, string, number], VoucherRow>(
        `SELECT * FROM vouchers
         WHERE chain_id = ? AND status = 'pending' AND (not_before IS NULL OR not_before <= ?)
         ORDER BY deposited_at, counter LIMIT ?`,
      )
      .all(chainId, store.now().toISOString(), limit);
    if (rows.length === 0) return null;
    const id = Number(
      store.db
        .prepare(
          `INSERT INTO batches (chain_id, kind, status, created_at) VALUES (?, 'settle', 'signing', ?)`,
        )
        .run(chainId, store.now().toISOString()).lastInsertRowid,
    );
    const take = store.db.prepare(
      `UPDATE vouchers SET status = 'submitted', batch_id = ?, attempts = attempts + 1
       WHERE hash = ? AND status = 'pending'`,
    );
    for (const row of rows) take.run(id, row.hash);
    return {
      batch: { id, chainId, kind: 'settle', txHash: null, status: 'signing' },
      vouchers: rows.map((row) => fromRow({ ...row, status: 'submitted', batch_id: id })),
    };
  });
}

export interface FraudPair {
  id: number;
  chainId: number;
  purse: string;
  a: CollectedVoucher;
  b: CollectedVoucher;
}

/** The oldest pending fraud pair, taken into a new fraud batch (signing). */
export function startFraudBatch(
  store: Store,
  chainId: number,
): { batch: Batch; fraud: FraudPair } | null {
  return store.transaction(() => {
    const row = store.db
      .prepare<[number], { id: number; purse: string; voucher_a: string; voucher_b: string }>(
        `SELECT id, purse, voucher_a, voucher_b FROM frauds
         WHERE chain_id = ? AND status = 'pending' ORDER BY id LIMIT 1`,
      )
      .get(chainId);
    if (!row) return null;
    const id = Number(
      store.db
        .prepare(
          `INSERT INTO batches (chain_id, kind, status, created_at) VALUES (?, 'fraud', 'signing', ?)`,
        )
        .run(chainId, store.now().toISOString()).lastInsertRowid,
    );
    store.db
      .prepare(
        `UPDATE frauds SET status = 'submitted', batch_id = ?, attempts = attempts + 1
         WHERE id = ? AND status = 'pending'`,
      )
      .run(id, row.id);
    return {
      batch: { id, chainId, kind: 'fraud', txHash: null, status: 'signing' },
      fraud: {
        id: row.id,
        chainId,
        purse: row.purse,
        a: getVoucher(store, row.voucher_a)!,
        b: getVoucher(store, row.voucher_b)!,
      },
    };
  });
}

/** The batch's transaction is in the outbox: it is queued under that hash. */
export function batchQueued(store: Store, batchId: number, txHash: Hex): void {
  store.transaction(() => {
    store.db
      .prepare(
        `UPDATE batches SET status = 'queued', tx_hash = ? WHERE id = ? AND status = 'signing'`,
      )
      .run(txHash.toLowerCase(), batchId);
    store.db
      .prepare(`UPDATE vouchers SET tx_hash = ? WHERE batch_id = ? AND status = 'submitted'`)
      .run(txHash.toLowerCase(), batchId);
  });
}

export interface BatchOutcome {
  /** The transaction went through (confirmed); false: failed, replaced, or never signed. */
  ok: boolean;
  /** Vouchers a quorum shows settled. */
  settled?: readonly string[];
  /** Vouchers the contract refused for good, with its reason. */
  rejected?: ReadonlyMap<string, string>;
  /** Vouchers refused for now (payee inactive, guarantee short), with its reason. */
  retry?: ReadonlyMap<string, string>;
  /** A fraud batch: the purse shows frozen. */
  proven?: boolean;
}

/** Seconds a retriable voucher waits after its n-th attempt: 10 s doubling, at most an hour. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(3_600, 10 * 2 ** Math.max(0, attempts - 1));
}

/**
 * The batch is over: settled vouchers are paid; rejected ones are given up
 * with the contract's reason; retriable ones wait a back-off; the rest go back
 * to pending (past MAX_ATTEMPTS, rejected). A fraud batch's pair is proven if
 * the purse shows frozen, else pending again (or, past MAX_ATTEMPTS, failed).
 */
export function finishBatch(store: Store, batch: Batch, outcome: BatchOutcome): void {
  store.transaction(() => {
    const now = store.now();
    if (batch.kind === 'settle') {
      const settle = store.db.prepare(
        `UPDATE vouchers SET status = 'settled', settled_at = ?, reason = NULL
         WHERE hash = ? AND batch_id = ? AND status = 'submitted'`,
      );
      for (const hash of outcome.settled ?? []) {
        settle.run(now.toISOString(), hash.toLowerCase(), batch.id);
      }
      const reject = store.db.prepare(
        `UPDATE vouchers SET status = 'rejected', reason = ?
         WHERE hash = ? AND batch_id = ? AND status = 'submitted'`,
      );
      for (const [hash, reason] of outcome.rejected ?? []) {
        reject.run(reason, hash.toLowerCase(), batch.id);
      }
      const retry = store.db.prepare(
        `UPDATE vouchers SET status = 'pending', batch_id = NULL, reason = ?, not_before = ?
         WHERE hash = ? AND batch_id = ? AND status = 'submitted'`,
      );
      for (const [hash, reason] of outcome.retry ?? []) {
        const voucher = getVoucher(store, hash);
        const wait = retryDelaySeconds(voucher?.attempts ?? 1) * 1000;
        retry.run(
          reason,
          new Date(now.getTime() + wait).toISOString(),
          hash.toLowerCase(),
          batch.id,
        );
      }
      store.db
        .prepare(
          `UPDATE vouchers SET status = CASE WHEN attempts >= ? THEN 'rejected' ELSE 'pending' END,
                               reason = CASE WHEN attempts >= ? THEN 'not-settled' ELSE reason END,
                               batch_id = NULL
           WHERE batch_id = ? AND status = 'submitted'`,
        )
        .run(MAX_ATTEMPTS, MAX_ATTEMPTS, batch.id);
    } else {
      store.db
        .prepare(
          `UPDATE frauds SET status = CASE WHEN ? THEN 'proven'
                                           WHEN attempts >= ? THEN 'failed' ELSE 'pending' END
           WHERE batch_id = ? AND status = 'submitted'`,
        )
        .run(outcome.proven ? 1 : 0, MAX_ATTEMPTS, batch.id);
    }
    store.db
      .prepare(`UPDATE batches SET status = ? WHERE id = ? AND status IN ('signing', 'queued')`)
      .run(outcome.ok ? 'done' : 'failed', batch.id);
  });
}

export function batchVouchers(store: Store, batchId: number): CollectedVoucher[] {
  return store.db
    .prepare<[number], VoucherRow>(
      `SELECT * FROM vouchers WHERE batch_id = ? AND status = 'submitted'`,
    )
    .all(batchId)
    .map(fromRow);
}

export function fraudOfBatch(store: Store, batchId: number): { purse: string } | undefined {
  return store.db
    .prepare<[number], { purse: string }>('SELECT purse FROM frauds WHERE batch_id = ?')
    .get(batchId);
}

export function countsByStatus(store: Store, chainId: number): Record<string, number> {
  const rows = store.db
    .prepare<[number], { status: string; n: number }>(
      'SELECT status, count(*) AS n FROM vouchers WHERE chain_id = ? GROUP BY status',
    )
    .all(chainId);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** The signature of a certificate issued before (by its EIP-712 hash), if any. */
export function issuedCertificate(store: Store, hash: Hex): Hex | undefined {
  return store.db
    .prepare<[string], { signature: Hex }>('SELECT signature FROM certificates WHERE hash = ?')
    .get(hash.toLowerCase())?.signature;
}

/** Records an issued certificate; a new signature of the same certificate replaces the old. */
export function recordCertificate(
  store: Store,
  issued: {
    hash: Hex;
    chainId: number;
    purse: string;
    owner: string;
    certificate: unknown;
    signature: Hex;
  },
): void {
  store.db
    .prepare(
      `INSERT INTO certificates (hash, chain_id, purse, owner, certificate, signature, issued_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (hash) DO UPDATE SET signature = excluded.signature, issued_at = excluded.issued_at`,
    )
    .run(
      issued.hash.toLowerCase(),
      issued.chainId,
      issued.purse.toLowerCase(),
      issued.owner.toLowerCase(),
      JSON.stringify(issued.certificate),
      issued.signature,
      store.now().toISOString(),
    );
}
