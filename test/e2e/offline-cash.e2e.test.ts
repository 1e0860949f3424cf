/**
 * Offline cash through the UI (issue 13 §3), in Chromium, through the browser
 * bridge, against the dev ledger and SoftHSM2 tokens. Two holders, each with
 * a token of their own, a data folder of their own, an app instance and a
 * bridge: Alice and Bob each open a purse on the Offline cash screen (form →
 * PIN) while online; then both go offline (their profile's only node is a
 * closed port). Bob asks for 12.34: his screen shows the payment request as a
 * QR code; Alice scans it with a FAKE camera (Chromium plays a Y4M file of the
 * QR code the test read off Bob's screen with jsQR: there is no camera on this
 * machine), reviews payee, amount and payments left, enters her PIN and shows
 * the payment's animated QR code; Bob scans that and his screen says at once
 * that it is good, as pending offline income apart from his settled balance. A
 * second payment goes by file, and Bob pays Alice back by QR. A tampered QR
 * code and a tampered file are each refused in one translated line and store
 * nothing; a request over the purse's cap is refused before any PIN. Back
 * online, Bob settles (PIN) and syncs: both settled balances, read over raw
 * JSON-RPC, are exact, and settling again (Bob's or Alice's) pays nothing
 * twice. The screen in English and Chinese (no English left), axe clean.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsqr from 'jsqr';
import type { Browser, Download, Locator, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { type Address, decodeFunctionResult, encodeFunctionData, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainProfile } from '../../core/api/profile.js';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { currencyAbi } from '../../core/chain/abi.js';
import { writeActiveProfile } from '../../core/chain/profile-file.js';
import { en } from '../../renderer/src/i18n/en.js';
import { zhCN } from '../../renderer/src/i18n/zh-CN.js';
import { pinFile, signet } from '../support/cli.js';
import { useDevChain } from '../support/dev-chain.js';
import {
  fakeCameraArgs,
  writeFakeCameraSequence,
  writeFakeCameraVideo,
} from '../support/fake-camera.js';
import { createSoftHsmStore, softhsmModule } from '../support/softhsm.js';
import { rawRpc } from '../support/treasury-cli.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  fillTemplate,
  latinText,
  latinWordsOf,
  launchChromium,
  openScreen,
  openUiPage,
  screenshotDir,
  settle,
  templatePattern,
} from '../support/ui-harness.js';
import { factsOf, syncNow } from '../support/ui-steps.js';

// jsqr is CommonJS typed as an ES module: under NodeNext its function is the default's `default`.
const jsQR = jsqr.default;

const PIN = '1357-cash';
const chain = useDevChain();
const tokens = createSoftHsmStore('signet-cash-');
// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-cash-dist-'));
const scratch = mkdtempSync(join(tmpdir(), 'signet-cash-camera-'));
/** What the FAKE camera shows: rewritten before each scan (Chromium reads it when the camera opens). */
const cameraFile = join(scratch, 'fake-camera.y4m');

interface Holder {
  name: string;
  home: string;
  env: NodeJS.ProcessEnv;
  key: { uri: string; address: Address };
  app: AppApi;
  bridge: Bridge;
  page: Page;
}
const holders: Record<'alice' | 'bob', Holder> = {} as Record<'alice' | 'bob', Holder>;
let browser: Browser;
const pageErrors: string[] = [];

/** Minor units. */
const FUNDED = 100_00n;
const LOCKED = 50_00n;
/** Bob's purse (he pays Alice back). */
const LOCKED_BOB = 30_00n;
const BACK = 3_00n;
const FIRST = 12_34n;
const SECOND = 5_00n;

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(screenshotDir, `offline-cash-${name}.png`), fullPage: true });

/** The dev ledger's profile, or the same ledger with its only node a closed port (offline). */
function useChain(holder: Holder, online: boolean): void {
  const profile: ChainProfile = online
    ? chain.profile
    : { ...chain.profile, rpc: ['http://127.0.0.1:1'] };
  writeActiveProfile(profile, holder.env);
}

