/**
 * The provisioning part of the contract (issue 12 §2): a batch of customers'
 * tokens from a CSV, resumable. The operator's for now (core/api/operator.ts):
 * it names folders on this machine and initialises tokens. The result is the
 * batch's report, one row per customer, in words; it never carries a PIN.
 * Pure zod, no Node imports.
 */
import { z } from 'zod';
import { amountSchema, reviewDigestSchema } from './chain.js';
import { keyUriSchema } from './devices.js';

export const provisionRequests = {
  'provision.batch': z.object({
    /** The CSV's text: customer reference, name, token serial or slot:N, initial amount, language. */
    csv: z.string().min(1).max(2_000_000),
    /** The operator bank's key: registers and funds the customers' accounts. */
    operator: keyUriSchema,
    /** The customers' tokens' PKCS#11 module; default: the operator key's `module-path`. */
    module: z.string().min(1).max(4096).optional(),
    /** Folder the sealed PIN mailers are written to (one file per customer, mode 0600). */
    mailers: z.string().min(1).max(4096),
    /** Names the batch in the journal; default: the CSV's SHA-256 (the same file resumes). */
    batchId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .optional(),
    /** How long to wait for a token that is not inserted. */
    waitMs: z.number().int().nonnegative().max(86_400_000).default(120_000),
  }),
  /** At the counter (§3): a lost token replaced by a new one, money and notes moved; resumable. */
  'provision.replace': z.object({
    customer: z.string().min(1).max(512),
    /** The lost token's account (this operator's customer, registered under `customer`). */
    lost: z.string().min(1).max(100),
    /** The new token: its serial or a pkcs11: URI naming it. */
    token: z.string().min(1).max(4096),
    operator: keyUriSchema,
    module: z.string().min(1).max(4096).optional(),
    mailers: z.string().min(1).max(4096),
    language: z.enum(['en', 'zh-CN']).default('en'),
    name: z.string().min(1).max(200).optional(),
    /** Names the operation in the journal; default: from the customer and the lost account (a re-run resumes). */
    operationId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .optional(),
  }),
  /** At the counter (§3): a locked or forgotten user PIN reset with the SO PIN, to a new mailer. */
  'provision.unblock': z.object({
    token: z.string().min(1).max(4096),
    customer: z.string().min(1).max(512),
    module: z.string().min(1).max(4096).optional(),
    mailers: z.string().min(1).max(4096),
    language: z.enum(['en', 'zh-CN']).default('en'),
    name: z.string().min(1).max(200).optional(),
  }),
} as const;

export const rowReportSchema = z.object({
  line: z.number().int().positive(),
  customer: z.string(),
  status: z.enum(['provisioned', 'failed', 'refused']),
  outcome: z.string(),
  reason: z.string().nullable(),
  tokenSerial: z.string().nullable(),
  address: z.string().nullable(),
  amount: amountSchema,
  registerTx: z.string().nullable(),
  fundTx: z.string().nullable(),
  mailer: z.string().nullable(),
  seconds: z.record(z.string(), z.number().nonnegative()),
});
export type ProvisionRowReport = z.infer<typeof rowReportSchema>;

const reportColumns = [
  'line',
  'customer',
  'status',
  'outcome',
  'reason',
  'tokenSerial',
  'address',
  'amount',
  'registerTx',
  'fundTx',
  'mailer',
] as const;

/** A batch's report as RFC 4180 CSV (every field quoted, CRLF): the CLI's file and the screen's download. */
export function provisionReportCsv(rows: readonly ProvisionRowReport[]): string {
  const quote = (value: unknown) => `"${String(value ?? '').replaceAll('"', '""')}"`;
  const lines = rows.map((row) => reportColumns.map((c) => quote(row[c])).join(','));
  return `${reportColumns.join(',')}\r\n${lines.map((l) => `${l}\r\n`).join('')}`;
}

export const provisionResults = {
  'provision.batch': z.object({
    batchId: z.string(),
    rows: z.array(rowReportSchema),
    provisioned: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    refused: z.number().int().nonnegative(),
    seconds: z.number().nonnegative(),
  }),
  'provision.replace': z.object({
    operationId: z.string(),
    customer: z.string(),
    lost: z.string(),
    replacement: z.string(),
    tokenSerial: z.string(),
    recovered: z.string(),
    done: z.array(z.string()),
    mailer: z.string(),
  }),
  'provision.unblock': z.object({ tokenSerial: z.string(), mailer: z.string() }),
} as const satisfies Record<keyof typeof provisionRequests, z.ZodType>;

/**
 * The Provisioning screen's batch (issue 12 §2, UI): the page sends the CSV's
 * text, the operator's key (a wallet account) and the tokens' module (only one
 * Signet lists, as everywhere from the UI). It never names the mailer folder
 * or the batch: the mailers go to `<data dir>/pin-mailers/<batchId>/`, the
 * batch is the CSV's SHA-256 (the same file resumes, from the CLI too), and
 * `mailers` or `batchId` from the page are unknown fields, refused.
 * `provision.preview` checks every row and returns the review and its digest;
 * `provision.start` runs the batch only with that digest (REVIEW_STALE when
 * anything it covers moved), with the operator's `pin` and the bank's `soPin`.
 * Nothing returned carries a PIN; mailers are named by file name only.
 */
