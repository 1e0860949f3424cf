/**
 * The sync progress bar in Chromium, against the dev ledger and SoftHSM2,
 * through the browser bridge's event stream (as `npm start` serves it).
 *
 * Hardhat mines 2,000 empty blocks so the log scan takes several ranges. The
 * ledger is reached through a FAKE gate (a transparent JSON-RPC proxy, below)
 * that lets the scan's first range through and holds the next one until the
 * test releases it: the bar is caught at a known position every time, with
 * nothing slowed down in Signet itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import {
  axeFindings,
  buildRenderer,
  launchChromium,
  openScreen as openScreenOf,
  openUiPage,
  screenshotDir,
} from '../support/ui-harness.js';
import { useWallet } from '../support/wallet-fixture.js';

/** Blocks of the scan's first range (AdaptiveLogFetcher's initial step). */
const FIRST_RANGE = 32;
const MINED = 2_000;

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-sync-progress-dist-'));
const shots = screenshotDir;

const w = useWallet(['alice']);
const json = w.json;

/**
 * A FAKE node in front of the real one: forwards every JSON-RPC call, except
 * that, once armed, it holds each eth_getLogs past the first range it sees
 * (the fetcher asks for the next range only after the previous one came back).
 */
interface Gate {
  url: string;
  /** From now on, hold the scan after its first range. */
  arm(): void;
  /** Sends every held request on and stops holding. */
  release(): void;
  /** Resolves once a request is being held. */
  holding(): Promise<void>;
  stop(): Promise<void>;
}

