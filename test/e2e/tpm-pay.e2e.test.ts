/**
 * A TPM key pays from the UI, in Chromium through the loopback bridge: the key
 * on a real swtpm + tpm2-abrmd + tpm2-pkcs11 token (test/support/tpm-token.ts),
 * its account the P256Account contract, the carrier a secp256k1 account on a
 * SoftHSM2 token with another PIN, or on a Ledger (the FAKE device of
 * test/fakes/fake-ledger-device.ts: there is no USB here). The Accounts screen
 * lists the TPM account; Send offers the carrier select, the review names the
 * carrier, and the PIN dialog asks one PIN per token: the carrier's only when
 * it is on another token, none for a Ledger (confirmed on the device). A wrong
 * carrier PIN is said for the carrier's token, costs the TPM no try (its own
 * counter, read before and after) and signs nothing. Sync now settles it, and
 * the balance is read back from the chain with viem.
 *
 * Where the TPM packages are missing the whole file is skipped, and says why in
 * one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type Address, parseAbi } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { formatLedgerDeviceUri } from '../../native/hid/uri.js';
import { readTpmLockout } from '../../native/tpm/lockout.js';
import { en } from '../../renderer/src/i18n/en.js';
import { FakeLedgerDevice, fakeHidBackend } from '../fakes/fake-ledger-device.js';
import { pinFile } from '../support/cli.js';
import { findTpmTools } from '../support/tpm-stack.js';
import { startTpmToken, type TpmToken } from '../support/tpm-token.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  fillTemplate,
  launchChromium,
  openScreen,
  openUiPage,
  screenshotDir,
  settle,
} from '../support/ui-harness.js';
import { factsOf, syncNow } from '../support/ui-steps.js';
import { useWallet, PIN as WALLET_PIN } from '../support/wallet-fixture.js';

const tools = findTpmTools();
const missing = 'missing' in tools ? tools.missing : undefined;
if (missing) console.warn(`TPM payment UI tests skipped: ${missing}`);

const TPM_PIN = 'tpm-user-pin-1234';

describe.skipIf(missing !== undefined)('a TPM key pays from the UI', () => {
  // The TPM first: it must be set up before anything in this process opens tpm2-pkcs11.
  let tpm: TpmToken;
  beforeAll(async () => {
    tpm = await startTpmToken({ tokenLabel: 'teller-tpm', userPin: TPM_PIN });
  }, 60_000);
  afterAll(async () => {
    await tpm?.stop();
  });

  // A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
  const dist = mkdtempSync(join(tmpdir(), 'signet-tpm-pay-dist-'));
  const device = new FakeLedgerDevice();
  const hid = fakeHidBackend([device]);
  // SoftHSM2 token "Wallet" (PIN WALLET_PIN): the carrier's key, and bob's.
  const w = useWallet(['carrier', 'bob'], { hid });
  const deviceCarrier = {
    uri: formatLedgerDeviceUri({ device: device.address(0), account: 0 }),
    address: device.address(0) as Address,
  };
  let account: Address;
  let app: AppApi;
  let bridge: Bridge;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const onChainBalance = (address: Address) =>
    w.ledger.publicClient.readContract({
      address: w.ledger.profile.contracts.currency,
      abi: parseAbi(['function balanceOf(address) view returns (uint256)']),
      functionName: 'balanceOf',
      args: [address],
    });
  const tpmFailures = async () => {
    const lockout = await readTpmLockout();
    if (!lockout.known) throw new Error(`the TPM's counter cannot be read: ${lockout.reason}`);
    return lockout.failures;
  };

  beforeAll(async () => {
    const added = await w.json([
      'account',
      'add',
      '--key',
      tpm.keyUri,
      '--name',
      'TPM',
      '--pin-file',
      pinFile(TPM_PIN),
    ]);
    account = added.address;
    await w.json(['account', 'add', '--key', deviceCarrier.uri, '--name', 'nano']);
    await w.json(['ledger', 'fund', '--account', account, '--amount', '50.00']);
    for (const address of [w.keys.carrier!.address, w.keys.bob!.address, deviceCarrier.address]) {
      await w.json(['ledger', 'fund', '--account', address, '--amount', '1.00']);
    }
    await w.json(['sync']);

    buildRenderer(dist);
    app = createAppApi({ home: w.home, env: w.env, hid });
    bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
    browser = await launchChromium();
    page = await openUiPage(browser, bridge.url, pageErrors);
    await page.getByRole('heading', { level: 1, name: en.devices.title }).waitFor();
    await settle(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    app?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  /** Send's form filled for a payment from the TPM account, carried by `carrier`, reviewed. */
  async function reviewFromTpm(carrier: Address, amount: string) {
    await openScreen(page, 'send', en.send.title);
    await page.getByLabel(en.send.from, { exact: true }).selectOption(tpm.keyUri);
    await page.getByLabel(en.send.carrier, { exact: true }).selectOption(carrier);
    await page.getByLabel(en.send.to, { exact: true }).fill(w.keys.bob!.address);
    await page.getByLabel(en.send.amount, { exact: true }).fill(amount);
    await page.getByRole('button', { name: en.send.review, exact: true }).click();
    await page.getByRole('heading', { level: 2, name: en.send.reviewTitle }).waitFor();
    return factsOf(page.locator('dl.review'));
  }

  async function syncUntilConfirmed() {
    for (let round = 0; round < 20; round++) {
      await syncNow(page);
      const rows: Array<{ status: string }> = await w.json(['outbox']);
      if (rows.every((row) => row.status === 'confirmed')) return;
    }
    throw new Error('the outbox did not settle');
  }

  it('lists the TPM account on the Accounts screen, with its balance', async () => {
    await openScreen(page, 'accounts', en.accounts.title);
    const row = page.getByRole('row').filter({ has: page.locator(`td[title="${account}"]`) });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells.slice(0, 3)).toEqual(['TPM', expect.any(String), '50.00']);
    expect(cells.at(-1)).toBe(en.accounts.registered);
  });

  it('asks one PIN per token; a wrong carrier PIN is said for its token and costs the TPM nothing', async () => {
    const facts = await reviewFromTpm(w.keys.carrier!.address, '7.50');
    expect(facts[en.send.from]).toContain('TPM');
    expect(facts[en.send.carrier]).toContain('carrier');
    expect(facts[en.send.p256Digest]).toMatch(/^0x[0-9a-f]{64}$/);
    await page.getByRole('button', { name: en.send.sign, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: en.send.signTitle, exact: true });
    await dialog.waitFor();
    const keyPin = dialog.getByLabel(fillTemplate(en.pin.keyToken, { token: 'teller-tpm' }), {
      exact: true,
    });
    const carrierPin = dialog.getByLabel(fillTemplate(en.pin.carrierToken, { token: 'Wallet' }), {
      exact: true,
    });
    const unlock = dialog.getByRole('button', { name: en.pin.submit, exact: true });
    // Both PINs before anything is sent.
    await keyPin.fill(TPM_PIN);
    await expect(unlock.isDisabled()).resolves.toBe(true);
    await expectAccessible(page, 'PIN dialog, two tokens');
    await page.screenshot({ path: join(screenshotDir, 'tpm-pay-two-pins.png') });

    const before = await tpmFailures();
    await carrierPin.fill('not-the-carrier-pin');
    await unlock.click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('The carrier’s token “Wallet”: Wrong PIN.');
    expect(text).toContain('wrong PIN for token "Wallet"');
    expect(text).not.toContain('not-the-carrier-pin');
    // The fields are empty again; nothing was signed or queued; the TPM counted nothing.
    await expect(keyPin.inputValue()).resolves.toBe('');
    await expect(carrierPin.inputValue()).resolves.toBe('');
    expect(await w.json(['outbox'])).toEqual([]);
    expect(await tpmFailures()).toBe(before);

    await keyPin.fill(TPM_PIN);
    await carrierPin.fill(WALLET_PIN);
    await unlock.click();
    await page.getByRole('heading', { level: 2, name: en.send.resultTitle }).waitFor();
    expect(await w.json(['outbox'])).toEqual([
      expect.objectContaining({
        from: w.keys.carrier!.address,
        amount: '7.50',
        carried: { account, nonce: 0 },
      }),
    ]);

    await syncUntilConfirmed();
    await openScreen(page, 'outbox', en.outbox.title);
    await page.getByText(en.outbox.txStatus.confirmed, { exact: true }).first().waitFor();
    expect(await onChainBalance(account)).toBe(42_50n);
    expect(await tpmFailures()).toBe(before);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('a Ledger carrier: only the TPM’s PIN, then the device confirms', async () => {
    const facts = await reviewFromTpm(deviceCarrier.address, '2.50');
    expect(facts[en.send.carrier]).toContain('nano');
    await page.getByRole('button', { name: en.send.sign, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: en.send.signTitle, exact: true });
    await dialog.waitFor();
    await dialog.getByText(en.pin.carrierDevice, { exact: true }).waitFor();
    await expect(dialog.locator('input[type="password"]').count()).resolves.toBe(1);
    await dialog.getByLabel(en.pin.label, { exact: true }).fill(TPM_PIN);
    await dialog.getByRole('button', { name: en.pin.submit, exact: true }).click();
    await page.getByRole('heading', { level: 2, name: en.send.resultTitle }).waitFor();
    const rows: Array<{ from: string; carried: { nonce: number } | null }> = await w.json([
      'outbox',
    ]);
    expect(rows.find((row) => row.carried?.nonce === 1)).toMatchObject({
      from: deviceCarrier.address,
      carried: { account, nonce: 1 },
    });
    await syncUntilConfirmed();
    expect(await onChainBalance(account)).toBe(40_00n);
    expect(await onChainBalance(w.keys.bob!.address)).toBe(11_00n);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
