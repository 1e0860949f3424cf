/**
 * Treasury accounts (core/chain/safe.ts) on a real dev node with the Safe 1.4.1
 * contracts as npm ships them, owners' keys on a SoftHSM2 token: the address
 * predicted offline is where the factory deploys; the offline safeTxHash is the
 * contract's for a payment, a MultiSendCallOnly batch and an owner change; a
 * 2-of-3 Safe pays once with two token signatures; a P-256 account co-owns one
 * (a contract signature); batches pay every payee. Gas figures are printed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  type Abi,
  type Address,
  BaseError,
  decodeErrorResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  isHex,
  keccak256,
  parseEventLogs,
  type TransactionReceipt,
  toHex,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { currencyAbi } from '../core/chain/abi.js';
import { ChainSigner } from '../core/chain/chain-signer.js';
import {
  p256AccountAddress,
  p256AccountFactoryAbi,
  p256Coordinates,
} from '../core/chain/p256-account.js';
import { P256AccountSigner } from '../core/chain/p256-account-signer.js';
import {
  approveSafeTx,
  type BatchCall,
  checkedSafeTxHash,
  checkOwners,
  decodeMultiSend,
  encodeMultiSend,
  encodeSafeSignatures,
  execTransactionData,
  multiSendAbi,
  type OwnerChange,
  ownerChangeCall,
  predictSafeAddress,
  readSafe,
  type SafeSignature,
  type SafeTx,
  safeAbi,
  safeBatch,
  safeCall,
  safeDeployment,
  safeProxyCreationCode,
  safeProxyFactoryAbi,
  safeSetupData,
  safeTxHash,
  safeTxTypedData,
  safeTxTypes,
} from '../core/chain/safe.js';
import { verifyApproval } from '../core/treasury/approval-bundle.js';
import { loadSafeArtifacts } from '../ledger/compile.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import { openKeySigner } from '../native/pkcs11/token-access.js';
import { pinFile, signet } from './support/cli.js';
import { useDevChain } from './support/dev-chain.js';
import { createSoftHsmStore } from './support/softhsm.js';
import {
  currencyBalance,
  type OwnerKey,
  sendFrom,
  tokenApprovals,
  tokenOwners,
} from './support/treasury.js';

const ledger = useDevChain();
const store = createSoftHsmStore();
const PIN = '1357-treasury';
const pins = async () => Buffer.from(PIN);
const npmSafe = await loadSafeArtifacts();
const safeSources = join(
  dirname(createRequire(import.meta.url).resolve('@safe-global/safe-contracts/package.json')),
  'contracts',
);

/** Pays the gas of deployments and executions; owns nothing. */
const payerKey = generatePrivateKey();
const gas: Record<string, bigint> = {};
/**
 * Three secp256k1 owners and a P-256 key on the token. Each signature opens its
 * key and closes it again, as an approver's machine does (one open key per token
 * at a time).
 */
let owners: OwnerKey[];
let p256Key: { uri: string; publicKey: Hex; account: Address };
const search = { configured: [], policy: anyModule };

beforeAll(async () => {
  const made = await tokenOwners(store, 'Treasury', PIN, ['alice', 'bob', 'carol']);
  owners = made.owners;
  const { uri } = (
    await signet([
      'key',
      'generate',
      ...['--token', made.token, '--curve', 'p256', '--label', 'teller'],
      ...['--pin-file', pinFile(PIN), '--json'],
    ])
  ).json as { uri: string };
  const signer = await openKeySigner(uri, search, pins);
  const publicKey = toHex(signer.publicKey);
  await signer.close();
  const factory = ledger.profile.contracts.p256AccountFactory!;
  p256Key = { uri, publicKey, account: p256AccountAddress(factory, publicKey) };
  await ledger.setBalance(privateKeyToAccount(payerKey).address, 10n ** 21n);
}, 60_000);