async function startGate(target: string): Promise<Gate> {
  let armed = false;
  let firstFrom: string | undefined;
  let held: Array<() => void> = [];
  let onHold = () => {};
  const forward = async (body: string, res: ServerResponse) => {
    try {
      const answer = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(await answer.text());
    } catch {
      res.destroy();
    }
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const call = JSON.parse(body) as { method?: string; params?: [{ fromBlock?: string }] };
      if (armed && !Array.isArray(call) && call.method === 'eth_getLogs') {
        const from = call.params?.[0]?.fromBlock;
        firstFrom ??= from;
        if (from !== firstFrom) {
          held.push(() => void forward(body, res));
          onHold();
          return;
        }
      }
      void forward(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arm() {
      armed = true;
      firstFrom = undefined;
    },
    release() {
      armed = false;
      const waiting = held;
      held = [];
      for (const send of waiting) send();
    },
    holding: () =>
      new Promise<void>((resolve) => {
        if (held.length > 0) return resolve();
        onHold = resolve;
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(w.ledger.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const answer = (await response.json()) as { result: T; error?: unknown };
  if (answer.error) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
  return answer.result;
}
/** Mines `blocks` empty blocks; returns the new head. */
async function mine(blocks: number): Promise<number> {
  await rpc('hardhat_mine', [`0x${blocks.toString(16)}`]);
  return Number(await rpc<string>('eth_blockNumber'));
}

let gate: Gate;
let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
/** The bridge's open event streams (the page keeps one, shared by every screen). */
let streams = 0;
const pageErrors: string[] = [];
const number = (n: number) => new Intl.NumberFormat('en-US').format(n);
const openScreen = (id: string, heading: string) => openScreenOf(page, id, heading);

/** Until the page's event stream is open: events sent before it would not reach the page. */
async function streamOpen(): Promise<void> {
  for (let i = 0; streams < 1; i++) {
    if (i > 200) throw new Error('the page never opened its event stream');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The bar's ARIA state, as assistive technology reads it. */
async function barState(name: string) {
  const bar = page.getByRole('progressbar', { name });
  await bar.waitFor();
  return bar.evaluate((el) => ({
    min: el.getAttribute('aria-valuemin'),
    now: el.getAttribute('aria-valuenow'),
    max: el.getAttribute('aria-valuemax'),
    text: el.getAttribute('aria-valuetext'),
  }));
}

beforeAll(async () => {
  buildRenderer(dist);
  gate = await startGate(w.ledger.url);
  w.useProfile({ ...w.ledger.profile, rpc: [gate.url] });
  app = createAppApi({ home: w.home, env: w.env, onEvent: (event) => bridge?.publish(event) });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  bridge.server.on('request', (req, res) => {
    if (!req.url?.startsWith('/api/events')) return;
    streams++;
    res.on('close', () => streams--);
  });
  browser = await launchChromium();
  page = await openUiPage(browser, bridge.url, pageErrors);
  await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
}, 120_000);

afterAll(async () => {
  gate?.release();
  await browser?.close();
  await bridge?.close();
  app?.close();
  await gate?.stop();
  rmSync(dist, { recursive: true, force: true });
});

describe('the sync progress bar, in Chromium', () => {
  /** Where the last sync left the wallet's index. */
  let synced = 0;

  it('shows a long sync started by Sync now, range by range, then the synced block', async () => {
    await json(['ledger', 'fund', '--account', w.keys.alice!.address, '--amount', '10.00']);
    const before = (await json(['sync'])).head as number;
    const head = await mine(MINED);
    const from = before + 1;

    await openScreen('outbox', 'Outbox & Sync');
    await streamOpen();
    gate.arm();
    try {
      await page.getByRole('button', { name: 'Sync now' }).click();
      await gate.holding();
      const scanning = `Scanning blocks ${number(from)}–${number(from + FIRST_RANGE - 1)} of ${number(head)}`;
      // The first range is in; the second is held by the gate, so this is where the bar stays.
      await page.locator('.sync-progress p', { hasText: scanning }).waitFor();
      expect(await barState('Sync progress')).toEqual({
        min: '0',
        now: String(FIRST_RANGE),
        max: String(head - from + 1),
        text: scanning,
      });
      await expect(page.getByRole('button', { name: 'Syncing…' }).isDisabled()).resolves.toBe(true);
      const { serious } = await axeFindings(page);
      expect(serious, JSON.stringify(serious, null, 2)).toEqual([]);
      await page.screenshot({ path: join(shots, 'sync-progress.png') });
    } finally {
      gate.release();
    }

    await page.getByRole('button', { name: 'Sync now' }).waitFor();
    await expect(page.getByRole('progressbar').count()).resolves.toBe(0);
    await expect(page.locator('.toolbar-status').textContent()).resolves.toMatch(
      new RegExp(`^Synced to block ${number(head)}: 0 new events, 0 confirmed\\.$`),
    );
    await page
      .locator('p', { hasText: `synced to: ${number(head)}` })
      .first()
      .waitFor();
    synced = head;
  }, 60_000);

  it('shows a sync started elsewhere too (here the API), in zh-CN, and its end', async () => {
    const head = await mine(MINED);
    const from = synced + 1;
    await page.locator('.lang select').selectOption('zh-CN');
    try {
      await page.getByRole('heading', { level: 1, name: '发件箱与同步' }).waitFor();
      await streamOpen();
      gate.arm();
      let reply: Promise<Response> | undefined;
      try {
        reply = fetch(`http://127.0.0.1:${bridge.port}/api/sync.run`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        await gate.holding();
        const scanning = `正在扫描区块 ${number(from)}–${number(from + FIRST_RANGE - 1)}，共至 ${number(head)}`;
        await page.locator('.sync-progress p', { hasText: scanning }).waitFor();
        expect(await barState('同步进度')).toEqual({
          min: '0',
          now: String(FIRST_RANGE),
          max: String(head - from + 1),
          text: scanning,
        });
        // Not this screen's Sync: its button stays as it was.
        await expect(page.getByRole('button', { name: '立即同步' }).isEnabled()).resolves.toBe(
          true,
        );
      } finally {
        gate.release();
      }
      const report = await (await reply).json();
      expect(report).toMatchObject({ ok: true, result: { head } });

      const done = page.locator('.sync-progress [role="status"]');
      await done.waitFor();
      await expect(done.textContent()).resolves.toBe(`已同步至区块 ${number(head)}。`);
      await expect(page.getByRole('progressbar').count()).resolves.toBe(0);
      // The screen reloaded at the end of the sync it did not start.
      await page
        .locator('p', { hasText: `已同步至：${number(head)}` })
        .first()
        .waitFor();
    } finally {
      await page.locator('.lang select').selectOption('en');
    }
  }, 60_000);

  it('shows the one-line reason when a sync started elsewhere fails', async () => {
    await page.getByRole('heading', { level: 1, name: 'Outbox & Sync' }).waitFor();
    await streamOpen();
    w.useProfile({ ...w.ledger.profile, rpc: ['http://127.0.0.1:1'] });
    try {
      const reply = await fetch(`http://127.0.0.1:${bridge.port}/api/sync.run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const { error } = (await reply.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('NODE_UNREACHABLE');
      const alert = page.locator('.sync-progress [role="alert"]');
      await alert.waitFor();
      await expect(alert.textContent()).resolves.toBe(`Sync failed: ${error.message}`);
      expect(error.message).toMatch(/^no ledger node answered: http:\/\/127\.0\.0\.1:1/);
      await expect(page.getByRole('progressbar').count()).resolves.toBe(0);
    } finally {
      w.useProfile({ ...w.ledger.profile, rpc: [gate.url] });
    }
  });

  it('ran with no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
