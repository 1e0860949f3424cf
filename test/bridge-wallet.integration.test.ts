/**
 * The wallet through the bridge, against the dev ledger and a SoftHSM2 key:
 * balances, the offline payment preview (decoded fee, nonce, chain id), and a
 * payment signed with the PIN the UI sent, then sent by the sync after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { type Bridge, startBridge } from '../core/bridge/bridge-server.js';
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

beforeAll(async () => {
  app = createAppApi({ home: w.home, env: w.env });
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
      ledgerProblem: null,
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

    const refused = await call('wallet.send', request);
    expect(JSON.parse(refused.text).error).toMatchObject({ code: 'PIN_REQUIRED' });

    const { status, text } = await call('wallet.send', { ...request, pin: 'not-the-pin-0000' });
    expect(status).toBe(400);
    expect(JSON.parse(text).error.code).toBe('PIN_INCORRECT');

    const sent = await call('wallet.send', { ...request, pin: PIN });
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
});
