/**
 * What the collection service asks the chain, through the node pool at the
 * pinned head (or a block under it): which operator a certificate key belongs
 * to, a purse's terms and state, and whether vouchers are settled. A settlement or
 * a fraud proof is believed only when a quorum of the configured nodes says so
 * (RpcPool.poll): one node's word never marks a voucher paid.
 */
import {
  type Address,
  decodeEventLog,
  decodeFunctionResult,
  encodeEventTopics,
  encodeFunctionData,
  getAddress,
  type Hex,
  toHex,
  zeroAddress,
} from 'viem';
import { SignetError } from '../api/errors.js';
import { offlinePurseAbi, type VoucherRejection, voucherRejections } from '../purse/abi.js';
import type { Voucher } from '../purse/typed-data.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import type { RawLog } from '../sync/fetch-logs.js';

type PurseFunction = 'certificateKeyOperator' | 'isSettled' | 'purseOf' | 'epochOf';

interface PurseCall {
  functionName: PurseFunction;
  args: readonly unknown[];
}

/**
 * The calls' results where a quorum of the configured nodes agreed, undefined
 * where none did (a node down, or disagreeing): the caller waits and asks again.
 */
export async function quorumReads(
  rpc: RpcPool,
  contract: Address,
  calls: readonly PurseCall[],
  atBlock?: number,
): Promise<unknown[]> {
  if (calls.length === 0) return [];
  const pinned = atBlock ?? (await rpc.heads()).pinned;
  const polls = await rpc.poll(
    calls.map(({ functionName, args }) => ({
      method: 'eth_call',
      params: [
        {
          to: contract,
          data: encodeFunctionData({ abi: offlinePurseAbi, functionName, args } as never),
        },
        toHex(pinned),
      ],
    })),
    { atBlock: pinned },
  );
  return polls.map((poll, i) => {
    const answer = poll.agreed;
    if (!answer || 'error' in answer) return undefined;
    return decodeFunctionResult({
      abi: offlinePurseAbi,
      functionName: calls[i]!.functionName,
      data: answer.result as Hex,
    } as never);
  });
}

/** Certificate key → operator (zero address: unlisted), for every key asked; throws if no quorum. */
export async function certificateKeyOperators(
  rpc: RpcPool,
  contract: Address,
  keys: readonly Address[],
): Promise<Map<Address, Address | null>> {
  const results = await quorumReads(
    rpc,
    contract,
    keys.map((key) => ({ functionName: 'certificateKeyOperator', args: [key] })),
  );
  const map = new Map<Address, Address | null>();
  keys.forEach((key, i) => {
    const operator = results[i] as Address | undefined;
    if (operator === undefined) {
      throw new SignetError(
        'NODE_DISAGREES',
        'the ledger nodes do not agree on the listed certificate keys: try again',
      );
    }
    map.set(getAddress(key), operator === zeroAddress ? null : getAddress(operator));
  });
  return map;
}

/** Per voucher: true when a quorum shows it settled, false when a quorum shows it not, undefined otherwise. */
export async function settledVouchers(
  rpc: RpcPool,
  contract: Address,
  vouchers: readonly Voucher[],
): Promise<(boolean | undefined)[]> {
  return (await quorumReads(
    rpc,
    contract,
    vouchers.map((voucher) => ({ functionName: 'isSettled', args: [voucher] })),
  )) as (boolean | undefined)[];
}

/** OfflinePurse.purseOf: a purse never opened has the zero owner. */
export interface PurseState {
  owner: Address;
  operator: Address;
  locked: bigint;
  cap: bigint;
  maxCount: number;
  validFrom: bigint;
  validUntil: bigint;
  epoch: number;
  paid: bigint;
  fromGuarantee: bigint;
  frozen: boolean;
  closed: boolean;
}

/** The purse as a quorum shows it at `atBlock` (default: the pinned head); undefined without a quorum. */
export async function purseState(
  rpc: RpcPool,
  contract: Address,
  purse: Address,
  atBlock?: number,
): Promise<PurseState | undefined> {
  const [state] = await quorumReads(
    rpc,
    contract,
    [{ functionName: 'purseOf', args: [purse] }],
    atBlock,
  );
  return state as PurseState | undefined;
}

/** Purses' states at the pinned head, in one round of quorum reads; throws without a quorum. */
export async function purseStates(
  rpc: RpcPool,
  contract: Address,
  purses: readonly Address[],
): Promise<Map<Address, PurseState>> {
  const results = await quorumReads(
    rpc,
    contract,
    purses.map((purse) => ({ functionName: 'purseOf', args: [purse] })),
  );
  const map = new Map<Address, PurseState>();
  purses.forEach((purse, i) => {
    const state = results[i] as PurseState | undefined;
    if (state === undefined) {
      throw new SignetError(
        'NODE_DISAGREES',
        'the ledger nodes do not agree on the purses: try again',
      );
    }
    map.set(getAddress(purse), state);
  });
  return map;
}

