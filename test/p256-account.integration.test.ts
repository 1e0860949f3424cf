/**
 * The P-256 account contract (ledger/contracts/P256Account.sol) on a real dev
 * node, with software P-256 keys (test keys only; the wallet's own test signs
 * with a SoftHSM2 token): the address a wallet predicts offline, the digests it
 * computes, a payment carried by an account that only pays the gas, every rule
 * of execute (each test fails without its rule), EIP-1271 in both forms, and a
 * Safe 1.4.1 with the account as its owner. Gas figures are printed.
 */
import { p256 } from '@noble/curves/nist.js';
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  concat,
  encodeFunctionData,
  getAddress,
  type Hex,
  hashTypedData,
  hexToBigInt,
  hexToBytes,
  keccak256,
  numberToHex,
  pad,
  parseEventLogs,
  type TransactionReceipt,
  toHex,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AccountOperation,
  carriedCallData,
  executeDigest,
  legacySignatureValidatorAbi,
  messageTypedData,
  p256AccountAbi,
  p256AccountAddress,
  p256AccountFactoryAbi,
  p256Coordinates,
  p256Implementation,
} from '../core/chain/p256-account.js';
import { loadArtifacts } from '../ledger/compile.js';
import { devKeys } from '../ledger/deploy.js';
import { useDevChain } from './support/dev-chain.js';
import {
  contractSignature,
  createSafe,
  execSafe,
  safeCall,
  safeTxHash,
} from './support/safe-owner.js';

const ledger = useDevChain();
const compiled = await loadArtifacts();
const P256_N = p256.Point.CURVE().n;
const DAY = 86_400n;

/** Every error a call through the factory can end in: the account's, the currency's, the factory's. */
const errorsAbi = [
  ...compiled.P256Account.abi,
  ...compiled.P256AccountFactory.abi,
  ...compiled.DigitalCurrency.abi,
].filter((item) => item.type === 'error') as Abi;
const factoryAbi = [...p256AccountFactoryAbi, ...errorsAbi] as Abi;
const accountAbi = [...p256AccountAbi, ...errorsAbi] as Abi;
const currencyAbi = compiled.DigitalCurrency.abi as Abi;

/** A software P-256 key (tests only), signing 32-byte digests with a low s like Signet's signer. */
function softwareKey() {
  const secret = p256.utils.randomSecretKey();
  const publicKey = toHex(p256.getPublicKey(secret, false));
  return {
    publicKey,
    ...p256Coordinates(publicKey),
    sign(digest: Hex): { r: Hex; s: Hex } {
      const signature = p256.sign(hexToBytes(digest), secret, { prehash: false, lowS: true });
      return { r: toHex(signature.slice(0, 32)), s: toHex(signature.slice(32)) };
    },
  };
}
type SoftwareKey = ReturnType<typeof softwareKey>;

const operator = devKeys.operator;
/** Pays the gas of carried operations; never registered with the currency. */
const carrierKey = generatePrivateKey();
const bob = privateKeyToAccount(generatePrivateKey()).address;
const alice = softwareKey();
const gas: Record<string, bigint> = {};

let factory: Address;
let currency: Address;
let aliceAccount: Address;

async function send(key: Hex, to: Address, abi: Abi, functionName: string, args: unknown[]) {
  const hash = await ledger.wallet(key).writeContract({ address: to, abi, functionName, args });
  const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  return receipt;
}

/** The custom error (or require string) a call reverts with, by name; fails if it succeeds. */
async function revertOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const reverted =
      error instanceof BaseError
        ? error.walk((e) => e instanceof ContractFunctionRevertedError)
        : null;
    if (reverted instanceof ContractFunctionRevertedError) {
      const args = (reverted.data?.args ?? []).map(String).join(', ');
      return reverted.data ? `${reverted.data.errorName}(${args})` : (reverted.reason ?? 'revert');
    }
    throw error;
  }
  throw new Error('the call succeeded');
}

const balance = (address: Address) =>
  ledger.publicClient.readContract({
    address: currency,
    abi: currencyAbi,
    functionName: 'balanceOf',
    args: [address],
  }) as Promise<bigint>;

const accountNonce = (account: Address) =>
  ledger.publicClient.readContract({
    address: factory,
    abi: factoryAbi,
    functionName: 'nonceOf',
    args: [account],
  }) as Promise<bigint>;

