/**
 * A card pulled out, seen in the UI (Chromium, through the loopback bridge), on the
 * FAKE smart card (test/fakes): the wallet's SoftHSM2 token, wrapped so that it can be
 * pulled out of its "reader" and put back (this machine has no USB to unplug anything).
 *
 * Devices: "Show keys" with the card out gives the sentence for a missing token, and
 * the list, refreshed, no longer shows the card; put back, it is listed and its keys
 * show. Send: the card pulled at the review, Sign gives the same sentence in the PIN
 * dialog and nothing is signed, queued or audited (nor by `signet send`: exit 2, one
 * line); put back, the same dialog signs. Screenshots: token-removed-*.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { en } from '../../renderer/src/i18n/en.js';
import { buildFakeSmartcard, type FakeSmartcard } from '../fakes/fake-smartcard.js';
import { signetProcess } from '../support/cli.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  fillTemplate,
  launchChromium,
  openScreen as openScreenOf,
  repo,
  settle as settlePage,
} from '../support/ui-harness.js';
import { PIN, useWallet } from '../support/wallet-fixture.js';

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-token-removed-dist-'));
const shots = join(repo, 'test-results', 'screenshots');
const MAKER = 'Signet fake smart card';
/** The wallet fixture's SoftHSM2 token, which the fake card wraps. */
const TOKEN = 'Wallet';

const w = useWallet(['shop']);
const json = w.json;

let card: FakeSmartcard;
let serial: string;
/** The key on the card, as a wallet account. */
let cardKey: { uri: string; address: string };
let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const settle = () => settlePage(page);
const openScreen = (id: string, heading: string) => openScreenOf(page, id, heading);
const shot = (name: string) => page.screenshot({ path: join(shots, `token-removed-${name}.png`) });

const runAxe = (label: string) => expectAccessible(page, label);

/** The card as Devices lists it (the same token straight through SoftHSM2 is another card). */
const fakeCard = (): Locator =>
  page
    .locator('li.card', {
      has: page.getByRole('heading', { level: 3, name: TOKEN, exact: true }),
    })
    .filter({ hasText: MAKER });
const softhsmCard = (): Locator =>
  page
    .locator('li.card', {
      has: page.getByRole('heading', { level: 3, name: TOKEN, exact: true }),
    })
    .filter({ hasText: 'SoftHSM project' });

/** Show keys on the card with the PIN; leaves the PIN dialog open and returns it. */
async function showKeysWithPin(): Promise<Locator> {
  await fakeCard().getByRole('button', { name: en.devices.showKeys, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: en.devices.showKeys, exact: true });
  await dialog.waitFor();
  await dialog.getByLabel(en.pin.label, { exact: true }).fill(PIN);
  await dialog.getByRole('button', { name: en.pin.submit, exact: true }).click();
  return dialog;
}

/** The error a PIN dialog shows: the sentence, and the server's line under it. */
async function dialogError(dialog: Locator): Promise<{ text: string; detail: string }> {
  const alert = dialog.getByRole('alert');
  await alert.waitFor({ timeout: 15_000 });
  // Every line inside the dialog: the server's line, a long URI, wraps rather than run out.
  await expect(
    alert.locator('p').evaluateAll((lines) => lines.every((p) => p.scrollWidth <= p.clientWidth)),
  ).resolves.toBe(true);
  return {
    text: (await alert.locator('.error-text').textContent()) ?? '',
    detail: (await alert.locator('.error-detail').textContent()) ?? '',
  };
}

const outbox = async (): Promise<Array<{ txHash: string; status: string }>> => json(['outbox']);
const auditCount = async (): Promise<number> => (await json(['audit'])).chain.entries;

