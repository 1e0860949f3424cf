/**
 * After indexing, reads the wallet's accounts and notes from the chain at one
 * block (the sync's pinned block, which every node asked has), every answer
 * cross-checked across the nodes (a lying node is outvoted and flagged):
 * balance, registration, freeze and nonce, and each note's owner, value and slot.
 * A P-256 account's nonce is its contract's (P256Account.nonce, 0 before it is
 * deployed), the one its next operation must carry; its transaction count means
 * nothing, since it never sends a transaction itself.
 * Registration and freeze decide whether the wallet lets the user pay at all,
 * so one node must not set them any more than a balance.
 */
import { type Address, type Hex, toHex } from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi } from '../chain/abi.js';
import { p256AccountFactoryAbi } from '../chain/p256-account.js';
import { readAtBlock } from '../chain/read-at-block.js';
import { readNote } from '../chain/read-note.js';
import { safeAbi } from '../chain/safe.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import { type Account, listAccounts } from '../store/accounts.js';
import { getNote, upsertAccountState, upsertNote } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { listTreasuries, recordChainNonce } from '../store/treasuries.js';
import { upsertTreasuryState } from '../store/treasury-state.js';

export async function refreshAccounts(
  store: Store,
  rpc: RpcPool,
  profile: ChainProfile,
  head: number,
): Promise<void> {
  const read = <T>(functionName: string, address: Address) =>
    readAtBlock<T>(
      rpc,
      { to: profile.contracts.currency, abi: currencyAbi, functionName, args: [address] },
      head,
      true,
    );
  const factory = profile.contracts.p256AccountFactory;
  const nonceOf = async (account: Account): Promise<bigint> => {
    if (account.curve !== 'p256') {
      const count = await rpc.request<Hex>(
        'eth_getTransactionCount',
        [account.address, toHex(head)],
        { crossCheck: true, atBlock: head },
      );
      return BigInt(count);
    }
    // A ledger without the factory has no P-256 accounts: nothing ever executed there.
    if (factory === undefined) return 0n;
    const call = {
      to: factory,
      abi: p256AccountFactoryAbi,
      functionName: 'nonceOf',
      args: [account.address],
    };
    return readAtBlock<bigint>(rpc, call, head, true);
  };
  for (const account of listAccounts(store)) {
    const [balance, registered, frozen, nonce] = await Promise.all([
      read<bigint>('balanceOf', account.address),
      read<boolean>('isRegistered', account.address),
      read<boolean>('isFrozen', account.address),
      nonceOf(account),
    ]);
    upsertAccountState(store, {
      chainId: profile.chainId,
      address: account.address,
      balance,
      registered,
      frozen,
      chainNonce: Number(nonce),
      updatedBlock: head,
    });
  }
}

export async function refreshNotes(
  store: Store,
  rpc: RpcPool,
  profile: ChainProfile,
  head: number,
  tokenIds: Iterable<bigint>,
): Promise<void> {
  for (const tokenId of tokenIds) {
    const known = getNote(store, profile.chainId, tokenId);
    try {
      upsertNote(store, await readNote(rpc, profile, tokenId, head, known));
    } catch (error) {
      // ownerOf reverts for a burnt note: redeemed in full.
      if (!(error instanceof SignetError) || error.code !== 'RPC_ERROR' || !known) throw error;
      upsertNote(store, { ...known, value: 0n, status: 'redeemed', updatedBlock: head });
    }
  }
}

/**
 * Each treasury of this chain at the pinned block, every answer cross-checked:
 * its money and standing in the currency's registry like an account's, and,
 * once the Safe has code, its owners, threshold and nonce (the nonce also moves
 * the treasury's queue on: core/store/treasuries.ts).
 */
export async function refreshTreasuries(
  store: Store,
  rpc: RpcPool,
  profile: ChainProfile,
  head: number,
): Promise<void> {
  const currency = <T>(functionName: string, address: Address) =>
    readAtBlock<T>(
      rpc,
      { to: profile.contracts.currency, abi: currencyAbi, functionName, args: [address] },
      head,
      true,
    );
  const safe = <T>(address: Address, functionName: string) =>
    readAtBlock<T>(rpc, { to: address, abi: safeAbi, functionName, args: [] }, head, true);
  for (const treasury of listTreasuries(store, profile.chainId)) {
    const code = await rpc.request<Hex>('eth_getCode', [treasury.address, toHex(head)], {
      crossCheck: true,
      atBlock: head,
    });
    const deployed = code !== '0x';
    const [balance, registered, frozen, owners, threshold, nonce] = await Promise.all([
      currency<bigint>('balanceOf', treasury.address),
      currency<boolean>('isRegistered', treasury.address),
      currency<boolean>('isFrozen', treasury.address),
      deployed ? safe<readonly Address[]>(treasury.address, 'getOwners') : [],
      deployed ? safe<bigint>(treasury.address, 'getThreshold') : 0n,
      deployed ? safe<bigint>(treasury.address, 'nonce') : 0n,
    ]);
    if (deployed) recordChainNonce(store, treasury, nonce);
    upsertTreasuryState(store, {
      chainId: profile.chainId,
      address: treasury.address,
      deployed,
      owners: [...owners],
      threshold: Number(threshold),
      balance,
      registered,
      frozen,
      updatedBlock: head,
    });
  }
}
