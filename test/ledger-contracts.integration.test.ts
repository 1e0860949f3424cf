/**
 * Behaviour of Signet's ledger contracts on a real Hardhat node: the currency's
 * issuance, registry, freezing, recovery, permit, EIP-3009 and batch payments;
 * the notes' issue, endorse, split, maturity, finance (DvP) and redemption.
 * Each test reverts the chain to the state after the shared setup.
 */
import {
  type Address,
  type Hex,
  hexToBigInt,
  keccak256,
  numberToHex,
  parseEventLogs,
  parseSignature,
  toHex,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSafeArtifacts } from '../ledger/compile.js';
import { devKeys, devOperatorFloat, devOperatorGuarantee } from '../ledger/deploy.js';
import { fundAccount } from '../ledger/dev-chain.js';
import { chainContracts, DAY } from './support/chain-contracts.js';
import { useDevChain } from './support/dev-chain.js';

const ledger = useDevChain();
const { contract, read, send, events, balance, currencyDomain, authorization, financeOffer } =
  chainContracts(ledger);

const centralBank = privateKeyToAccount(devKeys.centralBank);
const operator = privateKeyToAccount(devKeys.operator);
/** Hardhat account 2: appointed as a second operator bank in the setup. */
const operator2Key: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
const operator2 = privateKeyToAccount(operator2Key);
const aliceKey = generatePrivateKey();
const bobKey = generatePrivateKey();
const carolKey = generatePrivateKey();
/** Has ether for gas but was never registered. */
const strangerKey = generatePrivateKey();
const alice = privateKeyToAccount(aliceKey);
const bob = privateKeyToAccount(bobKey);
const carol = privateKeyToAccount(carolKey);
const stranger = privateKeyToAccount(strangerKey);

const START = 10_000_00n; // 10,000.00 each for alice, bob and carol
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

beforeAll(async () => {
  const role = await read<Hex>('currency', 'OPERATOR_ROLE');
  await send(devKeys.centralBank, 'currency', 'grantRole', [role, operator2.address]);
  for (const account of [alice, bob, carol]) await ledger.fund(account.address, START);
  await ledger.wallet(devKeys.centralBank).sendTransaction({
    to: stranger.address,
    value: 10n ** 18n,
  });
});

let snapshot: string;
beforeEach(async () => {
  snapshot = await ledger.snapshot();
});
afterEach(async () => {
  await ledger.revert(snapshot);
});

describe('dev ledger', () => {
  it('deploys a valid profile, seeds the operator and funds accounts', async () => {
    expect(ledger.profile).toMatchObject({ name: 'dev', chainId: 31337, dev: true });
    expect(ledger.profile.devOperatorKey).toBe(devKeys.operator);
    // The operator's guarantee pool in the offline purse contract came out of its float.
    expect(await balance(operator.address)).toBe(
      devOperatorFloat - devOperatorGuarantee - 3n * START,
    );
    expect(await balance(alice.address)).toBe(START);
    expect(await read('currency', 'operatorOf', [alice.address])).toBe(operator.address);
    // Safe is deployed exactly as @safe-global/safe-contracts ships it.
    const safe = await loadSafeArtifacts();
    const code = (address: string) => ledger.publicClient.getCode({ address: address as Address });
    expect(await code(ledger.profile.contracts.safeSingleton)).toBe(safe.SafeL2.deployedBytecode);
    expect(await code(ledger.profile.contracts.multiSendCallOnly)).toBe(
      safe.MultiSendCallOnly.deployedBytecode,
    );
    for (const address of Object.values(ledger.profile.contracts)) {
      expect(
        (await ledger.publicClient.getCode({ address: address as Address }))?.length,
      ).toBeGreaterThan(2);
    }
  });

  it('refuses to fund on a ledger that is not a dev ledger', async () => {
    const { devOperatorKey: _, ...rest } = ledger.profile;
    await expect(fundAccount({ ...rest, dev: false }, alice.address, 1n)).rejects.toMatchObject({
      code: 'NOT_DEV_CHAIN',
    });
  });
});

