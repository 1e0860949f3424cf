/**
 * Beyond single-rule tests: fast-check drives random sequences of offline purse
 * operations against the real contract on a dev ledger — open a purse, pay offline
 * (honestly, or double-spending: a second voucher at a counter, or one claiming a
 * range already claimed; or a voucher with a bad signature, or to an unregistered
 * payee), settle random batches (repeats, any order), prove fraud with random
 * pairs, close, let time pass — and after every step checks:
 *
 * - the contract holds exactly Σ open purses' (locked − paid) + Σ guarantee pools;
 * - no voucher is paid twice: each hash is settled at most once, and each payee's
 *   balance is the sum of the vouchers settled to it;
 * - every valid voucher submitted (good signature, registered payee, purse not
 *   closed) is paid in full, since the guarantee pool always has the funds here,
 *   unless the purse would then have paid more than maxCount × cap in all (then it
 *   is rejected ExposureExceeded); an invalid one is not paid;
 * - no purse ever pays more than maxCount × cap (paid + fromGuarantee);
 * - proveFraud accepts a pair exactly when it proves fraud (same counter,
 *   overlapping ranges or the same previous voucher) and the purse is not frozen
 *   yet (a replayed proof is refused PurseIsFrozen), and close succeeds exactly
 *   when its owner may close (thawed, not frozen, not closed, owner not frozen).
 *
 * Each sequence starts from the same chain state (evm_snapshot/evm_revert).
 */
import fc from 'fast-check';
import { type Address, type Hex, keccak256, type TransactionReceipt } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PurseCertificate, Voucher } from '../core/purse/typed-data.js';
import { devKeys, devPurseGraceSeconds } from '../ledger/deploy.js';
import { chainContracts } from './support/chain-contracts.js';
import { useDevChain } from './support/dev-chain.js';
import { purseChain, type SignedVoucher } from './support/purse-chain.js';

const ledger = useDevChain();
const { send, read } = chainContracts(ledger);
const purse = purseChain(ledger);

/** Sequences: about 30 s on two shared cores. Override with PROPERTY_RUNS. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);
const SEED = Number(process.env.PROPERTY_SEED ?? Date.now() % 2 ** 31);
const MAX_STEPS = 30;
const START = 1_000_00n;
const VALIDITY = 7n * 86_400n;

const operator = privateKeyToAccount(devKeys.operator).address;
const ownerKeys = Array.from({ length: 2 }, () => generatePrivateKey());
const owners = ownerKeys.map((key) => ({ key, address: privateKeyToAccount(key).address }));
const payees = Array.from({ length: 2 }, () => privateKeyToAccount(generatePrivateKey()).address);
/** Never registered: its vouchers are rejected (and retriable). */
const stranger = privateKeyToAccount(generatePrivateKey()).address;
const payeeChoices = [...payees, stranger];

interface ModelPurse {
  owner: (typeof owners)[number];
  certificate: PurseCertificate;
  purseKey: Hex;
  /** Every voucher signed for it, honest or not (bad signatures apart). */
  vouchers: SignedVoucher[];
  /** The honest chain's head. */
  counter: number;
  cumulative: bigint;
  prev: Hex;
}

type Op =
  | { kind: 'open'; owner: number; locked: number; cap: number; maxCount: number }
  | {
      kind: 'pay';
      purse: number;
      payee: number;
      amount: number;
      how: 'honest' | 'sameCounter' | 'overlap' | 'badSignature';
      pick: number;
    }
  | { kind: 'settle'; picks: number[] }
  | { kind: 'fraud'; purse: number; a: number; b: number }
  | { kind: 'close'; purse: number; byOwner: boolean; wait: boolean }
  | { kind: 'time'; days: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('open' as const),
      owner: fc.nat(owners.length - 1),
      locked: fc.integer({ min: 10, max: 60 }),
      cap: fc.integer({ min: 1, max: 30 }),
      maxCount: fc.integer({ min: 1, max: 6 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      purse: fc.nat(),
      payee: fc.nat(payeeChoices.length - 1),
      amount: fc.integer({ min: 1, max: 12 }),
      how: fc.constantFrom(
        'honest' as const,
        'honest' as const,
        'honest' as const,
        'sameCounter' as const,
        'overlap' as const,
        'badSignature' as const,
      ),
      pick: fc.nat(),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('fraud' as const),
      purse: fc.nat(),
      a: fc.nat(),
      b: fc.nat(),
    }),
    weight: 2,
  },
  fc.record({
    kind: fc.constant('close' as const),
    purse: fc.nat(),
    byOwner: fc.constantFrom(true, true, true, false),
    /** First let the clock pass the purse's thaw window. */
    wait: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('time' as const), days: fc.integer({ min: 2, max: 12 }) }),
);

