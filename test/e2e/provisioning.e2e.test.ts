/**
 * Provisioning from the UI: on a SoftHSM2 store with no initialised token (only
 * the free slot), a branch user initialises a token, sets its PINs, generates a
 * secp256k1 key on it and sees it listed. A mismatched PIN repeat is refused in
 * the form and initialises nothing.
 *
 * Then the PIN care of that token: changing the user PIN, a wrong SO PIN on
 * unblock, and unblocking with the SO PIN. SoftHSM2 2.6 never locks a user PIN
 * (a wrong PIN only raises CKF_USER_PIN_COUNT_LOW, however many), so the lockout
 * itself runs on the FAKE smart card (test/fakes), which wraps the same SoftHSM2
 * token and locks after three wrong PINs as cards do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSummary } from '../../core/api/devices.js';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { writeActiveProfile } from '../../core/chain/profile-file.js';
import { buildFakeSmartcard } from '../fakes/fake-smartcard.js';
import { createSoftHsmStore, type SoftHsmStore } from '../support/softhsm.js';
import {
  axeFindings,
  buildRenderer,
  closedPortProfile,
  launchChromium,
  openUiPage,
  repo,
  screenshotDir,
  settle,
} from '../support/ui-harness.js';

const dist = join(repo, 'renderer', 'dist');
const shots = screenshotDir;
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
  page = await openUiPage(browser, bridge.url, pageErrors);
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
    // Emptied as it closed, not as it next opens: a reset racing the next opening's first
    // keystrokes once swallowed a label typed again (the tests saw it under load).
    await expect(
      page
        .locator('dialog.init-dialog input')
        .evaluateAll((inputs) => inputs.map((i) => (i as { value: string }).value)),
    ).resolves.toEqual(['', '', '', '', '']);

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

const CHANGED_PIN = '8642-changed-pin';
const UNBLOCKED_PIN = '9753-unblocked-pin';
const CARD_PIN = '3141-card-pin';
const wrongPin = (n: number) => `0000-wrong-${n}`;
const FEW_TRIES = 'The token reports few tries left.';

/** Branch 7 as SoftHSM2 shows it (the fake smart card shows the same token under its own maker). */
const branchCard = () =>
  page.locator('li.card', { hasText: LABEL }).filter({ hasText: 'SoftHSM project' });
const changeDialog = () => page.getByRole('dialog', { name: 'Change the user PIN' });
const unblockDialog = () => page.getByRole('dialog', { name: 'Unblock the user PIN' });

async function openPinChange(card: Locator, mode: 'change' | 'unblock'): Promise<Locator> {
  await card
    .getByRole('button', { name: mode === 'change' ? 'Change PIN' : 'Unblock PIN' })
    .click();
  const dialog = mode === 'change' ? changeDialog() : unblockDialog();
  await dialog.waitFor();
  return dialog;
}

/** Fills the dialog: the PIN the token checks (current or SO), then the new PIN and its repeat. */
async function fillPinChange(dialog: Locator, first: string, newPin: string, repeat = newPin) {
  const firstLabel = (await dialog.getByLabel('Current PIN', { exact: true }).count())
    ? 'Current PIN'
    : 'SO PIN';
  await dialog.getByLabel(firstLabel, { exact: true }).fill(first);
  await dialog.getByLabel('New PIN', { exact: true }).fill(newPin);
  await dialog.getByLabel('Repeat new PIN', { exact: true }).fill(repeat);
}

/** Every PIN field of the dialog, as the page holds it now. */
async function pinValues(dialog: Locator): Promise<string[]> {
  return dialog
    .locator('input[type="password"]')
    .evaluateAll((inputs) => inputs.map((input) => (input as unknown as { value: string }).value));
}

const hasFocus = (field: Locator) => field.evaluate((el) => el === el.ownerDocument.activeElement);

