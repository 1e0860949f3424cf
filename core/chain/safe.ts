/**
 * A treasury account is a Safe 1.4.1 (the contracts the ledger deploys as
 * @safe-global/safe-contracts ships them). Everything an approver needs is
 * computed here offline, with no node: the `setup` call that names the owners
 * and threshold, the address the proxy factory will deploy the Safe at
 * (CREATE2), the EIP-712 hash of a Safe transaction (what each owner signs),
 * the signatures laid out as Safe's checkNSignatures reads them,
 * MultiSendCallOnly batches (packed and unpacked), and owner and threshold
 * changes. Like core/chain/abi.ts, the ABIs are hand-written
 * and test/safe-account.integration.test.ts checks them, the proxy's creation
 * code and the typed data against the npm artifacts and the deployed contracts.
 */
import {
  type Address,
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  encodePacked,
  getAddress,
  getContractAddress,
  type Hex,
  hashTypedData,
  isAddress,
  isHex,
  keccak256,
  numberToHex,
  type PublicClient,
  pad,
  parseAbi,
  size,
  zeroAddress,
} from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import type { AccountSigner } from './account-signer.js';
import { P256AccountSigner } from './p256-account-signer.js';

export const safeAbi = parseAbi([
  'function setup(address[] _owners, uint256 _threshold, address to, bytes data, address fallbackHandler, address paymentToken, uint256 payment, address paymentReceiver)',
  'function getOwners() view returns (address[])',
  'function getThreshold() view returns (uint256)',
  'function isOwner(address owner) view returns (bool)',
  'function nonce() view returns (uint256)',
  'function getTransactionHash(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce) view returns (bytes32)',
  'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool success)',
  'function approveHash(bytes32 hashToApprove)',
  'function approvedHashes(address owner, bytes32 hash) view returns (uint256)',
  'function addOwnerWithThreshold(address owner, uint256 _threshold)',
  'function removeOwner(address prevOwner, address owner, uint256 _threshold)',
  'function swapOwner(address prevOwner, address oldOwner, address newOwner)',
  'function changeThreshold(uint256 _threshold)',
  'event ExecutionSuccess(bytes32 indexed txHash, uint256 payment)',
  'event ExecutionFailure(bytes32 indexed txHash, uint256 payment)',
]);

export const safeProxyFactoryAbi = parseAbi([
  'function createProxyWithNonce(address _singleton, bytes initializer, uint256 saltNonce) returns (address proxy)',
  'function proxyCreationCode() pure returns (bytes)',
  'event ProxyCreation(address indexed proxy, address singleton)',
]);

export const multiSendAbi = parseAbi(['function multiSend(bytes transactions) payable']);

/**
 * SafeProxy's creation code, which SafeProxyFactory 1.4.1 returns from
 * proxyCreationCode() and deploys with CREATE2 (the bytecode of
 * build/artifacts/contracts/proxies/SafeProxy.sol/SafeProxy.json; a test checks
 * both). Kept here so that predicting an address needs neither a node nor the
 * npm artifacts at run time.
 */
export const safeProxyCreationCode: Hex =
  '0x608060405234801561001057600080fd5b506040516101e63803806101e68339818101604052602081101561003357600080fd5b8101908080519060200190929190505050600073ffffffffffffffffffffffffffffffffffffffff168173ffffffffffffffffffffffffffffffffffffffff1614156100ca576040517f08c379a00000000000000000000000000000000000000000000000000000000081526004018080602001828103825260228152602001806101c46022913960400191505060405180910390fd5b806000806101000a81548173ffffffffffffffffffffffffffffffffffffffff021916908373ffffffffffffffffffffffffffffffffffffffff1602179055505060ab806101196000396000f3fe608060405273ffffffffffffffffffffffffffffffffffffffff600054167fa619486e0000000000000000000000000000000000000000000000000000000060003514156050578060005260206000f35b3660008037600080366000845af43d6000803e60008114156070573d6000fd5b3d6000f3fea264697066735822122003d1488ee65e08fa41e58e888a9865554c535f2c77126a82cb4c0f917f31441364736f6c63430007060033496e76616c69642073696e676c65746f6e20616464726573732070726f7669646564';

/** The Safe contracts' version Signet builds for (the npm artifacts deployed on the dev ledger). */
export const SAFE_VERSION = '1.4.1';

/** Safe 1.4.1's SafeTx (Safe.sol SAFE_TX_TYPEHASH); its domain is {chainId, verifyingContract} only. */
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

