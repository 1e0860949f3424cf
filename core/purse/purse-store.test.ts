/**
 * The purse store's schema step 11 on real SQLite files: a step-10 store keeps
 * its purses, a purse may await its certificate, paid vouchers hold one
 * counter each (received ones may repeat it), and the certificate-key sync is
 * applied incrementally from its checkpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAddress, type Hex, zeroHash } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../store/database.js';
import { migrations } from '../store/schema.js';
import {
  addPurse,
  addVoucher,
  applyCertificateKeySync,
  certificateKeys,
  claimIntent,
  getPurse,
  keySyncCheckpoint,
  listVouchers,
  setCertificate,
  setChainView,
  type VoucherRecord,
} from './purse-store.js';
import { FIRST_PREV_VOUCHER_HASH, type PurseCertificate } from './typed-data.js';

const dir = mkdtempSync(join(tmpdir(), 'signet-purse-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHAIN = 31337;
const CONTRACT = getAddress(`0x${'5f'.repeat(20)}`);
const address = (byte: string) => getAddress(`0x${byte.repeat(20)}`);
const certificate: PurseCertificate = {
  purse: address('aa'),
  owner: address('bb'),
  locked: 100_00n,
  cap: 10_00n,
  maxCount: 5,
  validFrom: 1_000n,
  validUntil: 5_000n,
  operator: address('cc'),
  epoch: 0,
};
const SIG = `0x${'11'.repeat(65)}` as Hex;

function voucher(counter: number, direction: 'paid' | 'received', payee = address('dd')) {
  const hash =
    `0x${counter.toString(16).padStart(2, '0')}${direction === 'paid' ? 'aa' : 'bb'}${payee.slice(2, 8)}`.padEnd(
      66,
      '0',
    ) as Hex;
  return {
    chainId: CHAIN,
    purseContract: CONTRACT,
    voucherHash: hash,
    direction,
    voucher: {
      purse: certificate.purse,
      epoch: 0,
      payee,
      amount: 1_00n,
      counter,
      cumulative: BigInt(counter) * 1_00n,
      prevVoucherHash: FIRST_PREV_VOUCHER_HASH,
      issuedAt: 2_000n,
    },
    signature: null,
    certificate,
    certificateSignature: SIG,
    status: 'intent' as const,
    settledTx: null,
    storedAt: '2026-12-03T00:00:00.000Z',
  } satisfies VoucherRecord;
}

describe('purse store, schema step 11', () => {
  it('a step-10 store keeps its purses through the migration', () => {
    const file = join(dir, 'old.sqlite');
    const old = openStore(file, { migrations: migrations.slice(0, 10) });
    addPurse(old, {
      chainId: CHAIN,
      purseContract: CONTRACT,
      certificate,
      certificateSignature: SIG,
      keyUri: 'pkcs11:token=a;object=signet-purse-0',
      state: 'open',
      lastVoucherHash: zeroHash,
    });
    old.close();
    const store = openStore(file);
    expect(getPurse(store, CHAIN, certificate.purse)).toMatchObject({
      state: 'open',
      certificateSignature: SIG,
      certificate,
    });
    store.close();
  });

  it('a purse opened on chain awaits its certificate, then opens with it', () => {
    const store = openStore(join(dir, 'awaiting.sqlite'));
    addPurse(store, {
      chainId: CHAIN,
      purseContract: CONTRACT,
      certificate,
      certificateSignature: null,
      keyUri: 'pkcs11:token=a;object=signet-purse-0',
      state: 'opening',
      lastVoucherHash: zeroHash,
    });
    setChainView(store, CHAIN, certificate.purse, {
      paid: 0n,
      frozen: false,
      closed: false,
      closableFrom: 6_000,
    });
    expect(getPurse(store, CHAIN, certificate.purse)?.state).toBe('certifying');
    // An open purse with no certificate cannot be written.
    expect(() =>
      store.db.prepare("UPDATE purses SET state = 'open' WHERE purse = ?").run(certificate.purse),
    ).toThrow(/CHECK/);
    setCertificate(store, CHAIN, certificate.purse, SIG);
    expect(getPurse(store, CHAIN, certificate.purse)).toMatchObject({
      state: 'open',
      certificateSignature: SIG,
    });
    store.close();
  });

  it('one paid voucher per counter (a second claim is DEVICE_BUSY); received ones may share it', () => {
    const file = join(dir, 'counter.sqlite');
    const one = openStore(file);
    const two = openStore(file);
    claimIntent(one, voucher(1, 'paid'));
    expect(() => claimIntent(two, voucher(1, 'paid', address('ee')))).toThrow(
      expect.objectContaining({ code: 'DEVICE_BUSY' }),
    );
    addVoucher(two, { ...voucher(1, 'received'), status: 'pending', signature: SIG });
    addVoucher(two, {
      ...voucher(1, 'received', address('ee')),
      status: 'pending',
      signature: SIG,
    });
    expect(listVouchers(one, CHAIN, { direction: 'paid' })).toHaveLength(1);
    expect(listVouchers(one, CHAIN, { direction: 'received' })).toHaveLength(2);
    one.close();
    two.close();
  });

  it('certificate keys: a full sync, then only the keys newer events named change', () => {
    const store = openStore(join(dir, 'keys.sqlite'));
    expect(keySyncCheckpoint(store, CHAIN, CONTRACT)).toBeNull();
    const [k1, k2, k3] = [address('01'), address('02'), address('03')];
    const op = address('0f');
    applyCertificateKeySync(
      store,
      CHAIN,
      CONTRACT,
      new Map([
        [k1, op],
        [k2, op],
      ]),
      { block: 10, blockHash: `0x${'a1'.repeat(32)}`, full: true },
      100,
    );
    applyCertificateKeySync(
      store,
      CHAIN,
      CONTRACT,
      new Map([
        [k2, null],
        [k3, op],
      ]),
      { block: 12, blockHash: `0x${'a2'.repeat(32)}`, full: false },
      200,
    );
    expect(certificateKeys(store, CHAIN, CONTRACT)).toEqual({
      keys: new Map([
        [k1, op],
        [k3, op],
      ]),
      syncedAt: 200,
    });
    expect(keySyncCheckpoint(store, CHAIN, CONTRACT)).toEqual({
      block: 12,
      blockHash: `0x${'a2'.repeat(32)}`,
    });
    // Every key delisted: still synced (not "never synced").
    applyCertificateKeySync(
      store,
      CHAIN,
      CONTRACT,
      new Map([
        [k1, null],
        [k3, null],
      ]),
      { block: 13, blockHash: `0x${'a3'.repeat(32)}`, full: false },
      300,
    );
    expect(certificateKeys(store, CHAIN, CONTRACT)).toEqual({ keys: new Map(), syncedAt: 300 });
    store.close();
  });
});
