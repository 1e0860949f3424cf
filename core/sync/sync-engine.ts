/**
 * One sync: send what the outbox holds, follow it to finality, index the
 * wallet's history from logs, then read balances and notes. Every step is
 * resumable, so `sync --watch` can be killed at any moment and restarted.
 *
 * Every read after sending is pinned to one block that every node asked has
 * (RpcPool.heads().pinned), not to one node's head: an honest node a block
 * behind then agrees with the others instead of being flagged. A transaction's
 * fate follows a quorum of the profile's nodes (outbox-sender.ts).
 */
import { type Hex, toHex } from 'viem';
import { SignetError } from '../api/errors.js';
import { MAX_EVENT_ERROR, type SyncProgress } from '../api/events.js';
import type { ChainProfile } from '../api/profile.js';
import { rpcError } from '../rpc/rpc-errors.js';
import type { NodeAnswer, RpcPool } from '../rpc/rpc-pool.js';
import { lowerMedian } from '../rpc/vote.js';
import { listAccounts } from '../store/accounts.js';
import { setChainMeta } from '../store/chain-meta.js';
import { listNotes } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { listTreasuries } from '../store/treasuries.js';
import { Indexer } from './indexer.js';
import { followReceipts, sendOutbox } from './outbox-sender.js';
import { refreshAccounts, refreshNotes, refreshTreasuries } from './refresh-state.js';

export interface SyncReport {
  head: number;
  sent: number;
  included: number;
  confirmed: number;
  failed: number;
  /** Transactions left as they were because too few of the profile's nodes agree on their fate. */
  unconfirmed: number;
  events: number;
  rewoundTo: number | null;
}

/**
 * Told where a sync is: when it starts sending, once the head is read, when the
 * log scan starts and after each range of it, before reading balances, and
 * when it is done or has failed. A listener that throws does not stop the sync.
 */
export type SyncProgressListener = (progress: SyncProgress) => void;

export class SyncEngine {
  private readonly indexer: Indexer;

  constructor(
    private readonly store: Store,
    private readonly rpc: RpcPool,
    private readonly profile: ChainProfile,
    private readonly onProgress?: SyncProgressListener,
  ) {
    this.indexer = new Indexer(store, rpc, profile);
  }

  async syncOnce(): Promise<SyncReport> {
    const progress = this.progressReporter();
    try {
      return await this.run(progress);
    } catch (error) {
      progress({ phase: 'failed', error: failureLine(error) });
      throw error;
    }
  }

  private async run(progress: (update: Partial<SyncProgress>) => void): Promise<SyncReport> {
    const { chainId, confirmations } = this.profile;
    progress({ phase: 'sending' });
    const sending = await sendOutbox(this.store, this.rpc, chainId);
    const sent = sending.sent;
    // After sending, so that a block the broadcast mined at once (Hardhat's automine)
    // is in view. A node may answer before it mines (anvil's miner is a task of its
    // own; a real chain's block time): the transaction then stays sent, for the next sync.
    const head = (await this.rpc.heads()).pinned;
    progress({ phase: 'receipts', toBlock: head, sent });
    await this.recordFees(head);
    const receipts = await followReceipts(this.store, this.rpc, chainId, head, confirmations);

    // The wallet's accounts and its treasuries: their money and notes are followed alike.
    const accounts = [
      ...listAccounts(this.store).map((a) => a.address),
      ...listTreasuries(this.store, chainId).map((t) => t.address),
    ];
    const held = accounts.flatMap((address) =>
      listNotes(this.store, chainId, { holder: address }).map((n) => n.tokenId),
    );
    const indexed = await this.indexer.index(head, accounts, held, (p) =>
      progress({
        phase: 'logs',
        fromBlock: p.from,
        toBlock: p.to,
        currentBlock: p.done,
        confirmed: receipts.confirmed,
        events: p.events,
      }),
    );
    // A rewind put transactions back in flight: follow them again on the new branch.
    const after =
      indexed.rewoundTo === undefined
        ? receipts
        : await followReceipts(this.store, this.rpc, chainId, head, confirmations);

    progress({ phase: 'state', confirmed: after.confirmed, events: indexed.events });
    await refreshAccounts(this.store, this.rpc, this.profile, head);
    await refreshTreasuries(this.store, this.rpc, this.profile, head);
    await refreshNotes(
      this.store,
      this.rpc,
      this.profile,
      head,
      new Set([...held, ...indexed.touchedNotes]),
    );
    progress({ phase: 'done' });
    return {
      head,
      sent,
      included: after.included,
      confirmed: after.confirmed,
      failed: sending.failed + after.failed,
      unconfirmed: sending.unconfirmed + after.unconfirmed,
      events: indexed.events,
      rewoundTo: indexed.rewoundTo ?? null,
    };
  }

