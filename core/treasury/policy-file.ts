/**
 * A treasury policy as its owners sign it and as it travels: EIP-712 typed data
 * (domain "Signet treasury policy", the chain and the Safe), signed by at least
 * the Safe's threshold of owners, in a `.signet-policy` file in the same
 * checksummed canonical-JSON envelope as `.signet-approval`
 * (checksummed-file.ts). Everything here is offline: an approver with no
 * network checks the file against the owners and threshold its approval bundle
 * carries (which the online side checks against the chain before execution).
 */
import { type Address, getAddress, type Hex, hashTypedData, isAddressEqual } from 'viem';
import { z } from 'zod';
import { SignetError } from '../api/errors.js';
import {
  type EcdsaApproval,
  type SignatureRefusal,
  verifyOwnerSignature,
} from './approval-bundle.js';
import {
  decodeChecksummedFile,
  encodeChecksummedFile,
  type FileKind,
  firstIssue,
} from './checksummed-file.js';
import {
  addressField as address,
  MAX_OWNERS,
  UINT256_MAX,
  uint256Field as uint256,
} from './file-fields.js';
import type { CurrencyLimit, TimeWindow, TreasuryPolicy } from './policy.js';

export const POLICY_FILE_TYPE = 'signet-policy';
export const POLICY_FILE_VERSION = 1;
export const POLICY_FILE_EXTENSION = '.signet-policy';
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;
/** The EIP-712 domain's name; its `version` is this schema's, the policy's own is in the message. */
export const POLICY_DOMAIN_NAME = 'Signet treasury policy';
const POLICY_SCHEMA_VERSION = '1';
const MAX_LIST = 1000;

/** A policy and the owners' signatures over its EIP-712 hash (each an approval's form: r‖s‖v, v 27/28). */
export interface SignedPolicy {
  policy: TreasuryPolicy;
  signatures: readonly EcdsaApproval[];
}

export const policyTypes = {
  TreasuryPolicy: [
    { name: 'version', type: 'uint64' },
    { name: 'currencies', type: 'CurrencyLimit[]' },
    { name: 'payees', type: 'address[]' },
    { name: 'noteContracts', type: 'address[]' },
    { name: 'multiSendCallOnly', type: 'address' },
    { name: 'window', type: 'TimeWindow' },
  ],
  CurrencyLimit: [
    { name: 'currency', type: 'address' },
    { name: 'decimals', type: 'uint8' },
    { name: 'perPayment', type: 'uint256' },
    { name: 'daily', type: 'uint256' },
    /** 0 and 0: no higher threshold. */
    { name: 'higherThresholdAbove', type: 'uint256' },
    { name: 'higherThreshold', type: 'uint8' },
  ],
  TimeWindow: [
    { name: 'days', type: 'uint8[]' },
    { name: 'fromHour', type: 'uint8' },
    { name: 'toHour', type: 'uint8' },
    { name: 'utcOffsetMinutes', type: 'int16' },
  ],
} as const;

function invalid(reason: string, message: string): SignetError {
  return new SignetError('POLICY_INVALID', `the treasury policy ${message}`, {
    details: { reason },
  });
}

const byAddress = (a: Address, b: Address) =>
  a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;

function addresses(list: readonly Address[], what: string): Address[] {
  const sorted = list.map((a) => getAddress(a)).sort(byAddress);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw invalid('duplicate', `lists ${what} ${sorted[i]} twice`);
  }
  return sorted;
}

/**
 * The policy in its one canonical form (EIP-55 addresses, lists sorted), its
 * rules checked: limits positive, a higher threshold of at most the owners (it
 * only ever raises the Safe's: checkProposal takes the larger), a window inside a day. Refuses (POLICY_INVALID) anything else.
 */
