/**
 * The checks a payee makes on an offline payment with no network (issue 13):
 * the operator's certificate, the purse key's voucher, the purse's limits, and
 * the voucher's place in the purse's chain against every voucher of that purse
 * the checker already holds. Pure: it reads only its arguments and stores
 * nothing. The collection service calls it with `payee: null`; a wallet's
 * receive with its own address.
 *
 * Fast on purpose (≥ 5,000 vouchers/s): digests are hashed by hand
 * (eip712.ts), keys are recovered by native libsecp256k1, and a certificate's
 * signer is remembered, since one certificate covers a purse's many vouchers.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { Address, Hex } from 'viem';
import { libsecp256k1 } from '../../native/ecdsa/libsecp256k1.js';
import { SignetError } from '../api/errors.js';
import { certificateDigest, fastVoucherHash, voucherDigest } from './eip712.js';
import type { PurseCertificate, PurseDomain, Voucher } from './typed-data.js';

export interface OfflinePayment {
  certificate: PurseCertificate;
  certificateSignature: Hex;
  voucher: Voucher;
  voucherSignature: Hex;
  /**
   * The chain and purse contract the payment says it is for (a payment file
   * names them). Absent, the signatures alone bind it to `context.domain`.
   */
  domain?: PurseDomain;
}

export interface ReceiveContext {
  /** chainId + purse contract: a payment for another one is refused. */
  domain: PurseDomain;
  /** Certificate key → operator, as last synced from the chain. */
  certificateKeys: ReadonlyMap<Address, Address>;
  /** The checker's own clock, Unix seconds. */
  now: bigint;
  /** null: the collection service, which takes any payee. */
  payee: Address | null;
  /** This purse's vouchers the checker already holds. */
  held: readonly Voucher[];
  receiveLimit: bigint | null;
  /** Offline income already pending against `receiveLimit`. */
  pendingTotal: bigint;
}

export type RefusalReason =
  | 'malformed'
  | 'wrong-chain'
  | 'unknown-operator'
  | 'certificate-signature'
  | 'certificate-expired'
  | 'voucher-signature'
  | 'wrong-purse'
  | 'over-cap'
  | 'over-count'
  | 'over-locked'
  | 'bad-range'
  | 'not-payee'
  | 'double-spend'
  | 'fork'
  | 'already-held'
  | 'receive-limit';

export interface CheckedPayment {
  voucherHash: Hex;
  certificateHash: Hex;
}

function refuse(reason: RefusalReason, message: string, details: Record<string, unknown> = {}) {
  return new SignetError('VOUCHER_REFUSED', message, { details: { reason, ...details } });
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const ZERO_HASH = `0x${'0'.repeat(64)}`;
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;

/**
 * The address that signed `digest` with a 65-byte r‖s‖v signature (v 27/28,
 * low s), or null if it is not such a signature. High-s signatures are refused:
 * each signature has one encoding, so a voucher has one hash of its signed form.
 */
export function recoverSigner(digest: Uint8Array, signature: Hex): Address | null {
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) return null;
  const bytes = hexToBytes(signature.slice(2));
  const v = bytes[64]!;
  if (v !== 27 && v !== 28) return null;
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  if (s === 0n || s > HALF_ORDER) return null;
  try {
    const key = libsecp256k1.ecdsaRecover(bytes.subarray(0, 64), v - 27, digest, false);
    return `0x${bytesToHex(keccak_256(key.subarray(1)).subarray(12))}`;
  } catch {
    // r not on the curve, r or s out of range: no signer.
    return null;
  }
}

// Checked certificates: their hash and recovered signer, by domain, fields and
// signature. One certificate covers a purse's many vouchers, so this saves a
// digest and a key recovery per voucher. Bounded so a stream of certificates
// cannot grow it without end.
interface CertificateCheck {
  hash: Hex;
  signer: Address | null;
}
const checkedCertificates = new Map<string, CertificateCheck>();
const CERTIFICATE_CACHE_SIZE = 4096;

function checkCertificate(
  domain: PurseDomain,
  domainKey: string,
  certificate: PurseCertificate,
  signature: Hex,
): CertificateCheck {
  const c = certificate;
  const key = `${domainKey}|${c.purse}|${c.owner}|${c.locked}|${c.cap}|${c.maxCount}|${c.validFrom}|${c.validUntil}|${c.operator}|${c.epoch}|${signature}`;
  const cached = checkedCertificates.get(key);
  if (cached) return cached;
  const digest = certificateDigest(domain, certificate);
  const checked = {
    hash: `0x${bytesToHex(digest)}` as Hex,
    signer: recoverSigner(digest, signature),
  };
  if (checkedCertificates.size >= CERTIFICATE_CACHE_SIZE) checkedCertificates.clear();
  checkedCertificates.set(key, checked);
  return checked;
}