beforeAll(async () => {
  // The fake card over the wallet's own SoftHSM2 store, and listed in Signet's config.
  const conf = w.env.SOFTHSM2_CONF!;
  card = buildFakeSmartcard({ softhsmConf: conf, dir: join(dirname(conf), 'fake') });
  card.activate();
  writeFileSync(join(w.home, 'config.json'), JSON.stringify({ modules: [card.modulePath] }));
  const token = (await json(['tokens', '--module', card.modulePath])).find(
    (t: { label: string }) => t.label === TOKEN,
  );
  serial = token.serial;
  // A key made on the card, registered, funded and synced: an account whose key is on it.
  const made = await json([
    'key',
    'generate',
    '--token',
    token.uri,
    '--curve',
    'secp256k1',
    '--label',
    'card',
    '--pin-file',
    w.pin,
  ]);
  cardKey = { uri: made.uri, address: made.address };
  const added = await w.cli([
    'account',
    'add',
    '--key',
    cardKey.uri,
    '--name',
    'card',
    '--pin-file',
    w.pin,
  ]);
  if (added.code !== 0) throw new Error(added.stderr);
  await json(['ledger', 'fund', '--account', cardKey.address, '--amount', '50.00']);
  await json(['ledger', 'fund', '--account', w.keys.shop!.address, '--amount', '1.00']);
  await json(['sync']);

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
  await page.goto(bridge.url);
  await page.evaluate(readFileSync(join(repo, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  await page.getByRole('heading', { level: 1, name: en.devices.title }).waitFor();
  await settle();
}, 120_000);

afterAll(async () => {
  card?.insert(serial);
  await browser?.close();
  await bridge?.close();
  app?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('a card pulled out, in the UI', () => {
  it('Devices: Show keys with the card out says it is not found; the list then leaves it out', async () => {
    await fakeCard().waitFor();
    card.remove(serial);
    // No hot-plug events: the list shows the card until it is next read.
    const dialog = await showKeysWithPin();
    const error = await dialogError(dialog);
    expect([en.errors.TOKEN_NOT_FOUND, en.errors.TOKEN_REMOVED]).toContain(error.text);
    expect(error.text).toBe(en.errors.TOKEN_NOT_FOUND);
    expect(error.detail).toMatch(/^Details: no token matches pkcs11:\S+ \(is it inserted\?\)$/);
    // The field is empty again; the dialog stays open for another try.
    await expect(dialog.getByLabel(en.pin.label, { exact: true }).inputValue()).resolves.toBe('');
    await shot('devices-show-keys');
    await runAxe('the PIN dialog with the card out');

    // The list was read again behind the dialog: the card is gone, the rest is there.
    await fakeCard().waitFor({ state: 'detached' });
    await dialog.getByRole('button', { name: en.common.cancel, exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect(softhsmCard().count()).resolves.toBe(1);
    await page.getByRole('button', { name: en.common.refresh, exact: true }).click();
    await settle();
    await expect(fakeCard().count()).resolves.toBe(0);
    await shot('devices-list');
    await runAxe('Devices with the card out');
    expect(pageErrors).toEqual([]);
  });

  it('Devices: put back, the card is listed again and its keys show', async () => {
    card.insert(serial);
    await page.getByRole('button', { name: en.common.refresh, exact: true }).click();
    await fakeCard().waitFor();
    await settle();
    const dialog = await showKeysWithPin();
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    const keys = fakeCard().getByRole('table', {
      name: fillTemplate(en.devices.keysTitle, { token: TOKEN }),
    });
    const row = keys.locator('tbody tr', {
      has: page.getByRole('cell', { name: 'card', exact: true }),
    });
    await expect(row.locator('td').allTextContents()).resolves.toEqual([
      'card',
      'secp256k1',
      cardKey.address,
      en.devices.hardware,
    ]);
    await shot('devices-back');
    expect(pageErrors).toEqual([]);
  });

  it('Send: the card pulled at the review, Sign says so in the PIN dialog and queues nothing; put back, the same dialog signs', async () => {
    const before = { outbox: await outbox(), audit: await auditCount() };
    expect(before.outbox).toEqual([]);

    await openScreen('send', en.send.title);
    await page.getByLabel(en.send.from, { exact: true }).selectOption(cardKey.uri);
    await page.getByLabel(en.send.to, { exact: true }).fill(w.keys.shop!.address);
    await page.getByLabel(en.send.amount, { exact: true }).fill('2.50');
    await page.getByRole('button', { name: en.send.review, exact: true }).click();
    await page.getByRole('heading', { level: 2, name: en.send.reviewTitle, exact: true }).waitFor();

    card.remove(serial);
    await page.getByRole('button', { name: en.send.sign, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: en.send.signTitle, exact: true });
    await dialog.waitFor();
    await dialog.getByLabel(en.pin.label, { exact: true }).fill(PIN);
    await dialog.getByRole('button', { name: en.pin.submit, exact: true }).click();
    const error = await dialogError(dialog);
    expect(error.text).toBe(en.errors.TOKEN_NOT_FOUND);
    expect(error.detail).toMatch(/^Details: no token matches pkcs11:\S+ \(is it inserted\?\)$/);
    await expect(dialog.isVisible()).resolves.toBe(true);
    await shot('send-pin');
    await runAxe('the signing PIN dialog with the card out');
    // Still the review behind it; nothing signed, queued or audited.
    await expect(
      page.getByRole('heading', { level: 2, name: en.send.reviewTitle, exact: true }).count(),
    ).resolves.toBe(1);
    expect(await outbox()).toEqual(before.outbox);
    expect(await auditCount()).toBe(before.audit);

    // The command line says the same, in one line, exit 2, and writes nothing either.
    const send = signetProcess(
      [
        'send',
        '--from',
        cardKey.uri,
        '--to',
        w.keys.shop!.address,
        '--amount',
        '2.50',
        '--offline',
        '--pin-file',
        w.pin,
      ],
      { env: { ...card.env, SIGNET_HOME: w.home } },
    );
    expect(send.code).toBe(2);
    expect(send.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(send.stderr).toMatch(/^signet: no token matches pkcs11:\S+ \(is it inserted\?\)\n$/);
    expect(await outbox()).toEqual(before.outbox);
    expect(await auditCount()).toBe(before.audit);

    // Put back: the same dialog, the PIN again, and it signs.
    card.insert(serial);
    await dialog.getByLabel(en.pin.label, { exact: true }).fill(PIN);
    await dialog.getByRole('button', { name: en.pin.submit, exact: true }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    await page.getByRole('heading', { level: 2, name: en.send.resultTitle, exact: true }).waitFor();
    await shot('send-signed');
    const after = await outbox();
    expect(after).toHaveLength(1);
    expect(after[0]?.status).not.toBe('failed');
    expect(await auditCount()).toBe(before.audit + 1);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
