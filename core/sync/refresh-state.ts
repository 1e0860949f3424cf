/**
 * After indexing, reads the wallet's accounts and notes from the chain at one
 * block (the sync's pinned block, which every node asked has): balances cross-checked across nodes (a lying node is outvoted and
 * flagged), registration, freeze, nonce, and each note's owner, value and slot.
 */
import { type Address, decodeFunctionResult, encodeFunctionData, type Hex } from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi, notesAbi } from '../chain/abi.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import { listAccounts } from '../store/accounts.js';
import { getNote, type Note, upsertAccountState, upsertNote } from '../store/chain-state.js';
import type { Store } from '../store/database.js';

type Abi = typeof currencyAbi | typeof notesAbi;

async function read<T>(
  rpc: RpcPool,
  to: Address,
  abi: Abi,
  functionName: string,
  args: unknown[],
  block: Hex,
  crossCheck = false,
): Promise<T> {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  const result = await rpc.request<Hex>('eth_call', [{ to, data }, block], {
    crossCheck,
    atBlock: Number(block),
  });
  return decodeFunctionResult({ abi, functionName, data: result } as never) as T;
}

export async function refreshAccounts(
  store: Store,
  rpc: RpcPool,
  profile: ChainProfile,
  head: number,
): Promise<void> {
  const block = `0x${head.toString(16)}` as Hex;
  const currency = profile.contracts.currency;
  for (const account of listAccounts(store)) {
    const [balance, registered, frozen, nonce] = await Promise.all([
      read<bigint>(rpc, currency, currencyAbi, 'balanceOf', [account.address], block, true),
      read<boolean>(rpc, currency, currencyAbi, 'isRegistered', [account.address], block),
      read<boolean>(rpc, currency, currencyAbi, 'isFrozen', [account.address], block),
      rpc.request<Hex>('eth_getTransactionCount', [account.address, block], {
        crossCheck: true,
        atBlock: head,
      }),
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
  const block = `0x${head.toString(16)}` as Hex;
  const notes = profile.contracts.notes;
  for (const tokenId of tokenIds) {
    const known = getNote(store, profile.chainId, tokenId);
    let owner: Address;
    try {
      owner = await read<Address>(rpc, notes, notesAbi, 'ownerOf', [tokenId], block, true);
    } catch (error) {
      // ownerOf reverts for a burnt note: redeemed in full.
      if (!(error instanceof SignetError) || error.code !== 'RPC_ERROR' || !known) throw error;
      upsertNote(store, { ...known, value: 0n, status: 'redeemed', updatedBlock: head });
      continue;
    }
    const [value, slot, dishonoured] = await Promise.all([
      read<bigint>(rpc, notes, notesAbi, 'balanceOf', [tokenId], block, true),
      read<bigint>(rpc, notes, notesAbi, 'slotOf', [tokenId], block),
      read<boolean>(rpc, notes, notesAbi, 'isDishonoured', [tokenId], block),
    ]);
    const [acceptor, currency, maturity] =
      known && known.slot === slot
        ? [known.acceptor, known.currency, known.maturity]
        : await read<[Address, Address, bigint]>(
            rpc,
            notes,
            notesAbi,
            'slotInfo',
            [slot],
            block,
          ).then(([a, c, m]) => [a, c, Number(m)] as const);
    const note: Note = {
      chainId: profile.chainId,
      tokenId,
      holder: owner,
      slot,
      acceptor,
      currency,
      maturity: Number(maturity),
      value,
      status: dishonoured ? 'dishonoured' : 'active',
      updatedBlock: head,
    };
    upsertNote(store, note);
  }
}
