/**
 * The wallet's treasuries: Safe 1.4.1 accounts it created (core/chain/safe.ts),
 * per chain. A row keeps what fixes the address (owners, threshold, salt nonce),
 * so the prediction can be checked again against the chain, and two Safe nonces:
 * the chain's as last read, and the next one a proposal was written at (a
 * proposal made offline takes max of the two, then moves the latter on).
 */
import { type Address, getAddress } from 'viem';
import { SignetError } from '../api/errors.js';
import type { Store } from './database.js';

export interface Treasury {
  chainId: number;
  address: Address;
  name: string;
  owners: Address[];
  threshold: number;
  saltNonce: bigint;
  chainNonce: bigint;
  nextProposal: bigint;
  createdAt: string;
}

interface TreasuryRow {
  chain_id: number;
  address: string;
  name: string;
  owners: string;
  threshold: number;
  salt: string;
  chain_nonce: number;
  next_proposal: number;
  created_at: string;
}

const fromRow = (row: TreasuryRow): Treasury => ({
  chainId: row.chain_id,
  address: getAddress(row.address),
  name: row.name,
  owners: (JSON.parse(row.owners) as string[]).map((o) => getAddress(o)),
  threshold: row.threshold,
  saltNonce: BigInt(row.salt),
  chainNonce: BigInt(row.chain_nonce),
  nextProposal: BigInt(row.next_proposal),
  createdAt: row.created_at,
});

export function addTreasury(
  store: Store,
  treasury: Pick<Treasury, 'chainId' | 'address' | 'name' | 'owners' | 'threshold' | 'saltNonce'>,
): Treasury {
  const clash = store.db
    .prepare<[number, string, string], TreasuryRow>(
      'SELECT * FROM treasuries WHERE chain_id = ? AND (name = ? OR address = ?)',
    )
    .get(treasury.chainId, treasury.name, getAddress(treasury.address));
  if (clash) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      clash.name.toLowerCase() === treasury.name.toLowerCase()
        ? `a treasury named ${clash.name} exists already on chain ${treasury.chainId}`
        : `treasury ${clash.address} exists already (named ${clash.name})`,
      { details: { field: 'name', reason: 'treasury-exists' } },
    );
  }
  store.db
    .prepare(
      `INSERT INTO treasuries (chain_id, address, name, owners, threshold, salt, created_at)
       VALUES (@chainId, @address, @name, @owners, @threshold, @salt, @createdAt)`,
    )
    .run({
      chainId: treasury.chainId,
      address: getAddress(treasury.address),
      name: treasury.name,
      owners: JSON.stringify(treasury.owners.map((o) => getAddress(o))),
      threshold: treasury.threshold,
      salt: treasury.saltNonce.toString(),
      createdAt: new Date().toISOString(),
    });
  return requireTreasury(store, treasury.chainId, treasury.name);
}

export function listTreasuries(store: Store, chainId: number): Treasury[] {
  return store.db
    .prepare<[number], TreasuryRow>('SELECT * FROM treasuries WHERE chain_id = ? ORDER BY name')
    .all(chainId)
    .map(fromRow);
}

/** By name (any case) or address; TREASURY unknown is one line naming what was asked. */
export function requireTreasury(store: Store, chainId: number, nameOrAddress: string): Treasury {
  const byAddress = /^0x[0-9a-fA-F]{40}$/.test(nameOrAddress);
  const row = store.db
    .prepare<[number, string], TreasuryRow>(
      `SELECT * FROM treasuries WHERE chain_id = ? AND ${byAddress ? 'address = ?' : 'name = ?'}`,
    )
    .get(chainId, byAddress ? getAddress(nameOrAddress) : nameOrAddress);
  if (!row) {
    throw new SignetError(
      'ACCOUNT_UNKNOWN',
      `no treasury ${nameOrAddress} on chain ${chainId}; \`signet treasury create\` makes one`,
      { details: { reason: 'treasury-unknown' } },
    );
  }
  return fromRow(row);
}

/** The Safe nonce the chain showed (it only grows). */
export function recordChainNonce(store: Store, treasury: Treasury, nonce: bigint): void {
  store.db
    .prepare(
      'UPDATE treasuries SET chain_nonce = max(chain_nonce, ?) WHERE chain_id = ? AND address = ?',
    )
    .run(Number(nonce), treasury.chainId, treasury.address);
}

/** A proposal was written at `nonce`: the next one goes after it. */
export function recordProposal(store: Store, treasury: Treasury, nonce: bigint): void {
  store.db
    .prepare(
      'UPDATE treasuries SET next_proposal = max(next_proposal, ?) WHERE chain_id = ? AND address = ?',
    )
    .run(Number(nonce) + 1, treasury.chainId, treasury.address);
}

/**
 * What the chain showed of a deployed treasury: its nonce, and its owners (in
 * getOwners() order, which offline owner changes rely on) and threshold, which
 * change only by the treasury's own approved transactions. Returns the row as
 * now stored, and whether the owners or threshold differed from it.
 */
export function recordChainState(
  store: Store,
  treasury: Treasury,
  state: { owners: readonly Address[]; threshold: number; nonce: bigint },
): { treasury: Treasury; changed: boolean } {
  recordChainNonce(store, treasury, state.nonce);
  const owners = state.owners.map((o) => getAddress(o));
  const changed =
    state.threshold !== treasury.threshold ||
    owners.length !== treasury.owners.length ||
    owners.some((o, i) => o !== treasury.owners[i]);
  if (changed) {
    store.db
      .prepare('UPDATE treasuries SET owners = ?, threshold = ? WHERE chain_id = ? AND address = ?')
      .run(JSON.stringify(owners), state.threshold, treasury.chainId, treasury.address);
  }
  return { treasury: requireTreasury(store, treasury.chainId, treasury.address), changed };
}
