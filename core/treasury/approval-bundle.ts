/**
 * An approval bundle: a treasury proposal (a SafeTx and its description), the
 * treasury's owners and threshold, and the owners' signatures so far. It travels
 * between approvers by file or QR with no backend, so everything an offline
 * approver needs is inside it, and every signature in it is checked on the way in.
 *
 * Pure: no chain access. The online side checks owners and threshold against the
 * chain before execution.
 */
import { p256 } from '@noble/curves/nist.js';
import {
  type Address,
  getAddress,
  type Hex,
  hashTypedData,
  hexToBigInt,
  hexToBytes,
  isAddress,
  isAddressEqual,
  recoverAddress,
  size,
  slice,
  zeroAddress,
} from 'viem';
import { SignetError } from '../api/errors.js';
import { messageTypedData, p256AccountAddress } from '../chain/p256-account.js';
import { encodeSafeSignatures, type SafeTx, safeTxHash } from '../chain/safe.js';

export interface Proposal {
  tx: SafeTx;
  /** What the proposer says it does; shown beside the decoded call, never signed. */
  description: string;
}

/**
 * One owner's approval. `ecdsa`: 65 bytes r‖s‖v over the safeTxHash (EIP-712),
 * v = 27 or 28, low s: what Signet's secp256k1 keys produce. Safe also accepts
 * eth_sign (v > 30) and approved hashes (v = 1), which Signet never makes, so a
 * 65-byte signature of those types is refused; contract signatures (v = 0) are
 * the `contract` kind.
 */
export interface EcdsaApproval {
  kind: 'ecdsa';
  owner: Address;
  signature: Hex;
}

/**
 * A P-256 account owner's approval (EIP-1271, ledger/contracts/P256Account.sol):
 * the owner is the account, the key vouches for the safeTxHash to it. Safe
 * 1.4.1 asks the account's isValidSignature, which checks the 64 bytes r‖s
 * (low s) against its own key over its EIP-712 `Message(safeTxHash)` digest.
 * The key travels with the signature so that an offline approver can check
 * both: the account is the factory's CREATE2 address of this key, and the
 * signature verifies over that digest.
 */
export interface ContractApproval {
  kind: 'contract';
  /** The key's P256Account. */
  owner: Address;
  /** The account's key, SEC1 uncompressed: 0x04 ‖ qx ‖ qy. */
  publicKey: Hex;
  /** 64 bytes r ‖ s, s ≤ n/2. */
  signature: Hex;
}
export type OwnerApproval = EcdsaApproval | ContractApproval;

export interface ApprovalBundle {
  chainId: number;
  /** The treasury: a Safe 1.4.1 proxy. */
  safe: Address;
  /** Sorted by address, ascending. */
  owners: readonly Address[];
  threshold: number;
  proposal: Proposal;
  /** At most one per owner, sorted by owner address, ascending. */
  approvals: readonly OwnerApproval[];
  /**
   * The chain's P256AccountFactory (the proposer's profile has it), so that a
   * machine with no profile can tell which account a P-256 key is, and check a
   * contract approval's account against its key. Not signed by anyone, and
   * needs no trust: a contract approval counts only if its account is the
   * CREATE2 address of this factory and the approval's key, and no other
   * factory and key give the same address (a 160-bit second preimage).
   */
  p256AccountFactory?: Address;
}

export const MAX_DESCRIPTION_LENGTH = 2000;
/**
 * Control and format characters (bidi overrides, zero-width marks) other than
 * line breaks and tabs: a description is shown to every approver, and these could
 * make it display as something other than what it says.
 */
const HIDDEN_TEXT = /[\p{Cc}\p{Cf}]/u;
const hasHiddenText = (text: string) => HIDDEN_TEXT.test(text.replace(/[\n\t]/g, ''));

/** secp256k1's group order halved: a larger s is the malleable twin of a valid signature. */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
/** P-256's group order: OpenZeppelin's P256.verify refuses an s above half of it. */
const P256_N = p256.Point.CURVE().n;

export function bundleSafeTxHash(bundle: ApprovalBundle): Hex {
  return safeTxHash(bundle.chainId, bundle.safe, bundle.proposal.tx);
}

function invalid(reason: string, message: string): SignetError {
  return new SignetError('BUNDLE_INVALID', message, { details: { reason } });
}

