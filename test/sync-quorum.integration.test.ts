/**
 * "Never pay twice": a transaction's fate is what a quorum of the profile's
 * CONFIGURED nodes say, never one node's word. Payments go through the real CLI
 * to the real dev chain; FAKE proxies in front of it (test/fakes/rpc-fake-nodes.ts)
 * lie about a receipt, refuse a rebroadcast, lag a block behind, swallow a
 * transaction, or are down. The tests build on each other, in order.
 */
import { join } from 'node:path';
import { type Hex, keccak256, parseAbi, toFunctionSelector } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChainProfile } from '../core/api/profile.js';
import { getChainMeta } from '../core/store/chain-meta.js';
import { openStore } from '../core/store/database.js';
import { getOutbox, listOutbox, markSent, type OutboxTx } from '../core/store/outbox.js';
import {
  type FakeNode,
  type FakeProxyOptions,
  fakeDownNodeUrl,
  startFakeProxy,
} from './fakes/rpc-fake-nodes.js';
import { syncSettled } from './support/sync-settled.js';
import { useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob']);
const fakes: FakeNode[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.stop()));
});
const proxy = async (options: FakeProxyOptions = {}) => {
  const started = await startFakeProxy(w.ledger.url, options);
  fakes.push(started);
  return started;
};
const json = w.json;
const alice = () => w.keys.alice!.address;
const nodesOf = (profile: string[], extra: Partial<ChainProfile> = {}) =>
  w.useProfile({ ...w.ledger.profile, ...extra, rpc: profile });

