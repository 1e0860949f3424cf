/**
 * Note operations, owner changes and policies on the treasury screen, in
 * Chromium through the browser bridge, against the dev ledger and SoftHSM2
 * keys (issue 11 §2–§4). A 2-of-2 treasury (owners A and B) is created and
 * funded through the CLI. (a) A proposes a note issue on the screen; the review
 * decodes it; approver B, a second app instance with a data folder of its own
 * and NO ledger profile (air-gapped), opens the file, sees the same note
 * operation with the warning that its contract is not verified there, approves
 * and saves; A merges B's file, approves, executes; the treasury holds exactly
 * one note on chain (raw JSON-RPC). A split of that note is proposed, then
 * replaced by a cancel at its nonce, approved and executed. (b) A proposes lowering the threshold
 * 2 → 1; the review shows the owners before and after; B approves; A merges
 * B's approval scanned from its animated QR code (a FAKE camera: Chromium plays
 * a Y4M file of the real bundle's parts, written by test/support/fake-camera.ts;
 * there is no camera here), approves and executes; getThreshold/getOwners read
 * over raw JSON-RPC. (c) On B, a `.signet-policy` file signed by both owners
 * refuses a payment over its per-payment limit in one line, no PIN asked, the
 * bundle unchanged, and a payment within it is approved with the policy check
 * shown. axe on the note and owner reviews in English and Chinese.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Download, Locator, Page } from 'playwright-core';
import {
  type Address,
  decodeFunctionResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  parseAbi,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { ChainSigner } from '../../core/chain/chain-signer.js';
import { activeProfilePath, writeActiveProfile } from '../../core/chain/profile-file.js';
import { ALWAYS, type TreasuryPolicy } from '../../core/treasury/policy.js';
import { encodePolicyFile, policyTypedData } from '../../core/treasury/policy-file.js';
import { anyModule } from '../../native/pkcs11/module-policy.js';
import { openKeySigner } from '../../native/pkcs11/token-access.js';
import { signet } from '../support/cli.js';
import {
  fakeCameraArgs,
  writeFakeCameraSequence,
  writeFakeCameraVideo,
} from '../support/fake-camera.js';
import { registeredPayees } from '../support/treasury.js';
import { fundedTreasury, rawRpc, rawSafe } from '../support/treasury-cli.js';
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

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-treasury-notes-dist-'));
const scratch = mkdtempSync(join(tmpdir(), 'signet-treasury-notes-'));
/** What the FAKE camera shows: rewritten before each scan (Chromium reads it when the camera opens). */
const cameraFile = join(scratch, 'fake-camera.y4m');
const policyPath = join(scratch, 'ops.signet-policy');
/** Approver B's machine: its own data folder, no ledger profile. */
const homeB = mkdtempSync(join(tmpdir(), 'signet-notes-approver-b-'));

// Both keys are accounts of A's wallet (the CLI creates the treasury); B's key is an account on B's machine too.
const w = useWallet(['a', 'b']);
const envB = () => ({ ...w.env, SIGNET_HOME: homeB });
const MATURITY = '2028-12-31';

let treasury: Address;
let payee: Address;
let appA: AppApi;
let appB: AppApi;
let bridgeA: Bridge;
let bridgeB: Bridge;
let browser: Browser;
let pageA: Page;
let pageB: Page;
const pageErrors: string[] = [];
/** The files the tests hand from one machine to the other. */
let noteProposed = '';
let ownersProposed = '';

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(screenshotDir, `treasury-notes-${name}.png`), fullPage: true });

const bundleFile = (name: string, text: string) => ({
  name,
  mimeType: 'application/octet-stream',
  buffer: Buffer.from(text),
});

async function download(page: Page, link: Locator): Promise<{ name: string; text: string }> {
  const [file] = (await Promise.all([page.waitForEvent('download'), link.click()])) as [
    Download,
    unknown,
  ];
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
}

