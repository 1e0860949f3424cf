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

function topicAddress(topic: Hex | undefined): Address | null {
  if (!topic) return null;
  const address = getAddress(`0x${topic.slice(26)}`);
  return address === zero ? null : address;
}

/** A currency Transfer (3 topics) or a note's ERC-721 Transfer (4 topics). */
export function toHistoryEvent(
  chainId: number,
  log: RawLog,
  contracts: { currency: Address; notes: Address },
): HistoryEvent | undefined {
  const base = {
    chainId,
    txHash: log.transactionHash,
    logIndex: Number(log.logIndex),
    blockNumber: Number(log.blockNumber),
    blockHash: log.blockHash,
    timestamp: null,
  };
  const isCurrency = log.address.toLowerCase() === contracts.currency.toLowerCase();
  if (log.topics[0] === TRANSFER && isCurrency && log.topics.length === 3) {
    return {
      ...base,
      kind: 'transfer',
      from: topicAddress(log.topics[1]),
      to: topicAddress(log.topics[2]),
      amount: BigInt(log.data),
      tokenId: null,
      data: {},
    };
  }
  if (log.address.toLowerCase() !== contracts.notes.toLowerCase()) return undefined;
  if (log.topics[0] === TRANSFER && log.topics.length === 4) {
    const from = topicAddress(log.topics[1]);
    const to = topicAddress(log.topics[2]);
    return {
      ...base,
      kind: from === null ? 'note-minted' : to === null ? 'note-burned' : 'note-transfer',
      from,
      to,
      amount: 0n,
      tokenId: BigInt(log.topics[3]!),
      data: {},
    };
  }
  if (log.topics[0] === TRANSFER_VALUE) {
    const event = decodeEventLog({
      abi: noteEventsAbi,
      data: log.data,
      topics: log.topics as [Hex, ...Hex[]],
    });
    const args = event.args as { fromTokenId: bigint; toTokenId: bigint; value: bigint };
    return {
      ...base,
      kind: 'note-value',
      from: null,
      to: null,
      amount: args.value,
      tokenId: args.toTokenId === 0n ? args.fromTokenId : args.toTokenId,
      data: { fromTokenId: args.fromTokenId.toString(), toTokenId: args.toTokenId.toString() },
    };
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
