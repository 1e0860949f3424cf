/**
 * npm run bench:ui — the Accounts screen of the built UI over 100,000 history rows.
 *
 * Setup as in test/e2e/ui-smoke.e2e.test.ts: a SoftHSM2 token in a temporary
 * store, one account ("alice") added through the CLI, 100,000 history rows,
 * balances, notes and audit entries seeded in the store, a ledger profile whose
 * only RPC is a closed port (no node, nothing syncs); a real app API behind the
 * real loopback bridge serving renderer/dist (build it first: `vite build`),
 * opened in Debian's Chromium (headless) through playwright-core.
 *
 * Each run opens a fresh browser context (cold page, own JS heap), waits for
 * the Devices screen to finish loading, then measures in the page:
 * 1. first-rows: performance.now() just before the Accounts nav button's click()
 *    (run in the page), to the first frame after the first `li.history-row` is in
 *    the DOM (a MutationObserver sees the row, then requestAnimationFrame, then a
 *    task posted from it, i.e. after that frame's style/layout/paint). Covers:
 *    React's re-render of the screen, both API calls (accounts.balances and the
 *    first history.page of 500 rows) over HTTP to the bridge and the app API's
 *    SQLite reads, JSON parsing, rendering the virtualised rows, and one frame.
 *    Also reported: the time the row entered the DOM (no frame).
 * 2. scroll-to-end: from the first rows, the history region's scrollTop is set
 *    to its scrollHeight on every animation frame (a user dragging the scroll
 *    bar to the bottom again and again) until the status reads "All 100,000
 *    entries loaded" and the last row (data-index 99999) is in the DOM: every
 *    page of 500 rows is fetched in turn. Reported: total time, frames seen,
 *    frames longer than 50 ms (and the longest), frames dropped at 60 Hz
 *    (Σ round(Δ/16.7) − 1 over all rAF intervals).
 * 3. JS heap of the page (CDP Runtime.getHeapUsage, usedSize) after the first
 *    rows and after the end, each straight away and after a forced GC
 *    (HeapProfiler.collectGarbage), i.e. what the page retains.
 * Baseline, in the same run: the same screen over a store holding one page of
 * history (BASELINE_ROWS = 500 rows, the size of one history.page), measured
 * the same way, runs interleaved with the full ones. The ratio of first rows
 * (100,000 rows ÷ one page) shows what the size of the history costs.
 * Medians over RUNS runs, then every run. Last line: `first-rows-ms: N` (median).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { type Bridge, startBridge } from '../core/bridge/bridge-server.js';
import { writeActiveProfile } from '../core/chain/profile-file.js';
import { pinFile, signet } from '../test/support/cli.js';
import { createSoftHsmStore, type SoftHsmStore, softhsmModule } from '../test/support/softhsm.js';
import {
  closedPortProfile,
  HISTORY_ROWS,
  launchChromium,
  seedUiStore,
} from '../test/support/ui-harness.js';

// Globals of the page, for the callbacks Chromium runs: this file is type-checked for Node.
declare const window: any;
declare const document: any;
declare const performance: any;
declare const requestAnimationFrame: any;
declare const MutationObserver: any;

const repo = resolve(import.meta.dirname, '..');
const dist = join(repo, 'renderer', 'dist');
const RUNS = Number(process.env.BENCH_UI_RUNS ?? 5);
const PIN = '1357-ui-pin';
const SCROLL_TIMEOUT_MS = 300_000;
const BASELINE_ROWS = 500;

interface Run {
  firstRowsMs: number;
  firstRowDomMs: number;
  rowsRendered: number;
  scrollMs: number;
  frames: number;
  longFrames: number;
  maxFrameMs: number;
  droppedFrames: number;
  heapFirst: number;
  heapFirstGc: number;
  heapEnd: number;
  heapEndGc: number;
}

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  const run = await signet(args, { env });
  if (run.code !== 0) throw new Error(`signet ${args.join(' ')}: ${run.stderr}`);
  return run;
}

/** The smoke test's seed, unchanged. */

async function settle(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      document.querySelectorAll('[aria-busy="true"]').length === 0 &&
      !document.body.innerText.includes('Loading…'),
    undefined,
    { timeout: 30_000 },
  );
}

