import { type Address, getAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextVoucher, payWith, type TestPurse, testPurse } from '../../test/support/purse.js';
import { encodePaymentFile } from '../purse/payment-file.js';
import type { PurseCertificate, PurseDomain, Voucher } from '../purse/typed-data.js';
import type { Store } from '../store/database.js';
import type { PurseState } from './chain-reads.js';
import {
  finishBatch,
  getVoucher,
  MAX_ATTEMPTS,
  openBatches,
  openCollectStore,
  retryDelaySeconds,
  startFraudBatch,
  startSettleBatch,
} from './collect-store.js';
import { depositPayments } from './deposit.js';

const domain: PurseDomain = {
  chainId: 31337,
  verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
};
const operatorKey = privateKeyToAccount(generatePrivateKey());
const payee = privateKeyToAccount(generatePrivateKey()).address;

let store: Store;
let clock: Date;
let purse: TestPurse;
let asked: Address[][];
/** The purses the FAKE chain shows opened, with their on-chain terms. */
let opened: Map<Address, PurseCertificate>;

beforeEach(async () => {
  clock = new Date('2026-12-03T08:00:00Z');
  store = openCollectStore(':memory:');
  (store as { now: () => Date }).now = () => clock;
  purse = await testPurse(domain, operatorKey);
  asked = [];
  opened = new Map([[getAddress(purse.certificate.purse), purse.certificate]]);
});
afterEach(() => store.close());

const stateOf = (c: PurseCertificate): PurseState => ({
  ...c,
  paid: 0n,
  fromGuarantee: 0n,
  frozen: false,
  closed: false,
});

/**
 * FAKE chain answers (certificate keys, purses), as the service would have read them; the
 * real reads are in test/collect-service.integration.test.ts.
 */
const context = () => ({
  store,
  domain,
  lookupKeys: async (keys: Address[]) => {
    asked.push(keys);
    return new Map(keys.map((k) => [k, k === operatorKey.address ? operatorKey.address : null]));
  },
  lookupPurses: async (purses: Address[]) =>
    new Map(
      purses.map((p) => {
        const c = opened.get(getAddress(p));
        return [p, c ? stateOf(c) : null] as const;
      }),
    ),
});

async function files(vouchers: Voucher[], from = purse) {
  return Promise.all(
    vouchers.map(async (v) =>
      JSON.parse(encodePaymentFile({ ...(await payWith(from, v)), domain })),
    ),
  );
}

function chain(count: number): Voucher[] {
  const vouchers: Voucher[] = [];
  for (let i = 0; i < count; i++)
    vouchers.push(nextVoucher(purse, vouchers.at(-1) ?? null, payee, 10n));
  return vouchers;
}

const countRows = (table: string) =>
  store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

describe('deposits', () => {
  it('stores valid ones once, answers duplicates, refuses the rest storing nothing', async () => {
    const vouchers = chain(2);
    const [a, b] = await files(vouchers);
    const first = await depositPayments(context(), [a, b, { nonsense: true }]);
    expect(first.map((r) => r.status)).toEqual(['accepted', 'accepted', 'refused']);
    expect(asked).toEqual([[getAddress(operatorKey.address)]]);
    const again = await depositPayments(context(), [a]);
    expect(again).toEqual([{ status: 'duplicate', voucherHash: first[0]!.voucherHash }]);
    expect(countRows('vouchers')).toBe(2);

    const stranger = await testPurse(domain, privateKeyToAccount(generatePrivateKey()));
    const [foreign] = await files([nextVoucher(stranger, null, payee, 1n)], stranger);
    const refused = await depositPayments(context(), [foreign, { ...a, chainId: 1 }]);
    expect(refused.map((r) => r.status === 'refused' && r.reason)).toEqual([
      'unknown-operator',
      'wrong-chain',
    ]);
    expect(countRows('vouchers')).toBe(2);
  });

  it('keeps a conflicting voucher and one fraud pair per purse', async () => {
    const [v1, v2] = chain(2);
    const twin = { ...v1!, payee: privateKeyToAccount(generatePrivateKey()).address };
    const overlap = { ...v2!, amount: 15n, cumulative: 20n, prevVoucherHash: v1!.prevVoucherHash };
    const results = await depositPayments(context(), await files([v1!, twin, overlap]));
    expect(results.map((r) => r.status === 'accepted' && r.fraud)).toEqual([false, true, true]);
    expect(countRows('vouchers')).toBe(3);
    expect(countRows('frauds')).toBe(1);
    const started = startFraudBatch(store, domain.chainId)!;
    expect([started.fraud.a.hash, started.fraud.b.hash]).toEqual([
      results[0]!.voucherHash,
      results[1]!.voucherHash,
    ]);
  });
});

