/**
 * The ledger side of a P-256 key (ledger/contracts/P256Account.sol), computed
 * offline: the account's address (a CREATE2 clone of the factory's
 * implementation, its code carrying the public key), the EIP-712 data the key
 * signs for one call, and the factory call that carries it. Nothing here
 * knows where the key lives (a SoftHSM2 token, a TPM): the key signs a 32-byte
 * digest, whoever holds it.
 */
import {
  type Address,
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  hashTypedData,
  parseAbi,
  toHex,
  zeroHash,
} from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';

export const p256AccountAbi = parseAbi([
  'function nonce() view returns (uint256)',
  'function publicKey() view returns (bytes32 qx, bytes32 qy)',
  'function execute(address target, uint256 value, bytes data, uint256 nonce_, uint256 deadline, bytes32 r, bytes32 s) returns (bytes result)',
  'function executeDigest(address target, uint256 value, bytes data, uint256 nonce_, uint256 deadline) view returns (bytes32)',
  'function messageDigest(bytes32 hash) view returns (bytes32)',
  'function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)',
  'event Executed(uint256 indexed nonce, address indexed target, uint256 value, bytes32 digest)',
]);

/**
 * The legacy EIP-1271 form Safe 1.4.1 calls on a contract owner (its own ABI:
 * viem cannot tell the two overloads apart in one).
 */
export const legacySignatureValidatorAbi = parseAbi([
  'function isValidSignature(bytes data, bytes signature) view returns (bytes4)',
]);

export const p256AccountFactoryAbi = parseAbi([
  'function implementation() view returns (address)',
  'function accountAddress(bytes32 qx, bytes32 qy) view returns (address)',
  'function createAccount(bytes32 qx, bytes32 qy) returns (address account)',
  'function createAccountAndExecute(bytes32 qx, bytes32 qy, address target, uint256 value, bytes data, uint256 nonce, uint256 deadline, bytes32 r, bytes32 s) returns (bytes)',
  'function nonceOf(address account) view returns (uint256)',
  'event AccountCreated(address indexed account, bytes32 qx, bytes32 qy)',
]);

/** The account's EIP-712 domain name and version (P256Account's constructor). */
const DOMAIN = { name: 'Signet P256Account', version: '1' } as const;

export const executeTypes = {
  Execute: [
    { name: 'target', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'data', type: 'bytes' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
} as const;

export const messageTypes = { Message: [{ name: 'hash', type: 'bytes32' }] } as const;

/** One call a P-256 account makes, as its key signs it. */
export type AccountOperation = {
  target: Address;
  value: bigint;
  data: Hex;
  /** The account's own nonce (P256Account.nonce), not a transaction nonce. */
  nonce: bigint;
  /** Unix seconds; the contract refuses the operation after it. */
  deadline: bigint;
};

/** The public key's coordinates from its SEC1 uncompressed form (0x04 ‖ x ‖ y). */
export function p256Coordinates(publicKey: Hex): { qx: Hex; qy: Hex } {
  if (!/^0x04[0-9a-fA-F]{128}$/.test(publicKey)) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      'a P-256 public key must be 65 bytes, uncompressed (0x04 ‖ x ‖ y)',
    );
  }
  return { qx: `0x${publicKey.slice(4, 68)}`, qy: `0x${publicKey.slice(68)}` };
}

/** The factory of the ledger's P-256 accounts, or a one-line refusal where it has none. */
export function p256Factory(profile: ChainProfile): Address {
  const factory = profile.contracts.p256AccountFactory;
  if (!factory) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `ledger "${profile.name}" has no P-256 account factory (contracts.p256AccountFactory), so P-256 keys cannot hold accounts on it`,
      { details: { reason: 'no-p256-factory' } },
    );
  }
  return factory;
}

/** The implementation every account clones: the factory's first CREATE (a contract's nonces start at 1). */
export function p256Implementation(factory: Address): Address {
  return getContractAddress({ from: factory, nonce: 1n });
}

/**
 * Where the factory puts the account of `publicKey`: OpenZeppelin's clone with
 * immutable arguments (Clones.sol `_cloneCodeWithImmutableArgs`), salt zero,
 * arguments abi.encode(qx, qy). Only the factory, the implementation and the
 * key go into it, so no compiler output is needed to know it.
 */
export function p256AccountAddress(factory: Address, publicKey: Hex): Address {
  const { qx, qy } = p256Coordinates(publicKey);
  const args = encodeAbiParameters([{ type: 'bytes32' }, { type: 'bytes32' }], [qx, qy]);
  const initCode = concat([
    '0x61',
    toHex(64 + 0x2d, { size: 2 }),
    '0x3d81600a3d39f3363d3d373d3d3d363d73',
    p256Implementation(factory),
    '0x5af43d82803e903d91602b57fd5bf3',
    args,
  ]);
  return getContractAddress({
    opcode: 'CREATE2',
    from: factory,
    salt: zeroHash,
    bytecode: initCode,
  });
}

/** The typed data the key signs for one operation of `account` on `chainId`. */
export function executeTypedData(chainId: number, account: Address, operation: AccountOperation) {
  return {
    domain: { ...DOMAIN, chainId, verifyingContract: account },
    types: executeTypes,
    primaryType: 'Execute' as const,
    message: operation,
  };
}

/** The typed data the key signs to vouch for `hash` to an EIP-1271 verifier (a Safe). */
export function messageTypedData(chainId: number, account: Address, hash: Hex) {
  return {
    domain: { ...DOMAIN, chainId, verifyingContract: account },
    types: messageTypes,
    primaryType: 'Message' as const,
    message: { hash },
  };
}

/** The 32 bytes the key signs for one operation (P256Account.executeDigest). */
export function executeDigest(chainId: number, account: Address, operation: AccountOperation): Hex {
  return hashTypedData(executeTypedData(chainId, account, operation));
}

/**
 * What a carrier's transaction calls: the factory, which deploys the account
 * if need be, then has it execute the signed operation. Before the key has
 * signed, r and s are zero: that is the transaction a review shows.
 */
export function carriedCallData(
  publicKey: Hex,
  operation: AccountOperation,
  signature: { r: Hex; s: Hex } = { r: zeroHash, s: zeroHash },
): Hex {
  const { qx, qy } = p256Coordinates(publicKey);
  return encodeFunctionData({
    abi: p256AccountFactoryAbi,
    functionName: 'createAccountAndExecute',
    args: [
      qx,
      qy,
      operation.target,
      operation.value,
      operation.data,
      operation.nonce,
      operation.deadline,
      signature.r,
      signature.s,
    ],
  });
}
