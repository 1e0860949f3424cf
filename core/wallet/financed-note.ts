/**
 * The note a finance offer sells, as the bank checks it before paying. The
 * offer names only a token id: what the note is worth, in what and when, comes
 * from the note itself. From the synced store when the wallet knows the note;
 * otherwise, when the call may go online, read from the ledger at one block,
 * cross-checked across the nodes. Without either, nothing is signed.
 */
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { formatAmount } from '../chain/amount.js';
import { readNote } from '../chain/read-note.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import { getNote, type Note } from '../store/chain-state.js';
import type { Store } from '../store/database.js';

/** A note's facts and where they came from; `updatedBlock` is the block they are true at. */
export type NoteFacts = Note & { source: 'store' | 'chain' };

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/** Whether a note is payable in the ledger's own currency (the only one counted as money). */
export function inChainCurrency(note: Pick<Note, 'currency'>, profile: ChainProfile): boolean {
  return note.currency.toLowerCase() === profile.contracts.currency.toLowerCase();
}

export async function financedNoteFacts(
  store: Store,
  profile: ChainProfile,
  tokenId: bigint,
  rpc: RpcPool | undefined,
): Promise<NoteFacts> {
  const known = getNote(store, profile.chainId, tokenId);
  if (known) return { ...known, source: 'store' };
  if (!rpc) {
    throw new SignetError(
      'NOTE_NOT_FOUND',
      `note ${tokenId} is not in the wallet's store, so the offer cannot be checked offline; accept it online`,
      { details: { tokenId: tokenId.toString() } },
    );
  }
  try {
    return await readNoteNow(rpc, profile, tokenId);
  } catch (error) {
    if (!(error instanceof SignetError)) throw error;
    if (error.code === 'RPC_ERROR') {
      // ownerOf reverts for a note never issued or redeemed (burnt).
      throw new SignetError('NOTE_NOT_FOUND', `there is no note ${tokenId} on the ledger`, {
        cause: error,
        details: { tokenId: tokenId.toString() },
      });
    }
    throw new SignetError(
      error.code,
      `cannot read note ${tokenId} from the ledger to check the offer: ${error.message}`,
      { cause: error, details: { ...error.details, tokenId: tokenId.toString() } },
    );
  }
}

/** The note at the block every node asked has, holder and value cross-checked. */
async function readNoteNow(rpc: RpcPool, profile: ChainProfile, tokenId: bigint) {
  const { pinned } = await rpc.heads();
  return { ...(await readNote(rpc, profile, tokenId, pinned)), source: 'chain' as const };
}

/**
 * What a bank must know before it pays for part of a note: that it is payable in
 * this ledger's currency, not yet due, still held by whoever signed the offer
 * (when read just now), and worth at least what the offer sells.
 */
export function requireFinanceable(
  profile: ChainProfile,
  note: NoteFacts,
  offer: { holder: string; value: bigint },
  now: Date,
): void {
  const asOf = note.source === 'store' ? 'as of the last sync' : `at block ${note.updatedBlock}`;
  if (note.status === 'redeemed') {
    throw new SignetError('NOTE_NOT_FOUND', `note ${note.tokenId} has been redeemed`);
  }
  if (!inChainCurrency(note, profile)) {
    throw new SignetError(
      'NOTE_CURRENCY_UNKNOWN',
      `note ${note.tokenId} is payable in ${note.currency}, not in this ledger's currency ${profile.contracts.currency}`,
      { details: { tokenId: note.tokenId.toString(), currency: note.currency } },
    );
  }
  if (now.getTime() / 1000 >= note.maturity) {
    throw new SignetError(
      'NOTE_MATURED',
      `note ${note.tokenId} matured on ${day(note.maturity)}; it can only be redeemed, not financed`,
    );
  }
  if (note.source === 'chain' && note.holder.toLowerCase() !== offer.holder.toLowerCase()) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `note ${note.tokenId} is held by ${note.holder} ${asOf}, not by ${offer.holder} who signed the offer`,
    );
  }
  if (offer.value > note.value) {
    throw new SignetError(
      'AMOUNT_INVALID',
      `the offer sells ${formatAmount(offer.value)} of note ${note.tokenId}, which holds ${formatAmount(note.value)} ${asOf}`,
    );
  }
}
