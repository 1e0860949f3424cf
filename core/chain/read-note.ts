/**
 * A note as the ledger has it at one block: holder, value, slot, and the slot's
 * acceptor, currency and maturity, every answer cross-checked across the nodes
 * (each decides who is paid what, in what, when). ownerOf reverts for a note never
 * issued or burnt by redemption: that comes out as the RPC_ERROR it is, for the
 * caller to read.
 */
import type { Address } from 'viem';
import type { ChainProfile } from '../api/profile.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import type { Note } from '../store/chain-state.js';
import { notesAbi } from './abi.js';
import { readAtBlock } from './read-at-block.js';

/** `known` is the note as last stored: its slot's terms are reused when the slot is the same. */
export async function readNote(
  rpc: RpcPool,
  profile: ChainProfile,
  tokenId: bigint,
  block: number,
  known?: Note,
): Promise<Note> {
  const read = <T>(functionName: string, args: readonly unknown[]) =>
    readAtBlock<T>(
      rpc,
      { to: profile.contracts.notes, abi: notesAbi, functionName, args },
      block,
      true,
    );
  const holder = await read<Address>('ownerOf', [tokenId]);
  const [value, slot, dishonoured] = await Promise.all([
    read<bigint>('balanceOf', [tokenId]),
    read<bigint>('slotOf', [tokenId]),
    read<boolean>('isDishonoured', [tokenId]),
  ]);
  const [acceptor, currency, maturity] =
    known && known.slot === slot
      ? [known.acceptor, known.currency, known.maturity]
      : await read<[Address, Address, bigint]>('slotInfo', [slot]).then(
          ([a, c, m]) => [a, c, Number(m)] as const,
        );
  return {
    chainId: profile.chainId,
    tokenId,
    holder,
    slot,
    acceptor,
    currency,
    maturity: Number(maturity),
    value,
    status: dishonoured ? 'dishonoured' : 'active',
    updatedBlock: block,
  };
}