export async function epochOf(
  rpc: RpcPool,
  contract: Address,
  owner: Address,
): Promise<number | undefined> {
  const [epoch] = await quorumReads(rpc, contract, [{ functionName: 'epochOf', args: [owner] }]);
  return epoch as number | undefined;
}

/** Retriable rejections: the voucher may be paid later (core/purse/abi.ts). */
export const RETRIABLE_REJECTIONS: ReadonlySet<string> = new Set([
  'payee-inactive',
  'guarantee-short',
]);

/**
 * Why the contract did not pay these vouchers in the block of their settle
 * transaction: their VoucherRejected events, as a quorum of nodes reports them
 * (undefined without a quorum). A voucher with no event there has none.
 */
export async function rejectionsIn(
  rpc: RpcPool,
  contract: Address,
  blockNumber: number,
  hashes: readonly Hex[],
): Promise<Map<string, VoucherRejection | 'unknown'> | undefined> {
  if (hashes.length === 0) return new Map();
  const [topic0] = encodeEventTopics({ abi: offlinePurseAbi, eventName: 'VoucherRejected' });
  const block = toHex(blockNumber);
  const [poll] = await rpc.poll(
    [
      {
        method: 'eth_getLogs',
        params: [
          {
            fromBlock: block,
            toBlock: block,
            address: contract,
            topics: [topic0, null, hashes.map((h) => h.toLowerCase())],
          },
        ],
      },
    ],
    {
      atBlock: blockNumber,
      // Nodes differ in extra fields; what matters is which voucher and why.
      compareBy: (logs) =>
        (logs as RawLog[]).map((l) => [l.blockHash, l.logIndex, l.topics, l.data]),
    },
  );
  const answer = poll?.agreed;
  if (!answer || 'error' in answer) return undefined;
  const reasons = new Map<string, VoucherRejection | 'unknown'>();
  for (const log of answer.result as RawLog[]) {
    const { args } = decodeEventLog({
      abi: offlinePurseAbi,
      data: log.data,
      topics: log.topics as never,
    });
    const { voucherHash, reason } = args as { voucherHash: Hex; reason: number };
    reasons.set(
      voucherHash.toLowerCase(),
      voucherRejections[reason as keyof typeof voucherRejections] ?? 'unknown',
    );
  }
  return reasons;
}

/**
 * The listed certificate keys as last read, so that payees can still deposit
 * while the service's nodes are unreachable: a key read within `freshMs` is
 * not asked again, and when the chain cannot answer, keys read before (however
 * long ago) are taken as they were. A deposit is a pre-check; the contract
 * decides at settle whether the certificate's key is listed.
 */
export class CertificateKeyCache {
  readonly #known = new Map<Address, { operator: Address | null; at: number }>();

  constructor(
    private readonly read: (keys: Address[]) => Promise<Map<Address, Address | null>>,
    private readonly freshMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async lookup(keys: readonly Address[]): Promise<Map<Address, Address | null>> {
    const wanted = keys.map((key) => getAddress(key));
    const stale = wanted.filter((key) => {
      const known = this.#known.get(key);
      return !known || this.now() - known.at > this.freshMs;
    });
    if (stale.length > 0) {
      try {
        for (const [key, operator] of await this.read(stale)) {
          this.#known.set(key, { operator, at: this.now() });
        }
      } catch (error) {
        // The chain cannot say now: keys read before stand; a key never read cannot.
        if (stale.some((key) => !this.#known.has(key))) throw error;
      }
    }
    return new Map(wanted.map((key) => [key, this.#known.get(key)!.operator]));
  }
}

/**
 * The purses deposits name, as last read: an opened purse's terms never change,
 * so it is read once (its frozen/closed flags only decide whether to keep a
 * fraud pair, which the submitter checks again before proving); a purse not
 * opened is asked again after `freshMs`. With the nodes down, a purse never
 * seen opened cannot be taken (its deposits wait for the chain).
 */
export class PurseCache {
  readonly #opened = new Map<Address, PurseState>();
  readonly #unopened = new Map<Address, number>();

  constructor(
    private readonly read: (purses: Address[]) => Promise<Map<Address, PurseState>>,
    private readonly freshMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Purse → its state if opened on chain, null if not. */
  async lookup(purses: readonly Address[]): Promise<Map<Address, PurseState | null>> {
    const wanted = [...new Set(purses.map((purse) => getAddress(purse)))];
    const ask = wanted.filter((purse) => {
      if (this.#opened.has(purse)) return false;
      const at = this.#unopened.get(purse);
      return at === undefined || this.now() - at > this.freshMs;
    });
    if (ask.length > 0) {
      for (const [purse, state] of await this.read(ask)) {
        if (state.owner === zeroAddress) this.#unopened.set(purse, this.now());
        else {
          this.#opened.set(purse, state);
          this.#unopened.delete(purse);
        }
      }
    }
    return new Map(wanted.map((purse) => [purse, this.#opened.get(purse) ?? null]));
  }
}
