/**
 * Turns raw logs of the ledger contracts into history rows: a currency Transfer
 * on its own, a note operation from its whole transaction. The topics are
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
  'event NoteIssued(uint256 indexed tokenId, address indexed acceptor, address indexed payee, uint256 slot, uint256 faceValue, uint64 maturity)',
  'event NoteFinanced(uint256 indexed tokenId, uint256 indexed bankTokenId, address indexed holder, address bank, uint256 value, uint256 price)',
  'event NoteRedeemed(uint256 indexed tokenId, address indexed holder, uint256 value)',
  'event NoteDishonoured(uint256 indexed tokenId, address indexed acceptor, address indexed holder, uint256 value)',
]);

export const TRANSFER = toEventSelector(
  'event Transfer(address indexed from, address indexed to, uint256 value)',
);
export const TRANSFER_VALUE = toEventSelector(
  'event TransferValue(uint256 indexed fromTokenId, uint256 indexed toTokenId, uint256 value)',
);

export const NOTE_ISSUED = toEventSelector(noteEventsAbi[2]);
export const NOTE_FINANCED = toEventSelector(noteEventsAbi[3]);
export const NOTE_REDEEMED = toEventSelector(noteEventsAbi[4]);
export const NOTE_DISHONOURED = toEventSelector(noteEventsAbi[5]);

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

/** A currency Transfer: the one history row a log makes on its own. */
export function toCurrencyEvent(
  chainId: number,
  log: RawLog,
  currency: Address,
): HistoryEvent | undefined {
  if (
    log.topics[0] !== TRANSFER ||
    log.topics.length !== 3 ||
    log.address.toLowerCase() !== currency.toLowerCase()
  )
    return undefined;
  const from = topicAddress(log.topics[1]);
  const to = topicAddress(log.topics[2]);
  return historyEvent(chainId, log, 'transfer', from, to, BigInt(log.data), null, {});
}

/** A receipt's part that note operations are read from. */
export interface NoteReceipt {
  /** The transaction's sender. */
  from: Address;
  logs: RawLog[];
}

/**
 * The note operations of one transaction, each a history row with its kind,
 * from and to: note-issue (acceptor → payee), note-endorse (holder → holder),
 * note-split (holder → holder of the new note), note-finance (holder → bank),
 * note-redeem and note-dishonour (holder → acceptor, presenting the note).
 * Read from the whole transaction's logs, because one operation emits several
 * (a split mints a note, then moves value onto it), and only the transaction
 * says which operation they make; the mint, burn and value logs inside an
 * operation make no rows of their own. Each row is at its operation's own log.
 *
 * `holderOf` knows the holders the wallet stored; a split from a note it never
 * stored is credited to the transaction's sender (the holder, or an operator
 * the holder approved). An endorsement's amount is 0: an ERC-721 Transfer
 * carries no value.
 */
export function noteOperations(
  chainId: number,
  receipt: NoteReceipt,
  contracts: { currency: Address; notes: Address },
  holderOf: (tokenId: bigint) => Address | undefined,
): HistoryEvent[] {
  const notes = contracts.notes.toLowerCase();
  const logs = receipt.logs.filter((log) => log.address.toLowerCase() === notes);
  // Holders as this transaction moves notes, log by log.
  const owners = new Map<bigint, Address | null>();
  const holder = (tokenId: bigint): Address | null =>
    owners.has(tokenId) ? owners.get(tokenId)! : (holderOf(tokenId) ?? getAddress(receipt.from));
  // Issue and finance mint, move and transfer notes on their way: their own event says it all.
  const named = logs.some(
    (log) => log.topics[0] === NOTE_ISSUED || log.topics[0] === NOTE_FINANCED,
  );
  const rows: HistoryEvent[] = [];
  for (const log of logs) {
    const topic = log.topics[0];
    if (topic === TRANSFER && log.topics.length === 4) {
      const from = topicAddress(log.topics[1]);
      const to = topicAddress(log.topics[2]);
      const tokenId = BigInt(log.topics[3]!);
      if (from !== null && to !== null && !named)
        rows.push(historyEvent(chainId, log, 'note-endorse', from, to, 0n, tokenId, {}));
      owners.set(tokenId, to);
      continue;
    }
    if (
      topic !== TRANSFER_VALUE &&
      topic !== NOTE_ISSUED &&
      topic !== NOTE_FINANCED &&
      topic !== NOTE_REDEEMED &&
      topic !== NOTE_DISHONOURED
    )
      continue;
    const event = decodeEventLog({
      abi: noteEventsAbi,
      data: log.data,
      topics: log.topics as [Hex, ...Hex[]],
    });
    switch (event.eventName) {
      case 'TransferValue': {
        const { fromTokenId, toTokenId, value } = event.args;
        if (fromTokenId === 0n || toTokenId === 0n || named) break; // minting or burning value
        rows.push(
          historyEvent(
            chainId,
            log,
            'note-split',
            holder(fromTokenId),
            holder(toTokenId),
            value,
            toTokenId,
            {
              fromTokenId: fromTokenId.toString(),
              toTokenId: toTokenId.toString(),
            },
          ),
        );
        break;
      }
      case 'NoteIssued': {
        const { tokenId, acceptor, payee, faceValue, maturity } = event.args;
        rows.push(
          historyEvent(
            chainId,
            log,
            'note-issue',
            getAddress(acceptor),
            getAddress(payee),
            faceValue,
            tokenId,
            {
              maturity: Number(maturity),
            },
          ),
        );
        break;
      }
      case 'NoteFinanced': {
        const { tokenId, bankTokenId, holder: seller, bank, value, price } = event.args;
        rows.push(
          historyEvent(
            chainId,
            log,
            'note-finance',
            getAddress(seller),
            getAddress(bank),
            value,
            tokenId,
            {
              bankTokenId: bankTokenId.toString(),
              price: price.toString(),
            },
          ),
        );
        break;
      }
      case 'NoteRedeemed': {
        const { tokenId, holder: presenter, value } = event.args;
        // The acceptor is whoever paid the holder that value in this transaction.
        const paid = receipt.logs
          .map((l) => toCurrencyEvent(chainId, l, contracts.currency))
          .find((t) => t?.to === getAddress(presenter) && t.amount === value);
        rows.push(
          historyEvent(
            chainId,
            log,
            'note-redeem',
            getAddress(presenter),
            paid?.from ?? null,
            value,
            tokenId,
            {},
          ),
        );
        break;
      }
      case 'NoteDishonoured': {
        const { tokenId, acceptor, holder: presenter, value } = event.args;
        rows.push(
          historyEvent(
            chainId,
            log,
            'note-dishonour',
            getAddress(presenter),
            getAddress(acceptor),
            value,
            tokenId,
            {},
          ),
        );
        break;
      }
    }
  }
  return rows;
}

/** topic for an address in an indexed position */
export function addressTopic(address: Address): Hex {
  return `0x${address.slice(2).toLowerCase().padStart(64, '0')}`;
}

export function uintTopic(value: bigint): Hex {
  return `0x${value.toString(16).padStart(64, '0')}`;
}
