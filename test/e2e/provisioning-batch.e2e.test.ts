/**
 * Issue 12 §2 in Chromium: a branch provisions a 10-customer batch through the
 * Provisioning screen (through the browser bridge, as `npm start` serves it),
 * with SoftHSM2 tokens (factory-fresh: initialised with the bank's SO PIN, no
 * key) and the dev ledger. Once in English, once in Chinese:
 *
 *  - the CSV picked as a file, the operator key and the module chosen, the
 *    review read (rows, the refused row) before any token is touched;
 *  - both PINs typed in the batch's PIN dialog;
 *  - the progress bar seen advancing (aria-valuenow recorded by a
 *    MutationObserver: several values, never backwards, up to all rows), and
 *    in English the "insert the token for customer X" message while that
 *    customer's token is pulled out, the batch going on once it is back;
 *  - the report per row, downloaded as CSV and JSON;
 *  - axe on the form, review, PIN dialog and report: no serious or critical;
 *  - every mailer mode 0600, its PIN opening its token; no PIN in the DOM or
 *    the downloads.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type Address, parseAbi } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { PIN_MARKER } from '../../core/provisioning/pin-mailer.js';
import { devKeys } from '../../ledger/deploy.js';
import { en } from '../../renderer/src/i18n/en.js';
import { zhCN } from '../../renderer/src/i18n/zh-CN.js';
import { grantOperator } from '../support/operator-bank.js';
import { softhsmToken } from '../support/provision-batch.js';
import { softhsmModule } from '../support/softhsm.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  fillTemplate,
  launchChromium,
  openScreen,
  openUiPage,
  screenshotDir,
} from '../support/ui-harness.js';
import { PIN, useWallet } from '../support/wallet-fixture.js';

// Globals of the page, for the callbacks Chromium runs.
declare const document: any;
declare const window: any;
declare const MutationObserver: any;

const SO_PIN = '16180339';
const ROWS = 10;
const w = useWallet(['operator']);
const dir = mkdtempSync(join(tmpdir(), 'signet-batch-ui-'));
const dist = join(dir, 'dist');
let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** Every PIN of the run: the operator's, the SO PIN, each mailer's. */
const secrets = [PIN, SO_PIN];

/** A factory-fresh token: initialised with the bank's SO PIN, no key; its serial. */
const blankToken = (label: string) => softhsmToken(w, label, SO_PIN);

/** Pulls a token out: its SoftHSM2 directory moved aside; the returned function puts it back. */
function pull(serial: string): () => void {
  const tokens = join(dirname(w.env.SOFTHSM2_CONF!), 'tokens');
  const name = readdirSync(tokens).find((d) => d.replaceAll('-', '').endsWith(serial))!;
  const aside = join(dir, `pulled-${serial}`);
  renameSync(join(tokens, name), aside);
  return () => renameSync(aside, join(tokens, name));
}

function opens(label: string, pin: string): boolean {
  try {
    execFileSync(
      'pkcs11-tool',
      ['--module', softhsmModule, '--token-label', label, '--login', '--pin', pin, '-O'],
      { env: w.env, stdio: 'ignore' },
    );
    return true;
  } catch {
    return false;
  }
}

/** Customer i's reference (two digits: pkcs11-tool would take E-1 for E-10's label). */
const ref = (prefix: string, i: number) => `${prefix}-${String(i).padStart(2, '0')}`;

/** The batch's CSV: ROWS customers on fresh tokens (every third funded), and one refused row. */
function batchCsv(prefix: string, serials: string[], language: 'en' | 'zh-CN'): string {
  const rows = serials.map(
    (serial, i) =>
      `${ref(prefix, i + 1)},Customer ${i + 1},${serial},${i % 3 ? '0' : '1.50'},${language}`,
  );
  return ['customer,name,token,amount,language', ...rows, `${prefix}-BAD,Bad,abcdef,1.234,en`].join(
    '\n',
  );
}

/** Records the progress bar's aria-valuenow each time it changes, into window.__valuenow. */
async function watchProgress(): Promise<void> {
  await page.evaluate(() => {
    window.__valuenow = [];
    const look = () => {
      const bar = document.querySelector('[role="progressbar"]');
      const now = bar?.getAttribute('aria-valuenow');
      if (now != null && window.__valuenow.at(-1) !== Number(now))
        window.__valuenow.push(Number(now));
    };
    new MutationObserver(look).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['aria-valuenow'],
    });
  });
}

