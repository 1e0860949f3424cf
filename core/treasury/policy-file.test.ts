import fc from 'fast-check';
import { type Address, hashTypedData } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  TEST_CHAIN_ID,
  TEST_SAFE,
  TEST_TOKEN,
  testAccounts,
  testOwners,
} from '../../test/fixtures/approval-bundles.js';
import {
  LANDLORD,
  OTHER_TOKEN,
  policySignatureBy,
  SUPPLIER,
  signedPolicy,
  testPolicy,
} from '../../test/fixtures/treasury-policies.js';
import { SignetError } from '../api/errors.js';
import { checksumOf } from './checksummed-file.js';
import type { TreasuryPolicy } from './policy.js';
import {
  addPolicySignature,
  canonicalPolicy,
  decodePolicyFile,
  encodePolicyFile,
  POLICY_DOMAIN_NAME,
  type PolicyTrust,
  parsePolicyFile,
  policyHash,
  policyTypedData,
  verifySignedPolicy,
} from './policy-file.js';

const trust: PolicyTrust = {
  chainId: TEST_CHAIN_ID,
  safe: TEST_SAFE,
  owners: testOwners,
  threshold: 2,
};

async function refusal(promise: Promise<unknown>): Promise<SignetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SignetError);
  const signet = error as SignetError;
  expect(signet.code).toBe('POLICY_INVALID');
  expect(signet.message).not.toContain('\n');
  return signet;
}

function refusalOf(run: () => unknown): SignetError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('POLICY_INVALID');
    return error as SignetError;
  }
  throw new Error('expected a refusal');
}

/** Re-seals an edited file with a correct checksum, as someone who knows the format could. */
function reseal(text: string, edit: (body: Record<string, unknown>) => void): string {
  const file = JSON.parse(text) as { body: Record<string, unknown>; checksum: string };
  edit(file.body);
  file.checksum = checksumOf(file.body);
  return JSON.stringify(file);
}

describe('policyTypedData', () => {
  it('signs the chain, the Safe and the policy under the name "Signet treasury policy"', () => {
    const typed = policyTypedData(testPolicy());
    expect(typed.domain).toEqual({
      name: POLICY_DOMAIN_NAME,
      version: '1',
      chainId: TEST_CHAIN_ID,
      verifyingContract: TEST_SAFE,
    });
    expect(POLICY_DOMAIN_NAME).toBe('Signet treasury policy');
    expect(policyHash(testPolicy())).toBe(hashTypedData(typed));
  });

  it('hashes every rule: another limit, payee, window, version or treasury is another hash', () => {
    const base = policyHash(testPolicy());
    const variants: TreasuryPolicy[] = [
      testPolicy({ version: 4 }),
      testPolicy({ chainId: 1 }),
      testPolicy({ safe: SUPPLIER }),
      testPolicy({ payees: [SUPPLIER] }),
      testPolicy({ noteContracts: [] }),
      testPolicy({ multiSendCallOnly: LANDLORD }),
      testPolicy({
        window: { days: [1, 2, 3, 4, 5], fromHour: 9, toHour: 18, utcOffsetMinutes: 60 },
      }),
      testPolicy({
        window: { days: [1, 2, 3, 4, 5], fromHour: 9, toHour: 17, utcOffsetMinutes: -60 },
      }),
      testPolicy({
        currencies: [{ currency: TEST_TOKEN, decimals: 2, perPayment: 15_000n, daily: 50_001n }],
      }),
      testPolicy({
        currencies: [
          {
            currency: TEST_TOKEN,
            decimals: 2,
            perPayment: 15_000n,
            daily: 50_000n,
            higherThreshold: { above: 10_000n, threshold: 2 },
          },
        ],
      }),
    ];
    const hashes = new Set(variants.map(policyHash));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(base)).toBe(false);
  });

  it('does not depend on the order of lists or the case of addresses (property)', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([SUPPLIER, LANDLORD], { minLength: 2, maxLength: 2 }),
        fc.shuffledSubarray([1, 2, 3, 4, 5], { minLength: 5, maxLength: 5 }),
        fc.boolean(),
        (payees, days, lower) => {
          const policy = testPolicy({
            payees: payees.map((p) => (lower ? (p.toLowerCase() as Address) : p)),
            currencies: [...testPolicy().currencies].reverse(),
            window: { days, fromHour: 9, toHour: 17, utcOffsetMinutes: 60 },
          });
          expect(policyHash(policy)).toBe(policyHash(testPolicy()));
        },
      ),
    );
  });
});

