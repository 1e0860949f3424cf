/**
 * Offline payments and payment requests as JSON text (core/api/purse-transit.ts
 * has the schemas): what a file holds and what a QR code carries. Decoding is
 * strict and all-or-nothing: malformed, truncated or oversized input is refused
 * with VOUCHER_REFUSED (reason `malformed`) in one line, before anything could
 * be stored. Tampering that keeps the form intact is caught by the signatures
 * (core/purse/verify.ts).
 */
import { type Address, getAddress, type Hex, isAddress } from 'viem';
import { SignetError } from '../api/errors.js';
import {
  MAX_PAYMENT_FILE_BYTES,
  OFFLINE_PAYMENT_KIND,
  type OfflinePaymentJson,
  offlinePaymentJsonSchema,
  PAYMENT_REQUEST_KIND,
  type PaymentRequestJson,
  paymentRequestJsonSchema,
} from '../api/purse-transit.js';
import type { PurseCertificate, PurseDomain, Voucher } from './typed-data.js';
import type { OfflinePayment } from './verify.js';

/** An offline payment as a file names it: its chain and purse contract included. */
export type PaymentWithDomain = OfflinePayment & { domain: PurseDomain };

export interface PaymentRequest {
  domain: PurseDomain;
  payee: Address;
  amount: bigint;
  memo?: string;
}

function malformed(what: string, detail: string): SignetError {
  return new SignetError('VOUCHER_REFUSED', `This ${what} is not well formed: ${detail}.`, {
    details: { reason: 'malformed' },
  });
}

/** An address as given, checked (mixed case must be a valid EIP-55 checksum), then checksummed. */
function address(text: string, what: string, field: string): Address {
  if (!isAddress(text, { strict: true })) {
    throw malformed(what, `${field} ${text} has a wrong checksum`);
  }
  return getAddress(text);
}

function parseJson(input: string | Uint8Array, what: string): unknown {
  const size = typeof input === 'string' ? new TextEncoder().encode(input).length : input.length;
  if (size > MAX_PAYMENT_FILE_BYTES) {
    throw malformed(what, `it is ${size} bytes, more than ${MAX_PAYMENT_FILE_BYTES}`);
  }
  let text: string;
  try {
    text =
      typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw malformed(what, 'it is not UTF-8 text');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw malformed(what, 'it is not complete JSON (truncated or damaged)');
  }
}

function firstIssue(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  const issue = error.issues[0];
  if (!issue) return 'unknown';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

// ---- offline payment --------------------------------------------------------

/** A certificate as JSON (purseCertificateJsonSchema): amounts and times as decimal text. */
export function certificateToJson(c: PurseCertificate) {
  return {
    purse: c.purse,
    owner: c.owner,
    locked: c.locked.toString(),
    cap: c.cap.toString(),
    maxCount: c.maxCount,
    validFrom: c.validFrom.toString(),
    validUntil: c.validUntil.toString(),
    operator: c.operator,
    epoch: c.epoch,
  };
}

export function paymentToJson(payment: PaymentWithDomain): OfflinePaymentJson {
  const v = payment.voucher;
  return {
    signet: OFFLINE_PAYMENT_KIND,
    version: 1,
    chainId: payment.domain.chainId,
    purseContract: payment.domain.verifyingContract,
    certificate: certificateToJson(payment.certificate),
    certificateSignature: payment.certificateSignature,
    voucher: {
      purse: v.purse,
      epoch: v.epoch,
      payee: v.payee,
      amount: v.amount.toString(),
      counter: v.counter,
      cumulative: v.cumulative.toString(),
      prevVoucherHash: v.prevVoucherHash,
      issuedAt: v.issuedAt.toString(),
    },
    voucherSignature: payment.voucherSignature,
  };
}

/** The payment as a file's text: compact JSON, fields in the schema's order. */
export function encodePaymentFile(payment: PaymentWithDomain): string {
  // Through the schema so what is written is what a reader accepts.
  const json = offlinePaymentJsonSchema.safeParse(paymentToJson(payment));
  if (!json.success) throw malformed('offline payment', firstIssue(json.error));
  return JSON.stringify(json.data);
}

/** An offline payment from its JSON value, checked strictly. */
export function paymentFromJson(value: unknown): PaymentWithDomain {
  const what = 'offline payment';
  const parsed = offlinePaymentJsonSchema.safeParse(value);
  if (!parsed.success) throw malformed(what, firstIssue(parsed.error));
  const p = parsed.data;
  const c = p.certificate;
  const v = p.voucher;
  const certificate: PurseCertificate = {
    purse: address(c.purse, what, 'certificate.purse'),
    owner: address(c.owner, what, 'certificate.owner'),
    locked: BigInt(c.locked),
    cap: BigInt(c.cap),
    maxCount: c.maxCount,
    validFrom: BigInt(c.validFrom),
    validUntil: BigInt(c.validUntil),
    operator: address(c.operator, what, 'certificate.operator'),
    epoch: c.epoch,
  };
  const voucher: Voucher = {
    purse: address(v.purse, what, 'voucher.purse'),
    epoch: v.epoch,
    payee: address(v.payee, what, 'voucher.payee'),
    amount: BigInt(v.amount),
    counter: v.counter,
    cumulative: BigInt(v.cumulative),
    prevVoucherHash: v.prevVoucherHash.toLowerCase() as Hex,
    issuedAt: BigInt(v.issuedAt),
  };
  return {
    domain: {
      chainId: p.chainId,
      verifyingContract: address(p.purseContract, what, 'purseContract'),
    },
    certificate,
    certificateSignature: p.certificateSignature.toLowerCase() as Hex,
    voucher,
    voucherSignature: p.voucherSignature.toLowerCase() as Hex,
  };
}

/** An offline payment from a file's bytes or text; refused in one line unless well formed. */
export function decodePaymentFile(input: string | Uint8Array): PaymentWithDomain {
  return paymentFromJson(parseJson(input, 'offline payment'));
}

// ---- payment request --------------------------------------------------------

export function requestToJson(request: PaymentRequest): PaymentRequestJson {
  return {
    signet: PAYMENT_REQUEST_KIND,
    version: 1,
    chainId: request.domain.chainId,
    purseContract: request.domain.verifyingContract,
    payee: request.payee,
    amount: request.amount.toString(),
    ...(request.memo === undefined ? {} : { memo: request.memo }),
  };
}

export function encodePaymentRequest(request: PaymentRequest): string {
  const json = paymentRequestJsonSchema.safeParse(requestToJson(request));
  if (!json.success) throw malformed('payment request', firstIssue(json.error));
  return JSON.stringify(json.data);
}

export function requestFromJson(value: unknown): PaymentRequest {
  const what = 'payment request';
  const parsed = paymentRequestJsonSchema.safeParse(value);
  if (!parsed.success) throw malformed(what, firstIssue(parsed.error));
  const r = parsed.data;
  return {
    domain: {
      chainId: r.chainId,
      verifyingContract: address(r.purseContract, what, 'purseContract'),
    },
    payee: address(r.payee, what, 'payee'),
    amount: BigInt(r.amount),
    ...(r.memo === undefined ? {} : { memo: r.memo }),
  };
}

export function decodePaymentRequest(input: string | Uint8Array): PaymentRequest {
  return requestFromJson(parseJson(input, 'payment request'));
}
