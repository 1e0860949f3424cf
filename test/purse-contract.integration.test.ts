/**
 * The offline purse contract's rules (ledger/contracts/OfflinePurse.sol), each with a
 * test that fails without it: who may open a purse and on which terms (the operator's
 * purse policy: no signature at open, the operator certifies afterwards); settle
 * pays each valid voucher exactly once and rejects each invalid one changing nothing;
 * two vouchers that spend the same money prove fraud, freeze the purse and its owner,
 * and cost the honest payees nothing (the purse, then the operator's guarantee pool) up
 * to the certified exposure maxCount × cap, and a replayed proof re-freezes no one;
 * the owner closes only after the thaw window. On a real dev node, vouchers and
 * certificates signed with software keys (core/purse/typed-data.ts); each test reverts
 * the chain to the state after the shared setup.
 */
import { type Address, type Hex, keccak256, parseAbi, zeroHash } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { purseTerms } from '../core/purse/abi.js';
import {
  certificateHash,
  type PurseCertificate,
  type Voucher,
  voucherHash,
} from '../core/purse/typed-data.js';
import {
  devKeys,
  devOperatorGuarantee,
  devPurseGraceSeconds,
  devPursePolicy,
} from '../ledger/deploy.js';
import { chainContracts } from './support/chain-contracts.js';
import { useDevChain } from './support/dev-chain.js';
import { purseChain, type SignedVoucher } from './support/purse-chain.js';

const ledger = useDevChain();
const { send, read, role } = chainContracts(ledger);
const purse = purseChain(ledger);

const operator = privateKeyToAccount(devKeys.operator).address;
/**
 * Hardhat account 2: a second operator bank with its own certificate key, no guarantee pool
 * and a purse policy of its own (at most 1,000.00 locked, 200.00 a payment, 20 payments, 30 days).
 */
const operator2Key: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
const operator2 = privateKeyToAccount(operator2Key).address;
const START = 10_000_00n;
const policy2 = {
  maxLocked: 1_000_00n,
  maxCap: 200_00n,
  maxCount: 20,
  maxValidity: 30n * 86_400n,
};

interface Party {
  key: Hex;
  address: Address;
}

/** A new customer of `operatorKey` with `funds` and gas money. */
async function customer(funds = START, operatorKey: Hex = devKeys.operator): Promise<Party> {
  const key = generatePrivateKey();
  const address = privateKeyToAccount(key).address;
  await send(operatorKey, 'currency', 'registerAccount', [address, keccak256(address)]);
  if (funds > 0n) await send(operatorKey, 'currency', 'transfer', [address, funds]);
  await ledger.setBalance(address, 10n ** 18n);
  return { key, address };
}

let alice: Party;
let bob: Party;
let carol: Party;
/** A customer of operator 2. */
let dave: Party;
/** Gas money, never registered. */
let stranger: Party;

beforeAll(async () => {
  await send(devKeys.centralBank, 'currency', 'grantRole', [
    await role('OPERATOR_ROLE'),
    operator2,
  ]);
  await send(devKeys.centralBank, 'currency', 'issue', [operator2, 100_000_00n]);
  await purse.send(operator2Key, 'setCertificateKey', [operator2, true]);
  await purse.setPolicy(operator2Key, policy2);
  alice = await customer();
  bob = await customer(0n);
  carol = await customer(0n);
  dave = await customer(START, operator2Key);
  const strangerKey = generatePrivateKey();
  stranger = { key: strangerKey, address: privateKeyToAccount(strangerKey).address };
  await ledger.setBalance(stranger.address, 10n ** 18n);
});

let snapshot: string;
beforeEach(async () => {
  snapshot = await ledger.snapshot();
});
afterEach(async () => {
  await ledger.revert(snapshot);
});

/** Everything a purse call may change, for "nothing changed" checks. */
async function stateOf(purseAddress: Address, owner: Address) {
  const accounts = [owner, bob.address, carol.address, dave.address, purse.address()];
  return {
    purse: await purse.purseOf(purseAddress),
    balances: await Promise.all(accounts.map((a) => purse.balance(a))),
    epoch: await purse.read<number>('epochOf', [owner]),
    ownerFrozen: await read<boolean>('currency', 'isFrozen', [owner]),
    defrauder: await purse.read<boolean>('isDefrauder', [owner]),
    guarantees: [
      await purse.read<bigint>('guaranteeOf', [operator]),
      await purse.read<bigint>('guaranteeOf', [operator2]),
    ],
  };
}

/** Alice's open purse (locked 100.00, cap 50.00, 10 payments) and her honest voucher chain. */
async function openAlicePurse(overrides: Partial<PurseCertificate> = {}) {
  const { purseKey, certificate } = await purse.certificateFor(alice.address, operator, overrides);
  await purse.openPurse(alice.key, certificate);
  return { purseKey, certificate, chain: purse.voucherChain(purseKey, certificate) };
}

/** The thaw window's end: validUntil + grace; close needs a block after it. */
async function passThaw(certificate: PurseCertificate) {
  const thaw = certificate.validUntil + devPurseGraceSeconds;
  await ledger.increaseTime(thaw - (await ledger.now()) + 1n);
  await ledger.mine();
}

