import fc from 'fast-check';
import { concat, type Hex, hexToBigInt, numberToHex, pad, slice, zeroAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  approvalBy,
  approvalWithFreshK,
  paymentTx,
  signedBundle,
  testAccounts,
  testOwners,
  unsignedBundle,
} from '../../test/fixtures/approval-bundles.js';
import { SignetError } from '../api/errors.js';
import {
  type ApprovalBundle,
  addApproval,
  executionSignatures,
  isExecutable,
  mergeBundles,
  verifyBundle,
} from './approval-bundle.js';
import { encodeBundle } from './bundle-codec.js';

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

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe('verifyBundle', () => {
  it('accepts owners’ EIP-712 signatures and sorts owners and approvals by address', async () => {
    const bundle = await signedBundle([2, 0]);
    const checked = await verifyBundle({ ...bundle, owners: [...testOwners].reverse() });
    const sorted = [...testOwners].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    expect(checked.owners).toEqual(sorted);
    expect(checked.approvals.map((a) => a.owner)).toEqual(
      [testOwners[0], testOwners[2]].sort((a, b) =>
        (a as string).toLowerCase() < (b as string).toLowerCase() ? -1 : 1,
      ),
    );
  });

  it('refuses a signature by a key that is not an owner', async () => {
    const base = unsignedBundle();
    const outsider = await approvalBy(3, base);
    const error = await refusal(verifyBundle({ ...base, approvals: [outsider] }));
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.details?.reason).toBe('not-owner');
  });

  it('a signature verified once for owners that include its key is refused for owners that do not', async () => {
    // Verified signatures are remembered (a merge re-verifies each bundle): ownership is not.
    const withFour = unsignedBundle({ owners: [...testOwners, testAccounts[3]!.address] });
    const fourth = await approvalBy(3, withFour);
    await verifyBundle({ ...withFour, approvals: [fourth] });
    const error = await refusal(verifyBundle({ ...unsignedBundle(), approvals: [fourth] }));
    expect(error.details?.reason).toBe('not-owner');
  });

  it('refuses a proposal that pays a gas refund, signed by every owner though it is', async () => {
    // A review shows the call, not the Safe's gas fields: this "payment of 12.34" would
    // also pay (gas + baseGas) × gasPrice of the token to the refund receiver.
    const thief = testAccounts[4]!.address;
    const fields = [
      { baseGas: 10n ** 9n, gasPrice: 1n, gasToken: paymentTx().to, refundReceiver: thief },
      { gasPrice: 1n },
      { refundReceiver: thief },
      { safeTxGas: 1n },
    ];
    for (const extra of fields) {
      const bundle = await signedBundle(
        [0, 1, 2],
        unsignedBundle({ proposal: { tx: paymentTx(extra), description: 'Pay 12.34' } }),
      );
      const error = await refusal(verifyBundle(bundle));
      expect(error.code).toBe('BUNDLE_INVALID');
      expect(error.details?.reason).toBe('gas-refund');
      await expect(encodeBundle(bundle)).rejects.toThrow(/a gas refund paid by the treasury/);
    }
  });

  it('refuses a signature that names an owner but was made by another key', async () => {
    const base = unsignedBundle();
    const forged = { ...(await approvalBy(3, base)), owner: testOwners[0] as Hex };
    const error = await refusal(verifyBundle({ ...base, approvals: [forged] }));
    expect(error.details?.reason).toBe('signature');
    expect(error.message).toContain(testAccounts[3]?.address);
  });

  it('refuses old signatures under a changed proposal', async () => {
    const signed = await signedBundle([0, 1]);
    const changed = {
      ...signed,
      proposal: { ...signed.proposal, tx: paymentTx({ to: zeroAddress }) },
    };
    const error = await refusal(verifyBundle(changed));
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.details?.reason).toBe('signature');
  });

  it('refuses eth_sign (v > 30), approved-hash (v = 1) and contract (v = 0) signature types', async () => {
    const base = unsignedBundle();
    const good = await approvalBy(0, base);
    for (const v of [0, 1, 31, 32]) {
      const signature = concat([slice(good.signature, 0, 64), numberToHex(v, { size: 1 })]);
      const error = await refusal(verifyBundle({ ...base, approvals: [{ ...good, signature }] }));
      expect(error.details?.reason).toBe('signature-type');
    }
  });

  it('refuses the high-s twin of a valid signature and a signature of the wrong length', async () => {
    const base = unsignedBundle();
    const good = await approvalBy(0, base);
    const s = hexToBigInt(slice(good.signature, 32, 64));
    const v = Number.parseInt(good.signature.slice(-2), 16);
    const twin = concat([
      slice(good.signature, 0, 32),
      pad(numberToHex(N - s), { size: 32 }),
      numberToHex(v === 27 ? 28 : 27),
    ]);
    expect(
      (await refusal(verifyBundle({ ...base, approvals: [{ ...good, signature: twin }] }))).details
        ?.reason,
    ).toBe('signature');
    const short = slice(good.signature, 0, 64);
    expect(
      (await refusal(verifyBundle({ ...base, approvals: [{ ...good, signature: short }] }))).details
        ?.reason,
    ).toBe('signature');
  });

  it('refuses a description with control or text-direction characters, or too long, and a bad chain id or address', async () => {
    const base = unsignedBundle();
    for (const description of ['Pay 12.34\u202e00.99', 'Pay\u0007', 'x'.repeat(2001)]) {
      const error = await refusal(
        verifyBundle({ ...base, proposal: { ...base.proposal, description } }),
      );
      expect(error.details?.reason).toBe('description');
    }
    expect(
      (
        await verifyBundle({
          ...base,
          proposal: { ...base.proposal, description: '支付 12.34\n发票 118' },
        })
      ).proposal.description,
    ).toContain('支付');
    expect((await refusal(verifyBundle({ ...base, chainId: 0 }))).details?.reason).toBe('chain');
    const lower = (testOwners[0] as string).toLowerCase();
    const mixed = `0x${lower.slice(2, 10).toUpperCase()}${lower.slice(10)}` as Hex;
    expect((await refusal(verifyBundle({ ...base, safe: mixed }))).details?.reason).toBe('address');
    expect(
      (await verifyBundle({ ...base, owners: testOwners.map((o) => o.toLowerCase() as Hex) }))
        .owners,
    ).toContain(testOwners[0]);
  });

  it('refuses duplicate owners, a threshold above the owners or below 1, and two approvals by one owner', async () => {
    const base = unsignedBundle();
    expect(
      (await refusal(verifyBundle({ ...base, owners: [...testOwners, testOwners[0] as Hex] })))
        .details?.reason,
    ).toBe('owners');
    expect((await refusal(verifyBundle({ ...base, threshold: 4 }))).details?.reason).toBe(
      'threshold',
    );
    expect((await refusal(verifyBundle({ ...base, threshold: 0 }))).details?.reason).toBe(
      'threshold',
    );
    const one = await approvalBy(0, base);
    expect((await refusal(verifyBundle({ ...base, approvals: [one, one] }))).details?.reason).toBe(
      'duplicate',
    );
  });
});

