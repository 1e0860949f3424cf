/**
 * The provisioning journal: what a batch (core/provisioning/batch.ts) did to
 * each customer's token, written BEFORE each side effect as an intent and
 * AFTER it as done, so a run killed at any point leaves enough for the next
 * run to find out what happened (the token, the outbox and the chain are asked
 * about an intent left open). It never holds a PIN.
 */
import type { Store } from './database.js';

/** The steps of one customer, in order; `step` is the last one done. */
export const provisionSteps = [
  'pending',
  'token-initialised',
  'key-generated',
  'registered',
  'funded',
  'mailer-written',
] as const;
export type ProvisionStep = (typeof provisionSteps)[number];
/** What a run may be in the middle of: a step, or a fresh user PIN set with the SO PIN. */
export type ProvisionIntent = Exclude<ProvisionStep, 'pending'> | 'pin-reset';

export interface JournalRow {
  batchId: string;
  customerRef: string;
  line: number;
  step: ProvisionStep;
  intent: ProvisionIntent | null;
  tokenSerial: string | null;
  keyUri: string | null;
  address: string | null;
  /** Outbox row ids of the registration and the funding transactions. */
  registerTx: number | null;
  fundTx: number | null;
  amount: bigint;
  /** Times a resume set a fresh user PIN because the run that chose the first one died. */
  pinResets: number;
  updatedAt: string;
}

interface Row {
  batch_id: string;
  customer_ref: string;
  line: number;
  step: ProvisionStep;
  intent: ProvisionIntent | null;
  token_serial: string | null;
  key_uri: string | null;
  address: string | null;
  register_tx: number | null;
  fund_tx: number | null;
  amount: string;
  pin_resets: number;
  updated_at: string;
}

function fromRow(row: Row): JournalRow {
  return {
    batchId: row.batch_id,
    customerRef: row.customer_ref,
    line: row.line,
    step: row.step,
    intent: row.intent,
    tokenSerial: row.token_serial,
    keyUri: row.key_uri,
    address: row.address,
    registerTx: row.register_tx,
    fundTx: row.fund_tx,
    amount: BigInt(row.amount),
    pinResets: row.pin_resets,
    updatedAt: row.updated_at,
  };
}

export function getJournalRow(
  store: Store,
  batchId: string,
  customerRef: string,
): JournalRow | undefined {
  const row = store.db
    .prepare('SELECT * FROM provision_journal WHERE batch_id = ? AND customer_ref = ?')
    .get(batchId, customerRef) as Row | undefined;
  return row && fromRow(row);
}

export function listJournal(store: Store, batchId: string): JournalRow[] {
  return (
    store.db
      .prepare('SELECT * FROM provision_journal WHERE batch_id = ? ORDER BY line')
      .all(batchId) as Row[]
  ).map(fromRow);
}

/** Rows of other batches (or other customers) that claim a customer or a token serial. */
export function otherClaims(
  store: Store,
  batchId: string,
  customerRef: string,
  serial: string | null,
): JournalRow[] {
  return (
    store.db
      .prepare(
        `SELECT * FROM provision_journal
         WHERE step != 'pending' AND NOT (batch_id = ? AND customer_ref = ?)
           AND (customer_ref = ? OR (? IS NOT NULL AND token_serial = ?))`,
      )
      .all(batchId, customerRef, customerRef, serial, serial) as Row[]
  ).map(fromRow);
}

/** The row of a customer, made 'pending' if the journal has none yet. */
export function openJournalRow(
  store: Store,
  row: { batchId: string; customerRef: string; line: number; amount: bigint },
): JournalRow {
  store.db
    .prepare(
      `INSERT INTO provision_journal (batch_id, customer_ref, line, step, amount, updated_at)
       VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`,
    )
    .run(row.batchId, row.customerRef, row.line, row.amount.toString(), now());
  return getJournalRow(store, row.batchId, row.customerRef)!;
}

export interface JournalFacts {
  tokenSerial?: string;
  keyUri?: string;
  address?: string;
  registerTx?: number;
  fundTx?: number;
}

/** Records that `intent` is about to happen (before the side effect). */
export function recordIntent(
  store: Store,
  row: JournalRow,
  intent: ProvisionIntent,
  facts: JournalFacts = {},
): JournalRow {
  return update(store, row, { intent, ...facts });
}

/** Records `step` as done (after the side effect), with what it produced; clears the intent. */
export function recordDone(
  store: Store,
  row: JournalRow,
  step: Exclude<ProvisionStep, 'pending'>,
  facts: JournalFacts = {},
): JournalRow {
  return update(store, row, { step, intent: null, ...facts });
}

/** A fresh user PIN was set with the SO PIN (the one chosen before is gone with its run). */
export function recordPinReset(store: Store, row: JournalRow): JournalRow {
  store.db
    .prepare(
      `UPDATE provision_journal SET pin_resets = pin_resets + 1, intent = NULL, updated_at = ?
       WHERE batch_id = ? AND customer_ref = ?`,
    )
    .run(now(), row.batchId, row.customerRef);
  return getJournalRow(store, row.batchId, row.customerRef)!;
}

/**
 * Takes a row back to `step` when a ledger transaction it recorded failed for
 * good (reverted, or its nonce taken): the next run asks the chain and queues
 * it again. The token, its key and its mailer are not touched.
 */
export function rewindJournalRow(
  store: Store,
  row: JournalRow,
  step: 'key-generated' | 'registered',
): JournalRow {
  store.db
    .prepare(
      `UPDATE provision_journal SET step = ?, intent = NULL, updated_at = ?,
         register_tx = CASE WHEN ? = 'key-generated' THEN NULL ELSE register_tx END,
         fund_tx = NULL
       WHERE batch_id = ? AND customer_ref = ?`,
    )
    .run(step, now(), step, row.batchId, row.customerRef);
  return getJournalRow(store, row.batchId, row.customerRef)!;
}

const columns: Record<string, string> = {
  step: 'step',
  intent: 'intent',
  tokenSerial: 'token_serial',
  keyUri: 'key_uri',
  address: 'address',
  registerTx: 'register_tx',
  fundTx: 'fund_tx',
};

function update(
  store: Store,
  row: JournalRow,
  changes: Record<string, string | number | null | undefined>,
): JournalRow {
  const set = Object.entries(changes).filter(([, value]) => value !== undefined);
  store.db
    .prepare(
      `UPDATE provision_journal SET ${set.map(([key]) => `${columns[key]} = ?`).join(', ')},
       updated_at = ? WHERE batch_id = ? AND customer_ref = ?`,
    )
    .run(...set.map(([, value]) => value), now(), row.batchId, row.customerRef);
  return getJournalRow(store, row.batchId, row.customerRef)!;
}

function now(): string {
  return new Date().toISOString();
}
