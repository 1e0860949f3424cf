/**
 * The offline purse (issue 13): digital cash on the holder's token that pays
 * another holder with no network, and settles on the chain once either side
 * reconnects. The UI's methods (core/api/methods.ts), which `signet purse`
 * calls too. Pure zod, no Node imports: the renderer imports this file.
 *
 * Amounts cross this boundary as everywhere in the API: "12.34" (two
 * decimals); the payment files and QR codes carry minor units. Times are Unix
 * seconds. Every purse and voucher names its chainId; the methods act on the
 * selected chain only.
 *
 * What a page may do with each method (a hostile page too, which reaches the
 * same methods and has no PIN):
 * - `purse.status`, `purse.request`: read, or build a payment request for one
 *   of the wallet's own accounts. Nothing is signed and nothing is stored.
 * - `purse.payPreview`: decodes a payment request (file text or QR frames) and
 *   shows what the voucher would pay; signs nothing, stores nothing.
 * - `purse.pay`: the purse key signs one voucher that Signet builds itself from
 *   the decoded request (payee, amount) and the purse's own counter; never
 *   bytes the page supplies. From the UI it names the `reviewDigest` that
 *   `purse.payPreview` showed (REVIEW_STALE, nothing signed, when the purse
 *   moved since), and the token signs only after the PIN dialog's PIN.
 * - `purse.receive`: checks an offline payment offline (certificate, voucher,
 *   limits, the vouchers already held) and stores it only when every check
 *   passes; a refusal is VOUCHER_REFUSED with `details.reason` and stores
 *   nothing. Needs no PIN: it signs nothing. A page can at most fill the
 *   pending income with vouchers that are genuinely valid, up to the receive
 *   limit.
 * - `purse.open`, `purse.close`, and `purse.settle` through the own account:
 *   transactions of the account's key, signed only with the PIN dialog's PIN.
 *   `purse.settle` to the collection service sends held vouchers (no PIN) to
 *   the URL in the configuration only: a page cannot name where they go.
 * - Sizes are capped: request text 2 KiB, payment text 8 KiB, QR frames
 *   (count and length) below, memo 140 characters.
 */
import { z } from 'zod';
import {
  addressInputSchema,
  amountInputSchema,
  amountSchema,
  outboxRowSchema,
  reviewDigestSchema,
  syncAfterSigningSchema,
  txHashSchema,
} from './chain.js';
import { keyUriSchema } from './devices.js';

/** A payment request's file text at most (characters). */
export const MAX_PAYMENT_REQUEST_TEXT = 2 * 1024;
/** An offline payment's file text at most (characters). */
export const MAX_PAYMENT_TEXT = 8 * 1024;
/** QR frames one request may carry: a payment fits a few; fountain frames repeat. */
export const MAX_PURSE_QR_PARTS = 200;
/** One scanned frame's text at most. */
export const MAX_PURSE_QR_PART = 2000;
/** Most payments one purse may be certified for. */
export const MAX_PURSE_COUNT = 10_000;
/** Longest validity a purse may ask for: one year. */
export const MAX_PURSE_VALIDITY_SECONDS = 366 * 24 * 3600;

const hash32Schema = z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte hash');
const unixSecondsSchema = z.number().int().nonnegative();
const memoSchema = z.string().max(140);

/**
 * What a page hands over: the text of a file, or the QR frames scanned so far
 * (every distinct frame, in order; a fresh decoder reads them each call).
 */
const transitInput = (maxText: number) =>
  z.union([
    z.object({ text: z.string().min(1).max(maxText) }),
    z.object({
      parts: z.array(z.string().min(1).max(MAX_PURSE_QR_PART)).min(1).max(MAX_PURSE_QR_PARTS),
    }),
  ]);
export const paymentRequestInputSchema = transitInput(MAX_PAYMENT_REQUEST_TEXT);
export const paymentInputSchema = transitInput(MAX_PAYMENT_TEXT);

/** Scanning an animated QR code is not done yet: what the decoder has. */
export const scanProgressSchema = z.object({
  complete: z.literal(false),
  /** Distinct fragments recovered. */
  received: z.number().int().nonnegative(),
  /** Fragments the sequence has (0 before the first frame is read). */
  needed: z.number().int().nonnegative(),
});