describe('mergeBundles', () => {
  it('joins approvals made apart, and ignores a duplicate', async () => {
    const a = await signedBundle([0]);
    const c = await signedBundle([2]);
    const merged = await mergeBundles(a, c);
    expect(merged.approvals).toHaveLength(2);
    expect(isExecutable(merged)).toBe(true);
    const again = await mergeBundles(merged, a);
    expect(await encodeBundle(again)).toBe(await encodeBundle(merged));
  });

  const refusals: [string, (b: ApprovalBundle) => ApprovalBundle, string][] = [
    ['another chain', (b) => ({ ...b, chainId: 1 }), 'chain'],
    ['another treasury', (b) => ({ ...b, safe: testOwners[0] as Hex }), 'treasury'],
    [
      'another nonce',
      (b) => ({ ...b, proposal: { ...b.proposal, tx: { ...b.proposal.tx, nonce: 8n } } }),
      'nonce',
    ],
    [
      'another transaction',
      (b) => ({ ...b, proposal: { ...b.proposal, tx: paymentTx({ value: 1n }) } }),
      'proposal',
    ],
    [
      'another description',
      (b) => ({ ...b, proposal: { ...b.proposal, description: 'Pay 99.00' } }),
      'description',
    ],
    ['other owners', (b) => ({ ...b, owners: testOwners.slice(0, 2) }), 'owners'],
    ['another threshold', (b) => ({ ...b, threshold: 3 }), 'threshold'],
  ];
  for (const [what, change, reason] of refusals) {
    it(`refuses a bundle of ${what}, changing neither`, async () => {
      const a = await signedBundle([0]);
      const before = await encodeBundle(a);
      const b = await signedBundle([1], change(unsignedBundle()));
      for (const [x, y] of [
        [a, b],
        [b, a],
      ] as const) {
        const error = await refusal(mergeBundles(x, y));
        expect(error.code).toBe('BUNDLE_MISMATCH');
        expect(error.details?.reason).toBe(reason);
      }
      expect(await encodeBundle(a)).toBe(before);
    });
  }

  it('refuses a bundle carrying a non-owner’s signature, and a changed proposal under an old signature', async () => {
    const a = await signedBundle([0]);
    const outsider = { ...unsignedBundle(), approvals: [await approvalBy(4, unsignedBundle())] };
    expect((await refusal(mergeBundles(a, outsider))).details?.reason).toBe('not-owner');
    const tampered = await signedBundle([1]);
    const swapped = {
      ...tampered,
      proposal: { ...tampered.proposal, tx: paymentTx({ to: zeroAddress }) },
    };
    expect((await refusal(mergeBundles(a, swapped))).code).toBe('BUNDLE_INVALID');
  });

  it('adds one approval, checked; the same approval again changes nothing', async () => {
    const base = unsignedBundle();
    const one = await addApproval(base, await approvalBy(1, base));
    expect(one.approvals).toHaveLength(1);
    expect(await addApproval(one, await approvalBy(1, base))).toEqual(one);
    expect((await refusal(addApproval(one, await approvalBy(3, base)))).details?.reason).toBe(
      'not-owner',
    );
  });

  it('gives the same bundle in any order: commutative, associative, idempotent (property)', async () => {
    const base = unsignedBundle({ owners: testAccounts.map((a) => a.address), threshold: 3 });
    // Each owner's approval, and for owner 0 a second signature with another nonce k, as a token with a random k makes.
    const approvals = await Promise.all(testAccounts.map((_, i) => approvalBy(i, base)));
    const alt = approvalWithFreshK(0, base);
    expect(alt.signature).not.toBe(approvals[0]?.signature);
    const pool = [...approvals, alt];
    const bundleArb = fc.subarray(pool).map((picked) => {
      const byOwner = new Map(picked.map((p) => [p.owner, p]));
      return { ...base, approvals: [...byOwner.values()] };
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
      { numRuns: 40 },
    );
  });
});

describe('execution', () => {
  it('is executable at the threshold, not below', async () => {
    expect(isExecutable(await verifyBundle(await signedBundle([1])))).toBe(false);
    expect(isExecutable(await verifyBundle(await signedBundle([1, 2])))).toBe(true);
  });

  it('concatenates threshold signatures sorted by owner address, as execTransaction expects', async () => {
    const bundle = await verifyBundle(await signedBundle([2, 0, 1]));
    const signatures = executionSignatures(bundle);
    expect(signatures.length).toBe(2 + 2 * 65 * 2);
    const sorted = [...bundle.approvals].sort((p, q) =>
      p.owner.toLowerCase() < q.owner.toLowerCase() ? -1 : 1,
    );
    expect(signatures).toBe(concat([sorted[0]?.signature as Hex, sorted[1]?.signature as Hex]));
  });

  it('refuses to give signatures below the threshold', async () => {
    const bundle = await verifyBundle(await signedBundle([0]));
    expect(() => executionSignatures(bundle)).toThrow(/1 of the 2 approvals/);
    try {
      executionSignatures(bundle);
    } catch (error) {
      expect((error as SignetError).code).toBe('THRESHOLD_NOT_MET');
    }
  });
});
