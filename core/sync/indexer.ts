/**
 * Indexes the wallet's history from logs, range by range, with a checkpoint
 * (block number and hash) written in the same transaction as each range's
 * events: a crash resumes exactly where the last range ended. On start the
 * checkpoint's hash is compared with the chain's; if the chain has moved to
 * another branch, the index rewinds to the newest block it stored that the
 * chain still has (a matching hash proves every earlier block matches too).
 *
 * Per range, in two passes: the logs that name one of the wallet's addresses
 * (currency and note transfers, note issue, finance, redeem, dishonour), then
 * the value moves of every note the wallet held before the sync or met in it so
 * far (a split names no address, only note ids: a note received in this very
 * range and split on is found too). Each note transaction is then read whole,
 * from its receipt, to tell its operation (events.ts noteOperations).
 */
import { type Address, getAddress, type Hex } from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import { getNote } from '../store/chain-state.js';
import { getCheckpoint, setCheckpoint } from '../store/checkpoint.js';
import type { Store } from '../store/database.js';
import { addEvents, deleteFromBlock, type HistoryEvent, historyBlocks } from '../store/history.js';
import { unconfirm } from '../store/outbox.js';
import {
  addressTopic,
  NOTE_DISHONOURED,
  NOTE_FINANCED,
  NOTE_ISSUED,
  NOTE_REDEEMED,
  type NoteReceipt,
  noteOperations,
  TRANSFER,
  TRANSFER_VALUE,
  toCurrencyEvent,
  uintTopic,
} from './events.js';
import { AdaptiveLogFetcher, type LogQuery, type RawLog } from './fetch-logs.js';

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

    const queries = this.queries(accounts);
    const contracts = this.profile.contracts;
    const notes = contracts.notes.toLowerCase();
    // Grows with every note this scan meets, so its later value moves are found too.
    const noteIds = new Set(heldNotes);
    const holders = new Map<bigint, Address | null>();
    let rangeStart = from;
    onProgress?.({ from, to: head, done: from - 1, events: 0 });
    await this.fetcher.fetch(from, head, queries, async (logs, rangeEnd) => {
      const events = logs
        .map((log) => toCurrencyEvent(chainId, log, contracts.currency))
        .filter((e) => e !== undefined);
      const noteLogs = logs.filter((log) => log.address.toLowerCase() === notes);
      for (const log of noteLogs) for (const id of tokenIdsOf(log)) noteIds.add(id);
      const valueLogs = await this.valueLogs(rangeStart, rangeEnd, [...noteIds]);
      for (const log of [...noteLogs, ...valueLogs])
        for (const id of tokenIdsOf(log)) result.touchedNotes.add(id);
      events.push(...(await this.noteOperations([...noteLogs, ...valueLogs], accounts, holders)));
      const hash = await this.blockHash(rangeEnd);
      this.store.transaction(() => {
        addEvents(this.store, events);
        setCheckpoint(this.store, chainId, STREAM, { blockNumber: rangeEnd, blockHash: hash });
      });
      result.events += events.length;
      rangeStart = rangeEnd + 1;
      onProgress?.({ from, to: head, done: rangeEnd, events: result.events });
    });
    return result;
  }

  /** Logs naming one of the wallet's addresses. */
  private queries(accounts: Address[]): LogQuery[] {
    const ours = accounts.map(addressTopic);
    const { currency, notes } = this.profile.contracts;
    return [
      // Currency and note (ERC-721) Transfer share topic 0: one query per direction covers both.
      { address: [currency, notes], topics: [TRANSFER, ours] },
      { address: [currency, notes], topics: [TRANSFER, null, ours] },
      // Second indexed argument: the issuing acceptor, the redeeming holder, the dishonouring acceptor.
      { address: [notes], topics: [[NOTE_ISSUED, NOTE_REDEEMED, NOTE_DISHONOURED], null, ours] },
      // Third: the payee of an issue, the holder who sold, the holder of a dishonoured note.
      {
        address: [notes],
        topics: [[NOTE_ISSUED, NOTE_FINANCED, NOTE_DISHONOURED], null, null, ours],
      },
    ];
  }

  /** Value moves from or onto the notes `ids` in [from, to] (ERC-3525 TransferValue). */
  private async valueLogs(from: number, to: number, ids: bigint[]): Promise<RawLog[]> {
    if (ids.length === 0) return [];
    const topics = ids.map(uintTopic);
    const range = { fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` };
    const address = [this.profile.contracts.notes];
    const [out, into] = await Promise.all([
      this.rpc.request<RawLog[]>('eth_getLogs', [
        { ...range, address, topics: [TRANSFER_VALUE, topics] },
      ]),
      this.rpc.request<RawLog[]>('eth_getLogs', [
        { ...range, address, topics: [TRANSFER_VALUE, null, topics] },
      ]),
    ]);
    return [...out, ...into];
  }

  /**
   * The note operations of the transactions behind `logs` that the wallet's
   * accounts took part in, in chain order. `holders` follows every note the
   * scan saw move, so a split is credited to the note's holder at that moment,
   * not to whoever held it when the wallet last synced.
   */
  private async noteOperations(
    logs: RawLog[],
    accounts: Address[],
    holders: Map<bigint, Address | null>,
  ): Promise<HistoryEvent[]> {
    // First appearance in chain order is transaction order.
    const blocks = new Map<Hex, Hex>(
      [...logs].sort(byPosition).map((log) => [log.transactionHash, log.blockHash]),
    );
    if (blocks.size === 0) return [];
    const txs = [...blocks.keys()];
    const receipts = (await this.rpc.batch(
      txs.map((hash) => ({ method: 'eth_getTransactionReceipt', params: [hash] })),
    )) as Array<(NoteReceipt & { blockHash: Hex }) | null>;
    const ours = new Set<string>(accounts);
    const { chainId, contracts } = this.profile;
    const holderOf = (tokenId: bigint) =>
      holders.has(tokenId)
        ? (holders.get(tokenId) ?? undefined)
        : getNote(this.store, chainId, tokenId)?.holder;
    return receipts.flatMap((receipt, i) => {
      if (!receipt || receipt.blockHash !== blocks.get(txs[i]!)) {
        throw new SignetError(
          'NODE_DISAGREES',
          `transaction ${txs[i]} is no longer in the block its logs came from (the chain moved during the sync); sync again`,
          {
            details: {
              txHash: txs[i],
              logBlock: blocks.get(txs[i]!),
              receiptBlock: receipt?.blockHash,
            },
          },
        );
      }
      const rows = noteOperations(chainId, receipt, contracts, holderOf);
      for (const log of receipt.logs) {
        if (log.address.toLowerCase() !== contracts.notes.toLowerCase()) continue;
        if (log.topics[0] !== TRANSFER || log.topics.length !== 4) continue;
        holders.set(BigInt(log.topics[3]!), topicHolder(log.topics[2]!));
      }
      return rows.filter(
        (row) => (row.from !== null && ours.has(row.from)) || (row.to !== null && ours.has(row.to)),
      );
    });
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

/** The note ids a notes-contract log names (none for a currency log). */
function tokenIdsOf(log: RawLog): bigint[] {
  const [topic, first, second, third] = log.topics;
  if (topic === TRANSFER) return log.topics.length === 4 ? [BigInt(third!)] : [];
  if (topic === TRANSFER_VALUE || topic === NOTE_FINANCED)
    return [BigInt(first!), BigInt(second!)].filter((id) => id !== 0n);
  if (topic === NOTE_ISSUED || topic === NOTE_REDEEMED || topic === NOTE_DISHONOURED)
    return [BigInt(first!)];
  return [];
}

/** Chain order: block, then log index. */
function byPosition(a: RawLog, b: RawLog): number {
  return Number(
    BigInt(a.blockNumber) - BigInt(b.blockNumber) || BigInt(a.logIndex) - BigInt(b.logIndex),
  );
}

/** The holder a Transfer's `to` topic names; null when the note is burnt. */
function topicHolder(topic: Hex): Address | null {
  const address = getAddress(`0x${topic.slice(26)}`);
  return BigInt(address) === 0n ? null : address;
}
