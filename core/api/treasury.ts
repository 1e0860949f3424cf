/**
 * Treasuries (issue 11): Safe 1.4.1 accounts whose payments several owners
 * approve, each on their own machine, the approvals travelling as
 * `.signet-approval` files or animated QR codes. The UI's methods
 * (core/api/methods.ts; the `signet treasury` commands call the same ones)
 * except `treasury.policy.set`, the operator's (core/api/operator.ts). A bundle
 * crosses this contract as the file's text; the handler decodes and checks it
 * (core/treasury/bundle-codec.ts). Pure zod, no Node imports.
 *
 * From the UI nothing is signed blind: `treasury.approve` and
 * `treasury.execute` carry the `reviewDigest` of the review the user saw (the
 * proposal's safeTxHash), and a proposal is approved only that way, never with
 * `signWith` at propose/cancel/batch (the CLI keeps it).
 *
 * Caps: every request at its caps fits the browser bridge's 1 MiB body
 * (core/bridge/bridge-server.ts MAX_BODY_BYTES), with room left for JSON
 * escapes and PINs. A bundle: 240 KiB (Signet's largest, a MultiSend batch at
 * its 100 kB calldata cap with 64 owners' approvals and a 2,000-character
 * description, is 219,390 characters; at the default gas cap, 132,798). The
 * bundles of a merge, and the parts of a QR decode, together: 960 KiB. A policy
 * at approval: 512 KiB. A CSV: 1,000,000 characters (MAX_BATCH_CSV_BYTES; one
 * whose JSON escapes pass the body's remaining 48 KiB is refused by the bridge).
 */
import { z } from 'zod';
import {
  addressInputSchema,
  addressNameSchema,
  amountInputSchema,
  amountSchema,
  noteRowSchema,
  outboxRowSchema,
  reviewDigestSchema,
  syncAfterSigningSchema,
  uintTextSchema,
} from './chain.js';
import { keyUriSchema } from './devices.js';
import { dateInputSchema, financeOfferFileSchema } from './notes.js';

/** A bundle's text at most (characters): four fit one bridge request (merge). */
export const MAX_BUNDLE_TEXT = 240 * 1024;
/** Characters all of a request's bundles, or QR parts, may hold together. */
export const MAX_REQUEST_TEXT = 960 * 1024;

/**
 * QR frames one request may carry (qrDecode) or ask for (qrParts): the
 * fountain-mixed frames bc-ur makes and reduces cost milliseconds each on a large
 * bundle, on the app's one event loop.
 */
export const MAX_QR_PARTS = 600;

/** The text of a `.signet-approval` file (its size is capped again when decoded). */
const bundleTextSchema = z.string().min(1).max(MAX_BUNDLE_TEXT);
const treasuryNameSchema = z.string().min(1).max(64);
/** A treasury by its name or address. */
const treasuryRefSchema = z.string().min(1).max(64);

export const treasurySchema = z.object({
  chainId: z.number().int().positive(),
  address: z.string(),
  name: z.string(),
  owners: z.array(z.string()),
  threshold: z.number().int().positive(),
  saltNonce: uintTextSchema,
});

/** What a proposal does, decoded: a currency payment, or any other call shown raw. */
export const treasuryCallSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('payment'),
    currency: z.string(),
    to: z.string(),
    amount: amountSchema,
  }),
  /** Does nothing (a 0-value call to the Safe itself): uses up its nonce, cancelling the proposal there. */
  z.object({ kind: z.literal('cancel'), to: z.string() }),
  z.object({
    kind: z.literal('batch'),
    currency: z.string(),
    /** Payments in the batch. */
    count: z.number().int().positive(),
    total: amountSchema,
    /** The first few payees; `count` says how many there are in all. */
    payees: z.array(z.object({ to: z.string(), amount: amountSchema })),
  }),
  /** The Safe calling itself to add, remove or swap an owner, or change the threshold. */
  z.object({
    kind: z.literal('owners'),
    /** The Safe itself. */
    to: z.string(),
    change: z.enum(['add', 'remove', 'swap', 'threshold']),
    /** The owner added, removed or swapped out; null for a threshold change. */
    owner: z.string().nullable(),
    /** The owner swapped in; null unless a swap. */
    newOwner: z.string().nullable(),
    ownersBefore: z.array(z.string()),
    ownersAfter: z.array(z.string()),
    thresholdBefore: z.number().int().positive(),
    thresholdAfter: z.number().int().positive(),
    /** e.g. "add owner 0x… with threshold 2 of 4". */
    words: z.string(),
  }),
  /**
   * A note operation (the note engine's calls: one, or several in a MultiSend),
   * decoded from the calldata. Amounts are minor units as decimal text.
   */
  z.object({
    kind: z.literal('note'),
    op: z.enum(['issue', 'endorse', 'split', 'redeem', 'finance-accept']),
    /** The DigitalNote contract called. */
    notes: z.string(),
    /**
     * False with no ledger selected (an offline approver): any contract's calls
     * read by the DigitalNote ABI; the contract is not known to be the ledger's.
     */
    verified: z.boolean(),
    /** Null for an issue (the contract numbers the new note). */
    tokenId: uintTextSchema.nullable(),
    /**
     * The payee of an issue, the new holder of an endorse, the recipient of a split,
     * the holder a finance pays (recovered from the offer's signature; null if none).
     */
    to: z.string().nullable(),
    faceValue: uintTextSchema.nullable(),
    /** Note value moved by a split, or bought by a finance. */
    value: uintTextSchema.nullable(),
    /** What the treasury pays for the note it finances. */
    price: uintTextSchema.nullable(),
    /** An issue's maturity, YYYY-MM-DD (UTC). */
    maturity: z.string().nullable(),
    /** An issue's currency, or the token a finance pays in. */
    currency: z.string().nullable(),
    /** A finance offer's last moment to accept, as a UTC ISO time. */
    deadline: z.string().nullable(),
    /** The allowance the proposal grants the note contract along the way (issue, finance). */
    allowance: z.object({ token: z.string(), spender: z.string(), amount: z.string() }).nullable(),
  }),
  z.object({
    kind: z.literal('call'),
    to: z.string(),
    value: uintTextSchema,
    data: z.string(),
    operation: z.enum(['call', 'delegatecall']),
  }),
]);

