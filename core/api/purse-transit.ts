/**
 * What moves between two devices with no network (issue 13 §2): an offline
 * payment (the operator's purse certificate and the purse key's voucher) and a
 * payee's payment request, as JSON. The same JSON is the file, the QR's payload
 * (core/purse/payment-qr.ts) and what the UI shows and scans.
 *
 * Strict: unknown fields, wrong types, numbers as floats or with leading zeros
 * are refused, so a payment has exactly one JSON form per content. Amounts and
 * 64-bit times are decimal strings (bigints never become floats); counters and
 * epochs (uint32) are JSON numbers. Pure zod, no Node imports.
 */
import { z } from 'zod';

export const OFFLINE_PAYMENT_KIND = 'offline-payment';
export const PAYMENT_REQUEST_KIND = 'payment-request';
/** The largest payment file or request accepted: ample for ~1.3 KB of JSON. */
export const MAX_PAYMENT_FILE_BYTES = 8 * 1024;

const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

export const purseAddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address');
export const purseHashSchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte hash');
/** 65 bytes r‖s‖v, v 27 or 28. */
export const purseSignatureSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{128}(1b|1c|1B|1C)$/, 'a 65-byte signature r‖s‖v (v 27 or 28)');

function decimal(max: bigint, what: string) {
  return z
    .string()
    .regex(/^(0|[1-9]\d{0,77})$/, `${what} as a decimal integer string`)
    .refine((text) => !/^\d+$/.test(text) || BigInt(text) <= max, `${what} out of range`);
}
export const uint256TextSchema = decimal(MAX_UINT256, 'a uint256');
export const uint64TextSchema = decimal(MAX_UINT64, 'a uint64');
export const uint32Schema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

export const chainIdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const purseCertificateJsonSchema = z.strictObject({
  purse: purseAddressSchema,
  owner: purseAddressSchema,
  locked: uint256TextSchema,
  cap: uint256TextSchema,
  maxCount: uint32Schema,
  validFrom: uint64TextSchema,
  validUntil: uint64TextSchema,
  operator: purseAddressSchema,
  epoch: uint32Schema,
});

export const voucherJsonSchema = z.strictObject({
  purse: purseAddressSchema,
  epoch: uint32Schema,
  payee: purseAddressSchema,
  amount: uint256TextSchema,
  counter: uint32Schema,
  cumulative: uint256TextSchema,
  prevVoucherHash: purseHashSchema,
  issuedAt: uint64TextSchema,
});

/** An offline payment file (`.signet-payment`), version 1. */
export const offlinePaymentJsonSchema = z.strictObject({
  signet: z.literal(OFFLINE_PAYMENT_KIND),
  version: z.literal(1),
  chainId: chainIdSchema,
  purseContract: purseAddressSchema,
  certificate: purseCertificateJsonSchema,
  certificateSignature: purseSignatureSchema,
  voucher: voucherJsonSchema,
  voucherSignature: purseSignatureSchema,
});
export type OfflinePaymentJson = z.infer<typeof offlinePaymentJsonSchema>;

/** No control characters: a memo is shown as one line. */
export const memoSchema = z
  .string()
  .min(1)
  .max(140)
  .regex(/^[^\p{Cc}]*$/u, 'no control characters');

/** A payee's payment request (`.signet-request`), version 1: who to pay, how much. */
export const paymentRequestJsonSchema = z.strictObject({
  signet: z.literal(PAYMENT_REQUEST_KIND),
  version: z.literal(1),
  chainId: chainIdSchema,
  purseContract: purseAddressSchema,
  payee: purseAddressSchema,
  amount: uint256TextSchema.refine((text) => text !== '0', 'an amount above 0'),
  memo: memoSchema.optional(),
});
export type PaymentRequestJson = z.infer<typeof paymentRequestJsonSchema>;

// ---- the collection service's HTTP API (`signet collect serve`, core/collect/) ----

/** POST /v1/vouchers: one or many offline payments, as their files hold them. */
export const depositRequestSchema = z.strictObject({
  payments: z.array(z.unknown()).min(1).max(500),
});

export const depositOutcomeSchema = z.discriminatedUnion('status', [
  z.strictObject({
    status: z.literal('accepted'),
    voucherHash: purseHashSchema,
    /** It conflicts with a voucher of the same purse the service holds: a fraud proof is queued. */
    fraud: z.boolean(),
  }),
  z.strictObject({ status: z.literal('duplicate'), voucherHash: purseHashSchema }),
  z.strictObject({
    status: z.literal('refused'),
    /** VOUCHER_REFUSED's reason (core/purse/verify.ts), `malformed` for a payment that does not parse. */
    reason: z.string(),
    message: z.string(),
    voucherHash: purseHashSchema.optional(),
  }),
]);
export type DepositOutcome = z.infer<typeof depositOutcomeSchema>;
export const depositResponseSchema = z.strictObject({ results: z.array(depositOutcomeSchema) });

export const collectedStatuses = ['pending', 'submitted', 'settled', 'rejected'] as const;
/** GET /v1/vouchers/:hash */
export const collectedVoucherSchema = z.strictObject({
  voucherHash: purseHashSchema,
  chainId: chainIdSchema,
  purse: purseAddressSchema,
  counter: uint32Schema,
  payee: purseAddressSchema,
  amount: uint256TextSchema,
  /**
   * pending: held (or waiting to retry); submitted: in a settle transaction; settled: a quorum of
   * nodes shows it paid; rejected: the contract refused it for good.
   */
  status: z.enum(collectedStatuses),
  /** The settle transaction it was last submitted in. */
  txHash: purseHashSchema.nullable(),
  /** Why the contract did not pay it (core/purse/abi.ts voucherRejections), if it said. */
  reason: z.string().nullable(),
});

/**
 * POST /v1/certificates: which opened purse to certify. Nothing else: the operator
 * certifies exactly the purse's terms as the chain holds them, never terms a request names.
 */
export const certificateRequestSchema = z.strictObject({
  purse: purseAddressSchema,
});
export type CertificateRequest = z.infer<typeof certificateRequestSchema>;

export const certificateResponseSchema = z.strictObject({
  chainId: chainIdSchema,
  purseContract: purseAddressSchema,
  certificate: purseCertificateJsonSchema,
  signature: purseSignatureSchema,
  /** The certificate key that signed (listed on chain for `certificate.operator`). */
  signer: purseAddressSchema,
});

/** Every refusal: the one-line SignetError, as the CLI's JSON prints it. */
export const collectErrorSchema = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
