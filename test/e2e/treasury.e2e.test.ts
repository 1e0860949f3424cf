/**
 * The treasury through the UI, in Chromium, through the browser bridge,
 * against the dev ledger and SoftHSM2 keys (issue 11 §6). A 2-of-3 treasury is
 * created on the Treasury screen (owners: this wallet's account A, and B and a
 * third owner by typed address) and deployed where the screen predicted;
 * funded with the dev faucet; a payment is proposed. Approver B works on a
 * second app instance with a data folder of its own and NO ledger profile
 * (air-gapped): it scans the bundle's animated QR code with a FAKE camera
 * (Chromium plays a Y4M file of the real bundle's `ur:` parts, written by
 * test/support/fake-camera.ts: there is no camera on this machine), sees the
 * fragments come in, reviews, approves with its token PIN and saves the file.
 * A opens that file, approves too and executes; the payee's balance is read on
 * chain over raw JSON-RPC, paid exactly once. Refusals (a foreign QR code, a
 * damaged bundle, another proposal's bundle) are one line and change nothing.
 * The animated display cycles distinct parts, and its density control changes
 * how many fragments there are. axe on the screen in English and Chinese.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsqr from 'jsqr';
import type { Browser, Download, Locator, Page } from 'playwright-core';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { activeProfilePath, writeActiveProfile } from '../../core/chain/profile-file.js';
import { signet } from '../support/cli.js';
import {
  fakeCameraArgs,
  writeFakeCameraSequence,
  writeFakeCameraVideo,
} from '../support/fake-camera.js';
import { softhsmModule } from '../support/softhsm.js';
import { registeredPayees } from '../support/treasury.js';
import { rawCurrencyBalance, rawRpc } from '../support/treasury-cli.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  launchChromium,
  openScreen,
  openUiPage,
  screenshotDir,
  settle,
} from '../support/ui-harness.js';
import { factsOf, syncNow } from '../support/ui-steps.js';
import { PIN, useWallet } from '../support/wallet-fixture.js';

// Globals of the page, for the callbacks Chromium runs: the root tsconfig is Node-only on purpose.
declare const document: any;
declare const Image: any;

// jsqr is CommonJS typed as an ES module: under NodeNext its function is the default's `default`.
const jsQR = jsqr.default;

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-treasury-dist-'));
const scratch = mkdtempSync(join(tmpdir(), 'signet-treasury-camera-'));
/** What the FAKE camera shows: rewritten before each scan (Chromium reads it when the camera opens). */
const cameraFile = join(scratch, 'fake-camera.y4m');
/** Approver B's machine: its own data folder, no ledger profile. */
const homeB = mkdtempSync(join(tmpdir(), 'signet-approver-b-'));

// A's wallet holds only A's key as an account; B's key is on the same token, an account on B's machine only.
const w = useWallet(['a']);
const envB = () => ({ ...w.env, SIGNET_HOME: homeB });
/** The third owner: an address nobody here holds the key of. */
const OWNER_C = '0x00000000000000000000000000000000000000C3';

let keyB: { uri: string; address: string };
let payee: `0x${string}`;
let appA: AppApi;
let appB: AppApi;
let bridgeA: Bridge;
let bridgeB: Bridge;
let browser: Browser;
let pageA: Page;
let pageB: Page;
const pageErrors: string[] = [];
/** The treasury's address as the create form predicted it. */
let predicted = '';
/** The proposal's bundle as A's workspace saved it (unsigned), and B's with its approval. */
let proposed = '';
let approvedByB = '';

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(screenshotDir, `treasury-${name}.png`), fullPage: true });