describe('canonicalPolicy', () => {
  const cases: [string, Partial<TreasuryPolicy>, string][] = [
    ['version 0', { version: 0 }, 'version'],
    [
      'a zero daily limit',
      { currencies: [{ currency: TEST_TOKEN, decimals: 2, perPayment: 1n, daily: 0n }] },
      'limit',
    ],
    [
      'a currency twice',
      {
        currencies: [
          { currency: TEST_TOKEN, decimals: 2, perPayment: 1n, daily: 1n },
          { currency: TEST_TOKEN.toLowerCase() as Address, decimals: 2, perPayment: 2n, daily: 2n },
        ],
      },
      'duplicate',
    ],
    ['a payee twice', { payees: [SUPPLIER, SUPPLIER.toLowerCase() as Address] }, 'duplicate'],
    [
      'hours the wrong way round',
      { window: { days: [1], fromHour: 17, toHour: 9, utcOffsetMinutes: 0 } },
      'window',
    ],
    ['a day 7', { window: { days: [7], fromHour: 9, toHour: 17, utcOffsetMinutes: 0 } }, 'window'],
    [
      'an offset beyond +14:00',
      { window: { days: [1], fromHour: 9, toHour: 17, utcOffsetMinutes: 900 } },
      'window',
    ],
  ];
  it.each(cases)('refuses %s', (_, overrides, reason) => {
    expect(refusalOf(() => canonicalPolicy(testPolicy(overrides))).details?.reason).toBe(reason);
  });

  it('refuses a higher threshold above the number of owners', () => {
    const policy = testPolicy({
      currencies: [
        {
          currency: TEST_TOKEN,
          decimals: 2,
          perPayment: 1n,
          daily: 1n,
          higherThreshold: { above: 0n, threshold: 4 },
        },
      ],
    });
    const refused = refusalOf(() => canonicalPolicy(policy, trust));
    expect(refused.message).toBe(
      `the treasury policy asks 4 approvals above a limit for currency ${TEST_TOKEN}: the treasury has 3 owners`,
    );
  });
});

