/**
 * The wallet through the bridge, against the dev ledger and a SoftHSM2 key:
 * balances, the offline payment preview (decoded fee, nonce, chain id), and a
 * payment signed with the PIN the UI sent, then sent by the sync after it.
 */
import { get as httpGet } from 'node:http';
import { formatUnits, getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiEvent, type SyncProgress, syncPhases } from '../core/api/events.js';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { type Bridge, startBridge } from '../core/bridge/bridge-server.js';
import { formatAmount, parseAmount } from '../core/chain/amount.js';
import { pinFile } from './support/cli.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob']);
let app: AppApi;
let bridge: Bridge;

async function call(method: string, params: unknown = {}) {
  const res = await fetch(`http://127.0.0.1:${bridge.port}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: res.status, text: await res.text() };
}
async function result(method: string, params: unknown = {}) {
  const { status, text } = await call(method, params);
  const reply = JSON.parse(text);
  if (!reply.ok)
    throw new Error(`${method} (${status}): ${reply.error.code} ${reply.error.message}`);
  return reply.result;
}

/**
 * A plain SSE client on /api/events: collects every event, and resolves
 * `until(predicate)` once one matches.
 */
function eventStream(path: string) {
  const events: ApiEvent[] = [];
  let wake = () => {};
  let status = 0;
  const request = httpGet(
    { host: '127.0.0.1', port: bridge.port, path, headers: { host: `127.0.0.1:${bridge.port}` } },
    (res) => {
      status = res.statusCode ?? 0;
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
          buffer = buffer.slice(end + 2);
          if (data) events.push(JSON.parse(data));
        }
        wake();
      });
    },
  );
  request.on('error', () => {});
  return {
    events,
    status: () => status,
    until: (match: (event: ApiEvent) => boolean) =>
      new Promise<void>((resolve) => {
        wake = () => {
          if (events.some(match)) resolve();
        };
        wake();
      }),
    close: () => request.destroy(),
  };
}

/** Mines empty blocks (Hardhat's hardhat_mine) so a sync has a long scan ahead. */
async function mine(blocks: number): Promise<void> {
  await fetch(w.ledger.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'hardhat_mine',
      params: [`0x${blocks.toString(16)}`],
    }),
  });
}

beforeAll(async () => {
  // Events go to the bridge's stream, as in `npm start`'s browser mode.
  app = createAppApi({ home: w.home, env: w.env, onEvent: (event) => bridge?.publish(event) });
  bridge = await startBridge({ dispatch: app.dispatch });
});
afterAll(async () => {
  await bridge?.close();
  app?.close();
});

describe('the wallet through the bridge', () => {
  it('syncs and shows balances', async () => {
    await w.cli(['ledger', 'fund', '--account', w.keys.alice!.address, '--amount', '50.00']);
    // The payee must be registered with the operator bank too.
    await w.cli(['ledger', 'fund', '--account', w.keys.bob!.address, '--amount', '1.00']);
    const report = await result('sync.run');
    expect(report).toMatchObject({ events: 2, nodes: [expect.objectContaining({ state: 'up' })] });
    const [alice] = await result('accounts.balances', { address: w.keys.alice!.address });
    expect(alice).toMatchObject({
      name: 'alice',
      balance: '50.00',
      available: '50.00',
      registered: true,
    });
    expect(await result('app.info')).toEqual({
      ledger: { name: w.ledger.profile.name, chainId: w.ledger.profile.chainId, dev: true },
      chainProblem: null,
    });
  });

  it('previews a payment, then sends exactly that with the PIN', async () => {
    const request = { from: w.keys.alice!.uri, to: w.keys.bob!.address, amount: '12.34' };
    const preview = await result('wallet.previewSend', request);
    expect(preview).toMatchObject({
      from: w.keys.alice!.address,
      to: w.keys.bob!.address,
      amount: '12.34',
      chainId: w.ledger.profile.chainId,
      nonce: 0,
      contract: w.ledger.profile.contracts.currency,
      availableAfter: '37.66',
    });
    expect(BigInt(preview.fee.maxWei)).toBe(
      BigInt(preview.gasLimit) * BigInt(preview.maxFeePerGas),
    );
    expect(BigInt(preview.fee.maxWei)).toBeGreaterThan(0n);
    // The dev ledger's coin, in its unit: wei / 10^18, exactly.
    expect(preview.fee.symbol).toBe('ETH');
    expect(preview.fee.max).toBe(formatUnits(BigInt(preview.fee.maxWei), 18));
    expect(preview.names).toEqual([
      { address: w.keys.alice!.address, kind: 'account', name: 'alice' },
      { address: w.keys.bob!.address, kind: 'account', name: 'bob' },
      {
        address: getAddress(w.ledger.profile.contracts.currency),
        kind: 'contract',
        role: 'currency',
      },
    ]);
    const reviewed = { ...request, reviewDigest: preview.reviewDigest };

    // The UI signs nothing without naming the review it showed.
    const unreviewed = await call('wallet.send', { ...request, pin: PIN });
    expect(JSON.parse(unreviewed.text).error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { reason: 'review-missing' },
    });

    const refused = await call('wallet.send', reviewed);
    expect(JSON.parse(refused.text).error).toMatchObject({ code: 'PIN_REQUIRED' });

    // A refusal is the app's answer: 200, with the error in the body (no console error).
    const { status, text } = await call('wallet.send', { ...reviewed, pin: 'not-the-pin-0000' });
    expect(status).toBe(200);
    expect(JSON.parse(text).error.code).toBe('PIN_INCORRECT');

    const sent = await call('wallet.send', { ...reviewed, pin: PIN });
    expect(sent.status).toBe(200);
    expect(sent.text).not.toContain(PIN);
    const reply = JSON.parse(sent.text).result;
    expect(reply.transactions).toEqual([
      expect.objectContaining({
        kind: 'transfer',
        nonce: preview.nonce,
        from: preview.from,
        amount: '12.34',
        summary: { to: preview.to, amount: '1234' },
      }),
    ]);
    expect(reply.sync).toMatchObject({ sent: 1 });
    expect(['sent', 'included', 'confirmed']).toContain(reply.transactions[0].status);

    await result('sync.run');
    const [bob] = await result('accounts.balances', { address: w.keys.bob!.address });
    expect(bob.balance).toBe('13.34');
    const history = await result('history.page', { address: w.keys.bob!.address, limit: 10 });
    expect(history.rows[0]).toMatchObject({
      kind: 'transfer',
      amount: '12.34',
      to: w.keys.bob!.address,
    });
    const audit = await result('audit.list', { search: 'sign-transaction', limit: 10 });
    expect(audit.entries).toHaveLength(1);
    expect(await result('audit.verify')).toMatchObject({ intact: true });
  });

  it('signs nothing when the ledger moved between the review and the PIN, then signs the fresh review', async () => {
    const request = { from: w.keys.alice!.uri, to: w.keys.bob!.address, amount: '1.00' };
    const reviewed = await result('wallet.previewSend', request);
    // Meanwhile the CLI queues another payment from alice: it takes the nonce reviewed.
    const other = await w.json([
      'send',
      '--from',
      w.keys.alice!.uri,
      '--to',
      w.keys.bob!.address,
      '--amount',
      '2.00',
      '--offline',
      '--pin-file',
      pinFile(PIN),
    ]);
    expect(other.transactions[0].nonce).toBe(reviewed.nonce);
    const outbox = await result('outbox.list');
    const audit = await result('audit.list', { limit: 100 });

    const stale = await call('wallet.send', {
      ...request,
      reviewDigest: reviewed.reviewDigest,
      pin: PIN,
    });
    expect(stale.status).toBe(200);
    expect(JSON.parse(stale.text).error).toEqual({
      code: 'REVIEW_STALE',
      message: 'the ledger changed since you reviewed; review again',
      details: {
        reviewed: reviewed.reviewDigest,
        current: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      },
    });
    // Nothing signed (the audit log lists every signature), nothing queued.
    expect(await result('outbox.list')).toEqual(outbox);
    expect(await result('audit.list', { limit: 100 })).toEqual(audit);

    const fresh = await result('wallet.previewSend', request);
    expect(fresh.nonce).toBe(reviewed.nonce + 1);
    expect(fresh.availableAfter).toBe(formatAmount(parseAmount(reviewed.availableAfter) - 200n));
    expect(JSON.parse(stale.text).error.details.current).toBe(fresh.reviewDigest);
    const sent = await result('wallet.send', {
      ...request,
      reviewDigest: fresh.reviewDigest,
      pin: PIN,
      offline: true,
    });
    expect(sent.transactions).toEqual([
      expect.objectContaining({ kind: 'transfer', nonce: fresh.nonce, amount: '1.00' }),
    ]);
    const [entry] = (await result('audit.list', { limit: 1 })).entries;
    expect(entry.subject).toMatchObject({ nonce: fresh.nonce, reviewDigest: fresh.reviewDigest });
    await result('sync.run');
  });

  it("streams a sync's progress to an SSE client: each range of the scan, done, then the nodes", async () => {
    await mine(400);
    const stream = eventStream(`/api/events?token=${bridge.token}`);
    try {
      await stream.until((e) => e.type === 'hello');
      const report = await result('sync.run');
      await stream.until((e) => e.type === 'ledger.nodes');
      expect(stream.status()).toBe(200);
      expect(stream.events[0]).toEqual({ type: 'hello', payload: { server: 'signet-bridge' } });

      const progress = stream.events.flatMap((e) =>
        e.type === 'sync.progress' ? [e.payload] : [],
      );
      const phases = progress.map((p) => p.phase);
      expect(phases.filter((p, i) => p !== phases[i - 1])).toEqual([
        'sending',
        'receipts',
        'logs',
        'state',
        'done',
      ]);
      const rank = (p: SyncProgress) => syncPhases.indexOf(p.phase);
      const scan = progress.filter((p) => p.phase === 'logs');
      expect(scan.length).toBeGreaterThanOrEqual(4); // start, then 32, 64, 128… blocks
      for (let i = 1; i < progress.length; i++) {
        expect(rank(progress[i]!)).toBeGreaterThanOrEqual(rank(progress[i - 1]!));
        expect(progress[i]!.currentBlock ?? 0).toBeGreaterThanOrEqual(
          progress[i - 1]!.currentBlock ?? 0,
        );
      }
      expect(progress.at(-1)).toMatchObject({
        phase: 'done',
        toBlock: report.head,
        currentBlock: report.head,
        events: report.events,
      });
      expect(stream.events.at(-1)).toEqual({
        type: 'ledger.nodes',
        payload: { nodes: [expect.objectContaining({ url: w.ledger.url, state: 'up' })] },
      });
    } finally {
      stream.close();
    }
  });

  it('refuses the event stream without the session token', async () => {
    for (const path of [
      '/api/events',
      '/api/events?token=',
      `/api/events?token=${'0'.repeat(64)}`,
    ]) {
      const stream = eventStream(path);
      await new Promise<void>((resolve) => {
        const poll = () => (stream.status() ? resolve() : setTimeout(poll, 10));
        poll();
      });
      expect(stream.status(), path).toBe(401);
      stream.close();
    }
  });
});