// Lower-cased copies of the synced key list, made once per list.
const lowerKeyLists = new WeakMap<ReadonlyMap<Address, Address>, Map<string, string>>();

function operatorKeys(keys: ReadonlyMap<Address, Address>): Map<string, string> {
  let lower = lowerKeyLists.get(keys);
  if (!lower) {
    lower = new Map(
      [...keys].map(([key, operator]) => [key.toLowerCase(), operator.toLowerCase()]),
    );
    lowerKeyLists.set(keys, lower);
  }
  return lower;
}

// Held vouchers' hashes, computed once per voucher object and domain.
const heldHashes = new WeakMap<Voucher, { domainKey: string; hash: Hex }>();

function heldHash(domain: PurseDomain, domainKey: string, voucher: Voucher): Hex {
  const cached = heldHashes.get(voucher);
  if (cached?.domainKey === domainKey) return cached.hash;
  const hash = fastVoucherHash(domain, voucher);
  heldHashes.set(voucher, { domainKey, hash });
  return hash;
}

/**
 * Checks one offline payment; returns its voucher's and certificate's hashes,
 * or throws VOUCHER_REFUSED with `details.reason`. The checks run cheapest and
 * most specific first, so a payment with several faults names the first here.
 */
export function checkPayment(payment: OfflinePayment, context: ReceiveContext): CheckedPayment {
  const { certificate, voucher } = payment;
  const { domain } = context;
  const domainKey = `${domain.chainId}:${domain.verifyingContract.toLowerCase()}`;

  if (
    payment.domain &&
    (payment.domain.chainId !== domain.chainId ||
      !same(payment.domain.verifyingContract, domain.verifyingContract))
  ) {
    throw refuse(
      'wrong-chain',
      `This payment is for chain ${payment.domain.chainId} (purse contract ${payment.domain.verifyingContract}), not this chain (${domain.chainId}, ${domain.verifyingContract}).`,
    );
  }

  const { hash: certificateHash, signer } = checkCertificate(
    domain,
    domainKey,
    certificate,
    payment.certificateSignature,
  );
  const voucherBytes = voucherDigest(domain, voucher);
  const voucherHash: Hex = `0x${bytesToHex(voucherBytes)}`;

  if (!same(voucher.purse, certificate.purse) || voucher.epoch !== certificate.epoch) {
    throw refuse(
      'wrong-purse',
      `The voucher is for purse ${voucher.purse} epoch ${voucher.epoch}, but its certificate is for purse ${certificate.purse} epoch ${certificate.epoch}.`,
    );
  }

  // The certificate: signed by a key listed for the operator it names.
  const keys = operatorKeys(context.certificateKeys);
  const signerOperator = signer ? keys.get(signer.toLowerCase()) : undefined;
  if (signerOperator === undefined || signerOperator !== certificate.operator.toLowerCase()) {
    const operatorKnown = [...keys.values()].includes(certificate.operator.toLowerCase());
    if (!operatorKnown) {
      throw refuse(
        'unknown-operator',
        `The certificate's operator ${certificate.operator} has no certificate key listed on this chain as last synced.`,
      );
    }
    throw refuse(
      'certificate-signature',
      `The purse certificate is not signed by a certificate key of operator ${certificate.operator}.`,
    );
  }

  const { validFrom, validUntil } = certificate;
  if (context.now < validFrom || context.now > validUntil) {
    throw refuse(
      'certificate-expired',
      `The purse certificate is valid from ${validFrom} to ${validUntil} (Unix seconds); it is now ${context.now}.`,
    );
  }
  if (voucher.issuedAt < validFrom || voucher.issuedAt > validUntil) {
    throw refuse(
      'certificate-expired',
      `The voucher was issued at ${voucher.issuedAt}, outside its certificate's validity ${validFrom} to ${validUntil}.`,
    );
  }

  const voucherSigner = recoverSigner(voucherBytes, payment.voucherSignature);
  if (!voucherSigner || !same(voucherSigner, certificate.purse)) {
    throw refuse(
      'voucher-signature',
      `The voucher is not signed by purse key ${certificate.purse}.`,
    );
  }

  if (voucher.amount > certificate.cap) {
    throw refuse(
      'over-cap',
      `The voucher pays ${voucher.amount}, over the purse's cap of ${certificate.cap} per payment.`,
    );
  }
  if (voucher.counter > certificate.maxCount) {
    throw refuse(
      'over-count',
      `The voucher is payment ${voucher.counter}; the purse may make ${certificate.maxCount}.`,
    );
  }
  if (voucher.cumulative > certificate.locked) {
    throw refuse(
      'over-locked',
      `The voucher brings the purse's total to ${voucher.cumulative}, over the ${certificate.locked} locked.`,
    );
  }
  if (voucher.amount === 0n || voucher.amount > voucher.cumulative || voucher.counter < 1) {
    throw refuse(
      'bad-range',
      `The voucher's amount ${voucher.amount}, total ${voucher.cumulative} and number ${voucher.counter} are not a valid payment.`,
    );
  }
  if (voucher.counter === 1 && voucher.cumulative !== voucher.amount) {
    throw refuse(
      'bad-range',
      `The purse's first voucher must start at 0, but it claims ${voucher.cumulative - voucher.amount} to ${voucher.cumulative}.`,
    );
  }
  if (voucher.counter === 1 && voucher.prevVoucherHash !== ZERO_HASH) {
    throw refuse('fork', `The purse's first voucher names a previous voucher.`);
  }

  if (context.payee !== null && !same(voucher.payee, context.payee)) {
    throw refuse('not-payee', `The voucher pays ${voucher.payee}, not ${context.payee}.`);
  }

  checkAgainstHeld(domain, domainKey, voucher, voucherHash, context.held);

  if (
    context.receiveLimit !== null &&
    context.pendingTotal + voucher.amount > context.receiveLimit
  ) {
    throw refuse(
      'receive-limit',
      `Receiving ${voucher.amount} would bring pending offline income to ${context.pendingTotal + voucher.amount}, over the limit of ${context.receiveLimit}.`,
    );
  }

  return { voucherHash, certificateHash };
}