describe('DigitalCurrency', () => {
  it('uses 2 decimals and the EIP-3009 typehashes of the standard', async () => {
    expect(await read('currency', 'decimals')).toBe(2);
    expect(await read('currency', 'TRANSFER_WITH_AUTHORIZATION_TYPEHASH')).toBe(
      '0x7c7c6cdb67a18743f49ec6fa9b35f50d52ed05cbed4cc592e13b44501c1a2267',
    );
    expect(await read('currency', 'RECEIVE_WITH_AUTHORIZATION_TYPEHASH')).toBe(
      '0xd099cc98ef71107a616c4f0f941f04c322d8e254fe26b3c6668db87aae413de8',
    );
    expect(await read('currency', 'CANCEL_AUTHORIZATION_TYPEHASH')).toBe(
      '0x158b0a9edf7a828aad02f63cd515c68ef2f50ba807396f6d12842833a1597429',
    );
  });

  it('lets only the central bank issue, and only to operators', async () => {
    await expect(
      send(devKeys.operator, 'currency', 'issue', [operator.address, 100n]),
    ).rejects.toThrow(/AccessControlUnauthorizedAccount/);
    await expect(
      send(devKeys.centralBank, 'currency', 'issue', [alice.address, 100n]),
    ).rejects.toThrow(/NotAnOperator/);
    const role = await read<Hex>('currency', 'CENTRAL_BANK_ROLE');
    expect(await read('currency', 'hasRole', [role, centralBank.address])).toBe(true);
    const before = await balance(operator2.address);
    await send(devKeys.centralBank, 'currency', 'issue', [operator2.address, 500_00n]);
    expect(await balance(operator2.address)).toBe(before + 500_00n);
  });

  it('lets only operators register accounts, and records which one did', async () => {
    const ref = keccak256(toHex('customer 42'));
    await expect(
      send(aliceKey, 'currency', 'registerAccount', [stranger.address, ref]),
    ).rejects.toThrow(/AccessControlUnauthorizedAccount/);
    const receipt = await send(operator2Key, 'currency', 'registerAccount', [
      stranger.address,
      ref,
    ]);
    expect(events(receipt, 'currency', 'AccountRegistered')).toEqual([
      { account: stranger.address, operator: operator2.address, customerRef: ref },
    ]);
    expect(await read('currency', 'isRegistered', [stranger.address])).toBe(true);
    expect(await read('currency', 'operatorOf', [stranger.address])).toBe(operator2.address);
    await expect(
      send(devKeys.operator, 'currency', 'registerAccount', [stranger.address, ref]),
    ).rejects.toThrow(/AlreadyRegistered/);
  });

  it('refuses payments to unregistered accounts', async () => {
    await expect(send(aliceKey, 'currency', 'transfer', [stranger.address, 1n])).rejects.toThrow(
      /NotRegistered/,
    );
    // Approval is free, but the money still cannot land on an unregistered account.
    await send(aliceKey, 'currency', 'approve', [stranger.address, 100n]);
    await expect(
      send(strangerKey, 'currency', 'transferFrom', [alice.address, stranger.address, 1n]),
    ).rejects.toThrow(/NotRegistered/);
    expect(await balance(stranger.address)).toBe(0n);
  });

  it('freezes an account in both directions, by its own operator only', async () => {
    await expect(send(operator2Key, 'currency', 'freeze', [alice.address])).rejects.toThrow(
      /NotAccountOperator/,
    );
    const receipt = await send(devKeys.operator, 'currency', 'freeze', [alice.address]);
    expect(events(receipt, 'currency', 'AccountFrozen')).toHaveLength(1);
    expect(await read('currency', 'isFrozen', [alice.address])).toBe(true);
    await expect(send(aliceKey, 'currency', 'transfer', [bob.address, 1n])).rejects.toThrow(
      /AccountIsFrozen/,
    );
    await expect(send(bobKey, 'currency', 'transfer', [alice.address, 1n])).rejects.toThrow(
      /AccountIsFrozen/,
    );
    await send(devKeys.operator, 'currency', 'unfreeze', [alice.address]);
    await send(aliceKey, 'currency', 'transfer', [bob.address, 1n]);
    await send(bobKey, 'currency', 'transfer', [alice.address, 1n]);
  });

  it('recovers the whole balance of a frozen account to a replacement', async () => {
    const replacementKey = generatePrivateKey();
    const replacement = privateKeyToAccount(replacementKey).address;
    await send(devKeys.operator, 'currency', 'registerAccount', [
      replacement,
      keccak256(replacement),
    ]);
    await expect(
      send(devKeys.operator, 'currency', 'recoverFrozen', [alice.address, replacement]),
    ).rejects.toThrow(/AccountNotFrozen/);
    await send(devKeys.operator, 'currency', 'freeze', [alice.address]);
    await expect(
      send(operator2Key, 'currency', 'recoverFrozen', [alice.address, replacement]),
    ).rejects.toThrow(/NotAccountOperator/);
    await expect(
      send(devKeys.operator, 'currency', 'recoverFrozen', [alice.address, stranger.address]),
    ).rejects.toThrow(/ReplacementNotCustomer/);
    const receipt = await send(devKeys.operator, 'currency', 'recoverFrozen', [
      alice.address,
      replacement,
    ]);
    expect(events(receipt, 'currency', 'FundsRecovered')).toEqual([
      { lost: alice.address, replacement, amount: START },
    ]);
    expect(await balance(alice.address)).toBe(0n);
    expect(await balance(replacement)).toBe(START);
  });

  it('accepts an EIP-2612 permit signed offline, once', async () => {
    const domain = currencyDomain();
    const deadline = (await ledger.now()) + DAY;
    const message = {
      owner: alice.address,
      spender: bob.address,
      value: 250_00n,
      nonce: await read<bigint>('currency', 'nonces', [alice.address]),
      deadline,
    };
    const signature = parseSignature(
      await alice.signTypedData({
        domain,
        types: {
          Permit: [
            { name: 'owner', type: 'address' },
            { name: 'spender', type: 'address' },
            { name: 'value', type: 'uint256' },
            { name: 'nonce', type: 'uint256' },
            { name: 'deadline', type: 'uint256' },
          ],
        },
        primaryType: 'Permit',
        message,
      }),
    );
    const args = [
      alice.address,
      bob.address,
      message.value,
      deadline,
      Number(signature.v),
      signature.r,
      signature.s,
    ];
    await send(carolKey, 'currency', 'permit', args); // anyone may submit it
    expect(await read('currency', 'allowance', [alice.address, bob.address])).toBe(250_00n);
    await send(bobKey, 'currency', 'transferFrom', [alice.address, carol.address, 250_00n]);
    expect(await balance(carol.address)).toBe(START + 250_00n);
    await expect(send(carolKey, 'currency', 'permit', args)).rejects.toThrow(
      /ERC2612InvalidSigner/,
    );
  });

  describe('EIP-3009', () => {
    it('executes a transferWithAuthorization once and rejects its replay', async () => {
      const auth = await authorization(aliceKey, 'TransferWithAuthorization', bob.address, 12_34n);
      const receipt = await send(carolKey, 'currency', 'transferWithAuthorization', auth.args);
      expect(events(receipt, 'currency', 'AuthorizationUsed')).toEqual([
        { authorizer: alice.address, nonce: auth.nonce },
      ]);
      expect(await balance(alice.address)).toBe(START - 12_34n);
      expect(await balance(bob.address)).toBe(START + 12_34n);
      expect(await read('currency', 'authorizationState', [alice.address, auth.nonce])).toBe(true);
      await expect(
        send(carolKey, 'currency', 'transferWithAuthorization', auth.args),
      ).rejects.toThrow(/AuthorizationAlreadyUsed/);
    });

    it('rejects an authorisation signed by someone else than the payer', async () => {
      const auth = await authorization(bobKey, 'TransferWithAuthorization', bob.address, 1n, {
        from: alice.address,
      });
      await expect(
        send(bobKey, 'currency', 'transferWithAuthorization', auth.args),
      ).rejects.toThrow(/InvalidAuthorizationSigner/);
    });

    it('honours the validity window', async () => {
      const now = await ledger.now();
      const early = await authorization(aliceKey, 'TransferWithAuthorization', bob.address, 1n, {
        validAfter: now + DAY,
      });
      await expect(
        send(bobKey, 'currency', 'transferWithAuthorization', early.args),
      ).rejects.toThrow(/AuthorizationNotYetValid/);
      const late = await authorization(aliceKey, 'TransferWithAuthorization', bob.address, 1n, {
        validBefore: now,
      });
      await expect(
        send(bobKey, 'currency', 'transferWithAuthorization', late.args),
      ).rejects.toThrow(/AuthorizationExpired/);
    });

    it('lets the payer cancel an unused authorisation', async () => {
      const auth = await authorization(aliceKey, 'TransferWithAuthorization', bob.address, 5_00n);
      const cancel = parseSignature(
        await alice.signTypedData({
          domain: currencyDomain(),
          types: {
            CancelAuthorization: [
              { name: 'authorizer', type: 'address' },
              { name: 'nonce', type: 'bytes32' },
            ],
          },
          primaryType: 'CancelAuthorization',
          message: { authorizer: alice.address, nonce: auth.nonce },
        }),
      );
      const receipt = await send(bobKey, 'currency', 'cancelAuthorization', [
        alice.address,
        auth.nonce,
        Number(cancel.v),
        cancel.r,
        cancel.s,
      ]);
      expect(events(receipt, 'currency', 'AuthorizationCanceled')).toHaveLength(1);
      await expect(
        send(bobKey, 'currency', 'transferWithAuthorization', auth.args),
      ).rejects.toThrow(/AuthorizationAlreadyUsed/);
      expect(await balance(bob.address)).toBe(START);
    });

    it('lets only the payee submit a receiveWithAuthorization', async () => {
      const auth = await authorization(aliceKey, 'ReceiveWithAuthorization', bob.address, 7_00n);
      await expect(
        send(carolKey, 'currency', 'receiveWithAuthorization', auth.args),
      ).rejects.toThrow(/CallerMustBePayee/);
      await send(bobKey, 'currency', 'receiveWithAuthorization', auth.args);
      expect(await balance(bob.address)).toBe(START + 7_00n);
      // A transfer authorisation is not a receive authorisation (different typehash).
      const transfer = await authorization(aliceKey, 'TransferWithAuthorization', bob.address, 1n);
      await expect(
        send(bobKey, 'currency', 'receiveWithAuthorization', transfer.args),
      ).rejects.toThrow(/InvalidAuthorizationSigner/);
    });

    it('rejects the high-s twin of a valid signature', async () => {
      const auth = await authorization(aliceKey, 'TransferWithAuthorization', bob.address, 3_00n);
      const [from, to, value, validAfter, validBefore, n, v, r, s] = auth.args as [
        Address,
        Address,
        bigint,
        bigint,
        bigint,
        Hex,
        number,
        Hex,
        Hex,
      ];
      // (r, n - s) with the other parity recovers the same signer with plain ecrecover.
      const highS = numberToHex(SECP256K1_N - hexToBigInt(s), { size: 32 });
      const twin = [from, to, value, validAfter, validBefore, n, v === 27 ? 28 : 27, r, highS];
      await expect(send(carolKey, 'currency', 'transferWithAuthorization', twin)).rejects.toThrow(
        /ECDSAInvalidSignatureS/,
      );
      await send(carolKey, 'currency', 'transferWithAuthorization', auth.args);
      expect(await balance(bob.address)).toBe(START + 3_00n);
    });
  });

  it('pays many accounts in one batch, all or nothing', async () => {
    const receipt = await send(aliceKey, 'currency', 'transferBatch', [
      [bob.address, carol.address, bob.address],
      [1_00n, 2_00n, 3_00n],
    ]);
    expect(events(receipt, 'currency', 'Transfer')).toHaveLength(3);
    expect(await balance(alice.address)).toBe(START - 6_00n);
    expect(await balance(bob.address)).toBe(START + 4_00n);
    expect(await balance(carol.address)).toBe(START + 2_00n);
    await expect(
      send(aliceKey, 'currency', 'transferBatch', [
        [bob.address, stranger.address],
        [1n, 1n],
      ]),
    ).rejects.toThrow(/NotRegistered/);
    await expect(
      send(aliceKey, 'currency', 'transferBatch', [[bob.address], [1n, 2n]]),
    ).rejects.toThrow(/LengthMismatch/);
    expect(await balance(bob.address)).toBe(START + 4_00n);
  });
});

