/**
 * At the counter in Chromium (issue 12 §3), through the bridge, against the
 * dev ledger and SoftHSM2: on the Devices screen a lost token is replaced (the
 * review says what moves, the operator's PIN and the SO PIN are asked in the
 * PIN dialog, the result names the new mailer), checked over raw JSON-RPC;
 * then, in Simplified Chinese, the replacement reviewed again (already done:
 * frozen, nothing left to move) and a locked PIN reset. SoftHSM2 never locks
 * a PIN, so the lock is the FAKE smart card's (test/fakes), over the same
 * SoftHSM2 token. axe finds nothing serious at each step.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { en } from '../../renderer/src/i18n/en.js';
import { zhCN } from '../../renderer/src/i18n/zh-CN.js';
import { buildFakeSmartcard } from '../fakes/fake-smartcard.js';
import {
  blankToken,
  COUNTER_SO_PIN,
  type CounterCustomer,
  chainOverRpc,
  counterCustomer,
  mailerPin,
} from '../support/counter-customer.js';
import { softhsmModule } from '../support/softhsm.js';
import { expectAccessible } from '../support/ui-expect.js';
import { buildRenderer, launchChromium, openUiPage, screenshotDir } from '../support/ui-harness.js';
import { factsOf } from '../support/ui-steps.js';
import { PIN, useWallet } from '../support/wallet-fixture.js';

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-counter-dist-'));
const w = useWallet(['operator']);
const chain = chainOverRpc(w);
let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
let customer: CounterCustomer;
let newSerial: string;
const pageErrors: string[] = [];
const shot = (name: string) =>
  page.screenshot({ path: join(screenshotDir, `counter-${name}.png`) });
const mailerDir = () => join(w.home, 'pin-mailers', 'counter');

function slotOf(serial: string): string {
  const show = execFileSync('softhsm2-util', ['--show-slots'], { env: w.env, encoding: 'utf8' });
  const block = show
    .split(/\n(?=Slot )/)
    .find((b) => new RegExp(`Serial number:\\s*${serial}`).test(b))!;
  return /^Slot (\d+)/.exec(block)![1]!;
}

/** Types `pin` into the PIN dialog named `title` and waits for it to close. */
async function enterPin(title: string, pin: string) {
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor();
  await expectAccessible(page, `PIN dialog "${title}"`);
  await dialog.locator('input[type="password"]').fill(pin);
  await dialog.locator('button[type="submit"]').click();
  await dialog.waitFor({ state: 'hidden' });
}

/** The new token's option, listed through the card's module or not (the card's lists it too). */
async function optionThrough(select: Locator, cardModule: string, viaCard: boolean) {
  const values = await select
    .locator('option')
    .evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
  const found = values.find(
    (v) =>
      v.includes(newSerial) &&
      decodeURIComponent(v).includes(`module-path=${cardModule}`) === viaCard,
  );
  expect(found, values.join('\n')).toBeDefined();
  return found;
}

const form = (name: string): Locator => page.getByRole('region', { name, exact: true });

