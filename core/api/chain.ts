/**
 * The ledger and wallet part of Signet's API contract: what the UI reads from
 * the store (balances, notes, history, outbox, audit log) and asks the wallet
 * to do. The shapes are the CLI's `--json` shapes. Everything is JSON-safe:
 * amounts are decimal strings ("12.34"), ids and wei amounts are decimal
 * strings, never numbers that could lose digits. Pure zod, no Node imports.
 */
import { z } from 'zod';
import { keyUriSchema } from './devices.js';
import { type ErrorCode, errorCodes } from './errors.js';
import { contractRoles } from './profile.js';

/** An address as the UI types it; the server checks the checksum. */
export const addressInputSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address');
/** A currency amount for people: digits and at most two decimals. */
export const amountInputSchema = z
  .string()
  .regex(/^\d{1,60}(\.\d{1,2})?$/, 'an amount like 12.34 (at most two decimals)');
/** An amount the server prints: may be negative (available after pending payments). */
export const amountSchema = z.string().regex(/^-?\d+\.\d{2}$/, 'an amount like 12.34');
export const uintTextSchema = z.string().regex(/^(0|[1-9]\d*)$/, 'a decimal integer');
export const txHashSchema = z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte hash');
const blockNumberSchema = z.number().int().nonnegative();
/** The user PIN, from the UI's PIN dialog; only on requests that may need a token login. */
export const pinSchema = z.string().min(1).max(256);

/**
 * The PIN of a P-256 sender's carrier's token, when the carrier's key is on
 * another token than the sender's (the review's `carried.carrierLogin` says
 * `other-token`). Tried on that token only, never on the sender's; `pin` is
 * never tried on the carrier's.
 */
export const carrierPinSchema = pinSchema;

export const chainSummarySchema = z.object({
  name: z.string(),
  chainId: z.number().int().positive(),
  dev: z.boolean(),
});

export const appInfoSchema = z.object({
  /** The active ledger, or null when none is selected (device methods still work). */
  ledger: chainSummarySchema.nullable(),
  /** Why there is no ledger, one line (none selected, a malformed profile). */
  chainProblem: z.string().nullable(),
});

export const accountSchema = z.object({
  address: z.string(),
  keyUri: keyUriSchema,
  name: z.string(),
  curve: z.enum(['secp256k1', 'p256', 'ed25519']),
  publicKey: z.string(),
  createdAt: z.string(),
});

export const balanceRowSchema = z.object({
  address: z.string(),
  name: z.string(),
  balance: amountSchema,
  pending: amountSchema,
  available: amountSchema,
  registered: z.boolean(),
  frozen: z.boolean(),
  syncedBlock: blockNumberSchema.nullable(),
});

export const noteRowSchema = z.object({
  tokenId: uintTextSchema,
  holder: z.string(),
  /** Who pays the note at maturity. */
  acceptor: z.string(),
  /** The currency contract the note is payable in. */
  currency: z.string(),
  /** Whether that is the ledger's own currency; a note in any other is not counted as money. */
  currencyKnown: z.boolean(),
  /** YYYY-MM-DD. */
  maturity: z.string(),
  value: amountSchema,
  status: z.enum(['active', 'redeemed', 'dishonoured']),
});

export const historyCursorSchema = z.object({
  blockNumber: blockNumberSchema,
  logIndex: z.number().int().nonnegative(),
});

export const historyRowSchema = z.object({
  blockNumber: blockNumberSchema,
  logIndex: z.number().int().nonnegative(),
  txHash: txHashSchema,
  kind: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  amount: amountSchema,
  tokenId: uintTextSchema.nullable(),
  /** Block time, unix seconds, when known. */
  timestamp: z.number().int().nullable(),
});

export const historyPageSchema = z.object({
  rows: z.array(historyRowSchema),
  /** Pass as `before` for the next (older) page; null when this page is the last. */
  next: historyCursorSchema.nullable(),
});

/**
 * The wallet account that carries a P-256 account's operations (signs and pays
 * for the transactions): its address, or its key's URI (pkcs11: or ledger:).
 */
export const carrierInputSchema = z.union([addressInputSchema, keyUriSchema]);

export const outboxRowSchema = z.object({
  txHash: txHashSchema,
  /** The transaction's sender: a carried operation's carrier. */
  from: z.string(),
  nonce: z.number().int().nonnegative(),
  /** A carried operation: the P-256 account it acts for, and that account's nonce. */
  carried: z
    .object({ account: z.string(), nonce: z.number().int().nonnegative() })
    .nullable()
    .optional(),
  kind: z.string(),
  status: z.enum(['signed', 'sent', 'included', 'confirmed', 'failed', 'replaced']),
  summary: z.record(z.string(), z.unknown()),
  amount: amountSchema,
  blockNumber: blockNumberSchema.nullable(),
  error: z.string().nullable(),
});