const transferData = (to: Address, amount: bigint) =>
  encodeFunctionData({ abi: currencyAbi, functionName: 'transfer', args: [to, amount] });

/** An operation of `account` paying `amount` to `to`, valid for a day. */
async function payment(
  account: Address,
  to: Address,
  amount: bigint,
  nonce?: bigint,
): Promise<AccountOperation> {
  return {
    target: currency,
    value: 0n,
    data: transferData(to, amount),
    nonce: nonce ?? (await accountNonce(account)),
    deadline: (await ledger.now()) + DAY,
  };
}

/** The carrier sends the factory call that deploys (if need be) and executes. */
function carry(key: SoftwareKey, operation: AccountOperation, signature: { r: Hex; s: Hex }) {
  return ledger.wallet(carrierKey).sendTransaction({
    to: factory,
    data: carriedCallData(key.publicKey, operation, signature),
  });
}

/** Same, through viem's simulation first so a revert comes back decoded. */
function carryChecked(key: SoftwareKey, operation: AccountOperation, sig: { r: Hex; s: Hex }) {
  return ledger.wallet(carrierKey).writeContract({
    address: factory,
    abi: factoryAbi,
    functionName: 'createAccountAndExecute',
    args: [
      key.qx,
      key.qy,
      operation.target,
      operation.value,
      operation.data,
      operation.nonce,
      operation.deadline,
      sig.r,
      sig.s,
    ],
  });
}

async function mined(hash: Promise<Hex>): Promise<TransactionReceipt> {
  const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash: await hash });
  expect(receipt.status).toBe('success');
  return receipt;
}

beforeAll(async () => {
  factory = ledger.profile.contracts.p256AccountFactory!;
  currency = ledger.profile.contracts.currency;
  aliceAccount = p256AccountAddress(factory, alice.publicKey);
  await ledger.setBalance(privateKeyToAccount(carrierKey).address, 10n ** 19n);
  // The operator registers the account (not yet deployed) as its customer, like any address.
  await ledger.fund(aliceAccount, 1_000_00n);
  await ledger.fund(bob, 1n);
});

afterAll(() => {
  const lines = Object.entries(gas).map(
    ([what, used]) => `  ${what}: ${used.toLocaleString('en')} gas`,
  );
  if (lines.length > 0) console.log(`P-256 account gas (${ledger.engine}):\n${lines.join('\n')}`);
});

let snapshot: string;
beforeEach(async () => {
  snapshot = await ledger.snapshot();
});
afterEach(async () => {
  await ledger.revert(snapshot);
});

describe('the address and digests a wallet computes offline', () => {
  it('predicts the implementation and every account address the factory uses', async () => {
    const read = (functionName: string, args: unknown[] = []) =>
      ledger.publicClient.readContract({ address: factory, abi: factoryAbi, functionName, args });
    expect(await read('implementation')).toBe(p256Implementation(factory));
    for (const key of [alice, softwareKey(), softwareKey()]) {
      expect(await read('accountAddress', [key.qx, key.qy])).toBe(
        p256AccountAddress(factory, key.publicKey),
      );
    }
  });

  it("computes the contract's execute and message digests", async () => {
    await mined(
      ledger.wallet(carrierKey).writeContract({
        address: factory,
        abi: factoryAbi,
        functionName: 'createAccount',
        args: [alice.qx, alice.qy],
      }),
    );
    const operation = await payment(aliceAccount, bob, 12_34n, 7n);
    const onChain = await ledger.publicClient.readContract({
      address: aliceAccount,
      abi: accountAbi,
      functionName: 'executeDigest',
      args: [
        operation.target,
        operation.value,
        operation.data,
        operation.nonce,
        operation.deadline,
      ],
    });
    expect(onChain).toBe(executeDigest(ledger.profile.chainId, aliceAccount, operation));
    const hash = keccak256(toHex('anything'));
    expect(
      await ledger.publicClient.readContract({
        address: aliceAccount,
        abi: accountAbi,
        functionName: 'messageDigest',
        args: [hash],
      }),
    ).toBe(hashTypedData(messageTypedData(ledger.profile.chainId, aliceAccount, hash)));
  });
});

