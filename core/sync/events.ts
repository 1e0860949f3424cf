/**
 * Turns raw logs of the ledger contracts into history rows. The topics are
 * computed from the same human-readable ABI the rest of core uses; Transfer, by
 * far the most frequent event, is decoded by hand (its layout is fixed) because
 * the generic decoder dominates the indexing time.
 */
import {
  type Address,
  decodeEventLog,
  getAddress,
  type Hex,
  parseAbi,
  toEventSelector,
} from 'viem';
import type { HistoryEvent } from '../store/history.js';
import type { RawLog } from './fetch-logs.js';

export const noteEventsAbi = parseAbi([
  'event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)',
  'event TransferValue(uint256 indexed fromTokenId, uint256 indexed toTokenId, uint256 value)',
]);

export const TRANSFER = toEventSelector(
  'event Transfer(address indexed from, address indexed to, uint256 value)',
);
export const TRANSFER_VALUE = toEventSelector(
  'event TransferValue(uint256 indexed fromTokenId, uint256 indexed toTokenId, uint256 value)',
);

const zero = '0x0000000000000000000000000000000000000000';

/**
 * Topic → checksummed address (null for zero). A wallet's history names the same
 * few addresses over and over, and EIP-55 costs a keccak per address: measured
 * with 21,000 logs (npm run bench:sync), checksumming every topic took about as
 * long as the store's insert. Bounded: cleared when it grows past the limit.
 */
const topicAddresses = new Map<string, Address | null>();
const TOPIC_CACHE_LIMIT = 4_096;

function topicAddress(topic: Hex | undefined): Address | null {
  if (!topic) return null;
  let address = topicAddresses.get(topic);
  if (address === undefined) {
    const checksummed = getAddress(`0x${topic.slice(26)}`);
    address = checksummed === zero ? null : checksummed;
    if (topicAddresses.size >= TOPIC_CACHE_LIMIT) topicAddresses.clear();
    topicAddresses.set(topic, address);
  }
  return address;
}

/** One literal, one shape: spreading a shared base per log cost more than the decoding. */
function historyEvent(
  chainId: number,
  log: RawLog,
  kind: string,
  from: Address | null,
  to: Address | null,
  amount: bigint,
  tokenId: bigint | null,
  data: Record<string, unknown>,
): HistoryEvent {
  return {
    chainId,
    txHash: log.transactionHash,
    logIndex: Number(log.logIndex),
    blockNumber: Number(log.blockNumber),
    blockHash: log.blockHash,
    kind,
    from,
    to,
    amount,
    tokenId,
    timestamp: null,
    data,
  };
}

/** A currency Transfer (3 topics) or a note's ERC-721 Transfer (4 topics). */
export function toHistoryEvent(
  chainId: number,
  log: RawLog,
  contracts: { currency: Address; notes: Address },
): HistoryEvent | undefined {
  const emitter = log.address.toLowerCase();
  if (
    log.topics[0] === TRANSFER &&
    log.topics.length === 3 &&
    emitter === contracts.currency.toLowerCase()
  ) {
    const from = topicAddress(log.topics[1]);
    const to = topicAddress(log.topics[2]);
    return historyEvent(chainId, log, 'transfer', from, to, BigInt(log.data), null, {});
  }
  if (emitter !== contracts.notes.toLowerCase()) return undefined;
  if (log.topics[0] === TRANSFER && log.topics.length === 4) {
    const from = topicAddress(log.topics[1]);
    const to = topicAddress(log.topics[2]);
    const kind = from === null ? 'note-minted' : to === null ? 'note-burned' : 'note-transfer';
    return historyEvent(chainId, log, kind, from, to, 0n, BigInt(log.topics[3]!), {});
  }
  if (log.topics[0] === TRANSFER_VALUE) {
    const event = decodeEventLog({
      abi: noteEventsAbi,
      data: log.data,
      topics: log.topics as [Hex, ...Hex[]],
    });
    const args = event.args as { fromTokenId: bigint; toTokenId: bigint; value: bigint };
    return historyEvent(
      chainId,
      log,
      'note-value',
      null,
      null,
      args.value,
      args.toTokenId === 0n ? args.fromTokenId : args.toTokenId,
      { fromTokenId: args.fromTokenId.toString(), toTokenId: args.toTokenId.toString() },
    );
  }
  return undefined;
}

/** topic for an address in an indexed position */
export function addressTopic(address: Address): Hex {
  return `0x${address.slice(2).toLowerCase().padStart(64, '0')}`;
}

export function uintTopic(value: bigint): Hex {
  return `0x${value.toString(16).padStart(64, '0')}`;
}