afterAll(async () => {
  store.remove();
  const lines = Object.entries(gas).map(
    ([what, used]) => `  ${what}: ${used.toLocaleString('en')} gas`,
  );
  if (lines.length > 0)
    console.log(`Treasury (Safe 1.4.1) gas (${ledger.engine}):\n${lines.join('\n')}`);
});

let snapshot: string;
beforeEach(async () => {
  snapshot = await ledger.snapshot();
  return () => ledger.revert(snapshot);
});

const addresses = () => owners.map((o) => o.address);
const currency = () => ledger.profile.contracts.currency;
const transferData = (to: Address, amount: bigint) =>
  encodeFunctionData({ abi: currencyAbi, functionName: 'transfer', args: [to, amount] });
const balance = (address: Address) => currencyBalance(ledger, address);
const send = (to: Address, data: Hex) => sendFrom(ledger, payerKey, to, data);

/** The require string (GSxxx) a call reverts with, from the node's revert data; fails if it succeeds. */
async function revertOf(to: Address, data: Hex): Promise<string> {
  try {
    await ledger.publicClient.call({ account: privateKeyToAccount(payerKey), to, data });
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    // Hardhat nests the revert data as {message, data}, anvil gives it bare.
    const hex = (value: unknown): value is Hex => typeof value === 'string' && isHex(value);
    let revert: Hex | undefined;
    error.walk((e) => {
      const found = (e as { data?: unknown }).data;
      const inner = (found as { data?: unknown } | undefined)?.data;
      revert ??= hex(found) ? found : hex(inner) ? inner : undefined;
      return false;
    });
    if (!revert) throw error;
    const decoded = decodeErrorResult({ abi: [], data: revert });
    return String(decoded.args?.[0] ?? decoded.errorName);
  }
  throw new Error('the call succeeded');
}

/**
 * Deploys a treasury from its offline deployment, sent by the payer or by a token
 * key (`from`); checks the factory put it at the prediction.
 */
async function deployTreasury(
  ownerAddresses: Address[],
  threshold: number,
  saltNonce = 1n,
  from?: OwnerKey,
) {
  const deployment = safeDeployment(ledger.profile.contracts, ownerAddresses, threshold, saltNonce);
  expect(await ledger.publicClient.getCode({ address: deployment.address })).toBeUndefined();
  const receipt = from
    ? await sendFromToken(from, deployment.factory, deployment.data)
    : await send(deployment.factory, deployment.data);
  const [created] = parseEventLogs({
    abi: safeProxyFactoryAbi,
    logs: receipt.logs,
    eventName: 'ProxyCreation',
  });
  expect(getAddress(created!.args.proxy)).toBe(deployment.address);
  return { address: deployment.address, receipt };
}

/** ECDSA approvals by token keys: EIP-712 over the SafeTx, r ‖ s ‖ v with v 27 or 28. */
function approvals(keys: OwnerKey[], safe: Address, tx: SafeTx): Promise<SafeSignature[]> {
  return tokenApprovals(ledger.profile.chainId, keys, PIN, safe, tx);
}

/** A transaction the token key `key` signs and sends itself (it pays the gas). */
async function sendFromToken(key: OwnerKey, to: Address, data: Hex): Promise<TransactionReceipt> {
  await ledger.setBalance(key.address, 10n ** 18n);
  const signer = new ChainSigner(await openKeySigner(key.uri, search, pins), key.address);
  try {
    const raw = await signer.signTransaction({
      chainId: ledger.profile.chainId,
      type: 'eip1559',
      to,
      data,
      nonce: await ledger.publicClient.getTransactionCount({ address: key.address }),
      gas: 1_000_000n,
      maxFeePerGas: 10n ** 10n,
      maxPriorityFeePerGas: 1n,
    });
    const hash = await ledger.publicClient.sendRawTransaction({ serializedTransaction: raw });
    const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    return receipt;
  } finally {
    await signer.close();
  }
}

