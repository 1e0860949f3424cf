import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { writeActiveProfile } from '../../core/chain/profile-file.js';
import { pinFile, signet } from '../support/cli.js';
import { createSoftHsmStore, type SoftHsmStore, softhsmModule } from '../support/softhsm.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  closedPortProfile,
  launchChromium,
  OTHER,
  openScreen as openScreenOf,
  repo,
  seedUiStore,
  settle as settlePage,
} from '../support/ui-harness.js';

// Globals of the page, for the callbacks Chromium runs: the root tsconfig is Node-only on purpose.
declare const window: any;
declare const document: any;
declare const sessionStorage: any;

const dist = join(repo, 'renderer', 'dist');
const shots = join(repo, 'test-results', 'screenshots');
const PIN = '1357-ui-pin';

const screens = [
  { id: 'devices', en: 'Devices', zh: '设备' },
  { id: 'provisioning', en: 'Provisioning', zh: '批量发放' },
  { id: 'accounts', en: 'Accounts', zh: '账户' },
  { id: 'send', en: 'Send', zh: '转账' },
  { id: 'cash', en: 'Offline cash', zh: '离线现金' },
  { id: 'notes', en: 'Notes', zh: '票据' },
  { id: 'treasury', en: 'Treasury', zh: '资金库' },
  { id: 'outbox', en: 'Outbox & Sync', zh: '发件箱与同步' },
  { id: 'audit', en: 'Audit', zh: '审计' },
  { id: 'customers', en: 'Customers', zh: '客户' },
] as const;

let tokens: SoftHsmStore;
let home: string;
let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
let alice: string;
const pageErrors: string[] = [];
const consoleLines: string[] = [];

const runAxe = (label: string) => expectAccessible(page, label);
const _settle = () => settlePage(page);
const openScreen = (id: string, heading: string) => openScreenOf(page, id, heading);

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const run = await signet(args, { env });
  if (run.code !== 0) throw new Error(`signet ${args.join(' ')}: ${run.stderr}`);
  return run;
}