describe('verifySignedPolicy', () => {
  it('accepts a policy signed by the threshold of owners, in canonical form', async () => {
    const signed = await signedPolicy([0, 2]);
    const policy = await verifySignedPolicy(signed, trust);
    expect(policy).toEqual(canonicalPolicy(testPolicy()));
    expect(policy.currencies.map((c) => c.currency)).toEqual(
      [TEST_TOKEN, OTHER_TOKEN].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
    );
  });

  it('refuses a policy signed by fewer owners than the threshold', async () => {
    const refused = await refusal(verifySignedPolicy(await signedPolicy([1]), trust));
    expect(refused.details?.reason).toBe('threshold');
    expect(refused.message).toBe(
      "the treasury policy is signed by 1 of the treasury's owners; it needs 2",
    );
  });

  it('counts one owner signing twice once', async () => {
    const signed = await signedPolicy([1, 1]);
    expect((await refusal(verifySignedPolicy(signed, trust))).details?.reason).toBe('threshold');
  });

  it('refuses a signature by someone who is not an owner', async () => {
    const refused = await refusal(verifySignedPolicy(await signedPolicy([0, 3]), trust));
    expect(refused.details?.reason).toBe('not-owner');
    expect(refused.message).toContain(
      `${testAccounts[3]?.address} signed this policy but is not an owner`,
    );
  });

  it('refuses a policy changed after it was signed', async () => {
    const signed = await signedPolicy([0, 1]);
    const changed = { ...signed, policy: testPolicy({ payees: [SUPPLIER, LANDLORD, TEST_SAFE] }) };
    const refused = await refusal(verifySignedPolicy(changed, trust));
    expect(refused.details?.reason).toBe('signature');
    expect(refused.message).toContain('the policy changed after it was signed');
  });

  it('refuses a policy for another treasury or chain', async () => {
    const signed = await signedPolicy([0, 1]);
    const elsewhere = await refusal(verifySignedPolicy(signed, { ...trust, safe: SUPPLIER }));
    expect(elsewhere.details?.reason).toBe('treasury');
    const otherChain = await refusal(verifySignedPolicy(signed, { ...trust, chainId: 1 }));
    expect(otherChain.details?.reason).toBe('treasury');
  });

  it('refuses a version older than the newest seen, and accepts the same or a newer one', async () => {
    const signed = await signedPolicy([0, 1]); // version 3
    const older = await refusal(verifySignedPolicy(signed, { ...trust, latestVersionSeen: 4 }));
    expect(older.details?.reason).toBe('version');
    expect(older.message).toBe(
      'the treasury policy is version 3, older than version 4 already seen for this treasury',
    );
    expect((await verifySignedPolicy(signed, { ...trust, latestVersionSeen: 3 })).version).toBe(3);
    expect((await verifySignedPolicy(signed, { ...trust, latestVersionSeen: 2 })).version).toBe(3);
  });

  it('refuses a signature over another version of the policy', async () => {
    const signed = await signedPolicy([0]);
    const other = await policySignatureBy(1, testPolicy({ version: 2 }));
    const refused = await refusal(
      verifySignedPolicy({ ...signed, signatures: [...signed.signatures, other] }, trust),
    );
    expect(refused.details?.reason).toBe('signature');
  });
});

