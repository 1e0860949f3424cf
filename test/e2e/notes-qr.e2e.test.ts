/**
 * A finance offer handed over as a QR code, in Chromium, through the bridge,
 * against the dev ledger and SoftHSM2 keys. The holder signs an offer: it is
 * shown as text and as a QR code holding exactly that text. The bank scans it
 * with a FAKE camera (Chromium plays a Y4M file written by
 * test/support/fake-camera.ts as its camera: there is no camera on this
 * machine), reviews the finance transaction, signs it, and holds the note. A QR
 * code that is not an offer is refused in one line and queues nothing; with no
 * camera at all the form says so in one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsqr from 'jsqr';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { fakeCameraArgs, writeFakeCameraVideo } from '../support/fake-camera.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  launchChromium,
  openScreen as openScreenOf,
  openUiPage,
  screenshotDir,
  settle as settlePage,
} from '../support/ui-harness.js';
import { factsOf, notePortfolio, signWithPin, syncNow } from '../support/ui-steps.js';
import { PIN, useWallet } from '../support/wallet-fixture.js';

// Globals of the page, for the callbacks Chromium runs: the root tsconfig is Node-only on purpose.
declare const window: any;
declare const document: any;
declare const navigator: any;
declare const Image: any;

// jsqr is CommonJS typed as an ES module: under NodeNext its function is the default's `default`.
const jsQR = jsqr.default;

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-notes-qr-dist-'));
const scratch = mkdtempSync(join(tmpdir(), 'signet-fake-camera-'));
/** What the FAKE camera shows: rewritten before each scan (Chromium reads it when the camera opens). */
const cameraFile = join(scratch, 'fake-camera.y4m');

// The acceptor (debtor) issues a note to the holder, who offers it to the bank.
const w = useWallet(['acceptor', 'holder', 'bank']);
const json = w.json;

let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** The offer file's text as the holder's result shows it. */
let offerText = '';
/** The outbox once the note is issued: the offer and a refused scan must leave it as it is. */
let issuedOutbox: unknown;

const _settle = () => settlePage(page);
const _openScreen = (id: string, heading: string) => openScreenOf(page, id, heading);
const shot = (name: string, on: Page = page) =>
  on.screenshot({ path: join(screenshotDir, `notes-qr-${name}.png`) });
const runAxe = (label: string) => expectAccessible(page, label);

/**
 * Records every camera stream the page opens (window.cameraStreams), so a test
 * can tell whether all their tracks were stopped.
 */
async function recordCameraStreams(on: Page): Promise<void> {
  await on.evaluate(() => {
    if (window.cameraStreams) return;
    window.cameraStreams = [];
    const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints: unknown) => {
      const stream = await open(constraints);
      window.cameraStreams.push(stream);
      return stream;
    };
  });
}
/** How many camera streams the page opened, and how many of their tracks are still live. */
const cameraState = (on: Page = page): Promise<{ streams: number; live: number }> =>
  on.evaluate(() => ({
    streams: window.cameraStreams.length,
    live: window.cameraStreams
      .flatMap((stream: any) => stream.getTracks())
      .filter((track: any) => track.readyState === 'live').length,
  }));

/**
 * The text of the QR code `element` shows, decoded by jsQR in Node from a
 * screenshot of it (its pixels read back on a blank page: the app's CSP would
 * refuse the screenshot as a data: image).
 */