/** 0: call, 1: delegatecall (only ever into MultiSendCallOnly here). */
export type SafeOperation = 0 | 1;

/**
 * A Safe transaction: what a proposal carries and every owner signs. (A type, not
 * an interface, so that viem's typed-data signers take it as a message.)
 */
export type SafeTx = {
  to: Address;
  value: bigint;
  data: Hex;
  operation: SafeOperation;
  safeTxGas: bigint;
  baseGas: bigint;
  gasPrice: bigint;
  gasToken: Address;
  refundReceiver: Address;
  nonce: bigint;
};

/** Safe's linked list of owners starts and ends here: it can never be an owner. */
export const SENTINEL_OWNERS = '0x0000000000000000000000000000000000000001';

function invalid(message: string, reason: string): SignetError {
  return new SignetError('INVALID_ARGUMENT', message, { details: { reason } });
}

/**
 * Owners checksummed, in the order given. Refuses what Safe's setup would
 * (GS202/GS201 threshold, GS203 zero or sentinel owner, GS204 a duplicate)
 * with a one-line reason, before anything is signed or sent.
 */
export function checkOwners(owners: readonly string[], threshold: number): Address[] {
  if (owners.length === 0) throw invalid('a treasury needs at least one owner', 'no-owners');
  const seen = new Set<string>();
  const checked = owners.map((owner) => {
    if (!isAddress(owner, { strict: false })) {
      throw invalid(`owner ${owner} is not an address`, 'owner-invalid');
    }
    const address = getAddress(owner);
    if (address === zeroAddress || address === getAddress(SENTINEL_OWNERS)) {
      throw invalid(`owner ${address} cannot own a Safe`, 'owner-invalid');
    }
    if (seen.has(address)) throw invalid(`owner ${address} is listed twice`, 'owner-duplicate');
    seen.add(address);
    return address;
  });
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > checked.length) {
    throw invalid(
      `threshold must be a whole number from 1 to ${checked.length} (the owners), got ${threshold}`,
      'threshold-invalid',
    );
  }
  return checked;
}

/**
 * The `setup` call a new Safe's proxy runs once: owners, threshold, and the
 * ledger's CompatibilityFallbackHandler (EIP-1271 for the Safe itself); no
 * module, no deployment refund.
 */
export function safeSetupData(
  owners: readonly string[],
  threshold: number,
  fallbackHandler: Address,
): Hex {
  return encodeFunctionData({
    abi: safeAbi,
    functionName: 'setup',
    args: [
      checkOwners(owners, threshold),
      BigInt(threshold),
      zeroAddress,
      '0x',
      fallbackHandler,
      zeroAddress,
      0n,
      zeroAddress,
    ],
  });
}

/**
 * Where SafeProxyFactory.createProxyWithNonce(singleton, initializer, saltNonce)
 * deploys: CREATE2 from the factory, salt keccak256(keccak256(initializer) ‖
 * saltNonce), init code proxyCreationCode ‖ uint256(singleton).
 */
export function predictSafeAddress(
  factory: Address,
  singleton: Address,
  initializer: Hex,
  saltNonce: bigint,
): Address {
  const salt = keccak256(encodePacked(['bytes32', 'uint256'], [keccak256(initializer), saltNonce]));
  const bytecode = concat([
    safeProxyCreationCode,
    encodeAbiParameters([{ type: 'address' }], [singleton]),
  ]);
  return getContractAddress({ opcode: 'CREATE2', from: factory, salt, bytecode });
}

/** A treasury before it exists: its address, and the factory call anyone can send to deploy it. */
export interface SafeDeployment {
  address: Address;
  owners: Address[];
  threshold: number;
  saltNonce: bigint;
  /** Transaction to the ledger's proxy factory. */
  factory: Address;
  data: Hex;
}

export function safeDeployment(
  contracts: Pick<
    ChainProfile['contracts'],
    'safeSingleton' | 'safeProxyFactory' | 'fallbackHandler'
  >,
  owners: readonly string[],
  threshold: number,
  saltNonce: bigint,
): SafeDeployment {
  const checked = checkOwners(owners, threshold);
  const initializer = safeSetupData(checked, threshold, contracts.fallbackHandler);
  return {
    address: predictSafeAddress(
      contracts.safeProxyFactory,
      contracts.safeSingleton,
      initializer,
      saltNonce,
    ),
    owners: checked,
    threshold,
    saltNonce,
    factory: contracts.safeProxyFactory,
    data: encodeFunctionData({
      abi: safeProxyFactoryAbi,
      functionName: 'createProxyWithNonce',
      args: [contracts.safeSingleton, initializer, saltNonce],
    }),
  };
}

