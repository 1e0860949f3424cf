/**
 * The UI batch's contract and review digest, without tokens: a request at its
 * caps fits the bridge's body, and the digest moves with every fact the
 * review shows (so REVIEW_STALE catches any of them moving).
 */
import { describe, expect, it } from 'vitest';
import { apiRequests } from '../api/methods.js';
import { MAX_UI_BATCH_CSV, type ProvisionPreview } from '../api/provisioning.js';
import { MAX_BODY_BYTES } from '../bridge/bridge-server.js';
import { batchDigest } from './provision-ui.js';

const review: Omit<ProvisionPreview, 'reviewDigest'> = {
  batchId: 'a'.repeat(32),
  chainId: 31337,
  contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  operator: '0xfb0316CCe4E20634c19d3e1756412D8495A9A901',
  operatorKeyUri: 'pkcs11:token=Wallet;object=operator',
  module: '/usr/lib/softhsm/libsofthsm2.so',
  mailerFolder: '/home/branch/.signet/pin-mailers/aaaa',
  rows: [
    { line: 2, customer: 'C-1', name: 'One', token: 'serial 01', amount: '1.00', language: 'en' },
  ],
  refusals: [{ line: 3, customer: 'C-2', reason: 'amount-invalid', message: 'line 3: 3 decimals' }],
};

describe('provision.start from the UI', () => {
  it('at its caps is a valid request that fits the bridge body', () => {
    const request = {
      csv: 'c'.repeat(MAX_UI_BATCH_CSV),
      operator: `pkcs11:${'o'.repeat(2040)}`,
      module: 'm'.repeat(4096),
      reviewDigest: `0x${'0'.repeat(64)}`,
      pin: 'p'.repeat(256),
      soPin: 's'.repeat(256),
    };
    expect(apiRequests['provision.start'].safeParse(request).success).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(request))).toBeLessThan(MAX_BODY_BYTES);
    expect(
      apiRequests['provision.start'].safeParse({ ...request, csv: `${request.csv}c` }).success,
    ).toBe(false);
  });

  it('has a digest that moves with every fact of the review', () => {
    const base = batchDigest(review);
    expect(batchDigest({ ...review })).toBe(base);
    const changed: Array<Partial<typeof review>> = [
      { batchId: 'b'.repeat(32) },
      { chainId: 1 },
      { contract: '0x0000000000000000000000000000000000000001' },
      { operator: '0x0000000000000000000000000000000000000002' },
      { operatorKeyUri: 'pkcs11:token=Other;object=operator' },
      { module: '/usr/lib/other.so' },
      { mailerFolder: '/tmp/elsewhere' },
      { rows: [{ ...review.rows[0]!, amount: '1.01' }] },
      { rows: [{ ...review.rows[0]!, language: 'zh-CN' }] },
      { rows: [] },
      { refusals: [] },
    ];
    const digests = changed.map((change) => batchDigest({ ...review, ...change }));
    for (const digest of digests) expect(digest).not.toBe(base);
    expect(new Set(digests).size).toBe(digests.length);
  });
});