const stats = { sequences: 0, steps: 0, byOp: new Map<string, Map<string, number>>() };
let start: string;

beforeAll(async () => {
  for (const owner of owners) {
    await ledger.fund(owner.address, START);
  }
  for (const payee of payees) {
    await send(devKeys.operator, 'currency', 'registerAccount', [payee, keccak256(payee)]);
  }
  start = await ledger.snapshot();
}, 120_000);

afterAll(() => {
  const lines = [...stats.byOp]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([op, results]) => `  ${op}: ${[...results].map(([r, n]) => `${r} ${n}`).join(', ')}`);
  console.log(
    `purse invariants: ${stats.sequences} sequences, ${stats.steps} steps (seed ${SEED})\n${lines.join('\n')}`,
  );
});

/** Whether two distinct vouchers of one purse prove fraud, as SPEC-13 defines it. */
function provesFraud(a: Voucher, b: Voucher): boolean {
  const overlap = a.cumulative - a.amount < b.cumulative && b.cumulative - b.amount < a.cumulative;
  return overlap || a.counter === b.counter || a.prevVoucherHash === b.prevVoucherHash;
}

/** Null when the call went through; otherwise its error's message (the revert named). */
async function reverted(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

it('keeps its invariants over random sequences of purse operations', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { minLength: 1, maxLength: MAX_STEPS, size: 'max' }),
      async (steps) => {
        // Every sequence starts with a purse for each owner (more may open later).
        const ops: Op[] = [
          ...owners.map((_, owner) => ({
            kind: 'open' as const,
            owner,
            locked: 40,
            cap: 20,
            maxCount: 5,
          })),
          ...steps,
        ];
        await ledger.revert(start);
        start = await ledger.snapshot();
        stats.sequences++;
        const purses: ModelPurse[] = [];
        /** Vouchers signed by a key that is not their purse's. */
        const badVouchers: SignedVoucher[] = [];
        const settledOnce = new Set<Hex>();
        const paidTo = new Map<Address, bigint>();
        const note = (kind: string, result: string) => {
          const results = stats.byOp.get(kind) ?? new Map<string, number>();
          results.set(result, (results.get(result) ?? 0) + 1);
          stats.byOp.set(kind, results);
        };
        /** Records a settle receipt's payments; fails on a hash paid twice. */
        const recordSettled = (receipt: TransactionReceipt) => {
          for (const e of purse.events(receipt, 'VoucherSettled')) {
            const hash = e.voucherHash as Hex;
            expect(settledOnce.has(hash), `voucher ${hash} paid twice`).toBe(false);
            settledOnce.add(hash);
            const payee = e.payee as Address;
            paidTo.set(payee, (paidTo.get(payee) ?? 0n) + (e.amount as bigint));
          }
        };

        for (const op of ops) {
          const result = await step(op);
          note(op.kind, result);
          stats.steps++;
          await checkInvariants();
        }

        async function step(op: Op): Promise<string> {
          switch (op.kind) {
            case 'open': {
              const owner = owners[op.owner]!;
              const locked = BigInt(op.locked) * 1_00n;
              const cap = BigInt(Math.min(op.cap, op.locked)) * 1_00n;
              const { purseKey, certificate } = await purse.certificateFor(
                owner.address,
                operator,
                { locked, cap, maxCount: op.maxCount, validUntil: (await ledger.now()) + VALIDITY },
              );
              const balance = await purse.balance(owner.address);
              const frozen = await read<boolean>('currency', 'isFrozen', [owner.address]);
              const failure = await reverted(purse.openPurse(owner.key, certificate));
              const expected = !frozen && balance >= locked;
              if (failure && expected) throw new Error(`open failed: ${failure}`);
              if (!failure && !expected)
                throw new Error('open succeeded for a frozen or poor owner');
              if (failure) return 'refused';
              purses.push({
                owner,
                certificate,
                purseKey,
                vouchers: [],
                counter: 0,
                cumulative: 0n,
                prev: `0x${'0'.repeat(64)}`,
              });
              return 'ok';
            }
            case 'pay': {
              const p = purses[op.purse % Math.max(purses.length, 1)];
              if (!p) return 'no purse';
              const c = p.certificate;
              const amount = BigInt(Math.min(op.amount, Number(c.cap / 1_00n))) * 1_00n;
              const payee = payeeChoices[op.payee]!;
              let voucher: Voucher;
              if (op.how === 'honest' || op.how === 'badSignature' || p.vouchers.length === 0) {
                if (p.counter >= c.maxCount || p.cumulative + amount > c.locked)
                  return 'purse spent';
                voucher = {
                  purse: c.purse,
                  epoch: c.epoch,
                  payee,
                  amount,
                  counter: p.counter + 1,
                  cumulative: p.cumulative + amount,
                  prevVoucherHash: p.prev,
                  issuedAt: c.validFrom + 60n,
                };
              } else {
                const base = p.vouchers[op.pick % p.vouchers.length]!.voucher;
                if (op.how === 'sameCounter') {
                  // Another voucher at a counter already used: another payee, same range.
                  voucher = { ...base, payee: payees.find((x) => x !== base.payee)! };
                } else {
                  // A fresh counter claiming a range that ends where `base`'s ends: overlap.
                  if (p.counter >= c.maxCount) return 'purse spent';
                  const a = amount <= base.cumulative ? amount : base.cumulative;
                  voucher = {
                    ...base,
                    payee,
                    amount: a,
                    counter: p.counter + 1,
                    prevVoucherHash: p.prev,
                  };
                }
              }
              const key = op.how === 'badSignature' ? generatePrivateKey() : p.purseKey;
              const signed = await purse.signVoucher(key, voucher);
              if (op.how === 'badSignature') {
                badVouchers.push(signed);
                return 'bad signature';
              }
              p.vouchers.push(signed);
              if (op.how !== 'sameCounter') {
                p.counter = voucher.counter;
                if (op.how === 'honest') p.cumulative = voucher.cumulative;
                p.prev = signed.hash;
              }
              return op.how;
            }
            case 'settle': {
              const all = [...purses.flatMap((p) => p.vouchers), ...badVouchers];
              if (all.length === 0) return 'nothing to settle';
              const batch = op.picks.map((i) => all[i % all.length]!);
              const before = new Map<Address, boolean>();
              /** What each purse has paid in all (purse + guarantee), as the batch goes. */
              const spent = new Map<Address, bigint>();
              for (const p of purses) {
                const state = await purse.purseOf(p.certificate.purse);
                before.set(p.certificate.purse, state.closed);
                spent.set(p.certificate.purse, state.paid + state.fromGuarantee);
              }
              const settledBefore = new Set(settledOnce);
              const receipt = await purse.settle(devKeys.operator, batch);
              recordSettled(receipt);
              for (const e of purse.events(receipt, 'VoucherSettled')) {
                const v = batch.find((b) => b.hash === e.voucherHash)!;
                expect(e.amount, 'paid in full').toBe(v.voucher.amount);
              }
              const overExposure = new Set(
                purse
                  .events(receipt, 'VoucherRejected')
                  .filter((e) => e.reason === 11)
                  .map((e) => e.voucherHash as Hex),
              );
              const seen = new Set(settledBefore);
              for (const v of batch) {
                const good = purses.some((p) => p.vouchers.includes(v));
                const valid = good && v.voucher.payee !== stranger && !before.get(v.voucher.purse);
                if (valid && !seen.has(v.hash)) {
                  const c = purses.find((p) => p.vouchers.includes(v))!.certificate;
                  const total = spent.get(c.purse)! + v.voucher.amount;
                  const fits = total <= BigInt(c.maxCount) * c.cap;
                  expect(settledOnce.has(v.hash), `valid voucher ${v.hash} paid`).toBe(fits);
                  expect(overExposure.has(v.hash), `${v.hash} over the exposure`).toBe(!fits);
                  if (fits) {
                    spent.set(c.purse, total);
                    seen.add(v.hash);
                  }
                } else if (valid) {
                  expect(await purse.read('isSettled', [v.voucher])).toBe(true);
                } else {
                  expect(settledOnce.has(v.hash), `invalid voucher ${v.hash} not paid`).toBe(
                    settledBefore.has(v.hash),
                  );
                }
              }
              return 'batch';
            }
            case 'fraud': {
              const p = purses[op.purse % Math.max(purses.length, 1)];
              if (!p || p.vouchers.length < 2) return 'no pair';
              const a = p.vouchers[op.a % p.vouchers.length]!;
              const b = p.vouchers[op.b % p.vouchers.length]!;
              const proves = a.hash !== b.hash && provesFraud(a.voucher, b.voucher);
              const frozen = (await purse.purseOf(p.certificate.purse)).frozen;
              const failure = await reverted(
                purse.send(devKeys.operator, 'proveFraud', [
                  a.voucher,
                  a.signature,
                  b.voucher,
                  b.signature,
                ]),
              );
              if (frozen) {
                expect(failure ?? '', 'a frozen purse is proven once').toMatch(/PurseIsFrozen/);
                return 'already frozen';
              }
              if (proves) {
                expect(failure, 'a real fraud proof is accepted').toBeNull();
                expect((await purse.purseOf(p.certificate.purse)).frozen).toBe(true);
                expect(await read('currency', 'isFrozen', [p.owner.address])).toBe(true);
                return 'proven';
              }
              expect(failure ?? '', 'a non-fraud pair is refused').toMatch(/NotFraud/);
              return 'not fraud';
            }
            case 'close': {
              const p = purses[op.purse % Math.max(purses.length, 1)];
              if (!p) return 'no purse';
              const thaw = p.certificate.validUntil + devPurseGraceSeconds;
              if (op.wait && (await ledger.now()) <= thaw) {
                await ledger.increaseTime(thaw - (await ledger.now()) + 1n);
                await ledger.mine();
              }
              const state = await purse.purseOf(p.certificate.purse);
              const ownerFrozen = await read<boolean>('currency', 'isFrozen', [p.owner.address]);
              const thawed = (await ledger.now()) + 1n > thaw;
              const key = op.byOwner ? p.owner.key : devKeys.operator;
              const failure = await reverted(purse.send(key, 'close', [p.certificate.purse]));
              const may = op.byOwner && thawed && !state.frozen && !state.closed && !ownerFrozen;
              if (may) {
                expect(failure, 'the owner closes a thawed purse').toBeNull();
                return 'closed';
              }
              expect(failure, 'close refused').not.toBeNull();
              return 'refused';
            }
            case 'time': {
              await ledger.increaseTime(BigInt(op.days) * 86_400n);
              await ledger.mine();
              return 'ok';
            }
          }
        }

        async function checkInvariants() {
          let owed = 0n;
          for (const p of purses) {
            const state = await purse.purseOf(p.certificate.purse);
            expect(state.paid).toBeLessThanOrEqual(state.locked);
            expect(
              state.paid + state.fromGuarantee,
              'within the certified exposure',
            ).toBeLessThanOrEqual(BigInt(state.maxCount) * state.cap);
            if (!state.closed) owed += state.locked - state.paid;
          }
          const pool = await purse.read<bigint>('guaranteeOf', [operator]);
          expect(await purse.balance(purse.address()), 'purse contract money').toBe(owed + pool);
          for (const payee of payees) {
            expect(await purse.balance(payee), 'payee paid its vouchers once').toBe(
              paidTo.get(payee) ?? 0n,
            );
          }
          expect(await purse.balance(stranger)).toBe(0n);
        }
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
  // Not vacuous: each kind of step did its thing at least once.
  for (const [kind, result] of [
    ['open', 'ok'],
    ['pay', 'honest'],
    ['pay', 'sameCounter'],
    ['pay', 'overlap'],
    ['fraud', 'proven'],
    ['close', 'closed'],
  ] as const) {
    expect(stats.byOp.get(kind)?.get(result) ?? 0, `${kind} never ${result}`).toBeGreaterThan(0);
  }
}, 600_000);