/** A plain call by the Safe: no gas refund, so no gas fields to agree on. */
export function safeCall(
  call: { to: Address; value?: bigint; data: Hex; operation?: SafeOperation },
  nonce: bigint,
): SafeTx {
  return {
    to: call.to,
    value: call.value ?? 0n,
    data: call.data,
    operation: call.operation ?? 0,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: zeroAddress,
    refundReceiver: zeroAddress,
    nonce,
  };
}

export function safeTxTypedData(chainId: number, safe: Address, tx: SafeTx) {
  return {
    domain: { chainId, verifyingContract: safe },
    types: safeTxTypes,
    primaryType: 'SafeTx' as const,
    message: tx,
  };
}

/** The 32 bytes every owner approves (Safe.getTransactionHash), computed offline. */
export function safeTxHash(chainId: number, safe: Address, tx: SafeTx): Hex {
  return hashTypedData(safeTxTypedData(chainId, safe, tx));
}

/** The arguments of getTransactionHash and (with the signatures last) of execTransaction. */
function txArgs(tx: SafeTx) {
  return [
    tx.to,
    tx.value,
    tx.data,
    tx.operation,
    tx.safeTxGas,
    tx.baseGas,
    tx.gasPrice,
    tx.gasToken,
    tx.refundReceiver,
  ] as const;
}

export function execTransactionData(tx: SafeTx, signatures: Hex): Hex {
  return encodeFunctionData({
    abi: safeAbi,
    functionName: 'execTransaction',
    args: [...txArgs(tx), signatures],
  });
}

/** One call inside a MultiSendCallOnly batch (calls only: that contract refuses delegatecalls). */
export interface BatchCall {
  to: Address;
  value?: bigint;
  data: Hex;
}

/**
 * MultiSend's packed transactions: for each call uint8 operation (0) ‖ address
 * to ‖ uint256 value ‖ uint256 data length ‖ data, with no padding.
 */
export function encodeMultiSend(calls: readonly BatchCall[]): Hex {
  if (calls.length === 0) throw invalid('a batch needs at least one call', 'batch-empty');
  return concat(
    calls.map((call) =>
      encodePacked(
        ['uint8', 'address', 'uint256', 'uint256', 'bytes'],
        [0, call.to, call.value ?? 0n, BigInt(size(call.data)), call.data],
      ),
    ),
  );
}

/** A batch as one Safe transaction: a delegatecall into the ledger's MultiSendCallOnly. */
export function safeBatch(
  multiSendCallOnly: Address,
  calls: readonly BatchCall[],
  nonce: bigint,
): SafeTx {
  return safeCall(
    {
      to: multiSendCallOnly,
      data: encodeFunctionData({
        abi: multiSendAbi,
        functionName: 'multiSend',
        args: [encodeMultiSend(calls)],
      }),
      operation: 1,
    },
    nonce,
  );
}

/**
 * Splits MultiSend's packed transactions back into calls (what a reviewer's
 * screen decodes). Refuses a delegatecall inside (MultiSendCallOnly would
 * revert) and bytes that do not end on a call boundary.
 */
export function decodeMultiSend(packed: Hex): BatchCall[] {
  if (!isHex(packed, { strict: true }) || packed.length % 2 !== 0) {
    throw invalid('the batch is not a string of hex bytes', 'batch-invalid');
  }
  const bytes = packed.slice(2);
  const calls: BatchCall[] = [];
  let at = 0;
  const read = (length: number): string => {
    if (at + length * 2 > bytes.length) {
      throw invalid('the batch is truncated: a call runs past its end', 'batch-truncated');
    }
    const part = bytes.slice(at, at + length * 2);
    at += length * 2;
    return part;
  };
  while (at < bytes.length) {
    const operation = Number.parseInt(read(1), 16);
    if (operation !== 0) {
      throw invalid(`call ${calls.length + 1} of the batch is not a plain call`, 'batch-operation');
    }
    const to = getAddress(`0x${read(20)}`);
    const value = BigInt(`0x${read(32)}`);
    const length = BigInt(`0x${read(32)}`);
    if (length > BigInt(bytes.length)) {
      throw invalid('the batch is truncated: a call runs past its end', 'batch-truncated');
    }
    calls.push({ to, value, data: `0x${read(Number(length))}` });
  }
  if (calls.length === 0) throw invalid('a batch needs at least one call', 'batch-empty');
  return calls;
}

