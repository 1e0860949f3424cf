/**
 * The treasurer's note journey in Chromium, through the bridge, against the
 * dev ledger and SoftHSM2 keys: issue a note (reviewed: both transactions
 * decoded), split it and see both parts; offer a part for financing and accept
 * the offer as the bank. Bad input is refused in one line and queues nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { keccak256 } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { devKeys } from '../../ledger/deploy.js';
import { chainContracts } from '../support/chain-contracts.js';
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

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-notes-dist-'));
const shots = screenshotDir;

// The group treasurer runs the parent company (the acceptor) and two subsidiaries.
const w = useWallet(['parent', 'north', 'south']);
const json = w.json;

let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const _settle = () => settlePage(page);
const openScreen = (id: string, heading: string) => openScreenOf(page, id, heading);
const shot = (name: string) => page.screenshot({ path: join(shots, `notes-${name}.png`) });
const runAxe = (label: string) => expectAccessible(page, label);
const inDays = (days: number) =>
  new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const maturity = inDays(60);
/** A maximum fee as a review shows it: ETH (a fraction of one here), then the wei, grouped. */
const FEE = /^0\.\d+ ETH \([1-9]\d{0,2}(,\d{3})* wei\)$/;

beforeAll(async () => {
  buildRenderer(dist);
  for (const [name, amount] of [
    ['parent', '1000.00'],
    ['north', '1.00'],
    ['south', '400.00'],
  ] as const) {
    await json(['ledger', 'fund', '--account', w.keys[name]!.address, '--amount', amount]);
  }
  await json(['sync']);
  app = createAppApi({ home: w.home, env: w.env });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  browser = await launchChromium();
  page = await openUiPage(browser, bridge.url, pageErrors);
  await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('the treasurer’s notes in Chromium, against the dev ledger and SoftHSM2', () => {
  it('refuses an issue form with a bad payee in the form itself, calling nothing', async () => {
    expect(await notePortfolio(page)).toEqual([]);
    await page.getByRole('button', { name: 'Issue a note' }).click();
    const form = page.getByRole('form', { name: 'Issue a note' });
    await form.getByLabel('Acceptor account').selectOption(w.keys.parent!.uri);
    await form.getByLabel('Payee address').fill('0x1234');
    await form.getByLabel('Face value').fill('500.001');
    await form.getByRole('button', { name: 'Review' }).click();
    await expect(form.locator('.field-error').allTextContents()).resolves.toEqual([
      'Enter an address: 0x followed by 40 hexadecimal digits.',
      'Enter an amount like 12.34 (at most two decimals).',
    ]);
    await shot('1-issue-form-invalid');
    await runAxe('issue form (invalid)');
    expect(await json(['outbox'])).toEqual([]);
  });

  it('issues 500.00 from the parent to North: both transactions reviewed decoded, then sent', async () => {
    const form = page.getByRole('form', { name: 'Issue a note' });
    await form.getByLabel('Payee address').fill(w.keys.north!.address);
    await form.getByLabel('Face value').fill('500.00');
    await form.getByLabel('Maturity date').fill(maturity);
    await form.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('heading', { level: 2, name: 'Review: Issue a note' }).waitFor();

    const issue = await factsOf(
      page.getByRole('region', { name: 'Transaction 1 of 2' }).locator('dl').first(),
    );
    const { currency, notes } = w.ledger.profile.contracts;
    expect(issue).toMatchObject({
      'Contract call': 'issue',
      // Every address with who it is: an account of this wallet, the ledger's contracts by role.
      payee: `${w.keys.north!.address} north (your account)`,
      faceValue: '50000 (500.00)',
      currency: `${currency} currency contract`,
      maturity: `${Date.parse(`${maturity}T00:00:00Z`) / 1000} (${new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(`${maturity}T00:00:00Z`))})`,
      Contract: `${notes} note contract`,
      Nonce: '0',
      // In the chain's own coin first, then in wei.
      'Maximum network fee': expect.stringMatching(FEE),
    });
    const approve = await factsOf(
      page.getByRole('region', { name: 'Transaction 2 of 2' }).locator('dl').first(),
    );
    expect(approve).toMatchObject({
      'Contract call': 'approve',
      spender: `${notes} note contract`,
      Contract: `${currency} currency contract`,
      amount: `${(2n ** 256n - 1n).toString()} (unlimited)`,
      Nonce: '1',
      'Maximum network fee': expect.stringMatching(FEE),
    });
    // Both transactions' fees together, in the summary.
    expect(await factsOf(page.locator('main .panel').first().locator('dl').first())).toMatchObject({
      'Signing account': `${w.keys.parent!.address} parent (your account)`,
      'Maximum network fee, all transactions': expect.stringMatching(FEE),
    });
    await shot('2-issue-review');
    await runAxe('issue review');

    await signWithPin(page, PIN, 'Sign: Issue a note', 'Signed');
    const kinds = await page.locator('main tbody tr td:first-child').allTextContents();
    expect(kinds).toEqual(['Note issue', 'Approval']);
    await shot('3-issue-signed');
    await syncNow(page);
    expect(await notePortfolio(page)).toEqual([[w.keys.north!.address, '500.00']]);
    await shot('4-portfolio-one-note');
  }, 60_000);

  it('North splits 200.00 off to South, and both parts show with the same maturity', async () => {
    const row = page.locator('tr[data-note]');
    const tokenId = (await row.getAttribute('data-note'))!;
    await row.getByRole('button', { name: `Split note ${tokenId}` }).click();
    const form = page.getByRole('form', { name: `Split note ${tokenId}` });
    await form.getByLabel('Recipient address').fill(w.keys.south!.address);

    // All of it is not a split: the server refuses it offline, in one line.
    await form.getByLabel('Value to split off').fill('500.00');
    await form.getByRole('button', { name: 'Review' }).click();
    await expect(form.getByRole('alert').locator('.error-text').textContent()).resolves.toBe(
      'This amount is not valid.',
    );
    await expect(form.getByRole('alert').locator('.error-detail').textContent()).resolves.toMatch(
      /a split must leave value on note/,
    );

    await form.getByLabel('Value to split off').fill('200.00');
    await form.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('heading', { level: 2, name: `Review: Split note ${tokenId}` }).waitFor();
    expect(
      await factsOf(page.getByRole('region', { name: 'Transaction 1 of 1' }).locator('dl').first()),
    ).toMatchObject({
      'Contract call': 'transferFrom',
      fromTokenId: tokenId,
      to: `${w.keys.south!.address} south (your account)`,
      value: '20000 (200.00)',
      Nonce: '0',
    });
    await shot('5-split-review');
    await signWithPin(page, PIN, `Sign: Split note ${tokenId}`, 'Signed');
    await syncNow(page);

    const parts = await notePortfolio(page);
    expect(parts).toEqual(
      expect.arrayContaining([
        [w.keys.north!.address, '300.00'],
        [w.keys.south!.address, '200.00'],
      ]),
    );
    expect(parts).toHaveLength(2);
    // One maturity group holding both, and the total unchanged.
    const group = page.getByRole('region', { name: /^Matures / });
    await expect(group.count()).resolves.toBe(1);
    await expect(group.locator('.panel-actions').textContent()).resolves.toBe(
      '2 notes, total 500.00',
    );
    await shot('6-portfolio-both-parts');
    await runAxe('portfolio with both parts');

    // Accounts shows the notes each account holds.
    const parent = w.keys.parent!.address;
    await openScreen('accounts', 'Accounts');
    const held = page.getByRole('region', { name: 'Notes held' }).locator('tbody tr');
    await expect(
      held.evaluateAll((rows) =>
        rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)),
      ),
    ).resolves.toEqual(
      [
        ['north', '300.00'],
        ['south', '200.00'],
      ].map(([name, value]) => [
        name,
        '1',
        value,
        // Who pays the notes (the parent), and in what: the ledger's own currency.
        `${parent.slice(0, 8)}…${parent.slice(-6)}`,
        'Ledger currency',
        expect.stringMatching(/^[A-Z][a-z]+ \d{1,2}, \d{4}$/),
      ]),
    );
    await shot('6b-accounts-notes-held');
    await openScreen('notes', 'Notes');
  }, 60_000);

  it('North offers its part to South (the bank) for financing; South accepts the offer', async () => {
    const northRow = page.locator('tr[data-note]', {
      has: page.locator(`td[title="${w.keys.north!.address}"]`),
    });
    const tokenId = (await northRow.getAttribute('data-note'))!;
    await northRow.getByRole('button', { name: `Finance note ${tokenId}` }).click();
    const form = page.getByRole('form', { name: `Finance note ${tokenId}` });
    await expect(form.getByLabel('Note value offered').inputValue()).resolves.toBe('300.00');
    await form.getByLabel('Bank address').fill(w.keys.south!.address);
    await form.getByLabel('Price').fill('295.00');
    await form.getByRole('button', { name: 'Review' }).click();
    const typed = page.getByRole('region', { name: 'Signed message (EIP-712 FinanceOffer)' });
    await typed.waitFor();
    const message = await factsOf(typed.locator('dl').first());
    expect(message).toMatchObject({
      tokenId,
      value: '30000 (300.00)',
      bank: `${w.keys.south!.address} south (your account)`,
      price: '29500 (295.00)',
      'domain.chainId': '31337',
      'domain.verifyingContract': `${w.ledger.profile.contracts.notes} note contract`,
    });
    expect(message.nonce).toMatch(/^0x[0-9a-f]{64}$/);
    await shot('7-finance-offer-review');
    await signWithPin(page, PIN, `Sign: Finance note ${tokenId}`, 'Finance offer signed');
    const offerText = await page
      .getByRole('textbox', { name: 'Finance offer signed' })
      .inputValue();
    const offer = JSON.parse(offerText);
    // The nonce signed is the one reviewed.
    expect(offer.offer.nonce).toBe(message.nonce);
    await shot('8-finance-offer-file');
    await page.getByRole('button', { name: 'Back to the notes' }).click();

    // South, the bank, pastes the file it was given.
    await page.getByRole('button', { name: 'Accept a finance offer' }).click();
    const accept = page.getByRole('form', { name: 'Accept a finance offer' });
    await accept.getByLabel('Bank account').selectOption(w.keys.south!.uri);
    await accept.getByLabel('Offer file (JSON)').fill('{"type":"not an offer"}');
    await accept.getByRole('button', { name: 'Review' }).click();
    await expect(accept.locator('.field-error').textContent()).resolves.toBe(
      'This is not a Signet finance offer.',
    );
    await accept.getByLabel('Offer file (JSON)').fill(offerText);
    await accept.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('heading', { level: 2, name: 'Review: Accept a finance offer' }).waitFor();
    const summary = await factsOf(page.locator('main .panel').first().locator('dl').first());
    expect(summary).toMatchObject({ 'Available afterwards': '105.00' });
    // The note the bank pays for: who owes it and in what, and who holds it, read from the
    // ledger now (not the bank's store), before anything is signed.
    const offered = JSON.parse(offerText).offer.tokenId as string;
    expect(
      await factsOf(page.getByRole('region', { name: `Note ${offered}` }).locator('dl')),
    ).toMatchObject({
      Acceptor: w.keys.parent!.address,
      Currency: `Ledger currency ${w.ledger.profile.contracts.currency}`,
      Holder: w.keys.north!.address,
      'As of': expect.stringMatching(/^block [\d,]+ \(read from the ledger now\)$/),
    });
    await shot('9-finance-accept-review');
    await signWithPin(page, PIN, 'Sign: Accept a finance offer', 'Signed');
    await syncNow(page);
    const after = await notePortfolio(page);
    expect(after).toHaveLength(2);
    expect(after.every(([holder]) => holder === w.keys.south!.address)).toBe(true);
    await shot('10-portfolio-financed');
  }, 60_000);

  it('South endorses a note it reviewed, but pays someone first: nothing signed, the fresh review shown, then signed', async () => {
    const south = w.keys.south!;
    const row = page.locator('tr[data-note]').first();
    const tokenId = (await row.getAttribute('data-note'))!;
    await row.getByRole('button', { name: `Endorse note ${tokenId}` }).click();
    const form = page.getByRole('form', { name: `Endorse note ${tokenId}` });
    await form.getByLabel('New holder address').fill(w.keys.north!.address);
    await form.getByRole('button', { name: 'Review' }).click();
    await page
      .getByRole('heading', { level: 2, name: `Review: Endorse note ${tokenId}` })
      .waitFor();
    const transaction = page
      .getByRole('region', { name: 'Transaction 1 of 1' })
      .locator('dl')
      .first();
    const reviewed = await factsOf(transaction);

    // While the review is on screen, the CLI pays from South: the nonce reviewed is taken.
    const paid = await json([
      'send',
      '--from',
      south.uri,
      '--to',
      w.keys.parent!.address,
      '--amount',
      '1.00',
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    expect(String(paid.transactions[0].nonce)).toBe(reviewed.Nonce);
    const outbox = await json(['outbox']);
    const audit = await json(['audit', '--limit', '100']);

    await signWithPin(
      page,
      PIN,
      `Sign: Endorse note ${tokenId}`,
      `Review: Endorse note ${tokenId}`,
    );
    await expect(
      page.locator('main').getByRole('alert').locator('.error-text').textContent(),
    ).resolves.toBe(
      'The ledger changed since you reviewed, so nothing was signed. Review again: this is what the token would sign now.',
    );
    // The nonce moved, and says what it was.
    await expect(factsOf(transaction)).resolves.toEqual({
      ...reviewed,
      Nonce: `${Number(reviewed.Nonce) + 1} was ${reviewed.Nonce}`,
    });
    expect(await json(['outbox'])).toEqual(outbox);
    expect(await json(['audit', '--limit', '100'])).toEqual(audit);
    await shot('10b-endorse-review-stale');
    await runAxe('note review after it went stale');

    await signWithPin(page, PIN, `Sign: Endorse note ${tokenId}`, 'Signed');
    await syncNow(page);
    expect(await notePortfolio(page)).toContainEqual([w.keys.north!.address, expect.any(String)]);
  }, 60_000);

  it('reviews a split in zh-CN: Chinese labels, amounts and dates for the locale, nothing signed', async () => {
    await page.locator('header select').selectOption('zh-CN');
    await openScreen('notes', '票据');
    const row = page.locator('tr[data-note]').first();
    const tokenId = (await row.getAttribute('data-note'))!;
    await row.getByRole('button', { name: `拆分票据 ${tokenId}` }).click();
    const form = page.getByRole('form', { name: `拆分票据 ${tokenId}` });
    await form.getByLabel('收款人地址').fill(w.keys.north!.address);
    await form.getByLabel('拆出金额').fill('0.50');
    await form.getByRole('button', { name: '复核' }).click();
    await page.getByRole('heading', { level: 2, name: `复核：拆分票据 ${tokenId}` }).waitFor();
    expect(
      await factsOf(
        page.getByRole('region', { name: '第 1 笔交易，共 1 笔' }).locator('dl').first(),
      ),
    ).toMatchObject({
      合约调用: 'transferFrom',
      value: '50 (0.50)',
      to: `${w.keys.north!.address} north（本钱包账户）`,
      合约: `${w.ledger.profile.contracts.notes} 票据合约`,
      最高网络费用: expect.stringMatching(/^0\.\d+ ETH （[1-9]\d{0,2}(,\d{3})* wei）$/),
    });
    await shot('11-split-review-zh-CN');
    await runAxe('split review (zh-CN)');
    await page.getByRole('button', { name: '返回', exact: true }).click();
    await form.getByRole('button', { name: '取消' }).click();
    const group = page.getByRole('region', { name: /到期$/ });
    await expect(group.locator('h2').textContent()).resolves.toBe(
      `${new Intl.DateTimeFormat('zh-CN', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${maturity}T00:00:00Z`))} 到期`,
    );
    await shot('12-portfolio-zh-CN');
    await page.locator('header select').selectOption('en');
    expect(
      (await json(['outbox'])).filter((t: { kind: string }) => t.kind === 'note-split'),
    ).toHaveLength(1);
  });

  it('shows a note in a currency the ledger does not know apart, and never counts it as money', async () => {
    const short = (address: string) => `${address.slice(0, 8)}…${address.slice(-6)}`;
    // The central bank accepts a second currency; a supplier issues North a note in it.
    const { send, deployCurrency } = chainContracts(w.ledger);
    const other = await deployCurrency();
    await send(devKeys.centralBank, 'notes', 'setCurrencyAccepted', [other.address, true]);
    const supplierKey = generatePrivateKey();
    const supplier = privateKeyToAccount(supplierKey).address;
    const north = w.keys.north!.address;
    await w.ledger.fund(supplier, 1n); // gas money
    for (const account of [supplier, north]) {
      await other.send(devKeys.operator, 'registerAccount', [account, keccak256(account)]);
    }
    const due = (await w.ledger.now()) + 90n * 86_400n;
    await send(supplierKey, 'notes', 'issue', [north, 123_45n, other.address, due]);
    await syncNow(page);

    await openScreen('notes', 'Notes');
    const row = page.locator('tr[data-note]', { has: page.getByText('Unknown currency') });
    await expect(row.count()).resolves.toBe(1);
    await expect(row.locator('td').nth(4).locator('.mono').getAttribute('title')).resolves.toBe(
      other.address,
    );
    const group = page.getByRole('region', { name: /^Matures / }).filter({ has: row });
    await expect(group.locator('.panel-actions').textContent()).resolves.toBe(
      '1 note, total 0.00 (1 in an unknown currency, not counted)',
    );
    await shot('13-portfolio-unknown-currency');
    await runAxe('portfolio with a note in an unknown currency');

    await openScreen('accounts', 'Accounts');
    const held = page
      .getByRole('region', { name: 'Notes held' })
      .locator('tbody tr', { hasText: 'north' });
    await expect(
      held.evaluate((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)),
    ).resolves.toEqual([
      'north',
      // The note South endorsed back to North above (the parent's, 300.00), and this one.
      '2',
      '300.00 (+1 in an unknown currency, not counted)',
      [w.keys.parent!.address, supplier].map(short).join(', '),
      `Ledger currency, Unknown currency ${short(other.address)}`,
      expect.stringMatching(/^[A-Z][a-z]+ \d{1,2}, \d{4}$/),
    ]);
    await shot('14-accounts-unknown-currency');
  }, 60_000);

  it('ran with no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
