/**
 * Approval bundles against a real Safe 1.4.1 on the dev ledger: the offline
 * safeTxHash is the contract's getTransactionHash, and the signatures two owners
 * made apart (one bundle by file, one by QR frames), merged, execute the
 * payment exactly once. Owners are TEST KEYS (software): the bundle logic is
 * under test here, not the tokens.
 */
import {
  type Abi,
  type Address,
  encodeFunctionData,
  getAddress,
  type Hex,
  parseEventLogs,
  zeroAddress,
} from 'viem';
import { describe, expect, it } from 'vitest';
import { safeTxHash } from '../core/chain/safe.js';
import { executionSignatures, mergeBundles } from '../core/treasury/approval-bundle.js';
import { decodeBundle, encodeBundle } from '../core/treasury/bundle-codec.js';
import { ApprovalQrDecoder, approvalQrEncoder } from '../core/treasury/bundle-qr.js';
import { loadSafeArtifacts } from '../ledger/compile.js';
import {
  paymentTx,
  signedBundle,
  TEST_KEYS,
  testOwners,
  unsignedBundle,
} from './fixtures/approval-bundles.js';
import { useDevChain } from './support/dev-chain.js';

const artifacts = await loadSafeArtifacts();
const safeAbi = artifacts.SafeL2.abi as Abi;
const ledger = useDevChain();
const payerKey = TEST_KEYS[4] as Hex;
const receiver: Address = '0x000000000000000000000000000000000000bEEF';

/** A Safe owned by the three test owners, threshold 2, holding 1 ether. */
async function createTreasury(): Promise<Address> {
  const payer = ledger.wallet(payerKey);
  await ledger.setBalance(payer.account.address, 10n ** 20n);
  const { contracts } = ledger.profile;
  const hash = await payer.writeContract({
    address: contracts.safeProxyFactory,
    abi: artifacts.SafeProxyFactory.abi as Abi,
    functionName: 'createProxyWithNonce',
    args: [
      contracts.safeSingleton,
      encodeFunctionData({
        abi: safeAbi,
        functionName: 'setup',
        args: [
          testOwners,
          2n,
          zeroAddress,
          '0x',
          contracts.fallbackHandler,
          zeroAddress,
          0n,
          zeroAddress,
        ],
      }),
      BigInt(Date.now()),
    ],
  });
  const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash });
  const [created] = parseEventLogs({
    abi: artifacts.SafeProxyFactory.abi as Abi,
    logs: receipt.logs,
    eventName: 'ProxyCreation',
  });
  if (!created) throw new Error('the proxy factory created no Safe');
  const safe = getAddress((created.args as { proxy: Address }).proxy);
  await ledger.setBalance(safe, 10n ** 18n);
  return safe;
}

describe('approval bundles on a Safe 1.4.1 (dev ledger)', () => {
  it('computes the Safe’s own getTransactionHash offline, gas and refund fields included', async () => {
    const safe = await createTreasury();
    const tx = paymentTx({
      value: 3n,
      safeTxGas: 40_000n,
      baseGas: 21_000n,
      gasPrice: 2n,
      refundReceiver: receiver,
    });
    const onChain = await ledger.publicClient.readContract({
      address: safe,
      abi: safeAbi,
      functionName: 'getTransactionHash',
      args: [
        tx.to,
        tx.value,
        tx.data,
        tx.operation,
        tx.safeTxGas,
        tx.baseGas,
        tx.gasPrice,
        tx.gasToken,
        tx.refundReceiver,
        tx.nonce,
      ],
    });
    expect(safeTxHash(ledger.profile.chainId, safe, tx)).toBe(onChain);
  });

  it('two owners approve apart (a file, QR frames); the merged signatures execute the payment once', async () => {
    const safe = await createTreasury();
    const proposal = {
      tx: paymentTx({ to: receiver, value: 1234n, data: '0x', nonce: 0n }),
      description: 'Pay 1234 wei to 0x…bEEF',
    };
    const base = unsignedBundle({ chainId: ledger.profile.chainId, safe, proposal });

    // Owner #0 approves and sends a file; owner #2 approves and shows QR frames.
    const file = await encodeBundle(await signedBundle([0], base));
    const qr = await approvalQrEncoder(await signedBundle([2], base), 100);
    const scanner = new ApprovalQrDecoder();
    while (!scanner.receive(qr.nextPart()).complete) {}
    const fromFile = await decodeBundle(file);
    expect(() => executionSignatures(fromFile)).toThrow(/1 of the 2/);
    const merged = await mergeBundles(await scanner.result(), fromFile);

    const before = await ledger.publicClient.getBalance({ address: receiver });
    const { tx } = merged.proposal;
    const args = [
      tx.to,
      tx.value,
      tx.data,
      tx.operation,
      tx.safeTxGas,
      tx.baseGas,
      tx.gasPrice,
      tx.gasToken,
      tx.refundReceiver,
      executionSignatures(merged),
    ] as const;
    const hash = await ledger.wallet(payerKey).writeContract({
      address: safe,
      abi: safeAbi,
      functionName: 'execTransaction',
      args,
    });
    const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    const executed = parseEventLogs({
      abi: safeAbi,
      logs: receipt.logs,
      eventName: 'ExecutionSuccess',
    });
    expect(executed).toHaveLength(1);
    expect(await ledger.publicClient.getBalance({ address: receiver })).toBe(before + 1234n);
    expect(
      await ledger.publicClient.readContract({
        address: safe,
        abi: safeAbi,
        functionName: 'nonce',
      }),
    ).toBe(1n);

    // The same signatures again: the nonce moved, so the Safe refuses them (GS026: not owners' over the new hash).
    await expect(
      ledger.publicClient.simulateContract({
        account: ledger.wallet(payerKey).account,
        address: safe,
        abi: safeAbi,
        functionName: 'execTransaction',
        args,
      }),
    ).rejects.toThrow(/GS026/);
  });
});
