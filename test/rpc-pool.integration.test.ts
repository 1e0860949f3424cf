/**
 * RpcPool against REAL Hardhat nodes, with FAKE loopback nodes (test/fakes/
 * rpc-fake-nodes.ts) only for what a real node will not do on demand: be down,
 * hang, answer garbage, sit on another chain, or lie. Honest answers always come
 * from a real node, directly or through a transparent fake proxy (two URLs that agree).
 */
import { encodeErrorResult, parseAbi, toHex } from 'viem';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SignetError } from '../core/api/errors.js';
import { type NodeStatus, RpcPool, type RpcPoolOptions } from '../core/rpc/rpc-pool.js';
import type { DevNode } from '../ledger/dev-node.js';
import { freePort, startHardhatNode } from '../ledger/hardhat-node.js';
import {
  type FakeNode,
  fakeDownNodeUrl,
  type GarbageKind,
  startFakeGarbageNode,
  startFakeHangingNode,
  startFakeProxy,
} from './fakes/rpc-fake-nodes.js';

const CHAIN_ID = 31337;
const ACCOUNT = '0x00000000000000000000000000000000000000aa';
const BALANCE_ON_A = '0x1234';
const MiB32 = 32 * 1024 * 1024;

let a: DevNode;
let b: DevNode;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startHardhatNode(), startHardhatNode()]);
  // A and B have the same chain id and genesis; this balance makes their states differ.
  await rpc(a.url, 'hardhat_setBalance', [ACCOUNT, BALANCE_ON_A]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** Straight to a node, for setting up (no pool involved). */
async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await response.json()) as { result: unknown }).result;
}

async function fake(started: Promise<FakeNode>): Promise<FakeNode> {
  const node = await started;
  cleanups.push(() => node.stop());
  return node;
}