/** Presses `button` and reads the file the page downloads: its suggested name and text. */
async function download(page: Page, link: Locator): Promise<{ name: string; text: string }> {
  const [file] = (await Promise.all([page.waitForEvent('download'), link.click()])) as [
    Download,
    unknown,
  ];
  const path = await file.path();
  return { name: file.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

/** Types the PIN into the dialog `title` and waits for it to close. */
async function enterPin(page: Page, title: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor();
  await dialog.getByLabel('PIN', { exact: true }).fill(PIN);
  await dialog.getByRole('button', { name: 'Unlock' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/** The review's list of facts, label → value. */
const reviewFacts = (page: Page) => factsOf(page.locator('dl[data-review="proposal"]'));

/** The text of the QR code `element` shows, decoded by jsQR from a screenshot of it. */
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

/**
 * The treasury screen in `page`'s language (English unless switched), back at its
 * list: the screen keeps its place (a treasury, a bundle) while open.
 */
async function openTreasury(page: Page, heading = 'Treasury', back = 'Back to the treasuries') {
  await openScreen(page, 'treasury', heading);
  const button = page.getByRole('button', { name: back });
  if ((await button.count()) > 0) {
    await button.click();
    await settle(page);
  }
}

beforeAll(async () => {
  buildRenderer(dist);
  await w.json(['ledger', 'fund', '--account', w.keys.a!.address, '--amount', '10.00']);
  await w.json(['sync']);
  [payee] = (await registeredPayees(w.ledger, 1)) as [`0x${string}`];

  // B's key on the same token, made an account on B's machine only; then B's profile goes.
  const token = (await w.json(['tokens', '--module', softhsmModule])).find(
    (t: { label: string }) => t.label === 'Wallet',
  ).uri as string;
  keyB = await w.json([
    ...['key', 'generate', '--token', token, '--curve', 'secp256k1', '--label', 'b'],
    ...['--pin-file', w.pin],
  ]);
  writeActiveProfile(w.ledger.profile, envB());
  const added = await signet(
    ['account', 'add', '--key', keyB.uri, '--name', 'b', '--pin-file', w.pin],
    { env: envB() },
  );
  if (added.code !== 0) throw new Error(added.stderr);
  rmSync(activeProfilePath(envB()));

  appA = createAppApi({ home: w.home, env: w.env });
  appB = createAppApi({ home: homeB, env: envB() });
  bridgeA = await startBridge({ dispatch: appA.dispatch, staticDir: dist });
  bridgeB = await startBridge({ dispatch: appB.dispatch, staticDir: dist });
  writeFakeCameraVideo(cameraFile, null);
  browser = await launchChromium(fakeCameraArgs(cameraFile));
  pageA = await openUiPage(browser, bridgeA.url, pageErrors);
  pageB = await openUiPage(browser, bridgeB.url, pageErrors);
  await pageA.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
  await pageB.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bridgeA?.close();
  await bridgeB?.close();
  appA?.close();
  appB?.close();
  rmSync(dist, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
  rmSync(homeB, { recursive: true, force: true });
});

describe('a 2-of-3 treasury through the UI, one approver air-gapped with a FAKE camera', () => {
  it('creates the treasury in the UI: deployed at the address the screen predicted', async () => {
    await openTreasury(pageA);
    await expect(pageA.getByRole('status').filter({ hasText: 'Online:' }).count()).resolves.toBe(1);
    await pageA.getByRole('button', { name: 'Create a treasury' }).click();
    const form = pageA.getByRole('form', { name: 'Create a treasury' });
    await form.getByLabel('Name', { exact: true }).fill('ops');
    await form.getByRole('checkbox', { name: new RegExp(w.keys.a!.address) }).check();
    await form.getByLabel('Other owners’ addresses').fill(`${keyB.address}\n${OWNER_C}`);
    await form.getByLabel('Approvals needed').fill('2');
    await form.getByLabel('Account that deploys it').selectOption(w.keys.a!.uri);
    // Before Create: the predicted address, the owners as the Safe stores them (named), M of N.
    const shown = form.getByRole('region', { name: 'The treasury you create' });
    await shown.locator('[data-predicted-before]').waitFor();
    predicted =
      (await shown.locator('[data-predicted-before]').getAttribute('data-predicted-before')) ?? '';
    expect(predicted).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const before = await factsOf(shown.locator('dl[data-prediction]'));
    expect(before).toMatchObject({
      'Predicted address': predicted,
      'Approvals needed': '2 of 3 owners',
    });
    expect(before['Owners, as the Safe stores them']).toContain(
      `${getAddress(w.keys.a!.address)} a (your account)`,
    );
    expect(before['Owners, as the Safe stores them']).toContain(getAddress(keyB.address));
    expect(before['Owners, as the Safe stores them']).toContain(getAddress(OWNER_C));
    expect(before['Deployed by']).toContain(`${getAddress(w.keys.a!.address)} a (your account)`);
    await shot(pageA, '1-create-form');
    await expectAccessible(pageA, 'treasury create form (en)');
    await form.getByRole('button', { name: 'Create' }).click();
    await enterPin(pageA, 'Deploy the treasury');
    await pageA.getByRole('heading', { level: 2, name: 'Treasury created' }).waitFor();
    // Created where it was shown before Create was pressed.
    await expect(pageA.locator('[data-predicted]').getAttribute('data-predicted')).resolves.toBe(
      predicted,
    );

    await syncNow(pageA);
    // Deployed where predicted: code at that address, read over raw JSON-RPC.
    const code = await rawRpc<string>(w.ledger.url, 'eth_getCode', [predicted, 'latest']);
    expect(code.length).toBeGreaterThan(2);
    await w.json(['ledger', 'fund', '--account', predicted, '--amount', '500.00']);

    await openTreasury(pageA);
    await pageA.getByRole('button', { name: 'Open treasury ops' }).click();
    await settle(pageA);
    const facts = await factsOf(pageA.locator('dl[data-treasury-facts]'));
    expect(facts).toMatchObject({
      Address: predicted,
      'Approvals needed': '2 of 3 owners',
      'On the ledger': 'Deployed',
      Nonce: '0',
      Balance: '500.00',
    });
    expect(facts.Owners).toContain(`${w.keys.a!.address} a (your account)`);
    expect(facts.Owners).toContain(keyB.address);
    await shot(pageA, '2-treasury');
  }, 120_000);

  it('proposes a payment: the bundle shows decoded, unsigned, with the hash the keys sign', async () => {
    const form = pageA.getByRole('form', { name: 'Propose a payment' });
    await form.getByLabel('Pay to').fill(payee);
    await form.getByLabel('Amount').fill('120.00');
    await form.getByLabel('Description').fill('Invoice 42');
    await form.getByRole('button', { name: 'Propose' }).click();
    await pageA.getByRole('heading', { level: 2, name: 'Approval bundle' }).waitFor();
    const facts = await reviewFacts(pageA);
    expect(facts).toMatchObject({
      Chain: String(w.ledger.profile.chainId),
      Nonce: '0',
      Description: 'Invoice 42',
      'What it does': 'Payment',
      Amount: '120.00',
      Approvals: '0 of 2 needed',
    });
    expect(facts.Treasury).toContain(predicted);
    expect(facts.To).toContain(payee);
    expect(facts['Hash the keys sign (safeTxHash)']).toMatch(/^0x[0-9a-f]{64}$/);
    // A's key is an owner still to approve; a node is reachable but the threshold is not met.
    await expect(pageA.getByLabel('Owner key').inputValue()).resolves.toBe(w.keys.a!.uri);
    await expect(
      pageA.getByText('0 of 2 approvals so far: it executes once enough owners approved.').count(),
    ).resolves.toBe(1);

    const saved = await download(
      pageA,
      pageA.getByRole('link', { name: 'Save the bundle as a file' }),
    );
    expect(saved.name).toBe(`${predicted}-0.signet-approval`);
    proposed = saved.text;
    const reviewed = await appA.dispatch('treasury.review', { bundle: proposed });
    expect(reviewed).toMatchObject({
      ok: true,
      result: { review: { approvals: [], nonce: '0', safe: predicted } },
    });
    await shot(pageA, '3-proposal');
  }, 60_000);

  it('shows the bundle as an animated QR code: distinct parts cycle; density changes the fragments', async () => {
    await pageA.getByRole('button', { name: 'Show as an animated QR code' }).click();
    const region = pageA.getByRole('region', { name: 'Animated QR code' });
    const qr = region.getByRole('img', { name: 'QR code: a part of the approval bundle' });
    await qr.waitFor();
    await region.getByLabel('Speed (frames per second)').selectOption('8');
    const fragmentsAt = async () =>
      Number(await region.locator('[data-fragments]').getAttribute('data-fragments'));
    const at200 = await fragmentsAt();
    expect(at200).toBeGreaterThanOrEqual(1);

    // The smallest density: several fragments, and the frames go round them.
    await region.getByLabel('Density (bytes per fragment)').selectOption('100');
    await expect.poll(fragmentsAt).toBeGreaterThan(at200);
    const at100 = await fragmentsAt();
    const seen = new Set<string>();
    const captions = new Set<string>();
    for (let i = 0; i < 20 && seen.size < 3; i++) {
      seen.add((await qr.locator('path').getAttribute('d')) ?? '');
      captions.add((await region.locator('[data-frame]').textContent()) ?? '');
      await pageA.waitForTimeout(130);
    }
    expect(seen.size).toBeGreaterThanOrEqual(Math.min(3, at100));
    for (const caption of captions) expect(caption).toMatch(/^Frame \d+ of \d+$/);
    expect(captions.size).toBeGreaterThan(1);

    // Paused, the shown code is a real part of this bundle's UR sequence.
    await region.getByRole('button', { name: 'Pause' }).click();
    const text = await decodeShownQr(qr);
    expect(text).toMatch(/^ur:x-signet-approval\/\d+-\d+\//);
    await shot(pageA, '4-animated-qr');
    await expectAccessible(pageA, 'bundle workspace with the animated QR code (en)');
    await region.getByLabel('Density (bytes per fragment)').selectOption('400');
    await expect.poll(fragmentsAt).toBeLessThanOrEqual(at200);
  }, 60_000);

  it('B, air-gapped with no ledger profile: a foreign QR code is refused in one line, nothing changes', async () => {
    await openTreasury(pageB);
    await expect(
      pageB.getByRole('status').filter({ hasText: 'Air-gapped: no ledger is selected.' }).count(),
    ).resolves.toBe(1);
    await expect(pageB.getByRole('switch', { name: 'Air-gapped' }).isChecked()).resolves.toBe(true);
    writeFakeCameraVideo(cameraFile, 'https://example.com/not-a-bundle');
    await pageB.getByRole('button', { name: 'Scan an animated QR code' }).click();
    const scan = pageB.getByRole('region', { name: 'Scanning' });
    const alert = scan.getByRole('alert');
    await alert.waitFor();
    await expect(alert.allTextContents()).resolves.toEqual([
      'This QR code is not part of a Signet approval bundle.',
    ]);
    await expect(scan.getByRole('progressbar').getAttribute('aria-valuenow')).resolves.toBe('0');
    await expect(scan.locator('[data-scan-progress]').textContent()).resolves.toBe(
      'Waiting for the first fragment…',
    );
    await shot(pageB, '5-foreign-qr');
    await scan.getByRole('button', { name: 'Cancel the scan' }).click();
    await scan.waitFor({ state: 'detached' });
  }, 60_000);

  it('B scans the animated QR code (FAKE camera): n of m fragments, then the review; approves with its PIN and saves', async () => {
    // The real bundle's parts at 50 bytes each (several fragments to count), held 4 video frames each.
    const qr = await appA.dispatch('treasury.qrParts', { bundle: proposed, fragmentBytes: 50 });
    expect(qr.ok).toBe(true);
    const { fragments, parts } = (qr as { result: { fragments: number; parts: string[] } }).result;
    expect(fragments).toBeGreaterThan(2);
    writeFakeCameraSequence(cameraFile, parts, 4);

    const started = Date.now();
    await pageB.getByRole('button', { name: 'Scan an animated QR code' }).click();
    const scan = pageB.getByRole('region', { name: 'Scanning' });
    const progress = scan.locator('[data-scan-progress]');
    const seen = new Set<string>();
    const review = pageB.locator('dl[data-review="proposal"]');
    for (let i = 0; i < 400 && (await review.count()) === 0; i++) {
      // allTextContents does not wait: the scanner goes as soon as the bundle is whole.
      for (const text of await progress.allTextContents()) seen.add(text);
      await pageB.waitForTimeout(50);
    }
    await review.waitFor();
    console.info(
      `scan: ${fragments} fragments of 50 bytes, ${parts.length} parts on a loop at 2.5 a second; whole after ${Date.now() - started} ms; progress seen: ${[...seen].join(' | ')}`,
    );
    const partial = [...seen].filter((s) => /^\d+ of \d+ fragments received$/.test(s));
    expect(partial.length, `progress seen: ${[...seen].join(' | ')}`).toBeGreaterThan(0);
    for (const line of partial) {
      const [, received, needed] = /^(\d+) of (\d+)/.exec(line)!;
      expect(Number(needed)).toBe(fragments);
      expect(Number(received)).toBeLessThanOrEqual(fragments);
    }
    await expect(
      pageB.getByRole('status').filter({ hasText: 'Bundle read from its QR codes.' }).count(),
    ).resolves.toBe(1);

    const facts = await reviewFacts(pageB);
    expect(facts).toMatchObject({
      Nonce: '0',
      Description: 'Invoice 42',
      'What it does': 'Payment',
      Amount: '120.00',
      Approvals: '0 of 2 needed',
    });
    expect(facts.To).toContain(payee);
    expect(facts.Treasury).toContain(predicted);
    await expect(
      pageB
        .getByText('Execution needs a node: open the bundle on a machine that is online.')
        .count(),
    ).resolves.toBe(0); // not met yet: the threshold line shows instead
    await shot(pageB, '6-scanned-review');
    await expectAccessible(pageB, 'air-gapped review (en)');

    await pageB.getByLabel('Owner key').selectOption(keyB.uri);
    await pageB.getByRole('button', { name: 'Approve with this key' }).click();
    await enterPin(pageB, 'Approve the proposal');
    await pageB
      .getByRole('status')
      .filter({ hasText: `Approved by ${keyB.address}` })
      .waitFor();
    expect(await reviewFacts(pageB)).toMatchObject({ Approvals: '1 of 2 needed' });
    await expect(
      pageB.getByText('None of this wallet’s keys is an owner still to approve.').count(),
    ).resolves.toBe(1);
    const saved = await download(
      pageB,
      pageB.getByRole('link', { name: 'Save the bundle as a file' }),
    );
    expect(saved.name).toBe(`${predicted}-0.signet-approval`);
    approvedByB = saved.text;
    expect(approvedByB).not.toBe(proposed);
    // Still no profile on B's machine: it approved with nothing but the bundle and its token.
    expect(() => readFileSync(activeProfilePath(envB()))).toThrow();
    await shot(pageB, '7-approved-by-b');
  }, 120_000);

  it('A opens B’s file; a damaged file and another proposal’s bundle are refused in one line, nothing changes', async () => {
    await openTreasury(pageA);
    await pageA.getByRole('button', { name: 'Open an approval bundle' }).click();
    await pageA.getByLabel('Approval file (.signet-approval)').setInputFiles({
      name: `${predicted}-0.signet-approval`,
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(approvedByB),
    });
    await pageA.locator('dl[data-review="proposal"]').waitFor();
    const before = await reviewFacts(pageA);
    expect(before).toMatchObject({ Approvals: '1 of 2 needed', Amount: '120.00' });
    await expect(
      pageA.locator(`li[data-owner="${keyB.address}"]`).textContent(),
    ).resolves.toContain('approved');

    // A damaged copy: cut short, as a file half copied.
    const damaged = approvedByB.slice(0, Math.floor(approvedByB.length / 2));
    const mergeInput = pageA.getByLabel('Bundle to merge (.signet-approval)');
    await mergeInput.setInputFiles({
      name: 'damaged.signet-approval',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(damaged),
    });
    const alert = pageA.getByRole('alert');
    await alert.waitFor();
    await expect(alert.allTextContents()).resolves.toHaveLength(1);
    await expect(alert.textContent()).resolves.toBe(
      "This approval bundle is damaged or incomplete, or carries a signature that is not an owner's: nothing was changed.",
    );
    expect(await reviewFacts(pageA)).toEqual(before);
    await shot(pageA, '8-damaged-refused');

    // Another proposal (the next nonce) of the same treasury: not merged.
    const other = await appA.dispatch('treasury.propose', {
      treasury: 'ops',
      to: payee,
      amount: '1.00',
      offline: true,
    });
    expect(other.ok).toBe(true);
    await mergeInput.setInputFiles({
      name: 'other.signet-approval',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from((other as { result: { bundle: string } }).result.bundle),
    });
    await expect
      .poll(() => alert.textContent())
      .toBe(
        'These approval bundles are for different proposals, so they were not merged: nothing was changed.',
      );
    await expect(alert.allTextContents()).resolves.toHaveLength(1);
    expect(await reviewFacts(pageA)).toEqual(before);
    expect(await rawCurrencyBalance(w, payee)).toBe(0n);
  }, 60_000);

  it('A approves too and executes: the payee is paid exactly once, on chain', async () => {
    await pageA.getByLabel('Owner key').selectOption(w.keys.a!.uri);
    await pageA.getByRole('button', { name: 'Approve with this key' }).click();
    await enterPin(pageA, 'Approve the proposal');
    await pageA
      .getByRole('status')
      .filter({ hasText: `Approved by ${w.keys.a!.address}` })
      .waitFor();
    expect(await reviewFacts(pageA)).toMatchObject({ Approvals: '2 of 2 needed' });
    await pageA.getByLabel('Account that sends it').selectOption(w.keys.a!.uri);
    await shot(pageA, '9-ready-to-execute');
    await pageA.getByRole('button', { name: 'Execute', exact: true }).click();
    await enterPin(pageA, 'Execute the proposal');
    await pageA
      .getByRole('region', { name: 'Execution' })
      .getByText('The execution is in the outbox.')
      .waitFor();
    // The fully approved bundle, saved before leaving the screen.
    const executed = await download(
      pageA,
      pageA.getByRole('link', { name: 'Save the bundle as a file' }),
    );
    await syncNow(pageA);
    expect(await rawCurrencyBalance(w, payee)).toBe(12_000n);
    expect(await rawCurrencyBalance(w, predicted as `0x${string}`)).toBe(38_000n);

    // The fully approved bundle again, as its review names it: refused (its nonce is used), nothing paid twice.
    const review = await appA.dispatch('treasury.review', { bundle: executed.text });
    const { reviewDigest, approvals } = (
      review as { result: { review: { reviewDigest: string; approvals: string[] } } }
    ).result.review;
    expect(approvals).toHaveLength(2);
    const again = await appA.dispatch('treasury.execute', {
      bundle: executed.text,
      from: w.keys.a!.uri,
      reviewDigest,
    });
    expect(again).toMatchObject({
      ok: false,
      error: { code: 'BUNDLE_MISMATCH', details: { reason: 'nonce' } },
    });
    await syncNow(pageA);
    expect(await rawCurrencyBalance(w, payee)).toBe(12_000n);
    await shot(pageA, '10-executed');
  }, 120_000);

  it('a CSV batch: bad rows are reported one by one and nothing is proposed; good rows become one batch proposal', async () => {
    await openTreasury(pageA);
    await pageA.getByRole('button', { name: 'Open treasury ops' }).click();
    await settle(pageA);
    const form = pageA.getByRole('form', { name: 'Batch payments from a CSV file' });
    const currency = w.ledger.profile.contracts.currency;
    const stranger = '0x000000000000000000000000000000000000dEaD';
    await form.getByLabel('CSV file').setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `token_type,token_address,receiver,amount,id\nerc20,${currency},${payee},1.005,a\nerc20,${currency},${stranger},2.00,b\n`,
      ),
    });
    await form.getByRole('button', { name: 'Check and propose' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    await expect(alert.allTextContents()).resolves.toEqual([
      'This file is not in the expected format.',
    ]);
    const problems = await form
      .getByRole('list', { name: 'Rows refused' })
      .getByRole('listitem')
      .allTextContents();
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^line 2, amount: /);
    expect(problems[1]).toMatch(/^line 3, receiver: .*not a registered account/);
    await shot(pageA, '11-batch-refused');

    await form.getByLabel('CSV file').setInputFiles({
      name: 'good.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `token_type,token_address,receiver,amount,id\nerc20,${currency},${payee},1.50,a\nerc20,${currency},${payee},2.25,b\n`,
      ),
    });
    await form.getByRole('button', { name: 'Check and propose' }).click();
    const result = pageA.getByRole('region', { name: 'Batch proposed' });
    await result.waitFor();
    await expect(result.getByRole('status').textContent()).resolves.toBe(
      '2 payments, 3.75 in all, in 1 proposal(s).',
    );
    // Nonce 0 was paid, nonce 1 is the other proposal still waiting: the batch queues behind it.
    await result.getByRole('button', { name: 'Open the proposal at nonce 2' }).click();
    const facts = await reviewFacts(pageA);
    expect(facts).toMatchObject({
      Nonce: '2',
      'What it does': 'Batch of payments',
      Payments: '2',
      Total: '3.75',
      Approvals: '0 of 2 needed',
    });
    await shot(pageA, '12-batch-review');
    await expectAccessible(pageA, 'batch proposal review (en)');
  }, 60_000);

  it('the air-gapped switch on an online machine: nothing is read from the node, and the screen says so', async () => {
    await openTreasury(pageA);
    const airGapped = pageA.getByRole('switch', { name: 'Air-gapped' });
    await expect(airGapped.isChecked()).resolves.toBe(false);
    await airGapped.check();
    await pageA
      .getByRole('status')
      .filter({ hasText: 'Air-gapped: every treasury call stays on this machine' })
      .waitFor();
    await pageA.getByRole('button', { name: 'Open treasury ops' }).click();
    await settle(pageA);
    const facts = await factsOf(pageA.locator('dl[data-treasury-facts]'));
    expect(facts).toMatchObject({ 'On the ledger': 'Not read: air-gapped', 'Notes held': 'None' });
    expect(facts.Balance).toBeUndefined();
    // What the last sync (after the payment) read, from the store.
    expect(facts['At the last sync']).toMatch(/^block [\d,]+: balance 380\.00$/);
    await airGapped.uncheck();
    await settle(pageA);
    expect(await factsOf(pageA.locator('dl[data-treasury-facts]'))).toMatchObject({
      'On the ledger': 'Deployed',
      Nonce: '1',
      Balance: '380.00',
    });
  }, 60_000);

  it('has no serious axe violation on the treasury screen in English and Chinese', async () => {
    await openTreasury(pageA);
    await expectAccessible(pageA, 'treasury list (en)');
    await pageA.locator('.lang select').selectOption('zh-CN');
    await openTreasury(pageA, '资金库', '返回资金库列表');
    await expect(pageA.getByRole('button', { name: '创建资金库' }).count()).resolves.toBe(1);
    await expect(pageA.locator('tr[data-treasury]').count()).resolves.toBe(1);
    await shot(pageA, '13-list-zh');
    await expectAccessible(pageA, 'treasury list (zh-CN)');
    await pageA.getByRole('button', { name: '打开资金库 ops' }).click();
    await settle(pageA);
    await expectAccessible(pageA, 'treasury detail (zh-CN)');
    await pageA.getByRole('button', { name: '返回资金库列表' }).click();
    await pageA.getByRole('button', { name: '打开批准包' }).click();
    await pageA.getByLabel('批准文件（.signet-approval）').setInputFiles({
      name: `${predicted}-0.signet-approval`,
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(approvedByB),
    });
    await pageA.locator('dl[data-review="proposal"]').waitFor();
    await pageA.getByRole('button', { name: '以动态二维码展示' }).click();
    await pageA.getByRole('img', { name: '二维码：批准包的一部分' }).waitFor();
    await shot(pageA, '14-bundle-zh');
    await expectAccessible(pageA, 'bundle workspace (zh-CN)');
    await pageB.locator('.lang select').selectOption('zh-CN');
    await openTreasury(pageB, '资金库', '返回资金库列表');
    await expectAccessible(pageB, 'air-gapped treasury screen (zh-CN)');
    await pageA.locator('.lang select').selectOption('en');
    await pageB.locator('.lang select').selectOption('en');
  }, 60_000);

  it('ran with no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