/** A file's text and the same as QR frames (BC-UR, upper case; one frame when it fits). */
export const transitOutputSchema = z.object({
  /** The file's JSON text (`.signet-payment` or `.signet-request`). */
  text: z.string(),
  /** QR frames to show in a loop; a single one when it fits one code. */
  parts: z.array(z.string()),
  /** Distinct fragments: the fewest frames a scanner needs. */
  fragments: z.number().int().positive(),
});

/**
 * Where a purse stands. `opening`: approve + open sent, not yet seen on chain
 * at the confirmation depth; `awaiting-certificate`: open on chain, the
 * operator's certificate not yet fetched (pays nothing; a refresh or opening
 * again asks for it); `open`: certified, pays offline; `mismatch`: its counter on the token
 * and on this computer disagreed, it pays offline no more (a new purse does);
 * `expired`: past its validity, waiting for the thaw to close; `closable`: thaw
 * over; `frozen`: a fraud proof froze it; `closed`: refunded.
 */
export const purseStates = [
  'opening',
  'awaiting-certificate',
  'open',
  'mismatch',
  'expired',
  'closable',
  'frozen',
  'closed',
] as const;
export type PurseStateName = (typeof purseStates)[number];

export const purseSummarySchema = z.object({
  chainId: z.number().int().positive(),
  /** The purse key's address, which names the purse. */
  purse: z.string(),
  /** The account that locked the money. */
  owner: z.string(),
  /** The purse key on the token (`signet-purse-<epoch>`). */
  keyUri: keyUriSchema,
  operator: z.string(),
  epoch: z.number().int().nonnegative(),
  state: z.enum(purseStates),
  locked: amountSchema,
  /** Most one payment may pay. */
  cap: amountSchema,
  maxCount: z.number().int().positive(),
  /** Vouchers signed so far (the counter). */
  count: z.number().int().nonnegative(),
  /** Paid offline so far (the cumulative of the last voucher). */
  paidOffline: amountSchema,
  paymentsLeft: z.number().int().nonnegative(),
  /** What it may still pay: locked less paid, and no payment over the cap. */
  amountLeft: amountSchema,
  validFrom: unixSecondsSchema,
  validUntil: unixSecondsSchema,
  /** From when the owner may close it (validity plus the contract's grace). */
  closableFrom: unixSecondsSchema.nullable(),
  /** As the chain said at the last read: paid out of the purse, frozen, closed. */
  settledFromPurse: amountSchema,
  frozen: z.boolean(),
  closed: z.boolean(),
  mismatch: z.boolean(),
});

export const voucherStatuses = ['pending', 'settled', 'rejected'] as const;

/** A voucher this computer holds: received (income) or signed by one of its purses. */
export const voucherRowSchema = z.object({
  chainId: z.number().int().positive(),
  voucherHash: hash32Schema,
  purse: z.string(),
  epoch: z.number().int().nonnegative(),
  payee: z.string(),
  amount: amountSchema,
  counter: z.number().int().positive(),
  cumulative: amountSchema,
  issuedAt: unixSecondsSchema,
  direction: z.enum(['received', 'paid']),
  /** pending: not yet settled on chain (as a quorum of nodes showed); settled; rejected by the contract. */
  status: z.enum(voucherStatuses),
  /** The settling transaction, once seen. */
  settledTx: txHashSchema.nullable(),
});

export const purseStatusSchema = z.object({
  chainId: z.number().int().positive(),
  /** The account asked about, or null for all of the wallet's. */
  account: z.string().nullable(),
  purses: z.array(purseSummarySchema),
  /** Received offline and not yet settled: shown apart from the settled balance. */
  pendingIncome: amountSchema,
  /** The account's (or accounts') balance as the last sync saw it. */
  settledBalance: amountSchema,
  vouchers: z.array(voucherRowSchema),
  /** The payee's receive limit: pending offline income above it is refused. */
  receiveLimit: amountSchema.nullable(),
  /** When the operators' certificate keys were last synced (Unix seconds), null if never. */
  certificateKeysSyncedAt: unixSecondsSchema.nullable(),
});

/** What `purse.pay` will sign, shown before the PIN is asked. */
export const payPreviewSchema = z.object({
  complete: z.literal(true),
  chainId: z.number().int().positive(),
  payee: z.string(),
  amount: amountSchema,
  memo: z.string().nullable(),
  /** The paying purse and what it has left after this payment. */
  purse: purseSummarySchema,
  counter: z.number().int().positive(),
  cumulative: amountSchema,
  /** Pass to purse.pay: it signs only this. */
  reviewDigest: reviewDigestSchema,
});