describe('deployment', () => {
  it('lists the dev operator key, sets its purse policy, seeds its guarantee pool and makes the purse contract a system contract', async () => {
    expect(await purse.read('certificateKeyOperator', [operator])).toBe(operator);
    expect(await purse.read('pursePolicyOf', [operator])).toEqual(devPursePolicy);
    expect(await purse.read('guaranteeOf', [operator])).toBe(devOperatorGuarantee);
    expect(await purse.balance(purse.address())).toBe(devOperatorGuarantee);
    expect(await purse.read('grace')).toBe(devPurseGraceSeconds);
    expect(
      await read('currency', 'hasRole', [await role('SYSTEM_CONTRACT_ROLE'), purse.address()]),
    ).toBe(true);
  });

  it('only an escrow holds money: the note contract, a system contract but no escrow, is still refused it', async () => {
    expect(await read('currency', 'hasRole', [await role('ESCROW_ROLE'), purse.address()])).toBe(
      true,
    );
    const notes = ledger.profile.contracts.notes;
    expect(await read('currency', 'isRegistered', [notes])).toBe(false);
    const before = await purse.balance(alice.address);
    await expect(send(alice.key, 'currency', 'transfer', [notes, 1_00n])).rejects.toThrow(
      /NotRegistered/,
    );
    expect(await purse.balance(alice.address)).toBe(before);
  });
});

describe('certificate keys', () => {
  it('an operator lists and unlists its keys (payees check certificates against them offline)', async () => {
    const key = generatePrivateKey();
    const keyAddress = privateKeyToAccount(key).address;
    const listed = await purse.send(devKeys.operator, 'setCertificateKey', [keyAddress, true]);
    expect(purse.events(listed, 'CertificateKeySet')).toEqual([
      { operator, key: keyAddress, listed: true },
    ]);
    expect(await purse.read('certificateKeyOperator', [keyAddress])).toBe(operator);

    const unlisted = await purse.send(devKeys.operator, 'setCertificateKey', [keyAddress, false]);
    expect(purse.events(unlisted, 'CertificateKeySet')).toEqual([
      { operator, key: keyAddress, listed: false },
    ]);
    expect(await purse.read('certificateKeyOperator', [keyAddress])).toBe(
      '0x0000000000000000000000000000000000000000',
    );
  });

  it('only an operator lists keys, and never another operator’s key', async () => {
    await expect(purse.send(alice.key, 'setCertificateKey', [alice.address, true])).rejects.toThrow(
      /NotAnOperator/,
    );
    await expect(
      purse.send(devKeys.operator, 'setCertificateKey', [operator2, true]),
    ).rejects.toThrow(/CertificateKeyOfAnotherOperator/);
    await expect(
      purse.send(devKeys.operator, 'setCertificateKey', [operator2, false]),
    ).rejects.toThrow(/CertificateKeyOfAnotherOperator/);
    expect(await purse.read('certificateKeyOperator', [operator2])).toBe(operator2);
    expect(await purse.read('certificateKeyOperator', [alice.address])).toBe(
      '0x0000000000000000000000000000000000000000',
    );
  });

  it('only an operator deposits a guarantee, and only a system contract freezes for fraud', async () => {
    await purse.sendCurrency(alice.key, 'approve', [purse.address(), 1_00n]);
    await expect(purse.send(alice.key, 'depositGuarantee', [1_00n])).rejects.toThrow(
      /NotAnOperator/,
    );
    await expect(
      send(devKeys.operator, 'currency', 'freezeForFraud', [alice.address]),
    ).rejects.toThrow(/AccessControlUnauthorizedAccount/);
    expect(await read('currency', 'isFrozen', [alice.address])).toBe(false);
    expect(await purse.read('guaranteeOf', [operator])).toBe(devOperatorGuarantee);
  });
});

