/**
 * Offline digital cash end to end, through the real `signet purse` command, on
 * the dev ledger with SoftHSM2 tokens: Alice and Bob open purses (the dev
 * operator certifies), then with NO node reachable (their profiles point at a
 * closed port) pay each other three times by QR (PNG frames decoded by jsQR)
 * and three times by file; Alice reconnects and settles, and both balances are
 * checked over raw JSON-RPC; settling again changes nothing. A double spend
 * signed behind Signet's back with Bob's purse key is refused offline by a
 * payee who holds the first voucher, taken by one who does not, and caught on
 * chain at settlement: both payees paid in full, Bob's purse frozen. Alice
 * closes after the thaw window, and a voucher settled after the close changes
 * nothing.
 */
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Address,
  decodeFunctionResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  toHex,
} from 'viem';
import { generatePrivateKey, type LocalAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppApi } from '../core/app/app-api.js';
import { currencyAbi } from '../core/chain/abi.js';
import { writeActiveProfile } from '../core/chain/profile-file.js';
import { offlinePurseAbi } from '../core/purse/abi.js';
import { encodePaymentFile } from '../core/purse/payment-file.js';
import { getPurse } from '../core/purse/purse-store.js';
import { FIRST_PREV_VOUCHER_HASH, type Voucher, voucherHash } from '../core/purse/typed-data.js';
import { openStore } from '../core/store/database.js';
import { devPurseGraceSeconds } from '../ledger/deploy.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import { openKeySigner } from '../native/pkcs11/token-access.js';
import { pinFile, signet } from './support/cli.js';
import { useDevChain } from './support/dev-chain.js';
import { signCertificate, signVoucher } from './support/purse.js';
import { purseChain } from './support/purse-chain.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';
import { rawRpc } from './support/treasury-cli.js';

const PIN = '2468-purse';
const ledger = useDevChain();
const tokens = createSoftHsmStore();
const dir = mkdtempSync(join(tmpdir(), 'signet-purse-e2e-'));
const pin = pinFile(PIN);
const CLOSED_PORT = 'http://127.0.0.1:9';

interface Holder {
  name: string;
  home: string;
  env: NodeJS.ProcessEnv;
  uri: string;
  address: Address;
}
const holders: Record<string, Holder> = {};
const alice = () => holders.alice!;
const bob = () => holders.bob!;
const carol = () => holders.carol!;

async function cli(h: Holder, args: string[]) {
  const run = await signet(args, { env: h.env });
  // No PIN in any output, error or not.
  expect(run.stdout + run.stderr).not.toContain(PIN);
  return run;
}
async function json(h: Holder, args: string[]) {
  const run = await cli(h, [...args, '--json']);
  if (run.code !== 0) throw new Error(`${h.name}: signet ${args.join(' ')}: ${run.stderr}`);
  return run.json;
}
const online = (h: Holder) => writeActiveProfile(ledger.profile, h.env);
const offline = (h: Holder) => writeActiveProfile({ ...ledger.profile, rpc: [CLOSED_PORT] }, h.env);

/** A currency balance in minor units, read over raw JSON-RPC at the latest block. */
async function balanceOf(account: Address): Promise<bigint> {
  const data = encodeFunctionData({ abi: currencyAbi, functionName: 'balanceOf', args: [account] });
  const raw = await rawRpc<Hex>(ledger.url, 'eth_call', [
    { to: ledger.profile.contracts.currency, data },
    'latest',
  ]);
  return decodeFunctionResult({ abi: currencyAbi, functionName: 'balanceOf', data: raw }) as bigint;
}

async function purseOnChain(purse: Address) {
  const data = encodeFunctionData({ abi: offlinePurseAbi, functionName: 'purseOf', args: [purse] });
  const raw = await rawRpc<Hex>(ledger.url, 'eth_call', [
    { to: ledger.profile.contracts.offlinePurse, data },
    'latest',
  ]);
  return decodeFunctionResult({ abi: offlinePurseAbi, functionName: 'purseOf', data: raw }) as {
    paid: bigint;
    frozen: boolean;
    closed: boolean;
  };
}