export function canonicalPolicy(
  policy: TreasuryPolicy,
  owners?: { owners: readonly Address[]; threshold: number },
): TreasuryPolicy {
  if (!Number.isSafeInteger(policy.chainId) || policy.chainId < 1) {
    throw invalid('chain', `names chain ${policy.chainId}, not a positive integer`);
  }
  if (!Number.isSafeInteger(policy.version) || policy.version < 1) {
    throw invalid('version', `has version ${policy.version}, not a positive integer`);
  }
  const currencies = [...policy.currencies]
    .map((limit): CurrencyLimit => {
      const name = `currency ${limit.currency}`;
      if (!Number.isInteger(limit.decimals) || limit.decimals < 0 || limit.decimals > 36) {
        throw invalid('limit', `gives ${name} ${limit.decimals} decimals`);
      }
      for (const [what, value] of [
        ['per-payment', limit.perPayment],
        ['daily', limit.daily],
      ] as const) {
        if (value <= 0n || value > UINT256_MAX)
          throw invalid('limit', `has a ${what} limit of ${value} for ${name}`);
      }
      const higher = limit.higherThreshold;
      if (higher) {
        const most = owners?.owners.length ?? 255;
        if (
          !Number.isInteger(higher.threshold) ||
          higher.threshold < 1 ||
          higher.threshold > most
        ) {
          throw invalid(
            'threshold',
            `asks ${higher.threshold} approvals above a limit for ${name}: the treasury has ${most} owners`,
          );
        }
        if (higher.above < 0n || higher.above > UINT256_MAX) {
          throw invalid('limit', `has a higher-threshold limit of ${higher.above} for ${name}`);
        }
      }
      return {
        currency: getAddress(limit.currency),
        decimals: limit.decimals,
        perPayment: limit.perPayment,
        daily: limit.daily,
        ...(higher
          ? { higherThreshold: { above: higher.above, threshold: higher.threshold } }
          : {}),
      };
    })
    .sort((a, b) => byAddress(a.currency, b.currency));
  addresses(
    currencies.map((c) => c.currency),
    'currency',
  );
  const { window } = policy;
  const days = [...new Set(window.days)].sort((a, b) => a - b);
  if (days.some((d) => !Number.isInteger(d) || d < 0 || d > 6)) {
    throw invalid('window', `names days ${window.days.join(', ')}: days are 0 (Sunday) to 6`);
  }
  if (
    !Number.isInteger(window.fromHour) ||
    !Number.isInteger(window.toHour) ||
    window.fromHour < 0 ||
    window.toHour > 24 ||
    window.fromHour >= window.toHour
  ) {
    throw invalid(
      'window',
      `has hours ${window.fromHour} to ${window.toHour}: whole hours, 0 ≤ from < to ≤ 24`,
    );
  }
  if (
    !Number.isInteger(window.utcOffsetMinutes) ||
    window.utcOffsetMinutes < -720 ||
    window.utcOffsetMinutes > 840
  ) {
    throw invalid('window', `has a UTC offset of ${window.utcOffsetMinutes} minutes`);
  }
  const canonicalWindow: TimeWindow = {
    days,
    fromHour: window.fromHour,
    toHour: window.toHour,
    utcOffsetMinutes: window.utcOffsetMinutes,
  };
  return {
    chainId: policy.chainId,
    safe: getAddress(policy.safe),
    version: policy.version,
    currencies,
    payees: addresses(policy.payees, 'payee'),
    noteContracts: addresses(policy.noteContracts, 'note contract'),
    multiSendCallOnly: getAddress(policy.multiSendCallOnly),
    window: canonicalWindow,
  };
}

/** What each owner signs (a secp256k1 key's signTypedData), for the policy in canonical form. */
export function policyTypedData(policy: TreasuryPolicy) {
  const p = canonicalPolicy(policy);
  return {
    domain: {
      name: POLICY_DOMAIN_NAME,
      version: POLICY_SCHEMA_VERSION,
      chainId: p.chainId,
      verifyingContract: p.safe,
    },
    types: policyTypes,
    primaryType: 'TreasuryPolicy' as const,
    message: {
      version: BigInt(p.version),
      currencies: p.currencies.map((c) => ({
        currency: c.currency,
        decimals: c.decimals,
        perPayment: c.perPayment,
        daily: c.daily,
        higherThresholdAbove: c.higherThreshold?.above ?? 0n,
        higherThreshold: c.higherThreshold?.threshold ?? 0,
      })),
      payees: p.payees,
      noteContracts: p.noteContracts,
      multiSendCallOnly: p.multiSendCallOnly,
      window: p.window,
    },
  };
}

export function policyHash(policy: TreasuryPolicy): Hex {
  return hashTypedData(policyTypedData(policy));
}

const policyRefusal: SignatureRefusal = {
  what: 'this policy',
  invalid,
  mismatch: (hash) =>
    `over policy hash ${hash}: the policy changed after it was signed, or the signature is not this owner's`,
};

/** What the verifier trusts: the treasury it expects and its owners (from the bundle or the chain). */
export interface PolicyTrust {
  chainId: number;
  safe: Address;
  owners: readonly Address[];
  threshold: number;
  /** The newest policy version this machine has accepted for the treasury: an older one is refused. */
  latestVersionSeen?: number;
}

/**
 * The policy, checked: for this chain and treasury, no older than the newest
 * seen, and signed by at least `threshold` distinct owners (each signature as
 * an approval is checked: verifyOwnerSignature). Refuses (POLICY_INVALID) in one line.
 */
export async function verifySignedPolicy(
  signed: SignedPolicy,
  trust: PolicyTrust,
): Promise<TreasuryPolicy> {
  const policy = canonicalPolicy(signed.policy, trust);
  if (policy.chainId !== trust.chainId || !isAddressEqual(policy.safe, trust.safe)) {
    throw invalid(
      'treasury',
      `is for treasury ${policy.safe} on chain ${policy.chainId}, not ${getAddress(trust.safe)} on chain ${trust.chainId}`,
    );
  }
  if (trust.latestVersionSeen !== undefined && policy.version < trust.latestVersionSeen) {
    throw invalid(
      'version',
      `is version ${policy.version}, older than version ${trust.latestVersionSeen} already seen for this treasury`,
    );
  }
  const hash = policyHash(policy);
  const signers = new Set<string>();
  for (const signature of signed.signatures) {
    await verifyOwnerSignature(hash, trust.owners, signature, policyRefusal);
    signers.add(signature.owner.toLowerCase());
  }
  if (signers.size < trust.threshold) {
    throw invalid(
      'threshold',
      `is signed by ${signers.size} of the treasury's owners; it needs ${trust.threshold}`,
    );
  }
  return policy;
}

