/**
 * The Devices screen live, in Chromium through the loopback bridge, as `npm start`
 * serves it (the app API watching devices, its events on the bridge's stream):
 *
 * - Hot-plug: a SoftHSM2 token made by another process (softhsm2-util, into the same
 *   token folder) appears in the list, and disappears when its folder is deleted,
 *   without a reload or a click; a status line says which token came or went.
 *   (SoftHSM2 has no slot events: the app polls it, see core/devices.)
 * - Diagnostics: Run diagnostics lists what the doctor finds, each with its fix: the
 *   token with a wrong PIN typed (SoftHSM2's COUNT_LOW), the profile's one node down
 *   and the quorum lost; in Chinese the same findings read in Chinese.
 * Screenshots: devices-live-*.png.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { writeActiveProfile } from '../../core/chain/profile-file.js';
import { en } from '../../renderer/src/i18n/en.js';
import { zhCN } from '../../renderer/src/i18n/zh-CN.js';
import { pinFile, signet } from '../support/cli.js';
import { createSoftHsmStore, softhsmModule } from '../support/softhsm.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  closedPortProfile,
  fillTemplate,
  launchChromium,
  openUiPage,
  screenshotDir,
  settle,
} from '../support/ui-harness.js';

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-devices-live-dist-'));
const PIN = '9753-live';
const store = createSoftHsmStore('signet-devices-live-');
const home = mkdtempSync(join(tmpdir(), 'signet-devices-live-home-'));
const env = { ...process.env, SIGNET_HOME: home, SOFTHSM2_CONF: store.conf };

let app: AppApi;
let bridge: Bridge | undefined;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** The page, or one part of it (the content scrolls inside the window). */
const shot = (name: string, part?: Locator) =>
  (part ?? page).screenshot({ path: join(screenshotDir, `devices-live-${name}.png`) });
const tokenCard = (label: string): Locator =>
  page.locator('li.card', {
    has: page.getByRole('heading', { level: 3, name: label, exact: true }),
  });

beforeAll(async () => {
  store.initToken('Vault', PIN);
  store.activate();
  // A wrong PIN typed at the command line: SoftHSM2 raises CKF_USER_PIN_COUNT_LOW.
  const wrong = await signet(
    [
      'keys',
      '--token',
      `pkcs11:token=Vault?module-path=${softhsmModule}`,
      '--pin-file',
      pinFile('0000'),
    ],
    { env },
  );
  expect(wrong.code).toBe(1);
  // The profile's only node is a closed port: down, and no quorum.
  writeActiveProfile(closedPortProfile(), env);

  buildRenderer(dist);
  app = createAppApi({ home, env, onEvent: (event) => bridge?.publish(event) });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  await app.watchDevices({ intervalMs: 250 });
  browser = await launchChromium();
  page = await openUiPage(browser, bridge.url, pageErrors);
  await page.getByRole('heading', { level: 1, name: en.devices.title }).waitFor();
  await settle(page);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  store.remove();
  rmSync(home, { recursive: true, force: true });
  rmSync(dist, { recursive: true, force: true });
});