/** Syncs until the outbox has nothing in flight (as a user would). */
async function syncSettled(h: Holder) {
  for (let i = 0; i < 5; i++) {
    const report = await json(h, ['sync']);
    if (report.unconfirmed === 0) return;
    await ledger.mine(1);
  }
}

async function makeHolder(name: string): Promise<Holder> {
  const home = mkdtempSync(join(dir, `${name}-`));
  const env = { ...process.env, SIGNET_HOME: home, SOFTHSM2_CONF: tokens.conf };
  tokens.initToken(name, PIN);
  writeActiveProfile(ledger.profile, env);
  const h: Holder = { name, home, env, uri: '', address: '0x' as Address };
  const token = (await json(h, ['tokens', '--module', softhsmModule])).find(
    (t: { label: string }) => t.label === name,
  ).uri;
  const key = await json(h, [
    ...['key', 'generate', '--token', token, '--curve', 'secp256k1'],
    ...['--label', `${name}-cash`, '--pin-file', pin],
  ]);
  const added = await cli(h, [
    'account',
    'add',
    '--key',
    key.uri,
    '--name',
    name,
    '--pin-file',
    pin,
  ]);
  if (added.code !== 0) throw new Error(added.stderr);
  h.uri = key.uri;
  h.address = getAddress(key.address);
  await ledger.fund(h.address, 500_00n);
  await json(h, ['sync']);
  return h;
}

const STARTING = 500_00n;

function writeTemp(folder: string, text: string): string {
  const path = join(folder, 'payment.json');
  writeFileSync(path, text);
  return path;
}
const LOCKED = 100_00n;

beforeAll(async () => {
  tokens.activate();
  for (const name of ['alice', 'bob', 'carol']) holders[name] = await makeHolder(name);
}, 180_000);
afterAll(() => {
  tokens.remove();
  rmSync(dir, { recursive: true, force: true });
});

const purses: Record<string, Address> = {};
let ghostVoucher: Hex | undefined;

/**
 * A payment to Bob from a purse never opened on chain: a certificate signed by
 * `certificateKey` behind the operator's service, a voucher by a software purse key.
 */
async function ghostPayment(certificateKey: LocalAccount, amount: bigint) {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const ghost = privateKeyToAccount(generatePrivateKey());
  const domain = {
    chainId: ledger.profile.chainId,
    verifyingContract: getAddress(ledger.profile.contracts.offlinePurse!),
  };
  const certificate = {
    purse: ghost.address,
    owner: carol().address,
    locked: 10_00n,
    cap: 5_00n,
    maxCount: 2,
    validFrom: now - 60n,
    validUntil: now + 600n,
    operator: privateKeyToAccount(ledger.profile.devOperatorKey as Hex).address,
    epoch: 7,
  };
  const voucher: Voucher = {
    purse: ghost.address,
    epoch: 7,
    payee: bob().address,
    amount,
    counter: 1,
    cumulative: amount,
    prevVoucherHash: FIRST_PREV_VOUCHER_HASH,
    issuedAt: now,
  };
  const path = join(mkdtempSync(join(dir, 'ghost-')), 'payment.json');
  writeFileSync(
    path,
    encodePaymentFile({
      domain,
      certificate,
      certificateSignature: await signCertificate(certificateKey, domain, certificate),
      voucher,
      voucherSignature: await signVoucher(ghost, domain, voucher),
    }),
  );
  return { path, hash: voucherHash(domain, voucher) };
}

/** payee requests, payer pays, payee receives: by QR frames (PNG → jsQR) or by file. */
async function payOffline(payer: Holder, payee: Holder, amount: string, by: 'qr' | 'file') {
  const step = mkdtempSync(join(dir, 'step-'));
  const request =
    by === 'qr' ? ['--qr-dir', join(step, 'request')] : ['--out', join(step, 'request.json')];
  await json(payee, [
    'purse',
    'request',
    '--account',
    payee.address,
    '--amount',
    amount,
    ...request,
  ]);
  const given =
    by === 'qr'
      ? ['--request-qr', join(step, 'request')]
      : ['--request', join(step, 'request.json')];
  const out =
    by === 'qr' ? ['--qr-dir', join(step, 'payment')] : ['--out', join(step, 'payment.json')];
  const paid = await json(payer, ['purse', 'pay', ...given, ...out, '--pin-file', pin]);
  expect(paid.voucher).toMatchObject({ payee: payee.address, amount });
  const taken =
    by === 'qr'
      ? ['--payment-qr', join(step, 'payment')]
      : ['--payment', join(step, 'payment.json')];
  const received = await json(payee, ['purse', 'receive', ...taken]);
  expect(received).toMatchObject({
    complete: true,
    alreadyHeld: false,
    voucher: { amount, payee: payee.address },
  });
  return { paid, step };
}

