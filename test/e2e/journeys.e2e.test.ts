import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { formatAmount, parseAmount } from '../../core/chain/amount.js';
import { en, type Messages } from '../../renderer/src/i18n/en.js';
import { zhCN } from '../../renderer/src/i18n/zh-CN.js';
import { type FakeNode, startFakeProxy } from '../fakes/rpc-fake-nodes.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  fillTemplate,
  latinText,
  latinWordsOf,
  launchChromium,
  openScreen as openScreenOf,
  openUiPage,
  screenshotDir,
  settle as settlePage,
  templatePattern,
} from '../support/ui-harness.js';
import { factsOf } from '../support/ui-steps.js';
import { PIN, useWallet } from '../support/wallet-fixture.js';

// Globals of the page, for the callbacks Chromium runs: the root tsconfig is Node-only on purpose.
declare const window: any;
declare const document: any;

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-journeys-dist-'));
const shots = screenshotDir;

// alice → bob is the English retail journey, carol → dave the Chinese one: each run has
// its own fresh accounts, so neither depends on the other having run, or in which order.
const w = useWallet(['alice', 'bob', 'carol', 'dave']);
/** The label of the fixture's SoftHSM2 token. */
const TOKEN = 'Wallet';
/** A closed port: with it as the only node, the UI must sign and queue offline. */
const OFFLINE_NODE = 'http://127.0.0.1:1';
const json = w.json;
interface OutboxRow {
  txHash: string;
  status: string;
  amount: string;
  blockNumber: number | null;
}
const outboxRows = async (): Promise<OutboxRow[]> => json(['outbox']);

let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const runAxe = (label: string) => expectAccessible(page, label);
const settle = () => settlePage(page);
const openScreen = (id: string, heading: string) => openScreenOf(page, id, heading);

const shot = (name: string) => page.screenshot({ path: join(shots, `journey-${name}.png`) });

/** Send screen → form filled → Review; waits for the review panel. */
async function reviewPayment(to: string, amount: string, m: Messages = en): Promise<void> {
  await openScreen('send', m.send.title);
  await page.getByLabel(m.send.from, { exact: true }).selectOption(w.keys.alice!.uri);
  await page.getByLabel(m.send.to, { exact: true }).fill(to);
  await page.getByLabel(m.send.amount, { exact: true }).fill(amount);
  await page.getByRole('button', { name: m.send.review, exact: true }).click();
  await page.getByRole('heading', { level: 2, name: m.send.reviewTitle }).waitFor();
}

/** A result of the app API as the UI gets it (the review digest, the fee), or the test fails. */
async function api(method: string, params: unknown): Promise<any> {
  const reply = await app.dispatch(method, params);
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result;
}

/** A review's fee as the language shows it: in the coin, then "(… wei)", both grouped by "," (en, zh-CN). */
function feeText(m: Messages, fee: { max: string; maxWei: string; symbol: string }): string {
  const [whole = '', fraction] = fee.max.split('.');
  const max = `${grouped(whole)}${fraction ? `.${fraction}` : ''}`;
  return `${fillTemplate(m.review.fee, { amount: max, symbol: fee.symbol })} ${fillTemplate(m.review.feeWei, { amount: grouped(fee.maxWei) })}`;
}

/** Presses Sync now and waits for its outcome: the report, or the error. */
async function pressSync(m: Messages = en): Promise<'synced' | 'error'> {
  await page.getByRole('button', { name: m.outbox.sync, exact: true }).click();
  // Not "Syncing…" any more.
  await page.getByRole('button', { name: m.outbox.sync, exact: true }).waitFor();
  await settle();
  const synced = await page.locator('.toolbar-status [role="status"]').count();
  return synced > 0 ? 'synced' : 'error';
}

function nodeRow(url: string, m: Messages = en) {
  return page
    .getByRole('region', { name: m.outbox.nodes, exact: true })
    .locator('tbody tr', { has: page.getByRole('cell', { name: url, exact: true }) });
}