export const nodeStatusSchema = z.object({
  url: z.string(),
  state: z.enum(['up', 'down', 'behind', 'disagreeing', 'wrong-chain', 'unknown']),
  head: z.number().int().optional(),
  lastError: z.string().optional(),
  latencyMs: z.number().optional(),
  disagreement: z.object({ method: z.string(), said: z.string(), majority: z.string() }).optional(),
});

export const chainStatusSchema = chainSummarySchema.extend({
  /**
   * The head a quorum of the nodes has reached just now (the block syncs pin to),
   * not one node's claim; null when no node answered.
   */
  head: blockNumberSchema.nullable(),
  nodes: z.array(nodeStatusSchema),
  syncedBlock: blockNumberSchema.nullable(),
  outbox: z.object({
    signed: z.number().int(),
    sent: z.number().int(),
    included: z.number().int(),
    confirmed: z.number().int(),
    failed: z.number().int(),
  }),
});

export const syncReportSchema = z.object({
  head: blockNumberSchema,
  sent: z.number().int(),
  included: z.number().int(),
  confirmed: z.number().int(),
  failed: z.number().int(),
  /** Left as they were: too few of the profile's nodes agree on what became of them. */
  unconfirmed: z.number().int(),
  events: z.number().int(),
  rewoundTo: blockNumberSchema.nullable(),
});

export const auditEntrySchema = z.object({
  seq: z.number().int().positive(),
  at: z.string(),
  action: z.string(),
  keyUri: z.string().nullable(),
  subject: z.record(z.string(), z.unknown()),
  txHash: txHashSchema.nullable(),
  prevHash: z.string(),
  hash: z.string(),
});

export const auditChainSchema = z.object({
  intact: z.boolean(),
  firstBadSeq: z.number().int().optional(),
  entries: z.number().int().nonnegative(),
});

/**
 * The digest of exactly what the token will sign (core/wallet/review-digest.ts):
 * a preview returns it; signing names it, and signs nothing if what it would
 * sign now has another digest (REVIEW_STALE).
 */
export const reviewDigestSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'a review digest (0x and 64 hex digits)');

/**
 * Who an address is, as far as Signet knows: one of the wallet's accounts, an
 * entry of the user's address book, one of the ledger's contracts by its role,
 * or nobody it knows. Where the name comes from is part of it, so a name the
 * address book gives is never mistaken for one of the wallet's own accounts.
 */
export const addressNameSchema = z.discriminatedUnion('kind', [
  z.object({ address: z.string(), kind: z.literal('account'), name: z.string() }),
  z.object({ address: z.string(), kind: z.literal('address-book'), name: z.string() }),
  z.object({ address: z.string(), kind: z.literal('contract'), role: z.enum(contractRoles) }),
  z.object({ address: z.string(), kind: z.literal('unknown') }),
]);
export type AddressName = z.infer<typeof addressNameSchema>;

/**
 * The most a transaction (or several) can cost in network fees, paid in the
 * chain's own coin (not the wallet's currency): in its smallest unit, and as
 * exact decimal text in the coin's unit (no float ever rounds it).
 */
export const nativeFeeSchema = z.object({
  /** gasLimit × maxFeePerGas (legacy: × gasPrice), summed over the transactions. */
  maxWei: uintTextSchema,
  /** maxWei in the profile's native currency, e.g. "0.00036". */
  max: z.string().regex(/^\d+(\.\d+)?$/, 'a decimal number'),
  /** The native currency's symbol, e.g. "ETH". */
  symbol: z.string(),
});

const hash32Schema = z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte hash');

/**
 * For a key on a Ledger: what the device shows to confirm where it cannot
 * decode what it signs (blind signing), for the review to show beside it so
 * the user can compare. Left out for token keys.
 */
export const deviceConfirmSchema = z.object({
  device: z.literal('ledger'),
  /** Each transaction's hash (keccak-256 of the unsigned transaction), in signing order. */
  transactionHashes: z.array(hash32Schema),
  /** EIP-712: the domain hash and the message hash. */
  typedData: z.object({ domainHash: hash32Schema, messageHash: hash32Schema }).nullable(),
});

/**
 * A P-256 account's operation as its review shows it: what its key signs (the
 * EIP-712 typed data and its digest) and who carries it. The transaction fields
 * beside it (nonce, gas, fees) are the carrier's.
 */
export const carriedOperationSchema = z.object({
  /** The P-256 account: its money and notes move. */
  account: z.string(),
  /** The account's own nonce (P256Account.nonce), not the carrier's. */
  accountNonce: uintTextSchema,
  /** Unix seconds: the contract refuses the operation after it. */
  deadline: z.number().int().nonnegative(),
  /** The 32 bytes the P-256 key signs: the typed data's EIP-712 hash. */
  digest: z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte hash'),
  typedData: z.object({
    primaryType: z.string(),
    domain: z.record(z.string(), z.string()),
    message: z.record(z.string(), z.string()),
  }),
  /** The wallet account whose transaction carries it and pays the fee. */
  carrier: z.string(),
  carrierKeyUri: keyUriSchema,
  /**
   * What unlocks the carrier's key: the P-256 key's own login (`same-token`: one
   * PIN), its own token's PIN (`other-token`: send it as `carrierPin`; `token`
   * and `keyToken` are the two tokens' labels, for the PIN dialog), or a Ledger
   * (`device`: no PIN; confirmed on the device).
   */
  carrierLogin: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('same-token') }),
    z.object({ kind: z.literal('other-token'), token: z.string(), keyToken: z.string() }),
    z.object({ kind: z.literal('device') }),
  ]),
  /** What the carrier's transaction calls: the P-256 account factory. */
  via: z.string(),
});