describe('deployment', () => {
  it('deploys the factory (and the implementation it creates) on a fresh ledger', async () => {
    const hash = await ledger.wallet(carrierKey).deployContract({
      abi: compiled.P256AccountFactory.abi,
      bytecode: compiled.P256AccountFactory.bytecode,
    });
    const receipt = await mined(Promise.resolve(hash));
    gas['factory deployment (with the implementation)'] = receipt.gasUsed;
    const deployed = getAddress(receipt.contractAddress!);
    expect(
      await ledger.publicClient.readContract({
        address: deployed,
        abi: factoryAbi,
        functionName: 'implementation',
      }),
    ).toBe(p256Implementation(deployed));
  });

  it('deploys the account at the predicted address with its key, once', async () => {
    expect(await ledger.publicClient.getCode({ address: aliceAccount })).toBeUndefined();
    const create = () =>
      mined(
        ledger.wallet(carrierKey).writeContract({
          address: factory,
          abi: factoryAbi,
          functionName: 'createAccount',
          args: [alice.qx, alice.qy],
        }),
      );
    const first = await create();
    gas['createAccount (deploy only)'] = first.gasUsed;
    const created = parseEventLogs({
      abi: factoryAbi,
      logs: first.logs,
      eventName: 'AccountCreated',
    });
    expect(created.map((log) => (log.args as { account: Address }).account)).toEqual([
      aliceAccount,
    ]);
    expect(
      await ledger.publicClient.readContract({
        address: aliceAccount,
        abi: accountAbi,
        functionName: 'publicKey',
      }),
    ).toEqual([alice.qx, alice.qy]);
    // Again: the account exists, nothing is deployed or announced.
    const again = await create();
    expect(
      parseEventLogs({ abi: factoryAbi, logs: again.logs, eventName: 'AccountCreated' }),
    ).toEqual([]);
  });

  it('refuses a point that is not on the curve', async () => {
    const reason = await revertOf(
      ledger.wallet(carrierKey).writeContract({
        address: factory,
        abi: factoryAbi,
        functionName: 'createAccount',
        args: [alice.qx, pad('0x01')],
      }),
    );
    expect(reason).toBe(`InvalidPublicKey(${alice.qx}, ${pad('0x01')})`);
  });

  it('the implementation itself is nobody’s account', async () => {
    const reason = await revertOf(
      ledger.publicClient.readContract({
        address: p256Implementation(factory),
        abi: accountAbi,
        functionName: 'publicKey',
      }),
    );
    expect(reason).toBe('NotAnAccount()');
  });
});

