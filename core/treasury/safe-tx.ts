/**
 * A Safe 1.4.1 transaction (SafeTx) and its safeTxHash, computed offline: the
 * EIP-712 digest the contract's `getTransactionHash` returns and each owner signs.
 * Type strings as in Safe.sol 1.4.1 (DOMAIN_SEPARATOR_TYPEHASH, SAFE_TX_TYPEHASH).
 */
import { type Address, type Hex, hashTypedData, type TypedDataDefinition } from 'viem';

/** 0 = CALL, 1 = DELEGATECALL (MultiSend is reached by DELEGATECALL). */
export type SafeOperation = 0 | 1;

export interface SafeTx {
  to: Address;
  /** Wei (the chain's coin), a uint256. */
  value: bigint;
  data: Hex;
  operation: SafeOperation;
  safeTxGas: bigint;
  baseGas: bigint;
  gasPrice: bigint;
  gasToken: Address;
  refundReceiver: Address;
  nonce: bigint;
}

export const SAFE_VERSION = '1.4.1';

/** EIP712Domain(uint256 chainId,address verifyingContract): no name, no version. */
export const safeTxTypes = {
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

export type SafeTxTypedData = TypedDataDefinition<typeof safeTxTypes, 'SafeTx'>;

/** What an owner signs (EIP-712): also what a software test key's signTypedData takes. */
export function safeTxTypedData(chainId: number, safe: Address, tx: SafeTx): SafeTxTypedData {
  return {
    domain: { chainId, verifyingContract: safe },
    types: safeTxTypes,
    primaryType: 'SafeTx',
    message: { ...tx },
  };
}

export function safeTxHash(chainId: number, safe: Address, tx: SafeTx): Hex {
  return hashTypedData(safeTxTypedData(chainId, safe, tx));
}
