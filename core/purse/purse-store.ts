/**
 * The offline purse's rows in Signet's store (schema step 10): this
 * computer's purses, the vouchers it signed and received, and the operators'
 * certificate keys as last synced. Every row names its chainId; money is
 * bigint here, canonical decimal text in SQLite.
 */
import { hostname } from 'node:os';
import { type Address, getAddress, type Hex } from 'viem';
import { SignetError } from '../api/errors.js';
import type { Store } from '../store/database.js';
import type { PurseCertificate, Voucher } from './typed-data.js';

export interface PurseRecord {
  chainId: number;
  purseContract: Address;
  certificate: PurseCertificate;
  /** Null until the operator certified the purse opened on chain ('opening', 'certifying'). */
  certificateSignature: Hex | null;
  keyUri: string;
  /**
   * 'opening': approve + open sent, not yet seen at the confirmation depth;
   * 'certifying': opened on chain, awaiting the operator's certificate (pays
   * nothing yet); 'open': certified; 'closed'.
   */
  state: 'opening' | 'certifying' | 'open' | 'closed';
  counter: number;
  cumulative: bigint;
  lastVoucherHash: Hex;
  mismatch: boolean;
  /** As the chain said at the last read. */
  chainPaid: bigint;
  frozen: boolean;
  closableFrom: number | null;
  createdAt: string;
}

interface PurseRow {
  chain_id: number;
  purse: string;
  purse_contract: string;
  owner: string;
  key_uri: string;
  operator: string;
  epoch: number;
  locked: string;
  cap: string;
  max_count: number;
  valid_from: number;
  valid_until: number;
  certificate_sig: string | null;
  state: PurseRecord['state'];
  counter: number;
  cumulative: string;
  last_voucher_hash: string;
  mismatch: number;
  chain_paid: string;
  frozen: number;
  closable_from: number | null;
  created_at: string;
}

const purseFromRow = (row: PurseRow): PurseRecord => ({
  chainId: row.chain_id,
  purseContract: getAddress(row.purse_contract),
  certificate: {
    purse: getAddress(row.purse),
    owner: getAddress(row.owner),
    locked: BigInt(row.locked),
    cap: BigInt(row.cap),
    maxCount: row.max_count,
    validFrom: BigInt(row.valid_from),
    validUntil: BigInt(row.valid_until),
    operator: getAddress(row.operator),
    epoch: row.epoch,
  },
  certificateSignature: row.certificate_sig as Hex | null,
  keyUri: row.key_uri,
  state: row.state,
  counter: row.counter,
  cumulative: BigInt(row.cumulative),
  lastVoucherHash: row.last_voucher_hash as Hex,
  mismatch: row.mismatch === 1,
  chainPaid: BigInt(row.chain_paid),
  frozen: row.frozen === 1,
  closableFrom: row.closable_from,
  createdAt: row.created_at,
});

