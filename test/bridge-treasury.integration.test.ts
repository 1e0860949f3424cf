/**
 * A 2-of-2 treasury through the browser bridge, as the UI's screens drive it,
 * against the dev ledger and SoftHSM2 keys: created and deployed, a payment
 * proposed, each owner's approval signed with the PIN the UI sent only when
 * the request names the digest of the review the page showed (none, or
 * another, signs nothing and logs nothing), carried between the owners as
 * animated QR frames, then executed under the same rule and paid on chain.
 */
import { join } from 'node:path';
import { type Address, decodeFunctionResult, encodeFunctionData, getAddress, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { type Bridge, startBridge } from '../core/bridge/bridge-server.js';
import { currencyAbi } from '../core/chain/abi.js';
import { listAudit } from '../core/store/audit-log.js';
import { openStore } from '../core/store/database.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob']);
let app: AppApi;
let bridge: Bridge;
const receiver = getAddress('0x2222222222222222222222222222222222c0ffee');
const STALE = `0x${'ab'.repeat(32)}`;

async function call(method: string, params: unknown = {}) {
  const res = await fetch(`http://127.0.0.1:${bridge.port}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  expect(res.status).toBe(200);
  return JSON.parse(await res.text());
}
async function result(method: string, params: unknown = {}) {
  const reply = await call(method, params);
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result;
}
async function refusal(method: string, params: unknown) {
  const reply = await call(method, params);
  expect(reply.ok, JSON.stringify(reply).slice(0, 300)).toBe(false);
  expect(JSON.stringify(reply)).not.toContain(PIN);
  return reply.error as { code: string; message: string; details?: Record<string, unknown> };
}

/** Every audit entry's action, oldest first. */
function auditActions(): string[] {
  const store = openStore(join(w.home, 'signet.sqlite'));
  try {
    return listAudit(store, { limit: 1000 })
      .map((e) => e.action)
      .reverse();
  } finally {
    store.close();
  }
}

async function currencyBalance(address: Address): Promise<bigint> {
  const data = encodeFunctionData({ abi: currencyAbi, functionName: 'balanceOf', args: [address] });
  const response = await fetch(w.ledger.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_call',
      params: [{ to: w.ledger.profile.contracts.currency, data }, 'latest'],
    }),
  });
  const { result: raw } = (await response.json()) as { result: Hex };
  return decodeFunctionResult({ abi: currencyAbi, functionName: 'balanceOf', data: raw });
}

async function syncSettled(): Promise<void> {
  for (let round = 0; round < 20; round++) {
    await result('sync.run');
    const outbox: Array<{ status: string }> = await result('outbox.list');
    if (outbox.every((t) => t.status === 'confirmed' || t.status === 'failed')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the outbox did not settle in 20 syncs');
}

beforeAll(async () => {
  app = createAppApi({ home: w.home, env: w.env });
  bridge = await startBridge({ dispatch: app.dispatch });
});
afterAll(async () => {
  await bridge?.close();
  app?.close();
});

let bundle: string;
let reviewDigest: string;

describe('a treasury through the bridge', () => {
  it('creates and deploys the treasury with the PIN the UI sent', async () => {
    await w.cli(['ledger', 'fund', '--account', w.keys.alice!.address, '--amount', '10.00']);
    await result('sync.run');
    const ops = {
      name: 'Ops',
      owners: [w.keys.alice!.uri, w.keys.bob!.address],
      threshold: 2,
      from: w.keys.alice!.uri,
    };
    // The UI creates the treasury its form predicted: that salt, under that review.
    const predicted = await result('treasury.predict', ops);
    const created = await result('treasury.create', {
      ...ops,
      saltNonce: predicted.saltNonce,
      reviewDigest: predicted.reviewDigest,
      offline: true,
      pin: PIN,
    });
    expect(created.transactions).toMatchObject([{ kind: 'treasury-create', status: 'signed' }]);
    expect(created.treasury.address).toBe(predicted.address);
    await syncSettled();
    const shown = await result('treasury.show', { treasury: 'Ops' });
    expect(shown.chain).toMatchObject({ deployed: true, threshold: 2, nonce: '0' });
    await w.cli(['ledger', 'fund', '--account', created.treasury.address, '--amount', '50.00']);
    await w.cli(['ledger', 'fund', '--account', receiver, '--amount', '0.01']);
  });

  it('proposes without signing: signWith from the UI is refused', async () => {
    const request = { treasury: 'Ops', to: receiver, amount: '12.34', description: 'Coffee' };
    const before = auditActions();
    const refused = await refusal('treasury.propose', {
      ...request,
      signWith: w.keys.alice!.uri,
      pin: PIN,
    });
    expect(refused).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'a proposal is approved from the UI after its review, with treasury.approve',
    });
    expect(auditActions()).toEqual(before);

    const proposed = await result('treasury.propose', request);
    expect(proposed.review).toMatchObject({
      call: { kind: 'payment', to: receiver, amount: '12.34' },
      approvals: [],
    });
    expect(proposed.review.reviewDigest).toBe(proposed.review.safeTxHash.toLowerCase());
    bundle = proposed.bundle;
    // What the approver's screen shows (it reviews the file it was given).
    reviewDigest = (await result('treasury.review', { bundle })).review.reviewDigest;
    expect(reviewDigest).toBe(proposed.review.reviewDigest);
  });

  it('approves only with the digest of the review shown', async () => {
    const approve = { bundle, key: w.keys.alice!.uri, pin: PIN };
    const before = auditActions();
    expect(await refusal('treasury.approve', approve)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'reviewDigest', reason: 'review-missing' },
    });
    expect(await refusal('treasury.approve', { ...approve, reviewDigest: STALE })).toMatchObject({
      code: 'REVIEW_STALE',
    });
    expect(auditActions()).toEqual(before);

    const approved = await result('treasury.approve', { ...approve, reviewDigest });
    expect(approved.approvedBy).toBe(w.keys.alice!.address);
    expect(approved.review.approvals).toEqual([w.keys.alice!.address]);
    expect(approved.review.reviewDigest).toBe(reviewDigest);
    expect(auditActions()).toEqual([...before, 'approve-safe-tx']);
    bundle = approved.bundle;
  });

  it('carries the bundle as QR frames to the second owner, who approves it the same way', async () => {
    const { fragments, parts } = await result('treasury.qrParts', { bundle, fragmentBytes: 100 });
    expect(parts).toHaveLength(3 * fragments);
    // The scanner calls qrDecode each time a new frame arrives; the first one is not enough.
    const first = await result('treasury.qrDecode', { parts: parts.slice(0, 1) });
    expect(first).toMatchObject({ received: 1, needed: fragments, complete: false, bundle: null });
    expect(first.received).toBeLessThan(first.needed);
    const scanned = await result('treasury.qrDecode', { parts });
    expect(scanned).toMatchObject({ complete: true, bundle });
    expect(scanned.review.reviewDigest).toBe(reviewDigest);

    const approved = await result('treasury.approve', {
      bundle: scanned.bundle,
      key: w.keys.bob!.uri,
      pin: PIN,
      reviewDigest: scanned.review.reviewDigest,
    });
    expect(approved.review.approvals).toHaveLength(2);
    bundle = approved.bundle;
  });

  it('executes only with the digest of the review shown, and the payment lands', async () => {
    const execute = { bundle, from: w.keys.alice!.uri, pin: PIN };
    const before = auditActions();
    expect(await refusal('treasury.execute', execute)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { reason: 'review-missing' },
    });
    expect(await refusal('treasury.execute', { ...execute, reviewDigest: STALE })).toMatchObject({
      code: 'REVIEW_STALE',
    });
    expect(auditActions()).toEqual(before);
    expect(await result('outbox.list')).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ kind: 'treasury-execute' })]),
    );

    const paidBefore = await currencyBalance(receiver);
    const executed = await result('treasury.execute', { ...execute, reviewDigest });
    expect(executed.transactions).toMatchObject([{ kind: 'treasury-execute' }]);
    await syncSettled();
    expect((await currencyBalance(receiver)) - paidBefore).toBe(1234n);
    expect((await result('treasury.show', { treasury: 'Ops' })).chain.nonce).toBe('1');
  });
});