async function execute(safe: Address, tx: SafeTx, signatures: SafeSignature[]) {
  expect(await checkedSafeTxHash(ledger.publicClient, ledger.profile.chainId, safe, tx)).toBe(
    safeTxHash(ledger.profile.chainId, safe, tx),
  );
  const receipt = await send(safe, execTransactionData(tx, encodeSafeSignatures(signatures)));
  const [success] = parseEventLogs({
    abi: safeAbi,
    logs: receipt.logs,
    eventName: 'ExecutionSuccess',
  });
  expect(success?.args.txHash).toBe(safeTxHash(ledger.profile.chainId, safe, tx));
  return receipt;
}

/** A fresh payee the operator has registered (with 1 minor unit, so balances read plainly). */
async function payee(): Promise<Address> {
  const address = privateKeyToAccount(generatePrivateKey()).address;
  await ledger.fund(address, 1n);
  return address;
}

describe('what core/chain/safe.ts hard-codes is what the npm artifacts and the ledger have', () => {
  type Item = {
    type: string;
    name?: string;
    inputs?: readonly { type: string }[];
    outputs?: readonly { type: string }[];
  };
  const signatures = (abi: readonly unknown[]) =>
    new Set(
      (abi as Item[])
        .filter((i) => i.type === 'function' || i.type === 'event')
        .map(
          (i) =>
            `${i.type} ${i.name}(${(i.inputs ?? []).map((p) => p.type).join(',')}) ${(i.outputs ?? []).map((p) => p.type).join(',')}`,
        ),
    );

  it.each([
    ['SafeL2', safeAbi],
    ['SafeProxyFactory', safeProxyFactoryAbi],
    ['MultiSendCallOnly', multiSendAbi],
  ] as const)('%s has every entry core uses', (contract, abi) => {
    const available = signatures(npmSafe[contract].abi);
    for (const item of signatures(abi as Abi)) expect(available, item).toContain(item);
  });

  it("the proxy creation code is SafeProxy's and the deployed factory's", async () => {
    const artifact = JSON.parse(
      readFileSync(
        join(safeSources, '../build/artifacts/contracts/proxies/SafeProxy.sol/SafeProxy.json'),
        'utf8',
      ),
    ) as { bytecode: Hex };
    expect(safeProxyCreationCode).toBe(artifact.bytecode);
    expect(
      await ledger.publicClient.readContract({
        address: ledger.profile.contracts.safeProxyFactory,
        abi: safeProxyFactoryAbi,
        functionName: 'proxyCreationCode',
      }),
    ).toBe(safeProxyCreationCode);
  });

  it('the SafeTx type is the one Safe.sol hashes (SAFE_TX_TYPEHASH)', () => {
    const source = readFileSync(join(safeSources, 'Safe.sol'), 'utf8');
    const typehash = /SAFE_TX_TYPEHASH = (0x[0-9a-f]{64})/.exec(source)?.[1];
    const fields = safeTxTypes.SafeTx.map((f) => `${f.type} ${f.name}`).join(',');
    expect(keccak256(toHex(`SafeTx(${fields})`))).toBe(typehash);
  });
});

describe('owners and threshold are checked before anything is built', () => {
  const [a, b] = [
    '0x1000000000000000000000000000000000000001',
    '0x2000000000000000000000000000000000000002',
  ] as const;
  it.each([
    [[], 1, /at least one owner/],
    [[a, b], 0, /threshold must be a whole number from 1 to 2/],
    [[a, b], 3, /threshold must be a whole number from 1 to 2/],
    [[a, b], 1.5, /threshold/],
    [[a, a.toLowerCase()], 1, /listed twice/],
    [[a, '0x0000000000000000000000000000000000000000'], 1, /cannot own a Safe/],
    [[a, '0x0000000000000000000000000000000000000001'], 1, /cannot own a Safe/],
    [[a, '0x12'], 1, /is not an address/],
  ] as const)('refuses %j with threshold %d', (list, threshold, message) => {
    expect(() => checkOwners(list, threshold)).toThrow(message);
    expect(() => safeDeployment(ledger.profile.contracts, list, threshold, 0n)).toThrow(message);
  });

  it('the prediction depends on owners, their order, threshold and salt', () => {
    const { contracts } = ledger.profile;
    const at = (list: string[], threshold: number, salt: bigint) =>
      predictSafeAddress(
        contracts.safeProxyFactory,
        contracts.safeSingleton,
        safeSetupData(list, threshold, contracts.fallbackHandler),
        salt,
      );
    const base = at([a, b], 1, 0n);
    expect(new Set([base, at([b, a], 1, 0n), at([a, b], 2, 0n), at([a, b], 1, 1n)]).size).toBe(4);
    expect(safeDeployment(contracts, [a, b], 1, 0n).address).toBe(base);
  });
});