describe('open', () => {
  it('locks the amount, records the purse and uses up the epoch', async () => {
    const { purseKey, certificate } = await purse.certificateFor(alice.address, operator);
    expect(certificate.epoch).toBe(0);
    const receipt = await purse.openPurse(alice.key, certificate);
    expect(purse.events(receipt, 'PurseOpened')).toEqual([
      {
        purse: certificate.purse,
        owner: alice.address,
        operator,
        epoch: 0,
        locked: certificate.locked,
        validUntil: certificate.validUntil,
      },
    ]);
    expect(await purse.balance(alice.address)).toBe(START - certificate.locked);
    expect(await purse.balance(purse.address())).toBe(devOperatorGuarantee + certificate.locked);
    expect(await purse.read('epochOf', [alice.address])).toBe(1);
    expect(await purse.purseOf(certificate.purse)).toEqual({
      owner: alice.address,
      operator,
      locked: certificate.locked,
      cap: certificate.cap,
      maxCount: certificate.maxCount,
      validFrom: certificate.validFrom,
      validUntil: certificate.validUntil,
      epoch: 0,
      paid: 0n,
      fromGuarantee: 0n,
      frozen: false,
      closed: false,
    });
    expect(privateKeyToAccount(purseKey).address).toBe(certificate.purse);
  });

  it('agrees with core on the certificate and voucher hashes', async () => {
    const { certificate, chain } = await openAlicePurse();
    const v1 = await chain.pay(bob.address, 1_00n);
    expect(await purse.read('voucherHash', [v1.voucher])).toBe(v1.hash);
    expect(await purse.read('certificateHash', [certificate])).toBe(
      certificateHash(purse.domain(), certificate),
    );
  });

  /** Each refusal leaves the owner's money, epoch and the purse untouched. */
  async function refused(
    sender: Party,
    certificate: PurseCertificate,
    error: RegExp,
    owner: Address = alice.address,
  ) {
    const before = await stateOf(certificate.purse, owner);
    await expect(purse.openPurse(sender.key, certificate)).rejects.toThrow(error);
    expect(await stateOf(certificate.purse, owner)).toEqual(before);
  }

  it('refuses a sender who is not the terms’ owner', async () => {
    const { certificate } = await purse.certificateFor(alice.address, operator);
    await purse.sendCurrency(bob.key, 'approve', [purse.address(), certificate.locked]);
    await refused(bob, certificate, /NotPurseOwner/);
  });

  it('records the owner’s own operator: the holder cannot choose another', async () => {
    const { certificate } = await purse.certificateFor(dave.address, operator);
    const receipt = await purse.openPurse(dave.key, certificate);
    expect(purse.events(receipt, 'PurseOpened')[0]).toMatchObject({ operator: operator2 });
    expect((await purse.purseOf(certificate.purse)).operator).toBe(operator2);
  });

  it('refuses terms of another epoch', async () => {
    const { certificate } = await purse.certificateFor(alice.address, operator, { epoch: 1 });
    await refused(alice, certificate, /WrongEpoch/);
  });

  it('refuses a purse key already used, even in a later epoch', async () => {
    const { certificate } = await openAlicePurse();
    const again = await purse.certificateFor(alice.address, operator, { purse: certificate.purse });
    expect(again.certificate.epoch).toBe(1);
    await refused(alice, again.certificate, /PurseExists/);
  });

  it('refuses a frozen owner', async () => {
    await send(devKeys.operator, 'currency', 'freeze', [alice.address]);
    const { certificate } = await purse.certificateFor(alice.address, operator);
    await refused(alice, certificate, /OwnerNotActive/);
  });

  it('refuses an unregistered owner', async () => {
    const { certificate } = await purse.certificateFor(stranger.address, operator);
    const before = await purse.balance(purse.address());
    await expect(purse.send(stranger.key, 'open', [purseTerms(certificate)])).rejects.toThrow(
      /OwnerNotActive/,
    );
    expect(await purse.balance(purse.address())).toBe(before);
    expect(await purse.read('epochOf', [stranger.address])).toBe(0);
  });

  it('refuses an owner whose operator is no longer an operator', async () => {
    await send(devKeys.centralBank, 'currency', 'revokeRole', [
      await role('OPERATOR_ROLE'),
      operator2,
    ]);
    const { certificate } = await purse.certificateFor(dave.address, operator2);
    await refused(dave, certificate, /NotAnOperator/, dave.address);
  });

  it.each([
    ['a cap over the locked amount', { cap: 100_01n }],
    ['a zero cap', { cap: 0n }],
    ['no payments', { maxCount: 0 }],
    ['an empty validity window', { validFrom: 2_000_000_000n, validUntil: 2_000_000_000n }],
  ] as const)('refuses %s', async (_, overrides) => {
    const { certificate } = await purse.certificateFor(alice.address, operator, overrides);
    await refused(alice, certificate, /InvalidTerms/);
  });

  it('refuses an owner who has not approved the locked amount', async () => {
    const { certificate } = await purse.certificateFor(alice.address, operator);
    const before = await stateOf(certificate.purse, alice.address);
    await expect(purse.send(alice.key, 'open', [purseTerms(certificate)])).rejects.toThrow(
      /ERC20InsufficientAllowance/,
    );
    expect(await stateOf(certificate.purse, alice.address)).toEqual(before);
  });
});

describe('the operator’s purse policy', () => {
  /** Dave's terms (operator 2), valid from now for `validity` seconds. */
  async function daveTerms(overrides: Partial<PurseCertificate>, validity = 86_400n) {
    const now = await ledger.now();
    return purse.certificateFor(dave.address, operator2, {
      validFrom: now,
      validUntil: now + validity,
      ...overrides,
    });
  }

  it('is set by the operator alone, and read by anyone', async () => {
    const receipt = await purse.setPolicy(devKeys.operator, policy2);
    expect(purse.events(receipt, 'PursePolicySet')).toEqual([{ operator, ...policy2 }]);
    expect(await purse.read('pursePolicyOf', [operator])).toEqual(policy2);
    await expect(purse.setPolicy(alice.key, devPursePolicy)).rejects.toThrow(/NotAnOperator/);
    expect(await purse.read('pursePolicyOf', [alice.address])).toEqual({
      maxLocked: 0n,
      maxCap: 0n,
      maxCount: 0,
      maxValidity: 0n,
    });
  });

  it('opens a purse at every limit exactly', async () => {
    const { certificate } = await daveTerms(
      { locked: policy2.maxLocked, cap: policy2.maxCap, maxCount: policy2.maxCount },
      policy2.maxValidity,
    );
    await purse.openPurse(dave.key, certificate);
    expect((await purse.purseOf(certificate.purse)).locked).toBe(policy2.maxLocked);
  });

  it.each([
    ['more locked', { locked: policy2.maxLocked + 1n }, 86_400n],
    ['a larger cap', { cap: policy2.maxCap + 1n, locked: policy2.maxLocked }, 86_400n],
    ['more payments', { maxCount: policy2.maxCount + 1 }, 86_400n],
    ['a longer validity', {}, policy2.maxValidity + 1n],
  ] as const)(
    'refuses %s than the policy allows, changing nothing',
    async (_, overrides, validity) => {
      const { certificate } = await daveTerms(overrides, validity);
      await refused(dave, certificate, /OutsidePolicy/);
    },
  );

  it('refuses every purse of an operator without a policy (or that withdrew it)', async () => {
    await purse.setPolicy(operator2Key, {
      maxLocked: 0n,
      maxCap: 0n,
      maxCount: 0,
      maxValidity: 0n,
    });
    const { certificate } = await daveTerms({ locked: 1_00n, cap: 1_00n, maxCount: 1 });
    await refused(dave, certificate, /OutsidePolicy/);
  });

  /** As open's refusals: dave's money, epoch and the purse untouched. */
  async function refused(sender: Party, certificate: PurseCertificate, error: RegExp) {
    const before = await stateOf(certificate.purse, dave.address);
    await expect(purse.openPurse(sender.key, certificate)).rejects.toThrow(error);
    expect(await stateOf(certificate.purse, dave.address)).toEqual(before);
  }
});