describe('the .signet-policy file', () => {
  it('round-trips: the file read back is the policy, checked', async () => {
    const text = encodePolicyFile(await signedPolicy([2, 0]));
    expect(text.endsWith('\n')).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ type: 'signet-policy', version: 1 });
    expect(await decodePolicyFile(text, trust)).toEqual(canonicalPolicy(testPolicy()));
    expect(await decodePolicyFile(new TextEncoder().encode(text), trust)).toEqual(
      canonicalPolicy(testPolicy()),
    );
  });

  it('writes the same bytes whatever the order of signatures and lists', async () => {
    const a = await signedPolicy([0, 2]);
    const b = await signedPolicy(
      [2, 0],
      testPolicy({
        payees: [LANDLORD, SUPPLIER],
        currencies: [...testPolicy().currencies].reverse(),
      }),
    );
    expect(encodePolicyFile(a)).toBe(encodePolicyFile(b));
  });

  it('refuses a file whose checksum does not match (a limit edited by hand)', async () => {
    const text = encodePolicyFile(await signedPolicy([0, 1]));
    const edited = text.replace('"daily":"50000"', '"daily":"5000000"');
    expect(edited).not.toBe(text);
    expect((await refusal(decodePolicyFile(edited, trust))).details?.reason).toBe('checksum');
  });

  it('refuses an edited file resealed with a new checksum: the stated hash, then the signatures', async () => {
    const text = encodePolicyFile(await signedPolicy([0, 1]));
    const raise = (body: Record<string, unknown>) => {
      const policy = body.policy as { currencies: { daily: string }[] };
      for (const c of policy.currencies) c.daily = '99999999';
    };
    const resealed = reseal(text, raise);
    expect((await refusal(decodePolicyFile(resealed, trust))).details?.reason).toBe('hash');
    const rehashed = reseal(text, (body) => {
      raise(body);
      const policy = body.policy as { currencies: { daily: string }[] };
      const parsed = testPolicy({
        currencies: testPolicy().currencies.map((c) => ({ ...c, daily: 99_999_999n })),
      });
      expect(policy.currencies).toHaveLength(2);
      body.policyHash = policyHash(parsed);
    });
    const refused = await refusal(decodePolicyFile(rehashed, trust));
    expect(refused.details?.reason).toBe('signature');
  });

  it('refuses a truncated file, another file type and a file too large', async () => {
    const text = encodePolicyFile(await signedPolicy([0, 1]));
    expect((await refusal(decodePolicyFile(text.slice(0, -40), trust))).details?.reason).toBe(
      'truncated',
    );
    const approval = text.replace('"type":"signet-policy"', '"type":"signet-approval"');
    expect((await refusal(decodePolicyFile(approval, trust))).details?.reason).toBe('format');
    expect(
      (await refusal(decodePolicyFile(' '.repeat(1024 * 1024 + 1), trust))).details?.reason,
    ).toBe('size');
  });

  it('refuses a file signed by fewer owners than the threshold', async () => {
    const text = encodePolicyFile(await signedPolicy([0]));
    expect((await refusal(decodePolicyFile(text, trust))).details?.reason).toBe('threshold');
  });

  it('refuses an older version when a newer one is known', async () => {
    const text = encodePolicyFile(await signedPolicy([0, 1]));
    const refused = await refusal(decodePolicyFile(text, { ...trust, latestVersionSeen: 5 }));
    expect(refused.details?.reason).toBe('version');
  });

  it('refuses a field of the wrong form, naming it', async () => {
    const text = encodePolicyFile(await signedPolicy([0, 1]));
    const bad = reseal(text, (body) => {
      (body.policy as { payees: string[] }).payees[0] = '0x1234';
    });
    const refused = await refusal(decodePolicyFile(bad, trust));
    expect(refused.details?.reason).toBe('format');
    expect(refused.message).toContain('body.policy.payees.0: not an address');
  });
});

describe('gathering signatures owner by owner', () => {
  it('passes a file from owner to owner until it has the threshold', async () => {
    const first = encodePolicyFile(await signedPolicy([]));
    expect((await refusal(decodePolicyFile(first, trust))).details?.reason).toBe('threshold');
    let signed = parsePolicyFile(first);
    signed = await addPolicySignature(signed, await policySignatureBy(1, testPolicy()), testOwners);
    // The same owner again changes nothing.
    signed = await addPolicySignature(signed, await policySignatureBy(1, testPolicy()), testOwners);
    expect(signed.signatures).toHaveLength(1);
    const second = encodePolicyFile(signed);
    signed = await addPolicySignature(
      parsePolicyFile(second),
      await policySignatureBy(2, testPolicy()),
      testOwners,
    );
    expect(await decodePolicyFile(encodePolicyFile(signed), trust)).toEqual(
      canonicalPolicy(testPolicy()),
    );
  });

  it('refuses a non-owner’s signature or one over another policy, adding nothing', async () => {
    const signed = await signedPolicy([0]);
    const stranger = await refusal(
      addPolicySignature(signed, await policySignatureBy(4, testPolicy()), testOwners),
    );
    expect(stranger.details?.reason).toBe('not-owner');
    const otherPolicy = await refusal(
      addPolicySignature(
        signed,
        await policySignatureBy(1, testPolicy({ version: 9 })),
        testOwners,
      ),
    );
    expect(otherPolicy.details?.reason).toBe('signature');
    expect(signed.signatures).toHaveLength(1);
  });

  it('parsePolicyFile still refuses a corrupted file', async () => {
    const text = encodePolicyFile(await signedPolicy([0]));
    const edited = text.replace('"version":3', '"version":4');
    expect(edited).not.toBe(text);
    expect(refusalOf(() => parsePolicyFile(edited)).details?.reason).toBe('checksum');
  });
});
