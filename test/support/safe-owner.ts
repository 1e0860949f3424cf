/**
 * A Safe 1.4.1 on the dev ledger with one owner and threshold 1, for tests whose
 * subject is the owner (a P-256 account): deployment, the hash the owner signs
 * (checked against the Safe's own getTransactionHash) and execution, all built
 * by core/chain/safe.ts, the code the treasury uses.
 */
import { type Address, getAddress, type Hex, parseEventLogs } from 'viem';
import { expect } from 'vitest';
import {
  checkedSafeTxHash,
  encodeSafeSignatures,
  type SafeTx,
  safeAbi,
  safeCall as safeCallOf,
  safeDeployment,
  safeProxyFactoryAbi,
} from '../../core/chain/safe.js';
import type { DevChainHandle } from './dev-chain.js';

export { safeAbi };

/** Deploys a Safe owned by `owner` alone (threshold 1), paid for by `payerKey`; returns its address. */
export async function createSafe(
  ledger: DevChainHandle,
  payerKey: Hex,
  owner: Address,
): Promise<Address> {
  const deployment = safeDeployment(ledger.profile.contracts, [owner], 1, BigInt(Date.now()));
  const hash = await ledger.wallet(payerKey).sendTransaction({
    to: deployment.factory,
    data: deployment.data,
  });
  const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  const [created] = parseEventLogs({
    abi: safeProxyFactoryAbi,
    logs: receipt.logs,
    eventName: 'ProxyCreation',
  });
  expect(getAddress(created!.args.proxy)).toBe(deployment.address);
  return deployment.address;
}

/** A plain call the Safe makes (no refund, no delegatecall) at Safe nonce `nonce`. */
export function safeCall(to: Address, data: Hex, nonce = 0n): SafeTx {
  return safeCallOf({ to, data }, nonce);
}
export type SafeCall = SafeTx;

/** The hash the owners approve, computed offline and checked against the Safe's. */
export function safeTxHash(ledger: DevChainHandle, safeAddress: Address, tx: SafeTx): Promise<Hex> {
  return checkedSafeTxHash(ledger.publicClient, ledger.profile.chainId, safeAddress, tx);
}

/** A contract owner's signature (v = 0) as the only one: Safe's layout, from core. */
export function contractSignature(owner: Address, signature: Hex): Hex {
  return encodeSafeSignatures([{ kind: 'contract', owner, signature }]);
}

/** execTransaction with `signatures`, sent by `senderKey` (viem decodes a revert). */
export function execSafe(
  ledger: DevChainHandle,
  senderKey: Hex,
  safeAddress: Address,
  tx: SafeTx,
  signatures: Hex,
) {
  return ledger.wallet(senderKey).writeContract({
    address: safeAddress,
    abi: safeAbi,
    functionName: 'execTransaction',
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
      signatures,
    ],
  });
}