describe('settle', () => {
  it('pays each voucher exactly once; submitting it again, even in one batch, changes nothing', async () => {
    const { certificate, chain } = await openAlicePurse();
    const v1 = await chain.pay(bob.address, 10_00n);
    const v2 = await chain.pay(carol.address, 20_00n);
    const v3 = await chain.pay(bob.address, 5_00n);
    const receipt = await purse.settle(stranger.key, [v1, v2, v1, v3, v2]);
    expect(purse.events(receipt, 'VoucherSettled')).toEqual([
      {
        purse: certificate.purse,
        voucherHash: v1.hash,
        payee: bob.address,
        amount: 10_00n,
        fromGuarantee: 0n,
      },
      {
        purse: certificate.purse,
        voucherHash: v2.hash,
        payee: carol.address,
        amount: 20_00n,
        fromGuarantee: 0n,
      },
      {
        purse: certificate.purse,
        voucherHash: v3.hash,
        payee: bob.address,
        amount: 5_00n,
        fromGuarantee: 0n,
      },
    ]);
    expect(await purse.balance(bob.address)).toBe(15_00n);
    expect(await purse.balance(carol.address)).toBe(20_00n);
    expect((await purse.purseOf(certificate.purse)).paid).toBe(35_00n);
    for (const v of [v1, v2, v3]) expect(await purse.read('isSettled', [v.voucher])).toBe(true);
    expect(await purse.read('settledTag', [certificate.purse, 2])).toBe(v2.hash.slice(0, 34));

    const before = await stateOf(certificate.purse, alice.address);
    const again = await purse.settle(stranger.key, [v3, v2, v1]);
    expect(again.logs).toEqual([]);
    expect(await stateOf(certificate.purse, alice.address)).toEqual(before);
  });

  it('pays vouchers of several purses in one batch, one transfer per payee', async () => {
    const a = await openAlicePurse();
    const { certificate, purseKey } = await purse.certificateFor(dave.address, operator2);
    await purse.openPurse(dave.key, certificate);
    const d = purse.voucherChain(purseKey, certificate);
    const batch = [
      await a.chain.pay(bob.address, 1_00n),
      await d.pay(bob.address, 2_00n),
      await a.chain.pay(carol.address, 3_00n),
      await d.pay(bob.address, 4_00n),
    ];
    const receipt = await purse.settle(stranger.key, batch);
    expect(purse.events(receipt, 'VoucherSettled')).toHaveLength(4);
    expect(await purse.balance(bob.address)).toBe(7_00n);
    expect(await purse.balance(carol.address)).toBe(3_00n);
    expect((await purse.purseOf(a.certificate.purse)).paid).toBe(4_00n);
    expect((await purse.purseOf(certificate.purse)).paid).toBe(6_00n);
    // Bob's three vouchers arrive in one Transfer.
    const transfers = receipt.logs.filter(
      (log) => log.address.toLowerCase() === ledger.profile.contracts.currency.toLowerCase(),
    );
    expect(transfers).toHaveLength(2);
  });

  describe('rejects an invalid voucher, changing nothing, and pays the valid ones beside it', () => {
    type Case = [
      string,
      number,
      (ctx: Awaited<ReturnType<typeof openAlicePurse>>) => Promise<SignedVoucher>,
    ];
    const tamper = async (
      ctx: Awaited<ReturnType<typeof openAlicePurse>>,
      fields: Partial<Voucher>,
      key?: Hex,
    ) => {
      const voucher: Voucher = {
        purse: ctx.certificate.purse,
        epoch: ctx.certificate.epoch,
        payee: bob.address,
        amount: 1_00n,
        counter: 1,
        cumulative: 1_00n,
        prevVoucherHash: zeroHash,
        issuedAt: ctx.certificate.validFrom + 60n,
        ...fields,
      };
      return purse.signVoucher(key ?? ctx.purseKey, voucher);
    };
    const cases: Case[] = [
      [
        'for a purse never opened',
        1,
        async () => {
          const key = generatePrivateKey();
          return purse.signVoucher(key, {
            purse: privateKeyToAccount(key).address,
            epoch: 0,
            payee: bob.address,
            amount: 1_00n,
            counter: 1,
            cumulative: 1_00n,
            prevVoucherHash: zeroHash,
            issuedAt: await ledger.now(),
          });
        },
      ],
      ['not signed by the purse key', 3, (ctx) => tamper(ctx, {}, generatePrivateKey())],
      [
        'with a signature of another voucher',
        3,
        async (ctx) => {
          const signed = await tamper(ctx, {});
          const voucher = { ...signed.voucher, amount: 2_00n, cumulative: 2_00n };
          return { ...signed, voucher, hash: voucherHash(purse.domain(), voucher) };
        },
      ],
      ['of another epoch', 4, (ctx) => tamper(ctx, { epoch: 1 })],
      ['at counter 0', 5, (ctx) => tamper(ctx, { counter: 0 })],
      ['over the count', 5, (ctx) => tamper(ctx, { counter: 11 })],
      ['of nothing', 6, (ctx) => tamper(ctx, { amount: 0n })],
      ['over the cap', 6, (ctx) => tamper(ctx, { amount: 50_01n, cumulative: 50_01n })],
      ['paying more than its running total', 7, (ctx) => tamper(ctx, { amount: 2_00n })],
      ['beyond the locked amount', 7, (ctx) => tamper(ctx, { cumulative: 100_01n })],
      [
        'issued before the certificate’s validity',
        8,
        (ctx) => tamper(ctx, { issuedAt: ctx.certificate.validFrom - 1n }),
      ],
      [
        'issued after the certificate’s validity',
        8,
        (ctx) => tamper(ctx, { issuedAt: ctx.certificate.validUntil + 1n }),
      ],
      ['to an unregistered payee', 9, (ctx) => tamper(ctx, { payee: stranger.address })],
      ['to the purse contract itself', 9, (ctx) => tamper(ctx, { payee: purse.address() })],
    ];
    it.each(cases)('%s (reason %i)', async (_, reason, make) => {
      const ctx = await openAlicePurse();
      const bad = await make(ctx);
      const before = await stateOf(ctx.certificate.purse, alice.address);
      const receipt = await purse.settle(stranger.key, [bad]);
      expect(purse.events(receipt, 'VoucherRejected')).toEqual([
        { purse: bad.voucher.purse, voucherHash: bad.hash, reason },
      ]);
      expect(await stateOf(ctx.certificate.purse, alice.address)).toEqual(before);
      expect(await purse.read('isSettled', [bad.voucher])).toBe(false);

      // Beside valid vouchers, only it is left out (the batch does not revert).
      const good = await ctx.chain.pay(carol.address, 3_00n);
      const mixed = await purse.settle(stranger.key, [bad, good]);
      expect(purse.events(mixed, 'VoucherRejected')).toHaveLength(1);
      expect(purse.events(mixed, 'VoucherSettled')).toHaveLength(1);
      expect(await purse.balance(carol.address)).toBe(3_00n);
    });
  });

  it('pays a frozen payee’s voucher once it is unfrozen (retriable)', async () => {
    const { chain } = await openAlicePurse();
    const v1 = await chain.pay(bob.address, 4_00n);
    await send(devKeys.operator, 'currency', 'freeze', [bob.address]);
    const first = await purse.settle(stranger.key, [v1]);
    expect(purse.events(first, 'VoucherRejected')).toEqual([
      { purse: v1.voucher.purse, voucherHash: v1.hash, reason: 9 },
    ]);
    await send(devKeys.operator, 'currency', 'unfreeze', [bob.address]);
    await purse.settle(stranger.key, [v1]);
    expect(await purse.balance(bob.address)).toBe(4_00n);
  });

  it('pays an unregistered payee’s voucher once the payee is registered (retriable)', async () => {
    const { certificate, chain } = await openAlicePurse();
    const v1 = await chain.pay(stranger.address, 4_00n);
    const before = await stateOf(certificate.purse, alice.address);
    await purse.settle(bob.key, [v1]);
    expect(await stateOf(certificate.purse, alice.address)).toEqual(before);
    await send(devKeys.operator, 'currency', 'registerAccount', [
      stranger.address,
      keccak256(stranger.address),
    ]);
    const receipt = await purse.settle(bob.key, [v1]);
    expect(purse.events(receipt, 'VoucherSettled')).toHaveLength(1);
    expect(await purse.balance(stranger.address)).toBe(4_00n);
  });

  it('changes nothing after the purse is closed', async () => {
    const { certificate, chain } = await openAlicePurse();
    const v1 = await chain.pay(bob.address, 4_00n);
    await passThaw(certificate);
    await purse.send(alice.key, 'close', [certificate.purse]);
    const before = await stateOf(certificate.purse, alice.address);
    const receipt = await purse.settle(stranger.key, [v1]);
    expect(purse.events(receipt, 'VoucherRejected')).toEqual([
      { purse: certificate.purse, voucherHash: v1.hash, reason: 2 },
    ]);
    expect(await stateOf(certificate.purse, alice.address)).toEqual(before);
  });

  it('refuses vouchers and signatures that do not pair up', async () => {
    const { chain } = await openAlicePurse();
    const v1 = await chain.pay(bob.address, 4_00n);
    await expect(
      purse.send(stranger.key, 'settle', [[v1.voucher], [v1.signature, v1.signature]]),
    ).rejects.toThrow(/LengthMismatch/);
  });
});