/** A UI language, with its texts straight from the i18n resources: the tests follow the UI. */
interface Locale {
  code: 'en' | 'zh-CN';
  /** The language's own name, as the switcher lists it. */
  name: string;
  m: Messages;
}
const english: Locale = { code: 'en', name: 'English', m: en };
const chinese: Locale = { code: 'zh-CN', name: '简体中文', m: zhCN };
const screenIds = ['devices', 'accounts', 'send', 'notes', 'outbox', 'audit'] as const;

/** Picks `locale` in the top bar's language switcher, as a user would, and waits for the UI to show it. */
async function chooseLanguage(locale: Locale): Promise<void> {
  // Labelled in whichever language is showing now.
  const switcher = page.getByRole('combobox', {
    name: new RegExp(`^(${english.m.app.language}|${chinese.m.app.language})`),
  });
  await switcher.selectOption({ label: locale.name });
  await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe(locale.code);
  await expect(
    page.getByRole('combobox', { name: locale.m.app.language }).inputValue(),
  ).resolves.toBe(locale.code);
  const nav = page.getByRole('navigation', { name: locale.m.nav.label, exact: true });
  for (const id of screenIds) {
    await expect(
      nav.getByRole('button', { name: locale.m.nav[id], exact: true }).count(),
    ).resolves.toBe(1);
  }
}

/**
 * Text that en-US and zh-CN both group by thousands with ",": "1,234,567".
 * Written out here, not taken from Intl, so a change of the UI's formatting shows.
 */
const grouped = (digits: string | number) => String(digits).replace(/\B(?=(\d{3})+$)/g, ',');
/** Any whole number, grouped. */
const NUMBER = '[1-9]\\d{0,2}(?:,\\d{3})*|0';
/** 0x1234…abcd, as the UI shortens addresses in narrow places. */
const short4 = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

/** One retail journey: who pays whom, and every amount as typed and as the language shows it. */
interface RetailRun {
  locale: Locale;
  payer: string;
  payee: string;
  /** What the faucet gives the payer, and the payment, as typed. */
  funds: string;
  amount: string;
  /**
   * The same amounts as the language formats them: `after` = funds − amount, and
   * `payeeAfter` = 1.00 (the faucet's, to register the payee) + amount.
   */
  shown: { funds: string; amount: string; after: string; payeeAfter: string };
  /** Checks a screen's visible text for words the language should not show; none for English. */
  checkText?: (where: string) => Promise<void>;
}

/**
 * The retail journey, in the run's language: choose the language in the top bar,
 * unlock the token with its PIN and see its keys, fill the payment form, review
 * it, sign with the PIN while no node answers (queued), see it waiting in the
 * outbox and as pending on the account, sync, see it confirmed and the balances
 * updated. A screenshot at each step: journey-retail-<language>-<nn>-<step>.png.
 */
