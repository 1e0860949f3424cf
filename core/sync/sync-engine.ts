/**
 * One sync: send what the outbox holds, follow it to finality, index the
 * wallet's history from logs, then read balances and notes at the head. Every
 * step is resumable, so `sync --watch` can be killed at any moment and restarted.
 */
import type { Hex } from 'viem';
import type { LedgerProfile } from '../api/profile.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import { listAccounts } from '../store/accounts.js';
import { setChainMeta } from '../store/chain-meta.js';
import type { Store } from '../store/database.js';
import { listNotes } from '../store/ledger-state.js';
import { listOutbox } from '../store/outbox.js';
import { Indexer, type IndexProgress } from './indexer.js';
import { followReceipts, sendOutbox } from './outbox-sender.js';
import { refreshAccounts, refreshNotes } from './refresh-state.js';

export interface SyncReport {
  head: number;
  sent: number;
  included: number;
  confirmed: number;
  failed: number;
  events: number;
  rewoundTo: number | null;
}

export class SyncEngine {
  private readonly indexer: Indexer;

  constructor(
    private readonly store: Store,
    private readonly rpc: RpcPool,
    private readonly profile: LedgerProfile,
    private readonly onProgress?: (progress: IndexProgress) => void,
  ) {
    this.indexer = new Indexer(store, rpc, profile);
  }

  async syncOnce(): Promise<SyncReport> {
    const { chainId, confirmations } = this.profile;
    // A node that refuses a transaction outright (Hardhat does, for one that reverts) fails
    // it while sending, before any receipt: count those failures too.
    const failedBefore = listOutbox(this.store, chainId, { status: 'failed' }).length;
    const sent = await sendOutbox(this.store, this.rpc, chainId);
    const failedSending =
      listOutbox(this.store, chainId, { status: 'failed' }).length - failedBefore;
    const head = Number(await this.rpc.request<Hex>('eth_blockNumber', []));
    await this.recordFees(head);
    const receipts = await followReceipts(this.store, this.rpc, chainId, head, confirmations);

    const accounts = listAccounts(this.store).map((a) => a.address);
    const held = accounts.flatMap((address) =>
      listNotes(this.store, chainId, { holder: address }).map((n) => n.tokenId),
    );
    const indexed = await this.indexer.index(head, accounts, held, this.onProgress);
    // A rewind put transactions back in flight: follow them again on the new branch.
    const after =
      indexed.rewoundTo === undefined
        ? receipts
        : await followReceipts(this.store, this.rpc, chainId, head, confirmations);

    await refreshAccounts(this.store, this.rpc, this.profile, head);
    await refreshNotes(
      this.store,
      this.rpc,
      this.profile,
      head,
      new Set([...held, ...indexed.touchedNotes]),
    );
    return {
      head,
      sent,
      included: after.included,
      confirmed: after.confirmed,
      failed: failedSending + after.failed,
      events: indexed.events,
      rewoundTo: indexed.rewoundTo ?? null,
    };
  }

  /** Syncs every `intervalMs` until the signal aborts; errors are reported, not fatal. */
  async watch(
    signal: AbortSignal,
    intervalMs: number,
    onReport: (report: SyncReport | Error) => void,
  ): Promise<void> {
    while (!signal.aborted) {
      try {
        onReport(await this.syncOnce());
      } catch (error) {
        onReport(error as Error);
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve(undefined);
          },
          { once: true },
        );
      });
    }
  }

  private async recordFees(head: number): Promise<void> {
    const [block, gasPrice] = await Promise.all([
      this.rpc.request<{ baseFeePerGas?: Hex; timestamp?: Hex } | null>('eth_getBlockByNumber', [
        `0x${head.toString(16)}`,
        false,
      ]),
      this.rpc.request<Hex>('eth_gasPrice', []),
    ]);
    setChainMeta(this.store, {
      chainId: this.profile.chainId,
      head,
      headTime: Number(block?.timestamp ?? 0),
      baseFee: BigInt(block?.baseFeePerGas ?? 0),
      gasPrice: BigInt(gasPrice),
    });
  }
}