describe('fraud', () => {
  /** A second voucher signed by the purse key, outside its honest chain. */
  const forged = (ctx: Awaited<ReturnType<typeof openAlicePurse>>, voucher: Voucher) =>
    purse.signVoucher(ctx.purseKey, voucher);

  async function proven(
    ctx: Awaited<ReturnType<typeof openAlicePurse>>,
    a: SignedVoucher,
    b: SignedVoucher,
  ) {
    const receipt = await purse.send(stranger.key, 'proveFraud', [
      a.voucher,
      a.signature,
      b.voucher,
      b.signature,
    ]);
    expect(purse.events(receipt, 'FraudProven')).toEqual([
      { purse: ctx.certificate.purse, owner: alice.address, a: a.hash, b: b.hash },
    ]);
    expect((await purse.purseOf(ctx.certificate.purse)).frozen).toBe(true);
    expect(await read('currency', 'isFrozen', [alice.address])).toBe(true);
    expect(await purse.read('isDefrauder', [alice.address])).toBe(true);
    // The owner's frozen account pays no one; the purse refuses to close.
    await expect(send(alice.key, 'currency', 'transfer', [bob.address, 1n])).rejects.toThrow(
      /AccountIsFrozen/,
    );
    await passThaw(ctx.certificate);
    await expect(purse.send(alice.key, 'close', [ctx.certificate.purse])).rejects.toThrow(
      /PurseIsFrozen/,
    );
  }

  it('accepts two vouchers whose ranges overlap', async () => {
    const ctx = await openAlicePurse();
    const v1 = await ctx.chain.pay(bob.address, 10_00n); // [0, 10.00)
    // Counter 2 after v1, but claiming [5.00, 15.00): it overlaps v1.
    const overlap = await forged(ctx, {
      ...v1.voucher,
      payee: carol.address,
      counter: 2,
      cumulative: 15_00n,
      prevVoucherHash: v1.hash,
    });
    await proven(ctx, v1, overlap);
  });

  it('accepts two vouchers at one counter, even with disjoint ranges', async () => {
    const ctx = await openAlicePurse();
    await ctx.chain.pay(bob.address, 10_00n); // v1: [0, 10)
    const v2 = await ctx.chain.pay(bob.address, 10_00n); // [10, 20), counter 2, prev v1
    const other = await forged(ctx, {
      ...v2.voucher,
      payee: carol.address,
      cumulative: 30_00n, // [20, 30)
      prevVoucherHash: keccak256('0x01'),
    });
    await proven(ctx, v2, other);
  });

  it('accepts two vouchers that name the same previous voucher (a fork)', async () => {
    const ctx = await openAlicePurse();
    await ctx.chain.pay(bob.address, 10_00n); // v1: [0, 10)
    const v2 = await ctx.chain.pay(bob.address, 10_00n); // counter 2 [10, 20), prev v1
    const fork = await forged(ctx, {
      ...v2.voucher,
      payee: carol.address,
      counter: 3,
      cumulative: 30_00n, // [20, 30): no overlap, another counter
    });
    await proven(ctx, v2, fork);
  });

  it('refuses pairs that prove nothing, changing nothing', async () => {
    const ctx = await openAlicePurse();
    const v1 = await ctx.chain.pay(bob.address, 10_00n);
    const v2 = await ctx.chain.pay(carol.address, 10_00n);
    const other = await openOtherPurse();
    const w1 = await other.chain.pay(bob.address, 10_00n);
    const wrongKey = await purse.signVoucher(generatePrivateKey(), {
      ...v1.voucher,
      payee: carol.address,
    });
    const before = await stateOf(ctx.certificate.purse, alice.address);
    const pairs: [SignedVoucher, SignedVoucher][] = [
      [v1, v2], // an honest chain
      [v1, v1], // one voucher twice
      [v1, w1], // two purses
      [v1, wrongKey], // the second not signed by the purse key
    ];
    for (const [a, b] of pairs) {
      await expect(
        purse.send(stranger.key, 'proveFraud', [a.voucher, a.signature, b.voucher, b.signature]),
      ).rejects.toThrow(/NotFraud/);
    }
    expect(await stateOf(ctx.certificate.purse, alice.address)).toEqual(before);
  });

  /** A second purse of alice's (her next epoch). */
  async function openOtherPurse() {
    return openAlicePurse();
  }

  it('detects two vouchers at one counter at settle and pays both payees: the purse, then the guarantee pool', async () => {
    const ctx = await openAlicePurse({ cap: 100_00n });
    const v1 = await ctx.chain.pay(bob.address, 80_00n);
    const twin = await forged(ctx, { ...v1.voucher, payee: carol.address });
    const first = await purse.settle(stranger.key, [v1]);
    expect(purse.events(first, 'FraudProven')).toEqual([]);
    const receipt = await purse.settle(stranger.key, [twin]);
    expect(purse.events(receipt, 'FraudProven')).toEqual([
      {
        purse: ctx.certificate.purse,
        owner: alice.address,
        a: `${v1.hash.slice(0, 34)}${'0'.repeat(32)}`,
        b: twin.hash,
      },
    ]);
    expect(purse.events(receipt, 'VoucherSettled')).toEqual([
      {
        purse: ctx.certificate.purse,
        voucherHash: twin.hash,
        payee: carol.address,
        amount: 80_00n,
        fromGuarantee: 60_00n,
      },
    ]);
    expect(await purse.balance(bob.address)).toBe(80_00n);
    expect(await purse.balance(carol.address)).toBe(80_00n);
    expect(await purse.purseOf(ctx.certificate.purse)).toMatchObject({
      paid: 100_00n,
      fromGuarantee: 60_00n,
      frozen: true,
    });
    expect(await purse.read('guaranteeOf', [operator])).toBe(devOperatorGuarantee - 60_00n);
    expect(await read('currency', 'isFrozen', [alice.address])).toBe(true);
    expect(await purse.read('isDefrauder', [alice.address])).toBe(true);
    // Both stay paid once: settling either again changes nothing.
    expect(await purse.read('isSettled', [twin.voucher])).toBe(true);
    const before = await stateOf(ctx.certificate.purse, alice.address);
    await purse.settle(stranger.key, [twin, v1]);
    expect(await stateOf(ctx.certificate.purse, alice.address)).toEqual(before);
  });

  it('detects a double spend at settle when the purse would pay beyond its locked amount', async () => {
    const ctx = await openAlicePurse({ cap: 100_00n });
    const v1 = await ctx.chain.pay(bob.address, 70_00n); // [0, 70)
    // Counter 2, claiming [0, 70) again: each voucher alone looks fine.
    const again = await forged(ctx, {
      ...v1.voucher,
      payee: carol.address,
      counter: 2,
      prevVoucherHash: v1.hash,
    });
    const receipt = await purse.settle(stranger.key, [v1, again]);
    expect(purse.events(receipt, 'FraudProven')).toEqual([
      { purse: ctx.certificate.purse, owner: alice.address, a: zeroHash, b: again.hash },
    ]);
    expect(await purse.balance(bob.address)).toBe(70_00n);
    expect(await purse.balance(carol.address)).toBe(70_00n);
    expect(await purse.purseOf(ctx.certificate.purse)).toMatchObject({
      paid: 100_00n,
      fromGuarantee: 40_00n,
      frozen: true,
    });
    expect(await read('currency', 'isFrozen', [alice.address])).toBe(true);
  });

  it('pays a defrauder who is also a payee in the batch, then freezes it: the batch does not revert', async () => {
    // Dave pays alice offline; alice double-spends her purse; one batch holds all three.
    const { certificate, purseKey } = await purse.certificateFor(dave.address, operator2);
    await purse.openPurse(dave.key, certificate);
    const toAlice = await purse.voucherChain(purseKey, certificate).pay(alice.address, 5_00n);
    const ctx = await openAlicePurse();
    const v1 = await ctx.chain.pay(bob.address, 10_00n);
    const twin = await forged(ctx, { ...v1.voucher, payee: carol.address });
    const receipt = await purse.settle(stranger.key, [toAlice, v1, twin]);
    expect(purse.events(receipt, 'VoucherSettled')).toHaveLength(3);
    expect(purse.events(receipt, 'FraudProven')).toHaveLength(1);
    expect(await purse.balance(alice.address)).toBe(START - ctx.certificate.locked + 5_00n);
    expect(await read('currency', 'isFrozen', [alice.address])).toBe(true);
    expect(await purse.balance(bob.address)).toBe(10_00n);
    expect(await purse.balance(carol.address)).toBe(10_00n);
  });

  it('leaves a voucher the guarantee pool cannot cover unsettled, and pays it once the pool can', async () => {
    const { certificate, purseKey } = await purse.certificateFor(dave.address, operator2, {
      cap: 100_00n,
    });
    await purse.openPurse(dave.key, certificate);
    const chain = purse.voucherChain(purseKey, certificate);
    const v1 = await chain.pay(bob.address, 90_00n);
    const twin = await purse.signVoucher(purseKey, { ...v1.voucher, payee: carol.address });
    await purse.settle(stranger.key, [v1]);
    const short = await purse.settle(stranger.key, [twin]);
    expect(purse.events(short, 'VoucherRejected')).toEqual([
      { purse: certificate.purse, voucherHash: twin.hash, reason: 10 },
    ]);
    // The fraud is proven all the same: the purse and dave freeze.
    expect((await purse.purseOf(certificate.purse)).frozen).toBe(true);
    expect(await read('currency', 'isFrozen', [dave.address])).toBe(true);
    expect(await purse.balance(carol.address)).toBe(0n);
    expect(await purse.read('isSettled', [twin.voucher])).toBe(false);

    await purse.sendCurrency(operator2Key, 'approve', [purse.address(), 100_00n]);
    await purse.send(operator2Key, 'depositGuarantee', [100_00n]);
    await purse.settle(stranger.key, [twin]);
    expect(await purse.balance(carol.address)).toBe(90_00n);
    expect(await purse.read('guaranteeOf', [operator2])).toBe(20_00n);
  });
});