beforeAll(async () => {
  buildRenderer(dist);
  const operator = w.keys.operator!.address;
  await grantOperator(w.ledger, operator);
  // The central bank issues the operator money to fund customers with.
  const hash = await w.ledger.wallet(devKeys.centralBank).writeContract({
    address: w.ledger.profile.contracts.currency as Address,
    abi: parseAbi(['function issue(address operator, uint256 amount)']),
    functionName: 'issue',
    args: [operator, 1_000_00n],
  } as never);
  await w.ledger.publicClient.waitForTransactionReceipt({ hash });
  app = createAppApi({ home: w.home, env: w.env, onEvent: (event) => bridge?.publish(event) });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  browser = await launchChromium();
  page = await openUiPage(browser, bridge.url, pageErrors);
  await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a 10-customer batch through the Provisioning screen, in Chromium', () => {
  for (const [lang, m, prefix] of [
    ['en', en, 'E'],
    ['zh-CN', zhCN, 'Z'],
  ] as const) {
    it(`provisions ${ROWS} tokens in ${lang}: review, PINs, progress, report, mailers`, {
      timeout: 300_000,
    }, async () => {
      const p = m.provisioning;
      if (lang === 'zh-CN') {
        await page.locator('.lang select').selectOption('zh-CN');
        await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe('zh-CN');
      }
      const serials = Array.from({ length: ROWS }, (_, i) => blankToken(`${prefix}-blank-${i}`));
      const csv = batchCsv(prefix, serials, lang);
      await openScreen(page, 'provisioning', p.title);

      // The form: the CSV picked as a file, the operator's key and the tokens' module.
      await page
        .getByLabel(p.batch.file, { exact: true })
        .setInputFiles({ name: 'batch.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await expect.poll(() => page.getByLabel(p.batch.csv, { exact: true }).inputValue()).toBe(csv);
      await page.getByLabel(p.batch.operator, { exact: true }).selectOption({ index: 0 });
      // SoftHSM2 as Signet lists it (a p11-kit module's path, or the well-known one).
      const moduleSelect = page.getByLabel(p.batch.module, { exact: true });
      await moduleSelect
        .locator('option', { hasText: 'softhsm' })
        .first()
        .waitFor({ state: 'attached' });
      const softhsm = await moduleSelect
        .locator('option', { hasText: 'softhsm' })
        .first()
        .getAttribute('value');
      await moduleSelect.selectOption(softhsm!);
      await expectAccessible(page, `provisioning form (${lang})`);
      await page.getByRole('button', { name: p.batch.review }).click();

      // The review: every row, and the refused one, before any token is touched.
      await page.getByRole('heading', { level: 2, name: p.review.title }).waitFor();
      await expect(page.locator('tr[data-customer]').count()).resolves.toBe(ROWS);
      await expect(page.locator('li[data-reason="amount-invalid"]').count()).resolves.toBe(1);
      const folder = await page
        .locator('dl.facts dt', { hasText: p.review.mailers })
        .locator('xpath=following-sibling::dd[1]')
        .textContent();
      expect(folder).toMatch(new RegExp(`^${w.home}/pin-mailers/[0-9a-f]{32}$`));
      await page.screenshot({ path: join(screenshotDir, `provisioning-batch-review-${lang}.png`) });
      await expectAccessible(page, `provisioning review (${lang})`);
      expect(opens(`${prefix}-blank-0`, '00000000')).toBe(true);

      // The PIN dialog: the operator key's PIN and the bank's SO PIN.
      await page
        .getByRole('button', { name: fillTemplate(p.review.start, { rows: ROWS }) })
        .click();
      const dialog = page.getByRole('dialog', { name: p.pins.title });
      await dialog.waitFor();
      await expectAccessible(page, `provisioning PIN dialog (${lang})`);
      await dialog.getByLabel(p.pins.operator, { exact: true }).fill(PIN);
      await dialog.getByLabel(p.pins.so, { exact: true }).fill(SO_PIN);

      // In English, customer 5's token is out until the screen asks for it.
      const putBack = lang === 'en' ? pull(serials[4]!) : undefined;
      await watchProgress();
      await dialog.getByRole('button', { name: p.pins.start }).click();
      await dialog.waitFor({ state: 'hidden' });
      if (putBack) {
        const insert = fillTemplate(p.progress.insert, { customer: ref(prefix, 5) });
        await page.getByRole('status').filter({ hasText: insert }).waitFor({ timeout: 60_000 });
        const bar = page.getByRole('progressbar', { name: p.progress.title });
        await expect(bar.getAttribute('aria-valuetext')).resolves.toBe(
          fillTemplate(p.progress.rows, { done: 5, rows: ROWS + 1 }),
        );
        await page.screenshot({ path: join(screenshotDir, 'provisioning-batch-insert-en.png') });
        putBack();
      }

      // The report.
      await page.getByRole('heading', { level: 2, name: p.report.title }).waitFor({
        timeout: 240_000,
      });
      const seen: number[] = await page.evaluate(() => window.__valuenow);
      console.log(`${lang}: aria-valuenow seen ${seen.join(' → ')}`);
      expect(seen, JSON.stringify(seen)).toEqual([...seen].sort((a, b) => a - b));
      expect(new Set(seen).size, JSON.stringify(seen)).toBeGreaterThanOrEqual(3);
      expect(seen.at(-1)).toBe(ROWS + 1);
      await expect(
        page.locator(`tr[data-status="provisioned"]`).count(),
        await page.locator('.batch-report').innerText(),
      ).resolves.toBe(ROWS);
      await expect(page.locator('tr[data-status="refused"]').count()).resolves.toBe(1);
      await page
        .getByRole('status')
        .filter({
          hasText: fillTemplate(p.report.summary, { provisioned: ROWS, failed: 0, refused: 1 }),
        })
        .waitFor();
      await page.screenshot({
        path: join(screenshotDir, `provisioning-batch-report-${lang}.png`),
        fullPage: true,
      });
      await expectAccessible(page, `provisioning report (${lang})`);

      // The mailers: one per customer, 0600, whose PINs open their tokens.
      const files = readdirSync(folder!).sort();
      expect(files).toHaveLength(ROWS);
      for (let i = 1; i <= ROWS; i++) {
        const path = join(folder!, `${ref(prefix, i)}.pin.txt`);
        expect(statSync(path).mode & 0o777).toBe(0o600);
        const line = readFileSync(path, 'utf8')
          .split('\n')
          .find((l) => l.includes(PIN_MARKER))!;
        const pin = line.slice(line.indexOf(PIN_MARKER) + PIN_MARKER.length).trim();
        expect(pin.length).toBeGreaterThanOrEqual(6);
        secrets.push(pin);
        expect(opens(ref(prefix, i), pin), ref(prefix, i)).toBe(true);
        await expect(
          page
            .locator(`tr[data-customer="${ref(prefix, i)}"] td.mono`)
            .last()
            .textContent(),
        ).resolves.toBe(`${ref(prefix, i)}.pin.txt`);
      }

      // The downloads: every row, in words, and no PIN.
      const downloads: string[] = [];
      for (const name of [p.report.csv, p.report.json]) {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('link', { name }).click(),
        ]);
        downloads.push(readFileSync((await download.path())!, 'utf8'));
      }
      const [reportCsv, reportJson] = downloads as [string, string];
      expect(reportCsv.trim().split('\r\n')).toHaveLength(ROWS + 2);
      expect(reportCsv).toContain(`"${prefix}-BAD","refused"`);
      const parsed = JSON.parse(reportJson);
      expect(parsed.provisioned).toBe(ROWS);
      expect(parsed.rows.filter((r: any) => r.fundTx !== null)).toHaveLength(Math.ceil(ROWS / 3));

      const dom = `${await page.content()}\n${await page.evaluate(() => document.body.innerText)}`;
      for (const secret of secrets) {
        expect(dom.includes(secret), 'a PIN in the page').toBe(false);
        for (const text of downloads)
          expect(text.includes(secret), 'a PIN in a report').toBe(false);
      }
      await page.getByRole('button', { name: p.report.again }).click();
      await page.getByLabel(p.batch.csv, { exact: true }).waitFor();
      expect(pageErrors).toEqual([]);
    });
  }
});