function mismatch(reason: string, message: string): SignetError {
  return new SignetError('BUNDLE_MISMATCH', `the approval bundles differ: ${message}`, {
    details: { reason },
  });
}

function checksummed(text: string, what: string): Address {
  if (typeof text !== 'string' || !isAddress(text, { strict: true })) {
    throw invalid(
      'address',
      `the ${what} ${String(text)} is not an address (0x and 40 hex digits, valid EIP-55 checksum)`,
    );
  }
  return getAddress(text);
}

function byAddress(a: Address, b: Address): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** How a signed file refuses a signature: its error, and what a signature by someone else over its hash means. */
export interface SignatureRefusal {
  /** What was signed, as in "0x… signed this approval". */
  what: string;
  invalid: (reason: string, message: string) => SignetError;
  /** e.g. "over safeTxHash 0x…: the proposal changed after it was signed, or …". */
  mismatch: (hash: Hex) => string;
}

/**
 * Checks one owner's signature over an EIP-712 hash: its form (65 bytes, v
 * 27/28, low s) and that it recovers to the owner it names, who is an owner.
 * Approvals and treasury policies (policy-file.ts) are both checked by this.
 */
export async function verifyOwnerSignature(
  hash: Hex,
  owners: readonly Address[],
  approval: EcdsaApproval,
  refusal: SignatureRefusal,
): Promise<void> {
  const { invalid } = refusal;
  const { owner, signature } = approval;
  if (!owners.some((o) => isAddressEqual(o, owner))) {
    throw invalid(
      'not-owner',
      `${owner} signed ${refusal.what} but is not an owner of the treasury`,
    );
  }
  if (size(signature) !== 65) {
    throw invalid('signature', `the signature by ${owner} is ${size(signature)} bytes, not 65`);
  }
  const v = Number.parseInt(signature.slice(-2), 16);
  if (v !== 27 && v !== 28) {
    throw invalid(
      'signature-type',
      `the signature by ${owner} has v = ${v}: Signet accepts only EIP-712 signatures (v 27 or 28)`,
    );
  }
  const r = hexToBigInt(slice(signature, 0, 32));
  const s = hexToBigInt(slice(signature, 32, 64));
  if (r === 0n || s === 0n || s > HALF_N) {
    throw invalid('signature', `the signature by ${owner} is not a canonical (low-s) signature`);
  }
  let signer: Address;
  try {
    signer = await recoverAddress({ hash, signature });
  } catch {
    throw invalid('signature', `the signature by ${owner} does not recover to any key`);
  }
  if (!isAddressEqual(signer, owner)) {
    throw invalid(
      'signature',
      `the signature said to be by ${owner} is by ${signer} ${refusal.mismatch(hash)}`,
    );
  }
}

const approvalRefusal: SignatureRefusal = {
  what: 'this approval',
  invalid,
  mismatch: (hash) =>
    `over safeTxHash ${hash}: the proposal changed after it was signed, or the signature is not this owner's`,
};

/** What a contract approval is checked against besides the hash: its chain and the accounts' factory. */
export interface P256Context {
  chainId: number;
  p256AccountFactory?: Address | undefined;
}

/**
 * The digest a P-256 account's key signs to vouch for `hash`
 * (P256Account.messageDigest: EIP-712 under the account's own domain).
 */
export function p256MessageDigest(chainId: number, account: Address, hash: Hex): Hex {
  return hashTypedData(messageTypedData(chainId, account, hash));
}

/**
 * Checks a P-256 account owner's approval offline, as the account's
 * isValidSignature would on chain: the account is an owner, it is the
 * factory's CREATE2 address of the key (so the key is the one the account's
 * code carries), and the 64-byte r‖s (low s) verifies with that key over the
 * account's Message(safeTxHash) digest.
 */