function pool(urls: string[], options: Partial<RpcPoolOptions> = {}): RpcPool {
  return new RpcPool({ urls, chainId: CHAIN_ID, timeoutMs: 2_000, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<SignetError> {
  const error = await promise.then(
    () => expect.unreachable('should have failed'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SignetError);
  return error as SignetError;
}

const states = (p: RpcPool) => p.status().map((s) => s.state);
const count = (node: FakeNode, method: string) => node.methods.filter((m) => m === method).length;

describe('one real node', () => {
  it('answers, and its status goes from unknown to up with a latency', async () => {
    const p = pool([a.url]);
    expect(p.status()).toEqual([{ url: a.url, state: 'unknown' }]);
    expect(await p.request('eth_chainId')).toBe('0x7a69');
    expect(p.status()).toEqual([{ url: a.url, state: 'up', latencyMs: expect.any(Number) }]);
  });

  it('checks the chain id once, however many requests arrive together', async () => {
    const proxy = await fake(startFakeProxy(a.url));
    const p = pool([proxy.url]);
    await Promise.all(Array.from({ length: 5 }, () => p.request('eth_blockNumber')));
    expect(count(proxy, 'eth_chainId')).toBe(1);
    expect(count(proxy, 'eth_blockNumber')).toBe(5);
  });

  it('refuses URLs it cannot use, and the same node twice (it would vote twice)', () => {
    expect(() => pool([])).toThrow(/at least one node/);
    expect(() => pool(['ws://127.0.0.1:8546'])).toThrow(/must be http\(s\)/);
    expect(() => pool([a.url, `${a.url}/`])).toThrow(`ledger node ${a.url} is listed twice`);
  });
});

describe('failover', () => {
  it('skips a first URL that is down', async () => {
    const down = await fakeDownNodeUrl();
    const p = pool([down, a.url]);
    expect(await p.request('eth_getBalance', [ACCOUNT, 'latest'])).toBe(BALANCE_ON_A);
    expect(p.status()).toMatchObject([
      { url: down, state: 'down', lastError: 'connection refused' },
      { url: a.url, state: 'up' },
    ]);
  });

  it('fails over when a real node stops between two requests', async () => {
    const c = await startHardhatNode();
    cleanups.push(() => c.stop());
    await rpc(c.url, 'hardhat_setBalance', [ACCOUNT, '0xc']);
    const p = pool([c.url, a.url]);
    expect(await p.request('eth_getBalance', [ACCOUNT, 'latest'])).toBe('0xc');
    await c.stop();
    expect(await p.request('eth_getBalance', [ACCOUNT, 'latest'])).toBe(BALANCE_ON_A);
    expect(p.status()[0]).toMatchObject({
      state: 'down',
      lastError: expect.stringMatching(/^connection (refused|closed)/),
    });
  });

  it('fails over when a node dies in the middle of an answer, without waiting for the timeout', async () => {
    const dying = await fake(startFakeHangingNode());
    const p = pool([dying.url, a.url], { timeoutMs: 20_000 });
    const started = Date.now();
    const pending = p.request('eth_chainId');
    await vi.waitFor(() => expect(dying.methods).toEqual(['eth_chainId']));
    await dying.stop();
    expect(await pending).toBe('0x7a69');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(p.status()[0]).toMatchObject({
      state: 'down',
      lastError: 'connection closed while waiting for the answer',
    });
  });

  it('gives up on a node that hangs after timeoutMs and asks the next', async () => {
    const hanging = await fake(startFakeHangingNode());
    const p = pool([hanging.url, a.url], { timeoutMs: 300 });
    expect(await p.request('eth_chainId')).toBe('0x7a69');
    expect(p.status()[0]).toMatchObject({ state: 'down', lastError: 'no answer within 300 ms' });
  });

  it.each<[GarbageKind, string | RegExp]>([
    ['not-json', 'answered with something that is not JSON (text/plain)'],
    ['no-envelope', 'malformed JSON-RPC answer: no "jsonrpc": "2.0"'],
    ['wrong-id', /^malformed JSON-RPC answer: id \d+, expected \d+$/],
    ['html-502', 'HTTP 502 Bad Gateway'],
    ['huge-chunked', `answer over the size cap (${MiB32} bytes)`],
    ['huge-declared', `answer over the size cap (${MiB32} bytes)`],
  ])('fails over from a node that answers garbage: %s', async (kind, reason) => {
    const garbage = await fake(startFakeGarbageNode(kind));
    const p = pool([garbage.url, a.url]); // default cap: 32 MiB; the huge bodies are 100 MB
    expect(await p.request('eth_chainId')).toBe('0x7a69');
    expect(p.status()[0]!.state).toBe('down');
    expect(p.status()[0]!.lastError).toMatch(reason);
  });

  it('when no node can answer, says why for each in one NODE_UNREACHABLE', async () => {
    const down = await fakeDownNodeUrl();
    const hanging = await fake(startFakeHangingNode());
    const text = await fake(startFakeGarbageNode('not-json'));
    const gateway = await fake(startFakeGarbageNode('html-502'));
    const p = pool([down, hanging.url, text.url, gateway.url], { timeoutMs: 300 });
    const error = await rejection(p.request('eth_blockNumber'));
    expect(error.code).toBe('NODE_UNREACHABLE');
    expect(error.message).toBe(
      `no ledger node answered: ${down}: connection refused; ` +
        `${hanging.url}: no answer within 300 ms; ` +
        `${text.url}: answered with something that is not JSON (text/plain); ` +
        `${gateway.url}: HTTP 502 Bad Gateway`,
    );
    expect((error.details!.nodes as NodeStatus[]).map((n) => n.state)).toEqual([
      'down',
      'down',
      'down',
      'down',
    ]);
  });

  it('caps answers from a real node too (and both nodes are then down)', async () => {
    const proxy = await fake(startFakeProxy(a.url));
    const p = pool([a.url, proxy.url], { maxResponseBytes: 300 });
    expect(await p.request('eth_chainId')).toBe('0x7a69'); // small answers pass
    const error = await rejection(p.request('eth_getBlockByNumber', ['0x0', true]));
    expect(error.code).toBe('NODE_UNREACHABLE');
    expect(error.message).toBe(
      `no ledger node answered: ${a.url}: answer over the size cap (300 bytes); ` +
        `${proxy.url}: answer over the size cap (300 bytes)`,
    );
  });
});

describe('chain check', () => {
  it('a lone node on another chain is WRONG_CHAIN and is never used', async () => {
    const mainnet = await fake(startFakeProxy(a.url, { chainId: 1 }));
    const p = pool([mainnet.url]);
    const error = await rejection(p.request('eth_blockNumber'));
    expect(error.code).toBe('WRONG_CHAIN');
    expect(error.message).toBe(`node ${mainnet.url} is on chain 1, the profile expects 31337`);
    expect(mainnet.methods).toEqual(['eth_chainId']);
    expect(p.status()).toMatchObject([{ state: 'wrong-chain' }]);
  });

  it('among others, a wrong-chain node is skipped and left alone', async () => {
    const other = await fake(startFakeProxy(a.url, { chainId: 5 }));
    const p = pool([other.url, a.url]);
    expect(await p.request('eth_getBalance', [ACCOUNT, 'latest'])).toBe(BALANCE_ON_A);
    expect(await p.request('eth_getBalance', [ACCOUNT, 'latest'])).toBe(BALANCE_ON_A);
    expect(other.methods).toEqual(['eth_chainId']);
    expect(p.status()).toMatchObject([
      { state: 'wrong-chain', lastError: 'on chain 5, the profile expects 31337' },
      { state: 'up' },
    ]);
  });
});

describe('JSON-RPC errors', () => {
  it('are the answer: RPC_ERROR with the typed code, and no failover', async () => {
    const second = await fake(startFakeProxy(a.url));
    const p = pool([a.url, second.url]);
    const error = await rejection(p.request('eth_getBalance', ['nope', 'latest']));
    expect(error.code).toBe('RPC_ERROR');
    expect(error.message).toMatch(
      /^eth_getBalance failed: invalid value "nope" .*\(invalid params, code -32602\)$/,
    );
    expect(error.details).toMatchObject({ rpcCode: -32602, rpcName: 'invalid params' });
    expect(error.details).toHaveProperty('data');
    expect(second.methods).toEqual([]);
    expect(states(p)).toEqual(['up', 'unknown']);
  });

  // eth_call without `to` runs init code: this one reverts with the given payload,
  // so the revert comes from the real node, in the real node's error format.
  const revertingInitCode = (payload: `0x${string}`) => {
    const length = ((payload.length - 2) / 2).toString(16).padStart(2, '0');
    // CODECOPY(0, 12, length) REVERT(0, length), then the payload from offset 12
    return `0x60${length}600c600039` + `60${length}6000fd${payload.slice(2)}`;
  };
  const abi = parseAbi(['error Error(string)', 'error Panic(uint256)']);

  it.each([
    [
      'Error(string)',
      encodeErrorResult({ abi, errorName: 'Error', args: ['insufficient allowance'] }),
      'insufficient allowance',
    ],
    [
      'Panic(uint256)',
      encodeErrorResult({ abi, errorName: 'Panic', args: [0x11n] }),
      'panic 0x11 (arithmetic overflow or underflow)',
    ],
  ])(
    'a real revert carrying %s comes back with its reason decoded',
    async (_name, payload, reason) => {
      const p = pool([a.url]);
      const error = await rejection(
        p.request('eth_call', [{ data: revertingInitCode(payload) }, 'latest']),
      );
      expect(error.code).toBe('RPC_ERROR');
      expect(error.message).toBe(`transaction reverted: ${reason}`);
      expect(error.details).toMatchObject({ revertReason: reason, revertData: payload });
    },
  );
});

describe('credentials in node URLs', () => {
  it('never appear in messages, details or status', async () => {
    const port = (await fakeDownNodeUrl()).split(':').at(-1);
    const p = pool([`http://user:secret@127.0.0.1:${port}/?apikey=abc`]);
    const error = await rejection(p.request('eth_blockNumber'));
    expect(error.message).toBe(
      `no ledger node answered: http://127.0.0.1:${port}?apikey=***: connection refused`,
    );
    const everything = JSON.stringify([error.toJSON(), p.status()]);
    for (const secret of ['user', 'secret', 'abc']) expect(everything).not.toContain(secret);
  });

  it('are sent as HTTP basic auth (fetch refuses them inside the URL)', async () => {
    const guarded = await fake(startFakeProxy(a.url, { basicAuth: 'alice:s3cret' }));
    const url = (auth: string) => `http://${auth}@127.0.0.1:${guarded.port}/?apikey=k3y`;
    expect(await pool([url('alice:s3cret')]).request('eth_chainId')).toBe('0x7a69');
    expect(guarded.headers[0]!.authorization).toBe(`Basic ${btoa('alice:s3cret')}`);
    const error = await rejection(pool([url('alice:wrong')]).request('eth_chainId'));
    expect(error.message).toBe(
      `no ledger node answered: http://127.0.0.1:${guarded.port}?apikey=***: HTTP 401`,
    );
  });
});

describe('cross-check', () => {
  const liar = (method: string, lie: (result: any) => unknown) =>
    fake(
      startFakeProxy(a.url, { alter: (m, _p, result) => (m === method ? lie(result) : result) }),
    );
  const balance = [ACCOUNT, 'latest'];

  it('returns the majority answer and flags the liar, which plain reads then avoid', async () => {
    let lies = true;
    const lying = await liar('eth_getBalance', (result) => (lies ? '0xdead' : result));
    const honest = await fake(startFakeProxy(a.url));
    const p = pool([lying.url, a.url, honest.url]);
    const events: string[] = [];
    p.onStatus((s) => events.push(`${s.url} ${s.state}`));

    expect(await p.request('eth_getBalance', balance, { crossCheck: true })).toBe(BALANCE_ON_A);
    expect(p.status()[0]).toMatchObject({
      state: 'disagreeing',
      disagreement: { method: 'eth_getBalance', said: '"0xdead"', majority: `"${BALANCE_ON_A}"` },
    });
    expect(states(p)).toEqual(['disagreeing', 'up', 'up']);
    expect(events).toContain(`${lying.url} disagreeing`);

    // First in the profile's order, yet not asked any more for plain reads.
    expect(await p.request('eth_getBalance', balance)).toBe(BALANCE_ON_A);
    expect(count(lying, 'eth_getBalance')).toBe(1);

    // Honest answers to other questions do not clear it: a liar may lie selectively.
    await p.request('eth_blockNumber', [], { crossCheck: true });
    expect(states(p)).toEqual(['disagreeing', 'up', 'up']);
    // It agrees again on the method it lied about: trusted again.
    lies = false;
    await p.request('eth_getBalance', balance, { crossCheck: true });
    expect(states(p)).toEqual(['up', 'up', 'up']);
    expect(events.at(-1)).toBe(`${lying.url} up`);
  });

  it('a flag is per kind of question (a contract call per function) and clears only when all are agreed again', async () => {
    let lies = true;
    const balanceOf = '0x70a08231';
    const lying = await fake(
      startFakeProxy(a.url, {
        alter: (method, params, result) => {
          const data = String((params[0] as { data?: string } | undefined)?.data);
          if (lies && method === 'eth_call' && data.startsWith(balanceOf))
            return `0x${'01'.padStart(64, '0')}`;
          if (lies && method === 'eth_getBalance') return '0xdead';
          return result;
        },
      }),
    );
    const p = pool([lying.url, a.url, (await fake(startFakeProxy(a.url))).url]);
    const call = (data: string) =>
      p.request('eth_call', [{ to: ACCOUNT, data }, 'latest'], { crossCheck: true });
    await call(`${balanceOf}${'00'.repeat(32)}`);
    expect(p.status()[0]).toMatchObject({
      state: 'disagreeing',
      disagreement: { method: 'eth_call' },
    });
    // Another function of the same contract, answered honestly, clears nothing.
    await call(`0x12345678${'00'.repeat(32)}`);
    expect(states(p)).toEqual(['disagreeing', 'up', 'up']);
    await p.request('eth_getBalance', balance, { crossCheck: true });
    expect(p.status()[0]!.disagreement).toMatchObject({ method: 'eth_getBalance' });

    lies = false;
    await p.request('eth_getBalance', balance, { crossCheck: true });
    // Still flagged for the call it lied about, which is shown again.
    expect(p.status()[0]).toMatchObject({
      state: 'disagreeing',
      disagreement: { method: 'eth_call' },
    });
    await call(`${balanceOf}${'00'.repeat(32)}`);
    expect(states(p)).toEqual(['up', 'up', 'up']);
  });

  it('catches a lied block hash at a sync checkpoint', async () => {
    const lying = await liar('eth_getBlockByNumber', (block) => ({
      ...block,
      hash: `0x${'ee'.repeat(32)}`,
    }));
    const honest = await fake(startFakeProxy(a.url));
    const p = pool([a.url, lying.url, honest.url]);
    const block = await p.request<{ hash: string }>('eth_getBlockByNumber', ['0x0', false], {
      crossCheck: true,
      compareBy: (b: any) => b?.hash,
    });
    expect(block.hash).toBe(
      ((await rpc(a.url, 'eth_getBlockByNumber', ['0x0', false])) as any).hash,
    );
    expect(p.status()[1]).toMatchObject({
      state: 'disagreeing',
      disagreement: { said: `"0x${'ee'.repeat(32)}"`, majority: `"${block.hash}"` },
    });
  });

  it('two nodes that disagree have no majority: NODE_DISAGREES, nobody flagged', async () => {
    const lying = await liar('eth_getBalance', () => '0x0');
    const p = pool([a.url, lying.url]);
    const error = await rejection(p.request('eth_getBalance', balance, { crossCheck: true }));
    expect(error.code).toBe('NODE_DISAGREES');
    expect(error.message).toBe(
      `ledger nodes disagree on eth_getBalance and no answer has a majority: ${a.url}, ${lying.url} gave 2 different answers`,
    );
    expect(error.details!.answers).toEqual([
      { url: a.url, said: `"${BALANCE_ON_A}"` },
      { url: lying.url, said: '"0x0"' },
    ]);
    expect(states(p)).toEqual(['up', 'up']);
  });

  it('two real nodes with the same chain id but different state disagree; a third decides', async () => {
    const error = await rejection(
      pool([a.url, b.url]).request('eth_getBalance', balance, { crossCheck: true }),
    );
    expect(error.code).toBe('NODE_DISAGREES');

    const proxy = await fake(startFakeProxy(a.url));
    const p = pool([a.url, b.url, proxy.url]);
    expect(await p.request('eth_getBalance', balance, { crossCheck: true })).toBe(BALANCE_ON_A);
    expect(p.status()[1]).toMatchObject({ state: 'disagreeing', disagreement: { said: '"0x0"' } });
  });

  it('nodes that fail do not vote: one honest and one lying answer left is a tie', async () => {
    const lying = await liar('eth_getBalance', () => '0x0');
    const p = pool([await fakeDownNodeUrl(), a.url, lying.url]);
    const error = await rejection(p.request('eth_getBalance', balance, { crossCheck: true }));
    expect(error.code).toBe('NODE_DISAGREES');
    expect(states(p)).toEqual(['down', 'up', 'up']);
  });

  it('the same revert from every node is the agreed answer', async () => {
    const proxy = await fake(startFakeProxy(a.url));
    const p = pool([a.url, proxy.url]);
    const error = await rejection(
      p.request('eth_call', [{ data: '0x60006000fd' }, 'latest'], { crossCheck: true }),
    );
    expect(error.code).toBe('RPC_ERROR');
    expect(error.message).toBe('transaction reverted: no reason given');
    expect(states(p)).toEqual(['up', 'up']);
  });
});

describe('heads', () => {
  it('flags a node far behind the quorum, prefers the others, and clears the flag once it catches up', async () => {
    const proxy = await fake(startFakeProxy(a.url));
    const p = pool([b.url, a.url, proxy.url], { maxLag: 5 });
    const bHead = Number(await rpc(b.url, 'eth_blockNumber'));
    await rpc(a.url, 'hardhat_mine', ['0xa']);
    const aHead = Number(await rpc(a.url, 'eth_blockNumber'));
    expect(aHead - bHead).toBeGreaterThan(5);

    // Two of three (a quorum) are at A's head: B is far below it.
    expect(await p.heads()).toEqual({ best: aHead, common: bHead, pinned: aHead });
    expect(p.status()).toMatchObject([
      { state: 'behind', head: bHead },
      { state: 'up', head: aHead },
      { state: 'up', head: aHead },
    ]);
    expect(Number(await p.request('eth_blockNumber'))).toBe(aHead); // A first now

    await rpc(b.url, 'hardhat_mine', [`0x${(aHead - bHead).toString(16)}`]);
    expect(await p.heads()).toEqual({ best: aHead, common: aHead, pinned: aHead });
    expect(states(p)).toEqual(['up', 'up', 'up']);
  });

  it('measures "behind" from the quorum, not the best claim: with two nodes, both must have the block', async () => {
    const p = pool([b.url, a.url], { maxLag: 5 });
    const bHead = Number(await rpc(b.url, 'eth_blockNumber'));
    await rpc(a.url, 'hardhat_mine', ['0xa']);
    const aHead = Number(await rpc(a.url, 'eth_blockNumber'));
    // A quorum of two is both: the anchor is B's head, and A's higher claim is backed by no quorum.
    expect(await p.heads()).toEqual({ best: aHead, common: bHead, pinned: bHead });
    expect(states(p)).toEqual(['up', 'up']);
    expect(Number(await p.request('eth_blockNumber'))).toBe(bHead);
    await rpc(b.url, 'hardhat_mine', [`0x${(aHead - bHead).toString(16)}`]);
  });

  it('a node claiming a huge head neither marks the others behind nor gets the plain reads', async () => {
    const lying = await fake(
      startFakeProxy(a.url, {
        alter: (method, _params, result) =>
          method === 'eth_blockNumber'
            ? '0xffffffff'
            : method === 'eth_getBalance'
              ? '0x0'
              : result,
      }),
    );
    const proxy = await fake(startFakeProxy(a.url));
    const p = pool([lying.url, a.url, proxy.url]);
    const head = Number(await rpc(a.url, 'eth_blockNumber'));
    expect(await p.heads()).toEqual({ best: 0xffffffff, common: head, pinned: head });
    expect(states(p)).toEqual(['up', 'up', 'up']);
    // First in the profile, but its head is a claim no quorum backs: last in line.
    expect(await p.request('eth_getBalance', [ACCOUNT, toHex(head)])).toBe(BALANCE_ON_A);
    expect(count(lying, 'eth_getBalance')).toBe(0);
    expect(await p.request('eth_getBalance', [ACCOUNT, 'latest'], { crossCheck: true })).toBe(
      BALANCE_ON_A,
    );
    expect(states(p)).toEqual(['disagreeing', 'up', 'up']);
  });
});

describe('poll: a quorum of the configured nodes', () => {
  const balance = { method: 'eth_getBalance', params: [ACCOUNT, 'latest'] };

  it('believes an answer only when more than half the configured nodes gave it; nodes down count against it', async () => {
    const [down1, down2] = [await fakeDownNodeUrl(), await fakeDownNodeUrl()];
    const alone = pool([a.url, down1, down2]);
    const [lone] = await alone.poll([balance]);
    expect(lone).toMatchObject({ agreed: undefined, votes: 0, answered: 1 });
    expect(lone!.answers).toEqual([{ url: a.url, answer: { result: BALANCE_ON_A } }]);
    expect(states(alone)).toEqual(['up', 'down', 'down']); // one answer, no one flagged

    const proxy = await fake(startFakeProxy(a.url));
    const two = pool([a.url, proxy.url, down1]);
    const [agreed] = await two.poll([balance]);
    expect(agreed).toMatchObject({ agreed: { result: BALANCE_ON_A }, votes: 2, answered: 2 });
  });

  it('flags the node a quorum outvotes, per call of a batch; errors vote by code', async () => {
    const lying = await fake(
      startFakeProxy(a.url, {
        alter: (method, _params, result) => (method === 'eth_getBalance' ? '0xdead' : result),
      }),
    );
    const proxy = await fake(startFakeProxy(a.url));
    const p = pool([lying.url, a.url, proxy.url]);
    const [got, chain, missing] = await p.poll([
      balance,
      { method: 'eth_chainId' },
      { method: 'eth_getBlockByNumber', params: ['0xffffff', false] },
    ]);
    expect(got).toMatchObject({ agreed: { result: BALANCE_ON_A }, votes: 2, answered: 3 });
    expect(chain).toMatchObject({ agreed: { result: '0x7a69' }, votes: 3 });
    expect(missing).toMatchObject({ agreed: { result: null }, votes: 3 });
    expect(p.status()[0]).toMatchObject({
      state: 'disagreeing',
      disagreement: { method: 'eth_getBalance', said: '"0xdead"' },
    });
    // Unflagged when asked not to judge (what honest nodes may differ on).
    const q = pool([lying.url, a.url, proxy.url]);
    await q.poll([balance], { flag: false });
    expect(states(q)).toEqual(['up', 'up', 'up']);
  });

  it('pins reads below a node a block behind, and skips it for blocks it cannot have yet', async () => {
    const lagging = await fake(startFakeProxy(a.url, { lag: 1 }));
    const huge = await fake(
      startFakeProxy(a.url, {
        alter: (method, _params, result) => (method === 'eth_blockNumber' ? '0xffffffff' : result),
      }),
    );
    await rpc(a.url, 'evm_mine');
    const head = Number(await rpc(a.url, 'eth_blockNumber'));
    const p = pool([a.url, lagging.url, huge.url]);
    expect(await p.heads()).toEqual({ best: 0xffffffff, common: head - 1, pinned: head - 1 });
    const at = (block: number) => ({
      method: 'eth_getBlockByNumber',
      params: [`0x${block.toString(16)}`, false],
    });
    const hash = (b: unknown) => (b as { hash: string } | null)?.hash ?? null;
    const [pinned] = await p.poll([at(head - 1)], { compareBy: hash, atBlock: head - 1 });
    expect(pinned).toMatchObject({ votes: 3, answered: 3 });
    // The newest block: the node one behind is not asked, not flagged, and two still agree.
    const [newest] = await p.poll([at(head)], { compareBy: hash, atBlock: head });
    expect(newest).toMatchObject({ votes: 2, answered: 2 });
    expect(count(lagging, 'eth_getBlockByNumber')).toBe(1);
    expect(p.status().map((s) => s.disagreement)).toEqual([undefined, undefined, undefined]);
  });

  it('a node that does not do batches still votes, call by call', async () => {
    const noBatches = await fake(startFakeProxy(a.url, { rejectBatches: true }));
    const proxy = await fake(startFakeProxy(a.url));
    const p = pool([noBatches.url, a.url, proxy.url]);
    const polls = await p.poll([balance, { method: 'eth_chainId' }]);
    expect(polls.map((x) => x.votes)).toEqual([3, 3]);
    expect(states(p)).toEqual(['up', 'up', 'up']);
    expect(count(noBatches, 'eth_getBalance')).toBe(2); // the refused batch, then alone
  });

  it('broadcast sends one call to every reachable node and returns what each said', async () => {
    const refusing = await fake(
      startFakeProxy(a.url, {
        intercept: (method) =>
          method === 'eth_sendRawTransaction'
            ? { error: { code: -32000, message: 'transaction underpriced' } }
            : undefined,
      }),
    );
    const down = await fakeDownNodeUrl();
    const p = pool([refusing.url, down, a.url]);
    const answers = await p.broadcast('eth_sendRawTransaction', ['0x02']);
    expect(answers.map((x) => x.url)).toEqual([refusing.url, a.url]);
    expect(answers[0]!.answer).toEqual({
      error: { code: -32000, message: 'transaction underpriced' },
    });
    expect('error' in answers[1]!.answer).toBe(true); // not a transaction: refused in its own words
    expect(states(p)).toEqual(['up', 'down', 'up']); // a refusal is an answer, not a failure
  });
});

describe('back-off and status events', () => {
  it('a down node comes back after the back-off, with its chain checked again; listeners see each change', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // the clock only; sockets and timeouts stay real
    const port = await freePort();
    const first = await fake(startFakeProxy(a.url, { port }));
    const p = pool([first.url, a.url]);
    const events: string[] = [];
    p.onStatus((s) => events.push(`${s.url} ${s.state}`));

    await p.request('eth_blockNumber');
    expect(first.methods).toEqual(['eth_chainId', 'eth_blockNumber']);
    await first.stop();
    await p.request('eth_blockNumber');
    expect(events).toEqual([`${first.url} up`, `${first.url} down`, `${a.url} up`]);

    const again = await fake(startFakeProxy(a.url, { port })); // same URL, back
    vi.setSystemTime(Date.now() + 1_999);
    await p.request('eth_blockNumber');
    expect(again.methods).toEqual([]); // still waiting out the 2 s back-off

    vi.setSystemTime(Date.now() + 1);
    await p.request('eth_blockNumber');
    expect(again.methods).toEqual(['eth_chainId', 'eth_blockNumber']);
    expect(events.at(-1)).toBe(`${first.url} up`);
  });

  it('the back-off doubles per failure in a row, up to the maximum', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const garbage = await fake(startFakeGarbageNode('not-json'));
    const p = pool([garbage.url], { backoffMs: 1_000, maxBackoffMs: 3_000 });
    const attempts: number[] = [];
    for (const step of [0, 999, 1, 1_999, 1, 2_999, 1, 2_999, 1]) {
      vi.setSystemTime(Date.now() + step);
      const error = await rejection(p.request('eth_blockNumber'));
      expect(error.code).toBe('NODE_UNREACHABLE');
      attempts.push(garbage.methods.length);
    }
    // Tried at 0, +1 s, +2 s more, then every 3 s (the cap); failing fast in between.
    expect(attempts).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5]);
  });

  it('a listener that throws does not break the pool', async () => {
    const p = pool([a.url]);
    p.onStatus(() => {
      throw new Error('UI bug');
    });
    const seen: string[] = [];
    const unsubscribe = p.onStatus((s) => seen.push(s.state));
    expect(await p.request('eth_chainId')).toBe('0x7a69');
    unsubscribe();
    expect(seen).toEqual(['up']);
  });
});