async function retailJourney(run: RetailRun): Promise<void> {
  const { m, code } = run.locale;
  const payer = w.keys[run.payer]!;
  const payee = w.keys[run.payee]!;
  let step = 0;
  const snap = (name: string) => shot(`retail-${code}-${String(++step).padStart(2, '0')}-${name}`);
  const checkText = run.checkText ?? (async () => {});

  await json(['ledger', 'fund', '--account', payer.address, '--amount', run.funds]);
  // The currency only pays registered accounts: the faucet registers the payee.
  await json(['ledger', 'fund', '--account', payee.address, '--amount', '1.00']);
  await json(['sync']);
  // No node reachable from here on: the UI must sign and queue offline.
  w.useProfile({ ...w.ledger.profile, rpc: [OFFLINE_NODE] });

  await chooseLanguage(run.locale);

  // Unlock the token: its keys show once the PIN is given.
  await openScreen('devices', m.devices.title);
  const card = page.locator('li.card', {
    has: page.getByRole('heading', { level: 3, name: TOKEN, exact: true }),
  });
  // The PIN's state, in the language (another test may have left a wrong try: not always "OK").
  const pinStates: string[] = Object.values(m.devices.state);
  for (const badge of await card.locator('.badge').allTextContents())
    expect(pinStates).toContain(badge);
  await card.getByRole('button', { name: m.devices.showKeys, exact: true }).click();
  const unlock = page.getByRole('dialog', { name: m.devices.showKeys, exact: true });
  await unlock.waitFor();
  await expect(unlock.locator('p').first().textContent()).resolves.toBe(
    fillTemplate(m.pin.forToken, { token: TOKEN }),
  );
  await unlock.getByLabel(m.pin.label, { exact: true }).fill(PIN);
  await snap('unlock');
  await unlock.getByRole('button', { name: m.pin.submit, exact: true }).click();
  await unlock.waitFor({ state: 'hidden' });
  const keys = card.getByRole('table', {
    name: fillTemplate(m.devices.keysTitle, { token: TOKEN }),
  });
  const keyRow = keys.locator('tbody tr', {
    has: page.getByRole('cell', { name: run.payer, exact: true }),
  });
  await expect(keyRow.locator('td').allTextContents()).resolves.toEqual([
    run.payer,
    'secp256k1',
    payer.address,
    m.devices.hardware,
  ]);
  await snap('keys');

  // The payment form.
  await openScreen('send', m.send.title);
  await page.getByLabel(m.send.from, { exact: true }).selectOption(payer.uri);
  await page.getByLabel(m.send.to, { exact: true }).fill(payee.address);
  await page.getByLabel(m.send.amount, { exact: true }).fill(run.amount);
  await expect(page.getByText(m.send.toHint, { exact: true }).count()).resolves.toBe(1);
  await expect(page.getByText(m.send.amountHint, { exact: true }).count()).resolves.toBe(1);
  await checkText('the payment form');
  await snap('form');

  // The review: exactly what the token will sign, formatted for the language.
  await page.getByRole('button', { name: m.send.review, exact: true }).click();
  await page.getByRole('heading', { level: 2, name: m.send.reviewTitle, exact: true }).waitFor();
  await expect(page.getByText(m.send.reviewIntro, { exact: true }).count()).resolves.toBe(1);
  expect(w.ledger.profile.chainId).toBe(31337);
  // The same review through the API: its fee, to compare with what the screen shows.
  const { fee } = await api('wallet.previewSend', {
    from: payer.uri,
    to: payee.address,
    amount: run.amount,
  });
  expect(fee.symbol).toBe('ETH');
  await expect(factsOf(page.locator('dl.review'))).resolves.toEqual({
    // Every address with who it is beside it: both are accounts of this wallet.
    [m.send.from]: `${payer.address} ${fillTemplate(m.review.name.account, { name: run.payer })}`,
    [m.send.to]: `${payee.address} ${fillTemplate(m.review.name.account, { name: run.payee })}`,
    [m.send.amount]: run.shown.amount,
    // In the chain's own coin (a fraction of one ETH, every digit), then the wei, grouped.
    [m.send.fee]: feeText(m, fee),
    [m.send.chain]: '31337', // an id: never grouped
    [m.send.nonce]: '0',
    [m.send.txType]: w.ledger.profile.txType,
    [m.send.contract]:
      `${getAddress(w.ledger.profile.contracts.currency)} ${m.review.contract.currency}`,
    [m.send.availableAfter]: run.shown.after,
  });
  expect(fee.max).toMatch(/^0\.\d+$/);
  await expect(
    page.getByRole('button', { name: m.common.back, exact: true }).count(),
  ).resolves.toBe(1);
  await checkText('the review');
  await snap('review');
  await runAxe(`review (${code})`);

  // Sign with the PIN, with no node reachable: signed and queued.
  await page.getByRole('button', { name: m.send.sign, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: m.send.signTitle, exact: true });
  await dialog.waitFor();
  await expect(dialog.locator('p').allTextContents()).resolves.toEqual([
    m.send.reviewIntro,
    m.pin.hint,
  ]);
  await expect(
    dialog.getByRole('button', { name: m.common.cancel, exact: true }).count(),
  ).resolves.toBe(1);
  await checkText('the PIN dialog');
  await snap('pin');
  await runAxe(`PIN dialog (send, ${code})`);
  await dialog.getByLabel(m.pin.label, { exact: true }).fill(PIN);
  await dialog.getByRole('button', { name: m.pin.submit, exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });

  await page.getByRole('heading', { level: 2, name: m.send.resultTitle, exact: true }).waitFor();
  await expect(page.locator('main').getByRole('status').textContent()).resolves.toBe(
    `${m.outbox.txStatus.signed} ${m.send.queued}`,
  );
  await expect(page.locator('main').textContent()).resolves.toContain(
    fillTemplate(m.send.syncError, { error: m.errors.NODE_UNREACHABLE }),
  );
  const result = await factsOf(page.locator('main dl.facts'));
  const txHash = result[m.send.txHash]!;
  expect(txHash).toMatch(/^0x[0-9a-f]{64}$/);
  expect(result).toEqual({
    [m.send.txHash]: txHash,
    [m.send.amount]: run.shown.amount,
    [m.send.nonce]: '0',
  });
  await expect(
    page.getByRole('button', { name: m.send.another, exact: true }).count(),
  ).resolves.toBe(1);
  await checkText('the signed payment');
  await snap('queued');
  const mine = async () => (await outboxRows()).filter((t) => t.txHash === txHash);
  expect((await mine()).map((t) => [t.status, t.amount])).toEqual([['signed', run.amount]]);

  // The account counts it as pending until it is confirmed.
  await openScreen('accounts', m.accounts.title);
  const balances = page.getByRole('region', { name: m.accounts.balances, exact: true });
  await expect(balances.locator('thead th').allTextContents()).resolves.toEqual([
    m.accounts.name,
    m.accounts.address,
    m.accounts.balance,
    m.accounts.pending,
    m.accounts.available,
    m.accounts.status,
  ]);
  const balanceRow = (name: string) =>
    balances.locator('tbody tr', { has: page.getByRole('cell', { name, exact: true }) });
  // balance, pending, available
  await expect(balanceRow(run.payer).locator('td.num').allTextContents()).resolves.toEqual([
    run.shown.funds,
    run.shown.amount,
    run.shown.after,
  ]);
  await checkText('the accounts, payment pending');
  await snap('pending');

  // Waiting in the outbox, while the only node is down.
  await openScreen('outbox', m.outbox.title);
  const outbox = page.getByRole('region', { name: m.outbox.transactions, exact: true });
  await expect(outbox.locator('thead th').allTextContents()).resolves.toEqual([
    m.outbox.txHash,
    m.outbox.kind,
    m.outbox.nonce,
    m.outbox.amount,
    m.outbox.status,
  ]);
  const row = outbox.locator('tbody tr', { has: page.locator(`td[title="${txHash}"]`) });
  await expect(row.count()).resolves.toBe(1);
  await expect(row.locator('td.num').allTextContents()).resolves.toEqual(['0', run.shown.amount]);
  await expect(row.locator('.badge').textContent()).resolves.toBe(m.outbox.txStatus.signed);
  await expect(nodeRow(OFFLINE_NODE, m).locator('.badge').textContent()).resolves.toBe(
    m.outbox.nodeState.down,
  );
  await checkText('the outbox, payment signed');
  await snap('outbox-signed');

  // The node is back: one press of Sync sends and confirms it.
  w.useProfile(w.ledger.profile);
  expect(await pressSync(m)).toBe('synced');
  await expect(page.locator('.toolbar-status').textContent()).resolves.toMatch(
    templatePattern(m.outbox.syncDone, { head: NUMBER, events: NUMBER, confirmed: '1' }),
  );
  await expect(row.locator('.badge').textContent()).resolves.toBe(m.outbox.txStatus.confirmed);
  await expect(nodeRow(w.ledger.url, m).locator('.badge').textContent()).resolves.toBe(
    m.outbox.nodeState.up,
  );
  await expect(
    page.getByText(templatePattern(m.outbox.chainHead, { head: NUMBER, synced: NUMBER })).count(),
  ).resolves.toBe(1);
  await checkText('the outbox, payment confirmed');
  await snap('confirmed');
  const [confirmed] = await mine();
  expect(confirmed?.status).toBe('confirmed');

  // Balances updated, and the payment at the top of the payer's history.
  await openScreen('accounts', m.accounts.title);
  await expect(balanceRow(run.payer).locator('td.num').allTextContents()).resolves.toEqual([
    run.shown.after,
    '0.00',
    run.shown.after,
  ]);
  await expect(balanceRow(run.payer).locator('.badge').textContent()).resolves.toBe(
    m.accounts.registered,
  );
  await expect(balanceRow(run.payee).locator('td.num').allTextContents()).resolves.toEqual([
    run.shown.payeeAfter,
    '0.00',
    run.shown.payeeAfter,
  ]);
  await page.getByLabel(m.accounts.historyFor, { exact: true }).selectOption(payer.address);
  const history = page.getByRole('region', { name: m.accounts.historyList, exact: true });
  // Two entries: the faucet's payment and this one.
  await page.getByText(fillTemplate(m.accounts.loadedAll, { n: 2 }), { exact: true }).waitFor();
  const newest = history.locator('.history-row[data-index="0"]');
  await expect(newest.locator('span').allTextContents()).resolves.toEqual([
    m.accounts.kind.transfer,
    fillTemplate(m.accounts.block, { block: grouped(confirmed!.blockNumber!) }),
    fillTemplate(m.accounts.fromTo, { from: short4(payer.address), to: short4(payee.address) }),
    // Between two accounts of this wallet: no sign.
    run.shown.amount,
  ]);
  // The faucet's payment, from outside the wallet: "+".
  const funding = history.locator('.history-row[data-index="1"]');
  await expect(funding.locator('.history-kind').textContent()).resolves.toBe(
    m.accounts.kind.transfer,
  );
  await expect(funding.locator('.history-amount').textContent()).resolves.toBe(
    `+${run.shown.funds}`,
  );
  await checkText('the accounts, balances updated');
  await snap('balances');
}