describe('deposits and the chain (FIX-13 F3)', () => {
  it('refuses a purse not opened on chain, storing nothing', async () => {
    opened.clear();
    const results = await depositPayments(context(), await files(chain(2)));
    expect(results.map((r) => r.status === 'refused' && r.reason)).toEqual([
      'unknown-purse',
      'unknown-purse',
    ]);
    expect(results[0]!.status === 'refused' && results[0]!.message).not.toContain('\n');
    expect(countRows('vouchers')).toBe(0);
    expect(countRows('frauds')).toBe(0);
  });

  it('refuses a certificate whose terms are not the purse’s on chain, storing nothing', async () => {
    opened.set(getAddress(purse.certificate.purse), { ...purse.certificate, cap: 100_00n });
    const [result] = await depositPayments(context(), await files(chain(1)));
    expect(result).toMatchObject({ status: 'refused', reason: 'wrong-purse' });
    expect(countRows('vouchers')).toBe(0);
  });

  it('keeps at most two vouchers at a counter (the honest one and one conflict)', async () => {
    const [v1] = chain(1);
    const twins = Array.from({ length: 4 }, () => ({
      ...v1!,
      payee: privateKeyToAccount(generatePrivateKey()).address,
    }));
    const results = await depositPayments(context(), await files([v1!, ...twins]));
    expect(results.map((r) => (r.status === 'refused' ? r.reason : r.status))).toEqual([
      'accepted',
      'accepted',
      'purse-full',
      'purse-full',
      'purse-full',
    ]);
    expect(countRows('vouchers')).toBe(2);
    expect(countRows('frauds')).toBe(1);
    // The honest chain goes on at the next counters.
    const [, v2] = chain(2);
    const [next] = await depositPayments(context(), await files([v2!]));
    expect(next).toMatchObject({ status: 'accepted', fraud: false });
  });

  it('finds each kind of conflict among many held vouchers by index', async () => {
    const vouchers = chain(8);
    await depositPayments(context(), await files(vouchers));
    const v5 = vouchers[4]!;
    const cases: [Voucher, string][] = [
      [{ ...v5, payee: privateKeyToAccount(generatePrivateKey()).address }, 'same-counter'],
      [{ ...v5, counter: 9, prevVoucherHash: `0x${'1'.repeat(64)}` }, 'overlap'],
      [{ ...v5, counter: 10, cumulative: 1_000n, amount: 5n }, 'fork'],
    ];
    for (const [voucher, kind] of cases) {
      store.db.prepare('DELETE FROM frauds').run();
      const [result] = await depositPayments(context(), await files([voucher]));
      expect(result, kind).toMatchObject({ status: 'accepted', fraud: true });
      expect(store.db.prepare('SELECT kind FROM frauds').pluck().get()).toBe(kind);
    }
  });
});

describe('batches', () => {
  it('one batch takes pending vouchers; a failed one gives them back, at last rejected', async () => {
    const results = await depositPayments(context(), await files(chain(3)));
    const hashes = results.map((r) => r.voucherHash!);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { batch, vouchers } = startSettleBatch(store, domain.chainId, 10)!;
      expect(vouchers).toHaveLength(3);
      expect(startSettleBatch(store, domain.chainId, 10)).toBeNull();
      expect(openBatches(store, domain.chainId)).toHaveLength(1);
      finishBatch(store, batch, { ok: false });
    }
    expect(hashes.map((h) => getVoucher(store, h)?.status)).toEqual([
      'rejected',
      'rejected',
      'rejected',
    ]);
    expect(getVoucher(store, hashes[0]!)?.reason).toBe('not-settled');
    expect(openBatches(store, domain.chainId)).toEqual([]);
  });

  it('settled, rejected for good, and retried after a back-off', async () => {
    const results = await depositPayments(context(), await files(chain(3)));
    const [paid, refused, later] = results.map((r) => r.voucherHash!);
    const { batch } = startSettleBatch(store, domain.chainId, 10)!;
    finishBatch(store, batch, {
      ok: true,
      settled: [paid!],
      rejected: new Map([[refused!, 'unknown-purse']]),
      retry: new Map([[later!, 'payee-inactive']]),
    });
    expect(getVoucher(store, paid!)?.status).toBe('settled');
    expect(getVoucher(store, refused!)).toMatchObject({
      status: 'rejected',
      reason: 'unknown-purse',
    });
    expect(getVoucher(store, later!)).toMatchObject({
      status: 'pending',
      reason: 'payee-inactive',
    });
    // Not before its back-off.
    expect(startSettleBatch(store, domain.chainId, 10)).toBeNull();
    clock = new Date(clock.getTime() + retryDelaySeconds(1) * 1000);
    expect(startSettleBatch(store, domain.chainId, 10)?.vouchers.map((v) => v.hash)).toEqual([
      later,
    ]);
  });

  it('settled stays settled: finishing the same batch again changes nothing', async () => {
    const [result] = await depositPayments(context(), await files(chain(1)));
    const { batch } = startSettleBatch(store, domain.chainId, 10)!;
    finishBatch(store, batch, { ok: true, settled: [result!.voucherHash!] });
    finishBatch(store, batch, { ok: false });
    expect(getVoucher(store, result!.voucherHash!)?.status).toBe('settled');
  });
});
