/**
 * A Ledger in the UI (Chromium, through the loopback bridge), on the FAKE
 * device (test/fakes/fake-ledger-device.ts; there is no USB here) under the
 * real TransportNodeHid and hw-app-eth. Devices lists it with its device id and
 * adds an account from it by index; Send reviews a payment from that account
 * with the hash the device will show, and signs it with no PIN dialog (the
 * dialog says to confirm on the Ledger, with the same hash), and Sync now
 * settles it on the dev ledger; a locked Ledger
 * says so in words and nothing is signed. Screenshots: ledger-device-*.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { formatLedgerDeviceUri } from '../../native/hid/uri.js';
import { en } from '../../renderer/src/i18n/en.js';
import { FakeLedgerDevice, fakeHidBackend } from '../fakes/fake-ledger-device.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  launchChromium,
  openScreen as openScreenOf,
  repo,
  settle as settlePage,
} from '../support/ui-harness.js';
import { useWallet } from '../support/wallet-fixture.js';

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-ledger-device-dist-'));
const shots = join(repo, 'test-results', 'screenshots');

const device = new FakeLedgerDevice();
const hid = fakeHidBackend([device]);
const w = useWallet(['shop'], { hid });
const json = w.json;
const account = {
  uri: formatLedgerDeviceUri({ device: device.address(0), account: 1 }),
  address: device.address(1),
};

let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const settle = () => settlePage(page);
const openScreen = (id: string, heading: string) => openScreenOf(page, id, heading);
const shot = (name: string) => page.screenshot({ path: join(shots, `ledger-device-${name}.png`) });
const ledgerDeviceCard = () =>
  page.locator('li.card', {
    has: page.getByRole('heading', { level: 3, name: 'Nano S Plus', exact: true }),
  });

beforeAll(async () => {
  await json(['ledger', 'fund', '--account', w.keys.shop!.address, '--amount', '1.00']);
  buildRenderer(dist);
  app = createAppApi({ home: w.home, env: w.env, hid });
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
  await page.goto(bridge.url);
  await page.evaluate(readFileSync(join(repo, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  await page.getByRole('heading', { level: 1, name: en.devices.title }).waitFor();
  await settle();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('a Ledger in the UI', () => {
  it('Devices lists the Ledger with its device id, and adds account 1 from it', async () => {
    const card = ledgerDeviceCard();
    await card.waitFor();
    await card.getByText(device.address(0), { exact: true }).waitFor();
    await card.getByText('Ethereum 1.10.3').first().waitFor();
    await card.getByLabel(en.ledgerDevice.account, { exact: true }).fill('1');
    await card.getByLabel(en.ledgerDevice.name, { exact: true }).fill('ledger');
    await card.getByRole('button', { name: en.ledgerDevice.add, exact: true }).click();
    await card.getByRole('status').getByText(`Account ${account.address} added.`).waitFor();
    await shot('devices');
    await expectAccessible(page, 'Devices with a Ledger');
    const accounts = await json(['accounts']);
    expect(accounts.at(-1)).toMatchObject({ name: 'ledger', keyUri: account.uri });
    await json(['ledger', 'fund', '--account', account.address, '--amount', '20.00']);
    await json(['sync']);
  });

  it('Send: the review shows the hash the Ledger will show; signing asks no PIN', async () => {
    await openScreen('send', en.send.title);
    await settle();
    await page.getByLabel(en.send.from, { exact: true }).selectOption(account.uri);
    await page.getByLabel(en.send.to, { exact: true }).fill(w.keys.shop!.address);
    await page.getByLabel(en.send.amount, { exact: true }).fill('2.50');
    await page.getByRole('button', { name: en.send.review, exact: true }).click();
    const review = page.getByRole('region', { name: en.ledgerDevice.reviewTitle });
    await review.waitFor();
    const shown = (await review.locator('dd.mono').textContent()) ?? '';
    expect(shown).toMatch(/^0x[0-9a-f]{64}$/);
    await shot('review');
    await expectAccessible(page, 'a Ledger account in review');

    await page.getByRole('button', { name: en.send.sign, exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    // No PIN: it is typed on the device. The dialog repeats the hash to compare.
    await expect(dialog.getByLabel(en.pin.label).count()).resolves.toBe(0);
    await expect(dialog.locator('dd.mono').textContent()).resolves.toBe(shown);
    await shot('confirm');
    await expectAccessible(page, 'the confirm-on-Ledger dialog');
    await dialog.getByRole('button', { name: en.ledgerDevice.sign, exact: true }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    await page.getByRole('heading', { name: en.send.resultTitle }).waitFor();
    // The device showed exactly the hash Signet showed.
    expect(device.screens.at(-1)).toEqual({
      kind: 'transaction',
      hashes: [shown],
      decision: 'approve',
    });
    const outbox = await json(['outbox']);
    expect(outbox.at(-1)).toMatchObject({ from: account.address, amount: '2.50' });

    // Sync now, in the UI: the payment the Ledger signed settles on the dev ledger.
    await openScreen('outbox', en.outbox.title);
    const txHash = outbox.at(-1).txHash as string;
    const status = async () =>
      (await json(['outbox'])).find((tx: { txHash: string }) => tx.txHash === txHash)?.status;
    for (let i = 0; i < 5 && (await status()) !== 'confirmed'; i++) {
      await page.getByRole('button', { name: en.outbox.sync, exact: true }).click();
      await page.getByRole('button', { name: en.outbox.sync, exact: true }).waitFor();
      await settle();
    }
    expect(await status()).toBe('confirmed');
    const row = page.locator('tbody tr', { has: page.locator(`td[title="${txHash}"]`) });
    await expect(row.locator('.badge').textContent()).resolves.toBe(en.outbox.txStatus.confirmed);
  });

  it('a locked Ledger: the dialog says so in words, and nothing is signed', async () => {
    const before = await json(['outbox']);
    await openScreen('send', en.send.title);
    await settle();
    await page.getByLabel(en.send.from, { exact: true }).selectOption(account.uri);
    await page.getByLabel(en.send.to, { exact: true }).fill(w.keys.shop!.address);
    await page.getByLabel(en.send.amount, { exact: true }).fill('1.00');
    await page.getByRole('button', { name: en.send.review, exact: true }).click();
    await page.getByRole('region', { name: en.ledgerDevice.reviewTitle }).waitFor();
    device.locked = true;
    try {
      await page.getByRole('button', { name: en.send.sign, exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: en.ledgerDevice.sign, exact: true }).click();
      const alert = dialog.getByRole('alert');
      await alert.waitFor({ timeout: 15_000 });
      await expect(alert.locator('.error-text').textContent()).resolves.toBe(
        en.errors.DEVICE_LOCKED,
      );
      await shot('locked');
      await expectAccessible(page, 'a locked Ledger');
      expect(await json(['outbox'])).toEqual(before);
      // Unlocked, the same dialog signs.
      device.locked = false;
      await dialog.getByRole('button', { name: en.ledgerDevice.sign, exact: true }).click();
      await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
      expect(await json(['outbox'])).toHaveLength(before.length + 1);
    } finally {
      device.locked = false;
    }
    expect(pageErrors).toEqual([]);
  });
});