beforeAll(async () => {
  // The renderer as shipped: a production build (NODE_ENV would be 'test' in-process).
  buildRenderer(dist);

  tokens = createSoftHsmStore('signet-ui-softhsm-');
  tokens.initToken('UI Token', PIN);
  tokens.activate();
  home = mkdtempSync(join(tmpdir(), 'signet-ui-home-'));
  const env = { ...process.env, SIGNET_HOME: home, SOFTHSM2_CONF: tokens.conf };
  writeActiveProfile(closedPortProfile(), env);

  const token = (await cli(['tokens', '--module', softhsmModule, '--json'], env)).json.find(
    (t: { label: string }) => t.label === 'UI Token',
  ).uri;
  const pin = pinFile(PIN);
  const key = (
    await cli(
      ['key', 'generate', '--token', token, '--curve', 'secp256k1', '--label', 'alice'].concat([
        '--pin-file',
        pin,
        '--json',
      ]),
      env,
    )
  ).json;
  alice = key.address;
  await cli(['account', 'add', '--key', key.uri, '--name', 'alice', '--pin-file', pin], env);
  seedUiStore(join(home, 'signet.sqlite'), alice, key.uri);

  app = createAppApi({ home, env });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1280, height: 860 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  page = await context.newPage();
  // Every CSP violation the page meets (eval, inline style or script, a foreign URL), as
  // the browser reports it to the page; installed before any of the page's scripts run.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as { cspViolations?: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event: any) => {
      seen.push(
        `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`,
      );
    });
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The console stays empty on every screen: an error or warning there (a CSP <meta> the
  // browser ignores, a 404, a React warning) is a defect even when nothing breaks.
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      consoleLines.push(`${message.type()}: ${message.text()}`);
    }
  });
  await page.goto(bridge.url);
  await page.evaluate(readFileSync(join(repo, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  mkdirSync(shots, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  tokens?.remove();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the Signet UI in Chromium, through the bridge', () => {
  it('takes the session token out of the URL', async () => {
    expect(page.url()).not.toContain('token=');
    expect(await page.evaluate(() => sessionStorage.getItem('signet.bridgeToken'))).toBe(
      bridge.token,
    );
  });

  it('lists the token on the Devices screen with its PIN state', async () => {
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    const card = page.locator('li.card', { hasText: 'UI Token' });
    await card.waitFor();
    await expect(card.locator('.badge').first().textContent()).resolves.toBe('PIN OK');
  });

  it('shows the retry state after a wrong PIN, then the keys with the right one', async () => {
    const card = page.locator('li.card', { hasText: 'UI Token' });
    await card.getByRole('button', { name: 'Show keys' }).click();
    const dialog = page.getByRole('dialog', { name: 'Show keys' });
    await dialog.waitFor();
    await dialog.getByLabel('PIN', { exact: true }).fill('0000-wrong');
    await dialog.getByRole('button', { name: 'Unlock' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.locator('.error-text').textContent()) ?? '';
    expect(text).toMatch(
      /^Wrong PIN\. (One try left before the PIN locks\.|The token reports few tries left\.|The token does not say how many tries are left\.)$/,
    );
    // The field was emptied when the PIN went out.
    await expect(dialog.getByLabel('PIN', { exact: true }).inputValue()).resolves.toBe('');

    await dialog.getByLabel('PIN', { exact: true }).fill(PIN);
    await dialog.getByRole('button', { name: 'Unlock' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const table = card.getByRole('table', { name: 'Keys on “UI Token”' });
    await table.waitFor();
    await expect(table.getByRole('cell', { name: 'alice', exact: true }).count()).resolves.toBe(1);
    await expect(table.getByText(alice).count()).resolves.toBe(1);
  });

  it('generates a key with the chosen curve and label', async () => {
    const card = page.locator('li.card', { hasText: 'UI Token' });
    await card.getByLabel('Curve').selectOption('p256');
    await card.getByLabel('Key label').fill('ui-p256');
    await card.getByRole('button', { name: 'Generate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Generate a key' });
    await dialog.getByLabel('PIN', { exact: true }).fill(PIN);
    await dialog.getByRole('button', { name: 'Unlock' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = card.getByRole('row', { name: /ui-p256/ });
    await row.waitFor();
    await expect(row.getByRole('cell', { name: 'p256', exact: true }).count()).resolves.toBe(1);
  });

  it('virtualises 100,000 history rows and pages older ones in as it scrolls', async () => {
    await openScreen('accounts', 'Accounts');
    await page
      .getByRole('region', { name: 'Balances' })
      .getByRole('cell', { name: 'alice', exact: true })
      .waitFor();
    const region = page.getByRole('region', { name: 'Transaction history, newest first' });
    await region.locator('li.history-row').first().waitFor();
    const status = page.locator('p[aria-live="polite"]');
    await expect(status.textContent()).resolves.toBe('500 entries loaded');

    // Only what is in view (plus overscan) is in the DOM.
    const rendered = await region.locator('li.history-row').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(60);

    // Positioned by transform under the CSP: rows stack 56 px apart.
    const tops = await region
      .locator('li.history-row')
      .evaluateAll((items) => items.slice(0, 4).map((li) => li.getBoundingClientRect().top));
    expect(tops[1]! - tops[0]!).toBe(56);
    expect(tops[3]! - tops[2]!).toBe(56);

    // Scroll to the end three times: each time the next page comes in.
    for (const expected of ['1,000', '1,500', '2,000']) {
      await region.evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      await page.waitForFunction(
        (want) => document.querySelector('p[aria-live="polite"]')?.textContent === want,
        `${expected} entries loaded`,
        { timeout: 10_000 },
      );
    }
    // The newest row is the seeded last one, formatted in the locale.
    await region.evaluate((el) => {
      el.scrollTop = 0;
    });
    const first = region.locator('li.history-row[data-index="0"]');
    await expect(first.locator('.history-amount').textContent()).resolves.toMatch(
      /^[-+]\d{1,3}(,\d{3})*\.\d{2}$/,
    );
    expect(await region.locator('li.history-row').count()).toBeLessThan(60);
  });

  it('shows every screen in English and Chinese with no serious axe violation', async () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      if (lang === 'zh-CN') {
        await page.locator('.lang select').selectOption('zh-CN');
        await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe('zh-CN');
      }
      for (const screen of screens) {
        await openScreen(screen.id, lang === 'en' ? screen.en : screen.zh);
        await page.screenshot({ path: join(shots, `${screen.id}-${lang}.png`) });
        await runAxe(`${screen.id} (${lang})`);
      }
    }
    // A translated heading, and the sidebar in Chinese too.
    await openScreen('devices', '设备');
    await expect(
      page
        .getByRole('navigation', { name: '主导航' })
        .getByRole('button', { name: '账户' })
        .count(),
    ).resolves.toBe(1);
  }, 60_000);

  it('keeps panels usable with no node reachable', async () => {
    await openScreen('outbox', '发件箱与同步');
    // The node is shown as down, not a blank screen; a sync reports a readable error.
    await page.getByText('离线', { exact: true }).first().waitFor();
    await page.getByRole('button', { name: '立即同步' }).click();
    const alert = page.getByRole('alert').first();
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toBeTruthy();
    await page.locator('.lang select').selectOption('en');
    await openScreen('outbox', 'Outbox & Sync');
  });

  it('verifies the audit chain and searches it', async () => {
    await openScreen('audit', 'Audit');
    // The 3 seeded entries, and the two keys generated above (by the CLI, then in the UI).
    await expect(
      page.getByRole('status').filter({ hasText: 'audit log' }).textContent(),
    ).resolves.toBe('The audit log is intact (5 entries checked).');
    const rows = page.getByRole('table').locator('tbody tr');
    await expect(rows.count()).resolves.toBe(5);
    const search = page.getByRole('searchbox', { name: 'Search the audit log' });
    await search.fill('sign-transaction');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    await expect(rows.first().textContent()).resolves.toContain('sign-transaction');
    await search.fill('generate-key');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 2);
    await expect(rows.first().textContent()).resolves.toContain('ui-p256');
    await expect(rows.nth(1).textContent()).resolves.toContain('alice');
    await search.fill('');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 5);
  });

  it('shows notes grouped by maturity with exact totals', async () => {
    await openScreen('notes', 'Notes');
    const march = page.getByRole('region', { name: 'Matures March 31, 2026' });
    await expect(march.locator('.panel-actions').textContent()).resolves.toBe(
      '2 notes, total 750.50',
    );
    await page.getByRole('region', { name: 'Matures September 30, 2026' }).waitFor();
  });

  it('sends: validates the form, and refuses to build a payment before any sync', async () => {
    await openScreen('send', 'Send');
    await page.getByLabel('From account').selectOption({ index: 1 }); // alice
    await page.getByLabel('To address').fill(OTHER);
    await page.getByLabel('Amount').fill('1.234');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByText('Enter an amount like 12.34 (at most two decimals).').waitFor();
    await page.getByLabel('Amount').fill('1200.50');
    await page.getByRole('button', { name: 'Review' }).click();
    // The fee comes from the last sync and this ledger was never synced: an error code
    // with no translation shows the server's own line.
    const alert = page.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toContain('this ledger has never been synced');
    await page.screenshot({ path: join(shots, 'send-refused-en.png') });
  });

  it('keeps an address book on the Accounts screen, in English and Chinese, with no serious axe violation', async () => {
    await openScreen('accounts', 'Accounts');
    const book = page.getByRole('region', { name: 'Address book', exact: true });
    await expect(book.getByText('No entries yet.', { exact: true }).count()).resolves.toBe(1);
    const form = book.getByRole('form', { name: 'Add to the address book' });
    // Checked in the form first, with the contract's own rules: nothing is called.
    await form.getByLabel('Name', { exact: true }).fill('x'.repeat(65));
    await form.getByLabel('Address', { exact: true }).fill('0x1234');
    await form.getByRole('button', { name: 'Add to the address book' }).click();
    await expect(form.locator('.field-error').allTextContents()).resolves.toEqual([
      'Enter a name of 1 to 64 characters, without invisible characters.',
      'Enter an address: 0x followed by 40 hexadecimal digits.',
    ]);
    await form.getByLabel('Name', { exact: true }).fill('Other bank');
    await form.getByLabel('Address', { exact: true }).fill(OTHER);
    await form.getByRole('button', { name: 'Add to the address book' }).click();
    const row = book.locator('tbody tr');
    await expect
      .poll(() => row.locator('td').allTextContents())
      .toEqual(['Other bank', OTHER, 'RenameRemove']);
    await expect(form.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe('');
    await page.screenshot({ path: join(shots, 'address-book-en.png'), fullPage: true });
    await runAxe('address book (en)');

    await page.locator('.lang select').selectOption('zh-CN');
    await openScreen('accounts', '账户');
    const zhBook = page.getByRole('region', { name: '通讯录', exact: true });
    await expect(zhBook.locator('thead th').allTextContents()).resolves.toEqual([
      '名称',
      '地址',
      '操作',
    ]);
    await zhBook.getByRole('button', { name: '重命名 Other bank' }).click();
    await zhBook.getByLabel('Other bank 的新名称').fill('他行');
    await zhBook.getByRole('button', { name: '保存', exact: true }).click();
    await expect.poll(() => zhBook.locator('tbody td').first().textContent()).toBe('他行');
    // The same name twice is refused by the server, in Chinese.
    const zhForm = zhBook.getByRole('form', { name: '添加到通讯录' });
    await zhForm.getByLabel('名称', { exact: true }).fill('他行');
    await zhForm.getByLabel('地址', { exact: true }).fill(`0x${'2'.repeat(40)}`);
    await zhForm.getByRole('button', { name: '添加到通讯录' }).click();
    await expect(zhBook.getByRole('alert').locator('.error-text').textContent()).resolves.toBe(
      '此名称已用于另一个地址或账户。',
    );
    await page.screenshot({ path: join(shots, 'address-book-zh-CN.png'), fullPage: true });
    await runAxe('address book (zh-CN)');
    await zhBook.getByRole('button', { name: '删除 他行' }).click();
    await zhBook.getByText('还没有条目。', { exact: true }).waitFor();
    await page.locator('.lang select').selectOption('en');
  });

  it('says on the Offline cash screen that this ledger has no purse contract', async () => {
    await openScreen('cash', 'Offline cash');
    await expect(
      page
        .getByRole('status')
        .filter({ hasText: 'This ledger has no offline purse contract' })
        .count(),
    ).resolves.toBe(1);
    // Nothing to receive into, pay from or open here.
    await expect(
      page.getByRole('button', { name: 'Show the payment request' }).count(),
    ).resolves.toBe(0);
  });

  it('ran with no CSP violation, no page error and an empty console', async () => {
    // The page stayed the same document all along (a screen change is not a navigation).
    expect(await page.evaluate(() => window.cspViolations)).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleLines).toEqual([]);
  });
});
