import { type Address, getAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nextVoucher, payWith, type TestPurse, testPurse } from '../../test/support/purse.js';
import { encodePaymentFile } from '../purse/payment-file.js';
import type { PurseDomain, Voucher } from '../purse/typed-data.js';
import type { Store } from '../store/database.js';
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

beforeEach(async () => {
  clock = new Date('2026-12-03T08:00:00Z');
  store = openCollectStore(':memory:');
  (store as { now: () => Date }).now = () => clock;
  purse = await testPurse(domain, operatorKey);
  asked = [];
});
afterEach(() => store.close());

/** The chain's answer for certificate keys, as the service would have read it. */
const context = () => ({
  store,
  domain,
  lookupKeys: async (keys: Address[]) => {
    asked.push(keys);
    return new Map(keys.map((k) => [k, k === operatorKey.address ? operatorKey.address : null]));
  },
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
