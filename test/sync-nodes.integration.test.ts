/**
 * Sync against nodes that fail: a reorg (made with the node's snapshot/revert),
 * a node that stops, a node that lies, a node on another chain, a node that
 * answers garbage, and profiles that are malformed or not for dev.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FakeNode, startFakeGarbageNode, startFakeProxy } from './fakes/rpc-fake-nodes.js';
import { syncSettled } from './support/sync-settled.js';
import { useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob']);
const fakes: FakeNode[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.stop()));
});
const fake = async (node: Promise<FakeNode>) => {
  const started = await node;
  fakes.push(started);
  return started;
};
const json = w.json;
const pay = (amount: string) =>
  json([
    'send',
    '--from',
    w.keys.alice!.uri,
    '--to',
    w.keys.bob!.address,
    '--amount',
    amount,
    '--offline',
    '--pin-file',
    w.pin,
  ]);
const balance = async (name: string) =>
  (await json(['balance', '--account', w.keys[name]!.address]))[0].balance;

/** Asks the dev node directly (test controls viem's public client does not type). */
async function rpc<T>(method: string, params: unknown[]): Promise<T> {
  const response = await fetch(w.ledger.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

describe('reorg', () => {
  it('rewinds the index when the checkpoint block left the chain, and re-sends what it dropped', async () => {
    await json(['ledger', 'fund', '--account', w.keys.alice!.address, '--amount', '50.00']);
    await json(['ledger', 'fund', '--account', w.keys.bob!.address, '--amount', '0.01']);
    await json(['sync']);
    const fork = await w.ledger.snapshot();
    await pay('5.00');
    expect(await syncSettled(w)).toMatchObject({ sent: 1, confirmed: 1 });
    expect(await balance('bob')).toBe('5.01');

    // The branch with the payment is dropped; the chain grows past it on another branch.
    await w.ledger.revert(fork);
    for (let i = 0; i < 3; i++) await w.ledger.mine();
    const first = await json(['sync']);
    expect(first.rewoundTo).not.toBeNull();
    expect(await balance('bob')).toBe('0.01');
    expect((await json(['outbox']))[0].status).toBe('sent');

    // Re-sent once, and confirmed (by this sync or, if the node mines late, a next one).
    expect(await syncSettled(w)).toMatchObject({ sent: 1, confirmed: 1 });
    expect(await balance('bob')).toBe('5.01');
    const history = await json(['history', '--account', w.keys.bob!.address]);
    expect(history.filter((e: { amount: string }) => e.amount === '5.00')).toHaveLength(1);
  });
});

describe('a node that answers a broadcast before it mines it', () => {
  // What a real chain (a block every few seconds) or a slow dev node does: the
  // sync that sends cannot confirm, and must neither fail nor send it twice.
  it('reports it sent and not confirmed, keeps it in flight, and a later sync confirms it', async () => {
    const bobBefore = await balance('bob');
    await rpc('evm_setAutomine', [false]);
    try {
      await pay('0.25');
      const sending = await json(['sync']);
      expect(sending).toMatchObject({ sent: 1, confirmed: 0, failed: 0, unconfirmed: 0 });
      expect((await json(['outbox'])).at(-1).status).toBe('sent');
      // Still not mined: the rebroadcast is "already known", not a second send.
      const waiting = await json(['sync']);
      expect(waiting).toMatchObject({ sent: 0, confirmed: 0, failed: 0, unconfirmed: 0 });
      expect((await json(['outbox'])).at(-1).status).toBe('sent');
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
    await w.ledger.mine();
    expect(await json(['sync'])).toMatchObject({ sent: 0, confirmed: 1, failed: 0 });
    expect((await json(['outbox'])).at(-1).status).toBe('confirmed');
    expect(BigInt((await balance('bob')).replace('.', ''))).toBe(
      BigInt(bobBefore.replace('.', '')) + 25n,
    );
  });
});

describe('several nodes', () => {
  // Three nodes: with one down, the other two are still a quorum of the profile's
  // three (with two nodes configured, both must answer: see "two of three down" below).
  it('fails over when one of three nodes stops, and shows it as down', async () => {
    const proxy = await fake(startFakeProxy(w.ledger.url));
    const other = await fake(startFakeProxy(w.ledger.url));
    w.useProfile({ ...w.ledger.profile, rpc: [proxy.url, other.url, w.ledger.url] });
    await json(['sync']);
    await proxy.stop();
    await pay('1.00');
    const settled = await syncSettled(w);
    expect(settled).toMatchObject({ sent: 1, confirmed: 1 });
    const report = settled.last;
    expect(report).toMatchObject({ unconfirmed: 0 });
    expect(report.nodes.map((n: { state: string }) => n.state)).toEqual(['down', 'up', 'up']);
    const status = await json(['ledger', 'status']);
    expect(status.nodes[0]).toMatchObject({ state: 'down' });
    expect(status.nodes[1]).toMatchObject({ state: 'up' });
    w.useProfile(w.ledger.profile);
  });

  it('outvotes and flags a node that lies about a balance', async () => {
    const honest = await fake(startFakeProxy(w.ledger.url));
    const liar = await fake(
      startFakeProxy(w.ledger.url, {
        // balanceOf(...) answers inflated by one million: a lying node.
        alter: (method, params, result) =>
          method === 'eth_call' &&
          String((params[0] as { data?: string }).data).startsWith('0x70a08231')
            ? `0x${(BigInt(result as string) + 100_000_000n).toString(16).padStart(64, '0')}`
            : result,
      }),
    );
    w.useProfile({ ...w.ledger.profile, rpc: [liar.url, w.ledger.url, honest.url] });
    const truth = await w.ledger.publicClient.readContract({
      address: w.ledger.profile.contracts.currency,
      abi: [
        {
          type: 'function',
          name: 'balanceOf',
          stateMutability: 'view',
          inputs: [{ type: 'address' }],
          outputs: [{ type: 'uint256' }],
        },
      ],
      functionName: 'balanceOf',
      args: [w.keys.alice!.address],
    });
    const report = await json(['sync']);
    expect(report.nodes[0]).toMatchObject({ state: 'disagreeing' });
    expect(report.nodes.slice(1).map((n: { state: string }) => n.state)).toEqual(['up', 'up']);
    const alice = (await json(['balance', '--account', w.keys.alice!.address]))[0];
    expect(BigInt(alice.balance.replace('.', ''))).toBe(truth);
    w.useProfile(w.ledger.profile);
  });
});

describe('bad nodes and bad profiles: one line, nothing changed', () => {
  function expectOneLine(run: { code: number; stderr: string }, code: number, pattern: RegExp) {
    expect(run.code).toBe(code);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr.trimEnd()).toMatch(pattern);
  }

  it('a node on another chain', async () => {
    const other = await fake(startFakeProxy(w.ledger.url, { chainId: 1 }));
    w.useProfile({ ...w.ledger.profile, rpc: [other.url] });
    expectOneLine(
      await w.cli(['sync']),
      2,
      /^signet: node http:\/\/127\.0\.0\.1:\d+\/? is on chain 1, the profile expects 31337/,
    );
    w.useProfile(w.ledger.profile);
  });

  it('a node that answers garbage', async () => {
    const garbage = await fake(startFakeGarbageNode('not-json'));
    w.useProfile({ ...w.ledger.profile, rpc: [garbage.url] });
    const before = await json(['outbox']);
    expectOneLine(
      await w.cli(['sync']),
      2,
      /^signet: no ledger node answered: http:\/\/127\.0\.0\.1:\d+/,
    );
    w.useProfile(w.ledger.profile);
    expect(await json(['outbox'])).toEqual(before);
  });

  it('a malformed profile is refused and the active one stays', async () => {
    const bad = join(w.home, 'bad.json');
    writeFileSync(bad, '{"name": "x", "chainId": 31337');
    expectOneLine(
      await w.cli(['ledger', 'use', bad]),
      1,
      /^signet: ledger profile .*bad\.json is not valid JSON$/,
    );
    writeFileSync(bad, JSON.stringify({ ...w.ledger.profile, rpc: [] }));
    expectOneLine(
      await w.cli(['ledger', 'use', bad]),
      1,
      /^signet: ledger profile .*bad\.json is malformed: rpc: /,
    );
    writeFileSync(
      bad,
      JSON.stringify({
        ...w.ledger.profile,
        contracts: { ...w.ledger.profile.contracts, currency: '0x12' },
      }),
    );
    expectOneLine(
      await w.cli(['ledger', 'use', bad]),
      1,
      /is malformed: contracts\.currency: a 0x-prefixed 20-byte address$/,
    );
    expect((await json(['ledger', 'status'])).chainId).toBe(31337);
  });

  it('ledger fund is refused on a profile that is not a dev ledger', async () => {
    const real = join(w.home, 'real.json');
    const { devOperatorKey: _dev, ...rest } = w.ledger.profile;
    writeFileSync(real, JSON.stringify({ ...rest, name: 'bank-net', dev: false }));
    await json(['ledger', 'use', real]);
    expectOneLine(
      await w.cli(['ledger', 'fund', '--account', w.keys.bob!.address, '--amount', '1.00']),
      1,
      /^signet: .*dev/,
    );
    w.useProfile(w.ledger.profile);
  });
});
