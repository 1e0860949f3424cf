/**
 * What the UI tests and the UI benchmark share: building the renderer as
 * shipped, launching Debian's Chromium (no browser download), a ledger profile
 * at a closed port, a store seeded with 100,000 history rows, axe, and waiting
 * for a screen to settle.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { ChainProfile } from '../../core/api/profile.js';
import { appendAudit } from '../../core/store/audit-log.js';
import { upsertAccountState, upsertNote } from '../../core/store/chain-state.js';
import { openStore } from '../../core/store/database.js';
import { addEvents, type HistoryEvent } from '../../core/store/history.js';
import { closedPortProfile as closedPort } from './store-fixtures.js';

// Globals of the page, for the callbacks Chromium runs: the root tsconfig is Node-only on purpose.
declare const window: any;
declare const document: any;

export const repo = resolve(import.meta.dirname, '../..');
export const CHAIN_ID = 31337;
export const HISTORY_ROWS = 100_000;
export const OTHER = '0x1111111111111111111111111111111111111111';

/** A production build of the renderer into `outDir` (NODE_ENV would be 'test' in-process). */
export function buildRenderer(outDir = join(repo, 'renderer', 'dist')): string {
  execFileSync(
    process.execPath,
    [join(repo, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir, '--emptyOutDir'],
    {
      cwd: repo,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: 'pipe',
    },
  );
  return outDir;
}

/**
 * Headless Debian Chromium, as root, with no background traffic on the closed
 * network; `extraArgs` adds switches (e.g. fake-camera.ts's fakeCameraArgs).
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
    timeout: 60_000,
  });
}

/** Where the UI tests save their screenshots (CI keeps them as artefacts). */
export const screenshotDir = join(repo, 'test-results', 'screenshots');

/**
 * A page of the UI as the e2e tests use it: a fresh context (1280×900, en-US,
 * UTC), every page error collected into `pageErrors`, the bridge URL opened and
 * axe-core injected; the screenshot folder made.
 */
export async function openUiPage(
  browser: Browser,
  url: string,
  pageErrors: string[],
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  mkdirSync(screenshotDir, { recursive: true });
  await page.goto(url);
  await page.evaluate(readFileSync(join(repo, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  return page;
}

/** A dev profile whose only node is a closed port: every read must come from the store. */
export function closedPortProfile(): ChainProfile {
  return closedPort({ name: 'ui-test', chainId: CHAIN_ID, confirmations: 1 });
}

/** `rows` transfers (100,000 by default), a balance, three notes and a few audit entries for `address`. */
export function seedUiStore(
  path: string,
  address: string,
  keyUri: string,
  rows = HISTORY_ROWS,
): void {
  const store = openStore(path);
  try {
    const events: HistoryEvent[] = [];
    for (let i = 0; i < rows; i++) {
      const incoming = i % 3 === 0;
      events.push({
        chainId: CHAIN_ID,
        txHash: `0x${i.toString(16).padStart(64, '0')}`,
        logIndex: 0,
        blockNumber: i + 1,
        blockHash: `0x${(i + 1).toString(16).padStart(64, 'b')}`,
        kind: 'transfer',
        from: (incoming ? OTHER : address) as `0x${string}`,
        to: (incoming ? address : OTHER) as `0x${string}`,
        amount: BigInt(100 + (i % 997) * 123),
        tokenId: null,
        timestamp: 1_700_000_000 + i * 60,
        data: {},
      });
    }
    addEvents(store, events);
    const holder = address as `0x${string}`;
    upsertAccountState(store, {
      chainId: CHAIN_ID,
      address: holder,
      balance: 123_456_789n,
      registered: true,
      frozen: false,
      chainNonce: 0,
      updatedBlock: rows,
    });
    const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 1000;
    for (const [id, maturity, value] of [
      [1n, '2026-03-31', 50_000n],
      [2n, '2026-03-31', 25_050n],
      [3n, '2026-09-30', 1_000_000n],
    ] as const) {
      upsertNote(store, {
        chainId: CHAIN_ID,
        tokenId: id,
        holder,
        slot: 1n,
        acceptor: OTHER,
        currency: `0x${'c1'.padStart(40, '0')}`,
        maturity: day(maturity),
        value,
        status: 'active',
        updatedBlock: 1,
      });
    }
    appendAudit(store, { action: 'add-account', keyUri, subject: { name: 'alice', address } });
    appendAudit(store, {
      action: 'sign-transaction',
      keyUri,
      subject: { to: OTHER, amount: '1.00' },
      txHash: `0x${'ab'.repeat(32)}`,
    });
    appendAudit(store, { action: 'sync', subject: { head: 42 } });
  } finally {
    store.close();
  }
}

/** axe-core on the page (injected beforehand): how many rules passed, and the serious or critical violations. */
export async function axeFindings(page: Page): Promise<{ passes: number; serious: unknown[] }> {
  const { passes, violations } = await page.evaluate(async () => {
    const axe = (window as { axe: any }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return {
      passes: result.passes.length,
      violations: result.violations.map((v: any) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')),
      })),
    };
  });
  return {
    passes,
    serious: violations.filter(
      (v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical',
    ),
  };
}

/** Every panel has finished loading (its own content, or its own error). */
export async function settle(page: Page, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    () =>
      document.querySelectorAll('[aria-busy="true"]').length === 0 &&
      !document.body.innerText.includes('Loading…') &&
      !document.body.innerText.includes('加载中…'),
    undefined,
    { timeout },
  );
}

export async function openScreen(page: Page, id: string, heading: string): Promise<void> {
  await page.click(`nav [data-screen="${id}"]`);
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
  await settle(page);
}

/** An i18next template with its `{{name}}` placeholders filled, as the UI renders it. */
export function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/**
 * A whole-text pattern for an i18next template: its literal parts matched as they
 * are, each `{{name}}` by the regular-expression source given for it.
 */
export function templatePattern(template: string, sources: Record<string, string>): RegExp {
  const parts = template.split(/\{\{(\w+)\}\}/);
  const body = parts
    .map((part, i) =>
      i % 2 === 0 ? part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : `(?:${sources[part] ?? '.*'})`,
    )
    .join('');
  return new RegExp(`^${body}$`);
}

/**
 * The words in Latin letters a language's strings use on purpose (PIN, nonce…):
 * those of its strings that match `within` (e.g. /\p{Script=Han}/u: translated
 * ones, so that a string left in English does not vouch for its own words).
 */
export function latinWordsOf(messages: object, within = /./): Set<string> {
  const words = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      if (!within.test(value)) return;
      for (const word of value.replace(/\{\{\w+\}\}/g, ' ').match(/[A-Za-z]+/g) ?? [])
        words.add(word);
    } else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(messages);
  return words;
}

/**
 * Text the user sees (text nodes and the names given in aria-label, aria-valuetext,
 * placeholder) in `scopes` that still holds Latin words once `allowed` words are
 * set aside. Addresses, hashes and URLs (0x…, http://…) are data, not words. Each
 * finding is the trimmed text it came from.
 */
export async function latinText(
  page: Page,
  scopes: string[],
  allowed: Iterable<string>,
): Promise<string[]> {
  return page.evaluate(
    ({ scopes, allowed }) => {
      const ok = new Set(allowed);
      const leaks = (text: string) =>
        (
          text
            .replace(/https?:\/\/\S+/g, ' ')
            .replace(/0x[0-9a-fA-F]*(…[0-9a-fA-F]+)?/g, ' ')
            .match(/[A-Za-z][A-Za-z0-9]*/g) ?? []
        ).some((word) => !ok.has(word));
      const found: string[] = [];
      const visible = (el: any) => el.checkVisibility?.() ?? true;
      for (const scope of scopes) {
        for (const root of document.querySelectorAll(scope)) {
          if (!visible(root)) continue;
          const walker = document.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const text = node.textContent.trim();
            const parent = node.parentElement;
            if (text && parent && visible(parent) && leaks(text)) found.push(text);
          }
          for (const el of [root, ...root.querySelectorAll('*')]) {
            if (!visible(el)) continue;
            for (const name of ['aria-label', 'aria-valuetext', 'placeholder']) {
              const text = el.getAttribute(name)?.trim();
              if (text && leaks(text)) found.push(text);
            }
          }
        }
      }
      return found;
    },
    { scopes, allowed: [...allowed] },
  );
}