async function cancel(dialog: Locator) {
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/**
 * Show keys with `pin` through the PIN prompt: null when the keys showed (then
 * hidden again), else the prompt's error text (the prompt is then cancelled).
 */
async function tryShowKeys(card: Locator, pin: string): Promise<string | null> {
  await card.getByRole('button', { name: 'Show keys' }).click();
  const prompt = page.getByRole('dialog', { name: 'Show keys' });
  await prompt.waitFor();
  await prompt.getByLabel('PIN', { exact: true }).fill(pin);
  await prompt.getByRole('button', { name: 'Unlock' }).click();
  const keys = card.getByRole('button', { name: 'Hide keys' });
  const alert = prompt.getByRole('alert');
  await keys.or(alert).first().waitFor({ timeout: 15_000 });
  if (await keys.isVisible()) {
    await card.locator('tbody tr', { hasText: 'branch7-hot' }).waitFor();
    await keys.click();
    return null;
  }
  const text = (await alert.locator('.error-text').textContent()) ?? '';
  await cancel(prompt);
  return text;
}

/** What the token itself answers to a login with `pin` (through the API, not the screen). */
async function tokenAccepts(uri: string, pin: string): Promise<string> {
  const reply = await app.dispatch('devices.listKeys', { token: uri, pin });
  return reply.ok ? 'ok' : reply.error.code;
}

async function badgesOf(card: Locator): Promise<string[]> {
  return card.locator('.card-head .badge').allTextContents();
}

/** The card's action buttons in order, with whether each is a primary (not `secondary`) one. */
async function actionsOf(card: Locator): Promise<string[]> {
  return card
    .locator('.row-actions button')
    .evaluateAll((buttons) =>
      buttons.map(
        (b) =>
          `${b.textContent}${b.classList.contains('secondary') ? '' : ' (primary)'}${(b as unknown as { disabled: boolean }).disabled ? ' (disabled)' : ''}`,
      ),
    );
}

describe('changing and unblocking the user PIN from the UI', () => {
  let uri: string;

  beforeAll(async () => {
    const branch = (await listTokens()).find((t) => t.label.trim() === LABEL);
    if (!branch) throw new Error(`${LABEL} was not initialised by the tests above`);
    uri = branch.uri;
    // The journey above left its keys on screen: hide them, so the card shows its usual actions.
    await branchCard().getByRole('button', { name: 'Hide keys' }).click();
  });

  it('offers Change PIN and Unblock PIN on the initialised token, in accessible dialogs', async () => {
    const card = branchCard();
    await expect(actionsOf(card)).resolves.toEqual([
      'Show keys (primary)',
      'Change PIN',
      'Unblock PIN',
    ]);
    // The empty slot has no PIN actions.
    await expect(
      emptyCard().first().getByRole('button', { name: 'Change PIN' }).count(),
    ).resolves.toBe(0);

    for (const [mode, first, shot] of [
      ['change', 'Current PIN', 'provisioning-change-pin-dialog.png'],
      ['unblock', 'SO PIN', 'provisioning-unblock-pin-dialog.png'],
    ] as const) {
      const dialog = await openPinChange(card, mode);
      await expect(dialog.textContent()).resolves.toContain(`Token “${LABEL}”`);
      for (const label of [first, 'New PIN', 'Repeat new PIN']) {
        await expect(dialog.getByLabel(label, { exact: true }).getAttribute('type')).resolves.toBe(
          'password',
        );
      }
      // The first field has the focus.
      await expect.poll(() => hasFocus(dialog.getByLabel(first, { exact: true }))).toBe(true);
      const { passes, serious } = await axeFindings(page);
      expect(passes).toBeGreaterThan(10);
      expect(serious, JSON.stringify(serious, null, 2)).toEqual([]);
      await page.screenshot({ path: join(shots, shot) });
      await cancel(dialog);
    }

    // The same dialog in Simplified Chinese.
    await page.getByLabel('Language').selectOption('zh-CN');
    await card.getByRole('button', { name: '解锁 PIN' }).click();
    const zh = page.getByRole('dialog', { name: '解锁用户 PIN' });
    await zh.waitFor();
    await expect(zh.getByLabel('再次输入新 PIN', { exact: true }).count()).resolves.toBe(1);
    await page.screenshot({ path: join(shots, 'provisioning-unblock-pin-dialog-zh.png') });
    await zh.getByRole('button', { name: '取消' }).click();
    await zh.waitFor({ state: 'hidden' });
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
  });

  it('refuses a mismatched new PIN repeat without calling the token', async () => {
    const calls: string[] = [];
    const onRequest = (request: { url(): string }) => {
      if (/\/api\/devices\.(changePin|unblockPin)/.test(request.url())) calls.push(request.url());
    };
    page.on('request', onRequest);
    try {
      for (const [mode, first] of [
        ['change', USER_PIN],
        ['unblock', SO_PIN],
      ] as const) {
        const dialog = await openPinChange(branchCard(), mode);
        await fillPinChange(dialog, first, CHANGED_PIN, `${CHANGED_PIN}-typo`);
        await dialog
          .getByRole('button', { name: mode === 'change' ? 'Change PIN' : 'Unblock PIN' })
          .click();
        await expect(dialog.getByRole('alert').textContent()).resolves.toBe(
          'The two new PINs differ. Type them again.',
        );
        // Still open, every PIN gone from the form.
        await expect(pinValues(dialog)).resolves.toEqual(['', '', '']);
        if (mode === 'change')
          await page.screenshot({ path: join(shots, 'provisioning-change-pin-mismatch.png') });
        await cancel(dialog);
      }
    } finally {
      page.off('request', onRequest);
    }
    expect(calls).toEqual([]);
    await expect(tokenAccepts(uri, USER_PIN)).resolves.toBe('ok');
    await expect(tokenAccepts(uri, CHANGED_PIN)).resolves.toBe('PIN_INCORRECT');
    await expect(tokenAccepts(uri, USER_PIN)).resolves.toBe('ok');
  });

  it('changes the user PIN: a wrong current PIN is refused with the tries left; then the new PIN unlocks and the old one fails', async () => {
    const card = branchCard();
    const dialog = await openPinChange(card, 'change');
    await fillPinChange(dialog, wrongPin(1), CHANGED_PIN);
    await dialog.getByRole('button', { name: 'Change PIN' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    await expect(alert.locator('.error-text').textContent()).resolves.toBe(
      `Wrong current PIN. ${FEW_TRIES}`,
    );
    await expect(pinValues(dialog)).resolves.toEqual(['', '', '']);
    // Back in the first field, ready for another try.
    await expect.poll(() => hasFocus(dialog.getByLabel('Current PIN', { exact: true }))).toBe(true);
    // The list refreshed behind the dialog: SoftHSM2 raised COUNT_LOW.
    await card.locator('.badge', { hasText: 'Few PIN tries left' }).waitFor();
    await page.screenshot({ path: join(shots, 'provisioning-change-pin-wrong.png') });
    await expect(tokenAccepts(uri, CHANGED_PIN)).resolves.toBe('PIN_INCORRECT');

    // The right current PIN: done, the dialog closes, the screen says so.
    await fillPinChange(dialog, USER_PIN, CHANGED_PIN);
    await dialog.getByRole('button', { name: 'Change PIN' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    await page
      .getByRole('status')
      .filter({ hasText: `The user PIN of “${LABEL}” was changed.` })
      .waitFor();

    // The old PIN fails at the PIN prompt; the new one shows the keys.
    await expect(tryShowKeys(card, USER_PIN)).resolves.toBe(`Wrong PIN. ${FEW_TRIES}`);
    await expect(tryShowKeys(card, CHANGED_PIN)).resolves.toBeNull();
    await card.locator('.badge', { hasText: 'PIN OK' }).waitFor();
    await expect(tokenAccepts(uri, USER_PIN)).resolves.toBe('PIN_INCORRECT');
    await expect(tokenAccepts(uri, CHANGED_PIN)).resolves.toBe('ok');
    expect(pageErrors).toEqual([]);
  });

  it('a wrong SO PIN on unblock shows the tries left and changes nothing', async () => {
    const card = branchCard();
    const dialog = await openPinChange(card, 'unblock');
    await fillPinChange(dialog, `${SO_PIN}-wrong`, UNBLOCKED_PIN);
    await dialog.getByRole('button', { name: 'Unblock PIN' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    await expect(alert.locator('.error-text').textContent()).resolves.toBe(
      `Wrong SO PIN. ${FEW_TRIES}`,
    );
    await expect(pinValues(dialog)).resolves.toEqual(['', '', '']);
    await page.screenshot({ path: join(shots, 'provisioning-unblock-wrong-so-pin.png') });
    await cancel(dialog);
    await expect(page.getByRole('status').filter({ hasText: 'was reset' }).count()).resolves.toBe(
      0,
    );

    // The user PIN is what it was; the new one was never set. SO tries raise the SO flag only.
    const branch = (await listTokens()).find((t) => t.uri === uri);
    expect(branch?.flags).toMatchObject({ soPinCountLow: true, userPinCountLow: false });
    await expect(tokenAccepts(uri, UNBLOCKED_PIN)).resolves.toBe('PIN_INCORRECT');
    await expect(tokenAccepts(uri, CHANGED_PIN)).resolves.toBe('ok');
  });

  it('SoftHSM2 never locks: five wrong PINs leave "few tries left", unblock comes first, and the SO PIN sets a new PIN', async () => {
    const card = branchCard();
    for (let n = 1; n <= 5; n++) {
      await expect(tryShowKeys(card, wrongPin(n))).resolves.toBe(`Wrong PIN. ${FEW_TRIES}`);
    }
    await card.locator('.badge', { hasText: 'Few PIN tries left' }).waitFor();
    await expect(badgesOf(card)).resolves.toEqual(['Few PIN tries left']);
    const flags = (await listTokens()).find((t) => t.uri === uri)?.flags;
    expect(flags).toMatchObject({
      userPinCountLow: true,
      userPinLocked: false,
      userPinFinalTry: false,
    });
    // Unblocking is now the first and the primary action.
    await expect(actionsOf(card)).resolves.toEqual([
      'Unblock PIN (primary)',
      'Show keys',
      'Change PIN',
    ]);

    const dialog = await openPinChange(card, 'unblock');
    await fillPinChange(dialog, SO_PIN, UNBLOCKED_PIN);
    await dialog.getByRole('button', { name: 'Unblock PIN' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    await page
      .getByRole('status')
      .filter({ hasText: `The user PIN of “${LABEL}” was reset and is unblocked.` })
      .waitFor();
    // The refreshed list: the PIN is fine again, and the actions are back in their usual order.
    await card.locator('.badge', { hasText: 'PIN OK' }).waitFor();
    await expect(actionsOf(card)).resolves.toEqual([
      'Show keys (primary)',
      'Change PIN',
      'Unblock PIN',
    ]);
    const after = (await listTokens()).find((t) => t.uri === uri)?.flags;
    expect(after).toMatchObject({ userPinCountLow: false, soPinCountLow: false });

    await expect(tryShowKeys(card, CHANGED_PIN)).resolves.toBe(`Wrong PIN. ${FEW_TRIES}`);
    await expect(tryShowKeys(card, UNBLOCKED_PIN)).resolves.toBeNull();
    await expect(tokenAccepts(uri, UNBLOCKED_PIN)).resolves.toBe('ok');
    expect(pageErrors).toEqual([]);
  });

  it('a card that locks after three wrong PINs: locked, refused even the right PIN, unblocked with the SO PIN', async () => {
    // The fake smart card over the same SoftHSM2 store, added as a configured module.
    const card = buildFakeSmartcard({ softhsmConf: store.conf, dir: join(store.dir, 'fake') });
    card.activate();
    writeFileSync(join(home, 'config.json'), JSON.stringify({ modules: [card.modulePath] }));
    await page.getByRole('button', { name: 'Refresh' }).click();
    const fake = page
      .locator('li.card', { hasText: LABEL })
      .filter({ hasText: 'Signet fake smart card' });
    await fake.waitFor();
    await settle(page);
    const fakeUri = (await listTokens()).find(
      (t) => t.label.trim() === LABEL && t.manufacturer === 'Signet fake smart card',
    )?.uri;
    expect(fakeUri).toBeDefined();
    if (!fakeUri) return;

    await expect(tryShowKeys(fake, wrongPin(1))).resolves.toBe(`Wrong PIN. ${FEW_TRIES}`);
    await expect(tryShowKeys(fake, wrongPin(2))).resolves.toBe(
      'Wrong PIN. One try left before the PIN locks.',
    );
    await fake.locator('.badge', { hasText: 'Final PIN try' }).waitFor();
    await expect(actionsOf(fake)).resolves.toEqual([
      'Unblock PIN (primary)',
      'Show keys',
      'Change PIN',
    ]);
    await expect(tryShowKeys(fake, wrongPin(3))).resolves.toBe(
      'The PIN is locked after too many wrong tries. Unblock it with the security officer PIN.',
    );
    await fake.locator('.badge', { hasText: 'PIN locked' }).waitFor();
    await expect(fake.textContent()).resolves.toContain(
      'The user PIN is locked. Unblock it with the SO PIN to use this token again.',
    );
    // Keys and PIN change are closed; unblocking is the one way on.
    await expect(actionsOf(fake)).resolves.toEqual([
      'Unblock PIN (primary)',
      'Show keys (disabled)',
      'Change PIN (disabled)',
    ]);
    const locked = await axeFindings(page);
    expect(locked.serious, JSON.stringify(locked.serious, null, 2)).toEqual([]);
    await page.screenshot({ path: join(shots, 'provisioning-pin-locked.png'), fullPage: true });
    // Locked means locked: the right PIN is refused too.
    await expect(tokenAccepts(fakeUri, UNBLOCKED_PIN)).resolves.toBe('PIN_LOCKED');

    const dialog = await openPinChange(fake, 'unblock');
    await fillPinChange(dialog, SO_PIN, CARD_PIN);
    await page.screenshot({ path: join(shots, 'provisioning-unblock-locked.png') });
    await dialog.getByRole('button', { name: 'Unblock PIN' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    await page
      .getByRole('status')
      .filter({ hasText: `The user PIN of “${LABEL}” was reset and is unblocked.` })
      .waitFor();
    await fake.locator('.badge', { hasText: 'PIN OK' }).waitFor();
    const flags = (await listTokens()).find((t) => t.uri === fakeUri)?.flags;
    expect(flags).toMatchObject({
      userPinLocked: false,
      userPinFinalTry: false,
      userPinCountLow: false,
    });

    // The new PIN shows the keys; the one before the lock does not.
    await expect(tryShowKeys(fake, UNBLOCKED_PIN)).resolves.toBe(`Wrong PIN. ${FEW_TRIES}`);
    await expect(tryShowKeys(fake, CARD_PIN)).resolves.toBeNull();
    await expect(tokenAccepts(fakeUri, CARD_PIN)).resolves.toBe('ok');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