export function verifyContractApproval(
  hash: Hex,
  owners: readonly Address[],
  approval: ContractApproval,
  context: P256Context,
): void {
  const { owner, publicKey, signature } = approval;
  if (!owners.some((o) => isAddressEqual(o, owner))) {
    throw invalid('not-owner', `${owner} signed this approval but is not an owner of the treasury`);
  }
  const factory = context.p256AccountFactory;
  if (!factory) {
    throw invalid(
      'p256-factory',
      `the approval by P-256 account ${owner} cannot be checked: the bundle names no P-256 account factory`,
    );
  }
  try {
    p256.Point.fromBytes(hexToBytes(publicKey));
    if (size(publicKey) !== 65) throw new Error('not uncompressed');
  } catch {
    throw invalid(
      'public-key',
      `the key given for ${owner} is not a P-256 public key (0x04 ‖ qx ‖ qy)`,
    );
  }
  const account = p256AccountAddress(factory, publicKey);
  if (!isAddressEqual(account, owner)) {
    throw invalid(
      'account',
      `the key given for ${owner} is the key of P-256 account ${account}, not of ${owner}`,
    );
  }
  if (size(signature) !== 64) {
    throw invalid(
      'signature',
      `the signature by ${owner} is ${size(signature)} bytes, not 64 (r ‖ s)`,
    );
  }
  const r = hexToBigInt(slice(signature, 0, 32));
  const s = hexToBigInt(slice(signature, 32, 64));
  if (r === 0n || r >= P256_N || s === 0n || s > P256_N / 2n) {
    throw invalid(
      'signature',
      `the signature by ${owner} is not a canonical (low-s) P-256 signature`,
    );
  }
  const digest = p256MessageDigest(context.chainId, owner, hash);
  if (
    !p256.verify(hexToBytes(signature), hexToBytes(digest), hexToBytes(publicKey), {
      prehash: false,
      lowS: true,
    })
  ) {
    throw invalid(
      'signature',
      `the signature by P-256 account ${owner} does not verify ${approvalRefusal.mismatch(hash)}`,
    );
  }
}

/**
 * Checks one approval against the safeTxHash and the owners. ECDSA: its form
 * (65 bytes, v 27/28, low s) and that it recovers to the owner it names, who is
 * an owner. Contract: verifyContractApproval, which needs `context`.
 */
export async function verifyApproval(
  hash: Hex,
  owners: readonly Address[],
  approval: OwnerApproval,
  context?: P256Context,
): Promise<void> {
  const key = verifiedKey(hash, approval, context);
  if (verified.has(key) && owners.some((o) => isAddressEqual(o, approval.owner))) return;
  if (approval.kind === 'ecdsa') {
    await verifyOwnerSignature(hash, owners, approval, approvalRefusal);
  } else if (approval.kind !== 'contract' || !context) {
    throw invalid('signature-type', `the approval by ${approval.owner} is of an unknown kind`);
  } else {
    verifyContractApproval(hash, owners, approval, context);
  }
  verified.add(key);
  if (verified.size > MAX_VERIFIED) verified.delete(verified.values().next().value as string);
}

/**
 * Signatures already verified (each 1 to 2 ms): a merge verifies every bundle
 * again as it folds them together, and the result once more as it is encoded,
 * so a merge of four bundles of 64 approvals recovered 700 signatures, seconds
 * on the app's one event loop. Only a valid signature is kept, keyed by all it
 * was checked with; whether its signer owns the treasury is checked every time.
 */
const verified = new Set<string>();
const MAX_VERIFIED = 4096;

function verifiedKey(hash: Hex, approval: OwnerApproval, context?: P256Context): string {
  const publicKey = approval.kind === 'contract' ? approval.publicKey : '';
  return [
    hash,
    approval.kind,
    approval.owner,
    approval.signature,
    publicKey,
    context?.chainId ?? '',
    context?.p256AccountFactory ?? '',
  ]
    .join(':')
    .toLowerCase();
}

/**
 * The bundle in its one canonical form, every approval checked: EIP-55
 * addresses, lowercase signatures, owners and approvals sorted by address.
 * Refuses (BUNDLE_INVALID) a bad address or chain id, a description with hidden
 * characters, duplicate owners, a threshold out of range, two approvals by one
 * owner, and any approval that is not a valid signature by an owner over this proposal.
 */
