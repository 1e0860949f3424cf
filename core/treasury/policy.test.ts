import fc from 'fast-check';
import {
  type Address,
  encodeFunctionData,
  erc20Abi,
  maxUint256,
  parseAbi,
  zeroAddress,
} from 'viem';
import { describe, expect, it } from 'vitest';
import {
  TEST_CHAIN_ID,
  TEST_SAFE,
  TEST_TOKEN,
  testOwners,
} from '../../test/fixtures/approval-bundles.js';
import {
  anyTime,
  batchTx,
  LANDLORD,
  OTHER_TOKEN,
  STRANGER,
  SUPPLIER,
  TEST_NOTES,
  testPolicy,
  transferCall,
  transferTx,
} from '../../test/fixtures/treasury-policies.js';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi, notesAbi } from '../chain/abi.js';
import { ownerChangeCall, type SafeTx, safeCall } from '../chain/safe.js';
import { paymentCall } from '../wallet/payment.js';
import {
  checkProposal,
  formatUnits,
  type PolicyContext,
  type PolicyResult,
  policyDay,
  requirePolicy,
  type TreasuryPolicy,
} from './policy.js';

/** Wednesday 2 December 2026, 10:00 at UTC+01:00: inside the test policy's window. */
const WEDNESDAY_10 = new Date('2026-12-02T09:00:00Z');

function context(overrides: Partial<PolicyContext> = {}): PolicyContext {
  return { now: WEDNESDAY_10, safeThreshold: 2, spentToday: {}, ...overrides };
}

function check(
  tx: SafeTx,
  overrides: Partial<PolicyContext> = {},
  policy: TreasuryPolicy = testPolicy(),
): PolicyResult {
  return checkProposal(policy, { chainId: TEST_CHAIN_ID, safe: TEST_SAFE, tx }, context(overrides));
}

function violation(result: PolicyResult): { rule: string; message: string } {
  if (result.ok) throw new Error('expected a violation, the policy passed it');
  expect(result.message).not.toContain('\n');
  return result;
}

const ok = (result: PolicyResult) => {
  if (!result.ok) throw new Error(`expected it to pass: ${result.message}`);
  return result;
};

describe('checkProposal: one payment', () => {
  it('passes a payment within every rule, decoded, at the Safe’s threshold', () => {
    const result = ok(check(transferTx(SUPPLIER, 5_000n)));
    expect(result.requiredThreshold).toBe(2);
    expect(result.payments).toEqual([
      { currency: TEST_TOKEN, payee: SUPPLIER, amount: 5_000n, what: 'transfer' },
    ]);
    expect(result.totals).toContainEqual({ currency: TEST_TOKEN, amount: 5_000n });
  });

  it('decodes the payment call Signet itself builds (core/wallet/payment.ts)', () => {
    const profile = { contracts: { currency: TEST_TOKEN } } as ChainProfile;
    const call = paymentCall(profile, LANDLORD, 2_500n);
    const result = ok(check(safeCall(call, 7n)));
    expect(result.payments).toEqual([
      { currency: TEST_TOKEN, payee: LANDLORD, amount: 2_500n, what: 'transfer' },
    ]);
  });

  it('passes exactly the per-payment limit and refuses one minor unit more, in currency units', () => {
    const policy = testPolicy();
    expect(ok(check(transferTx(SUPPLIER, 15_000n), {}, policy)).payments).toHaveLength(1);
    const refused = violation(check(transferTx(SUPPLIER, 15_001n), {}, policy));
    expect(refused.rule).toBe('per-payment');
    expect(refused.message).toBe(
      `treasury policy v3 (per-payment): a transfer of 150.01 to ${SUPPLIER} is above the per-payment limit of 150.00 (currency ${TEST_TOKEN})`,
    );
  });

  it('counts what was already approved today against the daily limit: exactly at it passes', () => {
    expect(ok(check(transferTx(SUPPLIER, 10_000n), { spentToday: { [TEST_TOKEN]: 40_000n } })));
    const refused = violation(
      check(transferTx(SUPPLIER, 10_001n), { spentToday: { [TEST_TOKEN]: 40_000n } }),
    );
    expect(refused.rule).toBe('daily');
    expect(refused.message).toContain(
      '100.01 now and 400.00 already today (2026-12-02) is 500.01, above the daily limit of 500.00',
    );
  });

  it('reads the spent-today amounts by currency address in any case, and per currency', () => {
    const lower = TEST_TOKEN.toLowerCase();
    expect(
      violation(check(transferTx(SUPPLIER, 10_001n), { spentToday: { [lower]: 40_000n } })).rule,
    ).toBe('daily');
    // Another currency's spending does not count against this one.
    ok(check(transferTx(SUPPLIER, 10_001n), { spentToday: { [OTHER_TOKEN]: 2_000_000n } }));
  });

  it('allows only listed payees, comparing addresses in any case', () => {
    const lowerList = testPolicy({ payees: [SUPPLIER.toLowerCase() as Address] });
    ok(check(transferTx(SUPPLIER, 100n), {}, lowerList));
    ok(check(transferTx(SUPPLIER.toLowerCase() as Address, 100n), {}, testPolicy()));
    const refused = violation(check(transferTx(STRANGER, 100n)));
    expect(refused.rule).toBe('payee');
    expect(refused.message).toBe(
      `treasury policy v3 (payee): ${STRANGER} is not an allowed payee (a transfer of 1.00)`,
    );
  });

  it('formats each currency with its own decimals', () => {
    const refused = violation(check(transferTx(SUPPLIER, 1_000_001n, OTHER_TOKEN)));
    expect(refused.message).toContain('of 1.000001 to');
    expect(refused.message).toContain('limit of 1.000000 (currency');
    expect(formatUnits(5n, 0)).toBe('5');
    expect(formatUnits(5n, 2)).toBe('0.05');
  });

  it('refuses a proposal for another chain or treasury', () => {
    const policy = testPolicy();
    const tx = transferTx(SUPPLIER, 100n);
    const other = checkProposal(policy, { chainId: 1, safe: TEST_SAFE, tx }, context());
    expect(violation(other).rule).toBe('chain');
    const elsewhere = checkProposal(
      policy,
      { chainId: TEST_CHAIN_ID, safe: SUPPLIER, tx },
      context(),
    );
    expect(violation(elsewhere).rule).toBe('chain');
  });
});

