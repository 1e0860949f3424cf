/**
 * The operator bank's Customers screen in Chromium, through the bridge, against
 * the dev ledger, with the operator's key on a SoftHSM2 token (appointed an
 * operator by the dev central bank, test/support/operator-bank.ts): a
 * customer's account registered through the review and the PIN, confirmed by a
 * sync and read back over raw JSON-RPC (`isRegistered`, the reference's hash
 * on chain); frozen and unfrozen the same way; the refusals (a key that is no
 * operator, an account registered already, a bad address, a bad reference)
 * each one line on the form with nothing queued and nothing changed on chain;
 * a freeze asked while the registration is still in the outbox says so;
 * the standing panel; the screen in English and Chinese, axe clean.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  type Address,
  decodeFunctionResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  stringToBytes,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, startBridge } from '../../core/bridge/bridge-server.js';
import { currencyAbi } from '../../core/chain/abi.js';
import { customerRefHash } from '../../core/customers/customer-ref.js';
import { en, type Messages } from '../../renderer/src/i18n/en.js';
import { zhCN } from '../../renderer/src/i18n/zh-CN.js';
import { grantOperator } from '../support/operator-bank.js';
import { syncSettled } from '../support/sync-settled.js';
import { rawRpc } from '../support/treasury-cli.js';
import { expectAccessible } from '../support/ui-expect.js';
import {
  buildRenderer,
  latinText,
  latinWordsOf,
  launchChromium,
  openScreen,
  openUiPage,
  screenshotDir,
} from '../support/ui-harness.js';
import { factsOf, signWithPin, syncNow } from '../support/ui-steps.js';
import { PIN, useWallet } from '../support/wallet-fixture.js';

// A private build: ui-smoke rebuilds renderer/dist (emptying it) in a parallel fork.
const dist = mkdtempSync(join(tmpdir(), 'signet-customers-dist-'));

// The bank's operator key, and a key of this wallet that is no operator.
const w = useWallet(['bank', 'mallory']);
/** The customer: an account whose key is elsewhere (its own token, at the branch). */
const customer = privateKeyToAccount(generatePrivateKey()).address;
const REFERENCE = 'CUST-00077 Zoë';

let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const shot = (name: string) =>
  page.screenshot({ path: join(screenshotDir, `customers-${name}.png`), fullPage: true });

/** A currency view over raw JSON-RPC at the latest block. */
async function currency<T>(functionName: 'isRegistered' | 'isFrozen', account: Address) {
  const data = encodeFunctionData({ abi: currencyAbi, functionName, args: [account] });
  const raw = await rawRpc<Hex>(w.ledger.url, 'eth_call', [
    { to: w.ledger.profile.contracts.currency, data },
    'latest',
  ]);
  return decodeFunctionResult({ abi: currencyAbi, functionName, data: raw }) as T;
}

/** The registry's standing of `account` on chain, as the tests compare it. */
async function onChain(account: Address) {
  return {
    registered: await currency<boolean>('isRegistered', account),
    frozen: await currency<boolean>('isFrozen', account),
  };
}

/** The customer reference hashes `account`'s registrations recorded (AccountRegistered's data). */
async function registeredRefs(account: Address): Promise<Hex[]> {
  const topic0 = keccak256(stringToBytes('AccountRegistered(address,address,bytes32)'));
  const logs = await rawRpc<Array<{ data: Hex; topics: Hex[] }>>(w.ledger.url, 'eth_getLogs', [
    {
      fromBlock: '0x0',
      toBlock: 'latest',
      address: w.ledger.profile.contracts.currency,
      topics: [topic0, `0x${account.slice(2).toLowerCase().padStart(64, '0')}`],
    },
  ]);
  return logs.map((log) => log.data);
}

const form = (m: Messages = en) => page.getByRole('form', { name: m.customers.form.title });

/** Fills the operator's form as a user would and presses Review. */
async function ask(
  request: { action: 'register' | 'freeze' | 'unfreeze'; operator: string; account: string },
  reference?: string,
  m: Messages = en,
) {
  const f = form(m);
  await f.getByLabel(m.customers.form.action).selectOption(request.action);
  await f.getByLabel(m.customers.form.operator).selectOption(request.operator);
  await f.getByLabel(m.customers.account, { exact: true }).fill(request.account);
  if (reference !== undefined) await f.getByLabel(m.customers.form.customer).fill(reference);
  await f.getByRole('button', { name: m.customers.form.review }).click();
}

/**
 * A request the server refuses: the form's one line (and the only alert on the
 * page), with nothing queued in the outbox and the account unchanged on chain.
 */
async function refused(
  request: Parameters<typeof ask>[0],
  reference: string | undefined,
  line: string,
  m: Messages = en,
) {
  const outbox = await w.json(['outbox']);
  const chain = await onChain(getAddress(request.account.toLowerCase()));
  await ask(request, reference, m);
  const alert = form(m).getByRole('alert');
  await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toBe(line);
  expect(await page.locator('main [role="alert"]').count()).toBe(1);
  // Still on the form: nothing to review, nothing to sign.
  await expect(form(m).isVisible()).resolves.toBe(true);
  expect(await w.json(['outbox'])).toEqual(outbox);
  expect(await onChain(getAddress(request.account.toLowerCase()))).toEqual(chain);
}