describe('Devices, live', () => {
  it('lists a token another process makes, and drops it when it is deleted, without a reload', async () => {
    await tokenCard('Vault').waitFor();
    // Marks this page: a reload would lose the mark.
    await page.evaluate(() => {
      (globalThis as { signetMark?: number }).signetMark = 42;
    });
    execFileSync(
      'softhsm2-util',
      ['--init-token', '--free', '--label', 'Hotplug', '--so-pin', '87654321', '--pin', PIN],
      { env: store.env, stdio: 'pipe' },
    );
    await tokenCard('Hotplug').waitFor({ timeout: 10_000 });
    const status = page
      .locator('section', {
        has: page.getByRole('heading', { level: 2, name: en.devices.tokens, exact: true }),
      })
      .getByRole('status');
    await expect
      .poll(() => status.textContent())
      .toBe(fillTemplate(en.devices.pluggedIn, { names: '“Hotplug”' }));
    await settle(page);
    await shot('plugged');

    const tokens = join(store.dir, 'tokens');
    const folder = readdirSync(tokens).find((dir) =>
      readFileSync(join(tokens, dir, 'token.object')).includes(Buffer.from('Hotplug'.padEnd(32))),
    )!;
    rmSync(join(tokens, folder), { recursive: true });
    await tokenCard('Hotplug').waitFor({ state: 'detached', timeout: 10_000 });
    await expect
      .poll(() => status.textContent())
      .toBe(fillTemplate(en.devices.pulledOut, { names: '“Hotplug”' }));
    await expect(tokenCard('Vault').count()).resolves.toBe(1);
    await expect(
      page.evaluate(() => (globalThis as { signetMark?: number }).signetMark),
    ).resolves.toBe(42);
    expect(pageErrors).toEqual([]);
  });

  it('runs the diagnostics and lists each finding with its fix', async () => {
    const panel = page.locator('section', {
      has: page.getByRole('heading', { level: 2, name: en.doctor.title, exact: true }),
    });
    await expect(panel.getByText(en.doctor.intro).count()).resolves.toBe(1);
    await panel.getByRole('button', { name: en.doctor.run, exact: true }).click();
    const findings = panel.getByRole('list', { name: en.doctor.list });
    await findings.waitFor({ timeout: 20_000 });
    await settle(page);

    const typo = findings.locator('li[data-code="token.userPinCountLow"]', { hasText: 'Vault' });
    await expect(typo.locator('.badge').textContent()).resolves.toBe(en.doctor.status.warn);
    await expect(typo.locator('.finding-what').textContent()).resolves.toBe(
      fillTemplate(en.doctor.finding.token.userPinCountLow.what, { label: 'Vault' }),
    );
    await expect(typo.locator('.finding-fix').textContent()).resolves.toMatch(
      /^Fix: Log in once with the right PIN .*`signet pin unblock --token 'pkcs11:token=Vault;/,
    );
    const down = findings.locator('li[data-code="node.down"]');
    // (fetch refuses port 1 outright: "bad port".)
    await expect(down.locator('.finding-what').textContent()).resolves.toMatch(
      /^Node http:\/\/127\.0\.0\.1:1 does not answer: \S.*\.$/,
    );
    await expect(
      findings.locator('li[data-code="ledger.noQuorum"] .badge').textContent(),
    ).resolves.toBe(en.doctor.status.fail);
    // An ok finding has no fix.
    await expect(findings.locator('li.finding-ok .finding-fix').count()).resolves.toBe(0);
    await expect(panel.getByRole('status').textContent()).resolves.toMatch(
      /^OK: \d+ · Warnings: \d+ · Failures: [1-9]\d*$/,
    );
    await shot('diagnostics', panel);
    await expectAccessible(page, 'Devices with the diagnostics listed');
    expect(pageErrors).toEqual([]);
  });

  it('reads the same findings in Chinese', async () => {
    await page.getByLabel(en.app.language).selectOption('zh-CN');
    const panel = page.locator('section', {
      has: page.getByRole('heading', { level: 2, name: zhCN.doctor.title, exact: true }),
    });
    const typo = panel.locator('li[data-code="token.userPinCountLow"]', { hasText: 'Vault' });
    await expect(typo.locator('.finding-what').textContent()).resolves.toBe(
      fillTemplate(zhCN.doctor.finding.token.userPinCountLow.what, { label: 'Vault' }),
    );
    await expect(typo.locator('.finding-fix').textContent()).resolves.toMatch(
      /^修复：用正确的 PIN/,
    );
    await expect(
      panel.locator('li[data-code="node.down"] .finding-what').textContent(),
    ).resolves.toMatch(/^节点 http:\/\/127\.0\.0\.1:1 没有应答：\S.*。$/);
    await expect(typo.locator('.badge').textContent()).resolves.toBe(zhCN.doctor.status.warn);
    await shot('diagnostics-zh', panel);
    await expectAccessible(page, 'Devices with the diagnostics listed, in Chinese');
    await page.getByLabel(zhCN.app.language).selectOption('en');
    expect(pageErrors).toEqual([]);
  });
});