const signedTransactions = {
  transactions: z.array(outboxRowSchema),
  sync: syncAfterSigningSchema,
};

export const purseRequests = {
  /** The purses of one account (or every account) on the selected chain, and offline income. */
  'purse.status': z.object({
    account: addressInputSchema.optional(),
    /** Read the purses' state on chain (and sync certificate keys) when a node answers. */
    refresh: z.boolean().default(false),
  }),
  /**
   * Lock money into a new purse: a fresh purse key on the account's token,
   * approve + open(terms) through the outbox, then, once the open is confirmed,
   * the operator's certificate from its collection service (checked against
   * the on-chain terms). An account with a purse awaiting its certificate gets
   * that purse back (and the certificate asked again) instead of a new one.
   * Needs the PIN.
   */
  'purse.open': z.object({
    /** The owner's account key (pkcs11: URI); the purse key is made on the same token. */
    account: keyUriSchema,
    locked: amountInputSchema,
    cap: amountInputSchema,
    maxCount: z.number().int().min(1).max(MAX_PURSE_COUNT),
    validitySeconds: z.number().int().min(60).max(MAX_PURSE_VALIDITY_SECONDS),
  }),
  /** The payee asks for a payment: a request file and its QR frames. Stores nothing. */
  'purse.request': z.object({
    /** The payee: one of the wallet's accounts. */
    account: addressInputSchema,
    amount: amountInputSchema,
    memo: memoSchema.optional(),
  }),
  /** Decode a payment request and show what paying it would sign; signs nothing. */
  'purse.payPreview': z.object({
    request: paymentRequestInputSchema,
    /** The paying account (its open purse); needed when the wallet has more than one. */
    account: addressInputSchema.optional(),
  }),
  /**
   * Pay a request offline: the purse key signs a voucher Signet builds from it.
   * Needs the PIN; from the UI also the preview's reviewDigest.
   */
  'purse.pay': z.object({
    request: paymentRequestInputSchema,
    account: addressInputSchema.optional(),
    reviewDigest: reviewDigestSchema.optional(),
  }),
  /**
   * Check an offline payment with no network and keep it as pending income;
   * VOUCHER_REFUSED (details.reason) stores nothing.
   */
  'purse.receive': z.object({ payment: paymentInputSchema }),
  /**
   * Submit held vouchers (received and own) not yet settled: `own` signs
   * OfflinePurse.settle batches with `submitter`'s key through the outbox
   * (PIN); `service` deposits them at the collection service the
   * configuration names (no PIN, nothing signed).
   */
  'purse.settle': z.object({
    via: z.enum(['own', 'service']),
    /** The account whose key signs the settle transactions (via own). */
    submitter: keyUriSchema.optional(),
  }),
  /** Refund what no voucher claimed, after the thaw window. Needs the PIN. */
  'purse.close': z.object({ purse: addressInputSchema }),
} as const;

export const purseResults = {
  'purse.status': purseStatusSchema,
  'purse.open': z.object({
    purse: purseSummarySchema,
    /** Why the purse has no certificate yet (one line), or null once certified. */
    notice: z.string().nullable(),
    ...signedTransactions,
  }),
  'purse.request': transitOutputSchema.extend({
    chainId: z.number().int().positive(),
    payee: z.string(),
    amount: amountSchema,
  }),
  'purse.payPreview': z.union([scanProgressSchema, payPreviewSchema]),
  'purse.pay': z.object({
    payment: transitOutputSchema,
    voucher: voucherRowSchema,
    purse: purseSummarySchema,
  }),
  'purse.receive': z.union([
    scanProgressSchema,
    z.object({
      complete: z.literal(true),
      voucher: voucherRowSchema,
      /** The same voucher was held already: nothing changed. */
      alreadyHeld: z.boolean(),
      pendingIncome: amountSchema,
    }),
  ]),
  'purse.settle': z.object({
    /** Vouchers submitted (or deposited) this time. */
    submitted: z.number().int().nonnegative(),
    /** Held vouchers a quorum of nodes already shows settled (marked, not sent again). */
    alreadySettled: z.number().int().nonnegative(),
    /** The collection service's answer when deposited there. */
    service: z
      .object({
        url: z.string(),
        accepted: z.number().int().nonnegative(),
        refused: z.number().int().nonnegative(),
      })
      .nullable(),
    ...signedTransactions,
  }),
  'purse.close': z.object({ purse: purseSummarySchema, ...signedTransactions }),
} as const satisfies Record<keyof typeof purseRequests, z.ZodType>;
