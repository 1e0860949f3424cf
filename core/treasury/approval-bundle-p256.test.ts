import { p256 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import {
  type Address,
  bytesToHex,
  concat,
  getAddress,
  type Hex,
  hexToBigInt,
  hexToBytes,
  numberToHex,
  pad,
  sha256,
  slice,
  stringToBytes,
} from 'viem';
import { describe, expect, it } from 'vitest';
import {
  approvalBy,
  approvalWithFreshK,
  p256ApprovalBy,
  paymentTx,
  TEST_P256_FACTORY,
  testAccounts,
  testP256Keys,
  unsignedBundle,
} from '../../test/fixtures/approval-bundles.js';
import { SignetError } from '../api/errors.js';
import { canonicalJson } from '../store/canonical-json.js';
import {
  type ApprovalBundle,
  addApproval,
  bundleSafeTxHash,
  type ContractApproval,
  executionSignatures,
  mergeBundles,
  p256MessageDigest,
  verifyBundle,
} from './approval-bundle.js';
import { decodeBundle, encodeBundle } from './bundle-codec.js';

const N = p256.Point.CURVE().n;
const [k0, k1, k2] = testP256Keys as [
  (typeof testP256Keys)[0],
  (typeof testP256Keys)[0],
  (typeof testP256Keys)[0],
];

/** A 2-of-3 treasury: secp256k1 test keys #0 and #1, and P-256 test key #0's account. */
const base = unsignedBundle({
  owners: [testAccounts[0]!.address, testAccounts[1]!.address, k0.account],
  p256AccountFactory: TEST_P256_FACTORY,
});

async function refusal(promise: Promise<unknown>): Promise<SignetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SignetError);
  const signet = error as SignetError;
  expect(signet.message).not.toContain('\n');
  return signet;
}

/** The bundle with one approval, refused: its code and reason. */
async function refused(approval: ContractApproval, bundle: ApprovalBundle = base) {
  const error = await refusal(verifyBundle({ ...bundle, approvals: [approval] }));
  return { code: error.code, reason: error.details?.reason, message: error.message };
}

describe("a P-256 account owner's contract approval", () => {
  it('is accepted, and round-trips through the .signet-approval file unchanged', async () => {
    const approval = p256ApprovalBy(0, base);
    const bundle = await verifyBundle({ ...base, approvals: [approval] });
    expect(bundle.approvals).toEqual([approval]);
    const text = await encodeBundle(bundle);
    expect(JSON.parse(text).body.approvals[0]).toEqual({
      kind: 'contract',
      owner: k0.account,
      publicKey: k0.publicKey,
      signature: approval.signature,
    });
    expect(JSON.parse(text).body.p256AccountFactory).toBe(TEST_P256_FACTORY);
    expect(await decodeBundle(text)).toEqual(bundle);
    expect(await encodeBundle(await decodeBundle(text))).toBe(text);
  });

  it('refuses a key that is not a point of P-256', async () => {
    const approval = p256ApprovalBy(0, base);
    const offCurve = `0x04${'11'.repeat(64)}` as Hex;
    expect(await refused({ ...approval, publicKey: offCurve })).toMatchObject({
      code: 'BUNDLE_INVALID',
      reason: 'public-key',
    });
  });

  it("refuses another account's key, and a key claimed for another owner", async () => {
    // Key #1 signs properly for its own account, but claims to be owner k0.account.
    const other = p256ApprovalBy(1, base);
    const result = await refused({ ...other, owner: k0.account });
    expect(result).toMatchObject({ code: 'BUNDLE_INVALID', reason: 'account' });
    expect(result.message).toContain(k1.account);
    // k0's own signature, with k1's key in place of k0's.
    expect(await refused({ ...p256ApprovalBy(0, base), publicKey: k1.publicKey })).toMatchObject({
      reason: 'account',
    });
    // The right key, under another factory than the account's.
    expect(
      await refused(p256ApprovalBy(0, base), {
        ...base,
        p256AccountFactory: getAddress(`0x${'ab'.repeat(20)}`),
      }),
    ).toMatchObject({ reason: 'account' });
  });

  it('refuses an account that is not an owner, and a bundle naming no factory', async () => {
    expect(base.owners).not.toContain(k2.account);
    expect(await refused(p256ApprovalBy(2, base))).toMatchObject({ reason: 'not-owner' });
    const { p256AccountFactory: _, ...noFactory } = base;
    expect(await refused(p256ApprovalBy(0, base), noFactory)).toMatchObject({
      reason: 'p256-factory',
    });
  });

  it('refuses the high-s twin of a valid signature (the account’s P256.verify would too)', async () => {
    const approval = p256ApprovalBy(0, base);
    const r = slice(approval.signature, 0, 32);
    const s = hexToBigInt(slice(approval.signature, 32, 64));
    const highS = concat([r, numberToHex(N - s, { size: 32 })]);
    // It is a valid ECDSA signature all the same: only the low-s rule refuses it.
    const digest = p256MessageDigest(base.chainId, k0.account, bundleSafeTxHash(base));
    expect(
      p256.verify(hexToBytes(highS), hexToBytes(digest), hexToBytes(k0.publicKey), {
        prehash: false,
        lowS: false,
      }),
    ).toBe(true);
    const result = await refused({ ...approval, signature: highS });
    expect(result).toMatchObject({ code: 'BUNDLE_INVALID', reason: 'signature' });
    expect(result.message).toMatch(/low-s/);
  });

  it('refuses a signature over another hash: another proposal, another chain, a bare safeTxHash', async () => {
    const other = { ...base, proposal: { ...base.proposal, tx: paymentTx({ nonce: 8n }) } };
    expect(await refused(p256ApprovalBy(0, other))).toMatchObject({ reason: 'signature' });
    expect(await refused(p256ApprovalBy(0, { ...base, chainId: 1 }))).toMatchObject({
      reason: 'signature',
    });
    // The key signing the safeTxHash itself, not the account's Message digest of it.
    const bare = p256.sign(hexToBytes(bundleSafeTxHash(base)), k0.secretKey, {
      prehash: false,
      lowS: true,
    });
    expect(
      await refused({ ...p256ApprovalBy(0, base), signature: bytesToHex(bare) }),
    ).toMatchObject({ reason: 'signature' });
    // The proposal changed after the account approved it.
    const approved = await verifyBundle({ ...base, approvals: [p256ApprovalBy(0, base)] });
    expect(
      (await refusal(verifyBundle({ ...approved, proposal: other.proposal }))).details?.reason,
    ).toBe('signature');
  });

  it('refuses a malformed file entry: a 65-byte signature, a compressed key', async () => {
    const text = await encodeBundle({ ...base, approvals: [p256ApprovalBy(0, base)] });
    // The checksum made right again after the edit, as a careful forger would.
    const reencode = (edit: (approval: Record<string, string>) => void) => {
      const file = JSON.parse(text);
      edit(file.body.approvals[0]);
      file.checksum = `sha256:${sha256(stringToBytes(canonicalJson(file.body))).slice(2)}`;
      return refusal(decodeBundle(`${canonicalJson(file)}\n`));
    };
    const long = await reencode((a) => {
      a.signature = `${a.signature}1b`;
    });
    expect(long.message).toMatch(/64-byte/);
    const compressed = await reencode((a) => {
      a.publicKey = `0x02${a.publicKey!.slice(4, 68)}`;
    });
    expect(compressed.message).toMatch(/uncompressed P-256 key/);
  });
});

