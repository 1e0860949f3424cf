/**
 * What the wallet shows from the store (and, for the ledger status, the nodes),
 * in the shapes of the API contract. The app API and the CLI's --json both
 * answer from here, so the UI and a script see the same figures.
 */
import type { Address } from 'viem';
import type { ChainProfile } from '../api/profile.js';
import { formatAmount } from '../chain/amount.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import { listAccounts } from '../store/accounts.js';
import { getAccountState, listNotes } from '../store/chain-state.js';
import { getCheckpoint } from '../store/checkpoint.js';
import type { Store } from '../store/database.js';
import { listOutbox, pendingOutgoing } from '../store/outbox.js';
import { noteRow } from './views.js';

/** Each wallet account (or only `only`): balance as of the last sync, what the outbox still owes, what is left. */
export function balanceRows(store: Store, chainId: number, only?: Address) {
  return listAccounts(store)
    .filter((a) => !only || a.address === only)
    .map((a) => {
      const state = getAccountState(store, chainId, a.address);
      const pending = pendingOutgoing(store, chainId, a.address);
      const balance = state?.balance ?? 0n;
      return {
        address: a.address,
        name: a.name,
        balance: formatAmount(balance),
        pending: formatAmount(pending),
        available: formatAmount(balance - pending),
        registered: state?.registered ?? false,
        frozen: state?.frozen ?? false,
        syncedBlock: state?.updatedBlock ?? null,
      };
    });
}

/**
 * Notes not yet redeemed held by the wallet's accounts (or only by `only`), each
 * saying whether it is payable in the ledger's own currency.
 */
export function heldNoteRows(store: Store, profile: ChainProfile, only?: Address) {
  const ours = new Set(listAccounts(store).map((a) => a.address));
  return listNotes(store, profile.chainId)
    .filter((n) => (only ? n.holder === only : ours.has(n.holder)) && n.status !== 'redeemed')
    .map((n) => noteRow(n, profile));
}

/**
 * The active ledger: each node's state, the head, how far the index is synced,
 * and the outbox by status. The head is the pinned one (RpcPool.heads): a block
 * a quorum of the nodes has reached, not one node's claim. That block is read
 * cross-checked, so a node that disagrees with the others shows up as disagreeing.
 */
export async function chainStatus(store: Store, profile: ChainProfile, rpc: RpcPool) {
  const heads = await rpc.heads().catch(() => null);
  if (heads) {
    await rpc
      .request('eth_getBlockByNumber', [`0x${heads.pinned.toString(16)}`, false], {
        crossCheck: true,
        atBlock: heads.pinned,
        compareBy: (b) => (b as { hash?: string } | null)?.hash,
      })
      .catch(() => undefined);
  }
  const outbox = listOutbox(store, profile.chainId);
  const count = (status: string) => outbox.filter((t) => t.status === status).length;
  return {
    name: profile.name,
    chainId: profile.chainId,
    dev: profile.dev,
    head: heads?.pinned ?? null,
    nodes: rpc.status(),
    syncedBlock: getCheckpoint(store, profile.chainId, 'logs')?.blockNumber ?? null,
    outbox: {
      signed: count('signed'),
      sent: count('sent'),
      included: count('included'),
      confirmed: count('confirmed'),
      failed: count('failed'),
    },
  };
}