/**
 * The voucher against the purse's vouchers already held: the same one again,
 * a second voucher for the same money (same counter, overlapping ranges, or
 * ranges out of counter order), or a break in the hash chain.
 */
function checkAgainstHeld(
  domain: PurseDomain,
  domainKey: string,
  voucher: Voucher,
  hash: Hex,
  held: readonly Voucher[],
): void {
  const start = voucher.cumulative - voucher.amount;
  const mine = held.filter((h) => same(h.purse, voucher.purse) && h.epoch === voucher.epoch);
  const hashes = mine.map((h) => heldHash(domain, domainKey, h));

  if (hashes.some((h) => h.toLowerCase() === hash.toLowerCase())) {
    throw refuse('already-held', 'This voucher is already held.', { voucherHash: hash });
  }
  for (const [i, h] of mine.entries()) {
    const heldStart = h.cumulative - h.amount;
    const overlap = start < h.cumulative && heldStart < voucher.cumulative;
    const outOfOrder =
      (h.counter < voucher.counter && start < h.cumulative) ||
      (h.counter > voucher.counter && heldStart < voucher.cumulative);
    if (h.counter === voucher.counter || overlap || outOfOrder) {
      throw refuse(
        'double-spend',
        `The purse already paid ${heldStart} to ${h.cumulative} with voucher ${h.counter}; this voucher (${voucher.counter}) claims ${start} to ${voucher.cumulative}.`,
        { voucherHash: hash, heldVoucherHash: hashes[i] },
      );
    }
  }
  for (const [i, h] of mine.entries()) {
    const predecessorMismatch =
      h.counter === voucher.counter - 1 && !same(voucher.prevVoucherHash, hashes[i]!);
    const successorMismatch = h.counter === voucher.counter + 1 && !same(h.prevVoucherHash, hash);
    const samePrevious = same(h.prevVoucherHash, voucher.prevVoucherHash);
    if (predecessorMismatch || successorMismatch || samePrevious) {
      throw refuse(
        'fork',
        `The voucher (${voucher.counter}) does not follow on the purse's voucher ${h.counter} already held: the chain forks.`,
        { voucherHash: hash, heldVoucherHash: hashes[i] },
      );
    }
    if (h.counter === voucher.counter - 1 && start !== h.cumulative) {
      throw refuse(
        'bad-range',
        `The voucher starts at ${start}, not where the purse's previous voucher ended (${h.cumulative}).`,
        { voucherHash: hash },
      );
    }
  }
}

export type FraudKind = 'same-counter' | 'overlap' | 'fork';

/**
 * Whether two vouchers, both validly signed by one purse key, prove fraud the
 * way OfflinePurse.proveFraud accepts it: same purse and epoch, different
 * hashes, and the same counter, overlapping ranges, or the same previous
 * voucher (a fork). Null when they do not (the contract would revert).
 */
export function fraudKind(a: Voucher, b: Voucher, domain: PurseDomain): FraudKind | null {
  if (!same(a.purse, b.purse) || a.epoch !== b.epoch) return null;
  if (same(fastVoucherHash(domain, a), fastVoucherHash(domain, b))) return null;
  if (a.counter === b.counter) return 'same-counter';
  if (a.cumulative - a.amount < b.cumulative && b.cumulative - b.amount < a.cumulative) {
    return 'overlap';
  }
  if (same(a.prevVoucherHash, b.prevVoucherHash)) return 'fork';
  return null;
}
