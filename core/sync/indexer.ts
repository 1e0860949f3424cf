/**
 * Indexes the wallet's history from logs, range by range, with a checkpoint
 * (block number and hash) written in the same transaction as each range's
 * events: a crash resumes exactly where the last range ended. On start the
 * checkpoint's hash is compared with the chain's; if the chain has moved to
 * another branch, the index rewinds to the newest block it stored that the
 * chain still has (a matching hash proves every earlier block matches too).
 */
import type { Address, Hex } from 'viem';
import type { ChainProfile } from '../api/profile.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import { getCheckpoint, setCheckpoint } from '../store/checkpoint.js';
import type { Store } from '../store/database.js';
import { addEvents, deleteFromBlock, historyBlocks } from '../store/history.js';
import { unconfirm } from '../store/outbox.js';
import { addressTopic, TRANSFER, TRANSFER_VALUE, toHistoryEvent, uintTopic } from './events.js';
import { AdaptiveLogFetcher, type LogQuery } from './fetch-logs.js';

const STREAM = 'logs';

export interface IndexProgress {
  /** First block of this scan. */
  from: number;
  /** Last block of this scan (the head). */
  to: number;
  /** The last block indexed: from - 1 when the scan starts, then each range's end. */
  done: number;
  /** History events indexed by this scan so far. */
  events: number;
}

export interface IndexResult {
  events: number;
  /** Notes whose state may have changed. */
  touchedNotes: Set<bigint>;
  /** Set when a reorg was found: the block the index rewound to. */
  rewoundTo?: number;
}

interface Block {
  number: Hex;
  hash: Hex;
}

export class Indexer {
  private readonly fetcher: AdaptiveLogFetcher;

  constructor(
    private readonly store: Store,
    private readonly rpc: RpcPool,
    private readonly profile: ChainProfile,
  ) {
    this.fetcher = new AdaptiveLogFetcher(rpc);
  }

  async index(
    head: number,
    accounts: Address[],
    heldNotes: bigint[],
    onProgress?: (p: IndexProgress) => void,
  ): Promise<IndexResult> {
    const chainId = this.profile.chainId;
    const result: IndexResult = { events: 0, touchedNotes: new Set() };
    let checkpoint = getCheckpoint(this.store, chainId, STREAM);
    if (checkpoint && (await this.blockHash(checkpoint.blockNumber)) !== checkpoint.blockHash) {
      result.rewoundTo = await this.rewind(checkpoint.blockNumber);
      checkpoint = getCheckpoint(this.store, chainId, STREAM);
    }
    const from = (checkpoint?.blockNumber ?? Math.max(0, this.profile.deployBlock - 1)) + 1;
    if (accounts.length === 0 || from > head) return result;

    const queries = this.queries(accounts, heldNotes);
    const contracts = this.profile.contracts;
    onProgress?.({ from, to: head, done: from - 1, events: 0 });
    await this.fetcher.fetch(from, head, queries, async (logs, rangeEnd) => {
      const events = logs
        .map((log) => toHistoryEvent(chainId, log, contracts))
        .filter((e) => e !== undefined);
      for (const event of events)
        if (event.tokenId !== null) result.touchedNotes.add(event.tokenId);
      const hash = await this.blockHash(rangeEnd);
      this.store.transaction(() => {
        addEvents(this.store, events);
        setCheckpoint(this.store, chainId, STREAM, { blockNumber: rangeEnd, blockHash: hash });
      });
      result.events += events.length;
      onProgress?.({ from, to: head, done: rangeEnd, events: result.events });
    });
    return result;
  }

  private queries(accounts: Address[], heldNotes: bigint[]): LogQuery[] {
    const ours = accounts.map(addressTopic);
    const { currency, notes } = this.profile.contracts;
    const queries: LogQuery[] = [
      // Currency and note (ERC-721) Transfer share topic 0: one query per direction covers both.
      { address: [currency, notes], topics: [TRANSFER, ours] },
      { address: [currency, notes], topics: [TRANSFER, null, ours] },
    ];
    if (heldNotes.length > 0) {
      const ids = heldNotes.map(uintTopic);
      queries.push(
        { address: [notes], topics: [TRANSFER_VALUE, ids] },
        { address: [notes], topics: [TRANSFER_VALUE, null, ids] },
      );
    }
    return queries;
  }

  /** Rewinds to the newest stored block the chain still has; returns its number. */
  private async rewind(fromBlock: number): Promise<number> {
    const chainId = this.profile.chainId;
    let ancestor = Math.max(0, this.profile.deployBlock - 1);
    let below = fromBlock;
    search: for (;;) {
      const stored = historyBlocks(this.store, chainId, below, 64);
      if (stored.length === 0) break;
      const onChain = await this.rpc.batch(
        stored.map((b) => ({
          method: 'eth_getBlockByNumber',
          params: [`0x${b.blockNumber.toString(16)}`, false],
        })),
      );
      for (const [i, block] of stored.entries()) {
        if ((onChain[i] as Block | null)?.hash === block.blockHash) {
          ancestor = block.blockNumber;
          break search;
        }
      }
      below = stored.at(-1)!.blockNumber;
    }
    const hash = await this.blockHash(ancestor);
    this.store.transaction(() => {
      deleteFromBlock(this.store, chainId, ancestor + 1);
      unconfirm(this.store, chainId, ancestor + 1);
      setCheckpoint(this.store, chainId, STREAM, { blockNumber: ancestor, blockHash: hash });
    });
    return ancestor;
  }

  /** A block's hash, cross-checked: the checkpoint must not trust one node. */
  private async blockHash(blockNumber: number): Promise<Hex> {
    const block = await this.rpc.request<Block | null>(
      'eth_getBlockByNumber',
      [`0x${blockNumber.toString(16)}`, false],
      {
        crossCheck: true,
        compareBy: (b) => (b as Block | null)?.hash,
        atBlock: blockNumber,
      },
    );
    return (block?.hash ?? '0x') as Hex;
  }
}
