/**
 * Provisioning from the UI: on a SoftHSM2 store with no initialised token (only
 * the free slot), a branch user initialises a token, sets its PINs, generates a
 * secp256k1 key on it and sees it listed. A mismatched PIN repeat is refused in
 * the form and initialises nothing.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSummary } from '../../core/api/devices.js';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { writeActiveProfile } from '../../core/ledger/profile-file.js';
import { createSoftHsmStore, type SoftHsmStore } from '../support/softhsm.js';
import {
  axeFindings,
  buildRenderer,
  closedPortProfile,
  launchChromium,
  repo,
  settle,
} from '../support/ui-harness.js';

const dist = join(repo, 'renderer', 'dist');
const shots = join(repo, 'test-results', 'screenshots');
const LABEL = 'Branch 7';
const SO_PIN = '2468-so-pin';
const USER_PIN = '1357-branch-pin';

let store: SoftHsmStore;
let home: string;
let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function listTokens(): Promise<TokenSummary[]> {
  const reply = await app.dispatch('devices.listTokens', {});
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.result as TokenSummary[];
}

const emptyCard = () =>
  page.locator('li.card', { has: page.getByRole('button', { name: 'Initialise token' }) });
const initDialog = () => page.getByRole('dialog', { name: 'Initialise a token' });

async function openInitDialog() {
  await emptyCard().first().getByRole('button', { name: 'Initialise token' }).click();
  const dialog = initDialog();
  await dialog.waitFor();
  return dialog;
}

beforeAll(async () => {
  buildRenderer(dist);
  // A fresh store: no token initialised, so only SoftHSM2's free slot shows.
  store = createSoftHsmStore('signet-provision-softhsm-');
  store.activate();
  home = mkdtempSync(join(tmpdir(), 'signet-provision-home-'));
  const env = { ...process.env, SIGNET_HOME: home, SOFTHSM2_CONF: store.conf };
  writeActiveProfile(closedPortProfile(), env);

  app = createAppApi({ home, env });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(bridge.url);
  await page.evaluate(readFileSync(join(repo, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  mkdirSync(shots, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  store?.remove();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('provisioning a token from the UI', () => {
  it('shows only the empty slot, with an Initialise button', async () => {
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    await settle(page);
    const tokens = await listTokens();
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((t) => !t.flags.tokenInitialized)).toBe(true);
    await expect(emptyCard().count()).resolves.toBe(tokens.length);
    await expect(page.getByText('Not initialised').count()).resolves.toBe(tokens.length);
  });

  it('has an accessible init dialog (axe: no serious or critical findings)', async () => {
    const dialog = await openInitDialog();
    await expect(dialog.getByLabel('SO PIN', { exact: true }).getAttribute('type')).resolves.toBe(
      'password',
    );
    await expect(
      dialog.getByLabel('Repeat user PIN', { exact: true }).getAttribute('type'),
    ).resolves.toBe('password');
    const { passes, serious } = await axeFindings(page);
    expect(passes).toBeGreaterThan(10);
    expect(serious, JSON.stringify(serious, null, 2)).toEqual([]);
    await page.screenshot({ path: join(shots, 'provisioning-init-dialog.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('refuses a mismatched PIN repeat and initialises nothing', async () => {
    const before = await listTokens();
    const dialog = await openInitDialog();
    await dialog.getByLabel('Token label', { exact: true }).fill(LABEL);
    await dialog.getByLabel('SO PIN', { exact: true }).fill(SO_PIN);
    await dialog.getByLabel('Repeat SO PIN', { exact: true }).fill(SO_PIN);
    await dialog.getByLabel('User PIN', { exact: true }).fill(USER_PIN);
    await dialog.getByLabel('Repeat user PIN', { exact: true }).fill(`${USER_PIN}-typo`);
    await dialog.getByRole('button', { name: 'Initialise', exact: true }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toContain(
      'The two user PINs differ',
    );
    // The PINs are gone from the form; the dialog stays open.
    await expect(dialog.getByLabel('User PIN', { exact: true }).inputValue()).resolves.toBe('');
    await expect(dialog.getByLabel('SO PIN', { exact: true }).inputValue()).resolves.toBe('');
    await page.screenshot({ path: join(shots, 'provisioning-mismatch.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const after = await listTokens();
    expect(after).toEqual(before);
    expect(after.some((t) => t.flags.tokenInitialized)).toBe(false);
    await expect(page.locator('li.card', { hasText: LABEL }).count()).resolves.toBe(0);
  });

  it('initialises "Branch 7", generates a secp256k1 key on it and lists it', async () => {
    const dialog = await openInitDialog();
    await dialog.getByLabel('Token label', { exact: true }).fill(LABEL);
    await dialog.getByLabel('SO PIN', { exact: true }).fill(SO_PIN);
    await dialog.getByLabel('Repeat SO PIN', { exact: true }).fill(SO_PIN);
    await dialog.getByLabel('User PIN', { exact: true }).fill(USER_PIN);
    await dialog.getByLabel('Repeat user PIN', { exact: true }).fill(USER_PIN);
    await dialog.getByRole('button', { name: 'Initialise', exact: true }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    await page
      .getByRole('status')
      .filter({ hasText: `Token “${LABEL}” initialised.` })
      .waitFor();

    // The list refreshed: the new token is initialised with its user PIN set.
    const card = page.locator('li.card', { hasText: LABEL });
    await card.waitFor();
    await expect(card.locator('.badge').first().textContent()).resolves.toBe('PIN OK');
    const branch = (await listTokens()).find((t) => t.label.trim() === LABEL);
    expect(branch?.flags.tokenInitialized).toBe(true);
    expect(branch?.flags.userPinInitialized).toBe(true);

    // Show keys with the new user PIN: none yet.
    await card.getByRole('button', { name: 'Show keys' }).click();
    const pin = page.getByRole('dialog', { name: 'Show keys' });
    await pin.waitFor();
    await pin.getByLabel('PIN', { exact: true }).fill(USER_PIN);
    await pin.getByRole('button', { name: 'Unlock' }).click();
    await card.getByText('This token holds no keys yet.').waitFor();

    // Generate a secp256k1 key.
    await card.getByLabel('Curve').selectOption('secp256k1');
    await card.getByLabel('Key label').fill('branch7-hot');
    await card.getByRole('button', { name: 'Generate', exact: true }).click();
    const genPin = page.getByRole('dialog', { name: 'Generate a key' });
    await genPin.waitFor();
    await genPin.getByLabel('PIN', { exact: true }).fill(USER_PIN);
    await genPin.getByRole('button', { name: 'Unlock' }).click();
    const row = card.locator('tbody tr', { hasText: 'branch7-hot' });
    await row.waitFor({ timeout: 15_000 });
    await expect(row.textContent()).resolves.toContain('secp256k1');
    await expect(row.locator('.badge').textContent()).resolves.toBe('Non-extractable');
    await expect(row.locator('td.mono').textContent()).resolves.toMatch(/^0x[0-9a-fA-F]{40}$/);

    // Show keys again, from the token: the key is there.
    await card.getByRole('button', { name: 'Hide keys' }).click();
    await card.getByRole('button', { name: 'Show keys' }).click();
    await pin.waitFor();
    await pin.getByLabel('PIN', { exact: true }).fill(USER_PIN);
    await pin.getByRole('button', { name: 'Unlock' }).click();
    await card.locator('tbody tr', { hasText: 'branch7-hot' }).waitFor();
    await page.screenshot({ path: join(shots, 'provisioning-key.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
