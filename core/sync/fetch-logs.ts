/**
 * eth_getLogs over a block range in adaptive steps, without an indexer. Nodes
 * cap the range and the result size (Besu, geth, Quorum each word it their own
 * way): on such a refusal the step halves; while answers stay small it grows.
 */
import type { Address, Hex } from 'viem';
import { SignetError } from '../api/errors.js';

export interface JsonRpc {
  request<T>(method: string, params: unknown[]): Promise<T>;
}

export interface RawLog {
  address: Address;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  logIndex: Hex;
}

export interface LogQuery {
  address: Address[];
  /** topics[i] = one topic, several (OR), or null (any), as in eth_getLogs. */
  topics: Array<Hex | Hex[] | null>;
}

export interface StepOptions {
  /**
   * Blocks in the first range. Small, and doubled while answers stay small: the
   * first answer stays small however dense the history is, and the ranges after
   * it are fetched while the one before is stored. From 2,000 blocks, the bench's
   * history (npm run bench:sync, 21,000 logs in 253 blocks) came back as one 12 MB
   * answer, about +70 MiB RSS and nothing to overlap; from 32, in five ranges,
   * about +30 MiB. A sparse history reaches maxStep a few ranges later.
   */
  initialStep?: number;
  maxStep?: number;
  /** Grow the step when a range returned fewer logs than this. */
  growBelow?: number;
}

const tooMuch =
  /too many|more than|limit exceeded|range|exceed|too large|timeout|10000|response size/i;

export class AdaptiveLogFetcher {
  private step: number;
  private readonly maxStep: number;
  private readonly growBelow: number;

  constructor(
    private readonly rpc: JsonRpc,
    options: StepOptions = {},
  ) {
    this.step = options.initialStep ?? 32;
    this.maxStep = options.maxStep ?? 100_000;
    this.growBelow = options.growBelow ?? 2_000;
  }

  /** The current step, so a caller can report progress in useful units. */
  get currentStep(): number {
    return this.step;
  }

  /**
   * Logs of every query in [from, to], delivered range by range in block order
   * (so the caller can checkpoint after each range). The next range is already
   * being fetched while the caller handles this one: the node produces logs
   * while we decode and store (measured with 20,000 logs, npm run bench:sync).
   */
  async fetch(
    from: number,
    to: number,
    queries: LogQuery[],
    onRange: (logs: RawLog[], rangeEnd: number) => void | Promise<void>,
  ): Promise<void> {
    let next = from <= to ? this.fetchRange(from, to, queries) : undefined;
    while (next) {
      const { logs, end } = await next;
      next = end < to ? this.fetchRange(end + 1, to, queries) : undefined;
      // Awaited on the next turn; if onRange throws first, the read is just dropped.
      next?.catch(() => {});
      logs.sort(byPosition);
      await onRange(dedupe(logs), end);
    }
  }

  /** The logs of one range from `start`, the step halved on each refusal, then adapted. */
  private async fetchRange(
    start: number,
    to: number,
    queries: LogQuery[],
  ): Promise<{ logs: RawLog[]; end: number }> {
    for (;;) {
      const end = Math.min(to, start + this.step - 1);
      let logs: RawLog[];
      try {
        logs = (await Promise.all(queries.map((q) => this.getLogs(start, end, q)))).flat();
      } catch (error) {
        if (this.step > 1 && isRangeRefusal(error)) {
          this.step = Math.max(1, Math.floor(this.step / 2));
          continue;
        }
        throw error;
      }
      if (logs.length < this.growBelow) this.step = Math.min(this.maxStep, this.step * 2);
      return { logs, end };
    }
  }

  private getLogs(from: number, to: number, query: LogQuery): Promise<RawLog[]> {
    return this.rpc.request<RawLog[]>('eth_getLogs', [
      {
        fromBlock: `0x${from.toString(16)}`,
        toBlock: `0x${to.toString(16)}`,
        address: query.address,
        topics: query.topics,
      },
    ]);
  }
}

function isRangeRefusal(error: unknown): boolean {
  if (!(error instanceof SignetError) || error.code !== 'RPC_ERROR') return false;
  const code = error.details?.rpcCode;
  return code === -32005 || tooMuch.test(error.message);
}

function byPosition(a: RawLog, b: RawLog): number {
  return (
    Number(BigInt(a.blockNumber) - BigInt(b.blockNumber)) ||
    Number(BigInt(a.logIndex) - BigInt(b.logIndex))
  );
}

/** Two queries (from = us, to = us) return a transfer between our own accounts twice. */
function dedupe(logs: RawLog[]): RawLog[] {
  const seen = new Set<string>();
  return logs.filter((log) => {
    const key = `${log.blockHash}:${log.logIndex}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
