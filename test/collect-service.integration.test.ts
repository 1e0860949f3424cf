/**
 * The operator's collection service, `signet collect serve`, as a real child
 * process on the dev ledger, its submitter and certificate keys on a SoftHSM2
 * token: it certifies a purse only once opened on chain, with exactly its
 * on-chain terms (and never another operator's purse, a frozen or expired
 * one, or terms a request names); vouchers deposited over HTTP settle on chain (payees' balances
 * read over raw JSON-RPC), a duplicate deposit changes nothing, malformed
 * bodies and vouchers are refused in one line storing nothing; killed with
 * SIGKILL mid-way and restarted it loses nothing and pays nothing twice; a
 * double spend among deposits is proven on chain (purse and owner frozen) and
 * both payees are paid; a deposit for a purse never opened is refused, and
 * twins beyond the purse's certified exposure are rejected for good.
 *
 * The payers' purse keys and owner accounts are software keys here (FAKE for
 * the token's purse key, which core/purse tests on SoftHSM2): what is under
 * test is the service, which sees only signed vouchers.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Address,
  decodeFunctionResult,
  encodeEventTopics,
  encodeFunctionData,
  type Hex,
  parseAbi,
  parseEther,
  recoverTypedDataAddress,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currencyAbi } from '../core/chain/abi.js';
import { certificateKeyOperators, purseStates } from '../core/collect/chain-reads.js';
import { openCollectStore, startSettleBatch } from '../core/collect/collect-store.js';
import { depositPayments } from '../core/collect/deposit.js';
import { offlinePurseAbi, purseTerms } from '../core/purse/abi.js';
import { encodePaymentFile, type PaymentWithDomain } from '../core/purse/payment-file.js';
import {
  type PurseCertificate,
  type PurseDomain,
  purseDomain,
  purseTypes,
  type Voucher,
} from '../core/purse/typed-data.js';
import { RpcPool } from '../core/rpc/rpc-pool.js';
import { openStore } from '../core/store/database.js';
import { listOutbox } from '../core/store/outbox.js';
import { confirmed, devKeys } from '../ledger/deploy.js';
import { chainContracts } from './support/chain-contracts.js';
import { signetProcess } from './support/cli.js';
import { nextVoucher, payWith, signCertificate, type TestPurse } from './support/purse.js';
import { rawCurrencyBalance, rawRpc } from './support/treasury-cli.js';
import { useWallet } from './support/wallet-fixture.js';

const w = useWallet(['submitter', 'certkey']);
const signetJs = join(import.meta.dirname, '../bin/signet.js');
const dataDir = mkdtempSync(join(tmpdir(), 'signet-collect-'));
const devOperator = privateKeyToAccount(devKeys.operator);
const approveAbi = parseAbi(['function approve(address spender, uint256 amount) returns (bool)']);

let domain: PurseDomain;
const purseContract = () => w.ledger.profile.contracts.offlinePurse as Address;

/** A view read over raw JSON-RPC at the latest block. */
async function view<T>(to: Address, abi: any, functionName: string, args: unknown[]): Promise<T> {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  const raw = await rawRpc<Hex>(w.ledger.url, 'eth_call', [{ to, data }, 'latest']);
  return decodeFunctionResult({ abi, functionName, data: raw } as never) as T;
}
const balanceOf = (account: Address) => rawCurrencyBalance(w, account);

// ---- the service as a child process -----------------------------------------

interface Running {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  exited: Promise<unknown>;
}
const running: Running[] = [];

async function startService(): Promise<Running> {
  const args = [
    ...['collect', 'serve', '--listen', '127.0.0.1:0', '--data', dataDir],
    ...['--submitter-key', w.keys.submitter!.uri, '--certificate-key', w.keys.certkey!.uri],
    ...['--pin-file', w.pin, '--interval', '300', '--batch-size', '4', '--json'],
  ];
  const child = spawn(process.execPath, [signetJs, ...args], {
    env: w.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]!).url);
    });
    void exited.then(() => reject(new Error(`collect serve exited:\n${stderr}`)));
  });
  const service = { child, url, stderr: () => stderr, exited };
  running.push(service);
  return service;
}