describe('a 2-of-3 treasury', () => {
  it('deploys at the address predicted offline, with its owners, threshold and nonce', async () => {
    // Sent by an owner's token key, as the wallet would.
    const { address, receipt } = await deployTreasury(addresses(), 2, 1n, owners[2]);
    gas['deploy a 2-of-3 Safe (createProxyWithNonce)'] = receipt.gasUsed;
    expect(await readSafe(ledger.publicClient, address)).toEqual({
      owners: addresses(),
      threshold: 2,
      nonce: 0n,
    });
    // The same owners, threshold and salt again: the address is taken.
    const again = safeDeployment(ledger.profile.contracts, addresses(), 2, 1n);
    expect(await revertOf(again.factory, again.data)).toMatch(/Create2 call failed/);
  });

  it('the offline safeTxHash is the contract’s for a payment, a batch, an owner change and refund fields', async () => {
    const { address } = await deployTreasury(addresses(), 2);
    const { chainId, contracts } = ledger.profile;
    const bob = getAddress('0x00000000000000000000000000000000000b0b00');
    const txs: SafeTx[] = [
      safeCall({ to: contracts.currency, data: transferData(bob, 12_34n) }, 0n),
      safeBatch(
        contracts.multiSendCallOnly,
        [1n, 2n].map((n) => ({ to: contracts.currency, data: transferData(bob, n) })),
        0n,
      ),
      safeCall(
        {
          to: address,
          data: encodeFunctionData({
            abi: safeAbi,
            functionName: 'addOwnerWithThreshold',
            args: [bob, 3n],
          }),
        },
        7n,
      ),
      {
        ...safeCall({ to: bob, value: 5n, data: '0x' }, 2n),
        safeTxGas: 1n,
        baseGas: 2n,
        gasPrice: 3n,
        gasToken: contracts.currency,
        refundReceiver: bob,
      },
    ];
    expect(txs[1]!.operation).toBe(1);
    const hashes = new Set<Hex>();
    for (const tx of txs) {
      const offline = safeTxHash(chainId, address, tx);
      expect(await checkedSafeTxHash(ledger.publicClient, chainId, address, tx)).toBe(offline);
      hashes.add(offline);
    }
    expect(hashes.size).toBe(txs.length);
    // Another chain's hash is refused by the check, not signed.
    await expect(
      checkedSafeTxHash(ledger.publicClient, chainId + 1, address, txs[0]!),
    ).rejects.toThrow(/not a Safe 1.4.1 on chain/);
  });

  it('pays once with two token signatures, refuses one, a stranger’s, and a replay', async () => {
    const { address } = await deployTreasury(addresses(), 2);
    // Registered with the currency like any customer, so it can hold money.
    await ledger.fund(address, 100_00n);
    expect(
      await ledger.publicClient.readContract({
        address: currency(),
        abi: currencyAbi,
        functionName: 'isRegistered',
        args: [address],
      }),
    ).toBe(true);
    const bob = await payee();
    const tx = safeCall({ to: currency(), data: transferData(bob, 25_00n) }, 0n);
    const [alice, , carol] = owners as [OwnerKey, OwnerKey, OwnerKey];
    // Given highest address first, the wrong order: the encoder sorts them (Safe's GS026 otherwise).
    const descending = [alice, carol].sort((x, y) =>
      BigInt(x.address) > BigInt(y.address) ? -1 : 1,
    );
    const both = await approvals(descending, address, tx);

    const withOne = execTransactionData(tx, encodeSafeSignatures(both.slice(0, 1)));
    expect(await revertOf(address, withOne)).toMatch(/GS020/);
    const stranger = new ChainSignerLike(generatePrivateKey());
    const withStranger = execTransactionData(
      tx,
      encodeSafeSignatures([both[0]!, await stranger.approve(address, tx)]),
    );
    expect(await revertOf(address, withStranger)).toMatch(/GS026/);

    // Offline, each token approval is its owner's for this transaction only (the
    // check approval bundles run: core/treasury/approval-bundle.ts).
    const { chainId } = ledger.profile;
    const ownerList = addresses();
    const hash = safeTxHash(chainId, address, tx);
    const ecdsa = (approval: SafeSignature) =>
      approval as Extract<SafeSignature, { kind: 'ecdsa' }>;
    for (const approval of both) await verifyApproval(hash, ownerList, ecdsa(approval));
    const changed = { ...tx, data: transferData(bob, 250_00n) };
    for (const other of [
      safeTxHash(chainId, address, changed),
      safeTxHash(chainId, address, { ...tx, nonce: 1n }),
      safeTxHash(chainId + 1, address, tx),
    ]) {
      await expect(verifyApproval(other, ownerList, ecdsa(both[0]!))).rejects.toThrow();
    }
    await expect(
      verifyApproval(hash, ownerList, { ...ecdsa(both[0]!), owner: both[1]!.owner }),
    ).rejects.toThrow();
    const garbled = { ...ecdsa(both[0]!), signature: `0x${'00'.repeat(64)}1b` as Hex };
    await expect(verifyApproval(hash, ownerList, garbled)).rejects.toThrow();

    const receipt = await execute(address, tx, both);
    gas['execTransaction: one transfer, 2 ECDSA signatures'] = receipt.gasUsed;
    expect(await balance(address)).toBe(75_00n);
    expect(await balance(bob)).toBe(1n + 25_00n);
    expect((await readSafe(ledger.publicClient, address)).nonce).toBe(1n);

    // The same signatures again: the nonce moved, so they sign nothing the Safe would do.
    expect(await revertOf(address, execTransactionData(tx, encodeSafeSignatures(both)))).toMatch(
      /GS026/,
    );
    expect(await balance(bob)).toBe(1n + 25_00n);
  });

  it('takes an owner’s approveHash on chain in place of its signature, and refuses it unapproved', async () => {
    const { address } = await deployTreasury(addresses(), 2);
    await ledger.fund(address, 10_00n);
    const dave = await payee();
    const tx = safeCall({ to: currency(), data: transferData(dave, 4_00n) }, 0n);
    const [alice, bob] = owners as [OwnerKey, OwnerKey];
    const signatures: SafeSignature[] = [
      ...(await approvals([alice], address, tx)),
      { kind: 'approved', owner: bob.address },
    ];
    // Bob has not approved the hash yet.
    expect(await revertOf(address, execTransactionData(tx, encodeSafeSignatures(signatures)))).toBe(
      'GS025',
    );
    // Bob, online, approves it from his own token key.
    await sendFromToken(
      bob,
      address,
      encodeFunctionData({
        abi: safeAbi,
        functionName: 'approveHash',
        args: [safeTxHash(ledger.profile.chainId, address, tx)],
      }),
    );
    await execute(address, tx, signatures);
    expect(await balance(dave)).toBe(1n + 4_00n);
  });

  it('pays three payees in one MultiSendCallOnly batch', async () => {
    const { address } = await deployTreasury(addresses(), 2);
    await ledger.fund(address, 100_00n);
    const payees = [await payee(), await payee(), await payee()];
    const calls = payees.map((to, i) => ({
      to: currency(),
      data: transferData(to, BigInt(i + 1) * 10_00n),
    }));
    const tx = safeBatch(ledger.profile.contracts.multiSendCallOnly, calls, 0n);
    const [alice, bob] = owners as [OwnerKey, OwnerKey];
    await execute(address, tx, await approvals([alice, bob], address, tx));
    expect(await Promise.all(payees.map(balance))).toEqual([10_01n, 20_01n, 30_01n]);
    expect(await balance(address)).toBe(40_00n);
  });
});