describe('fraud limits', () => {
  it('pays twins at one counter only up to maxCount × cap in all: 6 twins cannot drain the guarantee pool', async () => {
    // Certified exposure: 3 payments of at most 40.00 = 120.00 (100.00 locked).
    const ctx = await openAlicePurse({ cap: 40_00n, maxCount: 3 });
    const v1 = await ctx.chain.pay(bob.address, 40_00n);
    const twins: SignedVoucher[] = [];
    for (let i = 1n; i <= 6n; i++) {
      twins.push(
        await purse.signVoucher(ctx.purseKey, {
          ...v1.voucher,
          payee: carol.address,
          issuedAt: v1.voucher.issuedAt + i,
        }),
      );
    }
    const receipt = await purse.settle(stranger.key, [v1, ...twins]);
    // v1 and twin 1 from the purse, twin 2 half from the pool (120.00 in all); then no more.
    expect(purse.events(receipt, 'VoucherSettled').map((e) => e.fromGuarantee)).toEqual([
      0n,
      0n,
      20_00n,
    ]);
    expect(purse.events(receipt, 'VoucherRejected')).toEqual(
      twins
        .slice(2)
        .map((t) => ({ purse: ctx.certificate.purse, voucherHash: t.hash, reason: 11 })),
    );
    expect(purse.events(receipt, 'FraudProven')).toHaveLength(1);
    expect(await purse.purseOf(ctx.certificate.purse)).toMatchObject({
      paid: 100_00n,
      fromGuarantee: 20_00n,
      frozen: true,
    });
    expect(await purse.read('guaranteeOf', [operator])).toBe(devOperatorGuarantee - 20_00n);
    expect(await purse.balance(carol.address)).toBe(80_00n);

    // Permanent: submitting them again (or in another batch) pays nothing more.
    const before = await stateOf(ctx.certificate.purse, alice.address);
    const again = await purse.settle(stranger.key, twins.slice(2));
    expect(purse.events(again, 'VoucherRejected').map((e) => e.reason)).toEqual([11, 11, 11, 11]);
    expect(await stateOf(ctx.certificate.purse, alice.address)).toEqual(before);
    for (const t of twins.slice(2)) expect(await purse.read('isSettled', [t.voucher])).toBe(false);
  });

  it('refuses a replayed fraud proof: an owner its operator unfroze stays unfrozen', async () => {
    const ctx = await openAlicePurse();
    const v1 = await ctx.chain.pay(bob.address, 10_00n);
    const twin = await purse.signVoucher(ctx.purseKey, { ...v1.voucher, payee: carol.address });
    await purse.send(stranger.key, 'proveFraud', [
      v1.voucher,
      v1.signature,
      twin.voucher,
      twin.signature,
    ]);
    await send(devKeys.operator, 'currency', 'unfreeze', [alice.address]);
    const before = await stateOf(ctx.certificate.purse, alice.address);
    for (const [a, b] of [
      [v1, twin],
      [twin, v1],
    ]) {
      await expect(
        purse.send(stranger.key, 'proveFraud', [
          a!.voucher,
          a!.signature,
          b!.voucher,
          b!.signature,
        ]),
      ).rejects.toThrow(/PurseIsFrozen/);
    }
    expect(await stateOf(ctx.certificate.purse, alice.address)).toEqual(before);
    expect(await read('currency', 'isFrozen', [alice.address])).toBe(false);
    // Settling the twins pays both payees and re-freezes no one either.
    await purse.settle(stranger.key, [v1, twin]);
    expect(await read('currency', 'isFrozen', [alice.address])).toBe(false);
    expect(await purse.balance(carol.address)).toBe(10_00n);
  });
});