const smallInt = z.number().int();

const bodySchema = z.strictObject({
  policy: z.strictObject({
    chainId: smallInt.positive().max(Number.MAX_SAFE_INTEGER),
    safe: address,
    version: smallInt.positive().max(Number.MAX_SAFE_INTEGER),
    currencies: z
      .array(
        z.strictObject({
          currency: address,
          decimals: smallInt.min(0).max(36),
          perPayment: uint256,
          daily: uint256,
          higherThreshold: z
            .strictObject({ above: uint256, threshold: smallInt.min(1).max(255) })
            .optional(),
        }),
      )
      .max(MAX_LIST),
    payees: z.array(address).max(MAX_LIST),
    noteContracts: z.array(address).max(MAX_LIST),
    multiSendCallOnly: address,
    window: z.strictObject({
      days: z.array(smallInt.min(0).max(6)).max(7),
      fromHour: smallInt.min(0).max(24),
      toHour: smallInt.min(0).max(24),
      utcOffsetMinutes: smallInt.min(-720).max(840),
    }),
  }),
  policyHash: z.string().regex(/^0x[0-9a-f]{64}$/, 'not a 32-byte hash in lowercase 0x hex'),
  signatures: z
    .array(
      z.strictObject({
        kind: z.literal('ecdsa'),
        owner: address,
        signature: z
          .string()
          .regex(/^0x[0-9a-f]{130}$/, 'not a 65-byte signature in lowercase 0x hex')
          .transform((text) => text as Hex),
      }),
    )
    .max(MAX_OWNERS),
});

const policyFile: FileKind = {
  type: POLICY_FILE_TYPE,
  version: POLICY_FILE_VERSION,
  maxBytes: MAX_POLICY_FILE_BYTES,
  invalid,
};

/**
 * The `.signet-policy` file's text: the policy in canonical form, its hash (for
 * people comparing files), and the signatures so far, sorted by owner. Signatures
 * are checked when the file is read (decodePolicyFile), where the owners are known.
 */
export function encodePolicyFile(signed: SignedPolicy): string {
  const policy = canonicalPolicy(signed.policy);
  const signatures = [...signed.signatures]
    .map((s) => ({
      kind: s.kind,
      owner: getAddress(s.owner),
      signature: s.signature.toLowerCase(),
    }))
    .sort((a, b) => byAddress(a.owner, b.owner));
  return encodeChecksummedFile(policyFile, {
    policy,
    policyHash: policyHash(policy),
    signatures,
  });
}

/**
 * A `.signet-policy` file as it is, for collecting signatures: envelope and
 * checksum, every field's form and the stated hash checked, the signatures
 * not yet (the owners are not known here). Use decodePolicyFile to rely on it.
 */
export function parsePolicyFile(input: string | Uint8Array): SignedPolicy {
  const body = bodySchema.safeParse(decodeChecksummedFile(policyFile, input));
  if (!body.success) throw invalid('format', `has a bad field: body.${firstIssue(body.error)}`);
  const { policy, policyHash: stated, signatures } = body.data;
  const computed = policyHash(policy);
  if (computed !== stated) {
    throw invalid('hash', `states policy hash ${stated}, but its content hashes to ${computed}`);
  }
  return { policy, signatures };
}

/**
 * A `.signet-policy` file, checked in full against the treasury the caller
 * expects: envelope and checksum, every field, the stated hash, the owners'
 * signatures and their number, the version. Truncated, altered, under-signed,
 * another treasury's or an older one: refused (POLICY_INVALID), in one line.
 */
export async function decodePolicyFile(
  input: string | Uint8Array,
  trust: PolicyTrust,
): Promise<TreasuryPolicy> {
  return verifySignedPolicy(parsePolicyFile(input), trust);
}

/**
 * The policy with one more owner's signature, checked against the owners (an
 * owner signing again replaces nothing: the first signature stays). How a
 * policy file gathers its signatures from owner to owner, offline.
 */
export async function addPolicySignature(
  signed: SignedPolicy,
  signature: EcdsaApproval,
  owners: readonly Address[],
): Promise<SignedPolicy> {
  const policy = canonicalPolicy(signed.policy);
  await verifyOwnerSignature(policyHash(policy), owners, signature, policyRefusal);
  if (signed.signatures.some((s) => isAddressEqual(s.owner, signature.owner))) {
    return { policy, signatures: signed.signatures };
  }
  return { policy, signatures: [...signed.signatures, signature] };
}