export async function verifyBundle(bundle: ApprovalBundle): Promise<ApprovalBundle> {
  if (!Number.isSafeInteger(bundle.chainId) || bundle.chainId < 1) {
    throw invalid('chain', `the chain id ${bundle.chainId} is not a positive integer`);
  }
  const { description } = bundle.proposal;
  if (description.length > MAX_DESCRIPTION_LENGTH || hasHiddenText(description)) {
    throw invalid(
      'description',
      `the description must be at most ${MAX_DESCRIPTION_LENGTH} characters with no control or text-direction characters`,
    );
  }
  const { tx } = bundle.proposal;
  if (
    tx.safeTxGas !== 0n ||
    tx.baseGas !== 0n ||
    tx.gasPrice !== 0n ||
    tx.gasToken.toLowerCase() !== zeroAddress ||
    tx.refundReceiver.toLowerCase() !== zeroAddress
  ) {
    // The owners sign these too, but no review shows them: with a gas price, the
    // treasury pays (gas used + baseGas) × gasPrice of gasToken to refundReceiver
    // at execution, a payment of any size beside the one reviewed. Signet proposes none.
    throw invalid(
      'gas-refund',
      `the proposal sets Safe gas fields (safeTxGas ${tx.safeTxGas}, baseGas ${tx.baseGas}, gasPrice ${tx.gasPrice}, gasToken ${tx.gasToken}, refundReceiver ${tx.refundReceiver}): a gas refund paid by the treasury; Signet proposes none and signs none`,
    );
  }
  const safe = checksummed(bundle.safe, 'treasury');
  const p256AccountFactory =
    bundle.p256AccountFactory === undefined
      ? undefined
      : checksummed(bundle.p256AccountFactory, 'P-256 account factory');
  const owners = bundle.owners.map((o) => checksummed(o, 'owner')).sort(byAddress);
  for (let i = 1; i < owners.length; i++) {
    if (isAddressEqual(owners[i - 1] as Address, owners[i] as Address)) {
      throw invalid('owners', `the owner ${owners[i]} is listed twice`);
    }
  }
  if (
    !Number.isSafeInteger(bundle.threshold) ||
    bundle.threshold < 1 ||
    bundle.threshold > owners.length
  ) {
    throw invalid(
      'threshold',
      `the threshold ${bundle.threshold} is not between 1 and the ${owners.length} owners`,
    );
  }
  const approvals = bundle.approvals
    .map((a): OwnerApproval => canonicalApproval(a))
    .sort((a, b) => byAddress(a.owner, b.owner));
  for (let i = 1; i < approvals.length; i++) {
    if (
      isAddressEqual(
        (approvals[i - 1] as OwnerApproval).owner,
        (approvals[i] as OwnerApproval).owner,
      )
    ) {
      throw invalid('duplicate', `the owner ${approvals[i]?.owner} approves twice in one bundle`);
    }
  }
  const hash = bundleSafeTxHash(bundle);
  const context = { chainId: bundle.chainId, p256AccountFactory };
  for (const approval of approvals) await verifyApproval(hash, owners, approval, context);
  const { p256AccountFactory: _given, ...rest } = bundle;
  return {
    ...rest,
    safe,
    owners,
    approvals,
    ...(p256AccountFactory ? { p256AccountFactory } : {}),
  };
}

/** EIP-55 owner, lowercase hex: one spelling per approval. */
function canonicalApproval(a: OwnerApproval): OwnerApproval {
  const owner = checksummed(a.owner, 'approver');
  const signature = a.signature.toLowerCase() as Hex;
  if (a.kind === 'contract') {
    return { kind: 'contract', owner, publicKey: a.publicKey.toLowerCase() as Hex, signature };
  }
  return { kind: a.kind, owner, signature };
}

/** A new bundle with one more approval (checked); the same owner's approval again changes nothing. */
export async function addApproval(
  bundle: ApprovalBundle,
  approval: OwnerApproval,
): Promise<ApprovalBundle> {
  return mergeBundles(bundle, { ...bundle, approvals: [approval] });
}

/**
 * Two approvals by the same owner over the same hash (a token may sign with a
 * random k; P-256 keys always do): keep the lower, so any merge order agrees.
 * Both were verified, so a contract approval's key is the same in both.
 */
function pick(a: OwnerApproval, b: OwnerApproval): OwnerApproval {
  const x = `${a.kind}:${a.signature.toLowerCase()}`;
  const y = `${b.kind}:${b.signature.toLowerCase()}`;
  return x <= y ? a : b;
}