/** Everything an approver reads before signing: nothing is signed blind. */
export const treasuryReviewSchema = z.object({
  chainId: z.number().int().positive(),
  safe: z.string(),
  /** The treasury's name in this wallet, when it is one of its own. */
  safeName: z.string().nullable(),
  owners: z.array(z.string()),
  threshold: z.number().int().positive(),
  nonce: uintTextSchema,
  description: z.string(),
  call: treasuryCallSchema,
  /** The hash each owner's key signs (EIP-712, Safe's domain). */
  safeTxHash: z.string(),
  /**
   * What the UI sends back as `reviewDigest` to approve or execute what it
   * showed (equal to `safeTxHash`: what the owners sign).
   */
  reviewDigest: z.string(),
  approvals: z.array(z.string()),
  names: z.array(addressNameSchema),
});

export const treasuryBundleResultSchema = z.object({
  review: treasuryReviewSchema,
  /** The `.signet-approval` file's text. */
  bundle: bundleTextSchema,
});

/** The note operations a treasury proposes (core/api/notes.ts's, the Safe as sender). */
export const treasuryNoteOperationSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('issue'),
    payee: addressInputSchema,
    faceValue: amountInputSchema,
    maturity: dateInputSchema,
  }),
  z.object({ op: z.literal('endorse'), tokenId: uintTextSchema, to: addressInputSchema }),
  z.object({
    op: z.literal('split'),
    tokenId: uintTextSchema,
    to: addressInputSchema,
    value: amountInputSchema,
  }),
  z.object({ op: z.literal('redeem'), tokenId: uintTextSchema }),
  /** The treasury as the financing bank, paying against a holder's signed offer. */
  z.object({ op: z.literal('finance-accept'), offer: financeOfferFileSchema }),
]);
export type TreasuryNoteOperation = z.infer<typeof treasuryNoteOperationSchema>;

const signedSchema = z.object({
  transactions: z.array(outboxRowSchema),
  sync: syncAfterSigningSchema,
});

/** A treasury to be: what decides its address, and the account that sends its deployment. */
const newTreasurySchema = z.object({
  name: treasuryNameSchema,
  /** Addresses, or key URIs of wallet accounts. */
  owners: z
    .array(z.union([addressInputSchema, keyUriSchema]))
    .min(1)
    .max(50),
  threshold: z.number().int().positive(),
  from: keyUriSchema,
  /** The CREATE2 salt nonce; a fresh one when left out (from the UI, create names predict's). */
  saltNonce: uintTextSchema.optional(),
});

