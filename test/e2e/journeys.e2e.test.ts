import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { type FakeNode, startFakeProxy } from '../fakes/rpc-fake-nodes.js';
import {
  axeFindings,
  buildRenderer,
  launchChromium,
  openScreen as openScreenOf,
  repo,
  settle as settlePage,
} from '../support/ui-harness.js';
import { PIN, useWallet } from '../support/wallet-fixture.js';

// Globals of the page, for the callbacks Chromium runs: the root tsconfig is Node-only on purpose.
declare const window: any;
declare const document: any;

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-journeys-dist-'));
const shots = join(repo, 'test-results', 'screenshots');

const w = useWallet(['alice', 'bob']);
const json = async (args: string[]) => {
  const run = await w.cli([...args, '--json']);
  if (run.code !== 0) throw new Error(`signet ${args.join(' ')}: ${run.stderr}`);
  return run.json;
};
const outboxRows = async (): Promise<{ status: string; amount: string }[]> => json(['outbox']);

let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function runAxe(label: string): Promise<void> {
  const { passes, serious } = await axeFindings(page);
  expect(passes).toBeGreaterThan(10);
  expect(serious, `axe on ${label}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
}
const settle = () => settlePage(page);
const openScreen = (id: string, heading: string) => openScreenOf(page, id, heading);

const shot = (name: string) => page.screenshot({ path: join(shots, `journey-${name}.png`) });

/** The review screen's facts, label → value, as shown. */
async function reviewFacts(): Promise<Record<string, string>> {
  return page.locator('dl.review').evaluate((dl) => {
    const facts: Record<string, string> = {};
    for (const dt of dl.querySelectorAll('dt'))
      facts[dt.textContent ?? ''] = dt.nextElementSibling?.textContent ?? '';
    return facts;
  });
}

/** Send screen → form filled → Review; waits for the review panel. */
async function reviewPayment(to: string, amount: string, labels = en): Promise<void> {
  await openScreen('send', labels.send);
  await page.getByLabel(labels.from).selectOption(w.keys.alice!.uri);
  await page.getByLabel(labels.to).fill(to);
  await page.getByLabel(labels.amount, { exact: true }).fill(amount);
  await page.getByRole('button', { name: labels.review, exact: true }).click();
  await page.getByRole('heading', { level: 2, name: labels.reviewTitle }).waitFor();
}
const en = {
  send: 'Send',
  from: 'From account',
  to: 'To address',
  amount: 'Amount',
  review: 'Review',
  reviewTitle: 'Review the payment',
};
const zh = {
  send: '转账',
  from: '付款账户',
  to: '收款地址',
  amount: '金额',
  review: '核对',
  reviewTitle: '核对付款',
};

/** Presses Sync now and waits for its outcome: the report, or the error. */
async function pressSync(): Promise<'synced' | 'error'> {
  await page.getByRole('button', { name: 'Sync now' }).click();
  await page.getByRole('button', { name: 'Sync now' }).waitFor(); // not "Syncing…" any more
  await settle();
  const synced = await page.locator('.toolbar-status [role="status"]').count();
  return synced > 0 ? 'synced' : 'error';
}

function nodeRow(url: string) {
  return page
    .getByRole('region', { name: 'Ledger nodes' })
    .locator('tbody tr', { has: page.getByRole('cell', { name: url, exact: true }) });
}

beforeAll(async () => {
  buildRenderer(dist);
  app = createAppApi({ home: w.home, env: w.env });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  mkdirSync(shots, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('user journeys in Chromium, against the dev ledger and SoftHSM2', () => {
  it('retail: signs offline, queues, then confirms on sync', async () => {
    const alice = w.keys.alice!.address;
    const bob = w.keys.bob!.address;
    await json(['ledger', 'fund', '--account', alice, '--amount', '100.00']);
    // The currency only pays registered accounts: the faucet registers bob.
    await json(['ledger', 'fund', '--account', bob, '--amount', '1.00']);
    await json(['sync']);
    // No node reachable from here on: the UI must sign and queue offline.
    w.useProfile({ ...w.ledger.profile, rpc: ['http://127.0.0.1:1'] });

    await page.goto(bridge.url);
    await page.evaluate(readFileSync(join(repo, 'node_modules/axe-core/axe.min.js'), 'utf8'));
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    await settle();

    await openScreen('send', 'Send');
    await page.getByLabel('From account').selectOption(w.keys.alice!.uri);
    await page.getByLabel('To address').fill(bob);
    await page.getByLabel('Amount', { exact: true }).fill('12.34');
    await shot('retail-1-form');
    await page.getByRole('button', { name: 'Review', exact: true }).click();
    await page.getByRole('heading', { level: 2, name: 'Review the payment' }).waitFor();

    const facts = await reviewFacts();
    expect(facts).toMatchObject({
      'From account': alice,
      'To address': bob,
      Amount: '12.34',
      Chain: '31337',
      Nonce: '0',
      'Available afterwards': '87.66',
    });
    expect(w.ledger.profile.chainId).toBe(31337);
    expect(facts['Maximum network fee']).toMatch(/^[1-9]\d{0,2}(,\d{3})* wei$/);
    await shot('retail-2-review');
    await runAxe('review (en)');

    await page.getByRole('button', { name: 'Sign and send' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign this payment' });
    await dialog.waitFor();
    await shot('retail-3-pin');
    await runAxe('PIN dialog (send)');
    await dialog.getByLabel('PIN', { exact: true }).fill(PIN);
    await dialog.getByRole('button', { name: 'Unlock' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await page.getByRole('heading', { level: 2, name: 'Payment signed' }).waitFor();
    const result = page.locator('main').getByRole('status');
    await expect(result.textContent()).resolves.toBe(
      'Signed Queued: it will be sent at the next sync.',
    );
    await expect(page.locator('main').textContent()).resolves.toContain(
      'Could not reach the ledger now: no ledger node answered: http://127.0.0.1:1',
    );
    await shot('retail-4-queued');
    expect((await outboxRows()).map((t) => [t.status, t.amount])).toEqual([['signed', '12.34']]);

    await openScreen('outbox', 'Outbox & Sync');
    const outbox = page.getByRole('region', { name: 'Outbox', exact: true });
    const row = outbox.locator('tbody tr');
    await expect(row.count()).resolves.toBe(1);
    await expect(row.locator('td').nth(3).textContent()).resolves.toBe('12.34');
    await expect(row.locator('.badge').textContent()).resolves.toBe('Signed');
    await expect(nodeRow('http://127.0.0.1:1').locator('.badge').textContent()).resolves.toBe(
      'Down',
    );
    await shot('retail-5-outbox-signed');

    // The node is back: one press of Sync sends and confirms it.
    w.useProfile(w.ledger.profile);
    expect(await pressSync()).toBe('synced');
    await expect(page.locator('.toolbar-status').textContent()).resolves.toMatch(
      /^Synced to block \d+: \d+ new events, 1 confirmed\.$/,
    );
    await expect(row.locator('.badge').textContent()).resolves.toBe('Confirmed');
    await expect(nodeRow(w.ledger.url).locator('.badge').textContent()).resolves.toBe('Up');
    await shot('retail-6-confirmed');

    await openScreen('accounts', 'Accounts');
    const balances = page.getByRole('region', { name: 'Balances' });
    const aliceRow = balances.locator('tbody tr', {
      has: page.getByRole('cell', { name: 'alice', exact: true }),
    });
    // balance, pending, available
    await expect(aliceRow.locator('td.num').allTextContents()).resolves.toEqual([
      '87.66',
      '0.00',
      '87.66',
    ]);
    await shot('retail-7-balance');
    expect((await outboxRows()).map((t) => t.status)).toEqual(['confirmed']);
  }, 60_000);

  it('a wrong PIN while sending shows the retry state and queues nothing', async () => {
    const before = await outboxRows();
    await reviewPayment(w.keys.bob!.address, '1.00');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign this payment' });
    await dialog.waitFor();
    await dialog.getByLabel('PIN', { exact: true }).fill('0000-wrong');
    await dialog.getByRole('button', { name: 'Unlock' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    await expect(alert.locator('.error-text').textContent()).resolves.toMatch(
      /^Wrong PIN\. (One try left before the PIN locks\.|The token reports few tries left\.|The token does not say how many tries are left\.)$/,
    );
    // The dialog stays open for another try, with the field emptied.
    await expect(dialog.getByLabel('PIN', { exact: true }).inputValue()).resolves.toBe('');
    await expect(dialog.isVisible()).resolves.toBe(true);
    await shot('wrong-pin');
    await runAxe('PIN dialog with the wrong-PIN error');

    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // Still on the review, nothing signed, nothing queued.
    await page.getByRole('heading', { level: 2, name: 'Review the payment' }).waitFor();
    expect(await outboxRows()).toEqual(before);
    await openScreen('outbox', 'Outbox & Sync');
    await expect(
      page.getByRole('region', { name: 'Outbox', exact: true }).locator('tbody tr').count(),
    ).resolves.toBe(before.length);
  });

  it('shows the node going down and coming back on the same URL', async () => {
    let proxy: FakeNode | undefined = await startFakeProxy(w.ledger.url);
    const url = proxy.url;
    try {
      w.useProfile({ ...w.ledger.profile, rpc: [url] });
      await openScreen('devices', 'Devices');
      await openScreen('outbox', 'Outbox & Sync');
      const badge = nodeRow(url).locator('.badge');
      await expect(badge.textContent()).resolves.toBe('Up');
      expect(await pressSync()).toBe('synced');
      await shot('node-1-up');

      await proxy.stop();
      proxy = undefined;
      expect(await pressSync()).toBe('error');
      const alert = page.locator('main > .error[role="alert"]');
      await expect(alert.locator('.error-text').textContent()).resolves.toBe(
        'No ledger node could be reached. Check the network and try again.',
      );
      await expect(alert.locator('.error-detail').textContent()).resolves.toContain(
        `no ledger node answered: ${url}`,
      );
      await expect(badge.textContent()).resolves.toBe('Down');
      await expect(nodeRow(url).locator('td').nth(4).textContent()).resolves.not.toBe('—');
      await shot('node-2-down');

      proxy = await startFakeProxy(w.ledger.url, { port: Number(new URL(url).port) });
      // The pool leaves a down node alone for a back-off (2 s after one failure): the user
      // presses Sync again until it answers; bounded, so a node that stays down fails here.
      let outcome = await pressSync();
      for (let i = 0; outcome === 'error' && i < 8; i++) {
        await page.waitForTimeout(500);
        outcome = await pressSync();
      }
      expect(outcome).toBe('synced');
      await expect(badge.textContent()).resolves.toBe('Up');
      await expect(page.locator('main > .error[role="alert"]').count()).resolves.toBe(0);
      await shot('node-3-back');
    } finally {
      await proxy?.stop();
      w.useProfile(w.ledger.profile);
    }
  });

  it('shows the retail review step in zh-CN', async () => {
    await page.locator('.lang select').selectOption('zh-CN');
    await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe('zh-CN');
    try {
      await reviewPayment(w.keys.bob!.address, '12.34', zh);
      const facts = await reviewFacts();
      expect(facts).toMatchObject({
        付款账户: w.keys.alice!.address,
        收款地址: w.keys.bob!.address,
        金额: '12.34',
        链: '31337',
        '序号 (nonce)': '1',
      });
      expect(facts.最高网络手续费).toMatch(/ wei$/);
      await page.getByRole('button', { name: '签名并发送' }).waitFor();
      await shot('retail-review-zh-CN');
      await runAxe('review (zh-CN)');
    } finally {
      await page.locator('.lang select').selectOption('en');
    }
  });

  it('ran with no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
