/**
 * An approval bundle: a treasury proposal (a SafeTx and its description), the
 * treasury's owners and threshold, and the owners' signatures so far. It travels
 * between approvers by file or QR with no backend, so everything an offline
 * approver needs is inside it, and every signature in it is checked on the way in.
 *
 * Pure: no chain access. The online side checks owners and threshold against the
 * chain before execution.
 */
import {
  type Address,
  concat,
  getAddress,
  type Hex,
  hexToBigInt,
  isAddress,
  isAddressEqual,
  recoverAddress,
  size,
  slice,
} from 'viem';
import { SignetError } from '../api/errors.js';
import { type SafeTx, safeTxHash } from '../chain/safe.js';

export interface Proposal {
  tx: SafeTx;
  /** What the proposer says it does; shown beside the decoded call, never signed. */
  description: string;
}

/**
 * One owner's approval. `ecdsa`: 65 bytes r‖s‖v over the safeTxHash (EIP-712),
 * v = 27 or 28, low s: what Signet's secp256k1 keys produce. Safe also accepts
 * eth_sign (v > 30), approved hashes (v = 1) and contract signatures (v = 0); the
 * first two Signet never makes, so they are refused. A `contract` kind (EIP-1271,
 * for P-256 account owners) will join this union.
 */
export interface EcdsaApproval {
  kind: 'ecdsa';
  owner: Address;
  signature: Hex;
}
export type OwnerApproval = EcdsaApproval;

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
  approval: OwnerApproval,
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

/**
 * Checks one approval against the safeTxHash and the owners: its form (65 bytes,
 * v 27/28, low s) and that it recovers to the owner it names, who is an owner.
 */
export function verifyApproval(
  hash: Hex,
  owners: readonly Address[],
  approval: OwnerApproval,
): Promise<void> {
  return verifyOwnerSignature(hash, owners, approval, approvalRefusal);
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
  const safe = checksummed(bundle.safe, 'treasury');
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
    .map((a) => ({
      ...a,
      owner: checksummed(a.owner, 'approver'),
      signature: a.signature.toLowerCase() as Hex,
    }))
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
  for (const approval of approvals) await verifyApproval(hash, owners, approval);
  return { ...bundle, safe, owners, approvals };
}

/** A new bundle with one more approval (checked); the same owner's approval again changes nothing. */
export async function addApproval(
  bundle: ApprovalBundle,
  approval: OwnerApproval,
): Promise<ApprovalBundle> {
  return mergeBundles(bundle, { ...bundle, approvals: [approval] });
}

/** Two approvals by the same owner over the same hash (a token may sign with a random k): keep the lower, so any merge order agrees. */
function pick(a: OwnerApproval, b: OwnerApproval): OwnerApproval {
  return a.signature.toLowerCase() <= b.signature.toLowerCase() ? a : b;
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

  const byOwner = new Map<string, OwnerApproval>();
  for (const approval of [...x.approvals, ...y.approvals]) {
    const key = approval.owner.toLowerCase();
    const seen = byOwner.get(key);
    byOwner.set(key, seen ? pick(seen, approval) : approval);
  }
  const approvals = [...byOwner.values()].sort((p, q) => byAddress(p.owner, q.owner));
  return { ...x, approvals };
}

export function isExecutable(bundle: ApprovalBundle): boolean {
  return bundle.approvals.length >= bundle.threshold;
}

/**
 * The `signatures` argument of Safe's execTransaction: `threshold` approvals,
 * sorted by owner address ascending (Safe requires strictly increasing owners),
 * concatenated. Expects a verified bundle (decodeBundle, mergeBundles, verifyBundle).
 */
export function executionSignatures(bundle: ApprovalBundle): Hex {
  if (!isExecutable(bundle)) {
    throw new SignetError(
      'THRESHOLD_NOT_MET',
      `the proposal has ${bundle.approvals.length} of the ${bundle.threshold} approvals it needs`,
      { details: { approvals: bundle.approvals.length, threshold: bundle.threshold } },
    );
  }
  const sorted = [...bundle.approvals].sort((p, q) => byAddress(p.owner, q.owner));
  return concat(sorted.slice(0, bundle.threshold).map((approval) => approval.signature));
}