describe('execute: what the key signed, carried by anyone', () => {
  it('deploys on first use and pays; later operations reuse the account', async () => {
    const first = await payment(aliceAccount, bob, 12_34n);
    const receipt = await mined(
      carry(alice, first, alice.sign(executeDigest(ledger.profile.chainId, aliceAccount, first))),
    );
    gas['first operation: deploy + execute transfer (via factory)'] = receipt.gasUsed;
    expect(await balance(aliceAccount)).toBe(1_000_00n - 12_34n);
    expect(await balance(bob)).toBe(1n + 12_34n);
    expect(await accountNonce(aliceAccount)).toBe(1n);

    const second = await payment(aliceAccount, bob, 1_00n);
    const next = await mined(
      carry(alice, second, alice.sign(executeDigest(ledger.profile.chainId, aliceAccount, second))),
    );
    gas['execute transfer via factory (account deployed)'] = next.gasUsed;
    expect(
      parseEventLogs({ abi: factoryAbi, logs: next.logs, eventName: 'AccountCreated' }),
    ).toEqual([]);

    const third = await payment(aliceAccount, bob, 1_00n);
    const signature = alice.sign(executeDigest(ledger.profile.chainId, aliceAccount, third));
    const direct = await mined(
      ledger.wallet(carrierKey).writeContract({
        address: aliceAccount,
        abi: accountAbi,
        functionName: 'execute',
        args: [
          third.target,
          third.value,
          third.data,
          third.nonce,
          third.deadline,
          signature.r,
          signature.s,
        ],
      }),
    );
    gas['execute transfer, account called directly'] = direct.gasUsed;
    expect(await accountNonce(aliceAccount)).toBe(3n);
    expect(await balance(bob)).toBe(1n + 14_34n);
  });

  it('refuses a signature by another key', async () => {
    const operation = await payment(aliceAccount, bob, 5_00n);
    const mallory = softwareKey();
    const signature = mallory.sign(executeDigest(ledger.profile.chainId, aliceAccount, operation));
    expect(await revertOf(carryChecked(alice, operation, signature))).toBe('InvalidSignature()');
  });

  it('refuses a replay: the nonce is used', async () => {
    const operation = await payment(aliceAccount, bob, 5_00n);
    const signature = alice.sign(executeDigest(ledger.profile.chainId, aliceAccount, operation));
    await mined(carry(alice, operation, signature));
    expect(await revertOf(carryChecked(alice, operation, signature))).toBe('WrongNonce(1, 0)');
    expect(await balance(bob)).toBe(1n + 5_00n);
  });

  it('refuses a nonce ahead of the account’s', async () => {
    const operation = await payment(aliceAccount, bob, 5_00n, 1n);
    const signature = alice.sign(executeDigest(ledger.profile.chainId, aliceAccount, operation));
    expect(await revertOf(carryChecked(alice, operation, signature))).toBe('WrongNonce(0, 1)');
  });

  it('refuses an operation past its deadline', async () => {
    const operation = {
      ...(await payment(aliceAccount, bob, 5_00n)),
      deadline: await ledger.now(),
    };
    const signature = alice.sign(executeDigest(ledger.profile.chainId, aliceAccount, operation));
    await ledger.increaseTime(1);
    expect(await revertOf(carryChecked(alice, operation, signature))).toBe(
      `Expired(${operation.deadline})`,
    );
  });

  it('refuses a signature made for another chain', async () => {
    const operation = await payment(aliceAccount, bob, 5_00n);
    const signature = alice.sign(executeDigest(1, aliceAccount, operation));
    expect(await revertOf(carryChecked(alice, operation, signature))).toBe('InvalidSignature()');
  });

  it('refuses a signature made for another account, by the same key or the other account’s own', async () => {
    const operation = await payment(aliceAccount, bob, 5_00n);
    const elsewhere = getAddress(numberToHex(0xa11ce, { size: 20 }));
    const sameKey = alice.sign(executeDigest(ledger.profile.chainId, elsewhere, operation));
    expect(await revertOf(carryChecked(alice, operation, sameKey))).toBe('InvalidSignature()');

    const carol = softwareKey();
    const carolAccount = p256AccountAddress(factory, carol.publicKey);
    const carols = carol.sign(executeDigest(ledger.profile.chainId, carolAccount, operation));
    expect(await revertOf(carryChecked(alice, operation, carols))).toBe('InvalidSignature()');
  });

  it('refuses a high s (the malleable twin of a good signature)', async () => {
    const operation = await payment(aliceAccount, bob, 5_00n);
    const good = alice.sign(executeDigest(ledger.profile.chainId, aliceAccount, operation));
    const high = { r: good.r, s: numberToHex(P256_N - hexToBigInt(good.s), { size: 32 }) };
    expect(await revertOf(carryChecked(alice, operation, high))).toBe('InvalidSignature()');
    // The low-s original is accepted.
    await mined(carry(alice, operation, good));
  });

  it('refuses an operation that differs from what was signed', async () => {
    const operation = await payment(aliceAccount, bob, 5_00n);
    const signature = alice.sign(executeDigest(ledger.profile.chainId, aliceAccount, operation));
    const altered = { ...operation, data: transferData(bob, 500_00n) };
    expect(await revertOf(carryChecked(alice, altered, signature))).toBe('InvalidSignature()');
  });

  it('a call that fails reverts with its own error and leaves the nonce', async () => {
    const stranger = privateKeyToAccount(generatePrivateKey()).address;
    const operation = await payment(aliceAccount, stranger, 5_00n);
    const signature = alice.sign(executeDigest(ledger.profile.chainId, aliceAccount, operation));
    expect(await revertOf(carryChecked(alice, operation, signature))).toBe(
      `NotRegistered(${stranger})`,
    );
    expect(await accountNonce(aliceAccount)).toBe(0n);
  });
});