/** A change of owners or threshold, which the Safe makes on itself after the usual approvals. */
export type OwnerChange =
  | { kind: 'add'; owner: string; threshold: number }
  | { kind: 'remove'; owner: string; threshold: number }
  | { kind: 'swap'; oldOwner: string; newOwner: string }
  | { kind: 'threshold'; threshold: number };

/**
 * The Safe transaction for an owner change, from the owners as getOwners()
 * lists them (Safe's linked list: removeOwner and swapOwner name the owner
 * before, the sentinel for the first), and the owners and threshold after it,
 * in getOwners() order (an added owner comes first). Refused here, with a
 * reason, when Safe would refuse it.
 */
export function ownerChangeCall(
  safe: Address,
  current: { owners: readonly Address[]; threshold: number },
  change: OwnerChange,
  nonce: bigint,
): { tx: SafeTx; owners: Address[]; threshold: number } {
  const owners = current.owners.map((owner) => getAddress(owner));
  const indexOf = (owner: string, what: string): number => {
    const index = isAddress(owner, { strict: false }) ? owners.indexOf(getAddress(owner)) : -1;
    if (index < 0) throw invalid(`${what} ${owner} is not an owner of ${safe}`, 'not-an-owner');
    return index;
  };
  const previous = (index: number): Address =>
    index === 0 ? getAddress(SENTINEL_OWNERS) : owners[index - 1]!;
  const call = (data: Hex) => safeCall({ to: safe, data }, nonce);
  const newcomer = (owner: string): Address => {
    const [address] = checkOwners([owner], 1);
    if (address === getAddress(safe)) throw invalid(`${safe} cannot own itself`, 'owner-invalid');
    if (owners.includes(address!)) {
      throw invalid(`${address} is already an owner of ${safe}`, 'owner-duplicate');
    }
    return address!;
  };
  switch (change.kind) {
    case 'add': {
      const after = [newcomer(change.owner), ...owners];
      checkOwners(after, change.threshold);
      return {
        tx: call(
          encodeFunctionData({
            abi: safeAbi,
            functionName: 'addOwnerWithThreshold',
            args: [after[0]!, BigInt(change.threshold)],
          }),
        ),
        owners: after,
        threshold: change.threshold,
      };
    }
    case 'remove': {
      const index = indexOf(change.owner, 'owner');
      const after = owners.filter((_, i) => i !== index);
      if (after.length === 0) throw invalid('a treasury keeps at least one owner', 'no-owners');
      checkOwners(after, change.threshold);
      return {
        tx: call(
          encodeFunctionData({
            abi: safeAbi,
            functionName: 'removeOwner',
            args: [previous(index), owners[index]!, BigInt(change.threshold)],
          }),
        ),
        owners: after,
        threshold: change.threshold,
      };
    }
    case 'swap': {
      const index = indexOf(change.oldOwner, 'owner');
      const replacement = newcomer(change.newOwner);
      const after = owners.map((owner, i) => (i === index ? replacement : owner));
      return {
        tx: call(
          encodeFunctionData({
            abi: safeAbi,
            functionName: 'swapOwner',
            args: [previous(index), owners[index]!, replacement],
          }),
        ),
        owners: after,
        threshold: current.threshold,
      };
    }
    case 'threshold': {
      checkOwners(owners, change.threshold);
      return {
        tx: call(
          encodeFunctionData({
            abi: safeAbi,
            functionName: 'changeThreshold',
            args: [BigInt(change.threshold)],
          }),
        ),
        owners,
        threshold: change.threshold,
      };
    }
  }
}

/**
 * An owner's approval as Safe reads it: `ecdsa` a 65-byte r ‖ s ‖ v (v 27 or 28)
 * over the safeTxHash itself (EIP-712, what a token or HID key signs);
 * `contract` the bytes an owner contract's EIP-1271 isValidSignature accepts (a
 * P-256 account's r ‖ s); `approved` an owner that called approveHash on chain.
 */
export type SafeSignature =
  | { kind: 'ecdsa'; owner: Address; signature: Hex }
  | { kind: 'contract'; owner: Address; signature: Hex }
  | { kind: 'approved'; owner: Address };