describe('offline digital cash on the dev ledger', () => {
  it('Alice and Bob open purses: the dev operator certifies, approve + open confirm on chain', async () => {
    // More than the account holds: refused in one line before any token or node is asked.
    const tooMuch = await cli(alice(), [
      ...['purse', 'open', '--account', alice().uri, '--locked', '900.00', '--cap', '40.00'],
      ...['--max-count', '6', '--validity', '1h', '--pin-file', pin],
    ]);
    expect(tooMuch.code).not.toBe(0);
    expect(tooMuch.stderr.trim().split('\n')).toEqual([expect.stringMatching(/not enough funds/)]);
    expect((await json(alice(), ['purse', 'status'])).purses).toEqual([]);
    for (const h of [alice(), bob()]) {
      const opened = await json(h, [
        ...['purse', 'open', '--account', h.uri, '--locked', '100.00', '--cap', '40.00'],
        ...['--max-count', '6', '--validity', '1h', '--pin-file', pin],
      ]);
      purses[h.name] = opened.purse.purse;
      expect(opened.purse.keyUri).toMatch(/object=signet-purse-0/);
      await syncSettled(h);
      const status = await json(h, ['purse', 'status', '--refresh']);
      expect(status.purses[0]).toMatchObject({
        purse: purses[h.name],
        state: 'open',
        locked: '100.00',
      });
      expect(await balanceOf(h.address)).toBe(STARTING - LOCKED);
    }
  }, 120_000);

  it("a purse opened while the operator's service is down awaits its certificate: status says so, pay refuses in one line; opening again fetches it", async () => {
    const c = carol();
    // The configured collection service does not answer (a closed port).
    writeFileSync(
      join(c.home, 'config.json'),
      JSON.stringify({ purse: { collectionService: CLOSED_PORT } }),
    );
    const opened = await json(c, [
      ...['purse', 'open', '--account', c.uri, '--locked', '20.00', '--cap', '5.00'],
      ...['--max-count', '4', '--validity', '1h', '--pin-file', pin],
    ]);
    const purse = opened.purse.purse as Address;
    // Awaiting the certificate, or (not yet at the confirmation depth) the open itself.
    expect(['awaiting-certificate', 'opening']).toContain(opened.purse.state);
    expect(opened.notice).toMatch(/certificate/);
    await syncSettled(c);
    // The money is locked on chain all the same.
    expect((await purseOnChain(purse)).closed).toBe(false);
    const text = (await cli(c, ['purse', 'status', '--refresh'])).stdout;
    expect((await json(c, ['purse', 'status'])).purses[0]).toMatchObject({
      purse,
      state: 'awaiting-certificate',
    });
    expect(text).toMatch(/awaiting-certificate/);
    expect(text).toMatch(/awaiting the operator's certificate: pays nothing yet/);
    // The certificate-key sync keeps where it stopped (F7), per chain and purse contract.
    const store = openStore(join(c.home, 'signet.sqlite'));
    const checkpoint = store.db
      .prepare('SELECT chain_id, block FROM purse_key_sync')
      .all() as Array<{ chain_id: number; block: number }>;
    const stored = getPurse(store, ledger.profile.chainId, purse)!;
    store.close();
    expect(checkpoint).toEqual([{ chain_id: ledger.profile.chainId, block: expect.any(Number) }]);
    expect(stored.certificateSignature).toBeNull();

    const step = mkdtempSync(join(dir, 'awaiting-'));
    await json(alice(), [
      ...['purse', 'request', '--account', alice().address, '--amount', '1.00'],
      ...['--out', join(step, 'r.json')],
    ]);
    const before = await json(c, ['purse', 'status']);
    const refused = await cli(c, [
      ...['purse', 'pay', '--request', join(step, 'r.json'), '--out', join(step, 'p.json')],
      ...['--pin-file', pin],
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/awaits its operator's certificate/),
    ]);
    expect(existsSync(join(step, 'p.json'))).toBe(false);
    expect(await json(c, ['purse', 'status'])).toEqual(before);

    // No service configured on the dev ledger: its operator key certifies. Opening again
    // fetches the certificate of the purse already opened, and locks nothing more.
    rmSync(join(c.home, 'config.json'));
    const balance = await balanceOf(c.address);
    const again = await json(c, [
      ...['purse', 'open', '--account', c.uri, '--locked', '20.00', '--cap', '5.00'],
      ...['--max-count', '4', '--validity', '1h', '--pin-file', pin],
    ]);
    expect(again).toMatchObject({
      purse: { purse, state: 'open' },
      notice: null,
      transactions: [],
    });
    expect(await balanceOf(c.address)).toBe(balance);
  }, 120_000);

  it('with no node reachable, they pay each other three times by QR and three times by file', async () => {
    offline(alice());
    offline(bob());
    await payOffline(alice(), bob(), '10.00', 'qr');
    await payOffline(bob(), alice(), '4.00', 'qr');
    await payOffline(alice(), bob(), '7.50', 'qr');
    await payOffline(bob(), alice(), '12.00', 'file');
    await payOffline(alice(), bob(), '3.25', 'file');
    const { step } = await payOffline(bob(), alice(), '1.00', 'file');

    // A tampered payment is refused in one line, and stores nothing.
    const file = join(step, 'payment.json');
    const tampered = JSON.parse(readFileSync(file, 'utf8'));
    tampered.voucher.amount = '100000';
    writeFileSync(file, JSON.stringify(tampered));
    const before = await json(alice(), ['purse', 'status']);
    const run = await cli(alice(), ['purse', 'receive', '--payment', file]);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/voucher|signature/i);
    expect(await json(alice(), ['purse', 'status'])).toEqual(before);

    const status = await json(alice(), ['purse', 'status']);
    expect(status.pendingIncome).toBe('17.00');
    expect(status.purses[0]).toMatchObject({ count: 3, paidOffline: '20.75', paymentsLeft: 3 });
  }, 120_000);

  it('from the UI, pay signs only the request the preview showed, and only with the PIN', async () => {
    const api = createAppApi({ home: alice().home, env: alice().env });
    try {
      const step = mkdtempSync(join(dir, 'ui-'));
      const requestFile = join(step, 'request.json');
      await json(bob(), [
        'purse',
        'request',
        '--account',
        bob().address,
        '--amount',
        '0.50',
        '--out',
        requestFile,
      ]);
      const request = { text: readFileSync(requestFile, 'utf8') };
      const preview = await api.dispatch('purse.payPreview', { request });
      expect(preview).toMatchObject({
        ok: true,
        result: { complete: true, payee: bob().address, amount: '0.50' },
      });
      const digest = (preview as { result: { reviewDigest: string } }).result.reviewDigest;
      const before = await json(alice(), ['purse', 'status']);

      const unreviewed = await api.dispatch('purse.pay', { request, pin: PIN });
      expect(unreviewed).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT', details: { reason: 'review-missing' } },
      });
      const noPin = await api.dispatch('purse.pay', { request, reviewDigest: digest });
      expect(noPin).toMatchObject({ ok: false, error: { code: 'PIN_REQUIRED' } });
      expect(await json(alice(), ['purse', 'status'])).toEqual(before);

      const paid = await api.dispatch('purse.pay', { request, reviewDigest: digest, pin: PIN });
      expect(paid).toMatchObject({ ok: true, result: { voucher: { amount: '0.50', counter: 4 } } });
      expect(JSON.stringify(paid)).not.toContain(PIN);
      // The same digest again is stale: the purse moved on.
      const stale = await api.dispatch('purse.pay', { request, reviewDigest: digest, pin: PIN });
      expect(stale).toMatchObject({ ok: false, error: { code: 'REVIEW_STALE' } });
      const received = await json(bob(), [
        'purse',
        'receive',
        '--payment',
        writeTemp(step, (paid as { result: { payment: { text: string } } }).result.payment.text),
      ]);
      expect(received.alreadyHeld).toBe(false);
    } finally {
      api.close();
    }
  }, 60_000);

  it('Alice reconnects and settles; both settled balances are right over raw JSON-RPC; settling again changes nothing', async () => {
    online(alice());
    const settled = await json(alice(), [
      'purse',
      'settle',
      '--submitter',
      alice().uri,
      '--pin-file',
      pin,
    ]);
    expect(settled.submitted).toBe(7);
    await syncSettled(alice());
    // Alice received 17.00 from Bob; Bob 21.25 from Alice (20.75 by CLI, 0.50 from the UI).
    expect(await balanceOf(alice().address)).toBe(STARTING - LOCKED + 17_00n);
    expect(await balanceOf(bob().address)).toBe(STARTING - LOCKED + 21_25n);
    const status = await json(alice(), ['purse', 'status', '--refresh']);
    expect(status.pendingIncome).toBe('0.00');
    expect(status.vouchers.every((v: { status: string }) => v.status === 'settled')).toBe(true);

    const again = await json(alice(), [
      'purse',
      'settle',
      '--submitter',
      alice().uri,
      '--pin-file',
      pin,
    ]);
    expect(again).toMatchObject({ submitted: 0, transactions: [] });
    // Bob, reconnecting later, finds his vouchers settled already: nothing sent.
    online(bob());
    const bobSettle = await json(bob(), [
      'purse',
      'settle',
      '--submitter',
      bob().uri,
      '--pin-file',
      pin,
    ]);
    expect(bobSettle).toMatchObject({ submitted: 0, alreadySettled: 7 });
    expect(await balanceOf(alice().address)).toBe(STARTING - LOCKED + 17_00n);
    expect(await balanceOf(bob().address)).toBe(STARTING - LOCKED + 21_25n);
  }, 120_000);

  it('a double spend signed behind Signet: refused offline by a payee holding the first, caught on chain, both payees paid in full', async () => {
    // Carol syncs the operators' certificate keys once while online; then receives offline.
    await json(carol(), ['purse', 'status', '--refresh']);
    const store = openStore(join(bob().home, 'signet.sqlite'));
    const purse = getPurse(store, ledger.profile.chainId, purses.bob!)!;
    store.close();
    const domain = {
      chainId: ledger.profile.chainId,
      verifyingContract: getAddress(ledger.profile.contracts.offlinePurse!),
    };
    const now = await ledger.now();
    const next = (payee: Address, amount: bigint): Voucher => ({
      purse: purse.certificate.purse,
      epoch: purse.certificate.epoch,
      payee,
      amount,
      counter: purse.counter + 1,
      cumulative: purse.cumulative + amount,
      prevVoucherHash: purse.lastVoucherHash,
      issuedAt: now,
    });
    // Straight through PKCS#11 with Bob's purse key: Signet's counter never hears of these.
    const signer = await openKeySigner(
      purse.keyUri,
      { configured: [softhsmModule], policy: anyModule },
      async () => Buffer.from(PIN),
    );
    const file = async (voucher: Voucher) => {
      const { bytes, v } = await signer.sign(
        Buffer.from(voucherHash(domain, voucher).slice(2), 'hex'),
      );
      const path = join(dir, `double-${voucher.payee}-${voucher.amount}.json`);
      writeFileSync(
        path,
        encodePaymentFile({
          domain,
          certificate: purse.certificate,
          certificateSignature: purse.certificateSignature!,
          voucher,
          voucherSignature: `${toHex(bytes)}${(27 + v!).toString(16)}` as Hex,
        }),
      );
      return path;
    };
    const toAlice = await file(next(alice().address, 5_00n));
    const toAliceAgain = await file(next(alice().address, 6_00n));
    const toCarol = await file(next(carol().address, 5_00n));
    await signer.close();

    offline(alice());
    offline(carol());
    expect((await json(alice(), ['purse', 'receive', '--payment', toAlice])).alreadyHeld).toBe(
      false,
    );
    const before = await json(alice(), ['purse', 'status']);
    const refused = await cli(alice(), ['purse', 'receive', '--payment', toAliceAgain]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(await json(alice(), ['purse', 'status'])).toEqual(before);
    // Carol never saw the first: offline she cannot tell.
    expect((await json(carol(), ['purse', 'receive', '--payment', toCarol])).alreadyHeld).toBe(
      false,
    );

    online(alice());
    online(carol());
    const aliceBefore = await balanceOf(alice().address);
    const carolBefore = await balanceOf(carol().address);
    await json(carol(), ['purse', 'settle', '--submitter', carol().uri, '--pin-file', pin]);
    await syncSettled(carol());
    await json(alice(), ['purse', 'settle', '--submitter', alice().uri, '--pin-file', pin]);
    await syncSettled(alice());
    expect(await balanceOf(carol().address)).toBe(carolBefore + 5_00n);
    expect(await balanceOf(alice().address)).toBe(aliceBefore + 5_00n);
    expect((await purseOnChain(purses.bob!)).frozen).toBe(true);
    const bobStatus = await json(bob(), ['purse', 'status', '--refresh']);
    expect(bobStatus.purses[0]).toMatchObject({ state: 'frozen', frozen: true });
  }, 120_000);

  it('Bob takes a payment from a purse never opened on chain (a certificate made behind the operator)', async () => {
    const operatorKey = privateKeyToAccount(ledger.profile.devOperatorKey as Hex);
    const ghost = await ghostPayment(operatorKey, 1_00n);
    ghostVoucher = ghost.hash;
    const taken = await json(bob(), ['purse', 'receive', '--payment', ghost.path]);
    expect(taken).toMatchObject({ complete: true, voucher: { status: 'pending' } });
  });

  it('a certificate key listed after the last sync is read by the next refresh (only newer events), and a delisted one no longer passes', async () => {
    const operator = ledger.profile.devOperatorKey as Hex;
    const newKey = privateKeyToAccount(generatePrivateKey());
    const chain = purseChain(ledger);
    const checkpoint = () => {
      const store = openStore(join(bob().home, 'signet.sqlite'));
      try {
        return store.db.prepare('SELECT block FROM purse_key_sync').pluck().get() as number;
      } finally {
        store.close();
      }
    };
    const before = checkpoint();
    await chain.send(operator, 'setCertificateKey', [newKey.address, true]);
    const first = await ghostPayment(newKey, 50n);
    const refused = await cli(bob(), ['purse', 'receive', '--payment', first.path]);
    expect(refused.stderr).toMatch(/operator|certificate/i);
    await json(bob(), ['purse', 'status', '--refresh']);
    expect(checkpoint()).toBeGreaterThan(before);
    expect(await json(bob(), ['purse', 'receive', '--payment', first.path])).toMatchObject({
      complete: true,
      alreadyHeld: false,
    });
    await chain.send(operator, 'setCertificateKey', [newKey.address, false]);
    await json(bob(), ['purse', 'status', '--refresh']);
    const second = await ghostPayment(newKey, 50n);
    const delisted = await cli(bob(), ['purse', 'receive', '--payment', second.path]);
    expect(delisted.code).not.toBe(0);
    expect(delisted.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);

  it('Alice closes after the thaw window; a voucher settled after the close changes nothing', async () => {
    // A last payment to Carol, not settled before the close.
    await payOffline(alice(), carol(), '2.00', 'file');
    const early = await cli(alice(), [
      'purse',
      'close',
      '--purse',
      purses.alice!,
      '--pin-file',
      pin,
    ]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toMatch(/can be closed from/);

    await ledger.increaseTime(3600n + devPurseGraceSeconds + 120n);
    await ledger.mine(1);
    const aliceBefore = await balanceOf(alice().address);
    await json(alice(), ['purse', 'close', '--purse', purses.alice!, '--pin-file', pin]);
    await syncSettled(alice());
    // Refunded: locked less what vouchers took from the purse (20.75).
    expect(await balanceOf(alice().address)).toBe(aliceBefore + LOCKED - 21_25n);
    expect((await purseOnChain(purses.alice!)).closed).toBe(true);

    const carolBefore = await balanceOf(carol().address);
    const aliceAfter = await balanceOf(alice().address);
    await json(carol(), ['purse', 'settle', '--submitter', carol().uri, '--pin-file', pin]);
    await syncSettled(carol());
    expect(await balanceOf(carol().address)).toBe(carolBefore);
    expect(await balanceOf(alice().address)).toBe(aliceAfter);
    // The closed purse's voucher is rejected for good: no longer pending, never sent again.
    const status = await json(carol(), ['purse', 'status', '--refresh']);
    expect(status.pendingIncome).toBe('0.00');
    expect(status.vouchers.filter((v: { status: string }) => v.status === 'rejected')).toHaveLength(
      1,
    );
    const again = await json(carol(), [
      'purse',
      'settle',
      '--submitter',
      carol().uri,
      '--pin-file',
      pin,
    ]);
    expect(again).toMatchObject({ submitted: 0, transactions: [] });
    expect(await balanceOf(carol().address)).toBe(carolBefore);
  }, 120_000);

  it("the never-opened purse's voucher, once its validity and the grace are over on chain, is rejected: not income, not resent", async () => {
    const status = await json(bob(), ['purse', 'status', '--refresh']);
    const ghost = status.vouchers.find(
      (v: { voucherHash: string }) => v.voucherHash === ghostVoucher,
    );
    expect(ghost).toMatchObject({ status: 'rejected', direction: 'received' });
    expect(status.pendingIncome).toBe('0.00');
    const settled = await json(bob(), [
      ...['purse', 'settle', '--submitter', bob().uri, '--pin-file', pin],
    ]);
    expect(settled).toMatchObject({ submitted: 0, transactions: [] });
  }, 60_000);

  it('a store restored from a backup cannot reuse a counter: PURSE_STATE_MISMATCH in one line, nothing signed', async () => {
    const c = carol();
    const opened = await json(c, [
      ...['purse', 'open', '--account', c.uri, '--locked', '20.00', '--cap', '5.00'],
      ...['--max-count', '4', '--validity', '1h', '--pin-file', pin],
    ]);
    await syncSettled(c);
    await json(c, ['purse', 'status', '--refresh']);
    offline(c);
    await payOffline(c, alice(), '1.00', 'file');
    // The backup: SQLite's file with its WAL folded in, as a backup tool would copy it.
    const file = join(c.home, 'signet.sqlite');
    const live = openStore(file);
    live.db.pragma('wal_checkpoint(TRUNCATE)');
    live.close();
    const backup = join(dir, 'carol-backup.sqlite');
    copyFileSync(file, backup);
    await payOffline(c, alice(), '2.00', 'file');
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    copyFileSync(backup, file);

    const before = await json(c, ['purse', 'status']);
    expect(before.purses[0]).toMatchObject({ count: 1, mismatch: false });
    const step = mkdtempSync(join(dir, 'restored-'));
    await json(alice(), [
      'purse',
      'request',
      '--account',
      alice().address,
      '--amount',
      '3.00',
      '--out',
      join(step, 'r.json'),
    ]);
    const run = await cli(c, [
      'purse',
      'pay',
      '--request',
      join(step, 'r.json'),
      '--out',
      join(step, 'p.json'),
      '--pin-file',
      pin,
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/token's counter is 2 and this computer's 1; nothing was signed/);
    expect(existsSync(join(step, 'p.json'))).toBe(false);
    const after = await json(c, ['purse', 'status']);
    expect(after.vouchers).toEqual(before.vouchers);
    expect(after.purses[0]).toMatchObject({
      purse: opened.purse.purse,
      count: 1,
      mismatch: true,
      state: 'mismatch',
    });
  }, 120_000);

  it('keeps no PIN in any store, and takes it from standard input as well as a file', async () => {
    const run = await signet(
      ['purse', 'settle', '--submitter', alice().uri, '--pin-stdin', '--json'],
      {
        env: alice().env,
        stdin: `${PIN}\n`,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    for (const h of Object.values(holders)) {
      const store = openStore(join(h.home, 'signet.sqlite'));
      store.db.pragma('wal_checkpoint(TRUNCATE)');
      store.close();
      expect(readFileSync(join(h.home, 'signet.sqlite')).includes(Buffer.from(PIN))).toBe(false);
    }
  });
});