describe('DigitalNote', () => {
  const FACE = 1_000_00n;

  /** Alice (acceptor) issues a note to Bob maturing in 30 days. */
  async function issueNote(payee: Address = bob.address, maturity?: bigint) {
    maturity ??= (await ledger.now()) + 30n * DAY;
    const receipt = await send(aliceKey, 'notes', 'issue', [
      payee,
      FACE,
      ledger.profile.contracts.currency,
      maturity,
    ]);
    const [issued] = events(receipt, 'notes', 'NoteIssued');
    return { tokenId: issued!.tokenId as bigint, maturity, slot: issued!.slot as bigint, receipt };
  }

  async function passMaturity(maturity: bigint) {
    await ledger.increaseTime(maturity - (await ledger.now()));
    await ledger.mine();
    expect(await ledger.now()).toBeGreaterThanOrEqual(maturity);
  }

  const owner = (tokenId: bigint) => read<Address>('notes', 'ownerOf', [tokenId]);
  const value = (tokenId: bigint) => read<bigint>('notes', 'balanceOf', [tokenId]);

  it('issues a note in the slot of (acceptor, currency, maturity)', async () => {
    const { tokenId, maturity, slot, receipt } = await issueNote();
    expect(events(receipt, 'notes', 'NoteIssued')).toEqual([
      { tokenId, acceptor: alice.address, payee: bob.address, slot, faceValue: FACE, maturity },
    ]);
    expect(await owner(tokenId)).toBe(bob.address);
    expect(await value(tokenId)).toBe(FACE);
    expect(await read('notes', 'valueDecimals')).toBe(2);
    expect(await read('notes', 'slotOf', [tokenId])).toBe(slot);
    expect(
      await read('notes', 'slotFor', [alice.address, ledger.profile.contracts.currency, maturity]),
    ).toBe(slot);
    expect(await read('notes', 'slotInfo', [slot])).toEqual([
      alice.address,
      ledger.profile.contracts.currency,
      maturity,
    ]);
  });

  it('refuses notes from or to unregistered accounts, or already due', async () => {
    const maturity = (await ledger.now()) + DAY;
    const currency = ledger.profile.contracts.currency;
    await expect(
      send(strangerKey, 'notes', 'issue', [bob.address, FACE, currency, maturity]),
    ).rejects.toThrow(/NotRegistered/);
    await expect(
      send(aliceKey, 'notes', 'issue', [stranger.address, FACE, currency, maturity]),
    ).rejects.toThrow(/NotRegistered/);
    await expect(
      send(aliceKey, 'notes', 'issue', [bob.address, FACE, currency, await ledger.now()]),
    ).rejects.toThrow(/MaturityNotInFuture/);
  });

  it('endorses a whole note and splits one, keeping the total value', async () => {
    const { tokenId } = await issueNote();
    await send(bobKey, 'notes', 'transferFrom', [bob.address, carol.address, tokenId]);
    expect(await owner(tokenId)).toBe(carol.address);

    const receipt = await send(carolKey, 'notes', 'transferFrom', [tokenId, bob.address, 300_00n]);
    const minted = parseEventLogs({
      abi: contract('notes').abi,
      logs: receipt.logs,
      eventName: 'Transfer',
    }).map((log) => (log as unknown as { args: { _to: Address; _tokenId: bigint } }).args);
    // ERC-3525's events keep the reference implementation's _underscored argument names.
    const splitId = minted.find((t) => t._to === bob.address)!._tokenId;
    expect(await owner(splitId)).toBe(bob.address);
    expect(await value(splitId)).toBe(300_00n);
    expect(await value(tokenId)).toBe(700_00n);
    expect((await value(splitId)) + (await value(tokenId))).toBe(FACE);
    expect(await read('notes', 'slotOf', [splitId])).toBe(await read('notes', 'slotOf', [tokenId]));
  });

  it('refuses an unregistered recipient', async () => {
    const { tokenId } = await issueNote();
    await expect(
      send(bobKey, 'notes', 'transferFrom', [bob.address, stranger.address, tokenId]),
    ).rejects.toThrow(/NotRegistered/);
    await expect(
      send(bobKey, 'notes', 'transferFrom', [tokenId, stranger.address, 1n]),
    ).rejects.toThrow(/NotRegistered/);
    expect(await owner(tokenId)).toBe(bob.address);
  });

  it('stops notes changing hands at maturity', async () => {
    const { tokenId, maturity } = await issueNote();
    const other = await issueNote(carol.address, maturity); // same slot
    await passMaturity(maturity);
    await expect(
      send(bobKey, 'notes', 'transferFrom', [bob.address, carol.address, tokenId]),
    ).rejects.toThrow(/NoteMatured/);
    await expect(
      send(bobKey, 'notes', 'transferFrom', [tokenId, carol.address, 1n]),
    ).rejects.toThrow(/NoteMatured/);
    // Merging value into an existing note of the same slot is a transfer too.
    await expect(
      send(bobKey, 'notes', 'transferFrom', [tokenId, other.tokenId, 1n]),
    ).rejects.toThrow(/NoteMatured/);
    expect(await owner(tokenId)).toBe(bob.address);
  });

  describe('finance', () => {
    const bank = operator;
    const bankKey = devKeys.operator;

    const offer = (
      tokenId: bigint,
      value: bigint,
      price: bigint,
      signerKey: Hex = bobKey,
      overrides: { deadline?: bigint; bank?: Address } = {},
    ) =>
      financeOffer(signerKey, {
        tokenId,
        value,
        price,
        bank: overrides.bank ?? bank.address,
        deadline: overrides.deadline,
      });

    it('is atomic: without the bank’s allowance nothing moves, and the offer stays usable', async () => {
      const { tokenId } = await issueNote();
      const o = await offer(tokenId, 400_00n, 390_00n);
      expect(await read('notes', 'hashFinanceOffer', [o.message])).toBe(o.digest);
      await expect(send(bankKey, 'notes', 'finance', [o.message, o.signature])).rejects.toThrow(
        /ERC20InsufficientAllowance/,
      );
      expect(await owner(tokenId)).toBe(bob.address);
      expect(await value(tokenId)).toBe(FACE);
      expect(await balance(bob.address)).toBe(START);
      expect(await read('notes', 'financeNonceUsed', [bob.address, o.message.nonce])).toBe(false);

      // The same signed offer goes through once the bank has approved the note contract.
      await send(bankKey, 'currency', 'approve', [ledger.profile.contracts.notes, 390_00n]);
      await send(bankKey, 'notes', 'finance', [o.message, o.signature]);
      expect(await balance(bob.address)).toBe(START + 390_00n);
    });

    it('moves part of a note to the bank against payment, once', async () => {
      const { tokenId } = await issueNote();
      await send(bankKey, 'currency', 'approve', [ledger.profile.contracts.notes, 10_000_00n]);
      const bankBefore = await balance(bank.address);
      const o = await offer(tokenId, 400_00n, 390_00n);
      const receipt = await send(bankKey, 'notes', 'finance', [o.message, o.signature]);
      const [financed] = events(receipt, 'notes', 'NoteFinanced');
      expect(financed).toMatchObject({
        tokenId,
        holder: bob.address,
        bank: bank.address,
        value: 400_00n,
        price: 390_00n,
      });
      const bankTokenId = financed!.bankTokenId as bigint;
      expect(bankTokenId).not.toBe(tokenId);
      expect(await owner(bankTokenId)).toBe(bank.address);
      expect(await value(bankTokenId)).toBe(400_00n);
      expect(await value(tokenId)).toBe(600_00n);
      expect(await balance(bob.address)).toBe(START + 390_00n);
      expect(await balance(bank.address)).toBe(bankBefore - 390_00n);

      await expect(send(bankKey, 'notes', 'finance', [o.message, o.signature])).rejects.toThrow(
        /OfferNonceUsed/,
      );
    });

    it('moves the whole note when the offer covers all of it', async () => {
      const { tokenId } = await issueNote();
      await send(bankKey, 'currency', 'approve', [ledger.profile.contracts.notes, FACE]);
      const o = await offer(tokenId, FACE, 980_00n);
      const receipt = await send(bankKey, 'notes', 'finance', [o.message, o.signature]);
      expect(events(receipt, 'notes', 'NoteFinanced')[0]!.bankTokenId).toBe(tokenId);
      expect(await owner(tokenId)).toBe(bank.address);
    });

    it('refuses offers not signed by the holder, taken by another, expired, cancelled or matured', async () => {
      const { tokenId, maturity } = await issueNote();
      await send(bankKey, 'currency', 'approve', [ledger.profile.contracts.notes, FACE]);
      const forged = await offer(tokenId, 100n, 1n, carolKey);
      await expect(
        send(bankKey, 'notes', 'finance', [forged.message, forged.signature]),
      ).rejects.toThrow(/InvalidOfferSignature/);
      const good = await offer(tokenId, 100n, 100n);
      await expect(
        send(carolKey, 'notes', 'finance', [good.message, good.signature]),
      ).rejects.toThrow(/NotOfferedBank/);
      const expired = await offer(tokenId, 100n, 100n, bobKey, {
        deadline: (await ledger.now()) - 1n,
      });
      await expect(
        send(bankKey, 'notes', 'finance', [expired.message, expired.signature]),
      ).rejects.toThrow(/OfferExpired/);

      await send(bobKey, 'notes', 'cancelFinanceOffer', [good.message.nonce]);
      await expect(
        send(bankKey, 'notes', 'finance', [good.message, good.signature]),
      ).rejects.toThrow(/OfferNonceUsed/);

      const late = await offer(tokenId, 100n, 100n, bobKey, { deadline: maturity + DAY });
      await passMaturity(maturity);
      await expect(
        send(bankKey, 'notes', 'finance', [late.message, late.signature]),
      ).rejects.toThrow(/NoteMatured/);
    });

    it('dies with the note: an offer is void once the note is endorsed away', async () => {
      const { tokenId } = await issueNote();
      await send(bankKey, 'currency', 'approve', [ledger.profile.contracts.notes, FACE]);
      const o = await offer(tokenId, 100n, 100n);
      await send(bobKey, 'notes', 'transferFrom', [bob.address, carol.address, tokenId]);
      await expect(send(bankKey, 'notes', 'finance', [o.message, o.signature])).rejects.toThrow(
        /InvalidOfferSignature/,
      );
    });
  });

  describe('redeem', () => {
    it('is refused before maturity and to anyone but the holder', async () => {
      const { tokenId, maturity } = await issueNote();
      await expect(send(bobKey, 'notes', 'redeem', [tokenId])).rejects.toThrow(/NoteNotMature/);
      await passMaturity(maturity);
      await expect(send(carolKey, 'notes', 'redeem', [tokenId])).rejects.toThrow(/NotHolder/);
    });

    it('pays the holder from the acceptor at maturity and burns the note', async () => {
      const { tokenId, maturity } = await issueNote();
      await send(aliceKey, 'currency', 'approve', [ledger.profile.contracts.notes, FACE]);
      await passMaturity(maturity);
      const receipt = await send(bobKey, 'notes', 'redeem', [tokenId]);
      expect(events(receipt, 'notes', 'NoteRedeemed')).toEqual([
        { tokenId, holder: bob.address, value: FACE },
      ]);
      expect(await balance(alice.address)).toBe(START - FACE);
      expect(await balance(bob.address)).toBe(START + FACE);
      await expect(owner(tokenId)).rejects.toThrow(/invalid token ID/);
      await expect(send(bobKey, 'notes', 'redeem', [tokenId])).rejects.toThrow(/invalid token ID/);
    });

    it('records a dishonoured note on chain when the acceptor does not pay, and pays later', async () => {
      const { tokenId, maturity } = await issueNote();
      await passMaturity(maturity);
      const receipt = await send(bobKey, 'notes', 'redeem', [tokenId]);
      expect(events(receipt, 'notes', 'NoteDishonoured')).toEqual([
        { tokenId, acceptor: alice.address, holder: bob.address, value: FACE },
      ]);
      expect(events(receipt, 'notes', 'NoteRedeemed')).toEqual([]);
      expect(await read('notes', 'isDishonoured', [tokenId])).toBe(true);
      expect(await owner(tokenId)).toBe(bob.address);
      expect(await balance(bob.address)).toBe(START);

      await send(aliceKey, 'currency', 'approve', [ledger.profile.contracts.notes, FACE]);
      const paid = await send(bobKey, 'notes', 'redeem', [tokenId]);
      expect(events(paid, 'notes', 'NoteRedeemed')).toHaveLength(1);
      expect(await read('notes', 'isDishonoured', [tokenId])).toBe(false);
      expect(await balance(bob.address)).toBe(START + FACE);
    });

    it('does not dishonour the acceptor when the holder cannot receive money', async () => {
      const { tokenId, maturity } = await issueNote();
      await send(aliceKey, 'currency', 'approve', [ledger.profile.contracts.notes, FACE]);
      await passMaturity(maturity);
      await send(devKeys.operator, 'currency', 'freeze', [bob.address]);
      await expect(send(bobKey, 'notes', 'redeem', [tokenId])).rejects.toThrow(
        /HolderCannotReceive/,
      );
      expect(await read('notes', 'isDishonoured', [tokenId])).toBe(false);
    });
  });
});