export const treasuryRequests = {
  /**
   * The treasury `treasury.create` would make, and its review: the address
   * (predicted offline: CREATE2 through the proxy factory), the owners as the
   * Safe stores them, the salt nonce to create it with. Signs and stores nothing.
   */
  'treasury.predict': newTreasurySchema,
  /** Predicts the address offline, stores the treasury and queues its deployment by `from`. */
  'treasury.create': newTreasurySchema.extend({
    /** The predict's `reviewDigest`: required from the UI (with its `saltNonce`), optional from the CLI. */
    reviewDigest: reviewDigestSchema.optional(),
    offline: z.boolean().default(false),
  }),
  'treasury.list': z.object({}),
  /** The stored treasury and, unless offline, the chain's: owners, threshold, nonce, balance. */
  'treasury.show': z.object({ treasury: treasuryRefSchema, offline: z.boolean().default(false) }),
  /** A currency payment by the treasury, as an unsigned (or proposer-signed) bundle. */
  'treasury.propose': z.object({
    treasury: treasuryRefSchema,
    to: addressInputSchema,
    amount: amountInputSchema,
    description: z.string().max(2000).optional(),
    /** An owner's key that approves the proposal at once (CLI only: the UI approves after review). */
    signWith: keyUriSchema.optional(),
    offline: z.boolean().default(false),
  }),
  /**
   * An owner or threshold change by the treasury, through the same approvals as a
   * payment. Online, removeOwner's and swapOwner's prevOwner come from the chain's
   * getOwners(); offline from the stored owners, kept in that order.
   */
  'treasury.proposeOwners': z.object({
    treasury: treasuryRefSchema,
    change: z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('add'),
        owner: addressInputSchema,
        /** Left out: the threshold stays. */
        threshold: z.number().int().nonnegative().optional(),
      }),
      z.object({
        kind: z.literal('remove'),
        owner: addressInputSchema,
        /** Left out: the threshold stays, or drops to the owners left. */
        threshold: z.number().int().nonnegative().optional(),
      }),
      z.object({ kind: z.literal('swap'), old: addressInputSchema, new: addressInputSchema }),
      z.object({ kind: z.literal('threshold'), threshold: z.number().int().nonnegative() }),
    ]),
    description: z.string().max(2000).optional(),
    signWith: keyUriSchema.optional(),
    offline: z.boolean().default(false),
  }),
  /** Decodes a bundle for review; signs nothing. */
  'treasury.review': z.object({ bundle: bundleTextSchema }),
  /**
   * An owner's approval added to the bundle. Offline (or with no ledger selected):
   * chain and owners come from the bundle alone.
   */
  'treasury.approve': z.object({
    bundle: bundleTextSchema,
    key: keyUriSchema,
    offline: z.boolean().default(false),
    /** A `.signet-policy` file's text checked instead of the stored policy (an offline machine). */
    policy: z
      .string()
      .min(1)
      .max(512 * 1024)
      .optional(),
    /** The review's `reviewDigest`: required from the UI, optional from the CLI. */
    reviewDigest: reviewDigestSchema.optional(),
  }),
  /** A proposal at `nonce` that does nothing: executed, it cancels whatever else was proposed there. */
  'treasury.cancel': z.object({
    treasury: treasuryRefSchema,
    nonce: uintTextSchema,
    description: z.string().max(2000).optional(),
    signWith: keyUriSchema.optional(),
    offline: z.boolean().default(false),
  }),
  /** Stores a treasury's policy, verified against its owners; only a higher version replaces one. */
  'treasury.policy.set': z.object({
    treasury: treasuryRefSchema,
    policy: z
      .string()
      .min(1)
      .max(1024 * 1024),
  }),
  'treasury.merge': z.object({
    bundles: z
      .array(bundleTextSchema)
      .min(2)
      .max(50)
      .refine(
        (bundles) => totalLength(bundles) <= MAX_REQUEST_TEXT,
        `the bundles together are over ${MAX_REQUEST_TEXT} characters: merge them a few at a time`,
      ),
  }),
  /** Checks the bundle against the chain, then queues execTransaction by `from`. */
  'treasury.execute': z.object({
    bundle: bundleTextSchema,
    from: keyUriSchema,
    /** The review's `reviewDigest`: required from the UI, optional from the CLI. */
    reviewDigest: reviewDigestSchema.optional(),
  }),
  /**
   * A Safe CSV Airdrop file as MultiSendCallOnly proposals (several at consecutive
   * nonces when the block gas limit calls for it); every row checked first.
   */
  'treasury.batch': z.object({
    treasury: treasuryRefSchema,
    /** Capped in bytes again when read (MAX_BATCH_CSV_BYTES, 1,000,000). */
    csv: z.string().min(1).max(1_000_000),
    description: z.string().max(200).optional(),
    signWith: keyUriSchema.optional(),
    offline: z.boolean().default(false),
  }),
  /**
   * A note operation by the treasury, built by the note engine with the Safe as
   * its sender, as an approval bundle. Online, the note and the treasury are read
   * from the chain; offline, only what the store knows (an issue needs nothing).
   */
  'treasury.proposeNote': z.object({
    treasury: treasuryRefSchema,
    operation: treasuryNoteOperationSchema,
    description: z.string().max(2000).optional(),
    signWith: keyUriSchema.optional(),
    offline: z.boolean().default(false),
  }),
  /**
   * A bundle's animated QR frames (`ur:x-signet-approval/…`, fountain-coded),
   * computed and forgotten: the page loops over them.
   */
  'treasury.qrParts': z.object({
    bundle: bundleTextSchema,
    /** Payload bytes per frame (QR density). */
    fragmentBytes: z.number().int().min(50).max(1000).default(200),
    /** Frames to return: at most 3 × the fragments and MAX_QR_PARTS (the default). */
    count: z.number().int().positive().max(MAX_QR_PARTS).optional(),
  }),
  /**
   * Scanned frames fed in order to a fresh decoder: progress, and the bundle and
   * its review once complete. The scanner sends every distinct frame so far.
   */
  'treasury.qrDecode': z.object({
    parts: z
      .array(z.string().min(1).max(4000))
      .min(1)
      .max(MAX_QR_PARTS)
      .refine(
        (parts) => totalLength(parts) <= MAX_REQUEST_TEXT,
        `the QR parts together are over ${MAX_REQUEST_TEXT} characters`,
      ),
  }),
} as const;