describe('close', () => {
  it('refunds what no voucher claimed, only after the thaw window', async () => {
    const ctx = await openAlicePurse();
    await purse.settle(stranger.key, [await ctx.chain.pay(bob.address, 30_00n)]);
    const thaw = ctx.certificate.validUntil + devPurseGraceSeconds;
    await expect(purse.send(alice.key, 'close', [ctx.certificate.purse])).rejects.toThrow(
      /NotThawed/,
    );
    // Still refused at the thaw window's last second.
    await ledger.increaseTime(thaw - (await ledger.now()) - 1n);
    await ledger.mine();
    expect(await ledger.now()).toBeLessThan(thaw);
    const before = await stateOf(ctx.certificate.purse, alice.address);
    await expect(purse.send(alice.key, 'close', [ctx.certificate.purse])).rejects.toThrow(
      /NotThawed/,
    );
    expect(await stateOf(ctx.certificate.purse, alice.address)).toEqual(before);

    await passThaw(ctx.certificate);
    const receipt = await purse.send(alice.key, 'close', [ctx.certificate.purse]);
    expect(purse.events(receipt, 'PurseClosed')).toEqual([
      { purse: ctx.certificate.purse, owner: alice.address, refunded: 70_00n },
    ]);
    expect(await purse.balance(alice.address)).toBe(START - 30_00n);
    expect(await purse.balance(purse.address())).toBe(devOperatorGuarantee);
    expect((await purse.purseOf(ctx.certificate.purse)).closed).toBe(true);
    await expect(purse.send(alice.key, 'close', [ctx.certificate.purse])).rejects.toThrow(
      /PurseIsClosed/,
    );
  });

  it('refuses anyone but the owner', async () => {
    const ctx = await openAlicePurse();
    await passThaw(ctx.certificate);
    const before = await stateOf(ctx.certificate.purse, alice.address);
    for (const who of [bob, stranger]) {
      await expect(purse.send(who.key, 'close', [ctx.certificate.purse])).rejects.toThrow(
        /NotPurseOwner/,
      );
    }
    await expect(purse.send(devKeys.operator, 'close', [ctx.certificate.purse])).rejects.toThrow(
      /NotPurseOwner/,
    );
    expect(await stateOf(ctx.certificate.purse, alice.address)).toEqual(before);
  });

  it('refuses a purse frozen for fraud', async () => {
    const ctx = await openAlicePurse();
    const v1 = await ctx.chain.pay(bob.address, 10_00n);
    const twin = await purse.signVoucher(ctx.purseKey, { ...v1.voucher, payee: carol.address });
    await purse.send(stranger.key, 'proveFraud', [
      v1.voucher,
      v1.signature,
      twin.voucher,
      twin.signature,
    ]);
    await passThaw(ctx.certificate);
    const before = await stateOf(ctx.certificate.purse, alice.address);
    await expect(purse.send(alice.key, 'close', [ctx.certificate.purse])).rejects.toThrow(
      /PurseIsFrozen/,
    );
    expect(await stateOf(ctx.certificate.purse, alice.address)).toEqual(before);
  });

  it('refuses a purse never opened', async () => {
    await expect(
      purse.send(alice.key, 'close', [privateKeyToAccount(generatePrivateKey()).address]),
    ).rejects.toThrow(/UnknownPurse/);
  });
});

describe('the currency’s system-contract hook', () => {
  it('answers recoverNotes only to the currency, and a recovery moves nothing of it', async () => {
    const recoverNotes = {
      address: purse.address(),
      abi: parseAbi([
        'function recoverNotes(address lost, address replacement) view returns (uint256, bool)',
        'error NotCurrency(address caller)',
      ]),
      functionName: 'recoverNotes',
      args: [alice.address, bob.address],
    } as const;
    await expect(
      ledger.publicClient.readContract({ ...recoverNotes, account: operator }),
    ).rejects.toThrow(/NotCurrency/);
    expect(
      await ledger.publicClient.readContract({
        ...recoverNotes,
        account: ledger.profile.contracts.currency,
      }),
    ).toEqual([0n, true]);
    await send(devKeys.operator, 'currency', 'freeze', [alice.address]);
    const receipt = await send(devKeys.operator, 'currency', 'recoverFrozen', [
      alice.address,
      bob.address,
    ]);
    expect(receipt.status).toBe('success');
    expect(await purse.balance(bob.address)).toBe(START);
  });
});