beforeAll(async () => {
  buildRenderer(dist);
  customer = await counterCustomer(w, 'K-0042');
  newSerial = blankToken(w, 'blank-new');
  app = createAppApi({ home: w.home, env: w.env });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  browser = await launchChromium();
  page = await openUiPage(browser, bridge.url, pageErrors);
  await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('at the counter in Chromium', () => {
  it('replaces a lost token: reviewed, then the PINs, then the result with the mailer', async () => {
    const t = en.counter;
    const replace = form(t.replaceTitle);
    await replace.getByLabel(t.customer, { exact: true }).fill(customer.ref);
    await replace.getByLabel(t.lostAccount, { exact: true }).fill(customer.lost);
    await replace
      .getByLabel(t.newToken, { exact: true })
      .selectOption({ label: `blank-new · ${newSerial}` });
    await replace.getByLabel(t.operator, { exact: true }).selectOption(w.keys.operator!.uri);
    await replace.getByLabel(t.name, { exact: true }).fill('Wang Fang');
    await replace.getByRole('button', { name: t.review, exact: true }).click();
    await replace.getByRole('heading', { name: t.reviewTitle }).waitFor();
    expect(await factsOf(replace.locator('dl.review'))).toEqual({
      [t.customer]: 'K-0042',
      [t.lostAccount]: customer.lost,
      [t.freeze]: t.willFreeze,
      [t.moves]: '50.00 and 1 note',
      [t.newToken]: `blank-new · ${newSerial}`,
      [t.operator]: getAddress(w.keys.operator!.address),
    });
    await shot('1-replace-review');
    await expectAccessible(page, 'replacement review');
    // Nothing done by the review.
    expect(await chain.frozen(customer.lost)).toBe(false);

    await replace.getByRole('button', { name: t.replace, exact: true }).click();
    await enterPin(t.operatorPinTitle, PIN);
    await enterPin(t.soPinTitle, COUNTER_SO_PIN);
    const banner = replace.locator('.banner-ok');
    await banner.waitFor({ timeout: 120_000 });
    await expect(banner.locator('p.strong').textContent()).resolves.toBe(
      'Token replaced for customer K-0042.',
    );
    const facts = await factsOf(banner.locator('dl'));
    expect(facts[t.moved]).toBe('50.00 and 1 note');
    expect(facts[t.mailer]).toMatch(/^K-0042\.replace-[0-9a-f]{12}\.pin\.txt$/);
    const replacement = getAddress(facts[t.newAccount]!);
    await shot('2-replace-done');
    await expectAccessible(page, 'replacement done');

    // Over raw JSON-RPC: frozen and emptied, the money and the note moved.
    expect(await chain.frozen(customer.lost)).toBe(true);
    expect(await chain.balance(customer.lost)).toBe(0n);
    expect(await chain.balance(replacement)).toBe(5000n);
    expect(await chain.noteOwner(customer.noteId)).toBe(replacement);
    const mailer = join(mailerDir(), facts[t.mailer]!);
    expect(statSync(mailer).mode & 0o777).toBe(0o600);
    const pin = mailerPin(mailer);
    // The PIN is nowhere on the page, and opens the new token.
    expect(await page.content()).not.toContain(pin);
    const objects = execFileSync(
      'pkcs11-tool',
      ['--module', softhsmModule, '--slot', slotOf(newSerial), '--login', '--pin', pin, '-O'],
      { env: w.env, encoding: 'utf8' },
    );
    expect(objects).toMatch(/signet-account/);
  }, 180_000);

  it('in Chinese: the replacement reviewed again (done: nothing left to move), and a locked PIN reset', async () => {
    const card = buildFakeSmartcard({
      softhsmConf: w.env.SOFTHSM2_CONF!,
      dir: join(w.home, 'fake'),
    });
    card.activate();
    const configPath = join(w.home, 'config.json');
    const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
    writeFileSync(configPath, JSON.stringify({ ...config, modules: [card.modulePath] }));
    const cardLogin = (pin: string) => {
      try {
        execFileSync(
          'pkcs11-tool',
          ['--module', card.modulePath, '--slot', slotOf(newSerial), '--login', '--pin', pin, '-O'],
          { env: { ...w.env, ...card.env }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        return 'ok';
      } catch (error) {
        const e = error as { stdout?: Buffer; stderr?: Buffer };
        return /CKR_\w+/.exec(`${e.stdout}${e.stderr}`)?.[0] ?? 'failed';
      }
    };
    for (const wrong of ['00000001', '00000002', '00000003']) cardLogin(wrong);
    expect(cardLogin('00000004')).toBe('CKR_PIN_LOCKED');

    await page.getByLabel(en.app.language).selectOption('zh-CN');
    await page.getByRole('heading', { level: 1, name: zhCN.devices.title }).waitFor();
    await page.getByRole('button', { name: zhCN.common.refresh }).first().click();
    const t = zhCN.counter;

    const replace = form(t.replaceTitle);
    // The new token carries the customer's label now (its URI with it): chosen again.
    await expect(
      replace.getByRole('button', { name: t.review, exact: true }).isDisabled(),
    ).resolves.toBe(true);
    const newTokenSelect = replace.getByLabel(t.newToken, { exact: true });
    await newTokenSelect.selectOption(
      (await optionThrough(newTokenSelect, card.modulePath, false))!,
    );
    await replace.getByRole('button', { name: t.review, exact: true }).click();
    await replace.getByRole('heading', { name: t.reviewTitle }).waitFor();
    const review = await factsOf(replace.locator('dl.review'));
    expect(review[t.freeze]).toBe(t.alreadyFrozen);
    expect(review[t.moves]).toBe('0.00 和 0 张票据');
    await shot('3-replace-review-zh');
    await expectAccessible(page, 'replacement review (zh-CN)');
    await replace.getByRole('button', { name: t.back, exact: true }).click();

    const unblock = form(t.unblockTitle);
    // The card's module lists the same SoftHSM2 token again: its option is the one through the card.
    const tokenSelect = unblock.getByLabel(t.token, { exact: true });
    await tokenSelect.selectOption((await optionThrough(tokenSelect, card.modulePath, true))!);
    await unblock.getByLabel(t.customer, { exact: true }).fill('K-0042');
    // The mailer in the customer's language (the form starts in the screen's).
    await unblock.getByLabel(t.language, { exact: true }).selectOption('zh-CN');
    await unblock.getByRole('button', { name: t.review, exact: true }).click();
    await unblock
      .getByText(`为客户 K-0042 重置令牌 K-0042 · ${newSerial} 的用户 PIN 码？`)
      .waitFor();
    await shot('4-unblock-confirm-zh');
    await expectAccessible(page, 'unblock confirmation (zh-CN)');
    await unblock.getByRole('button', { name: t.unblock, exact: true }).click();
    await enterPin(t.soPinTitle, COUNTER_SO_PIN);
    const banner = unblock.locator('.banner-ok');
    await banner.waitFor();
    await expect(banner.locator('p.strong').textContent()).resolves.toBe(
      `令牌 ${newSerial} 的 PIN 码已重置。`,
    );
    const mailerName = (await factsOf(banner.locator('dl')))[t.mailer]!;
    expect(mailerName).toMatch(/^K-0042\.unblock-\S+\.pin\.txt$/);
    await shot('5-unblock-done-zh');
    await expectAccessible(page, 'unblock done (zh-CN)');
    const mailer = join(mailerDir(), mailerName);
    expect(readFileSync(mailer, 'utf8')).toContain('令牌序列号');
    const pin = mailerPin(mailer);
    expect(await page.content()).not.toContain(pin);
    expect(cardLogin(pin)).toBe('ok');
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
