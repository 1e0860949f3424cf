/**
 * A Safe 1.4.1 on the dev ledger with one owner and threshold 1, and what its
 * owner signs: the EIP-712 Safe transaction hash (checked against the Safe's
 * own getTransactionHash), and a contract owner's signature (v = 0) as Safe
 * lays it out. Tests only; the Safe contracts are the ones the dev ledger
 * deploys as shipped.
 */
import {
  type Abi,
  type Address,
  concat,
  encodeFunctionData,
  getAddress,
  type Hex,
  hashTypedData,
  numberToHex,
  pad,
  parseEventLogs,
  zeroAddress,
} from 'viem';
import { expect } from 'vitest';
import { loadSafeArtifacts } from '../../ledger/compile.js';
import type { DevChainHandle } from './dev-chain.js';

const safe = await loadSafeArtifacts();
export const safeAbi = safe.SafeL2.abi as Abi;

const safeTxTypes = {
  SafeTx: [
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'data', type: 'bytes' },
    { name: 'operation', type: 'uint8' },
    { name: 'safeTxGas', type: 'uint256' },
    { name: 'baseGas', type: 'uint256' },
    { name: 'gasPrice', type: 'uint256' },
    { name: 'gasToken', type: 'address' },
    { name: 'refundReceiver', type: 'address' },
    { name: 'nonce', type: 'uint256' },
  ],
} as const;

/** Deploys a Safe owned by `owner` alone (threshold 1), paid for by `payerKey`; returns its address. */
export async function createSafe(
  ledger: DevChainHandle,
  payerKey: Hex,
  owner: Address,
): Promise<Address> {
  const { contracts } = ledger.profile;
  const setup = encodeFunctionData({
    abi: safeAbi,
    functionName: 'setup',
    args: [[owner], 1n, zeroAddress, '0x', contracts.fallbackHandler, zeroAddress, 0n, zeroAddress],
  });
  const hash = await ledger.wallet(payerKey).writeContract({
    address: contracts.safeProxyFactory,
    abi: safe.SafeProxyFactory.abi as Abi,
    functionName: 'createProxyWithNonce',
    args: [contracts.safeSingleton, setup, BigInt(Date.now())],
  });
  const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  const [created] = parseEventLogs({
    abi: safe.SafeProxyFactory.abi as Abi,
    logs: receipt.logs,
    eventName: 'ProxyCreation',
  });
  return getAddress((created!.args as { proxy: Address }).proxy);
}

/** A plain call the Safe makes (no refund, no delegatecall) at Safe nonce `nonce`. */
export function safeCall(to: Address, data: Hex, nonce = 0n) {
  return {
    to,
    value: 0n,
    data,
    operation: 0,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce,
  } as const;
}
export type SafeCall = ReturnType<typeof safeCall>;

/** The hash the owners approve, computed offline and checked against the Safe's. */
export async function safeTxHash(
  ledger: DevChainHandle,
  safeAddress: Address,
  tx: SafeCall,
): Promise<Hex> {
  const hash = hashTypedData({
    domain: { chainId: ledger.profile.chainId, verifyingContract: safeAddress },
    types: safeTxTypes,
    primaryType: 'SafeTx',
    message: tx,
  });
  const onChain = await ledger.publicClient.readContract({
    address: safeAddress,
    abi: safeAbi,
    functionName: 'getTransactionHash',
    args: [tx.to, tx.value, tx.data, tx.operation, 0n, 0n, 0n, zeroAddress, zeroAddress, tx.nonce],
  });
  expect(onChain).toBe(hash);
  return hash;
}

/**
 * A contract owner's signature (v = 0): r = the owner, s = where its bytes start
 * after the static part (65 for one owner), then {length}{signature}.
 */
export function contractSignature(owner: Address, signature: Hex): Hex {
  return concat([
    pad(owner),
    pad(numberToHex(65)),
    '0x00',
    pad(numberToHex((signature.length - 2) / 2)),
    signature,
  ]);
}

/** execTransaction with `signatures`, sent by `senderKey` (viem decodes a revert). */
export function execSafe(
  ledger: DevChainHandle,
  senderKey: Hex,
  safeAddress: Address,
  tx: SafeCall,
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
      0n,
      0n,
      0n,
      zeroAddress,
      zeroAddress,
      signatures,
    ],
  });
}
