/**
 * A P-256 account on the Send and Notes screens, in Chromium against the dev
 * ledger and SoftHSM2: the carrier select appears only for a P-256 sender,
 * each review shows who carries the transaction and what the P-256 key signs,
 * and what is signed there settles on the ledger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { en } from '../../renderer/src/i18n/en.js';
import { softhsmModule } from '../support/softhsm.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  launchChromium,
  openScreen,
  openUiPage,
  screenshotDir,
  settle,
} from '../support/ui-harness.js';
import { factsOf, signWithPin } from '../support/ui-steps.js';
import { PIN, useWallet } from '../support/wallet-fixture.js';

const dist = mkdtempSync(join(tmpdir(), 'signet-send-p256-dist-'));
const w = useWallet(['carrier', 'spare', 'bob']);
let p256: { uri: string; address: `0x${string}` };
let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const token = (await w.cli(['tokens', '--module', softhsmModule, '--json'])).json.find(
    (t: { label: string }) => t.label === 'Wallet',
  ).uri;
  const key = await w.json([
    'key',
    'generate',
    '--token',
    token,
    '--curve',
    'p256',
    '--label',
    'tpm-like',
    '--pin-file',
    w.pin,
  ]);
  const account = await w.json([
    'account',
    'add',
    '--key',
    key.uri,
    '--name',
    'P256',
    '--pin-file',
    w.pin,
  ]);
  p256 = { uri: key.uri, address: account.address };
  await w.json(['ledger', 'fund', '--account', p256.address, '--amount', '50.00']);
  for (const name of ['carrier', 'spare', 'bob']) {
    await w.json(['ledger', 'fund', '--account', w.keys[name]!.address, '--amount', '1.00']);
  }
  await w.json(['sync']);

  buildRenderer(dist);
  app = createAppApi({ home: w.home, env: w.env });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  browser = await launchChromium();
  page = await openUiPage(browser, bridge.url, pageErrors);
  await page.getByRole('heading', { level: 1, name: en.devices.title }).waitFor();
  await settle(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('sending from a P-256 account in the UI', () => {
  it('asks for a carrier only for a P-256 sender, reviews both signatures, and settles', async () => {
    await openScreen(page, 'send', en.send.title);
    const from = page.getByLabel(en.send.from, { exact: true });
    const carrier = page.getByLabel(en.send.carrier, { exact: true });

    await from.selectOption(w.keys.carrier!.uri);
    await expect(carrier.count()).resolves.toBe(0);
    await from.selectOption(p256.uri);
    await carrier.waitFor();
    // Signet's default, then the wallet's secp256k1 accounts: never a P-256 one.
    const options = await carrier.locator('option').allTextContents();
    expect(options[0]).toBe(en.send.carrierDefault);
    expect(options.slice(1).map((text) => text.split(' · ')[0])).toEqual([
      'carrier',
      'spare',
      'bob',
    ]);
    await expectAccessible(page, 'send form, P-256 sender');
    await carrier.selectOption(w.keys.spare!.address);

    await page.getByLabel(en.send.to, { exact: true }).fill(w.keys.bob!.address);
    await page.getByLabel(en.send.amount, { exact: true }).fill('7.50');
    await page.getByRole('button', { name: en.send.review, exact: true }).click();
    await page.getByRole('heading', { level: 2, name: en.send.reviewTitle }).waitFor();
    const facts = await factsOf(page.locator('dl.review'));
    expect(facts[en.send.carrier]).toContain('spare');
    expect(facts[en.send.via]).toContain(en.review.contract.p256AccountFactory);
    expect(facts[en.send.accountNonce]).toBe('0');
    expect(facts[en.send.carrierNonce]).toBe('0');
    expect(facts[en.send.p256Digest]).toMatch(/^0x[0-9a-f]{64}$/);
    // The end of the UTC day a week on (the page runs in UTC): 7 days, or 8 just past midnight.
    const endOfDay = (days: number) => {
      const day = Math.floor(Date.now() / 86_400_000) + days;
      return new Intl.DateTimeFormat('en-US', {
        dateStyle: 'medium',
        timeStyle: 'short',
        timeZone: 'UTC',
      }).format(new Date((day + 1) * 86_400_000 - 1000));
    };
    expect([endOfDay(7), endOfDay(8)]).toContain(facts[en.send.validUntil]);
    expect(facts[en.send.from]).toContain('P256');
    await expectAccessible(page, 'send review, P-256 sender');
    await page.screenshot({ path: join(screenshotDir, 'send-p256-review.png') });

    await page.getByRole('button', { name: en.send.sign, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: en.send.signTitle, exact: true });
    await dialog.getByLabel(en.pin.label, { exact: true }).fill(PIN);
    await dialog.getByRole('button', { name: en.pin.submit, exact: true }).click();
    await page.getByRole('heading', { level: 2, name: en.send.resultTitle }).waitFor();

    const outbox = await w.json(['outbox']);
    expect(outbox).toEqual([
      expect.objectContaining({
        from: w.keys.spare!.address,
        amount: '7.50',
        carried: { account: p256.address, nonce: 0 },
      }),
    ]);
    for (let round = 0; round < 20; round++) {
      await w.json(['sync']);
      if ((await w.json(['outbox']))[0].status === 'confirmed') break;
    }
    expect((await w.json(['balance', '--account', p256.address]))[0]).toMatchObject({
      balance: '42.50',
    });
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('issues a note from the P-256 account: each transaction shows what the key signs and who carries it', async () => {
    await openScreen(page, 'notes', en.notes.title);
    await page.getByRole('button', { name: 'Issue a note' }).click();
    const form = page.getByRole('form', { name: 'Issue a note' });
    await form.getByLabel('Acceptor account').selectOption(p256.uri);
    await form.getByLabel('Payee address').fill(w.keys.bob!.address);
    await form.getByLabel('Face value').fill('5.00');
    const maturity = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await form.getByLabel('Maturity date').fill(maturity);
    await form.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('heading', { level: 2, name: 'Review: Issue a note' }).waitFor();
    const { currency, notes } = w.ledger.profile.contracts;
    for (const [n, call, contract, accountNonce] of [
      [1, 'issue', notes, '1'],
      [2, 'approve', currency, '2'],
    ] as const) {
      const facts = await factsOf(
        page
          .getByRole('region', { name: `Transaction ${n} of 2` })
          .locator('dl')
          .first(),
      );
      expect(facts).toMatchObject({
        'Contract call': call,
        Contract: expect.stringContaining(contract),
        // No carrier was chosen: the default, the oldest secp256k1 account (its own nonces).
        [en.send.carrier]: expect.stringContaining('carrier (your account)'),
        [en.send.carrierNonce]: String(n - 1),
        [en.send.accountNonce]: accountNonce,
        [en.send.p256Digest]: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      });
    }
    await expectAccessible(page, 'note review, P-256 acceptor');
    await page.screenshot({ path: join(screenshotDir, 'notes-p256-review.png') });
    await signWithPin(page, PIN, 'Sign: Issue a note', 'Signed');
    for (let round = 0; round < 20; round++) {
      await w.json(['sync']);
      const rows: Array<{ status: string }> = await w.json(['outbox']);
      if (rows.every((row) => row.status === 'confirmed')) break;
    }
    const held = await w.json(['notes', '--account', w.keys.bob!.address]);
    expect(held).toEqual([expect.objectContaining({ acceptor: p256.address, value: '5.00' })]);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