async function decodeShownQr(element: Locator): Promise<string | null> {
  const png = (await element.screenshot()).toString('base64');
  const blank = await browser.newPage();
  try {
    const image = await blank.evaluate(async (base64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${base64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d');
      context.drawImage(img, 0, 0);
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      return { width: canvas.width, height: canvas.height, pixels: Array.from(data as number[]) };
    }, png);
    return jsQR(Uint8ClampedArray.from(image.pixels), image.width, image.height)?.data ?? null;
  } finally {
    await blank.close();
  }
}

/** The bank's "Accept a finance offer" form, with its account chosen. */
async function openAcceptForm(on: Page = page): Promise<Locator> {
  await on.getByRole('button', { name: 'Accept a finance offer' }).click();
  const form = on.getByRole('form', { name: 'Accept a finance offer' });
  await form.getByLabel('Bank account').selectOption(w.keys.bank!.uri);
  return form;
}

beforeAll(async () => {
  buildRenderer(dist);
  for (const [name, amount] of [
    ['acceptor', '1000.00'],
    ['holder', '1.00'],
    ['bank', '400.00'],
  ] as const) {
    await json(['ledger', 'fund', '--account', w.keys[name]!.address, '--amount', amount]);
  }
  await json(['sync']);
  const now = Number(await w.ledger.now());
  const maturity = new Date((now + 60 * 86_400) * 1000).toISOString().slice(0, 10);
  await json([
    'note',
    'issue',
    '--from',
    w.keys.acceptor!.uri,
    '--to',
    w.keys.holder!.address,
    '--amount',
    '300.00',
    '--maturity',
    maturity,
    '--pin-file',
    w.pin,
  ]);
  await json(['sync']);
  issuedOutbox = await json(['outbox']);
  expect(issuedOutbox).toMatchObject([
    { kind: 'note-issue', status: 'confirmed' },
    { kind: 'approve', status: 'confirmed' },
  ]);
  app = createAppApi({ home: w.home, env: w.env });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  // The browser is launched with the camera file's path; the file shows white until a test writes a QR code.
  writeFakeCameraVideo(cameraFile, null);
  browser = await launchChromium(fakeCameraArgs(cameraFile));
  page = await openUiPage(browser, bridge.url, pageErrors);
  await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
  await recordCameraStreams(page);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  rmSync(dist, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('a finance offer handed over as a QR code (FAKE camera), in Chromium', () => {
  it('the holder signs an offer: shown as text and as a QR code of exactly that text', async () => {
    expect(await notePortfolio(page)).toEqual([[w.keys.holder!.address, '300.00']]);
    const row = page.locator('tr[data-note]');
    const tokenId = (await row.getAttribute('data-note'))!;
    await row.getByRole('button', { name: `Finance note ${tokenId}` }).click();
    const form = page.getByRole('form', { name: `Finance note ${tokenId}` });
    await form.getByLabel('Bank address').fill(w.keys.bank!.address);
    await form.getByLabel('Price').fill('295.00');
    await form.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('region', { name: 'Signed message (EIP-712 FinanceOffer)' }).waitFor();
    await signWithPin(page, PIN, `Sign: Finance note ${tokenId}`, 'Finance offer signed');

    offerText = await page.getByRole('textbox', { name: 'Finance offer signed' }).inputValue();
    expect(JSON.parse(offerText)).toMatchObject({
      type: 'signet-finance-offer',
      holder: w.keys.holder!.address,
      offer: { tokenId, value: '30000', price: '29500', bank: w.keys.bank!.address },
    });
    const qr = page.getByRole('img', { name: 'QR code of the finance offer' });
    await expect(qr.isVisible()).resolves.toBe(true);
    await expect(
      page.getByText('Or let the bank scan this QR code: it holds the same offer.').isVisible(),
    ).resolves.toBe(true);
    expect(await decodeShownQr(qr)).toBe(offerText);
    await shot('1-offer-qr');
    await runAxe('finance offer with its QR code');
    await page.getByRole('button', { name: 'Back to the notes' }).click();
    expect(await json(['outbox'])).toEqual(issuedOutbox);
  }, 60_000);

  it('a QR code that is not an offer is refused in one line while the camera runs; Cancel stops the camera, nothing queued', async () => {
    writeFakeCameraVideo(cameraFile, '{"type":"not an offer","hello":"bank"}');
    const form = await openAcceptForm();
    await form.getByRole('button', { name: 'Scan the offer’s QR code' }).click();
    const camera = form.getByLabel('Camera: the offer’s QR code');
    await camera.waitFor();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    await expect(alert.allTextContents()).resolves.toEqual(['This is not a Signet finance offer.']);
    // It goes on scanning: the camera is live and the field untouched.
    await expect(camera.isVisible()).resolves.toBe(true);
    await expect(cameraState()).resolves.toEqual({ streams: 1, live: 1 });
    await expect(form.getByLabel('Offer file (JSON)').inputValue()).resolves.toBe('');
    await form.getByRole('button', { name: 'Cancel the scan' }).scrollIntoViewIfNeeded();
    await shot('2-scanning-not-an-offer');
    await runAxe('accept form while scanning');

    await form.getByRole('button', { name: 'Cancel the scan' }).click();
    await camera.waitFor({ state: 'detached' });
    await expect(cameraState()).resolves.toEqual({ streams: 1, live: 0 });
    await expect(form.getByRole('alert').count()).resolves.toBe(0);
    await expect(form.getByLabel('Offer file (JSON)').inputValue()).resolves.toBe('');
    expect(await json(['outbox'])).toEqual(issuedOutbox);
  }, 60_000);

  it('the bank scans the offer’s QR code: the field fills, the camera stops; review, sign, and the bank holds the note', async () => {
    writeFakeCameraVideo(cameraFile, offerText);
    const form = page.getByRole('form', { name: 'Accept a finance offer' });
    await form.getByRole('button', { name: 'Scan the offer’s QR code' }).click();
    await form.getByRole('status').filter({ hasText: 'Offer read from its QR code.' }).waitFor();
    await expect(form.getByLabel('Offer file (JSON)').inputValue()).resolves.toBe(offerText);
    await expect(form.getByLabel('Camera: the offer’s QR code').count()).resolves.toBe(0);
    await expect(cameraState()).resolves.toEqual({ streams: 2, live: 0 });
    await expect(form.getByRole('alert').count()).resolves.toBe(0);
    await form.getByRole('status').scrollIntoViewIfNeeded();
    await shot('3-offer-scanned');

    await form.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('heading', { level: 2, name: 'Review: Accept a finance offer' }).waitFor();
    const offer = JSON.parse(offerText);
    expect(
      await factsOf(page.getByRole('region', { name: 'Transaction 2 of 2' }).locator('dl').first()),
    ).toMatchObject({
      'Contract call': 'finance',
      Contract: `${w.ledger.profile.contracts.notes} note contract`,
    });
    const text = await page.getByRole('region', { name: 'Transaction 2 of 2' }).textContent();
    expect(text).toContain(offer.offer.nonce);
    expect(text).toContain(offer.signature);
    expect(await factsOf(page.locator('main .panel').first().locator('dl').first())).toMatchObject({
      'Signing account': `${w.keys.bank!.address} bank (your account)`,
      'Available afterwards': '105.00',
    });
    await shot('4-accept-review');
    await signWithPin(page, PIN, 'Sign: Accept a finance offer', 'Signed');
    await syncNow(page);
    expect(await notePortfolio(page)).toEqual([[w.keys.bank!.address, '300.00']]);
    await shot('5-bank-holds-the-note');
  }, 60_000);

  it('with no camera at all, Scan says so in one line and nothing else changes', async () => {
    const plain = await launchChromium();
    try {
      const errors: string[] = [];
      const other = await openUiPage(plain, bridge.url, errors);
      await other.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
      await other.click('nav [data-screen="notes"]');
      await settlePage(other);
      const form = await openAcceptForm(other);
      await form.getByLabel('Offer file (JSON)').fill('draft');
      await form.getByRole('button', { name: 'Scan the offer’s QR code' }).click();
      const alert = form.getByRole('alert');
      await alert.waitFor();
      await expect(alert.allTextContents()).resolves.toEqual([
        'No camera was found. Paste the offer or open its file instead.',
      ]);
      await expect(form.locator('video').count()).resolves.toBe(0);
      await expect(form.getByLabel('Offer file (JSON)').inputValue()).resolves.toBe('draft');
      await expect(
        form.getByRole('button', { name: 'Scan the offer’s QR code' }).isVisible(),
      ).resolves.toBe(true);
      await alert.scrollIntoViewIfNeeded();
      await shot('6-no-camera', other);
      expect(errors).toEqual([]);
    } finally {
      await plain.close();
    }
  }, 60_000);

  it('ran with no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
