/**
 * A treasury execution rests on what a majority of the ledger's nodes say, not
 * on the first node's word: the owners, threshold, nonce and getTransactionHash
 * it checks are cross-checked (RpcPool crossCheck at the pinned head). Through
 * the real CLI, SoftHSM2 keys and the dev ledger; a FAKE proxy in front of the
 * real node (test/fakes/rpc-fake-nodes.ts) lies about the Safe's nonce, first in
 * the profile's order, where a plain read would ask it alone.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, encodeAbiParameters, encodeFunctionData, getAddress, type Hex } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { safeAbi } from '../core/chain/safe.js';
import { type FakeNode, startFakeProxy } from './fakes/rpc-fake-nodes.js';
import { fundedTreasury, rawCurrencyBalance, syncSettled } from './support/treasury-cli.js';
import { useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob']);
const dir = mkdtempSync(join(tmpdir(), 'signet-treasury-liar-'));
const bundleFile = join(dir, 'pay.signet-approval');
const receiver = getAddress('0x3333333333333333333333333333333333c0ffee');
const fakes: FakeNode[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.stop()));
});
const NONCE_CALL = encodeFunctionData({ abi: safeAbi, functionName: 'nonce' });

describe('treasury execute against a lying node', () => {
  let treasury: Address;
  let liar: FakeNode;
  let honest: FakeNode;

  it('sets up a 1-of-2 treasury, a signed payment, and a node that lies about its nonce', async () => {
    treasury = await fundedTreasury(w, 'Liar', ['alice', 'bob'], 1, '20.00');
    await w.json(['ledger', 'fund', '--account', receiver, '--amount', '0.01']);
    await w.json([
      ...['treasury', 'propose', 'Liar', '--to', receiver, '--amount', '3.00'],
      ...['--sign-with', w.keys.alice!.uri, '--out', bundleFile, '--pin-file', w.pin],
    ]);
    // The Safe is at nonce 0; the liar says 7 (the proposal would look executed already).
    liar = await startFakeProxy(w.ledger.url, {
      alter: (method, params, result) => {
        const call = params[0] as { to?: string; data?: string } | undefined;
        return method === 'eth_call' &&
          call?.to?.toLowerCase() === treasury.toLowerCase() &&
          call.data === NONCE_CALL
          ? encodeAbiParameters([{ type: 'uint256' }], [7n])
          : result;
      },
    });
    honest = await startFakeProxy(w.ledger.url);
    fakes.push(liar, honest);
  });

  it('with one other node, the two disagree: refused, nothing queued', async () => {
    w.useProfile({ ...w.ledger.profile, rpc: [liar.url, w.ledger.url] });
    const run = await w.cli([
      ...['treasury', 'execute', bundleFile, '--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/ledger nodes disagree on eth_call and no answer has a majority/);
    expect(await w.json(['outbox'])).toEqual([
      expect.objectContaining({ kind: 'treasury-create', status: 'confirmed' }),
    ]);
  });

  it('nor does the store take one node’s word for the treasury (its owners vouch for policies)', async () => {
    const run = await w.cli(['treasury', 'show', 'Liar']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/ledger nodes disagree on eth_call/);
  });

  it('with two honest nodes, the majority is the chain: executed once', async () => {
    w.useProfile({ ...w.ledger.profile, rpc: [liar.url, honest.url, w.ledger.url] });
    const before = await rawCurrencyBalance(w, receiver);
    const executed = await w.json([
      ...['treasury', 'execute', bundleFile, '--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    expect(executed.review).toMatchObject({ nonce: '0', call: { kind: 'payment' } });
    w.useProfile(w.ledger.profile);
    await syncSettled(w);
    expect((await rawCurrencyBalance(w, receiver)) - before).toBe(3_00n);
    const safeNonce = await fetch(w.ledger.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_call',
        params: [{ to: treasury, data: NONCE_CALL }, 'latest'],
      }),
    }).then(async (r) => BigInt(((await r.json()) as { result: Hex }).result));
    expect(safeNonce).toBe(1n);
  });
});