/**
 * Merges two bundles of one proposal: the union of their approvals. The result
 * does not depend on the order (commutative, associative, idempotent); a
 * duplicate approval is ignored. Refuses, changing nothing: an invalid bundle
 * (BUNDLE_INVALID: a non-owner's or a broken signature, a changed proposal under
 * an old signature), or bundles of another chain, treasury, nonce, proposal,
 * description, owners or threshold (BUNDLE_MISMATCH).
 */
export async function mergeBundles(a: ApprovalBundle, b: ApprovalBundle): Promise<ApprovalBundle> {
  const x = await verifyBundle(a);
  const y = await verifyBundle(b);
  if (x.chainId !== y.chainId)
    throw mismatch('chain', `one is for chain ${x.chainId}, the other for chain ${y.chainId}`);
  if (!isAddressEqual(x.safe, y.safe))
    throw mismatch('treasury', `one is for treasury ${x.safe}, the other for ${y.safe}`);
  if (x.proposal.tx.nonce !== y.proposal.tx.nonce) {
    throw mismatch(
      'nonce',
      `one is for nonce ${x.proposal.tx.nonce}, the other for nonce ${y.proposal.tx.nonce}`,
    );
  }
  const hx = bundleSafeTxHash(x);
  const hy = bundleSafeTxHash(y);
  if (hx !== hy)
    throw mismatch('proposal', `they propose different transactions (safeTxHash ${hx} and ${hy})`);
  if (x.proposal.description !== y.proposal.description) {
    throw mismatch(
      'description',
      'the same transaction is described differently: ask the proposer which is right',
    );
  }
  if (
    x.owners.length !== y.owners.length ||
    x.owners.some((o, i) => !isAddressEqual(o, y.owners[i] as Address))
  ) {
    throw mismatch('owners', 'they list different owners of the treasury');
  }
  if (x.threshold !== y.threshold)
    throw mismatch('threshold', `one needs ${x.threshold} approvals, the other ${y.threshold}`);
  if (
    x.p256AccountFactory &&
    y.p256AccountFactory &&
    !isAddressEqual(x.p256AccountFactory, y.p256AccountFactory)
  ) {
    throw mismatch(
      'p256-factory',
      `they name different P-256 account factories (${x.p256AccountFactory} and ${y.p256AccountFactory})`,
    );
  }
  const p256AccountFactory = x.p256AccountFactory ?? y.p256AccountFactory;

  const byOwner = new Map<string, OwnerApproval>();
  for (const approval of [...x.approvals, ...y.approvals]) {
    const key = approval.owner.toLowerCase();
    const seen = byOwner.get(key);
    byOwner.set(key, seen ? pick(seen, approval) : approval);
  }
  const approvals = [...byOwner.values()].sort((p, q) => byAddress(p.owner, q.owner));
  return { ...x, approvals, ...(p256AccountFactory ? { p256AccountFactory } : {}) };
}

export function isExecutable(bundle: ApprovalBundle): boolean {
  return bundle.approvals.length >= bundle.threshold;
}

/**
 * The `signatures` argument of Safe's execTransaction: `threshold` approvals,
 * sorted by owner address ascending (Safe requires strictly increasing owners),
 * laid out by encodeSafeSignatures: a 65-byte slot each, a contract approval's
 * slot pointing (v = 0) at its r ‖ s after them. Expects a verified bundle
 * (decodeBundle, mergeBundles, verifyBundle).
 */
export function executionSignatures(bundle: ApprovalBundle): Hex {
  return encodeSafeSignatures(
    executionApprovals(bundle).map(({ kind, owner, signature }) => ({ kind, owner, signature })),
  );
}

/** The `threshold` approvals an execution uses: the first by owner address. */
export function executionApprovals(bundle: ApprovalBundle): OwnerApproval[] {
  if (!isExecutable(bundle)) {
    throw new SignetError(
      'THRESHOLD_NOT_MET',
      `the proposal has ${bundle.approvals.length} of the ${bundle.threshold} approvals it needs`,
      { details: { approvals: bundle.approvals.length, threshold: bundle.threshold } },
    );
  }
  const sorted = [...bundle.approvals].sort((p, q) => byAddress(p.owner, q.owner));
  return sorted.slice(0, bundle.threshold);
}