/** What the review screen shows before the token signs: decoded, built offline, unsigned. */
export const sendPreviewSchema = z.object({
  from: z.string(),
  fromKeyUri: keyUriSchema,
  to: z.string(),
  amount: amountSchema,
  /** The currency contract the transfer calls. */
  contract: z.string(),
  chainId: z.number().int().positive(),
  nonce: z.number().int().nonnegative(),
  type: z.enum(['eip1559', 'legacy']),
  gasLimit: uintTextSchema,
  /** EIP-1559: maxFeePerGas; legacy: gasPrice (wei). */
  maxFeePerGas: uintTextSchema,
  maxPriorityFeePerGas: uintTextSchema.nullable(),
  fee: nativeFeeSchema,
  /** Available after this payment and every one still in the outbox. */
  availableAfter: amountSchema,
  /** A P-256 sender's: the operation its key signs, carried by `carried.carrier`. */
  carried: carriedOperationSchema.nullable().optional(),
  /** Every address above, named. */
  names: z.array(addressNameSchema),
  /** Pass to wallet.send: it signs only this. */
  reviewDigest: reviewDigestSchema,
  /** A key on a Ledger: the hash its screen will show. */
  deviceConfirm: deviceConfirmSchema.optional(),
});

/** The sync tried after signing: its report, why it failed (the transactions stay queued), or null when offline. */
export const syncAfterSigningSchema = z
  .union([
    syncReportSchema,
    z.object({
      error: z.string(),
      code: z.enum(Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]]),
    }),
  ])
  .nullable();

export const sendResultSchema = z.object({
  transactions: z.array(outboxRowSchema),
  sync: syncAfterSigningSchema,
});

const sendFields = {
  from: keyUriSchema,
  to: addressInputSchema,
  amount: amountInputSchema,
  /** A P-256 sender's carrier; the default one when left out (refused for any other sender). */
  carrier: carrierInputSchema.optional(),
};

export const chainRequests = {
  'app.info': z.object({}),
  'accounts.list': z.object({}),
  /**
   * An account on a Ledger the Devices screen listed becomes a wallet account: its
   * device id and account index, never a URI the page wrote (Signet builds and
   * parses it). Reads the account's public key from the device; signs nothing.
   */
  'accounts.addLedgerDevice': z.object({
    device: addressInputSchema,
    account: z.number().int().min(0).max(0x7fffffff),
    name: z.string().min(1).max(100).optional(),
  }),
  'accounts.balances': z.object({ address: addressInputSchema.optional() }),
  'notes.list': z.object({ address: addressInputSchema.optional() }),
  'history.page': z.object({
    address: addressInputSchema.optional(),
    limit: z.number().int().min(1).max(500).default(100),
    before: historyCursorSchema.optional(),
  }),
  'outbox.list': z.object({}),
  'ledger.status': z.object({}),
  'sync.run': z.object({}),
  'audit.list': z.object({
    search: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(500).default(50),
    offset: z.number().int().nonnegative().default(0),
  }),
  'audit.verify': z.object({}),
  'wallet.previewSend': z.object(sendFields),
  'wallet.send': z.object({
    ...sendFields,
    /**
     * The digest of the preview the user reviewed: nothing is signed unless the
     * payment planned now has the same. Required from the UI; the CLI, whose
     * command line is the whole request, has no review to name.
     */
    reviewDigest: reviewDigestSchema.optional(),
    pin: pinSchema.optional(),
    carrierPin: carrierPinSchema.optional(),
    /** Sign and queue only; do not try to send now. */
    offline: z.boolean().optional(),
  }),
} as const;

export const chainResults = {
  'app.info': appInfoSchema,
  'accounts.list': z.array(accountSchema),
  'accounts.addLedgerDevice': accountSchema,
  'accounts.balances': z.array(balanceRowSchema),
  'notes.list': z.array(noteRowSchema),
  'history.page': historyPageSchema,
  'outbox.list': z.array(outboxRowSchema),
  'ledger.status': chainStatusSchema,
  'sync.run': syncReportSchema.extend({ nodes: z.array(nodeStatusSchema) }),
  'audit.list': z.object({ entries: z.array(auditEntrySchema) }),
  'audit.verify': auditChainSchema,
  'wallet.previewSend': sendPreviewSchema,
  'wallet.send': sendResultSchema,
} as const;