async function enterPin(page: Page, title: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor();
  await dialog.getByLabel('PIN', { exact: true }).fill(PIN);
  await dialog.getByRole('button', { name: 'Unlock' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

const reviewFacts = (page: Page) => factsOf(page.locator('dl[data-review="proposal"]'));

async function openTreasury(page: Page, heading = 'Treasury', back = 'Back to the treasuries') {
  await openScreen(page, 'treasury', heading);
  const button = page.getByRole('button', { name: back });
  if ((await button.count()) > 0) {
    await button.click();
    await settle(page);
  }
}

/** A's screen for treasury ops. */
async function openOps(): Promise<void> {
  await openTreasury(pageA);
  await pageA.getByRole('button', { name: 'Open treasury ops' }).click();
  await settle(pageA);
}

/** Approves the open bundle with `key` (its PIN asked) and waits for the line that says so. */
async function approveWith(page: Page, key: { uri: string; address: string }): Promise<void> {
  await page.getByLabel('Owner key').selectOption(key.uri);
  await page.getByRole('button', { name: 'Approve with this key' }).click();
  await enterPin(page, 'Approve the proposal');
  await page
    .getByRole('status')
    .filter({ hasText: `Approved by ${key.address}` })
    .waitFor();
}

/** B drops what it had open and opens `text` as a file (B has no treasury list: no ledger). */
async function openOnB(text: string, label = 'Approval file (.signet-approval)') {
  const other = pageB.getByRole('button', { name: /^(Open another bundle|打开另一个批准包)$/ });
  if ((await other.count()) > 0) await other.click();
  await pageB.getByLabel(label).setInputFiles(bundleFile('in.signet-approval', text));
  await pageB.locator('dl[data-review="proposal"]').waitFor();
}

/** Executes the fully approved bundle open on A, and syncs until the outbox has it on chain. */
async function executeOnA(): Promise<void> {
  await pageA.getByLabel('Account that sends it').selectOption(w.keys.a!.uri);
  await pageA.getByRole('button', { name: 'Execute', exact: true }).click();
  await enterPin(pageA, 'Execute the proposal');
  await pageA
    .getByRole('region', { name: 'Execution' })
    .getByText('The execution is in the outbox.')
    .waitFor();
  await syncNow(pageA);
}

const noteReads = parseAbi([
  'function balanceOf(address owner) view returns (uint256)',
  'function tokenOfOwnerByIndex(address owner, uint256 index) view returns (uint256)',
]);

/** The notes `owner` holds, read from the DigitalNote contract over raw JSON-RPC. */
async function notesHeldBy(owner: Address): Promise<bigint> {
  const data = encodeFunctionData({ abi: noteReads, functionName: 'balanceOf', args: [owner] });
  const result = await rawRpc<Hex>(w.ledger.url, 'eth_call', [
    { to: w.ledger.profile.contracts.notes, data },
    'latest',
  ]);
  return decodeFunctionResult({ abi: noteReads, functionName: 'balanceOf', data: result });
}

/** A `.signet-policy` for the treasury signed by both owners: 5.00 per payment, 100.00 a day. */
async function writePolicyFile(): Promise<void> {
  const { contracts, chainId } = w.ledger.profile;
  const policy: TreasuryPolicy = {
    chainId,
    safe: treasury,
    version: 1,
    currencies: [{ currency: contracts.currency, decimals: 2, perPayment: 5_00n, daily: 100_00n }],
    payees: [payee],
    noteContracts: [],
    multiSendCallOnly: contracts.multiSendCallOnly,
    window: ALWAYS,
  };
  const signatures = [];
  for (const name of ['a', 'b']) {
    const key = w.keys[name]!;
    const signer = new ChainSigner(
      await openKeySigner(key.uri, { configured: [], policy: anyModule }, async () =>
        Buffer.from(PIN),
      ),
      key.address,
    );
    try {
      const { signature } = await signer.signTypedData(policyTypedData(policy));
      signatures.push({ kind: 'ecdsa' as const, owner: key.address, signature });
    } finally {
      await signer.close();
    }
  }
  writeFileSync(policyPath, encodePolicyFile({ policy, signatures }));
}

beforeAll(async () => {
  buildRenderer(dist);
  treasury = await fundedTreasury(w, 'ops', ['a', 'b'], 2, '500.00');
  [payee] = (await registeredPayees(w.ledger, 1)) as [Address];
  await writePolicyFile();

  // B's key made an account on B's machine; then B's profile goes.
  writeActiveProfile(w.ledger.profile, envB());
  const added = await signet(
    ['account', 'add', '--key', w.keys.b!.uri, '--name', 'b', '--pin-file', w.pin],
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
}, 240_000);

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

describe('note operations, owner changes and policies on the treasury screen', () => {
  it('(a) A proposes a note issue: the review decodes it in words, money as money', async () => {
    await openOps();
    const form = pageA.getByRole('form', { name: 'Propose a note operation' });
    await expect(form.getByLabel('Note operation').inputValue()).resolves.toBe('issue');
    // Nothing typed yet: each field says what it needs, and nothing is proposed.
    await form.getByRole('button', { name: 'Propose' }).click();
    await expect
      .poll(() => form.locator('.field-error').allTextContents())
      .toEqual([
        'Enter an address: 0x followed by 40 hexadecimal digits.',
        'Enter an amount like 12.34 (at most two decimals).',
        'Choose a date.',
      ]);
    // Endorse needs a note the treasury holds: it holds none yet.
    await form.getByLabel('Note operation').selectOption('endorse');
    await expect(form.locator('[data-no-notes]').textContent()).resolves.toBe(
      'The treasury holds no note (as of the last sync).',
    );
    // A file that is not a finance offer: said at once, nothing proposed.
    await form.getByLabel('Note operation').selectOption('finance-accept');
    await form.getByLabel('Finance offer file').setInputFiles({
      name: 'offer.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"type":"something-else"}'),
    });
    await expect
      .poll(() => form.locator('.field-error').allTextContents())
      .toEqual(['This is not a Signet finance offer.']);
    await form.getByRole('button', { name: 'Propose' }).click();
    await expect(
      pageA.getByRole('heading', { level: 2, name: 'Approval bundle' }).count(),
    ).resolves.toBe(0);
    await form.getByLabel('Note operation').selectOption('issue');
    await form.getByLabel('Payee').fill(treasury);
    await form.getByLabel('Face value').fill('100.00');
    await form.getByLabel('Maturity').fill(MATURITY);
    await form.getByLabel('Description').fill('Note for the supplier pool');
    await form.getByRole('button', { name: 'Propose' }).click();
    await pageA.getByRole('heading', { level: 2, name: 'Approval bundle' }).waitFor();

    const { contracts } = w.ledger.profile;
    const facts = await reviewFacts(pageA);
    expect(facts).toMatchObject({
      Nonce: '0',
      Description: 'Note for the supplier pool',
      'What it does': 'Note operation',
      'Note operation': 'Issue a new note, payable by the treasury',
      'Face value': '100.00',
      Maturity: 'December 31, 2028',
      Approvals: '0 of 2 needed',
    });
    expect(facts.Payee).toContain(treasury);
    expect(facts['Note contract']).toContain(getAddress(contracts.notes));
    expect(facts['Note contract']).not.toContain('Not verified');
    expect(facts.Currency).toContain(getAddress(contracts.currency));
    expect(facts['Allowance granted']).toMatch(
      /^Unlimited · may be pulled by 0x[0-9a-fA-F]{40}.* · currency 0x/,
    );
    await shot(pageA, '1-note-review');
    await expectAccessible(pageA, 'note issue review (en)');
    const saved = await download(
      pageA,
      pageA.getByRole('link', { name: 'Save the bundle as a file' }),
    );
    expect(saved.name).toBe(`${treasury}-0.signet-approval`);
    noteProposed = saved.text;
  }, 120_000);

  it('(a) B, air-gapped, sees the same note operation with the "not verified" warning, approves; A merges, approves, executes: one note on chain', async () => {
    await openTreasury(pageB);
    await expect(
      pageB.getByRole('status').filter({ hasText: 'Air-gapped: no ledger is selected.' }).count(),
    ).resolves.toBe(1);
    await openOnB(noteProposed);
    const facts = await reviewFacts(pageB);
    expect(facts).toMatchObject({
      'What it does': 'Note operation',
      'Note operation': 'Issue a new note, payable by the treasury',
      'Face value': '100.00',
      Maturity: 'December 31, 2028',
      Approvals: '0 of 2 needed',
    });
    expect(facts.Payee).toContain(treasury);
    expect(facts['Note contract']).toContain(
      'Not verified No ledger is selected on this machine, so this contract is not known to be the ledger’s note contract',
    );
    await expect(pageB.locator('[data-note-unverified]').count()).resolves.toBe(1);
    await shot(pageB, '2-note-review-air-gapped');
    await expectAccessible(pageB, 'air-gapped note review (en)');
    await approveWith(pageB, w.keys.b!);
    const approvedByB = (
      await download(pageB, pageB.getByRole('link', { name: 'Save the bundle as a file' }))
    ).text;

    await pageA
      .getByLabel('Bundle to merge (.signet-approval)')
      .setInputFiles(bundleFile('b.signet-approval', approvedByB));
    await pageA.getByRole('status').filter({ hasText: 'Bundles merged.' }).waitFor();
    expect(await reviewFacts(pageA)).toMatchObject({ Approvals: '1 of 2 needed' });
    expect(await notesHeldBy(treasury)).toBe(0n);
    await approveWith(pageA, w.keys.a!);
    expect(await reviewFacts(pageA)).toMatchObject({ Approvals: '2 of 2 needed' });
    await executeOnA();
    expect(await notesHeldBy(treasury)).toBe(1n);
    expect((await rawSafe(w, treasury)).nonce).toBe(1n);
    await shot(pageA, '3-note-executed');

    // The screen lists the note, and endorse offers it.
    await openOps();
    const held = await factsOf(pageA.locator('dl[data-treasury-facts]'));
    expect(held['Notes held']).toMatch(/^Note \d+: 100\.00, due December 31, 2028$/);
    const form = pageA.getByRole('form', { name: 'Propose a note operation' });
    await form.getByLabel('Note operation').selectOption('redeem');
    await expect(
      form.getByLabel('Note held by the treasury').locator('option').allTextContents(),
    ).resolves.toEqual([held['Notes held']]);
  }, 180_000);

  it('a split of the held note is proposed in the UI, then replaced: a cancel at its nonce, approved by both and executed; the note stays whole', async () => {
    await openOps();
    const held = (await factsOf(pageA.locator('dl[data-treasury-facts]')))['Notes held']!;
    const noteId = /^Note (\d+):/.exec(held)![1]!;
    const form = pageA.getByRole('form', { name: 'Propose a note operation' });
    await form.getByLabel('Note operation').selectOption('split');
    await form.getByLabel('Recipient').fill(payee);
    await form.getByLabel('Value moved').fill('40.00');
    await form.getByRole('button', { name: 'Propose' }).click();
    await pageA.getByRole('heading', { level: 2, name: 'Approval bundle' }).waitFor();
    const split = await reviewFacts(pageA);
    expect(split).toMatchObject({
      Nonce: '1',
      'Note operation': 'Split part of a note off to a recipient',
      'Note id': noteId,
      'Value moved': '40.00',
      'Allowance granted': 'None',
    });
    expect(split.Recipient).toContain(payee);

    // Rejected: a cancel at nonce 1 (the form starts at the treasury's next nonce).
    await openOps();
    const cancel = pageA.getByRole('form', { name: 'Cancel a proposal' });
    await expect(cancel.getByLabel('Nonce of the proposal to cancel').inputValue()).resolves.toBe(
      '1',
    );
    await cancel.getByLabel('Description').fill('The split is not wanted');
    await cancel.getByRole('button', { name: 'Propose the cancel' }).click();
    await pageA.getByRole('heading', { level: 2, name: 'Approval bundle' }).waitFor();
    expect(await reviewFacts(pageA)).toMatchObject({
      Nonce: '1',
      Description: 'The split is not wanted',
      'What it does': 'Cancel (a call that does nothing)',
      Approvals: '0 of 2 needed',
    });
    const cancelProposed = (
      await download(pageA, pageA.getByRole('link', { name: 'Save the bundle as a file' }))
    ).text;
    await openOnB(cancelProposed);
    await approveWith(pageB, w.keys.b!);
    const approvedByB = (
      await download(pageB, pageB.getByRole('link', { name: 'Save the bundle as a file' }))
    ).text;
    await pageA
      .getByLabel('Bundle to merge (.signet-approval)')
      .setInputFiles(bundleFile('b.signet-approval', approvedByB));
    await pageA.getByRole('status').filter({ hasText: 'Bundles merged.' }).waitFor();
    await approveWith(pageA, w.keys.a!);
    await executeOnA();
    expect((await rawSafe(w, treasury)).nonce).toBe(2n);
    expect(await notesHeldBy(treasury)).toBe(1n);
  }, 180_000);

  it('(b) A proposes lowering the threshold 2 → 1: owners before and after shown; B approves; A merges it scanned from B’s QR, approves, executes', async () => {
    await openOps();
    const form = pageA.getByRole('form', { name: 'Propose an owner or threshold change' });
    // Not an address: refused in the form, nothing proposed.
    await form.getByLabel('Change', { exact: true }).selectOption('add');
    await form.getByLabel('Owner added').fill('0x1234');
    await form.getByRole('button', { name: 'Propose' }).click();
    await expect
      .poll(() => form.locator('.field-error').allTextContents())
      .toEqual(['Enter an address: 0x followed by 40 hexadecimal digits.']);
    await expect(
      pageA.getByRole('heading', { level: 2, name: 'Approval bundle' }).count(),
    ).resolves.toBe(0);
    await form.getByLabel('Change', { exact: true }).selectOption('threshold');
    await form.getByLabel('New number of approvals needed').fill('1');
    await form.getByLabel('Description').fill('One approval is enough');
    await form.getByRole('button', { name: 'Propose' }).click();
    await pageA.getByRole('heading', { level: 2, name: 'Approval bundle' }).waitFor();
    const a = getAddress(w.keys.a!.address);
    const b = getAddress(w.keys.b!.address);
    const facts = await reviewFacts(pageA);
    expect(facts).toMatchObject({
      Nonce: '2',
      'What it does': 'Owner or threshold change',
      Change: 'Change the approvals needed',
      'Approvals needed': '2 of 2 → 1 of 2',
      Approvals: '0 of 2 needed',
    });
    for (const owner of [a, b]) {
      expect(facts['Owners before']).toContain(owner);
      expect(facts['Owners after']).toContain(owner);
    }
    expect(facts['Owners before']).toContain('a (your account)');
    await shot(pageA, '5-owners-review');
    await expectAccessible(pageA, 'owner change review (en)');
    ownersProposed = (
      await download(pageA, pageA.getByRole('link', { name: 'Save the bundle as a file' }))
    ).text;

    await openOnB(ownersProposed);
    expect(await reviewFacts(pageB)).toMatchObject({
      Change: 'Change the approvals needed',
      'Approvals needed': '2 of 2 → 1 of 2',
    });
    await expectAccessible(pageB, 'air-gapped owner change review (en)');
    await approveWith(pageB, w.keys.b!);
    const approvedByB = (
      await download(pageB, pageB.getByRole('link', { name: 'Save the bundle as a file' }))
    ).text;

    // A merges B's approval from its animated QR code, through the FAKE camera.
    const qr = await appB.dispatch('treasury.qrParts', { bundle: approvedByB, fragmentBytes: 100 });
    const { parts } = (qr as { result: { parts: string[] } }).result;
    writeFakeCameraSequence(cameraFile, parts, 4);
    await pageA.getByRole('button', { name: 'Scan another approver’s QR code' }).click();
    await pageA.getByRole('region', { name: 'Scanning' }).waitFor();
    await pageA
      .getByRole('status')
      .filter({ hasText: 'Bundles merged.' })
      .waitFor({ timeout: 60_000 });
    expect(await reviewFacts(pageA)).toMatchObject({ Approvals: '1 of 2 needed' });
    await approveWith(pageA, w.keys.a!);
    await executeOnA();
    const safe = await rawSafe(w, treasury);
    expect(safe.threshold).toBe(1n);
    expect([...safe.owners].map((o) => getAddress(o)).sort()).toEqual([a, b].sort());
    expect(safe.nonce).toBe(3n);
    await shot(pageA, '6-owners-executed');
  }, 180_000);

  it('(c) on B, a signed policy refuses a payment over its limit in one line, nothing changes; one within it is approved, the check shown', async () => {
    const propose = async (amount: string) => {
      const result = await appA.dispatch('treasury.propose', {
        treasury: 'ops',
        to: payee,
        amount,
        offline: true,
      });
      if (!result.ok) throw new Error(JSON.stringify(result));
      return (result as { result: { bundle: string } }).result.bundle;
    };
    const over = await propose('9.00');
    await openOnB(over);
    const before = await reviewFacts(pageB);
    expect(before).toMatchObject({ Amount: '9.00', Approvals: '0 of 1 needed' });
    const policyInput = pageB.getByLabel('Treasury policy (.signet-policy), optional');
    await policyInput.setInputFiles({
      name: 'ops.signet-policy',
      mimeType: 'application/octet-stream',
      buffer: readFileSync(policyPath),
    });
    await pageB.getByText('Checked against ops.signet-policy before your key signs.').waitFor();
    const saveLink = pageB.getByRole('link', { name: 'Save the bundle as a file' });
    const hrefBefore = await saveLink.getAttribute('href');
    await pageB.getByLabel('Owner key').selectOption(w.keys.b!.uri);
    await pageB.getByRole('button', { name: 'Approve with this key' }).click();
    const alert = pageB.getByRole('alert');
    await alert.waitFor();
    await expect(alert.allTextContents()).resolves.toEqual([
      "This proposal breaks the treasury's policy (a limit, the payee list or the time window), so it was not signed.",
    ]);
    // No PIN was asked (the policy is checked first), nothing signed, the bundle on screen unchanged.
    await expect(pageB.getByRole('dialog').count()).resolves.toBe(0);
    expect(await reviewFacts(pageB)).toEqual(before);
    await expect(saveLink.getAttribute('href')).resolves.toBe(hrefBefore);
    expect(decodeURIComponent(hrefBefore!.split(',').slice(1).join(','))).toBe(over);
    await shot(pageB, '4-policy-refused');

    // Within the limit: signed, and what the check counted is shown.
    await openOnB(await propose('4.00'));
    await pageB.getByLabel('Treasury policy (.signet-policy), optional').setInputFiles({
      name: 'ops.signet-policy',
      mimeType: 'application/octet-stream',
      buffer: readFileSync(policyPath),
    });
    await approveWith(pageB, w.keys.b!);
    const check = await factsOf(pageB.locator('dl[data-policy-check]'));
    expect(check['Policy version']).toBe('1');
    // The treasury's threshold, lowered to 1 in (b); the policy asks for no more at 4.00.
    expect(check['Approvals the policy requires']).toBe('1');
    const spent = Object.entries(check).find(([label]) => label.startsWith('Spent on '));
    expect(spent?.[1]).toMatch(/^0\.00 \(/);
  }, 120_000);

  it('has no serious axe violation on the note and owner reviews in Chinese', async () => {
    await pageB.locator('.lang select').selectOption('zh-CN');
    await openTreasury(pageB, '资金库', '返回资金库列表');
    await openOnB(noteProposed, '批准文件（.signet-approval）');
    await expect(pageB.locator('[data-note-unverified]').textContent()).resolves.toContain(
      '未验证',
    );
    await shot(pageB, '7-note-review-zh');
    await expectAccessible(pageB, 'air-gapped note review (zh-CN)');
    await openOnB(ownersProposed, '批准文件（.signet-approval）');
    await expect(pageB.locator('[data-owners-change]').textContent()).resolves.toBe(
      '更改所需批准数',
    );
    await expectAccessible(pageB, 'air-gapped owner change review (zh-CN)');
    await pageB.locator('.lang select').selectOption('en');

    await pageA.locator('.lang select').selectOption('zh-CN');
    await openTreasury(pageA, '资金库', '返回资金库列表');
    await pageA.getByRole('button', { name: '打开资金库 ops' }).click();
    await settle(pageA);
    await pageA.getByRole('form', { name: '提议票据操作' }).waitFor();
    await expectAccessible(pageA, 'treasury detail with the proposal forms (zh-CN)');
    await pageA.locator('.lang select').selectOption('en');
  }, 60_000);

  it('ran with no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