describe('MultiSend packing', () => {
  it('packs op ‖ to ‖ value ‖ length ‖ data with no padding, and refuses an empty batch', () => {
    const to = getAddress('0x00000000000000000000000000000000000000aa');
    const packed = encodeMultiSend([
      { to, data: '0x' },
      { to, value: 2n, data: '0xabcd' },
    ]);
    const word = (n: number) => n.toString(16).padStart(64, '0');
    expect(packed).toBe(
      `0x00${to.slice(2).toLowerCase()}${word(0)}${word(0)}` +
        `00${to.slice(2).toLowerCase()}${word(2)}${word(2)}abcd`,
    );
    expect(() => encodeMultiSend([])).toThrow(/at least one call/);
  });

  it('decodes what it packs, and refuses a delegatecall inside, a truncated batch and none', () => {
    const calls: BatchCall[] = [
      { to: getAddress('0x00000000000000000000000000000000000000aa'), value: 0n, data: '0x' },
      {
        to: getAddress('0x00000000000000000000000000000000000000bb'),
        value: 7n,
        data: '0xa9059cbb00',
      },
    ];
    const packed = encodeMultiSend(calls);
    expect(decodeMultiSend(packed)).toEqual(calls);
    expect(() => decodeMultiSend(`0x01${packed.slice(4)}`)).toThrow(
      /call 1 of the batch is not a plain call/,
    );
    expect(() => decodeMultiSend(packed.slice(0, -2) as Hex)).toThrow(/truncated/);
    expect(() => decodeMultiSend(packed.slice(0, 40) as Hex)).toThrow(/truncated/);
    expect(() => decodeMultiSend('0x')).toThrow(/at least one call/);
    expect(() => decodeMultiSend(`${packed}0`)).toThrow(/not a string of hex bytes/);
    expect(() => decodeMultiSend(`${packed.slice(0, -2)}zz` as Hex)).toThrow(/hex bytes/);
  });
});

