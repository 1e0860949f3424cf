/**
 * The `.signet-approval` file, in the envelope of checksummed-file.ts (canonical JSON):
 *
 *   {"body":{…},"checksum":"sha256:<hex of the canonical body>","type":"signet-approval","version":1}
 *
 * Canonical JSON rather than deterministic CBOR: the same writer the audit log
 * hashes with, no new dependency (no well-kept deterministic CBOR library is
 * installed; bc-ur's own cbor-sync is not one), and a file an approver can read
 * and diff. The QR path compresses it (bundle-qr.ts), which wins back the size
 * hex costs. Decoding checks every field (zod, strict), the checksum, the
 * safeTxHash and every signature, and refuses anything else in one line.
 */
import type { Address, Hex } from 'viem';
import { z } from 'zod';
import { SignetError } from '../api/errors.js';
import { SAFE_VERSION } from '../chain/safe.js';
import {
  type ApprovalBundle,
  bundleSafeTxHash,
  MAX_DESCRIPTION_LENGTH,
  verifyBundle,
} from './approval-bundle.js';
import {
  decodeChecksummedFile,
  encodeChecksummedFile,
  type FileKind,
  firstIssue,
} from './checksummed-file.js';
import { addressField as address, MAX_OWNERS, uint256Field as uint256 } from './file-fields.js';

export const APPROVAL_FILE_TYPE = 'signet-approval';
export const APPROVAL_FILE_VERSION = 1;
export const APPROVAL_FILE_EXTENSION = '.signet-approval';
/** Far above a 500-row batch (~170 kB as a file); refused before parsing. */
export const MAX_APPROVAL_FILE_BYTES = 8 * 1024 * 1024;

const hexBytes = z
  .string()
  .regex(/^0x([0-9a-f]{2})*$/, 'not lowercase 0x hex of whole bytes')
  .transform((text) => text as Hex);

const ecdsaApproval = z.strictObject({
  kind: z.literal('ecdsa'),
  owner: address,
  signature: z
    .string()
    .regex(/^0x[0-9a-f]{130}$/, 'not a 65-byte signature in lowercase 0x hex')
    .transform((text) => text as Hex),
});

const contractApproval = z.strictObject({
  kind: z.literal('contract'),
  owner: address,
  publicKey: z
    .string()
    .regex(/^0x04[0-9a-f]{128}$/, 'not an uncompressed P-256 key (0x04 ‖ qx ‖ qy) in lowercase hex')
    .transform((text) => text as Hex),
  signature: z
    .string()
    .regex(/^0x[0-9a-f]{128}$/, 'not a 64-byte r ‖ s in lowercase 0x hex')
    .transform((text) => text as Hex),
});

const bodySchema = z.strictObject({
  chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  safe: address,
  safeVersion: z.literal(SAFE_VERSION),
  owners: z.array(address).min(1).max(MAX_OWNERS),
  threshold: z.number().int().min(1).max(MAX_OWNERS),
  proposal: z.strictObject({
    description: z.string().max(MAX_DESCRIPTION_LENGTH),
    tx: z.strictObject({
      to: address,
      value: uint256,
      data: hexBytes,
      operation: z.union([z.literal(0), z.literal(1)]),
      safeTxGas: uint256,
      baseGas: uint256,
      gasPrice: uint256,
      gasToken: address,
      refundReceiver: address,
      nonce: uint256,
    }),
  }),
  safeTxHash: z.string().regex(/^0x[0-9a-f]{64}$/, 'not a 32-byte hash in lowercase 0x hex'),
  approvals: z
    .array(z.discriminatedUnion('kind', [ecdsaApproval, contractApproval]))
    .max(MAX_OWNERS),
  /** Present when the proposer's ledger has P-256 accounts (ApprovalBundle.p256AccountFactory). */
  p256AccountFactory: address.optional(),
});

function invalid(reason: string, message: string): SignetError {
  return new SignetError('BUNDLE_INVALID', `the approval bundle ${message}`, {
    details: { reason },
  });
}

const approvalFile: FileKind = {
  type: APPROVAL_FILE_TYPE,
  version: APPROVAL_FILE_VERSION,
  maxBytes: MAX_APPROVAL_FILE_BYTES,
  invalid,
};

function bodyOf(bundle: ApprovalBundle): unknown {
  return {
    chainId: bundle.chainId,
    safe: bundle.safe,
    safeVersion: SAFE_VERSION,
    owners: bundle.owners,
    threshold: bundle.threshold,
    proposal: {
      description: bundle.proposal.description,
      tx: { ...bundle.proposal.tx, data: bundle.proposal.tx.data.toLowerCase() },
    },
    safeTxHash: bundleSafeTxHash(bundle),
    approvals: bundle.approvals.map((a) =>
      a.kind === 'contract'
        ? { ...a, publicKey: a.publicKey.toLowerCase(), signature: a.signature.toLowerCase() }
        : { ...a, signature: a.signature.toLowerCase() },
    ),
    ...(bundle.p256AccountFactory ? { p256AccountFactory: bundle.p256AccountFactory } : {}),
  };
}

/** The file's text (UTF-8, ends with a newline), after checking the bundle. */
export async function encodeBundle(bundle: ApprovalBundle): Promise<string> {
  return encodeChecksummedFile(approvalFile, bodyOf(await verifyBundle(bundle)));
}

/** The bundle in a file, checked in full; anything truncated, altered or not an owner's is refused. */
export async function decodeBundle(input: string | Uint8Array): Promise<ApprovalBundle> {
  const body = bodySchema.safeParse(decodeChecksummedFile(approvalFile, input));
  if (!body.success) throw invalid('format', `has a bad field: body.${firstIssue(body.error)}`);
  const { safeTxHash, safeVersion: _version, p256AccountFactory, ...fields } = body.data;
  const bundle: ApprovalBundle = {
    ...fields,
    owners: fields.owners as Address[],
    approvals: fields.approvals,
    ...(p256AccountFactory ? { p256AccountFactory: p256AccountFactory as Address } : {}),
  };
  if (bundleSafeTxHash(bundle) !== safeTxHash) {
    throw invalid(
      'safe-tx-hash',
      `states safeTxHash ${safeTxHash}, but its proposal hashes to ${bundleSafeTxHash(bundle)}`,
    );
  }
  return verifyBundle(bundle);
}