describe('checkProposal: the time window (Mon–Fri 09:00–17:00 UTC+01:00)', () => {
  const at = (iso: string) => check(transferTx(SUPPLIER, 100n), { now: new Date(iso) });

  it('opens at 09:00 local and closes at 17:00 local', () => {
    ok(at('2026-12-02T08:00:00Z')); // 09:00 local
    expect(violation(at('2026-12-02T07:59:59Z')).rule).toBe('window'); // 08:59:59
    ok(at('2026-12-02T15:59:59Z')); // 16:59:59
    const closed = violation(at('2026-12-02T16:00:00Z')); // 17:00
    expect(closed.rule).toBe('window');
    expect(closed.message).toBe(
      'treasury policy v3 (window): approvals are signed on Mon, Tue, Wed, Thu, Fri from 9:00 to 17:00 UTC+01:00; it is Wednesday 17:00',
    );
  });

  it('judges the day at the policy’s offset, not UTC', () => {
    // Friday 23:30 UTC is Saturday 00:30 at UTC+01:00: closed (and outside the hours).
    expect(violation(at('2026-12-04T23:30:00Z')).rule).toBe('window');
    // Sunday 23:30 UTC at UTC+10:00 is Monday 09:30: open.
    const eastern = testPolicy({
      window: { days: [1], fromHour: 9, toHour: 17, utcOffsetMinutes: 600 },
    });
    ok(check(transferTx(SUPPLIER, 100n), { now: new Date('2026-12-06T23:30:00Z') }, eastern));
    expect(policyDay(eastern, new Date('2026-12-06T23:30:00Z'))).toBe('2026-12-07');
  });

  it('refuses every weekend hour and passes every weekday working hour (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 * 24 * 60 - 1 }), (minute) => {
        // Sunday 29 November 2026 00:00 local is Saturday 23:00 UTC.
        const now = new Date(Date.UTC(2026, 10, 28, 23, 0) + minute * 60_000);
        const localDay = Math.floor(minute / (24 * 60));
        const localHour = Math.floor(minute / 60) % 24;
        const open = localDay >= 1 && localDay <= 5 && localHour >= 9 && localHour < 17;
        const result = check(transferTx(SUPPLIER, 100n), { now });
        expect(result.ok).toBe(open);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checkProposal: batches', () => {
  it('sums a batch’s payments against the daily limit and each against the per-payment one', () => {
    const rows = [SUPPLIER, LANDLORD, SUPPLIER, LANDLORD].map((to) => transferCall(to, 12_500n));
    const result = ok(check(batchTx(rows), { spentToday: { [TEST_TOKEN]: 0n } }));
    expect(result.payments).toHaveLength(4);
    expect(result.totals).toContainEqual({ currency: TEST_TOKEN, amount: 50_000n });
    const refused = violation(check(batchTx([...rows, transferCall(SUPPLIER, 1n)])));
    expect(refused.rule).toBe('daily');
    expect(refused.message).toContain('500.01 now and 0.00 already today');
    const oneTooBig = violation(
      check(batchTx([transferCall(SUPPLIER, 100n), transferCall(LANDLORD, 15_001n)])),
    );
    expect(oneTooBig.rule).toBe('per-payment');
    expect(oneTooBig.message).toContain(`150.01 to ${LANDLORD}`);
  });

  it('refuses a batch with one payee off the list, naming it', () => {
    const refused = violation(
      check(batchTx([transferCall(SUPPLIER, 100n), transferCall(STRANGER, 100n)])),
    );
    expect(refused.rule).toBe('payee');
    expect(refused.message).toContain(STRANGER);
  });

  it('keeps each currency’s totals apart', () => {
    const result = ok(
      check(
        batchTx([
          transferCall(SUPPLIER, 15_000n),
          transferCall(SUPPLIER, 1_000_000n, OTHER_TOKEN),
          transferCall(LANDLORD, 1_000_000n, OTHER_TOKEN),
        ]),
      ),
    );
    expect(result.totals).toEqual([
      { currency: TEST_TOKEN, amount: 15_000n },
      { currency: OTHER_TOKEN, amount: 2_000_000n },
    ]);
  });

  it('passes a batch exactly when each row is within the per-payment limit and the sum within the daily one (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 20_000n }), { minLength: 1, maxLength: 8 }),
        fc.bigInt({ min: 0n, max: 50_000n }),
        (amounts, spent) => {
          const rows = amounts.map((amount, i) =>
            transferCall(i % 2 ? SUPPLIER : LANDLORD, amount),
          );
          const result = check(batchTx(rows), { spentToday: { [TEST_TOKEN]: spent } });
          const total = amounts.reduce((sum, a) => sum + a, 0n);
          expect(result.ok).toBe(amounts.every((a) => a <= 15_000n) && spent + total <= 50_000n);
          if (result.ok) expect(result.requiredThreshold).toBe(total > 10_000n ? 3 : 2);
        },
      ),
    );
  });

  it('passes a payment exactly when it is within both limits (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 60_000n }),
        fc.bigInt({ min: 0n, max: 60_000n }),
        (amount, spent) => {
          const result = check(transferTx(SUPPLIER, amount), {
            spentToday: { [TEST_TOKEN]: spent },
          });
          expect(result.ok).toBe(amount <= 15_000n && spent + amount <= 50_000n);
        },
      ),
    );
  });
});