async function heap(page: Page, gc: boolean): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    if (gc) await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  } finally {
    await cdp.detach();
  }
}

async function measure(browser: Browser, url: string, total: number): Promise<Run> {
  const context: BrowserContext = await browser.newContext({
    viewport: { width: 1280, height: 860 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  try {
    // tsx (esbuild, keepNames) wraps the named functions in the page callbacks below in
    // __name(); give the page that helper. A string, so it is not transformed itself.
    await context.addInitScript('globalThis.__name = (fn) => fn;');
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    await page.locator('li.card', { hasText: 'UI Token' }).waitFor();
    await settle(page);

    // (1) From the click on "Accounts" to the first frame holding a history row.
    const first = await page.evaluate(
      () =>
        new Promise<{ firstRowsMs: number; firstRowDomMs: number; rowsRendered: number }>(
          (done, fail) => {
            const button = document.querySelector('nav [data-screen="accounts"]');
            if (!button) return fail(new Error('no Accounts nav button'));
            let seen = false;
            let t0 = 0;
            const check = (observer?: any) => {
              if (seen || !document.querySelector('li.history-row')) return;
              seen = true;
              const domAt = performance.now();
              observer?.disconnect();
              requestAnimationFrame(() => {
                // After this frame's rendering steps: the first task once it is painted.
                setTimeout(() => {
                  done({
                    firstRowsMs: performance.now() - t0,
                    firstRowDomMs: domAt - t0,
                    rowsRendered: document.querySelectorAll('li.history-row').length,
                  });
                }, 0);
              });
            };
            const observer = new MutationObserver(() => check(observer));
            observer.observe(document.body, { childList: true, subtree: true });
            t0 = performance.now();
            button.click();
            check(observer);
          },
        ),
    );
    const heapFirst = await heap(page, false);
    const heapFirstGc = await heap(page, true);

    // (2) Scroll to the very end, one jump to the bottom per frame, every page fetched in turn.
    const scroll = await page.evaluate(
      ({ total, timeoutMs }) =>
        new Promise<{
          scrollMs: number;
          frames: number;
          longFrames: number;
          maxFrameMs: number;
          droppedFrames: number;
        }>((done, fail) => {
          const region = document.querySelector('section.history-scroll');
          if (!region) return fail(new Error('no history region'));
          const status = () => document.querySelector('p[aria-live="polite"]')?.textContent ?? '';
          const finalStatus = `All ${total.toLocaleString('en-US')} entries loaded`;
          const t0 = performance.now();
          let last = t0;
          let frames = 0;
          let longFrames = 0;
          let maxFrameMs = 0;
          let droppedFrames = 0;
          const tick = (now: number) => {
            const delta = now - last;
            last = now;
            frames++;
            if (delta > 50) longFrames++;
            if (delta > maxFrameMs) maxFrameMs = delta;
            droppedFrames += Math.max(0, Math.round(delta / (1000 / 60)) - 1);
            if (
              status() === finalStatus &&
              document.querySelector(`li.history-row[data-index="${total - 1}"]`)
            ) {
              return done({
                scrollMs: now - t0,
                frames,
                longFrames,
                maxFrameMs,
                droppedFrames,
              });
            }
            if (now - t0 > timeoutMs) {
              return fail(new Error(`scroll timed out at "${status()}"`));
            }
            region.scrollTop = region.scrollHeight;
            requestAnimationFrame(tick);
          };
          region.scrollTop = region.scrollHeight;
          requestAnimationFrame(tick);
        }),
      { total, timeoutMs: SCROLL_TIMEOUT_MS },
    );
    const heapEnd = await heap(page, false);
    const heapEndGc = await heap(page, true);
    if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
    return { ...first, ...scroll, heapFirst, heapFirstGc, heapEnd, heapEndGc };
  } finally {
    await context.close();
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

const temp = mkdtempSync(join(tmpdir(), 'signet-bench-ui-'));
let tokens: SoftHsmStore | undefined;
const apps: AppApi[] = [];
const bridges: Bridge[] = [];
let browser: Browser | undefined;
try {
  tokens = createSoftHsmStore('signet-bench-ui-softhsm-');
  tokens.initToken('UI Token', PIN);
  tokens.activate();
  const home = join(temp, 'home');
  const baselineHome = join(temp, 'home-baseline');
  mkdirSync(home);
  mkdirSync(baselineHome);
  const env = { ...process.env, SIGNET_HOME: home, SOFTHSM2_CONF: tokens.conf };
  const baselineEnv = { ...env, SIGNET_HOME: baselineHome };
  writeActiveProfile(closedPortProfile(), env);
  writeActiveProfile(closedPortProfile(), baselineEnv);
  const token = (await cli(['tokens', '--module', softhsmModule, '--json'], env)).json.find(
    (t: { label: string }) => t.label === 'UI Token',
  ).uri;
  const pin = pinFile(PIN, temp);
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
  for (const e of [env, baselineEnv]) {
    await cli(['account', 'add', '--key', key.uri, '--name', 'alice', '--pin-file', pin], e);
  }
  seedUiStore(join(home, 'signet.sqlite'), key.address, key.uri);
  seedUiStore(join(baselineHome, 'signet.sqlite'), key.address, key.uri, BASELINE_ROWS);

  const serve = async (h: string, e: NodeJS.ProcessEnv) => {
    const app = createAppApi({ home: h, env: e });
    apps.push(app);
    const bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
    bridges.push(bridge);
    return bridge.url;
  };
  const url = await serve(home, env);
  const baselineUrl = await serve(baselineHome, baselineEnv);
  browser = await launchChromium();

  console.log(
    `Accounts screen, ${HISTORY_ROWS.toLocaleString('en-US')} history rows, Chromium ${browser.version()} headless, ${RUNS} runs (fresh context each)`,
  );
  const runs: Run[] = [];
  const baseline: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    baseline.push(await measure(browser, baselineUrl, BASELINE_ROWS));
    runs.push(await measure(browser, url, HISTORY_ROWS));
  }

  const col = (pick: (r: Run) => number, fmt: (n: number) => string) =>
    `median ${fmt(median(runs.map(pick)))}; runs: ${runs.map((r) => fmt(pick(r))).join(', ')}`;
  const int = (n: number) => String(Math.round(n));
  console.log(
    `first rows painted (click → frame after first row): ${col((r) => r.firstRowsMs, ms)}`,
  );
  console.log(`first row in DOM (click → MutationObserver): ${col((r) => r.firstRowDomMs, ms)}`);
  console.log(`rows in DOM at first paint: ${col((r) => r.rowsRendered, int)}`);
  console.log(`scroll to end (all ${HISTORY_ROWS} rows loaded): ${col((r) => r.scrollMs, ms)}`);
  console.log(`scroll frames (rAF callbacks): ${col((r) => r.frames, int)}`);
  console.log(`scroll frames > 50 ms: ${col((r) => r.longFrames, int)}`);
  console.log(`scroll longest frame: ${col((r) => r.maxFrameMs, ms)}`);
  console.log(`scroll frames dropped at 60 Hz: ${col((r) => r.droppedFrames, int)}`);
  console.log(`JS heap after first rows: ${col((r) => r.heapFirst, mib)}`);
  console.log(`JS heap after first rows, after GC: ${col((r) => r.heapFirstGc, mib)}`);
  console.log(`JS heap at the end: ${col((r) => r.heapEnd, mib)}`);
  console.log(`JS heap at the end, after GC: ${col((r) => r.heapEndGc, mib)}`);
  const firstRows = median(runs.map((r) => r.firstRowsMs));
  const baselineFirstRows = median(baseline.map((r) => r.firstRowsMs));
  console.log(
    `baseline, ${BASELINE_ROWS} history rows (one page), first rows painted: median ${ms(baselineFirstRows)}; runs: ${baseline.map((r) => ms(r.firstRowsMs)).join(', ')}`,
  );
  console.log(
    `ratio first rows, ${HISTORY_ROWS.toLocaleString('en-US')} rows / ${BASELINE_ROWS} rows: ${(firstRows / baselineFirstRows).toFixed(2)}`,
  );
  console.log(`target: first rows < 300 ms: ${firstRows < 300 ? 'met' : 'NOT met'}`);
  console.log(`first-rows-ms: ${Math.round(firstRows)}`);
} finally {
  await browser?.close();
  for (const bridge of bridges) await bridge.close();
  for (const app of apps) app.close();
  tokens?.remove();
  rmSync(temp, { recursive: true, force: true });
}