  /** One sync's progress: each update is merged into the last and the whole is reported. */
  private progressReporter(): (update: Partial<SyncProgress>) => void {
    const current: SyncProgress = {
      phase: 'sending',
      fromBlock: null,
      toBlock: null,
      currentBlock: null,
      sent: 0,
      confirmed: 0,
      events: 0,
    };
    return (update) => {
      Object.assign(current, update);
      if (!this.onProgress) return;
      try {
        this.onProgress({ ...current });
      } catch {
        // Whoever listens (the UI) must not break the sync.
      }
    };
  }

  /**
   * The fees and the ledger's clock that offline signing reuses, read so that
   * one node cannot set them: the pinned block's base fee and time cross-checked
   * with its hash (header fields every implementation reports alike), and the
   * gas price as the median of every node's answer (vote.ts lowerMedian: each
   * node's own oracle suggests it, so honest answers may differ).
   */
  private async recordFees(head: number): Promise<void> {
    const [block, prices] = await Promise.all([
      this.rpc.request<PinnedHeader | null>('eth_getBlockByNumber', [toHex(head), false], {
        crossCheck: true,
        atBlock: head,
        compareBy: (value) => {
          const header = value as PinnedHeader | null;
          return header && [header.hash, header.baseFeePerGas ?? null, header.timestamp];
        },
      }),
      this.rpc.askEach('eth_gasPrice', []),
    ]);
    setChainMeta(this.store, {
      chainId: this.profile.chainId,
      head,
      headTime: Number(block?.timestamp ?? 0),
      baseFee: BigInt(block?.baseFeePerGas ?? 0),
      gasPrice: medianGasPrice(prices),
    });
  }
}

interface PinnedHeader {
  hash: Hex;
  baseFeePerGas?: Hex;
  timestamp: Hex;
}

/** The lower median of the gas prices the nodes gave; a JSON-RPC error from all is thrown. */
function medianGasPrice(answers: NodeAnswer[]): bigint {
  const prices = answers.flatMap(({ answer }) =>
    'result' in answer &&
    typeof answer.result === 'string' &&
    /^0x[0-9a-f]{1,64}$/i.test(answer.result)
      ? [BigInt(answer.result)]
      : [],
  );
  if (prices.length > 0) return lowerMedian(prices);
  const refused = answers.find(({ answer }) => 'error' in answer)?.answer;
  if (refused && 'error' in refused) throw rpcError('eth_gasPrice', refused.error);
  throw new SignetError('RPC_ERROR', 'no ledger node answered eth_gasPrice with a quantity', {
    details: { answers },
  });
}

/**
 * Why a sync failed, as one line for the UI: a SignetError's message (it is
 * written for people); anything else may name paths or internals, so it is not shown.
 */
function failureLine(error: unknown): string {
  const text =
    error instanceof SignetError
      ? error.message.replace(/\s+/g, ' ').trim()
      : 'the sync failed (internal error)';
  if (!text) return 'the sync failed';
  return text.length > MAX_EVENT_ERROR ? `${text.slice(0, MAX_EVENT_ERROR - 1)}…` : text;
}