describe('merging and executing with a P-256 owner', () => {
  it('lays the contract signature out as Safe 1.4.1 reads it: a v = 0 slot pointing at length ‖ r ‖ s', async () => {
    const contract = p256ApprovalBy(0, base);
    const ecdsa = await approvalBy(1, base);
    const bundle = await verifyBundle({ ...base, approvals: [contract, ecdsa] });
    const signatures = executionSignatures(bundle);
    const [first, second] = [contract.owner, ecdsa.owner as Address].sort((a, b) =>
      BigInt(a) < BigInt(b) ? -1 : 1,
    );
    const slot = (owner: Address) =>
      owner === contract.owner
        ? concat([pad(contract.owner), pad(numberToHex(130)), '0x00'])
        : ecdsa.signature;
    expect(signatures).toBe(
      concat([slot(first!), slot(second!), pad(numberToHex(64)), contract.signature]),
    );
  });

  it('ignores a second signature by the same account (another k), in either order', async () => {
    const one = p256ApprovalBy(0, base);
    const two = p256ApprovalBy(0, base);
    expect(two.signature).not.toBe(one.signature);
    const a = await addApproval(base, one);
    const b = await addApproval(base, two);
    const ab = await encodeBundle(await mergeBundles(a, b));
    expect(ab).toBe(await encodeBundle(await mergeBundles(b, a)));
    expect(JSON.parse(ab).body.approvals).toHaveLength(1);
  });

  it('refuses to merge bundles naming different P-256 account factories', async () => {
    const other = { ...base, p256AccountFactory: getAddress(`0x${'ab'.repeat(20)}`) };
    const error = await refusal(mergeBundles(base, other));
    expect(error).toMatchObject({ code: 'BUNDLE_MISMATCH' });
    expect(error.details?.reason).toBe('p256-factory');
  });

  it('gives the same bundle in any order with mixed owners: commutative, associative, idempotent (property)', async () => {
    const mixed = unsignedBundle({
      owners: [testAccounts[0]!.address, testAccounts[1]!.address, k0.account, k1.account],
      threshold: 3,
      p256AccountFactory: TEST_P256_FACTORY,
    });
    const pool = [
      await approvalBy(0, mixed),
      approvalWithFreshK(0, mixed),
      await approvalBy(1, mixed),
      p256ApprovalBy(0, mixed),
      p256ApprovalBy(0, mixed),
      p256ApprovalBy(1, mixed),
    ];
    const bundleArb = fc.subarray(pool).map((picked) => {
      const byOwner = new Map(picked.map((p) => [p.owner, p]));
      return { ...mixed, approvals: [...byOwner.values()] };
    });
    const text = (b: ApprovalBundle) => encodeBundle(b);
    await fc.assert(
      fc.asyncProperty(bundleArb, bundleArb, bundleArb, async (a, b, c) => {
        const ab = await mergeBundles(a, b);
        expect(await text(ab)).toBe(await text(await mergeBundles(b, a)));
        expect(await text(await mergeBundles(ab, c))).toBe(
          await text(await mergeBundles(a, await mergeBundles(b, c))),
        );
        expect(await text(await mergeBundles(a, a))).toBe(await text(await verifyBundle(a)));
      }),
      { numRuns: 30 },
    );
  });
});