/** Reviews, signs with the PIN, then syncs until the transaction is confirmed. */
async function signAndSettle(action: string) {
  await signWithPin(page, PIN, `Sign: ${action}`, en.customers.result.title);
  await syncNow(page);
  await syncSettled(w);
  const rows: Array<{ status: string; kind: string }> = await w.json(['outbox']);
  expect(rows.every((row) => row.status === 'confirmed')).toBe(true);
}

beforeAll(async () => {
  buildRenderer(dist);
  await grantOperator(w.ledger, w.keys.bank!.address);
  await w.json(['sync']);
  app = createAppApi({ home: w.home, env: w.env });
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  browser = await launchChromium();
  page = await openUiPage(browser, bridge.url, pageErrors);
  await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe("the operator bank's Customers screen in Chromium, on the dev ledger with SoftHSM2", () => {
  const bank = () => ({ operator: w.keys.bank!.uri });

  it('refuses in one line what it would not sign: a bad address, a bad reference, a key that is no operator', async () => {
    await openScreen(page, 'customers', 'Customers');
    // The shape of an address and an empty reference: the form itself, calling nothing.
    await ask({ action: 'register', ...bank(), account: '0x1234' }, '');
    await expect(form().locator('.field-error').allTextContents()).resolves.toEqual([
      en.customers.invalid.account,
      en.customers.invalid.customer,
    ]);
    await runAxe('form (invalid)');

    // A mistyped checksum (one letter's case changed): the server's ADDRESS_INVALID.
    const letter = customer.search(/[a-fA-F]/);
    const flipped = `${customer.slice(0, letter)}${
      customer[letter] === customer[letter]!.toUpperCase()
        ? customer[letter]!.toLowerCase()
        : customer[letter]!.toUpperCase()
    }${customer.slice(letter + 1)}`;
    await refused(
      { action: 'register', ...bank(), account: flipped },
      REFERENCE,
      en.errors.ADDRESS_INVALID,
    );
    await refused(
      { action: 'register', ...bank(), account: customer },
      'R'.repeat(129),
      en.customers.reason['customer-too-long'],
    );
    await refused(
      { action: 'register', operator: w.keys.mallory!.uri, account: customer },
      REFERENCE,
      en.errors.NOT_OPERATOR,
    );
    // Freezing an account nobody registered: the error code's sentence.
    await refused(
      { action: 'freeze', ...bank(), account: customer },
      undefined,
      en.errors.NOT_REGISTERED,
    );
    await shot('1-refused');
    await runAxe('form (refused)');
    expect(await onChain(customer)).toEqual({ registered: false, frozen: false });
  }, 60_000);

  it("registers the customer's account: reviewed, signed with the PIN, confirmed, registered on chain under the reference's hash", async () => {
    await ask({ action: 'register', ...bank(), account: customer }, REFERENCE);
    await page.getByRole('heading', { level: 2, name: 'Review: Register' }).waitFor();
    const review = await factsOf(page.locator('main .panel').first().locator('dl').first());
    const { currency: contract } = w.ledger.profile.contracts;
    expect(review).toMatchObject({
      'Contract call': 'registerAccount',
      // Not this wallet's, nor in its address book: said so.
      Account: `${customer} unknown address`,
      'Customer reference hash': customerRefHash(REFERENCE),
      'Operator (signs and pays the fee)': `${w.keys.bank!.address} bank (your account)`,
      Contract: `${contract} currency contract`,
      Chain: String(w.ledger.profile.chainId),
      'The account now': 'registered: No, frozen: No',
      Nonce: '0',
      'Maximum network fee': expect.stringMatching(/^0\.\d+ ETH \([1-9]\d{0,2}(,\d{3})* wei\)$/),
    });
    // The reference itself is never shown as what is signed: only its hash.
    expect(await page.locator('main').textContent()).not.toContain(REFERENCE);
    await shot('2-review');
    await runAxe('register review');

    await signAndSettle('Register');
    expect(await onChain(customer)).toEqual({ registered: true, frozen: false });
    expect(await registeredRefs(customer)).toEqual([customerRefHash(REFERENCE)]);
    await openScreen(page, 'customers', 'Customers');
    await expectStanding({
      Registered: 'Yes',
      Frozen: 'No',
      'Registered by operator': w.keys.bank!.address,
      'Is an operator bank': 'No',
      'Customer reference hash': customerRefHash(REFERENCE),
    });
    await shot('3-standing');
    await runAxe('standing');
  }, 60_000);

  it('refuses to register the account again, in one line, changing nothing', async () => {
    await refused(
      { action: 'register', ...bank(), account: customer },
      'CUST-00078',
      en.errors.ALREADY_REGISTERED,
    );
    expect(await registeredRefs(customer)).toHaveLength(1);
  }, 60_000);

  it('freezes and unfreezes the customer, each reviewed and signed, checked on chain', async () => {
    await ask({ action: 'freeze', ...bank(), account: customer });
    await page.getByRole('heading', { level: 2, name: 'Review: Freeze' }).waitFor();
    const review = await factsOf(page.locator('main .panel').first().locator('dl').first());
    expect(review).toMatchObject({
      'Contract call': 'freeze',
      Account: `${customer} unknown address`,
      'The account now': 'registered: Yes, frozen: No',
    });
    expect(review).not.toHaveProperty('Customer reference hash');
    await signAndSettle('Freeze');
    expect(await onChain(customer)).toEqual({ registered: true, frozen: true });
    await openScreen(page, 'customers', 'Customers');
    await expectStanding({ Frozen: 'Yes' });
    await refused(
      { action: 'freeze', ...bank(), account: customer },
      undefined,
      en.errors.ACCOUNT_FROZEN,
    );

    await ask({ action: 'unfreeze', ...bank(), account: customer });
    await page.getByRole('heading', { level: 2, name: 'Review: Unfreeze' }).waitFor();
    await signAndSettle('Unfreeze');
    expect(await onChain(customer)).toEqual({ registered: true, frozen: false });
    await openScreen(page, 'customers', 'Customers');
    await refused(
      { action: 'unfreeze', ...bank(), account: customer },
      undefined,
      en.customers.reason['not-frozen'],
    );
    const kinds = (await w.json(['outbox'])).map((row: { kind: string }) => row.kind);
    expect(kinds.sort()).toEqual(['customer-freeze', 'customer-register', 'customer-unfreeze']);
  }, 60_000);

  it('says a registration still in the outbox is there, rather than that the account is not registered', async () => {
    const second = privateKeyToAccount(generatePrivateKey()).address;
    // The node holds what it is sent without mining it: the registration stays in flight.
    await rawRpc(w.ledger.url, 'evm_setAutomine', [false]);
    try {
      await ask({ action: 'register', ...bank(), account: second }, 'CUST-00080');
      await page.getByRole('heading', { level: 2, name: 'Review: Register' }).waitFor();
      await signWithPin(page, PIN, 'Sign: Register', en.customers.result.title);
      await expect(
        page.getByRole('status').filter({ hasText: second }).textContent(),
      ).resolves.toBe(`Sent ${en.customers.result.register.replace('{{account}}', second)}`);
      await page.getByRole('button', { name: en.customers.result.again }).click();
      await refused(
        { action: 'freeze', ...bank(), account: second },
        undefined,
        en.customers.reason.queued,
      );
      await shot('5-queued');
    } finally {
      await rawRpc(w.ledger.url, 'evm_setAutomine', [true]);
    }
    await w.ledger.mine();
    await syncSettled(w);
    expect(await onChain(second)).toEqual({ registered: true, frozen: false });
    // Confirmed, the same freeze is reviewed.
    await ask({ action: 'freeze', ...bank(), account: second });
    await page.getByRole('heading', { level: 2, name: 'Review: Freeze' }).waitFor();
    await page.getByRole('button', { name: 'Back' }).click();
  }, 60_000);

  it('shows the screen, its refusals and the standing in Chinese, axe clean', async () => {
    await page.locator('.lang select').selectOption('zh-CN');
    await openScreen(page, 'customers', zhCN.nav.customers);
    await refused(
      { action: 'register', ...bank(), account: customer },
      'CUST-00079',
      zhCN.errors.ALREADY_REGISTERED,
      zhCN,
    );
    await refused(
      { action: 'freeze', operator: w.keys.mallory!.uri, account: customer },
      undefined,
      zhCN.errors.NOT_OPERATOR,
      zhCN,
    );
    const lookup = page.getByRole('form', { name: zhCN.customers.standing.title });
    await lookup.getByLabel(zhCN.customers.account, { exact: true }).fill(customer);
    await lookup.getByRole('button', { name: zhCN.customers.standing.lookUp }).click();
    await page.locator(`[data-standing="${customer}"]`).waitFor();
    const standing = await factsOf(page.locator(`[data-standing="${customer}"]`));
    expect(standing).toMatchObject({
      [zhCN.customers.standing.registered]: zhCN.common.yes,
      [zhCN.customers.standing.frozen]: zhCN.common.no,
    });
    // No English left on the screen: Latin words only where the Chinese strings use them, and account names.
    const allowed = [...latinWordsOf(zhCN, /\p{Script=Han}/u), ...Object.keys(w.keys)];
    expect(await latinText(page, ['main', 'nav'], allowed)).toEqual([]);
    await shot('4-zh-CN');
    await runAxe('customers (zh-CN)');
    await page.locator('.lang select').selectOption('en');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

const runAxe = (label: string) => expectAccessible(page, `customers ${label}`);

/** Looks the customer up on the standing panel and checks what it shows. */
async function expectStanding(expected: Record<string, string>) {
  const lookup = page.getByRole('form', { name: en.customers.standing.title });
  await lookup.getByLabel('Account', { exact: true }).fill(customer);
  await lookup.getByRole('button', { name: 'Look up' }).click();
  const facts = page.locator(`[data-standing="${customer}"]`);
  await expect
    .poll(async () => (await facts.count()) && factsOf(facts), { timeout: 15_000 })
    .toMatchObject(expected);
}