describe('owner changes', () => {
  const safe = getAddress('0x00000000000000000000000000000000000005af');
  const [a, b, c] = [
    '0x1000000000000000000000000000000000000001',
    '0x2000000000000000000000000000000000000002',
    '0x3000000000000000000000000000000000000003',
  ] as const;
  const current = { owners: [a, b], threshold: 2 };

  it.each([
    [{ kind: 'remove', owner: c, threshold: 1 }, /is not an owner/],
    [{ kind: 'remove', owner: a, threshold: 2 }, /threshold must be a whole number from 1 to 1/],
    [{ kind: 'add', owner: b, threshold: 2 }, /already an owner/],
    [{ kind: 'add', owner: safe, threshold: 2 }, /cannot own itself/],
    [{ kind: 'add', owner: c, threshold: 4 }, /from 1 to 3/],
    [{ kind: 'swap', oldOwner: c, newOwner: a }, /is not an owner/],
    [{ kind: 'swap', oldOwner: a, newOwner: b }, /already an owner/],
    [{ kind: 'threshold', threshold: 0 }, /from 1 to 2/],
  ] as const)('refuses %j', (change, message) => {
    expect(() => ownerChangeCall(safe, current, change, 0n)).toThrow(message);
  });

  it('refuses to remove the last owner', () => {
    expect(() =>
      ownerChangeCall(
        safe,
        { owners: [a], threshold: 1 },
        { kind: 'remove', owner: a, threshold: 1 },
        0n,
      ),
    ).toThrow(/at least one owner/);
  });

  it('removes, adds, swaps and re-thresholds on chain, each approved by the owners of the moment', async () => {
    const [alice, bob, carol] = owners as [OwnerKey, OwnerKey, OwnerKey];
    const { address } = await deployTreasury(addresses(), 2);
    const stranger = privateKeyToAccount(generatePrivateKey()).address;
    const steps: [OwnerChange, OwnerKey[]][] = [
      [{ kind: 'remove', owner: bob.address, threshold: 2 }, [alice, bob]],
      [{ kind: 'add', owner: bob.address, threshold: 2 }, [alice, carol]],
      [{ kind: 'swap', oldOwner: alice.address, newOwner: stranger }, [bob, carol]],
      [{ kind: 'remove', owner: bob.address, threshold: 1 }, [bob, carol]],
      [{ kind: 'threshold', threshold: 2 }, [carol]],
    ];
    for (const [change, signers] of steps) {
      const before = await readSafe(ledger.publicClient, address);
      const next = ownerChangeCall(address, before, change, before.nonce);
      await execute(address, next.tx, await approvals(signers, address, next.tx));
      expect(await readSafe(ledger.publicClient, address)).toEqual({
        owners: next.owners,
        threshold: next.threshold,
        nonce: before.nonce + 1n,
      });
    }
    expect(await readSafe(ledger.publicClient, address)).toMatchObject({
      owners: [stranger, carol.address],
      threshold: 2,
    });
  });
});

