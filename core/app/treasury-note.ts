/**
 * `treasury.proposeNote` (issue 11 §2): a note operation by a treasury, as an
 * approval bundle. The note engine's own builders (core/wallet/note-calls.ts)
 * make the calls, with the Safe as their sender; one call becomes the SafeTx
 * itself, several (an allowance and the note call) a MultiSendCallOnly batch.
 * Online the treasury's registration, balance and the note it acts on are
 * read from the chain; offline, what the last sync stored of the treasury
 * and its notes (an issue needs nothing of it).
 */
import type { Address } from 'viem';
import type { ChainProfile } from '../api/profile.js';
import type { TreasuryNoteOperation } from '../api/treasury.js';
import { currencyAbi } from '../chain/abi.js';
import { parseAddress } from '../chain/address.js';
import { formatAmount, parseAmount } from '../chain/amount.js';
import { readAtBlock } from '../chain/read-at-block.js';
import { safeBatch, safeCall } from '../chain/safe.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import { type AccountState, getNote } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { recordChainState, requireTreasury } from '../store/treasuries.js';
import { getTreasuryState } from '../store/treasury-state.js';
import { financedNoteFacts, type NoteFacts } from '../wallet/financed-note.js';
import {
  acceptFinanceOfferCalls,
  endorseNoteCalls,
  issueNoteCalls,
  type NoteActor,
  type NoteContext,
  type PlannedCalls,
  redeemNoteCalls,
  splitNoteCalls,
} from '../wallet/note-calls.js';
import type { AppContext } from './app-context.js';
import type { Handlers } from './dispatcher.js';
import { requireNoSignWith, writeProposal } from './treasury.js';
import { chainClient, deployedState, onChain } from './treasury-chain.js';

type TreasuryActor = NoteActor<{ address: Address; name: string }>;

export function treasuryNoteHandlers(context: AppContext): Pick<Handlers, 'treasury.proposeNote'> {
  return {
    'treasury.proposeNote': async (request, caller) => {
      requireNoSignWith(caller, request.signWith);
      const p = context.profile();
      const store = context.store();
      let treasury = requireTreasury(store, p.chainId, request.treasury);
      const { operation } = request;
      let nonce = max(treasury.chainNonce, treasury.nextProposal);
      const account = { address: treasury.address, name: treasury.name };
      let actor: TreasuryActor;
      let rpc: RpcPool | undefined;
      if (request.offline) {
        actor = {
          account,
          state: syncedState(store, p.chainId, treasury.address),
          note: (tokenId) => {
            const known = getNote(store, p.chainId, tokenId);
            return known && { ...known, source: 'store' as const };
          },
        };
      } else {
        rpc = context.rpc(p);
        const state = await onChain(deployedState(chainClient(rpc), p, treasury));
        if (state) {
          // An executed owner change reaches the store: the bundle carries the chain's owners.
          treasury = recordChainState(store, treasury, state).treasury;
          nonce = max(state.nonce, treasury.nextProposal);
        }
        const note =
          'tokenId' in operation
            ? await financedNoteFacts(store, p, BigInt(operation.tokenId), rpc)
            : undefined;
        actor = {
          account,
          state: await chainState(rpc, p, treasury.address),
          note: (tokenId) => (note && note.tokenId === tokenId ? note : undefined),
        };
      }
      const planned = await plan({ store, profile: p, ...(rpc ? { rpc } : {}) }, actor, operation);
      const calls = planned.calls.map((c) => ({ to: c.to, data: c.data }));
      const tx =
        calls.length === 1
          ? safeCall(calls[0]!, nonce)
          : safeBatch(p.contracts.multiSendCallOnly, calls, nonce);
      const description = request.description ?? describe(operation, planned.note);
      return writeProposal(context, caller, treasury, { tx, description }, request);
    },
  };
}

/** The note engine's calls for the operation, the treasury as their sender. */
function plan(
  context: NoteContext,
  actor: TreasuryActor,
  operation: TreasuryNoteOperation,
): Promise<PlannedCalls<TreasuryActor['account']>> | PlannedCalls<TreasuryActor['account']> {
  switch (operation.op) {
    case 'issue':
      return issueNoteCalls(
        context,
        actor,
        parseAddress(operation.payee, 'payee'),
        parseAmount(operation.faceValue),
        new Date(`${operation.maturity}T00:00:00Z`),
      );
    case 'endorse':
      return endorseNoteCalls(
        context,
        actor,
        BigInt(operation.tokenId),
        parseAddress(operation.to, 'new holder'),
      );
    case 'split':
      return splitNoteCalls(
        context,
        actor,
        BigInt(operation.tokenId),
        parseAddress(operation.to, 'recipient'),
        parseAmount(operation.value),
      );
    case 'redeem':
      return redeemNoteCalls(context, actor, BigInt(operation.tokenId));
    case 'finance-accept':
      return acceptFinanceOfferCalls(context, actor, operation.offer);
  }
}

/** The treasury's registration, freeze and balance, read at one block and cross-checked. */
async function chainState(
  rpc: RpcPool,
  profile: ChainProfile,
  address: Address,
): Promise<AccountState> {
  const { pinned } = await rpc.heads();
  const read = <T>(functionName: string) =>
    readAtBlock<T>(
      rpc,
      { to: profile.contracts.currency, abi: currencyAbi, functionName, args: [address] },
      pinned,
      true,
    );
  const [balance, registered, frozen] = await Promise.all([
    read<bigint>('balanceOf'),
    read<boolean>('isRegistered'),
    read<boolean>('isFrozen'),
  ]);
  return {
    chainId: profile.chainId,
    address,
    balance,
    registered,
    frozen,
    chainNonce: 0,
    updatedBlock: pinned,
  };
}

/** What every approver reads first, unless the proposer wrote a description. */
function describe(operation: TreasuryNoteOperation, note: NoteFacts | undefined): string {
  switch (operation.op) {
    case 'issue':
      return `Issue a note of ${formatAmount(parseAmount(operation.faceValue))} to ${operation.payee}, maturing ${operation.maturity}`;
    case 'endorse':
      return `Endorse note ${operation.tokenId} (${note ? formatAmount(note.value) : 'whole'}) to ${operation.to}`;
    case 'split':
      return `Split ${formatAmount(parseAmount(operation.value))} of note ${operation.tokenId} to ${operation.to}`;
    case 'redeem':
      return `Redeem note ${operation.tokenId}`;
    case 'finance-accept':
      return `Finance ${formatAmount(BigInt(operation.offer.offer.value))} of note ${operation.offer.offer.tokenId} from ${operation.offer.holder} for ${formatAmount(BigInt(operation.offer.offer.price))}`;
  }
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** What the last sync read of the treasury (core/store/treasury-state.ts), as an account's state. */
function syncedState(store: Store, chainId: number, address: Address): AccountState | null {
  const state = getTreasuryState(store, chainId, address);
  if (!state) return null;
  const { balance, registered, frozen, updatedBlock } = state;
  // A Safe sends no transactions of its own: its transaction count stays 0.
  return { chainId, address, balance, registered, frozen, chainNonce: 0, updatedBlock };
}
