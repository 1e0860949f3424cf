/**
 * A holder's purse with the operator's real collection service
 * (`signet collect serve` as a child process, its certificate key on a
 * SoftHSM2 token, listed on chain by the dev operator): `signet purse open`
 * opens the purse on chain, then asks the service (`{purse}`) for the
 * certificate of its on-chain terms over HTTP; terms outside the operator's
 * on-chain purse policy are refused in one line with nothing signed, queued or
 * kept (not even the purse key); the payee deposits its offline income with
 * `signet purse settle --service`, and the service settles it on chain.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, parseEther } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCollectStore } from '../core/collect/collect-store.js';
import { offlinePurseAbi } from '../core/purse/abi.js';
import { listPurses } from '../core/purse/purse-store.js';
import { openStore } from '../core/store/database.js';
import { listOutbox } from '../core/store/outbox.js';
import { confirmed, devKeys } from '../ledger/deploy.js';
import { formatPkcs11Uri, parsePkcs11Uri } from '../native/pkcs11/uri.js';
import { rawCurrencyBalance } from './support/treasury-cli.js';
import { useWallet } from './support/wallet-fixture.js';

const w = useWallet(['submitter', 'certkey', 'holder', 'payee']);
const signetJs = join(import.meta.dirname, '../bin/signet.js');
const dataDir = mkdtempSync(join(tmpdir(), 'signet-purse-service-'));
const work = mkdtempSync(join(tmpdir(), 'signet-purse-files-'));
let child: ChildProcessWithoutNullStreams | undefined;
let exited: Promise<unknown> = Promise.resolve();
let serviceUrl = '';

function signedSoFar() {
  const store = openStore(join(w.home, 'signet.sqlite'));
  try {
    return {
      outbox: listOutbox(store, w.ledger.profile.chainId).length,
      purses: listPurses(store, w.ledger.profile.chainId).length,
    };
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  await w.ledger.setBalance(w.keys.submitter!.address, parseEther('100'));
  const operator = w.ledger.wallet(devKeys.operator);
  await confirmed(
    w.ledger.publicClient,
    await operator.writeContract({
      address: w.ledger.profile.contracts.offlinePurse as Address,
      abi: offlinePurseAbi,
      functionName: 'setCertificateKey',
      args: [w.keys.certkey!.address, true],
    }),
  );
  // The operator certifies purses of at most 100 payments (its on-chain purse policy).
  await confirmed(
    w.ledger.publicClient,
    await operator.writeContract({
      address: w.ledger.profile.contracts.offlinePurse as Address,
      abi: offlinePurseAbi,
      functionName: 'setPursePolicy',
      args: [1_000_00n, 200_00n, 100, 30n * 86_400n],
    }),
  );
  for (const name of ['holder', 'payee']) await w.ledger.fund(w.keys[name]!.address, 300_00n);
  const args = [
    ...['collect', 'serve', '--listen', '127.0.0.1:0', '--data', dataDir],
    ...['--submitter-key', w.keys.submitter!.uri, '--certificate-key', w.keys.certkey!.uri],
    ...['--pin-file', w.pin, '--interval', '1', '--json'],
  ];
  const started = spawn(process.execPath, [signetJs, ...args], {
    env: w.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child = started;
  let stdout = '';
  let stderr = '';
  started.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  exited = new Promise((resolve) => started.once('exit', resolve));
  serviceUrl = await new Promise<string>((resolve, reject) => {
    started.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0]!).url);
    });
    void exited.then(() => reject(new Error(`collect serve exited:\n${stderr}`)));
  });
  writeFileSync(
    join(w.home, 'config.json'),
    JSON.stringify({ purse: { collectionService: serviceUrl } }),
  );
  await w.json(['sync']);
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('a purse certified by the collection service', () => {
  it('refuses terms outside the operator’s purse policy, in one line, keeping nothing', async () => {
    const before = signedSoFar();
    const run = await w.cli([
      // More payments than the operator's policy allows (100).
      ...['purse', 'open', '--account', w.keys.holder!.uri, '--locked', '20.00'],
      ...['--cap', '10.00', '--max-count', '500', '--validity', '1h', '--pin-file', w.pin],
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/polic/i);
    expect(signedSoFar()).toEqual(before);
    // Not even the purse key is left on the token.
    const { object: _object, id: _id, ...token } = parsePkcs11Uri(w.keys.holder!.uri);
    const keys = await w.json(['keys', '--token', formatPkcs11Uri(token), '--pin-file', w.pin]);
    expect(JSON.stringify(keys)).toContain('holder');
    expect(JSON.stringify(keys)).not.toContain('signet-purse-');
  });

  it('opens with the service’s certificate, pays offline, and the service settles the deposit', async () => {
    const opened = await w.json([
      ...['purse', 'open', '--account', w.keys.holder!.uri, '--locked', '50.00'],
      ...['--cap', '20.00', '--max-count', '3', '--validity', '1h', '--pin-file', w.pin],
    ]);
    await w.json(['sync']);
    const status = await w.json(['purse', 'status', '--refresh']);
    expect(status.purses[0]).toMatchObject({
      purse: opened.purse.purse,
      state: 'open',
      locked: '50.00',
    });
    // The certificate came from the service, after the open: it holds the one it signed.
    const collect = openCollectStore(join(dataDir, 'collect.sqlite'));
    try {
      const purses = collect.db.prepare('SELECT purse FROM certificates').pluck().all();
      expect(purses).toEqual([opened.purse.purse.toLowerCase()]);
    } finally {
      collect.close();
    }

    const payeeBefore = await rawCurrencyBalance(w, w.keys.payee!.address);
    for (const amount of ['6.00', '4.50']) {
      const request = join(work, `request-${amount}.json`);
      const payment = join(work, `payment-${amount}.json`);
      await w.json([
        'purse',
        'request',
        '--account',
        w.keys.payee!.address,
        '--amount',
        amount,
        '--out',
        request,
      ]);
      await w.json([
        'purse',
        'pay',
        '--request',
        request,
        '--account',
        w.keys.holder!.address,
        '--out',
        payment,
        '--pin-file',
        w.pin,
      ]);
      expect((await w.json(['purse', 'receive', '--payment', payment])).alreadyHeld).toBe(false);
    }
    const deposited = await w.json(['purse', 'settle', '--service']);
    expect(deposited).toMatchObject({
      submitted: 2,
      service: { accepted: 2, refused: 0 },
      transactions: [],
    });

    const deadline = Date.now() + 90_000;
    while ((await rawCurrencyBalance(w, w.keys.payee!.address)) !== payeeBefore + 10_50n) {
      if (Date.now() > deadline) throw new Error('the service did not settle the deposit');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const after = await w.json(['purse', 'status', '--refresh']);
    expect(after.vouchers.every((v: { status: string }) => v.status === 'settled')).toBe(true);
    expect(after.pendingIncome).toBe('0.00');
  }, 150_000);
});
