/**
 * The digital-note part of Signet's API contract: the operations the Notes
 * screen offers (issue, endorse, split, finance, redeem), the review the user
 * sees before the token signs, and the signed finance offer that travels from
 * holder to bank as a file. Pure zod, no Node imports.
 */
import { z } from 'zod';
import {
  addressInputSchema,
  addressNameSchema,
  amountInputSchema,
  amountSchema,
  carriedOperationSchema,
  carrierInputSchema,
  carrierPinSchema,
  deviceConfirmSchema,
  nativeFeeSchema,
  noteRowSchema,
  outboxRowSchema,
  pinSchema,
  reviewDigestSchema,
  syncAfterSigningSchema,
  uintTextSchema,
} from './chain.js';
import { keyUriSchema } from './devices.js';

/** A calendar day, YYYY-MM-DD, that exists (no 2026-02-30). */
export const dateInputSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2027-03-31')
  .refine((text) => {
    const date = new Date(`${text}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
  }, 'not a calendar date');

const bytes32Schema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte hex value');

/** The holder's signed offer, as the bank receives it (the CLI's offer file). */
export const financeOfferFileSchema = z.object({
  type: z.literal('signet-finance-offer'),
  chainId: z.number().int().positive(),
  notes: addressInputSchema,
  holder: addressInputSchema,
  offer: z.object({
    tokenId: uintTextSchema,
    value: uintTextSchema,
    bank: addressInputSchema,
    price: uintTextSchema,
    deadline: uintTextSchema,
    nonce: bytes32Schema,
  }),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte signature'),
});
export type FinanceOfferFile = z.infer<typeof financeOfferFileSchema>;

const holderKey = { from: keyUriSchema, tokenId: uintTextSchema };

export const noteOperationSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('issue'),
    /** The acceptor (debtor), who pays at maturity. */
    from: keyUriSchema,
    payee: addressInputSchema,
    faceValue: amountInputSchema,
    maturity: dateInputSchema,
  }),
  z.object({ op: z.literal('endorse'), ...holderKey, to: addressInputSchema }),
  z.object({
    op: z.literal('split'),
    ...holderKey,
    to: addressInputSchema,
    value: amountInputSchema,
  }),
  z.object({ op: z.literal('redeem'), ...holderKey }),
  /** The holder signs an offer (EIP-712, no transaction) for a bank to finance. */
  z.object({
    op: z.literal('finance-offer'),
    ...holderKey,
    bank: addressInputSchema,
    /** Note value sold; all of it when left out. */
    value: amountInputSchema.optional(),
    price: amountInputSchema,
    /** The last day the bank may accept. */
    deadline: dateInputSchema,
    /** The nonce the review showed; a fresh one when left out. */
    nonce: bytes32Schema.optional(),
  }),
  /** The bank pays the price against the holder's signed offer. */
  z.object({
    op: z.literal('finance-accept'),
    from: keyUriSchema,
    offer: financeOfferFileSchema,
  }),
]);
export type NoteOperation = z.infer<typeof noteOperationSchema>;

/** One transaction as the token will sign it, its calldata decoded back. */
export const plannedTransactionSchema = z.object({
  kind: z.string(),
  contract: z.string(),
  /** The decoded call: function name and its arguments as text (a struct's fields as `name.field`). */
  function: z.string(),
  args: z.record(z.string(), z.string()),
  nonce: z.number().int().nonnegative(),
  type: z.enum(['eip1559', 'legacy']),
  gasLimit: uintTextSchema,
  /** EIP-1559: maxFeePerGas; legacy: gasPrice (wei). */
  maxFeePerGas: uintTextSchema,
  maxPriorityFeePerGas: uintTextSchema.nullable(),
  /** gasLimit × maxFeePerGas, in the chain's native coin. */
  fee: nativeFeeSchema,
  /** A P-256 account's: the operation its key signs; the fields above are its carrier's transaction. */
  carried: carriedOperationSchema.nullable().optional(),
});

export const notePreviewSchema = z.object({
  op: z.enum(['issue', 'endorse', 'split', 'redeem', 'finance-offer', 'finance-accept']),
  from: z.string(),
  fromKeyUri: keyUriSchema,
  chainId: z.number().int().positive(),
  /**
   * The note the operation acts on (null for an issue): who pays it, in which
   * currency, when, who holds it and its value, from the last sync (`store`) or
   * read from the ledger just now (`chain`: a bank accepting an offer, unless
   * offline). `store` facts are as of the last sync: for a note the wallet does
   * not hold they may be out of date, and the contract checks again when it runs.
   */
  note: noteRowSchema
    .extend({ source: z.enum(['store', 'chain']), asOfBlock: z.number().int().nonnegative() })
    .nullable(),
  /** What the token signs: transactions, or for a finance offer the typed data. */
  transactions: z.array(plannedTransactionSchema),
  typedData: z
    .object({
      primaryType: z.string(),
      domain: z.record(z.string(), z.string()),
      message: z.record(z.string(), z.string()),
    })
    .nullable(),
  /** Currency available after these and every payment still in the outbox (bank paying a price). */
  availableAfter: amountSchema.nullable(),
  /** The network fees of all the transactions together; null for typed data (no fee). */
  fee: nativeFeeSchema.nullable(),
  /** Every address above, named. */
  names: z.array(addressNameSchema),
  /** Pass to notes.execute: it signs only this. */
  reviewDigest: reviewDigestSchema,
  /** A key on a Ledger: the hashes its screen will show. */
  deviceConfirm: deviceConfirmSchema.optional(),
});

export const noteResultSchema = z.object({
  transactions: z.array(outboxRowSchema),
  /** A finance offer: the file to hand the bank. */
  offer: financeOfferFileSchema.nullable(),
  sync: syncAfterSigningSchema,
});

export const noteRequests = {
  'notes.preview': z.object({
    operation: noteOperationSchema,
    /** A P-256 holder's carrier; the default one when left out. */
    carrier: carrierInputSchema.optional(),
    /**
     * Review as `notes.execute` with `offline` would check it: no network. A bank
     * accepting an offer then sees the note as of the last sync (`note.source`
     * `store`), not as read from the ledger now.
     */
    offline: z.boolean().optional(),
  }),
  'notes.execute': z.object({
    operation: noteOperationSchema,
    /** A P-256 holder's carrier; the default one when left out. */
    carrier: carrierInputSchema.optional(),
    /**
     * The digest of the preview the user reviewed: nothing is signed unless the
     * operation planned now has the same (a finance offer: pass the nonce the
     * review showed, or a fresh one makes it another offer). Required from the UI.
     */
    reviewDigest: reviewDigestSchema.optional(),
    pin: pinSchema.optional(),
    carrierPin: carrierPinSchema.optional(),
    /** Sign and queue only; do not try to send now. */
    offline: z.boolean().optional(),
  }),
} as const;

export const noteResults = {
  'notes.preview': notePreviewSchema,
  'notes.execute': noteResultSchema,
} as const;