async function stopService(service: Running, signal: NodeJS.Signals = 'SIGTERM') {
  if (service.child.exitCode === null && service.child.signalCode === null) {
    service.child.kill(signal);
    await service.exited;
  }
}

async function call(service: Running, method: string, path: string, body?: unknown, raw?: string) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {},
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  return { status: response.status, json: (await response.json()) as any };
}

const deposit = (service: Running, payments: PaymentWithDomain[]) =>
  call(service, 'POST', '/v1/vouchers', {
    payments: payments.map((p) => JSON.parse(encodePaymentFile(p))),
  });

async function statusOf(service: Running, hash: Hex): Promise<string> {
  return (await call(service, 'GET', `/v1/vouchers/${hash}`)).json.status;
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 90_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function allSettled(service: Running, hashes: Hex[]) {
  await waitFor(`${hashes.length} vouchers settled`, async () => {
    for (const hash of hashes) if ((await statusOf(service, hash)) !== 'settled') return false;
    return true;
  });
}

// ---- purses opened on chain ---------------------------------------------------

/** A customer (registered by the dev operator, funded), as a software key. */
async function customer(amount = 10_000_00n) {
  const key = generatePrivateKey();
  const account = privateKeyToAccount(key);
  await w.ledger.fund(account.address, amount);
  return { key, address: account.address };
}

async function payee(): Promise<Address> {
  return (await customer(1n)).address;
}

/** Terms (as a certificate of `operator`) for `owner`'s next purse with a fresh software purse key. */
async function termsFor(
  owner: Address,
  overrides: Partial<PurseCertificate> = {},
  operator: Address = devOperator.address,
) {
  const purseKey = privateKeyToAccount(generatePrivateKey());
  const now = await w.ledger.now();
  const epoch = await view<number>(purseContract(), offlinePurseAbi, 'epochOf', [owner]);
  const certificate: PurseCertificate = {
    purse: purseKey.address,
    owner,
    locked: 50_000n,
    cap: 10_000n,
    maxCount: 20,
    validFrom: now - 60n,
    validUntil: now + 3_600n,
    operator,
    epoch,
    ...overrides,
  };
  return { purseKey, certificate };
}

/** Approves and opens the purse on chain on `certificate`'s terms (the owner's two transactions). */
async function openPurse(ownerKey: Hex, certificate: PurseCertificate) {
  const owner = w.ledger.wallet(ownerKey);
  await confirmed(
    w.ledger.publicClient,
    await owner.writeContract({
      address: w.ledger.profile.contracts.currency,
      abi: approveAbi,
      functionName: 'approve',
      args: [purseContract(), certificate.locked],
    }),
  );
  await confirmed(
    w.ledger.publicClient,
    await owner.writeContract({
      address: purseContract(),
      abi: offlinePurseAbi,
      functionName: 'open',
      args: [purseTerms(certificate)],
    }),
  );
}

/**
 * A purse opened on chain, certified by the dev operator's software key (listed by deploy):
 * the same terms the service would certify, without a round trip per test.
 */
async function openedPurse(
  overrides: Partial<PurseCertificate> = {},
): Promise<TestPurse & { owner: Address }> {
  const owner = await customer();
  const { purseKey, certificate } = await termsFor(owner.address, overrides);
  await openPurse(owner.key, certificate);
  const certificateSignature = await signCertificate(devOperator, domain, certificate);
  return {
    domain,
    purseKey,
    operatorKey: devOperator,
    certificate,
    certificateSignature,
    owner: owner.address,
  };
}

async function pay(purse: TestPurse, vouchers: Voucher[]): Promise<PaymentWithDomain[]> {
  return Promise.all(vouchers.map(async (v) => ({ ...(await payWith(purse, v)), domain })));
}

/** A chain of vouchers from `purse`, `amounts` to `payees` in turn, issued now. */
async function chainOf(purse: TestPurse, payees: Address[], amounts: bigint[]) {
  const issuedAt = await w.ledger.now();
  const vouchers: Voucher[] = [];
  amounts.forEach((amount, i) => {
    vouchers.push(
      nextVoucher(purse, vouchers.at(-1) ?? null, payees[i % payees.length]!, amount, issuedAt),
    );
  });
  return pay(purse, vouchers);
}

/** VoucherSettled events for `hash`, over raw JSON-RPC. */
async function settledEvents(hash: Hex): Promise<number> {
  const [topic0] = encodeEventTopics({ abi: offlinePurseAbi, eventName: 'VoucherSettled' });
  const logs = await rawRpc<unknown[]>(w.ledger.url, 'eth_getLogs', [
    { fromBlock: '0x0', toBlock: 'latest', address: purseContract(), topics: [topic0, null, hash] },
  ]);
  return logs.length;
}

/** Rows of a table in the service's own store (collect.sqlite). */
function openCollectStoreCount(table: string): number {
  const store = openCollectStore(join(dataDir, 'collect.sqlite'));
  try {
    return store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    store.close();
  }
}

/** The service's own outbox rows of `kind`, read from its data folder. */
function serviceOutbox(kind: string) {
  const store = openStore(join(dataDir, 'signet.sqlite'));
  try {
    return listOutbox(store, domain.chainId).filter((row) => row.kind === kind);
  } finally {
    store.close();
  }
}

async function health(service: Running) {
  return (await call(service, 'GET', '/v1/health')).json;
}

// ---- setup --------------------------------------------------------------------

let service: Running;

beforeAll(async () => {
  domain = { chainId: w.ledger.profile.chainId, verifyingContract: purseContract() };
  await w.ledger.setBalance(w.keys.submitter!.address, parseEther('100'));
  // The dev operator lists the SoftHSM2 certificate key as one of its certificate keys.
  const operator = w.ledger.wallet(devKeys.operator);
  await confirmed(
    w.ledger.publicClient,
    await operator.writeContract({
      address: purseContract(),
      abi: offlinePurseAbi,
      functionName: 'setCertificateKey',
      args: [w.keys.certkey!.address, true],
    }),
  );
  service = await startService();
}, 180_000);

afterAll(async () => {
  for (const s of running) await stopService(s);
  rmSync(dataDir, { recursive: true, force: true });
});

// ---- tests --------------------------------------------------------------------

describe('signet collect serve', () => {
  it('answers its health with the chain, the purse contract and its submitter', async () => {
    const h = await health(service);
    expect(h).toMatchObject({
      ok: true,
      chainId: domain.chainId,
      purseContract: purseContract(),
      submitter: w.keys.submitter!.address,
      certificates: true,
    });
  });

  it('certifies an opened purse with exactly its on-chain terms, the same each time', async () => {
    const owner = await customer();
    const { certificate } = await termsFor(owner.address, { maxCount: 7, cap: 7_000n });
    // Before the open: nothing to certify (the operator never signs unlocked money).
    const early = await call(service, 'POST', '/v1/certificates', { purse: certificate.purse });
    expect(early.status).toBe(400);
    expect(early.json.error.code).toBe('PURSE_NOT_FOUND');
    expect(early.json.error.message).not.toContain('\n');

    await openPurse(owner.key, certificate);
    const issued = await call(service, 'POST', '/v1/certificates', { purse: certificate.purse });
    expect(issued.status, JSON.stringify(issued.json)).toBe(200);
    expect(issued.json).toMatchObject({
      chainId: domain.chainId,
      purseContract: purseContract(),
      signer: w.keys.certkey!.address,
    });
    expect(issued.json.certificate).toEqual({
      purse: certificate.purse,
      owner: owner.address,
      locked: '50000',
      cap: '7000',
      maxCount: 7,
      validFrom: certificate.validFrom.toString(),
      validUntil: certificate.validUntil.toString(),
      operator: devOperator.address,
      epoch: certificate.epoch,
    });
    const signer = await recoverTypedDataAddress({
      domain: purseDomain(domain),
      types: purseTypes,
      primaryType: 'PurseCertificate',
      message: certificate,
      signature: issued.json.signature,
    });
    expect(signer).toBe(w.keys.certkey!.address);
    // Idempotent: asked again, the same certificate and signature.
    const again = await call(service, 'POST', '/v1/certificates', { purse: certificate.purse });
    expect(again.json).toEqual(issued.json);
    // No field of the request chooses a term.
    const greedy = await call(service, 'POST', '/v1/certificates', {
      purse: certificate.purse,
      locked: '100000000',
    });
    expect(greedy.status).toBe(400);
    expect(greedy.json.error.code).toBe('INVALID_ARGUMENT');
  }, 120_000);

  it('refuses another operator’s purse and an expired one, in one line, signing nothing', async () => {
    // A second operator bank (hardhat account 2) with a customer and a purse policy.
    const { send, read } = chainContracts(w.ledger);
    const operator2Key: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
    const operator2 = privateKeyToAccount(operator2Key).address;
    await send(devKeys.centralBank, 'currency', 'grantRole', [
      await read<Hex>('currency', 'OPERATOR_ROLE'),
      operator2,
    ]);
    await send(devKeys.centralBank, 'currency', 'issue', [operator2, 1_000_000n]);
    await w.ledger.setBalance(operator2, parseEther('10'));
    await confirmed(
      w.ledger.publicClient,
      await w.ledger.wallet(operator2Key).writeContract({
        address: purseContract(),
        abi: offlinePurseAbi,
        functionName: 'setPursePolicy',
        args: [1_000_000n, 100_000n, 100, 86_400n],
      }),
    );
    const daveKey = generatePrivateKey();
    const dave = privateKeyToAccount(daveKey).address;
    await send(operator2Key, 'currency', 'registerAccount', [dave, `0x${'11'.repeat(32)}`]);
    await send(operator2Key, 'currency', 'transfer', [dave, 100_000n]);
    await w.ledger.setBalance(dave, parseEther('1'));
    const theirs = await termsFor(dave, {}, operator2);
    await openPurse(daveKey, theirs.certificate);

    // Opened, but long expired (validity 1 s in 1970: the contract checks only the window).
    const owner = await customer();
    const expired = await termsFor(owner.address, { validFrom: 1n, validUntil: 2n });
    await openPurse(owner.key, expired.certificate);

    const counts = () => openCollectStoreCount('certificates');
    const before = counts();
    const other = await call(service, 'POST', '/v1/certificates', {
      purse: theirs.certificate.purse,
    });
    expect(other.json.error.code).toBe('NOT_ACCOUNT_OPERATOR');
    const late = await call(service, 'POST', '/v1/certificates', {
      purse: expired.certificate.purse,
    });
    expect(late.json.error).toMatchObject({ code: 'PURSE_LIMIT' });
    expect(late.json.error.message).toMatch(/expired/);
    for (const r of [other, late]) {
      expect(r.status).toBe(400);
      expect(r.json.error.message).not.toContain('\n');
    }
    expect(counts()).toBe(before);
  }, 120_000);

  it('settles deposited vouchers on chain; a duplicate deposit changes nothing', async () => {
    const purse = await openedPurse();
    const [bob, carol] = [await payee(), await payee()];
    const before = { bob: await balanceOf(bob), carol: await balanceOf(carol) };
    const payments = await chainOf(purse, [bob, carol], [1_000n, 2_500n, 300n]);

    const first = await deposit(service, payments);
    expect(first.status).toBe(200);
    expect(first.json.results.map((r: any) => r.status)).toEqual([
      'accepted',
      'accepted',
      'accepted',
    ]);
    const hashes = first.json.results.map((r: any) => r.voucherHash as Hex);
    await allSettled(service, hashes);
    expect(await balanceOf(bob)).toBe(before.bob + 1_300n);
    expect(await balanceOf(carol)).toBe(before.carol + 2_500n);

    const counts = (await health(service)).vouchers;
    const again = await deposit(service, payments);
    expect(again.json.results).toEqual(
      hashes.map((voucherHash: Hex) => ({ status: 'duplicate', voucherHash })),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await health(service)).vouchers).toEqual(counts);
    expect(await balanceOf(bob)).toBe(before.bob + 1_300n);
    expect(await balanceOf(carol)).toBe(before.carol + 2_500n);
  }, 120_000);

  it('refuses malformed bodies and vouchers in one line, storing nothing', async () => {
    const purse = await openedPurse();
    const [good] = await chainOf(purse, [await payee()], [100n]);
    const counts = (await health(service)).vouchers;
    const oneLine = (r: { json: any }) => {
      expect(r.json.error.message).not.toContain('\n');
      return r.json.error.code;
    };

    expect(oneLine(await call(service, 'POST', '/v1/vouchers', undefined, '{"payments": ['))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(oneLine(await call(service, 'POST', '/v1/vouchers', { payments: [] }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(oneLine(await call(service, 'POST', '/v1/vouchers', { payments: [{}], extra: 1 }))).toBe(
      'INVALID_ARGUMENT',
    );
    const plain = await fetch(`${service.url}/v1/vouchers`, { method: 'POST', body: '{}' });
    expect(plain.status).toBe(415);
    const huge = await call(
      service,
      'POST',
      '/v1/vouchers',
      undefined,
      `{"payments":["${'x'.repeat(1_100_000)}"]}`,
    );
    expect(huge.status).toBe(413);

    const file = JSON.parse(encodePaymentFile(good!));
    const truncated = { ...file, voucherSignature: undefined };
    const tampered = { ...file, voucher: { ...file.voucher, amount: '99' } };
    const otherChain = { ...file, chainId: 1 };
    const answered = await call(service, 'POST', '/v1/vouchers', {
      payments: [truncated, tampered, otherChain, 'not a payment'],
    });
    expect(answered.status).toBe(200);
    expect(answered.json.results.map((r: any) => [r.status, r.reason])).toEqual([
      ['refused', 'malformed'],
      ['refused', 'voucher-signature'],
      ['refused', 'wrong-chain'],
      ['refused', 'malformed'],
    ]);
    for (const r of answered.json.results) expect(r.message).not.toContain('\n');
    expect((await health(service)).vouchers).toEqual(counts);
    const unknown = await call(service, 'GET', `/v1/vouchers/0x${'ab'.repeat(32)}`);
    expect(unknown.status).toBe(400);
  }, 60_000);

  it('killed with SIGKILL mid-way and restarted: nothing lost, nothing paid twice', async () => {
    const purse = await openedPurse();
    const payees = [await payee(), await payee(), await payee()];
    const before = await Promise.all(payees.map(balanceOf));
    const amounts = [100n, 200n, 300n, 400n, 500n, 600n, 700n, 800n, 900n];
    const payments = await chainOf(purse, payees, amounts);
    const owedTo = (p: number) =>
      amounts.filter((_, i) => i % payees.length === p).reduce((a, b) => a + b, 0n);

    const answered = await deposit(service, payments);
    expect(answered.json.results.every((r: any) => r.status === 'accepted')).toBe(true);
    const hashes = answered.json.results.map((r: any) => r.voucherHash as Hex);
    // Killed while it submits: once the first batch (of 4) is out, two more to go.
    await waitFor('the first batch submitted', async () => {
      const statuses = await Promise.all(hashes.map((h: Hex) => statusOf(service, h)));
      return statuses.some((s) => s !== 'pending');
    });
    await stopService(service, 'SIGKILL');
    const atKill = await Promise.all(payees.map(balanceOf));
    expect(atKill).not.toEqual(before.map((b, p) => b + owedTo(p)));

    service = await startService();
    await allSettled(service, hashes);
    // Depositing everything again to the restarted service: all duplicates.
    const again = await deposit(service, payments);
    expect(again.json.results.every((r: any) => r.status === 'duplicate')).toBe(true);
    const after = await Promise.all(payees.map(balanceOf));
    expect(after).toEqual(before.map((b, p) => b + owedTo(p)));
    // Each voucher paid once: one VoucherSettled event per hash on chain.
    for (const hash of hashes) expect(await settledEvents(hash)).toBe(1);
    expect(service.stderr()).not.toContain(w.pin);
  }, 180_000);

  it('refuses a deposit for a purse never opened, storing nothing', async () => {
    // Certified offline by a listed key, but never opened: nothing backs it.
    const owner = await customer();
    const { purseKey, certificate } = await termsFor(owner.address);
    const unopened: TestPurse = {
      domain,
      purseKey,
      operatorKey: devOperator,
      certificate,
      certificateSignature: await signCertificate(devOperator, domain, certificate),
    };
    const [worthless] = await chainOf(unopened, [await payee()], [500n]);
    const counts = (await health(service)).vouchers;
    const answered = await deposit(service, [worthless!]);
    expect(answered.json.results).toEqual([
      expect.objectContaining({ status: 'refused', reason: 'unknown-purse' }),
    ]);
    expect(answered.json.results[0].message).not.toContain('\n');
    expect((await health(service)).vouchers).toEqual(counts);
    const held = await call(service, 'GET', `/v1/vouchers/${answered.json.results[0].voucherHash}`);
    expect(held.status).toBe(400);
  }, 60_000);

  it('a voucher the contract refuses for good is rejected with its reason; a retriable one is paid later', async () => {
    // Twins beyond the certified exposure (1 payment of at most 100.00): the second is never paid.
    const small = await openedPurse({ maxCount: 1, cap: 10_000n });
    const [frank, gina] = [await payee(), await payee()];
    const issuedAt = await w.ledger.now();
    const toFrank = nextVoucher(small, null, frank, 10_000n, issuedAt);
    const [paidFrank, paidGina] = await pay(small, [toFrank, { ...toFrank, payee: gina }]);
    const answeredTwins = await deposit(service, [paidFrank!]);
    await allSettled(service, [answeredTwins.json.results[0].voucherHash]);
    const [twin] = (await deposit(service, [paidGina!])).json.results;
    expect(twin).toMatchObject({ status: 'accepted', fraud: true });
    await waitFor('the twin rejected for good', async () => {
      const status = (await call(service, 'GET', `/v1/vouchers/${twin.voucherHash}`)).json;
      return status.status === 'rejected' && status.reason === 'exposure-exceeded';
    });
    expect(await balanceOf(frank)).toBe(10_001n);
    expect(await balanceOf(gina)).toBe(1n);

    // A payee not (yet) registered in the currency: the contract cannot pay it now.
    const purse = await openedPurse();
    const newcomer = privateKeyToAccount(generatePrivateKey()).address;
    const [early] = await chainOf(purse, [newcomer], [700n]);

    const answered = await deposit(service, [early!]);
    const [earlyHash] = answered.json.results.map((r: any) => r.voucherHash as Hex);
    await waitFor('the newcomer voucher waiting', async () => {
      const status = (await call(service, 'GET', `/v1/vouchers/${earlyHash}`)).json;
      return status.status === 'pending' && status.reason === 'payee-inactive';
    });
    // Registered now: the next try pays it.
    await w.ledger.fund(newcomer, 1n);
    await allSettled(service, [earlyHash]);
    expect(await balanceOf(newcomer)).toBe(701n);
  }, 120_000);

  it('a batch left signing by a crash is released and settled after a restart; one service per folder', async () => {
    // A second service on the same data folder: refused in one line.
    const second = signetProcess(
      [
        ...['collect', 'serve', '--listen', '127.0.0.1:0', '--data', dataDir],
        ...['--submitter-key', w.keys.submitter!.uri, '--pin-file', w.pin],
      ],
      { env: w.env },
    );
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain('already running');

    const purse = await openedPurse();
    const grace = await payee();
    const before = await balanceOf(grace);
    const payments = await chainOf(purse, [grace], [111n, 222n]);
    await stopService(service);
    // What a crash between taking vouchers into a batch and signing it leaves behind.
    const store = openCollectStore(join(dataDir, 'collect.sqlite'));
    const pool = new RpcPool({ urls: w.ledger.profile.rpc, chainId: domain.chainId });
    let hashes: Hex[];
    try {
      const results = await depositPayments(
        {
          store,
          domain,
          lookupKeys: (keys) => certificateKeyOperators(pool, purseContract(), keys),
          lookupPurses: (purses) => purseStates(pool, purseContract(), purses),
        },
        payments.map((p) => JSON.parse(encodePaymentFile(p))),
      );
      hashes = results.map((r) => r.voucherHash as Hex);
      const started = startSettleBatch(store, domain.chainId, 10)!;
      expect(started.vouchers).toHaveLength(2);
    } finally {
      store.close();
    }

    service = await startService();
    await allSettled(service, hashes);
    expect(await balanceOf(grace)).toBe(before + 333n);
    for (const hash of hashes) expect(await settledEvents(hash)).toBe(1);
  }, 120_000);

  it('a double spend among deposits is proven on chain: purse and owner frozen, both payees paid', async () => {
    const purse = await openedPurse();
    const [dave, erin] = [await payee(), await payee()];
    const before = { dave: await balanceOf(dave), erin: await balanceOf(erin) };
    const issuedAt = await w.ledger.now();
    // The same counter and range paid twice: to Dave, then to Erin.
    const toDave = nextVoucher(purse, null, dave, 1_000n, issuedAt);
    const toErin = { ...toDave, payee: erin };
    const [paidDave, paidErin] = await pay(purse, [toDave, toErin]);

    const first = await deposit(service, [paidDave!]);
    expect(first.json.results[0]).toMatchObject({ status: 'accepted', fraud: false });
    const second = await deposit(service, [paidErin!]);
    expect(second.json.results[0]).toMatchObject({ status: 'accepted', fraud: true });

    await waitFor('the purse frozen on chain', async () => {
      const state = await view<{ frozen: boolean }>(purseContract(), offlinePurseAbi, 'purseOf', [
        purse.certificate.purse,
      ]);
      return state.frozen;
    });
    expect(
      await view<boolean>(w.ledger.profile.contracts.currency, currencyAbi, 'isFrozen', [
        purse.owner,
      ]),
    ).toBe(true);
    expect(
      await view<boolean>(purseContract(), offlinePurseAbi, 'isDefrauder', [purse.owner]),
    ).toBe(true);
    // A frozen purse gets no certificate.
    const refused = await call(service, 'POST', '/v1/certificates', {
      purse: purse.certificate.purse,
    });
    expect(refused.json.error).toMatchObject({ code: 'PURSE_LIMIT' });
    expect(refused.json.error.message).toMatch(/frozen/);
    await allSettled(service, [
      first.json.results[0].voucherHash,
      second.json.results[0].voucherHash,
    ]);
    // The service's proof did it: its proveFraud transaction confirmed, naming both vouchers.
    const proofs = serviceOutbox('purse-fraud');
    expect(proofs.map((p) => [p.status, p.summary.a, p.summary.b])).toContainEqual([
      'confirmed',
      first.json.results[0].voucherHash,
      second.json.results[0].voucherHash,
    ]);
    expect(await balanceOf(dave)).toBe(before.dave + 1_000n);
    expect(await balanceOf(erin)).toBe(before.erin + 1_000n);
  }, 180_000);
});