export function addPurse(
  store: Store,
  purse: Pick<
    PurseRecord,
    | 'chainId'
    | 'purseContract'
    | 'certificate'
    | 'certificateSignature'
    | 'keyUri'
    | 'state'
    | 'lastVoucherHash'
  >,
): void {
  const c = purse.certificate;
  store.db
    .prepare(
      `INSERT INTO purses (chain_id, purse, purse_contract, owner, key_uri, operator, epoch, locked,
         cap, max_count, valid_from, valid_until, certificate_sig, state, last_voucher_hash, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      purse.chainId,
      getAddress(c.purse),
      getAddress(purse.purseContract),
      getAddress(c.owner),
      purse.keyUri,
      getAddress(c.operator),
      c.epoch,
      c.locked.toString(),
      c.cap.toString(),
      c.maxCount,
      Number(c.validFrom),
      Number(c.validUntil),
      purse.certificateSignature,
      purse.state,
      purse.lastVoucherHash,
      store.now().toISOString(),
    );
}

export function getPurse(store: Store, chainId: number, purse: Address): PurseRecord | undefined {
  const row = store.db
    .prepare<[number, string], PurseRow>('SELECT * FROM purses WHERE chain_id = ? AND purse = ?')
    .get(chainId, getAddress(purse));
  return row && purseFromRow(row);
}

/** The chain's purses, newest epoch first; of one owner when given. */
export function listPurses(store: Store, chainId: number, owner?: Address): PurseRecord[] {
  const rows =
    owner === undefined
      ? store.db
          .prepare<[number], PurseRow>(
            'SELECT * FROM purses WHERE chain_id = ? ORDER BY created_at DESC, epoch DESC',
          )
          .all(chainId)
      : store.db
          .prepare<[number, string], PurseRow>(
            'SELECT * FROM purses WHERE chain_id = ? AND owner = ? ORDER BY created_at DESC, epoch DESC',
          )
          .all(chainId, getAddress(owner));
  return rows.map(purseFromRow);
}

export function setPurseState(
  store: Store,
  chainId: number,
  purse: Address,
  state: PurseRecord['state'],
): void {
  store.db
    .prepare('UPDATE purses SET state = ? WHERE chain_id = ? AND purse = ?')
    .run(state, chainId, getAddress(purse));
}

/** A purse whose open was never sent (the transactions could not be queued). */
export function removePurse(store: Store, chainId: number, purse: Address): void {
  store.db
    .prepare("DELETE FROM purses WHERE chain_id = ? AND purse = ? AND state = 'opening'")
    .run(chainId, getAddress(purse));
}

/** The counter disagreed with the token's: this purse pays offline no more. */
export function markMismatch(store: Store, chainId: number, purse: Address): void {
  store.db
    .prepare('UPDATE purses SET mismatch = 1 WHERE chain_id = ? AND purse = ?')
    .run(chainId, getAddress(purse));
}

/**
 * The operator's certificate, checked against the terms on chain: the purse
 * pays from now on ('certifying' → 'open').
 */
export function setCertificate(
  store: Store,
  chainId: number,
  purse: Address,
  signature: Hex,
): void {
  store.db
    .prepare(
      `UPDATE purses SET certificate_sig = ?,
         state = CASE WHEN state IN ('opening', 'certifying') THEN 'open' ELSE state END
       WHERE chain_id = ? AND purse = ?`,
    )
    .run(signature, chainId, getAddress(purse));
}

/** What the chain said of the purse at the last read (seen at all: it is opened). */
export function setChainView(
  store: Store,
  chainId: number,
  purse: Address,
  view: { paid: bigint; frozen: boolean; closed: boolean; closableFrom: number },
): void {
  store.db
    .prepare(
      `UPDATE purses SET chain_paid = ?, frozen = ?, closable_from = ?,
         state = CASE WHEN ? THEN 'closed'
           WHEN state = 'opening' AND certificate_sig IS NULL THEN 'certifying'
           WHEN state = 'opening' THEN 'open' ELSE state END
       WHERE chain_id = ? AND purse = ?`,
    )
    .run(
      view.paid.toString(),
      view.frozen ? 1 : 0,
      view.closableFrom,
      view.closed ? 1 : 0,
      chainId,
      getAddress(purse),
    );
}

// ---- vouchers ---------------------------------------------------------------

export type VoucherDirection = 'paid' | 'received';
export type VoucherStatus = 'intent' | 'pending' | 'settled' | 'rejected';

export interface VoucherRecord {
  chainId: number;
  purseContract: Address;
  voucherHash: Hex;
  direction: VoucherDirection;
  voucher: Voucher;
  signature: Hex | null;
  certificate: PurseCertificate;
  certificateSignature: Hex;
  status: VoucherStatus;
  settledTx: Hex | null;
  storedAt: string;
}

interface VoucherRow {
  chain_id: number;
  voucher_hash: string;
  direction: VoucherDirection;
  purse_contract: string;
  purse: string;
  epoch: number;
  payee: string;
  amount: string;
  counter: number;
  cumulative: string;
  prev_voucher_hash: string;
  issued_at: number;
  signature: string | null;
  certificate: string;
  certificate_sig: string;
  status: VoucherStatus;
  claimed_by: string | null;
  settled_tx: string | null;
  stored_at: string;
}

function certificateToText(c: PurseCertificate): string {
  return JSON.stringify({
    ...c,
    locked: c.locked.toString(),
    cap: c.cap.toString(),
    validFrom: c.validFrom.toString(),
    validUntil: c.validUntil.toString(),
  });
}

function certificateFromText(text: string): PurseCertificate {
  const c = JSON.parse(text) as Record<string, string | number>;
  return {
    purse: getAddress(String(c.purse)),
    owner: getAddress(String(c.owner)),
    locked: BigInt(c.locked!),
    cap: BigInt(c.cap!),
    maxCount: Number(c.maxCount),
    validFrom: BigInt(c.validFrom!),
    validUntil: BigInt(c.validUntil!),
    operator: getAddress(String(c.operator)),
    epoch: Number(c.epoch),
  };
}

const voucherFromRow = (row: VoucherRow): VoucherRecord => ({
  chainId: row.chain_id,
  purseContract: getAddress(row.purse_contract),
  voucherHash: row.voucher_hash as Hex,
  direction: row.direction,
  voucher: {
    purse: getAddress(row.purse),
    epoch: row.epoch,
    payee: getAddress(row.payee),
    amount: BigInt(row.amount),
    counter: row.counter,
    cumulative: BigInt(row.cumulative),
    prevVoucherHash: row.prev_voucher_hash as Hex,
    issuedAt: BigInt(row.issued_at),
  },
  signature: row.signature as Hex | null,
  certificate: certificateFromText(row.certificate),
  certificateSignature: row.certificate_sig as Hex,
  status: row.status,
  settledTx: row.settled_tx as Hex | null,
  storedAt: row.stored_at,
});

export function addVoucher(
  store: Store,
  record: Omit<VoucherRecord, 'settledTx' | 'storedAt'>,
  claimedBy: string | null = null,
): void {
  const v = record.voucher;
  store.db
    .prepare(
      `INSERT INTO purse_vouchers (chain_id, voucher_hash, direction, purse_contract, purse, epoch,
         payee, amount, counter, cumulative, prev_voucher_hash, issued_at, signature, certificate,
         certificate_sig, status, stored_at, claimed_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      record.chainId,
      record.voucherHash,
      record.direction,
      getAddress(record.purseContract),
      getAddress(v.purse),
      v.epoch,
      getAddress(v.payee),
      v.amount.toString(),
      v.counter,
      v.cumulative.toString(),
      v.prevVoucherHash,
      Number(v.issuedAt),
      record.signature,
      certificateToText(record.certificate),
      record.certificateSignature,
      record.status,
      store.now().toISOString(),
      claimedBy,
    );
}

/** The process that claims a paid voucher's counter: this one, on this host. */
export const THIS_PROCESS = `${process.pid}@${hostname()}`;

/**
 * Claims the next counter of a purse for this process: the intent row, written
 * before the token is touched. The unique index on paid vouchers' (chain,
 * purse, counter) lets one process only take a counter; the other's claim is
 * DEVICE_BUSY and it signs nothing.
 */
export function claimIntent(store: Store, record: VoucherRecord): void {
  try {
    addVoucher(store, record, THIS_PROCESS);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw error;
    const v = record.voucher;
    throw new SignetError(
      'DEVICE_BUSY',
      `another payment from purse ${v.purse} took counter ${v.counter} first; nothing was signed, try again`,
      { details: { purse: v.purse, counter: v.counter } },
    );
  }
}

/**
 * Whether the process that claimed an intent may still be paying: another
 * live process on this host. A dead one (a crash) left the intent to resume;
 * this process's own intents are resumed too (one payment per purse at a time
 * runs in here). A claim from another host is treated as live.
 */
export function claimedElsewhere(claimedBy: string | null): boolean {
  if (claimedBy === null || claimedBy === THIS_PROCESS) return false;
  const [pid, host] = claimedBy.split('@');
  if (host !== hostname()) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function getVoucher(
  store: Store,
  chainId: number,
  voucherHash: Hex,
  direction: VoucherDirection,
): VoucherRecord | undefined {
  const row = store.db
    .prepare<[number, string, string], VoucherRow>(
      'SELECT * FROM purse_vouchers WHERE chain_id = ? AND voucher_hash = ? AND direction = ?',
    )
    .get(chainId, voucherHash, direction);
  return row && voucherFromRow(row);
}

/** A paid voucher written as an intent and not yet signed (a crash, or another process paying). */
export function findIntent(
  store: Store,
  chainId: number,
  purse: Address,
): (VoucherRecord & { claimedBy: string | null }) | undefined {
  const row = store.db
    .prepare<[number, string], VoucherRow>(
      `SELECT * FROM purse_vouchers WHERE chain_id = ? AND purse = ? AND direction = 'paid'
         AND status = 'intent' ORDER BY counter LIMIT 1`,
    )
    .get(chainId, getAddress(purse));
  return row && { ...voucherFromRow(row), claimedBy: row.claimed_by };
}

export function dropIntent(store: Store, chainId: number, voucherHash: Hex): void {
  store.db
    .prepare(
      `DELETE FROM purse_vouchers WHERE chain_id = ? AND voucher_hash = ? AND direction = 'paid'
         AND status = 'intent'`,
    )
    .run(chainId, voucherHash);
}

/** The intent signed: the voucher is paid, and the purse's counter moves to it (one transaction). */
export function completeIntent(store: Store, record: VoucherRecord, signature: Hex): void {
  store.transaction(() => {
    store.db
      .prepare(
        `UPDATE purse_vouchers SET signature = ?, status = 'pending'
         WHERE chain_id = ? AND voucher_hash = ? AND direction = 'paid' AND status = 'intent'`,
      )
      .run(signature, record.chainId, record.voucherHash);
    store.db
      .prepare(
        `UPDATE purses SET counter = ?, cumulative = ?, last_voucher_hash = ?
         WHERE chain_id = ? AND purse = ?`,
      )
      .run(
        record.voucher.counter,
        record.voucher.cumulative.toString(),
        record.voucherHash,
        record.chainId,
        getAddress(record.voucher.purse),
      );
  });
}

/** Signed vouchers of a purse this computer holds (either direction), by counter. */
export function heldVouchers(store: Store, chainId: number, purse: Address): Voucher[] {
  const rows = store.db
    .prepare<[number, string], VoucherRow>(
      `SELECT * FROM purse_vouchers WHERE chain_id = ? AND purse = ? AND status != 'intent'
         ORDER BY counter`,
    )
    .all(chainId, getAddress(purse));
  const seen = new Set<string>();
  return rows
    .filter((row) => !seen.has(row.voucher_hash) && seen.add(row.voucher_hash))
    .map((row) => voucherFromRow(row).voucher);
}

/** Vouchers of the chain, newest first; of some payees or purses when given. */
export function listVouchers(
  store: Store,
  chainId: number,
  filter: { status?: VoucherStatus[]; direction?: VoucherDirection } = {},
): VoucherRecord[] {
  return store.db
    .prepare<[number], VoucherRow>(
      'SELECT * FROM purse_vouchers WHERE chain_id = ? ORDER BY stored_at DESC, counter DESC',
    )
    .all(chainId)
    .map(voucherFromRow)
    .filter(
      (row) =>
        (filter.status === undefined || filter.status.includes(row.status)) &&
        (filter.direction === undefined || filter.direction === row.direction),
    );
}

/** Received and not settled: offline income, of `payees` when given. */
export function pendingIncome(store: Store, chainId: number, payees?: readonly Address[]): bigint {
  const wanted = payees && new Set(payees.map((p) => getAddress(p)));
  return listVouchers(store, chainId, { status: ['pending'], direction: 'received' })
    .filter((row) => !wanted || wanted.has(row.voucher.payee))
    .reduce((sum, row) => sum + row.voucher.amount, 0n);
}

export function setVoucherStatus(
  store: Store,
  chainId: number,
  voucherHash: Hex,
  status: 'settled' | 'rejected',
  settledTx: Hex | null,
): void {
  store.db
    .prepare(
      `UPDATE purse_vouchers SET status = ?, settled_tx = COALESCE(?, settled_tx)
       WHERE chain_id = ? AND voucher_hash = ? AND status IN ('pending', 'rejected')`,
    )
    .run(status, settledTx, chainId, voucherHash);
}

// ---- certificate keys -------------------------------------------------------

/** Where the last certificate-key sync of a purse contract stopped, or null (never synced). */
export function keySyncCheckpoint(
  store: Store,
  chainId: number,
  purseContract: Address,
): { block: number; blockHash: Hex } | null {
  const row = store.db
    .prepare<[number, string], { block: number; block_hash: string }>(
      'SELECT block, block_hash FROM purse_key_sync WHERE chain_id = ? AND purse_contract = ?',
    )
    .get(chainId, getAddress(purseContract));
  return row ? { block: row.block, blockHash: row.block_hash as Hex } : null;
}

/**
 * A sync's result: the keys it re-read (listed → operator, delisted → null)
 * replace theirs, the others stay, and the checkpoint moves to `block`. With
 * `full`, the contract's list is replaced whole (a sync from the deploy block).
 */
export function applyCertificateKeySync(
  store: Store,
  chainId: number,
  purseContract: Address,
  changes: ReadonlyMap<Address, Address | null>,
  checkpoint: { block: number; blockHash: Hex; full: boolean },
  syncedAt: number,
): void {
  const contract = getAddress(purseContract);
  store.transaction(() => {
    if (checkpoint.full) {
      replaceCertificateKeys(store, chainId, contract, new Map(), syncedAt);
    }
    const remove = store.db.prepare(
      'DELETE FROM purse_certificate_keys WHERE chain_id = ? AND purse_contract = ? AND key = ?',
    );
    const insert = store.db.prepare(
      `INSERT INTO purse_certificate_keys (chain_id, purse_contract, key, operator, synced_at)
       VALUES (?, ?, ?, ?, ?)`,
    );
    for (const [key, operator] of changes) {
      remove.run(chainId, contract, getAddress(key));
      if (operator !== null)
        insert.run(chainId, contract, getAddress(key), getAddress(operator), syncedAt);
    }
    // Every row records the latest sync (the sentinel row marks "synced" when no key is listed).
    store.db
      .prepare(
        'UPDATE purse_certificate_keys SET synced_at = ? WHERE chain_id = ? AND purse_contract = ?',
      )
      .run(syncedAt, chainId, contract);
    store.db
      .prepare(
        `INSERT INTO purse_key_sync (chain_id, purse_contract, block, block_hash) VALUES (?, ?, ?, ?)
         ON CONFLICT (chain_id, purse_contract) DO UPDATE SET block = excluded.block,
           block_hash = excluded.block_hash`,
      )
      .run(chainId, contract, checkpoint.block, checkpoint.blockHash);
  });
}

/** The operators' certificate keys as synced: replaces the contract's whole list. */
export function replaceCertificateKeys(
  store: Store,
  chainId: number,
  purseContract: Address,
  keys: ReadonlyMap<Address, Address>,
  syncedAt: number,
): void {
  store.transaction(() => {
    store.db
      .prepare('DELETE FROM purse_certificate_keys WHERE chain_id = ? AND purse_contract = ?')
      .run(chainId, getAddress(purseContract));
    const insert = store.db.prepare(
      `INSERT INTO purse_certificate_keys (chain_id, purse_contract, key, operator, synced_at)
       VALUES (?, ?, ?, ?, ?)`,
    );
    for (const [key, operator] of keys) {
      insert.run(
        chainId,
        getAddress(purseContract),
        getAddress(key),
        getAddress(operator),
        syncedAt,
      );
    }
    // An empty list still records the sync.
    if (keys.size === 0) {
      insert.run(
        chainId,
        getAddress(purseContract),
        '0x0000000000000000000000000000000000000000',
        '0x0000000000000000000000000000000000000000',
        syncedAt,
      );
    }
  });
}

export function certificateKeys(
  store: Store,
  chainId: number,
  purseContract: Address,
): { keys: Map<Address, Address>; syncedAt: number | null } {
  const rows = store.db
    .prepare<[number, string], { key: string; operator: string; synced_at: number }>(
      'SELECT key, operator, synced_at FROM purse_certificate_keys WHERE chain_id = ? AND purse_contract = ?',
    )
    .all(chainId, getAddress(purseContract));
  const zero = '0x0000000000000000000000000000000000000000';
  const keys = new Map<Address, Address>(
    rows
      .filter((row) => row.key !== zero)
      .map((row) => [getAddress(row.key), getAddress(row.operator)]),
  );
  return { keys, syncedAt: rows[0]?.synced_at ?? null };
}