beforeAll(async () => {
  buildRenderer(dist);
  app = createAppApi({ home: w.home, env: w.env });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  browser = await launchChromium();
  page = await openUiPage(browser, bridge.url, pageErrors);
  await page.getByRole('heading', { level: 1, name: en.devices.title }).waitFor();
  await settle();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('user journeys in Chromium, against the dev ledger and SoftHSM2', () => {
  it('retail: signs offline, queues, then confirms on sync', async () => {
    await retailJourney({
      locale: english,
      payer: 'alice',
      payee: 'bob',
      funds: '100.00',
      amount: '12.34',
      shown: { funds: '100.00', amount: '12.34', after: '87.66', payeeAfter: '13.34' },
    });
  }, 60_000);

  it('a payment reviewed, then the ledger moved before the PIN: nothing signed, the fresh review shown, and that one signs', async () => {
    const alice = w.keys.alice!;
    const bob = w.keys.bob!;
    await reviewPayment(bob.address, '1.00');
    const reviewed = await factsOf(page.locator('dl.review'));
    const nonce = Number(reviewed[en.send.nonce]);
    // While the review is on screen, the CLI queues another payment from alice: it takes that nonce.
    const other = await json([
      'send',
      '--from',
      alice.uri,
      '--to',
      bob.address,
      '--amount',
      '2.00',
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    expect(other.transactions[0].nonce).toBe(nonce);
    const before = await outboxRows();
    const audit = await json(['audit', '--limit', '100']);

    await page.getByRole('button', { name: en.send.sign, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: en.send.signTitle, exact: true });
    await dialog.getByLabel(en.pin.label, { exact: true }).fill(PIN);
    await dialog.getByRole('button', { name: en.pin.submit, exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });

    // Back on the review, told why, with the payment as it would be signed now.
    await page.getByRole('heading', { level: 2, name: en.send.reviewTitle, exact: true }).waitFor();
    const alert = page.locator('main').getByRole('alert');
    await expect(alert.locator('.error-text').textContent()).resolves.toBe(en.errors.REVIEW_STALE);
    await expect(alert.locator('.error-detail').textContent()).resolves.toBe(
      fillTemplate(en.errors.technical, {
        message: 'the ledger changed since you reviewed; review again',
      }),
    );
    // What moved is marked with what it was: the nonce, and what is available afterwards.
    const was = (value: string | number) => fillTemplate(en.review.was, { value });
    const availableBefore = reviewed[en.send.availableAfter]!;
    const availableNow = formatAmount(parseAmount(availableBefore) - 200n); // the CLI's 2.00
    await expect(factsOf(page.locator('dl.review'))).resolves.toEqual({
      ...reviewed,
      [en.send.nonce]: `${nonce + 1} ${was(nonce)}`,
      [en.send.availableAfter]: `${availableNow} ${was(availableBefore)}`,
    });
    await expect(page.locator('dl.review .badge-warn').count()).resolves.toBe(2);
    // Nothing signed: no outbox row and no audit entry beyond the CLI's.
    expect(await outboxRows()).toEqual(before);
    await expect(json(['audit', '--limit', '100'])).resolves.toEqual(audit);
    await shot('review-stale');
    await runAxe('review after it went stale');

    // The fresh review signs, with the nonce it shows.
    await page.getByRole('button', { name: en.send.sign, exact: true }).click();
    await dialog.getByLabel(en.pin.label, { exact: true }).fill(PIN);
    await dialog.getByRole('button', { name: en.pin.submit, exact: true }).click();
    await page.getByRole('heading', { level: 2, name: en.send.resultTitle, exact: true }).waitFor();
    await expect(factsOf(page.locator('main dl.facts'))).resolves.toMatchObject({
      [en.send.nonce]: String(nonce + 1),
    });
    await json(['sync']);
  }, 60_000);

  it('names a payee from the address book, and an address nobody named, on the review (en and zh-CN)', async () => {
    const shop = '0x2222222222222222222222222222222222222222';
    const stranger = '0x3333333333333333333333333333333333333333';
    await openScreen('accounts', en.accounts.title);
    const book = page.getByRole('region', { name: en.addressBook.title, exact: true });
    const form = book.getByRole('form', { name: en.addressBook.add, exact: true });
    const add = async (name: string, address: string) => {
      await form.getByLabel(en.addressBook.name, { exact: true }).fill(name);
      await form.getByLabel(en.addressBook.address, { exact: true }).fill(address);
      await form.getByRole('button', { name: en.addressBook.add, exact: true }).click();
    };
    // One of the wallet's own accounts is named by its account, not here: refused, in words.
    await add('Me', w.keys.alice!.address);
    await expect(book.getByRole('alert').locator('.error-text').textContent()).resolves.toBe(
      en.addressBook.refused['own-account'],
    );
    await add('Corner shop', shop);
    const row = book.locator('tbody tr', { has: page.getByRole('cell', { name: shop }) });
    await expect(row.locator('td').first().textContent()).resolves.toBe('Corner shop');
    await row
      .getByRole('button', {
        name: fillTemplate(en.addressBook.renameLabel, { name: 'Corner shop' }),
      })
      .click();
    await row
      .getByLabel(fillTemplate(en.addressBook.newName, { name: 'Corner shop' }))
      .fill('Corner shop Ltd');
    await row.getByRole('button', { name: en.addressBook.save, exact: true }).click();
    await expect.poll(() => row.locator('td').first().textContent()).toBe('Corner shop Ltd');
    await expect(json(['addressbook', 'list'])).resolves.toEqual([
      expect.objectContaining({ address: shop, name: 'Corner shop Ltd' }),
    ]);
    await shot('address-book');
    await runAxe('address book');

    const named = (m: Messages) => ({
      shop: `${shop} ${fillTemplate(m.review.name.addressBook, { name: 'Corner shop Ltd' })}`,
      stranger: `${stranger} ${m.review.name.unknown}`,
    });
    for (const locale of [english, chinese]) {
      const { m } = locale;
      await chooseLanguage(locale);
      await reviewPayment(shop, '1.00', m);
      await expect(factsOf(page.locator('dl.review'))).resolves.toMatchObject({
        [m.send.to]: named(m).shop,
      });
      await shot(`review-address-book-${locale.code}`);
      await runAxe(`review naming an address book entry (${locale.code})`);
      await page.getByRole('button', { name: m.common.back, exact: true }).click();
      await reviewPayment(stranger, '1.00', m);
      const facts = await factsOf(page.locator('dl.review'));
      expect(facts[m.send.to]).toBe(named(m).stranger);
      // Said, and marked as a warning.
      await expect(page.locator('dl.review .badge-warn').textContent()).resolves.toBe(
        m.review.name.unknown,
      );
      const { fee } = await api('wallet.previewSend', {
        from: w.keys.alice!.uri,
        to: stranger,
        amount: '1.00',
      });
      expect(facts[m.send.fee]).toBe(feeText(m, fee));
      await shot(`review-unknown-${locale.code}`);
      await page.getByRole('button', { name: m.common.back, exact: true }).click();
    }
    await chooseLanguage(english);

    await openScreen('accounts', en.accounts.title);
    await row
      .getByRole('button', {
        name: fillTemplate(en.addressBook.removeLabel, { name: 'Corner shop Ltd' }),
      })
      .click();
    await book.getByText(en.addressBook.empty, { exact: true }).waitFor();
    await expect(json(['addressbook', 'list'])).resolves.toEqual([]);
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
    // …and the cursor back in it, ready for the next try.
    await page.waitForFunction(() => document.activeElement?.getAttribute('type') === 'password');
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

  it('refuses a payment above the available balance before review, in words, queuing nothing', async () => {
    const before = await outboxRows();
    await openScreen('send', en.send.title);
    await page.getByLabel(en.send.from, { exact: true }).selectOption(w.keys.alice!.uri);
    await page.getByLabel(en.send.to, { exact: true }).fill(w.keys.bob!.address);
    await page.getByLabel(en.send.amount, { exact: true }).fill('1000000.00');
    await page.getByRole('button', { name: en.send.review, exact: true }).click();
    const alert = page.locator('main').getByRole('alert');
    await alert.waitFor();
    await expect(alert.locator('.error-text').textContent()).resolves.toBe(
      en.errors.INSUFFICIENT_BALANCE,
    );
    // The server's line, with the figures, for whoever supports the user.
    await expect(alert.locator('.error-detail').textContent()).resolves.toMatch(
      /^Details: not enough funds: [\d.]+ available, 1000000\.00 needed$/,
    );
    await expect(
      page.getByRole('heading', { level: 2, name: en.send.reviewTitle }).count(),
    ).resolves.toBe(0);
    await shot('en-insufficient-balance');
    await runAxe('send form with the balance error');
    expect(await outboxRows()).toEqual(before);
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

  /**
   * English the zh-CN journey still shows, known and outside the screens this test may
   * change: tolerated here so the test guards everything else, not required (a fix passes).
   */
  const knownGaps = [
    // Outbox.tsx: the nodes' "Last error" column shows the server's message as it is.
    /^bad port$/,
  ];

  it('retail in zh-CN: the same journey, in Chinese, with zh-CN number formats', async () => {
    // Latin words in the Chinese strings on purpose (PIN, nonce, PKCS…), the unit and the
    // app's name, and data: account names and the transaction type.
    const allowed = [
      ...latinWordsOf(zhCN, /\p{Script=Han}/u),
      'wei',
      'ETH', // the chain's coin, as the profile names it
      zhCN.app.name,
      ...Object.keys(w.keys),
      w.ledger.profile.txType,
    ];
    const checkText = async (where: string) => {
      const leaks = await latinText(page, ['main', 'nav', 'dialog[open]'], allowed);
      const unknown = leaks.filter((text) => !knownGaps.some((gap) => gap.test(text)));
      expect(unknown, `English left in ${where} (zh-CN)`).toEqual([]);
      await expect(page.title()).resolves.toMatch(/^\P{Script=Latin}+ · Signet$/u);
    };
    try {
      await retailJourney({
        locale: chinese,
        payer: 'carol',
        payee: 'dave',
        funds: '1500000.00',
        amount: '123456.78',
        shown: {
          funds: '1,500,000.00',
          amount: '123,456.78',
          after: '1,376,543.22',
          payeeAfter: '123,457.78',
        },
        checkText,
      });
    } finally {
      await chooseLanguage(english);
    }
  }, 60_000);

  it('ran with no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