function totalLength(texts: string[]): number {
  return texts.reduce((sum, text) => sum + text.length, 0);
}

export const treasuryResults = {
  'treasury.predict': z.object({
    chainId: z.number().int().positive(),
    /** Where the treasury will stand once deployed. */
    address: z.string(),
    /** As the Safe will store them: checksummed, in this order. */
    owners: z.array(z.string()),
    threshold: z.number().int().positive(),
    /** The salt nonce the address comes from: `treasury.create` names it again. */
    saltNonce: uintTextSchema,
    /** The proxy factory the deployment calls. */
    factory: z.string(),
    /** The account that sends (and pays for) the deployment. */
    sender: z.string(),
    /** The owners and the sender, named. */
    names: z.array(addressNameSchema),
    /** What `treasury.create` names to create exactly this treasury. */
    reviewDigest: z.string(),
  }),
  'treasury.create': signedSchema.extend({ treasury: treasurySchema }),
  'treasury.list': z.array(treasurySchema),
  'treasury.show': z.object({
    treasury: treasurySchema,
    /** Null offline. */
    chain: z
      .object({
        deployed: z.boolean(),
        owners: z.array(z.string()),
        threshold: z.number().int().nonnegative(),
        nonce: uintTextSchema,
        balance: amountSchema,
      })
      .nullable(),
    /** What the last `sync` read (offline too); null before the first sync that saw it. */
    synced: z
      .object({
        block: z.number().int().nonnegative(),
        deployed: z.boolean(),
        owners: z.array(z.string()),
        threshold: z.number().int().nonnegative(),
        balance: amountSchema,
        registered: z.boolean(),
        frozen: z.boolean(),
        /** Notes the treasury holds, not yet redeemed. */
        notes: z.array(noteRowSchema),
      })
      .nullable(),
  }),
  'treasury.propose': treasuryBundleResultSchema,
  'treasury.proposeOwners': treasuryBundleResultSchema,
  'treasury.review': treasuryBundleResultSchema,
  'treasury.approve': treasuryBundleResultSchema.extend({
    approvedBy: z.string(),
    /** The policy the proposal was checked against before signing; null when none applies. */
    policy: z
      .object({
        version: z.number().int(),
        day: z.string(),
        requiredThreshold: z.number().int(),
        spentToday: z.array(z.object({ currency: z.string(), amount: amountSchema })),
        /** What counted as spent today. */
        counted: z.string(),
      })
      .nullable(),
  }),
  'treasury.cancel': treasuryBundleResultSchema,
  'treasury.policy.set': z.object({
    treasury: z.string(),
    safe: z.string(),
    version: z.number().int(),
  }),
  'treasury.merge': treasuryBundleResultSchema,
  'treasury.execute': signedSchema.extend({ review: treasuryReviewSchema }),
  'treasury.proposeNote': treasuryBundleResultSchema,
  'treasury.batch': z.object({
    proposals: z.array(treasuryBundleResultSchema),
    rows: z.number().int().positive(),
    total: amountSchema,
    /** Why the rows became several proposals; null when one holds them. */
    splitReason: z.string().nullable(),
    /** What could not be checked (no node), one sentence each. */
    limits: z.array(z.string()),
  }),
  'treasury.qrParts': z.object({
    /** Distinct fragments: the fewest frames a scanner needs. */
    fragments: z.number().int().positive(),
    parts: z.array(z.string()),
  }),
  'treasury.qrDecode': z.object({
    /** Distinct fragments recovered. */
    received: z.number().int().nonnegative(),
    /** Fragments the sequence has. */
    needed: z.number().int().nonnegative(),
    /** Frames accepted (repeats not counted). */
    frames: z.number().int().nonnegative(),
    complete: z.boolean(),
    /** The `.signet-approval` text once complete, else null. */
    bundle: z.string().nullable(),
    review: treasuryReviewSchema.nullable(),
  }),
} as const satisfies Record<keyof typeof treasuryRequests, z.ZodType>;