describe('signature encoding', () => {
  const low = getAddress('0x1000000000000000000000000000000000000000');
  const high = getAddress('0xf000000000000000000000000000000000000000');
  const ecdsa = `0x${'11'.repeat(64)}1b` as Hex;

  it('orders by owner, points contract signatures past the static part', () => {
    const encoded = encodeSafeSignatures([
      { kind: 'ecdsa', owner: high, signature: ecdsa },
      { kind: 'contract', owner: low, signature: '0xaabbcc' },
    ]);
    // Slot 1: the contract owner (lower address): r = owner, s = 130 (2 × 65), v = 0.
    expect(encoded.slice(2, 132)).toBe(
      `${low.slice(2).toLowerCase().padStart(64, '0')}${(130).toString(16).padStart(64, '0')}00`,
    );
    expect(encoded.slice(132, 262)).toBe(ecdsa.slice(2));
    expect(encoded.slice(262)).toBe(`${(3).toString(16).padStart(64, '0')}aabbcc`);
  });

  it('refuses an owner twice and an ECDSA signature that is not r ‖ s ‖ v(27|28)', () => {
    expect(() =>
      encodeSafeSignatures([
        { kind: 'ecdsa', owner: low, signature: ecdsa },
        { kind: 'approved', owner: low.toLowerCase() as Address },
      ]),
    ).toThrow(/signed twice/);
    expect(() =>
      encodeSafeSignatures([{ kind: 'ecdsa', owner: low, signature: `0x${'11'.repeat(64)}01` }]),
    ).toThrow(/v 27 or 28/);
    expect(() =>
      encodeSafeSignatures([{ kind: 'ecdsa', owner: low, signature: `0x${'11'.repeat(64)}` }]),
    ).toThrow(/65 bytes/);
  });
});