async function cli(holder: { env: NodeJS.ProcessEnv }, args: string[]): Promise<any> {
  const run = await signet([...args, '--json'], { env: holder.env });
  if (run.code !== 0) throw new Error(`signet ${args.join(' ')}: ${run.stderr}`);
  return run.json;
}

/** The currency balance of `account` on chain, over raw JSON-RPC (not through Signet). */
async function rawBalance(account: Address): Promise<bigint> {
  const data = encodeFunctionData({ abi: currencyAbi, functionName: 'balanceOf', args: [account] });
  const result = await rawRpc<Hex>(chain.url, 'eth_call', [
    { to: chain.profile.contracts.currency, data },
    'latest',
  ]);
  return decodeFunctionResult({ abi: currencyAbi, functionName: 'balanceOf', data: result });
}

/** A holder's purse and income, as the app itself reports them (to check nothing changed). */
async function status(holder: Holder) {
  const reply = await holder.app.dispatch('purse.status', { account: holder.key.address });
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.result as {
    pendingIncome: string;
    settledBalance: string;
    certificateKeysSyncedAt: number | null;
    vouchers: Array<{ voucherHash: string; amount: string; status: string; direction: string }>;
    purses: Array<{ state: string; paymentsLeft: number; amountLeft: string; locked: string }>;
  };
}