/** Signs a payment alice → bob offline; returns its outbox row. */
async function pay(amount: string): Promise<{ txHash: Hex; nonce: number }> {
  const signed = await json([
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
  return signed.transactions[0];
}

interface Row {
  txHash: string;
  nonce: number;
  status: string;
  error: string | null;
  blockNumber: number | null;
}
const row = async (txHash: string): Promise<Row> =>
  (await json(['outbox'])).find((t: Row) => t.txHash === txHash);
const states = (report: { nodes: { state: string }[] }) => report.nodes.map((n) => n.state);

/** The wallet's own store, for what only a crash can leave behind. */
function withStore<T>(run: (store: ReturnType<typeof openStore>) => T): T {
  const store = openStore(join(w.home, 'signet.sqlite'));
  try {
    return run(store);
  } finally {
    store.close();
  }
}

async function chainRpc(method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(w.ledger.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const answer = (await response.json()) as { result?: unknown; error?: unknown };
  if (answer.error) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
  return answer.result;
}
const setGasMoney = (wei: bigint) =>
  chainRpc('hardhat_setBalance', [alice(), `0x${wei.toString(16)}`]);
const isReceipt = (result: unknown) => result !== null && typeof result === 'object';

/**
 * Syncs until the transaction has left 'sent' (at most 20 times): anvil mines what
 * a sync sent a moment after answering, Hardhat before. Adds up the reports.
 */
async function syncUntilMined(txHash: Hex): Promise<{ included: number; failed: number }> {
  const total = { included: 0, failed: 0 };
  for (let round = 0; round < 20; round++) {
    const report = await json(['sync']);
    total.included += report.included;
    total.failed += report.failed;
    if ((await row(txHash)).status !== 'sent') return total;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`transaction ${txHash} was not mined in 20 syncs`);
}

describe('a transaction follows the quorum of the configured nodes', () => {
  it('funds alice and bob and syncs', async () => {
    await json(['ledger', 'fund', '--account', alice(), '--amount', '100.00']);
    await json(['ledger', 'fund', '--account', w.keys.bob!.address, '--amount', '0.01']);
    expect(await json(['sync'])).toMatchObject({ failed: 0, unconfirmed: 0 });
  });

  it('a node that lies that a receipt failed is outvoted and flagged; the payment is confirmed', async () => {
    const liar = await proxy({
      alter: (method, _params, result) =>
        method === 'eth_getTransactionReceipt' && isReceipt(result)
          ? { ...(result as object), status: '0x0' }
          : result,
    });
    const honest = await proxy();
    // The liar first: it is the node plain requests go to.
    nodesOf([liar.url, honest.url, w.ledger.url]);
    const tx = await pay('1.00');
    // Sent once and confirmed, by that sync or (anvil mining a moment after it
    // answers) the next: the liar is flagged by the sync that reads the receipt.
    const settled = await syncSettled(w);
    expect(settled).toMatchObject({ sent: 1, confirmed: 1, failed: 0, unconfirmed: 0 });
    const report = settled.last;
    expect(report).toMatchObject({ confirmed: 1, failed: 0, unconfirmed: 0 });
    expect(await row(tx.txHash)).toMatchObject({ status: 'confirmed', error: null });
    expect(states(report)).toEqual(['disagreeing', 'up', 'up']);
    expect(report.nodes[0]?.disagreement).toMatchObject({ method: 'eth_getTransactionReceipt' });
    const receipt = await w.ledger.publicClient.getTransactionReceipt({ hash: tx.txHash });
    expect(receipt.status).toBe('success');
  });

  it('a node that refuses the rebroadcast of a mined transaction fails nothing', async () => {
    // What a crash leaves: the payment mined, the outbox still saying "sent".
    const tx = await pay('2.00');
    const mined = withStore((store) =>
      listOutbox(store, w.ledger.profile.chainId).find((t) => t.txHash === tx.txHash),
    ) as OutboxTx;
    await chainRpc('eth_sendRawTransaction', [mined.raw]);
    // anvil mines a moment after it answers: wait, so that the sync finds it mined.
    await w.ledger.publicClient.waitForTransactionReceipt({ hash: tx.txHash });
    withStore((store) => markSent(store, tx.txHash));

    // It knows nothing of the transaction and refuses it, in words no rule expects.
    const refuser = await proxy({
      intercept: (method) =>
        method === 'eth_sendRawTransaction'
          ? { error: { code: -32000, message: 'insufficient funds for gas * price + value' } }
          : undefined,
      alter: (method, _params, result) =>
        method === 'eth_getTransactionReceipt' || method === 'eth_getTransactionByHash'
          ? null
          : result,
    });
    const honest = await proxy();
    nodesOf([refuser.url, honest.url, w.ledger.url]);
    const report = await json(['sync']);
    expect(report).toMatchObject({ failed: 0, confirmed: 1, unconfirmed: 0 });
    expect(await row(tx.txHash)).toMatchObject({ status: 'confirmed', error: null });
    // It hid a receipt in a block it has: flagged.
    expect(states(report)).toEqual(['disagreeing', 'up', 'up']);
  });

  it('an honest node one block behind is not flagged: reads pin to a block it has', async () => {
    const honest = await proxy();
    const lagging = await proxy({ lag: 1 });
    // Last in the list: the node plain requests go to is ahead of it.
    nodesOf([w.ledger.url, honest.url, lagging.url]);
    // The test mines, so that the payment's block is the newest when the sync reads
    // the heads (anvil's automine would mine it whenever its task runs).
    await chainRpc('evm_setAutomine', [false]);
    try {
      const tx = await pay('3.00');
      expect(await json(['sync'])).toMatchObject({ sent: 1, confirmed: 0, failed: 0 });
      await w.ledger.mine();
      const first = await json(['sync']);
      const chainHead = Number(await w.ledger.publicClient.getBlockNumber());
      const receipt = await w.ledger.publicClient.getTransactionReceipt({ hash: tx.txHash });
      expect(Number(receipt.blockNumber)).toBe(chainHead);
      expect(first.head).toBe(chainHead - 1);
      expect(states(first)).toEqual(['up', 'up', 'up']);
      // Mined in the newest block, which the lagging node does not have yet: sent, waiting.
      expect(first).toMatchObject({ sent: 0, confirmed: 0, failed: 0, unconfirmed: 0 });
      expect((await row(tx.txHash)).status).toBe('sent');
      const balances = await json(['balance', '--account', alice()]);
      expect(balances[0].syncedBlock).toBe(chainHead - 1);

      await w.ledger.mine();
      const second = await json(['sync']);
      expect(second).toMatchObject({ confirmed: 1, failed: 0, unconfirmed: 0 });
      expect(states(second)).toEqual(['up', 'up', 'up']);
      expect((await row(tx.txHash)).status).toBe('confirmed');
    } finally {
      await chainRpc('evm_setAutomine', [true]);
    }
  });

  it('with two of three nodes down, one node is not believed: "unconfirmed", then confirmed once they are back', async () => {
    const ports = [await fakeDownNodeUrl(), await fakeDownNodeUrl()];
    const liar = await proxy({
      alter: (method, _params, result) =>
        method === 'eth_getTransactionReceipt' && isReceipt(result)
          ? { ...(result as object), status: '0x0' }
          : result,
    });
    nodesOf([...ports, liar.url]);
    const tx = await pay('4.00');
    const lied = await json(['sync']);
    // The one node up says the payment failed: nothing is marked on its word.
    expect(lied).toMatchObject({ sent: 1, confirmed: 0, failed: 0, unconfirmed: 1 });
    expect(states(lied)).toEqual(['down', 'down', 'up']);
    expect(await row(tx.txHash)).toMatchObject({ status: 'sent', error: null });
    const line = await w.cli(['sync']);
    expect(line.stdout).toMatch(/, 1 unconfirmed \(too few nodes agree\)/);

    nodesOf([...ports, w.ledger.url]);
    expect(await json(['sync'])).toMatchObject({ confirmed: 0, failed: 0, unconfirmed: 1 });
    expect((await row(tx.txHash)).status).toBe('sent');

    // The two come back on their URLs: three agree.
    for (const url of ports) await proxy({ port: Number(new URL(url).port) });
    const back = await json(['sync']);
    expect(back).toMatchObject({ confirmed: 1, failed: 0, unconfirmed: 0 });
    expect((await row(tx.txHash)).status).toBe('confirmed');
  });
});

describe('a sent transaction keeps its nonce until the chain frees it', () => {
  it('is dropped (and its nonce free to sign again) only after the confirmation depth', async () => {
    // A node that takes transactions and loses them.
    const swallow = await proxy({
      intercept: (method, params) =>
        method === 'eth_sendRawTransaction' ? { result: keccak256(params[0] as Hex) } : undefined,
    });
    const deep = { confirmations: 3 };
    nodesOf([swallow.url], deep);
    const nonce = await w.ledger.publicClient.getTransactionCount({ address: alice() });
    const first = await pay('5.00');
    expect(first.nonce).toBe(nonce);
    expect(await json(['sync'])).toMatchObject({ sent: 1, failed: 0 });
    expect((await row(first.txHash)).status).toBe('sent');
    // Its nonce is reserved: the next payment signs the one after.
    const second = await pay('6.00');
    expect(second.nonce).toBe(nonce + 1);
    // Both broadcast (the first again: the node that lost it takes it again).
    expect(await json(['sync'])).toMatchObject({ sent: 2, failed: 0 });

    // The real node refuses the rebroadcast (no gas money now): refused, not failed.
    nodesOf([w.ledger.url], deep);
    await setGasMoney(0n);
    const refused = await json(['sync']);
    expect(refused).toMatchObject({ sent: 0, failed: 0 });
    for (const tx of [first, second]) expect((await row(tx.txHash)).status).toBe('sent');

    // Gone and free, but not yet for three blocks.
    await w.ledger.mine();
    await w.ledger.mine();
    expect(await json(['sync'])).toMatchObject({ failed: 0 });
    for (const tx of [first, second]) expect((await row(tx.txHash)).status).toBe('sent');

    await w.ledger.mine();
    expect(await json(['sync'])).toMatchObject({ failed: 2 });
    expect(await row(first.txHash)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        new RegExp(
          `^dropped: no ledger node has it and nonce ${nonce} is free again .*; sign again$`,
        ),
      ),
    });
    expect((await row(second.txHash)).status).toBe('failed');

    await setGasMoney(10n ** 19n);
    const again = await json([
      'send',
      '--from',
      w.keys.alice!.uri,
      '--to',
      w.keys.bob!.address,
      '--amount',
      '5.00',
      '--pin-file',
      w.pin,
    ]);
    // Sent with the freed nonce (its own sync may find it mined, or anvil mines it
    // a moment later); mined, it is included, to be confirmed three blocks on.
    expect(again.transactions[0]).toMatchObject({ nonce });
    expect(['sent', 'included']).toContain(again.transactions[0].status);
    expect(await syncUntilMined(again.transactions[0].txHash)).toEqual({
      included: again.transactions[0].status === 'included' ? 0 : 1,
      failed: 0,
    });
    expect((await row(again.transactions[0].txHash)).status).toBe('included');
  });
});

describe('a reorg', () => {
  it('puts a reverted transaction whose block left the chain back in flight, like an included one', async () => {
    nodesOf([w.ledger.url]);
    await json(['sync']);
    const fork = await w.ledger.snapshot();
    const unregistered = '0x000000000000000000000000000000000000dEaD';
    const signed = await json([
      'send',
      '--from',
      w.keys.alice!.uri,
      '--to',
      unregistered,
      '--amount',
      '1.00',
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    const txHash = signed.transactions[0].txHash as string;
    expect(await syncSettled(w)).toMatchObject({ failed: 1 });
    const reverted = await row(txHash);
    expect(reverted).toMatchObject({
      status: 'failed',
      error: `transaction reverted: NotRegistered(${unregistered})`,
    });
    expect(reverted.blockNumber).toEqual(expect.any(Number));

    // The block with the reverted transaction is dropped; the chain grows on another branch.
    await w.ledger.revert(fork);
    for (let i = 0; i < 3; i++) await w.ledger.mine();
    const rewound = await json(['sync']);
    expect(rewound.rewoundTo).not.toBeNull();
    expect(rewound.rewoundTo).toBeLessThan(reverted.blockNumber!);
    expect(await row(txHash)).toMatchObject({ status: 'sent', error: null, blockNumber: null });

    // Sent again on the new branch, it reverts again, in a block of that branch.
    expect(await syncSettled(w)).toMatchObject({ failed: 1 });
    const again = await row(txHash);
    expect(again).toMatchObject({ status: 'failed', error: reverted.error });
    const receipt = await w.ledger.publicClient.getTransactionReceipt({ hash: txHash as Hex });
    expect(again.blockNumber).toBe(Number(receipt.blockNumber));
  });
});

describe('a node claiming a huge head', () => {
  it('neither pushes the honest nodes back nor sets the fees, the clock, the freeze or the head shown', async () => {
    const huge = 10n ** 30n; // wei: what a lied fee would make the wallet spend
    const liar = await proxy({
      alter: (method, params, result) => {
        if (method === 'eth_blockNumber') return '0xfffffff0';
        if (method === 'eth_gasPrice') return `0x${huge.toString(16)}`;
        if (method === 'eth_getBlockByNumber' && result)
          return {
            ...(result as object),
            baseFeePerGas: `0x${huge.toString(16)}`,
            timestamp: '0x1',
          };
        const data = String((params[0] as { data?: string } | undefined)?.data);
        if (method === 'eth_call' && data.startsWith(toFunctionSelector('isFrozen(address)')))
          return `0x${'1'.padStart(64, '0')}`;
        if (method === 'eth_call' && data.startsWith(toFunctionSelector('isRegistered(address)')))
          return `0x${'0'.padStart(64, '0')}`;
        return result;
      },
    });
    const honest = await proxy();
    // The liar first: the node plain requests would go to.
    nodesOf([liar.url, w.ledger.url, honest.url]);
    const report = await json(['sync']);
    const chainHead = Number(await w.ledger.publicClient.getBlockNumber());
    expect(report.head).toBe(chainHead);
    // The honest nodes are at the quorum's head: not behind. The liar is outvoted and flagged.
    expect(states(report)).toEqual(['disagreeing', 'up', 'up']);

    const [account] = await json(['balance', '--account', alice()]);
    expect(account).toMatchObject({ registered: true, frozen: false });
    const block = await w.ledger.publicClient.getBlock({ blockNumber: BigInt(chainHead) });
    const gasPrice = await w.ledger.publicClient.getGasPrice();
    const meta = withStore((store) => getChainMeta(store, w.ledger.profile.chainId))!;
    expect(meta).toMatchObject({
      head: chainHead,
      baseFee: block.baseFeePerGas,
      headTime: Number(block.timestamp),
      gasPrice,
    });

    const status = await json(['ledger', 'status']);
    expect(status.head).toBe(chainHead);
    expect(states(status).slice(1)).toEqual(['up', 'up']);
  });
});

describe('a node plain reads would go to', () => {
  const huge = 10n ** 30n;
  const selector = (call: unknown[]) => String((call[0] as { data?: string } | undefined)?.data);

  it('cannot set the gas price, nor say the account is frozen or unregistered', async () => {
    // Its head is honest, and it is first in the profile: the node plain reads go to.
    const liar = await proxy({
      alter: (method, params, result) => {
        if (method === 'eth_gasPrice') return `0x${huge.toString(16)}`;
        if (
          method === 'eth_call' &&
          selector(params).startsWith(toFunctionSelector('isFrozen(address)'))
        )
          return `0x${'1'.padStart(64, '0')}`;
        if (
          method === 'eth_call' &&
          selector(params).startsWith(toFunctionSelector('isRegistered(address)'))
        )
          return `0x${'0'.padStart(64, '0')}`;
        return result;
      },
    });
    nodesOf([liar.url, w.ledger.url, (await proxy()).url]);
    const report = await json(['sync']);
    const gasPrice = await w.ledger.publicClient.getGasPrice();
    expect(withStore((store) => getChainMeta(store, w.ledger.profile.chainId))!.gasPrice).toBe(
      gasPrice,
    );
    const [account] = await json(['balance', '--account', alice()]);
    expect(account).toMatchObject({ registered: true, frozen: false });
    // Outvoted on the reads that are compared; a gas price that differs is no lie.
    expect(states(report)).toEqual(['disagreeing', 'up', 'up']);
    expect(report.nodes[0].disagreement.method).toBe('eth_call');
  });

  it("cannot set the pinned block's base fee or time", async () => {
    const liar = await proxy({
      alter: (method, _params, result) =>
        method === 'eth_getBlockByNumber' && result
          ? { ...(result as object), baseFeePerGas: `0x${huge.toString(16)}`, timestamp: '0x1' }
          : result,
    });
    nodesOf([liar.url, w.ledger.url, (await proxy()).url]);
    const report = await json(['sync']);
    const block = await w.ledger.publicClient.getBlock({ blockNumber: BigInt(report.head) });
    expect(withStore((store) => getChainMeta(store, w.ledger.profile.chainId))).toMatchObject({
      head: report.head,
      baseFee: block.baseFeePerGas,
      headTime: Number(block.timestamp),
    });
  });
});

describe('a reverted transaction', () => {
  const deep = { confirmations: 3 };
  const unregistered = '0x000000000000000000000000000000000000bEEF';
  const payUnregistered = async () =>
    (
      await json([
        'send',
        '--from',
        w.keys.alice!.uri,
        '--to',
        unregistered,
        '--amount',
        '1.00',
        '--offline',
        '--pin-file',
        w.pin,
      ])
    ).transactions[0] as { txHash: Hex; nonce: number };
  const pending = async () => (await json(['balance', '--account', alice()]))[0].pending;

  it('keeps its amount pending until its block is at the confirmation depth', async () => {
    nodesOf([w.ledger.url], deep);
    expect(await json(['sync'])).toMatchObject({ failed: 0, unconfirmed: 0 });
    const tx = await payUnregistered();
    expect(await syncUntilMined(tx.txHash)).toEqual({ included: 1, failed: 0 });
    const receipt = await w.ledger.publicClient.getTransactionReceipt({ hash: tx.txHash });
    expect(receipt.status).toBe('reverted');
    // Reverted, but its block may still leave the chain: nothing is freed yet.
    expect(await row(tx.txHash)).toMatchObject({
      status: 'included',
      error: null,
      blockNumber: Number(receipt.blockNumber),
    });
    expect(await pending()).toBe('1.00');

    await w.ledger.mine();
    expect(await json(['sync'])).toMatchObject({ failed: 0 });
    expect((await row(tx.txHash)).status).toBe('included');
    await w.ledger.mine();
    // Three blocks from its own to the head: as deep as a confirmed one must be.
    expect(await json(['sync'])).toMatchObject({ failed: 1 });
    expect(await row(tx.txHash)).toMatchObject({
      status: 'failed',
      error: `transaction reverted: NotRegistered(${unregistered})`,
      blockNumber: Number(receipt.blockNumber),
    });
    expect(await pending()).toBe('0.00');
  });

  it('whose block a reorg takes away before that depth is mined again, and pays once', async () => {
    nodesOf([w.ledger.url], deep);
    await json(['sync']);
    const fork = await w.ledger.snapshot();
    const tx = await payUnregistered();
    await syncUntilMined(tx.txHash);
    expect((await row(tx.txHash)).status).toBe('included');

    // On the branch that wins, the payee is registered: the same transaction succeeds there.
    await w.ledger.revert(fork);
    await json(['ledger', 'fund', '--account', unregistered, '--amount', '0.01']);
    for (let i = 0; i < 3; i++) await w.ledger.mine();
    const rewound = await json(['sync']);
    expect(rewound.rewoundTo).not.toBeNull();
    expect(await row(tx.txHash)).toMatchObject({ status: 'sent', error: null });
    expect(await pending()).toBe('1.00');

    await syncUntilMined(tx.txHash);
    await w.ledger.mine(2);
    expect(await json(['sync'])).toMatchObject({ failed: 0 });
    expect(await row(tx.txHash)).toMatchObject({ status: 'confirmed', error: null });
    const paid = await w.ledger.publicClient.readContract({
      address: w.ledger.profile.contracts.currency,
      abi: parseAbi(['function balanceOf(address) view returns (uint256)']),
      functionName: 'balanceOf',
      args: [unregistered],
    });
    expect(paid).toBe(101n); // the 0.01 funded and the 1.00 paid, once
  });
});

describe('a sent transaction is dropped only when no node has it', () => {
  const deep = { confirmations: 3 };
  /** A node that takes transactions and loses them. */
  const swallowing = () =>
    proxy({
      intercept: (method, params) =>
        method === 'eth_sendRawTransaction' ? { result: keccak256(params[0] as Hex) } : undefined,
    });
  const missingSince = (txHash: Hex) =>
    withStore((store) => getOutbox(store, txHash)!.missingSince);

  it('one node that still holds it keeps it alive; the payment signed again fills the freed nonce', async () => {
    const swallow = await swallowing();
    nodesOf([swallow.url], deep);
    await json(['sync']);
    const nonce = await w.ledger.publicClient.getTransactionCount({ address: alice() });
    const lost = await pay('7.00');
    const held = await pay('8.00');
    expect([lost.nonce, held.nonce]).toEqual([nonce, nonce + 1]);
    expect(await json(['sync'])).toMatchObject({ sent: 2, failed: 0 });

    // A minority node still has the second in its pool (queued behind the lost nonce).
    const holder = await proxy({
      intercept: (method, params) =>
        method === 'eth_getTransactionByHash' && params[0] === held.txHash
          ? {
              result: {
                hash: held.txHash,
                nonce: `0x${held.nonce.toString(16)}`,
                blockNumber: null,
              },
            }
          : undefined,
    });
    const honest = await proxy();
    nodesOf([holder.url, w.ledger.url, honest.url], deep);
    await setGasMoney(0n); // the real node refuses the rebroadcasts
    await w.ledger.mine(3);
    expect(await json(['sync'])).toMatchObject({ failed: 1 });
    expect((await row(lost.txHash)).status).toBe('failed');
    // Two of three do not know it, but one does and may still mine it: not dropped.
    expect(await row(held.txHash)).toMatchObject({ status: 'sent', error: null });
    expect(missingSince(held.txHash)).toBeNull();
    await w.ledger.mine(3);
    expect(await json(['sync'])).toMatchObject({ failed: 0 });
    expect((await row(held.txHash)).status).toBe('sent');

    // Signed again, the lost payment takes the freed nonce: the held one can follow it.
    await setGasMoney(10n ** 19n);
    const bobBefore = await w.ledger.publicClient.readContract({
      address: w.ledger.profile.contracts.currency,
      abi: parseAbi(['function balanceOf(address) view returns (uint256)']),
      functionName: 'balanceOf',
      args: [w.keys.bob!.address],
    });
    const again = await json([
      'send',
      '--from',
      w.keys.alice!.uri,
      '--to',
      w.keys.bob!.address,
      '--amount',
      '7.00',
      '--pin-file',
      w.pin,
    ]);
    expect(again.transactions[0].nonce).toBe(nonce);
    for (let i = 0; i < 5 && (await row(held.txHash)).status !== 'confirmed'; i++) {
      await w.ledger.mine();
      await json(['sync']);
    }
    expect((await row(again.transactions[0].txHash)).status).toBe('confirmed');
    expect((await row(held.txHash)).status).toBe('confirmed');
    const bobAfter = await w.ledger.publicClient.readContract({
      address: w.ledger.profile.contracts.currency,
      abi: parseAbi(['function balanceOf(address) view returns (uint256)']),
      functionName: 'balanceOf',
      args: [w.keys.bob!.address],
    });
    expect(bobAfter - bobBefore).toBe(1500n); // 7.00 and 8.00, each once
  });

  it('counts "missing for the confirmation depth" again from any sync that cannot tell', async () => {
    const swallow = await swallowing();
    const honest = await proxy();
    const [down1, down2] = [await fakeDownNodeUrl(), await fakeDownNodeUrl()];
    nodesOf([swallow.url], deep);
    await json(['sync']);
    const tx = await pay('9.00');
    expect(await json(['sync'])).toMatchObject({ sent: 1 });
    const first = missingSince(tx.txHash);
    expect(first).toEqual(expect.any(Number));
    await setGasMoney(0n);

    // Two of three answer: still missing, since the same block.
    nodesOf([w.ledger.url, honest.url, down1], deep);
    await w.ledger.mine();
    expect(await json(['sync'])).toMatchObject({ failed: 0 });
    expect(missingSince(tx.txHash)).toBe(first);
    // One of three answers: it cannot tell, so the count starts over.
    nodesOf([w.ledger.url, down1, down2], deep);
    expect(await json(['sync'])).toMatchObject({ failed: 0, unconfirmed: 1 });
    expect(missingSince(tx.txHash)).toBeNull();

    // Three blocks on from the first sighting, but not from the sync after the gap.
    nodesOf([w.ledger.url, honest.url, down1], deep);
    await w.ledger.mine(2);
    expect(await json(['sync'])).toMatchObject({ failed: 0 });
    expect((await row(tx.txHash)).status).toBe('sent');
    const restarted = missingSince(tx.txHash)!;
    expect(restarted).toBe(first! + 3);
    await w.ledger.mine(3);
    expect(await json(['sync'])).toMatchObject({ failed: 1 });
    expect((await row(tx.txHash)).error).toMatch(/^dropped: /);
    await setGasMoney(10n ** 19n);
  });

  it('with confirmations 0, is not dropped at the first sync that misses it, but a block later', async () => {
    const swallow = await swallowing();
    nodesOf([swallow.url], { confirmations: 0 });
    await json(['sync']);
    const tx = await pay('9.50');
    expect(await json(['sync'])).toMatchObject({ sent: 1, failed: 0 });
    expect((await row(tx.txHash)).status).toBe('sent');
    await w.ledger.mine();
    expect(await json(['sync'])).toMatchObject({ failed: 1 });
    expect((await row(tx.txHash)).status).toBe('failed');
  });
});