describe('a treasury co-owned by a P-256 account (a TPM-style key)', () => {
  it('pays with a token signature and the account’s contract signature, then adds an owner', async () => {
    const { contracts, chainId } = ledger.profile;
    // The Safe calls the account's isValidSignature, so the account must exist.
    const { qx, qy } = p256Coordinates(p256Key.publicKey);
    await send(
      contracts.p256AccountFactory!,
      encodeFunctionData({
        abi: p256AccountFactoryAbi,
        functionName: 'createAccount',
        args: [qx, qy],
      }),
    );
    const account = p256Key.account;
    const [alice, bob, carol] = owners as [OwnerKey, OwnerKey, OwnerKey];
    const { address } = await deployTreasury([alice.address, account, carol.address], 2);
    await ledger.fund(address, 50_00n);
    const dave = await payee();

    // The key vouches for the safeTxHash to its account (EIP-1271), which the Safe asks.
    const contractApproval = async (tx: SafeTx): Promise<SafeSignature> => {
      const signer = new P256AccountSigner(await openKeySigner(p256Key.uri, search, pins), {
        address: account,
        publicKey: p256Key.publicKey,
      });
      try {
        const approval = await approveSafeTx(signer, chainId, address, tx);
        expect(approval).toMatchObject({ kind: 'contract', owner: account });
        return approval;
      } finally {
        await signer.close();
      }
    };

    const pay = safeCall({ to: currency(), data: transferData(dave, 20_00n) }, 0n);
    const receipt = await execute(address, pay, [
      await contractApproval(pay),
      ...(await approvals([alice], address, pay)),
    ]);
    gas['execTransaction: one transfer, ECDSA + P-256 contract signature'] = receipt.gasUsed;
    expect(await balance(dave)).toBe(1n + 20_00n);

    // An owner change goes through the same approvals: Bob joins, the threshold becomes 3.
    const addBob = safeCall(
      {
        to: address,
        data: encodeFunctionData({
          abi: safeAbi,
          functionName: 'addOwnerWithThreshold',
          args: [bob.address, 3n],
        }),
      },
      1n,
    );
    await execute(address, addBob, [
      await contractApproval(addBob),
      ...(await approvals([carol], address, addBob)),
    ]);
    const state = await readSafe(ledger.publicClient, address);
    expect(new Set(state.owners)).toEqual(
      new Set([alice.address, account, carol.address, bob.address]),
    );
    expect(state).toMatchObject({ threshold: 3, nonce: 2n });
  });
});

describe('gas of a 50-transfer batch against 50 single transfers', () => {
  it('measures both, every payee paid', { timeout: 180_000 }, async () => {
    const { address } = await deployTreasury(addresses(), 2);
    await ledger.fund(address, 1_000_00n);
    const payees: Address[] = [];
    for (let i = 0; i < 50; i++) payees.push(await payee());
    const [alice, bob] = owners as [OwnerKey, OwnerKey];

    const calls: BatchCall[] = payees.map((to) => ({
      to: currency(),
      data: transferData(to, 1_00n),
    }));
    const batch = safeBatch(ledger.profile.contracts.multiSendCallOnly, calls, 0n);
    const batchGas = (await execute(address, batch, await approvals([alice, bob], address, batch)))
      .gasUsed;

    let singlesGas = 0n;
    for (const [i, to] of payees.entries()) {
      const tx = safeCall({ to: currency(), data: transferData(to, 2_00n) }, BigInt(i + 1));
      singlesGas += (await execute(address, tx, await approvals([alice, bob], address, tx)))
        .gasUsed;
    }
    expect(await Promise.all(payees.map(balance))).toEqual(payees.map(() => 1n + 3_00n));
    expect(await balance(address)).toBe(1_000_00n - 50n * 3_00n);
    gas['MultiSendCallOnly batch of 50 transfers (one execTransaction)'] = batchGas;
    gas['50 single transfers (50 execTransaction, sum)'] = singlesGas;
    console.log(`treasury batch ratio: ${(Number(singlesGas) / Number(batchGas)).toFixed(2)}`);
    expect(batchGas).toBeLessThan(singlesGas);
  });
});

/** A software secp256k1 key (a non-owner, tests only) approving like a token key would. */
class ChainSignerLike {
  constructor(private readonly key: Hex) {}
  async approve(safe: Address, tx: SafeTx): Promise<SafeSignature> {
    const account = privateKeyToAccount(this.key);
    const signature = await account.signTypedData(
      safeTxTypedData(ledger.profile.chainId, safe, tx),
    );
    return { kind: 'ecdsa', owner: account.address, signature };
  }
}
