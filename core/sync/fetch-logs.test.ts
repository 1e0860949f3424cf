import { describe, expect, it } from 'vitest';
import { SignetError } from '../api/errors.js';
import { AdaptiveLogFetcher, type JsonRpc, type RawLog } from './fetch-logs.js';

/** A FAKE node that holds one log per block and refuses answers over `cap` logs, like Besu's -32005. */
function cappedNode(blocks: number, cap: number) {
  const calls: Array<[number, number]> = [];
  const rpc: JsonRpc = {
    async request<T>(_method: string, params: unknown[]): Promise<T> {
      const { fromBlock, toBlock } = params[0] as { fromBlock: string; toBlock: string };
      const from = Number(fromBlock);
      const to = Number(toBlock);
      calls.push([from, to]);
      if (to - from + 1 > cap) {
        throw new SignetError('RPC_ERROR', `query returned more than ${cap} results`, {
          details: { rpcCode: -32005 },
        });
      }
      const logs: RawLog[] = [];
      for (let b = from; b <= Math.min(to, blocks); b++) {
        logs.push({
          address: '0x0000000000000000000000000000000000000001',
          topics: [],
          data: '0x',
          blockNumber: `0x${b.toString(16)}`,
          blockHash: `0x${b.toString(16).padStart(64, '0')}`,
          transactionHash: `0x${b.toString(16).padStart(64, '0')}`,
          logIndex: '0x0',
        });
      }
      return logs as T;
    },
  };
  return { rpc, calls };
}

describe('AdaptiveLogFetcher', () => {
  it('halves the range when the node refuses, delivers every log once, in order', async () => {
    const { rpc, calls } = cappedNode(10_000, 1_000);
    const fetcher = new AdaptiveLogFetcher(rpc, { initialStep: 4_000 });
    const blocks: number[] = [];
    const ends: number[] = [];
    await fetcher.fetch(1, 10_000, [{ address: [], topics: [] }], (logs, end) => {
      blocks.push(...logs.map((l) => Number(l.blockNumber)));
      ends.push(end);
    });
    expect(blocks).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(calls.slice(0, 3).map(([f, t]) => t - f + 1)).toEqual([4_000, 2_000, 1_000]);
    expect(ends.at(-1)).toBe(10_000);
  });

  it('grows the range while answers stay small', async () => {
    const { rpc, calls } = cappedNode(0, 1_000_000);
    const fetcher = new AdaptiveLogFetcher(rpc, { initialStep: 100, maxStep: 1_600 });
    await fetcher.fetch(0, 5_000, [{ address: [], topics: [] }], () => {});
    expect(calls.map(([f, t]) => t - f + 1).slice(0, 6)).toEqual([
      100, 200, 400, 800, 1_600, 1_600,
    ]);
  });

  it('does not swallow errors that are not about the range', async () => {
    const rpc: JsonRpc = {
      request: async () => {
        throw new SignetError('NODE_UNREACHABLE', 'no ledger node answered');
      },
    };
    await expect(
      new AdaptiveLogFetcher(rpc).fetch(0, 10, [{ address: [], topics: [] }], () => {}),
    ).rejects.toThrow('no ledger node answered');
  });

  it('removes the duplicate a from-us and a to-us query both return', async () => {
    const { rpc } = cappedNode(3, 100);
    const seen: RawLog[] = [];
    const query = { address: [], topics: [] };
    await new AdaptiveLogFetcher(rpc).fetch(1, 3, [query, query], (logs) => {
      seen.push(...logs);
    });
    expect(seen).toHaveLength(3);
  });
});
