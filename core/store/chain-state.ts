/**
 * What the last sync saw on chain, per chain id: each wallet account's currency
 * state, and the notes the wallet holds. Plain upserts: the sync decides what is
 * current (after a reorg it may write an older block's state back).
 */
import type { Address } from 'viem';
import { requireAccount } from './accounts.js';
import { checksumAddress, safeUint, uintText } from './codec.js';
import type { Store } from './database.js';

export interface AccountState {
  chainId: number;
  address: Address;
  /** Currency balance in minor units. */
  balance: bigint;
  registered: boolean;
  frozen: boolean;
  /** The account's transaction count on chain as last seen. */
  chainNonce: number;
  updatedBlock: number;
}

export type NoteStatus = 'active' | 'redeemed' | 'dishonoured';

export interface Note {
  chainId: number;
  tokenId: bigint;
  holder: Address;
  slot: bigint;
  acceptor: Address;
  currency: Address;
  /** Unix seconds. */
  maturity: number;
  /** Face value in minor units. */
  value: bigint;
  status: NoteStatus;
  updatedBlock: number;
}

interface AccountStateRow {
  chain_id: number;
  address: string;
  balance: string;
  registered: number;
  frozen: number;
  chain_nonce: number;
  updated_block: number;
}

interface NoteRow {
  chain_id: number;
  token_id: string;
  holder: string;
  slot: string;
  acceptor: string;
  currency: string;
  maturity: number;
  value: string;
  status: NoteStatus;
  updated_block: number;
}

export function upsertAccountState(store: Store, state: AccountState): void {
  const { address } = requireAccount(store, state.address);
  store.db
    .prepare(
      `INSERT INTO account_state
         (chain_id, address, balance, registered, frozen, chain_nonce, updated_block)
       VALUES (@chainId, @address, @balance, @registered, @frozen, @chainNonce, @updatedBlock)
       ON CONFLICT (chain_id, address) DO UPDATE SET
         balance = excluded.balance, registered = excluded.registered, frozen = excluded.frozen,
         chain_nonce = excluded.chain_nonce, updated_block = excluded.updated_block`,
    )
    .run({
      chainId: safeUint(state.chainId, 'chain id'),
      address,
      balance: uintText(state.balance, 'balance'),
      registered: state.registered ? 1 : 0,
      frozen: state.frozen ? 1 : 0,
      chainNonce: safeUint(state.chainNonce, 'chain nonce'),
      updatedBlock: safeUint(state.updatedBlock, 'block number'),
    });
}

export function getAccountState(
  store: Store,
  chainId: number,
  address: string,
): AccountState | undefined {
  const row = store.db
    .prepare<[number, string], AccountStateRow>(
      'SELECT * FROM account_state WHERE chain_id = ? AND address = ?',
    )
    .get(chainId, checksumAddress(address));
  return row && accountStateFromRow(row);
}

export function listAccountStates(store: Store, chainId: number): AccountState[] {
  return store.db
    .prepare<[number], AccountStateRow>(
      'SELECT * FROM account_state WHERE chain_id = ? ORDER BY address',
    )
    .all(chainId)
    .map(accountStateFromRow);
}

export function upsertNote(store: Store, note: Note): void {
  store.db
    .prepare(
      `INSERT INTO notes
         (chain_id, token_id, holder, slot, acceptor, currency, maturity, value, status, updated_block)
       VALUES (@chainId, @tokenId, @holder, @slot, @acceptor, @currency, @maturity, @value, @status,
               @updatedBlock)
       ON CONFLICT (chain_id, token_id) DO UPDATE SET
         holder = excluded.holder, slot = excluded.slot, acceptor = excluded.acceptor,
         currency = excluded.currency, maturity = excluded.maturity, value = excluded.value,
         status = excluded.status, updated_block = excluded.updated_block`,
    )
    .run({
      chainId: safeUint(note.chainId, 'chain id'),
      tokenId: uintText(note.tokenId, 'token id'),
      holder: checksumAddress(note.holder, 'note holder'),
      slot: uintText(note.slot, 'slot'),
      acceptor: checksumAddress(note.acceptor, 'acceptor'),
      currency: checksumAddress(note.currency, 'currency'),
      maturity: safeUint(note.maturity, 'maturity'),
      value: uintText(note.value, 'note value'),
      status: note.status,
      updatedBlock: safeUint(note.updatedBlock, 'block number'),
    });
}

export function getNote(store: Store, chainId: number, tokenId: bigint): Note | undefined {
  const row = store.db
    .prepare<[number, string], NoteRow>('SELECT * FROM notes WHERE chain_id = ? AND token_id = ?')
    .get(chainId, uintText(tokenId, 'token id'));
  return row && noteFromRow(row);
}

/** Soonest maturity first, then token id (numeric order: shorter decimal text is smaller). */
export function listNotes(
  store: Store,
  chainId: number,
  filter: { holder?: string; status?: NoteStatus } = {},
): Note[] {
  return store.db
    .prepare<[{ chainId: number; holder: string | null; status: string | null }], NoteRow>(
      `SELECT * FROM notes
       WHERE chain_id = @chainId
         AND (@holder IS NULL OR holder = @holder) AND (@status IS NULL OR status = @status)
       ORDER BY maturity, length(token_id), token_id`,
    )
    .all({
      chainId,
      holder: filter.holder === undefined ? null : checksumAddress(filter.holder, 'note holder'),
      status: filter.status ?? null,
    })
    .map(noteFromRow);
}

function accountStateFromRow(row: AccountStateRow): AccountState {
  return {
    chainId: row.chain_id,
    address: row.address as Address,
    balance: BigInt(row.balance),
    registered: row.registered === 1,
    frozen: row.frozen === 1,
    chainNonce: row.chain_nonce,
    updatedBlock: row.updated_block,
  };
}

function noteFromRow(row: NoteRow): Note {
  return {
    chainId: row.chain_id,
    tokenId: BigInt(row.token_id),
    holder: row.holder as Address,
    slot: BigInt(row.slot),
    acceptor: row.acceptor as Address,
    currency: row.currency as Address,
    maturity: row.maturity,
    value: BigInt(row.value),
    status: row.status,
    updatedBlock: row.updated_block,
  };
}