/**
 * The `signatures` argument of execTransaction: one 65-byte slot per owner in
 * ascending owner order (Safe refuses any other, GS026), then the contract
 * signatures' bytes, each as length ‖ bytes, which their slot points at
 * (r = owner, s = offset from the start, v = 0). An approved hash is r = owner,
 * s = 0, v = 1.
 */
export function encodeSafeSignatures(signatures: readonly SafeSignature[]): Hex {
  const sorted = [...signatures].sort((a, b) =>
    BigInt(a.owner) < BigInt(b.owner) ? -1 : BigInt(a.owner) > BigInt(b.owner) ? 1 : 0,
  );
  for (let i = 1; i < sorted.length; i++) {
    if (BigInt(sorted[i]!.owner) === BigInt(sorted[i - 1]!.owner)) {
      throw invalid(`owner ${getAddress(sorted[i]!.owner)} signed twice`, 'signature-duplicate');
    }
  }
  const slots: Hex[] = [];
  const dynamic: Hex[] = [];
  let offset = sorted.length * 65;
  for (const entry of sorted) {
    const owner = pad(entry.owner);
    if (entry.kind === 'ecdsa') {
      const v = size(entry.signature) === 65 ? Number.parseInt(entry.signature.slice(-2), 16) : 0;
      if (v !== 27 && v !== 28) {
        throw invalid(
          `the signature of ${getAddress(entry.owner)} is not 65 bytes r ‖ s ‖ v with v 27 or 28`,
          'signature-invalid',
        );
      }
      slots.push(entry.signature);
    } else if (entry.kind === 'approved') {
      slots.push(concat([owner, pad('0x00'), '0x01']));
    } else {
      slots.push(concat([owner, pad(numberToHex(offset)), '0x00']));
      const part = concat([pad(numberToHex(size(entry.signature))), entry.signature]);
      dynamic.push(part);
      offset += size(part);
    }
  }
  return concat([...slots, ...dynamic]);
}

/**
 * An owner's approval of `tx`: a secp256k1 key (token or Ledger) signs the
 * SafeTx as EIP-712 typed data, so a device that decodes typed data shows what
 * it signs; a P-256 account's key vouches for the safeTxHash to its account,
 * which the Safe asks (EIP-1271).
 */
export async function approveSafeTx(
  signer: AccountSigner | P256AccountSigner,
  chainId: number,
  safe: Address,
  tx: SafeTx,
): Promise<SafeSignature> {
  if (signer instanceof P256AccountSigner) {
    const { signature } = await signer.signMessageHash(chainId, safeTxHash(chainId, safe, tx));
    return { kind: 'contract', owner: signer.account.address, signature };
  }
  const { signature } = await signer.signTypedData(safeTxTypedData(chainId, safe, tx));
  return { kind: 'ecdsa', owner: signer.address, signature };
}

/** A deployed treasury as the chain has it. */
export interface SafeState {
  owners: Address[];
  threshold: number;
  nonce: bigint;
}

export async function readSafe(client: PublicClient, safe: Address): Promise<SafeState> {
  const read = <T>(functionName: 'getOwners' | 'getThreshold' | 'nonce') =>
    client.readContract({ address: safe, abi: safeAbi, functionName }) as Promise<T>;
  const [owners, threshold, nonce] = await Promise.all([
    read<readonly Address[]>('getOwners'),
    read<bigint>('getThreshold'),
    read<bigint>('nonce'),
  ]);
  return { owners: [...owners], threshold: Number(threshold), nonce };
}

/**
 * The safeTxHash as computed offline, after checking it against the Safe's own
 * getTransactionHash: a mismatch (another chain, another Safe version) is
 * refused before anyone signs.
 */
export async function checkedSafeTxHash(
  client: PublicClient,
  chainId: number,
  safe: Address,
  tx: SafeTx,
): Promise<Hex> {
  const offline = safeTxHash(chainId, safe, tx);
  const onChain = await client.readContract({
    address: safe,
    abi: safeAbi,
    functionName: 'getTransactionHash',
    args: [...txArgs(tx), tx.nonce],
  });
  if (onChain !== offline) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `Safe ${safe} hashes this transaction as ${onChain}, not ${offline}: not a Safe 1.4.1 on chain ${chainId}`,
      { details: { reason: 'safe-tx-hash-mismatch', offline, onChain } },
    );
  }
  return offline;
}