/** Types the PIN into the dialog `title` and waits for it to close. */
async function enterPin(page: Page, title: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor();
  await dialog.getByLabel('PIN', { exact: true }).fill(PIN);
  await dialog.getByRole('button', { name: 'Unlock' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/**
 * Presses Settle (through the own account) and types the PIN when the token asks
 * for it (nothing to send needs none); waits for the screen's count of what it sent.
 */
async function settleOwn(page: Page, counts: { submitted: string; settled: string }) {
  await page.getByRole('button', { name: en.offlineCash.settle.button, exact: true }).click();
  const done = page
    .getByRole('status')
    .filter({ hasText: templatePattern(en.offlineCash.settle.done, counts) });
  const dialog = page.getByRole('dialog', { name: en.offlineCash.settle.pinTitle });
  await done.or(dialog).first().waitFor();
  if (await dialog.isVisible()) await enterPin(page, en.offlineCash.settle.pinTitle);
  await done.waitFor();
}

/** Presses `link` and reads the file the page downloads: its suggested name and text. */
async function download(page: Page, link: Locator): Promise<{ name: string; text: string }> {
  const [file] = (await Promise.all([page.waitForEvent('download'), link.click()])) as [
    Download,
    unknown,
  ];
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
}

/** The text of the QR code `element` shows, decoded by jsQR from a screenshot of it. */
async function decodeShownQr(element: Locator): Promise<string | null> {
  const png = PNG.sync.read(await element.screenshot());
  const pixels = new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length);
  return jsQR(pixels, png.width, png.height)?.data ?? null;
}

/**
 * Every frame of the (possibly animated) QR code in `region`, read off the screen
 * as a camera would: screenshots decoded until as many distinct frames as the
 * figure shows are in, in the order first seen.
 */
async function readShownQr(region: Locator, label: string): Promise<string[]> {
  const figure = region.locator('figure[data-qr-frames]');
  await figure.waitFor();
  const frames = Number(await figure.getAttribute('data-qr-frames'));
  expect(frames).toBeGreaterThanOrEqual(1);
  const qr = region.getByRole('img', { name: label });
  const texts = new Set<string>();
  for (let i = 0; i < 30 * frames && texts.size < frames; i++) {
    const text = await decodeShownQr(qr);
    if (text) texts.add(text);
  }
  expect(texts.size).toBe(frames);
  return [...texts];
}

/** The FAKE camera shows `parts` (one QR code, or an animated sequence), as large as fits. */
function showToCamera(parts: readonly string[]): void {
  for (const scale of [4, 3, 2]) {
    try {
      if (parts.length === 1) writeFakeCameraSequence(cameraFile, parts, 3, scale);
      else writeFakeCameraSequence(cameraFile, parts, 4, scale);
      return;
    } catch (error) {
      if (scale === 2) throw error;
    }
  }
}

/** The Offline cash screen of `page` (English unless given). */
const openCash = (page: Page, heading: string = en.offlineCash.title) =>
  openScreen(page, 'cash', heading);

/** The screen's purse facts and income facts, label → value. */
const purseFacts = (page: Page) => factsOf(page.locator('dl[data-purse]'));
const incomeFacts = (page: Page) => factsOf(page.locator('dl[data-income]'));

/** Amounts as the English screen shows them. */
const shown = (minor: bigint) =>
  `${(minor / 100n).toLocaleString('en-US')}.${(minor % 100n).toString().padStart(2, '0')}`;

beforeAll(async () => {
  tokens.initToken('Alice', PIN);
  tokens.initToken('Bob', PIN);
  tokens.activate();
  buildRenderer(dist);
  const pin = pinFile(PIN);
  for (const [name, label] of [
    ['alice', 'Alice'],
    ['bob', 'Bob'],
  ] as const) {
    const home = mkdtempSync(join(tmpdir(), `signet-cash-${name}-`));
    const env = { ...process.env, SIGNET_HOME: home, SOFTHSM2_CONF: tokens.conf };
    writeActiveProfile(chain.profile, env);
    const token = (await cli({ env }, ['tokens', '--module', softhsmModule])).find(
      (t: { label: string }) => t.label === label,
    ).uri as string;
    const key = await cli({ env }, [
      ...['key', 'generate', '--token', token, '--curve', 'secp256k1', '--label', name],
      ...['--pin-file', pin],
    ]);
    const added = await signet(
      ['account', 'add', '--key', key.uri, '--name', name, '--pin-file', pin],
      { env },
    );
    if (added.code !== 0) throw new Error(added.stderr);
    await cli({ env }, ['ledger', 'fund', '--account', key.address, '--amount', '100.00']);
    await cli({ env }, ['sync']);
    const app = createAppApi({ home, env });
    const bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
    holders[name] = { name, home, env, key, app, bridge, page: undefined as unknown as Page };
  }
  writeFakeCameraVideo(cameraFile, null);
  browser = await launchChromium(fakeCameraArgs(cameraFile));
  for (const holder of Object.values(holders)) {
    holder.page = await openUiPage(browser, holder.bridge.url, pageErrors);
    await holder.page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
  }
}, 240_000);

afterAll(async () => {
  await browser?.close();
  for (const holder of Object.values(holders)) {
    await holder.bridge?.close();
    holder.app?.close();
    rmSync(holder.home, { recursive: true, force: true });
  }
  tokens.remove();
  rmSync(dist, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('two holders pay each other offline on the Offline cash screen', () => {
  /** Bob's request as his screen showed it (QR frames read off the screen) and as a file. */
  let requestParts: string[] = [];
  /** Alice's first payment as her screen showed it, and as its file. */
  let paymentParts: string[] = [];
  let paymentFile = '';
  /** Alice's second payment with its amount raised: the purse's signature no longer covers it. */
  let tampered: { voucher: { amount: string; cumulative: string } } | undefined;

  it('Alice opens a purse on the screen (form → PIN); once synced it is open, with its limits', async () => {
    const { page } = holders.alice;
    await openCash(page);
    await expect(page.getByText(en.offlineCash.purse.none).count()).resolves.toBe(1);
    await expectAccessible(page, 'offline cash, no purse (en)');
    const form = page.getByRole('form', { name: en.offlineCash.open.title });
    // Checked in the form first: nothing is called.
    await form.getByLabel(en.offlineCash.open.locked).fill('50.001');
    await form.getByLabel(en.offlineCash.open.cap).fill('20.00');
    await form.getByLabel(en.offlineCash.open.count).fill('0');
    await form.getByLabel(en.offlineCash.open.days).fill('7');
    await form.getByRole('button', { name: en.offlineCash.open.button }).click();
    await expect(form.locator('.field-error').allTextContents()).resolves.toEqual([
      en.offlineCash.amountInvalid,
      fillTemplate(en.offlineCash.open.countInvalid, { max: '10000' }),
    ]);
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);

    await form.getByLabel(en.offlineCash.open.locked).fill('50.00');
    await form.getByLabel(en.offlineCash.open.count).fill('5');
    await form.getByRole('button', { name: en.offlineCash.open.button }).click();
    await enterPin(page, en.offlineCash.open.pinTitle);
    await page
      .getByRole('status')
      .filter({ hasText: fillTemplate(en.offlineCash.open.done, { amount: '50.00' }) })
      .waitFor();
    await syncNow(page);
    await openCash(page);
    const facts = await purseFacts(page);
    expect(facts).toMatchObject({
      [en.offlineCash.purse.balance]: '50.00',
      [en.offlineCash.purse.paymentsLeft]: '5 payments, up to 50.00 in all',
      [en.offlineCash.purse.cap]: '20.00',
      [en.offlineCash.purse.locked]: '50.00',
    });
    expect(facts[en.offlineCash.purse.state]).toContain(en.offlineCash.state.open);
    expect(facts[en.offlineCash.purse.valid]).toMatch(/^from .+ until .+$/);
    // The money left Alice's account for the purse, on chain.
    expect(await rawBalance(holders.alice.key.address)).toBe(FUNDED - LOCKED);
    await shot(page, '1-purse-open');
    await expectAccessible(page, 'offline cash with an open purse (en)');
  }, 180_000);

  it('Bob opens a purse too; then offline, Bob asks for 12.34: the request shows as a QR code and a file', async () => {
    const { page } = holders.bob;
    // Online once: Bob's purse opens, and the screen reads the operators' certificate keys
    // a payee checks offline.
    await openCash(page);
    const form = page.getByRole('form', { name: en.offlineCash.open.title });
    await form.getByLabel(en.offlineCash.open.locked).fill('30.00');
    await form.getByLabel(en.offlineCash.open.cap).fill('10.00');
    await form.getByLabel(en.offlineCash.open.count).fill('3');
    await form.getByRole('button', { name: en.offlineCash.open.button }).click();
    await enterPin(page, en.offlineCash.open.pinTitle);
    await page
      .getByRole('status')
      .filter({ hasText: fillTemplate(en.offlineCash.open.done, { amount: '30.00' }) })
      .waitFor();
    await syncNow(page);
    await openCash(page);
    await expect
      .poll(async () => (await purseFacts(page))[en.offlineCash.purse.state])
      .toContain(en.offlineCash.state.open);
    await expect
      .poll(async () => (await status(holders.bob)).certificateKeysSyncedAt)
      .not.toBeNull();
    useChain(holders.alice, false);
    useChain(holders.bob, false);
    await openCash(page);
    await expect(incomeFacts(page)).resolves.toMatchObject({
      [en.offlineCash.income.settled]: '70.00',
    });
    const ask = page.getByRole('form', { name: en.offlineCash.receive.formLabel });
    await ask.getByLabel(en.offlineCash.receive.amount).fill('12.34');
    await ask.getByRole('button', { name: en.offlineCash.receive.ask }).click();
    const request = page.getByRole('region', { name: en.offlineCash.receive.requestTitle });
    await request.waitFor();
    await expect(request.locator('[data-request-amount]').textContent()).resolves.toBe(
      fillTemplate(en.offlineCash.receive.requestFor, {
        amount: '12.34',
        payee: holders.bob.key.address,
      }),
    );
    requestParts = await readShownQr(request, en.offlineCash.receive.qrLabel);
    for (const part of requestParts) expect(part).toMatch(/^UR:SIGNET-PAYMENT-REQUEST\//i);
    const saved = await download(
      page,
      request.getByRole('link', { name: en.offlineCash.receive.save }),
    );
    expect(saved.name).toMatch(/\.signet-request$/);
    expect(JSON.parse(saved.text)).toMatchObject({
      signet: 'payment-request',
      version: 1,
      chainId: chain.profile.chainId,
      amount: String(FIRST),
    });
    await shot(page, '2-request');
    await expectAccessible(page, 'payment request (en)');
  }, 60_000);

  it('Alice scans the request (FAKE camera), reviews it, pays with her PIN: the payment shows as a QR code', async () => {
    const { page } = holders.alice;
    await openCash(page);
    showToCamera(requestParts);
    const pay = page.getByRole('region', { name: en.offlineCash.pay.title });
    await pay.getByRole('button', { name: en.offlineCash.pay.scan }).click();
    const review = page.locator('dl[data-review="payment"]');
    await review.waitFor({ timeout: 30_000 });
    expect(await factsOf(review)).toMatchObject({
      [en.offlineCash.pay.payee]: holders.bob.key.address,
      [en.offlineCash.pay.amount]: '12.34',
      [en.offlineCash.pay.leftAfter]: '4 payments, up to 37.66 in all',
      [en.offlineCash.pay.counter]: '1 of 5',
    });
    await shot(page, '3-pay-review');
    await expectAccessible(page, 'payment review (en)');
    // Nothing signed before the PIN: the purse still has every payment.
    expect((await status(holders.alice)).purses[0]).toMatchObject({ paymentsLeft: 5 });

    await pay.getByRole('button', { name: en.offlineCash.pay.button, exact: true }).click();
    await enterPin(page, en.offlineCash.pay.pinTitle);
    const paid = page.getByRole('region', { name: en.offlineCash.pay.paidTitle });
    await paid.waitFor();
    await expect(paid.getByRole('status').textContent()).resolves.toBe(
      fillTemplate(en.offlineCash.pay.paid, { amount: '12.34', payee: holders.bob.key.address }),
    );
    paymentParts = await readShownQr(paid, en.offlineCash.pay.qrLabel);
    for (const part of paymentParts) expect(part).toMatch(/^UR:SIGNET-PAYMENT\//i);
    paymentFile = (await download(page, paid.getByRole('link', { name: en.offlineCash.pay.save })))
      .text;
    await shot(page, '4-paid');
    await expectAccessible(page, 'payment QR code (en)');
    await paid.getByRole('button', { name: en.offlineCash.pay.done }).click();
    expect(await purseFacts(page)).toMatchObject({
      [en.offlineCash.purse.balance]: '37.66',
      [en.offlineCash.purse.paymentsLeft]: '4 payments, up to 37.66 in all',
    });
  }, 120_000);

  it('Bob scans a tampered copy of the payment: refused in one line, nothing stored', async () => {
    const { page } = holders.bob;
    const before = await status(holders.bob);
    // One character of the first frame's body changed: its checksum no longer matches.
    const [first = '', ...rest] = paymentParts;
    const at = first.length - 12;
    const swapped = first[at] === 'A' ? 'B' : 'A';
    showToCamera([`${first.slice(0, at)}${swapped}${first.slice(at + 1)}`, ...rest]);
    const payment = page.getByRole('region', { name: en.offlineCash.receive.paymentTitle });
    await payment.getByRole('button', { name: en.offlineCash.receive.scan }).click();
    const verdict = payment.locator('[data-verdict]');
    await expect
      .poll(() => verdict.getAttribute('data-verdict'), { timeout: 30_000 })
      .toBe('refused');
    await expect(verdict.getAttribute('aria-live')).resolves.toBe('polite');
    await expect(verdict.textContent()).resolves.toBe(
      fillTemplate(en.offlineCash.receive.refused, { reason: en.offlineCash.reason.malformed }),
    );
    expect(await status(holders.bob)).toEqual(before);
    await shot(page, '5-tampered-refused');
  }, 60_000);

  it('Bob scans the payment (FAKE camera): accepted at once, pending apart from the settled balance', async () => {
    const { page } = holders.bob;
    showToCamera(paymentParts);
    const payment = page.getByRole('region', { name: en.offlineCash.receive.paymentTitle });
    await payment.getByRole('button', { name: en.offlineCash.receive.scan }).click();
    const verdict = payment.locator('[data-verdict]');
    await expect
      .poll(() => verdict.getAttribute('data-verdict'), { timeout: 30_000 })
      .toBe('accepted');
    await expect(verdict.textContent()).resolves.toBe(
      fillTemplate(en.offlineCash.receive.accepted, { amount: '12.34', pending: '12.34' }),
    );
    await settle(page);
    expect(await incomeFacts(page)).toMatchObject({
      [en.offlineCash.income.settled]: '70.00',
      [en.offlineCash.income.pending]: '12.34 (1 payment not yet settled)',
    });
    const held = await status(holders.bob);
    expect(held.vouchers.filter((v) => v.direction === 'received')).toHaveLength(1);
    await shot(page, '6-accepted');
    await expectAccessible(page, 'payment accepted (en)');

    // The same payment again: held already, nothing changes.
    await payment.getByLabel(en.offlineCash.receive.file).setInputFiles({
      name: 'again.signet-payment',
      mimeType: 'application/json',
      buffer: Buffer.from(paymentFile),
    });
    await expect
      .poll(() => verdict.textContent())
      .toBe(fillTemplate(en.offlineCash.receive.alreadyHeld, { amount: '12.34' }));
    expect(await status(holders.bob)).toEqual(held);
  }, 60_000);

  it('a second payment by file: a tampered file is refused and stores nothing; the real one is accepted', async () => {
    const bob = holders.bob.page;
    const alice = holders.alice.page;
    const pay = alice.getByRole('region', { name: en.offlineCash.pay.title });
    const askFile = async (amount: string) => {
      await bob.getByRole('button', { name: en.offlineCash.receive.another }).click();
      const form = bob.getByRole('form', { name: en.offlineCash.receive.formLabel });
      await form.getByLabel(en.offlineCash.receive.amount).fill(amount);
      await form.getByRole('button', { name: en.offlineCash.receive.ask }).click();
      const request = bob.getByRole('region', { name: en.offlineCash.receive.requestTitle });
      return download(bob, request.getByRole('link', { name: en.offlineCash.receive.save }));
    };

    // Over the purse's cap (20.00): refused in one line before any PIN, nothing signed.
    const tooMuch = await askFile('25.00');
    const aliceBefore = await status(holders.alice);
    await pay.getByLabel(en.offlineCash.pay.file).setInputFiles({
      name: tooMuch.name,
      mimeType: 'application/json',
      buffer: Buffer.from(tooMuch.text),
    });
    await expect
      .poll(() => pay.getByRole('alert').allTextContents())
      .toEqual([en.offlineCash.limit['over-cap']]);
    await expect(alice.getByRole('dialog').count()).resolves.toBe(0);
    expect(await status(holders.alice)).toEqual(aliceBefore);

    const requestFile = await askFile('5');
    await pay.getByLabel(en.offlineCash.pay.file).setInputFiles({
      name: requestFile.name,
      mimeType: 'application/json',
      buffer: Buffer.from(requestFile.text),
    });
    const review = alice.locator('dl[data-review="payment"]');
    await review.waitFor();
    expect(await factsOf(review)).toMatchObject({
      [en.offlineCash.pay.amount]: '5.00',
      [en.offlineCash.pay.counter]: '2 of 5',
    });
    await pay.getByRole('button', { name: en.offlineCash.pay.button, exact: true }).click();
    await enterPin(alice, en.offlineCash.pay.pinTitle);
    const paid = alice.getByRole('region', { name: en.offlineCash.pay.paidTitle });
    const secondFile = await download(
      alice,
      paid.getByRole('link', { name: en.offlineCash.pay.save }),
    );
    expect(secondFile.name).toMatch(/\.signet-payment$/);

    // The amount raised in the file: the purse's signature no longer covers it.
    const before = await status(holders.bob);
    const raised = JSON.parse(secondFile.text);
    raised.voucher.amount = String(SECOND * 10n);
    raised.voucher.cumulative = String(FIRST + SECOND * 10n);
    tampered = raised;
    const payment = bob.getByRole('region', { name: en.offlineCash.receive.paymentTitle });
    const verdict = payment.locator('[data-verdict]');
    await payment.getByLabel(en.offlineCash.receive.file).setInputFiles({
      name: 'tampered.signet-payment',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(tampered)),
    });
    await expect
      .poll(() => verdict.textContent())
      .toBe(
        fillTemplate(en.offlineCash.receive.refused, {
          reason: en.offlineCash.reason['voucher-signature'],
        }),
      );
    await expect(bob.getByRole('alert').count()).resolves.toBe(0);
    expect(await status(holders.bob)).toEqual(before);

    await payment.getByLabel(en.offlineCash.receive.file).setInputFiles({
      name: secondFile.name,
      mimeType: 'application/json',
      buffer: Buffer.from(secondFile.text),
    });
    await expect
      .poll(() => verdict.textContent())
      .toBe(fillTemplate(en.offlineCash.receive.accepted, { amount: '5.00', pending: '17.34' }));
    await settle(bob);
    expect(await incomeFacts(bob)).toMatchObject({
      [en.offlineCash.income.settled]: '70.00',
      [en.offlineCash.income.pending]: '17.34 (2 payments not yet settled)',
    });
    // Offline all along: nothing reached the chain yet.
    expect(await rawBalance(holders.bob.key.address)).toBe(FUNDED - LOCKED_BOB);
  }, 120_000);

  it('still offline, Bob pays Alice 3.00 back by QR: her screen accepts it', async () => {
    const alice = holders.alice.page;
    const bob = holders.bob.page;
    const ask = alice.getByRole('form', { name: en.offlineCash.receive.formLabel });
    await ask.getByLabel(en.offlineCash.receive.amount).fill('3.00');
    await ask.getByRole('button', { name: en.offlineCash.receive.ask }).click();
    const request = alice.getByRole('region', { name: en.offlineCash.receive.requestTitle });
    showToCamera(await readShownQr(request, en.offlineCash.receive.qrLabel));

    const pay = bob.getByRole('region', { name: en.offlineCash.pay.title });
    await pay.getByRole('button', { name: en.offlineCash.pay.scan }).click();
    const review = bob.locator('dl[data-review="payment"]');
    await review.waitFor({ timeout: 30_000 });
    expect(await factsOf(review)).toMatchObject({
      [en.offlineCash.pay.payee]: holders.alice.key.address,
      [en.offlineCash.pay.amount]: '3.00',
      [en.offlineCash.pay.leftAfter]: '2 payments, up to 27.00 in all',
      [en.offlineCash.pay.counter]: '1 of 3',
    });
    await pay.getByRole('button', { name: en.offlineCash.pay.button, exact: true }).click();
    await enterPin(bob, en.offlineCash.pay.pinTitle);
    const paid = bob.getByRole('region', { name: en.offlineCash.pay.paidTitle });
    showToCamera(await readShownQr(paid, en.offlineCash.pay.qrLabel));

    const payment = alice.getByRole('region', { name: en.offlineCash.receive.paymentTitle });
    await payment.getByRole('button', { name: en.offlineCash.receive.scan }).click();
    const verdict = payment.locator('[data-verdict]');
    await expect
      .poll(() => verdict.getAttribute('data-verdict'), { timeout: 30_000 })
      .toBe('accepted');
    await expect(verdict.textContent()).resolves.toBe(
      fillTemplate(en.offlineCash.receive.accepted, { amount: '3.00', pending: '3.00' }),
    );
    await settle(alice);
    expect(await incomeFacts(alice)).toMatchObject({
      [en.offlineCash.income.settled]: '50.00',
      [en.offlineCash.income.pending]: '3.00 (1 payment not yet settled)',
    });
  }, 120_000);

  it('back online, Bob settles (PIN) and syncs: the settled balances are exact on chain', async () => {
    useChain(holders.alice, true);
    useChain(holders.bob, true);
    const { page } = holders.bob;
    await openCash(page);
    await page.getByLabel(en.offlineCash.settle.via).selectOption('own');
    // The two payments he received, and the one his purse made to Alice.
    await settleOwn(page, { submitted: '3', settled: '0' });
    await syncNow(page);
    const bobSettled = FUNDED - LOCKED_BOB + FIRST + SECOND;
    const aliceSettled = FUNDED - LOCKED + BACK;
    expect(await rawBalance(holders.bob.key.address)).toBe(bobSettled);
    expect(await rawBalance(holders.alice.key.address)).toBe(aliceSettled);
    await openCash(page);
    expect(await incomeFacts(page)).toMatchObject({
      [en.offlineCash.income.settled]: shown(bobSettled),
      [en.offlineCash.income.pending]: '0.00 (0 payments not yet settled)',
    });
    expect(await purseFacts(page)).toMatchObject({ [en.offlineCash.purse.balance]: '27.00' });

    // Settling again sends nothing and pays nothing twice; nor does Alice's settle.
    await settleOwn(page, { submitted: '0', settled: '\\d+' });
    const alice = holders.alice.page;
    await syncNow(alice);
    await openCash(alice);
    await settleOwn(alice, { submitted: '0', settled: '\\d+' });
    await syncNow(page);
    expect(await rawBalance(holders.bob.key.address)).toBe(bobSettled);
    expect(await rawBalance(holders.alice.key.address)).toBe(aliceSettled);
    await openCash(alice);
    expect(await incomeFacts(alice)).toMatchObject({
      [en.offlineCash.income.settled]: shown(aliceSettled),
      [en.offlineCash.income.pending]: '0.00 (0 payments not yet settled)',
    });
    await shot(page, '7-settled');
  }, 180_000);

  it('shows the screen in Chinese with no English left, and no serious axe violation', async () => {
    for (const holder of Object.values(holders)) {
      const { page } = holder;
      await page.locator('.lang select').selectOption('zh-CN');
      await openCash(page, zhCN.offlineCash.title);
      await page.locator('dl[data-income]').waitFor();
      const allowed = [...latinWordsOf(zhCN, /\p{Script=Han}/u), 'Signet', holder.name];
      expect(await latinText(page, ['main', 'nav'], allowed)).toEqual([]);
      await shot(page, `8-zh-CN-${holder.name}`);
      await expectAccessible(page, `offline cash (zh-CN, ${holder.name})`);
    }
    // Bob's request form and its QR code in Chinese.
    const { page } = holders.bob;
    const form = page.getByRole('form', { name: zhCN.offlineCash.receive.formLabel });
    if ((await form.count()) === 0)
      await page.getByRole('button', { name: zhCN.offlineCash.receive.another }).click();
    await form.getByLabel(zhCN.offlineCash.receive.amount).fill('1.00');
    await form.getByRole('button', { name: zhCN.offlineCash.receive.ask }).click();
    await page.getByRole('img', { name: zhCN.offlineCash.receive.qrLabel }).waitFor();
    // The tampered payment again: the refusal says which check failed, in Chinese.
    const before = await status(holders.bob);
    const payment = page.getByRole('region', { name: zhCN.offlineCash.receive.paymentTitle });
    await payment.getByLabel(zhCN.offlineCash.receive.file).setInputFiles({
      name: 'tampered.signet-payment',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(tampered)),
    });
    await expect
      .poll(() => payment.locator('[data-verdict]').textContent())
      .toBe(
        fillTemplate(zhCN.offlineCash.receive.refused, {
          reason: zhCN.offlineCash.reason['voucher-signature'],
        }),
      );
    expect(await status(holders.bob)).toEqual(before);
    const allowed = [...latinWordsOf(zhCN, /\p{Script=Han}/u), 'Signet', 'bob'];
    expect(await latinText(page, ['main'], allowed)).toEqual([]);
    await expectAccessible(page, 'payment request (zh-CN)');
    for (const holder of Object.values(holders))
      await holder.page.locator('.lang select').selectOption('en');
  }, 60_000);

  it('ran with no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