describe('EIP-1271', () => {
  const hash = keccak256(toHex('a Safe transaction, say'));
  const isValid = (signature: Hex, form: 'hash' | 'data' = 'hash', data: Hex = '0x') =>
    form === 'hash'
      ? ledger.publicClient.readContract({
          address: aliceAccount,
          abi: p256AccountAbi,
          functionName: 'isValidSignature',
          args: [hash, signature],
        })
      : ledger.publicClient.readContract({
          address: aliceAccount,
          abi: legacySignatureValidatorAbi,
          functionName: 'isValidSignature',
          args: [data, signature],
        });
  const vouch = (key: SoftwareKey, account: Address, what: Hex): Hex => {
    const { r, s } = key.sign(
      hashTypedData(messageTypedData(ledger.profile.chainId, account, what)),
    );
    return concat([r, s]);
  };

  beforeEach(async () => {
    await mined(
      ledger.wallet(carrierKey).writeContract({
        address: factory,
        abi: factoryAbi,
        functionName: 'createAccount',
        args: [alice.qx, alice.qy],
      }),
    );
  });

  it('vouches for a hash the key signed, in both forms', async () => {
    expect(await isValid(vouch(alice, aliceAccount, hash))).toBe('0x1626ba7e');
    const data = toHex('the preimage a Safe passes');
    expect(await isValid(vouch(alice, aliceAccount, keccak256(data)), 'data', data)).toBe(
      '0x20c13b0b',
    );
    gas['isValidSignature(bytes32,bytes) (eth_estimateGas, incl. 21,000)'] =
      await ledger.publicClient.estimateGas({
        to: aliceAccount,
        data: encodeFunctionData({
          abi: p256AccountAbi,
          functionName: 'isValidSignature',
          args: [hash, vouch(alice, aliceAccount, hash)],
        }),
      });
  });

  it('refuses another key, the bare hash, another account’s domain, a high s, a wrong length', async () => {
    const refused = '0xffffffff';
    expect(await isValid(vouch(softwareKey(), aliceAccount, hash))).toBe(refused);
    const bare = alice.sign(hash);
    expect(await isValid(concat([bare.r, bare.s]))).toBe(refused);
    const elsewhere = getAddress(numberToHex(0xb0b, { size: 20 }));
    expect(await isValid(vouch(alice, elsewhere, hash))).toBe(refused);
    const good = vouch(alice, aliceAccount, hash);
    const s = hexToBigInt(`0x${good.slice(66)}`);
    expect(
      await isValid(concat([good.slice(0, 66) as Hex, numberToHex(P256_N - s, { size: 32 })])),
    ).toBe(refused);
    expect(await isValid(`${good}00`)).toBe(refused);
    // The legacy form over data whose hash the key did not vouch for.
    expect(await isValid(good, 'data', toHex('other data'))).toBe(refused);
  });
});

describe('a Safe owned by the P-256 account', () => {
  it('executes a payment the P-256 key approved, and refuses one another key approved', async () => {
    // The Safe calls the account, so it must exist: deploy it (any operation would).
    await send(carrierKey, factory, factoryAbi, 'createAccount', [alice.qx, alice.qy]);
    const safe = await createSafe(ledger, carrierKey, aliceAccount);
    await ledger.fund(safe, 50_00n);
    const tx = safeCall(currency, transferData(bob, 20_00n));
    const hash = await safeTxHash(ledger, safe, tx);
    const approve = (key: SoftwareKey) => {
      const { r, s } = key.sign(
        hashTypedData(messageTypedData(ledger.profile.chainId, aliceAccount, hash)),
      );
      return contractSignature(aliceAccount, concat([r, s]));
    };

    expect(await revertOf(execSafe(ledger, carrierKey, safe, tx, approve(softwareKey())))).toMatch(
      /GS024/,
    );
    const receipt = await mined(execSafe(ledger, carrierKey, safe, tx, approve(alice)));
    gas['Safe execTransaction, P-256 owner (legacy isValidSignature)'] = receipt.gasUsed;
    expect(await balance(safe)).toBe(30_00n);
    expect(await balance(bob)).toBe(1n + 20_00n);
  });
});

describe('the account holds money like any registered address', () => {
  it('is registered before it exists and receives money sent to it', async () => {
    const dave = softwareKey();
    const daveAccount = p256AccountAddress(factory, dave.publicKey);
    const isRegistered = () =>
      ledger.publicClient.readContract({
        address: currency,
        abi: currencyAbi,
        functionName: 'isRegistered',
        args: [daveAccount],
      });
    expect(await isRegistered()).toBe(false);
    await send(operator, currency, currencyAbi, 'registerAccount', [
      daveAccount,
      keccak256(daveAccount),
    ]);
    expect(await isRegistered()).toBe(true);
    await send(operator, currency, currencyAbi, 'transfer', [daveAccount, 3_00n]);
    expect(await balance(daveAccount)).toBe(3_00n);
    expect(await ledger.publicClient.getCode({ address: daveAccount })).toBeUndefined();
  });
});