/**
 * The CSV's cap from the page, in characters: an ASCII CSV at the cap fits the
 * bridge's 1 MiB body with the rest of the request; one whose UTF-8 or JSON
 * escapes pass the body is refused by the bridge, in one line (split the batch).
 */
export const MAX_UI_BATCH_CSV = 960 * 1024;
const uiBatchFields = {
  csv: z.string().min(1).max(MAX_UI_BATCH_CSV),
  operator: keyUriSchema,
  module: z.string().min(1).max(4096).optional(),
};
export const provisionUiRequests = {
  'provision.preview': z.object(uiBatchFields),
  'provision.start': z.object({ ...uiBatchFields, reviewDigest: reviewDigestSchema }),
} as const;

const batchRowSchema = z.object({
  line: z.number().int().positive(),
  customer: z.string(),
  name: z.string(),
  /** The token as the CSV names it: its serial, or `slot N`. */
  token: z.string(),
  amount: amountSchema,
  language: z.enum(['en', 'zh-CN']),
});
const batchRefusalSchema = z.object({
  line: z.number().int().positive(),
  customer: z.string(),
  reason: z.string(),
  message: z.string(),
});
export const provisionPreviewSchema = z.object({
  batchId: z.string(),
  chainId: z.number().int().positive(),
  /** The currency contract the registrations and payments call. */
  contract: z.string(),
  operator: z.string(),
  operatorKeyUri: keyUriSchema,
  /** The customers' tokens' PKCS#11 module. */
  module: z.string(),
  /** Where the sealed PIN mailers go (chosen by Signet, not the page). */
  mailerFolder: z.string(),
  rows: z.array(batchRowSchema),
  refusals: z.array(batchRefusalSchema),
  /** Pass to provision.start: it runs only this batch. */
  reviewDigest: reviewDigestSchema,
});
export type ProvisionPreview = z.infer<typeof provisionPreviewSchema>;

export const provisionUiResults = {
  'provision.preview': provisionPreviewSchema,
  'provision.start': provisionResults['provision.batch'].extend({
    review: provisionPreviewSchema,
  }),
} as const satisfies Record<keyof typeof provisionUiRequests, z.ZodType>;

/**
 * At the counter, from the UI (issue 12 §3): the Devices and Provisioning
 * screens' forms. The page names no folder and no module: the mailers go to
 * `<data dir>/pin-mailers/counter/` and the module comes from the token's (or
 * the operator key's) URI, admitted like every other. `provision.replacePreview`
 * says what a replacement will do and returns its `reviewDigest`;
 * `provision.counterReplace` runs only with that digest (REVIEW_STALE if what it
 * would do changed), the operator key's PIN (`pin`) and the new token's SO PIN
 * (`soPin`). A reply names the mailer's file only, never a PIN. Fields the
 * schemas do not name are refused by the dispatcher (a `mailers` or `module`
 * from the page is one line, and nothing is done).
 */
const counterReplaceFields = {
  customer: z.string().min(1).max(512),
  /** The lost token's account. */
  lost: z.string().min(1).max(100),
  /** The new token: its serial or a pkcs11: URI naming it (devices.listTokens gives one). */
  token: z.string().min(1).max(4096),
  operator: keyUriSchema,
  language: z.enum(['en', 'zh-CN']).default('en'),
  name: z.string().min(1).max(200).optional(),
};

export const counterRequests = {
  'provision.replacePreview': z.object(counterReplaceFields),
  'provision.counterReplace': z.object({
    ...counterReplaceFields,
    reviewDigest: reviewDigestSchema,
  }),
  'provision.counterUnblock': z.object({
    token: z.string().min(1).max(4096),
    customer: z.string().min(1).max(512),
    language: z.enum(['en', 'zh-CN']).default('en'),
    name: z.string().min(1).max(200).optional(),
  }),
} as const;

export const counterReplacePreviewSchema = z.object({
  chainId: z.number().int().positive(),
  /** The block every chain answer was read at. */
  block: z.number().int().nonnegative(),
  customer: z.string(),
  /** What goes on chain for the new account: the reference's hash, never its text. */
  customerRefHash: z.string(),
  lost: z.string(),
  /** Already frozen (nothing to sign for it), or frozen by this replacement. */
  lostFrozen: z.boolean(),
  /** The money recoverFrozen moves to the new account. */
  balance: amountSchema,
  /** The notes the lost account holds (recoverFrozen moves those in this currency). */
  notes: z.number().int().nonnegative(),
  operator: z.string(),
  newToken: z.object({
    serial: z.string(),
    label: z.string(),
    initialized: z.boolean(),
  }),
  /** Pass to provision.counterReplace: it runs only while all of the above still holds. */
  reviewDigest: z.string(),
});
export type CounterReplacePreview = z.infer<typeof counterReplacePreviewSchema>;

export const counterResults = {
  'provision.replacePreview': counterReplacePreviewSchema,
  'provision.counterReplace': z.object({
    review: counterReplacePreviewSchema,
    replacement: z.string(),
    tokenSerial: z.string(),
    /** What this run did, in words. */
    done: z.array(z.string()),
    /** The new PIN mailer's file name in the data folder's pin-mailers/counter. */
    mailer: z.string(),
  }),
  'provision.counterUnblock': z.object({ tokenSerial: z.string(), mailer: z.string() }),
} as const satisfies Record<keyof typeof counterRequests, z.ZodType>;
