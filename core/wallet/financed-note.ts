/**
 * The note a finance offer sells, as the bank checks it before paying. The
 * offer names only a token id, and finance() pays whoever holds the note when
 * it runs: so what the note is worth, in what, when, and who holds it come from
 * the note itself. When the call may go online, always from the ledger, read at
 * one block and cross-checked across the nodes, whatever the store says: the
 * store follows a note only while the wallet holds it, so a copy of one that
 * left may be long out of date. Offline, the store's copy is the last known,
 * and the review says so (the contract still checks the holder when it runs).
 * Without either, nothing is signed.
 */
import type { Address } from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { formatAmount } from '../chain/amount.js';
import { readNote } from '../chain/read-note.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import { getNote, type Note } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { requireBeforeMaturity } from './offline-checks.js';

/** A note's facts and where they came from; `updatedBlock` is the block they are true at. */
export type NoteFacts = Note & { source: 'store' | 'chain' };

/** Whether a note is payable in the ledger's own currency (the only one counted as money). */
export function inChainCurrency(
  note: Pick<Note, 'currency'>,
  profile: Pick<ChainProfile, 'contracts'>,
): boolean {
  return note.currency.toLowerCase() === profile.contracts.currency.toLowerCase();
}

/** The note read from the ledger when `rpc` is given, else the store's last-known copy. */
export async function financedNoteFacts(
  store: Store,
  profile: ChainProfile,
  tokenId: bigint,
  rpc: RpcPool | undefined,
): Promise<NoteFacts> {
  if (!rpc) {
    const known = getNote(store, profile.chainId, tokenId);
    if (known) return { ...known, source: 'store' };
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

/**
 * The note at the block every node asked has, holder and value cross-checked;
 * its slot's terms read too (not taken from the store), so nothing comes from a copy.
 */
async function readNoteNow(rpc: RpcPool, profile: ChainProfile, tokenId: bigint) {
  const { pinned } = await rpc.heads();
  return { ...(await readNote(rpc, profile, tokenId, pinned)), source: 'chain' as const };
}

/**
 * What a bank must know before it pays for part of a note: that it is payable in
 * this ledger's currency, not yet due, held by the key that signed the offer
 * (`signer`, recovered from the signature: finance-offer.ts offerSigner), and
 * worth at least what the offer sells.
 */
export function requireFinanceable(
  profile: ChainProfile,
  note: NoteFacts,
  offer: { signer: Address; value: bigint },
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
  requireBeforeMaturity(note, now, 'financed');
  if (note.holder.toLowerCase() !== offer.signer.toLowerCase()) {
    const online = note.source === 'store' ? '; accept it online to read who holds it now' : '';
    throw new SignetError(
      'INVALID_ARGUMENT',
      `note ${note.tokenId} is held by ${note.holder} ${asOf}, not by ${offer.signer} who signed the offer${online}`,
      {
        details: {
          reason: 'not-the-holder',
          tokenId: note.tokenId.toString(),
          holder: note.holder,
          signer: offer.signer,
          source: note.source,
        },
      },
    );
  }
  if (offer.value > note.value) {
    throw new SignetError(
      'AMOUNT_INVALID',
      `the offer sells ${formatAmount(offer.value)} of note ${note.tokenId}, which holds ${formatAmount(note.value)} ${asOf}`,
    );
  }
}