describe('checkProposal: the higher threshold', () => {
  it('asks the policy’s threshold above the limit, the Safe’s at it', () => {
    expect(ok(check(transferTx(SUPPLIER, 10_000n))).requiredThreshold).toBe(2);
    expect(ok(check(transferTx(SUPPLIER, 10_001n))).requiredThreshold).toBe(3);
  });

  it('counts a batch’s total, so splitting a payment does not avoid it', () => {
    const rows = [transferCall(SUPPLIER, 6_000n), transferCall(SUPPLIER, 6_000n)];
    expect(ok(check(batchTx(rows))).requiredThreshold).toBe(3);
  });

  it('never asks fewer than the Safe’s own threshold', () => {
    expect(ok(check(transferTx(SUPPLIER, 10_001n), { safeThreshold: 3 })).requiredThreshold).toBe(
      3,
    );
    // A currency with no higher threshold: the Safe's.
    expect(
      ok(check(transferTx(SUPPLIER, 900_000n, OTHER_TOKEN), { safeThreshold: 2 }))
        .requiredThreshold,
    ).toBe(2);
  });
});

describe('checkProposal: note operations and what the policy does not cover', () => {
  const note = (data: `0x${string}`) => safeCall({ to: TEST_NOTES, data }, 7n);
  const facts = () => ({ currency: TEST_TOKEN, value: 12_000n });

  it('counts a note issue by its face value, to its payee, in its currency', () => {
    const issue = encodeFunctionData({
      abi: notesAbi,
      functionName: 'issue',
      args: [SUPPLIER, 12_000n, TEST_TOKEN, 1_800_000_000n],
    });
    const approve = encodeFunctionData({
      abi: currencyAbi,
      functionName: 'approve',
      args: [TEST_NOTES, maxUint256],
    });
    const result = ok(
      check(
        batchTx([
          { to: TEST_NOTES, data: issue },
          { to: TEST_TOKEN, data: approve },
        ]),
      ),
    );
    expect(result.payments).toEqual([
      { currency: TEST_TOKEN, payee: SUPPLIER, amount: 12_000n, what: 'note issue' },
    ]);
    expect(result.requiredThreshold).toBe(3);
    const tooBig = encodeFunctionData({
      abi: notesAbi,
      functionName: 'issue',
      args: [STRANGER, 100n, TEST_TOKEN, 1_800_000_000n],
    });
    expect(violation(check(note(tooBig))).rule).toBe('payee');
  });

  it('counts an endorsement by the note’s value and a split by the value split off', () => {
    const endorse = encodeFunctionData({
      abi: notesAbi,
      functionName: 'transferFrom',
      args: [TEST_SAFE, LANDLORD, 5n],
    });
    expect(ok(check(note(endorse), { noteFacts: facts })).payments).toEqual([
      { currency: TEST_TOKEN, payee: LANDLORD, amount: 12_000n, what: 'note endorse' },
    ]);
    const split = encodeFunctionData({
      abi: notesAbi,
      functionName: 'transferFrom',
      args: [5n, LANDLORD, 16_000n],
    });
    const refused = violation(check(note(split), { noteFacts: facts }));
    expect(refused.rule).toBe('per-payment');
    expect(refused.message).toContain('a note split of 160.00');
  });

  it('refuses an endorsement of a note whose value it does not know', () => {
    const endorse = encodeFunctionData({
      abi: notesAbi,
      functionName: 'transferFrom',
      args: [TEST_SAFE, LANDLORD, 5n],
    });
    const refused = violation(check(note(endorse)));
    expect(refused.rule).toBe('not-covered');
    expect(refused.message).toContain('note 5, whose currency and value are not known here');
  });

  it('lets a redemption and an owner change through: they pay nothing out', () => {
    const redeem = encodeFunctionData({ abi: notesAbi, functionName: 'redeem', args: [5n] });
    expect(ok(check(note(redeem))).payments).toEqual([]);
    const { tx } = ownerChangeCall(
      TEST_SAFE,
      { owners: testOwners, threshold: 2 },
      { kind: 'threshold', threshold: 3 },
      7n,
    );
    expect(ok(check(tx)).requiredThreshold).toBe(2);
  });

  const notCovered: [string, SafeTx][] = [
    [
      'finance',
      note(
        encodeFunctionData({
          abi: notesAbi,
          functionName: 'finance',
          args: [
            {
              tokenId: 5n,
              value: 1n,
              bank: TEST_SAFE,
              price: 1n,
              deadline: 1n,
              nonce: `0x${'00'.repeat(32)}`,
            },
            '0x',
          ],
        }),
      ),
    ],
    ['chain coin', safeCall({ to: SUPPLIER, value: 1n, data: '0x' }, 7n)],
    ['gas refund', { ...transferTx(SUPPLIER, 100n), gasPrice: 1n }],
    ['unnamed currency', transferTx(SUPPLIER, 100n, STRANGER)],
    [
      'approve to another',
      safeCall(
        {
          to: TEST_TOKEN,
          data: encodeFunctionData({
            abi: erc20Abi,
            functionName: 'approve',
            args: [STRANGER, 1n],
          }),
        },
        7n,
      ),
    ],
    [
      'unknown function',
      safeCall(
        {
          to: TEST_TOKEN,
          data: encodeFunctionData({
            abi: parseAbi(['function mint(uint256)']),
            functionName: 'mint',
            args: [1n],
          }),
        },
        7n,
      ),
    ],
    ['delegatecall elsewhere', { ...batchTx([transferCall(SUPPLIER, 1n)]), to: STRANGER }],
    ['batch chain coin', batchTx([{ to: SUPPLIER, value: 1n, data: '0x' }])],
    [
      'note issue in an unnamed currency',
      note(
        encodeFunctionData({
          abi: notesAbi,
          functionName: 'issue',
          args: [SUPPLIER, 100n, zeroAddress, 1_800_000_000n],
        }),
      ),
    ],
  ];
  it.each(notCovered)('refuses as not covered: %s', (_, tx) => {
    const refused = violation(check(tx));
    expect(refused.rule).toBe('not-covered');
    expect(refused.message).toMatch(
      /^treasury policy v3 \(not-covered\): not covered by the policy: /,
    );
  });

  it('checks the window for calls that move nothing too', () => {
    const redeem = encodeFunctionData({ abi: notesAbi, functionName: 'redeem', args: [5n] });
    const sunday = new Date('2026-12-06T10:00:00Z');
    expect(violation(check(note(redeem), { now: sunday })).rule).toBe('window');
    ok(check(note(redeem), { now: sunday }, anyTime(testPolicy())));
  });
});

describe('requirePolicy', () => {
  it('throws POLICY_VIOLATION with the one-line reason, and returns the threshold otherwise', () => {
    const proposal = { chainId: TEST_CHAIN_ID, safe: TEST_SAFE, tx: transferTx(STRANGER, 1n) };
    let thrown: unknown;
    try {
      requirePolicy(testPolicy(), proposal, context());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SignetError);
    expect((thrown as SignetError).code).toBe('POLICY_VIOLATION');
    expect((thrown as SignetError).details).toEqual({ rule: 'payee' });
    expect(
      requirePolicy(testPolicy(), { ...proposal, tx: transferTx(SUPPLIER, 1n) }, context())
        .requiredThreshold,
    ).toBe(2);
  });
});