describe('batch', () => {
  it('sends one JSON-RPC batch, matches answers by id, and fails over like request', async () => {
    const reversing = await fake(startFakeProxy(a.url, { reverseBatches: true }));
    const p = pool([await fakeDownNodeUrl(), reversing.url]);
    const results = await p.batch([
      { method: 'eth_chainId' },
      { method: 'eth_getBalance', params: [ACCOUNT, 'latest'] },
      { method: 'eth_getBlockByNumber', params: ['0x0', false] },
    ]);
    expect(results[0]).toBe('0x7a69');
    expect(results[1]).toBe(BALANCE_ON_A);
    expect(results[2]).toMatchObject({ number: '0x0' });
    expect(reversing.headers).toHaveLength(2); // the chain check, then one batch
  });

  it('a JSON-RPC error inside a batch is RPC_ERROR with its index', async () => {
    const error = await rejection(
      pool([a.url]).batch([
        { method: 'eth_chainId' },
        { method: 'eth_getBalance', params: ['nope', 'latest'] },
      ]),
    );
    expect(error.code).toBe('RPC_ERROR');
    expect(error.details).toMatchObject({ index: 1, method: 'eth_getBalance', rpcCode: -32602 });
  });

  it('fails over from a node that does not do batches', async () => {
    const single = await fake(startFakeProxy(a.url, { rejectBatches: true }));
    const p = pool([single.url, a.url]);
    expect(await p.batch([{ method: 'eth_chainId' }, { method: 'eth_blockNumber' }])).toHaveLength(
      2,
    );
    expect(p.status()[0]).toMatchObject({
      state: 'down',
      lastError: 'answered a batch with a single object',
    });
  });

  it('an empty batch asks nobody', async () => {
    expect(await pool([await fakeDownNodeUrl()]).batch([])).toEqual([]);
  });
});
