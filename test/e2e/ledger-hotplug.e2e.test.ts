/**
 * Ledgers plugged in and pulled out, live on the Devices screen, in Chromium
 * through the loopback bridge as `npm start` serves it (the app API watching
 * devices, its events on the bridge's stream), on a FAKE Ledger
 * (test/fakes/fake-ledger-device.ts: there is no USB here) under the real
 * TransportNodeHid and hw-app-eth:
 *
 * - The Ledger panel shows the device when it is plugged in, with its device id,
 *   and drops it when it is pulled out, without a reload or a click; its status
 *   line says which came or went (the tokens' line says nothing of it).
 * - Diagnostics lists the Ledger with its app and device id, under "Ledgers (USB)".
 * Screenshots: ledger-hotplug-*.png.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { en } from '../../renderer/src/i18n/en.js';
import { FakeLedgerDevice, fakeHidBackend } from '../fakes/fake-ledger-device.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  fillTemplate,
  launchChromium,
  openUiPage,
  screenshotDir,
  settle,
} from '../support/ui-harness.js';

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-ledger-hotplug-dist-'));
const home = mkdtempSync(join(tmpdir(), 'signet-ledger-hotplug-home-'));
const env = { ...process.env, SIGNET_HOME: home };

const device = new FakeLedgerDevice({ path: 'fake-hid:usb-1-2' });
const hid = fakeHidBackend([device]);

let app: AppApi;
let bridge: Bridge | undefined;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const section = (title: string): Locator =>
  page.locator('section', {
    has: page.getByRole('heading', { level: 2, name: title, exact: true }),
  });
const ledgerDevicePanel = () => section(en.ledgerDevice.title);
const ledgerDeviceCard = () =>
  ledgerDevicePanel().locator('li.card', {
    has: page.getByRole('heading', { level: 3, name: 'Nano S Plus', exact: true }),
  });
const shot = (name: string, part?: Locator) =>
  (part ?? page).screenshot({ path: join(screenshotDir, `ledger-hotplug-${name}.png`) });

beforeAll(async () => {
  device.unplug();
  buildRenderer(dist);
  app = createAppApi({ home, env, hid, onEvent: (event) => bridge?.publish(event) });
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
  rmSync(home, { recursive: true, force: true });
  rmSync(dist, { recursive: true, force: true });
});

describe('Ledgers, live', () => {
  it('shows a Ledger plugged in, and drops it when pulled out, without a reload', async () => {
    await ledgerDevicePanel().getByText(en.ledgerDevice.none, { exact: true }).waitFor();
    // Marks this page: a reload would lose the mark.
    await page.evaluate(() => {
      (globalThis as { signetMark?: number }).signetMark = 7;
    });
    // The panel's own status line, above the cards (each card's account form has one too).
    const status = ledgerDevicePanel().getByRole('status').first();

    device.plugIn();
    await ledgerDeviceCard().waitFor({ timeout: 10_000 });
    await expect
      .poll(() => status.textContent())
      .toBe(fillTemplate(en.devices.pluggedIn, { names: '“Nano S Plus”' }));
    await expect(
      ledgerDeviceCard().getByText(device.address(0), { exact: true }).count(),
    ).resolves.toBe(1);
    await expect(
      ledgerDevicePanel().getByText(en.ledgerDevice.none, { exact: true }).count(),
    ).resolves.toBe(0);
    // The tokens' status line is about tokens only.
    await expect(section(en.devices.tokens).getByRole('status').textContent()).resolves.toBe('');
    await settle(page);
    await shot('plugged', ledgerDevicePanel());
    await expectAccessible(page, 'Devices with a Ledger plugged in');

    device.unplug();
    await ledgerDeviceCard().waitFor({ state: 'detached', timeout: 10_000 });
    await expect
      .poll(() => status.textContent())
      .toBe(fillTemplate(en.devices.pulledOut, { names: '“Nano S Plus”' }));
    await ledgerDevicePanel().getByText(en.ledgerDevice.none, { exact: true }).waitFor();
    await expect(
      page.evaluate(() => (globalThis as { signetMark?: number }).signetMark),
    ).resolves.toBe(7);
    expect(device.screens).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('lists the Ledger in the diagnostics with its app and device id', async () => {
    device.plugIn();
    await ledgerDeviceCard().waitFor({ timeout: 10_000 });
    const panel = section(en.doctor.title);
    await panel.getByRole('button', { name: en.doctor.run, exact: true }).click();
    const findings = panel.getByRole('list', { name: en.doctor.list });
    await findings.waitFor({ timeout: 20_000 });
    const ready = findings.locator('li[data-code="hid.ready"]');
    await expect(ready.locator('.finding-what').textContent()).resolves.toBe(
      fillTemplate(en.doctor.finding.hid.ready.what, {
        product: 'Nano S Plus',
        path: 'fake-hid:usb-1-2',
        app: 'Ethereum',
        version: '1.10.3',
        deviceId: device.address(0),
      }),
    );
    await expect(ready.getByText(en.doctor.area.hid, { exact: true }).count()).resolves.toBe(1);
    await expect(ready.locator('.finding-fix').count()).resolves.toBe(0);
    await settle(page);
    await shot('diagnostics', panel);
    expect(device.screens).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
