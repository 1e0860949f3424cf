/**
 * The operator bank's customer registry (issue 12 §1): an operator's key
 * registers a customer's account in the currency's registry (a treasury's
 * too), freezes and unfreezes it; anyone reads an account's standing. The UI's
 * methods (core/api/methods.ts), which `signet customer` calls too.
 *
 * The customer reference is the bank's text; only its hash goes on chain
 * (core/customers/customer-ref.ts says how it is normalised and hashed).
 *
 * From the UI nothing is signed blind: `customers.preview` plans the
 * transaction, checks the operator and the account on chain, and returns the
 * review with its `reviewDigest`; register, freeze and unfreeze sign only
 * with that digest (the CLI, whose command line is the whole request, may
 * leave it out). Pure zod, no Node imports.
 */
import { z } from 'zod';
import {
  addressInputSchema,
  addressNameSchema,
  amountSchema,
  deviceConfirmSchema,
  nativeFeeSchema,
  outboxRowSchema,
  reviewDigestSchema,
  syncAfterSigningSchema,
  uintTextSchema,
} from './chain.js';
import { keyUriSchema } from './devices.js';

/**
 * The bank's reference for the customer, as typed: 1 to 128 characters once
 * normalised (checked by the server, which counts characters, not UTF-16
 * units); this cap only bounds what crosses the boundary.
 */
export const customerRefInputSchema = z.string().min(1).max(512);

export const customerActions = ['register', 'freeze', 'unfreeze'] as const;
export type CustomerAction = (typeof customerActions)[number];

const hash32Schema = z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte hash');

/** An account's standing in the currency's registry, read at one block, cross-checked. */
export const customerStandingSchema = z.object({
  chainId: z.number().int().positive(),
  account: z.string(),
  /** The block every answer was read at (the nodes' pinned head). */
  block: z.number().int().nonnegative(),
  /** May hold money: a registered customer, an operator or the central bank. */
  registered: z.boolean(),
  frozen: z.boolean(),
  /** The operator bank that registered it; null for an operator, the central bank, or an unknown account. */
  operator: z.string().nullable(),
  /** Whether the account is itself an operator bank (OPERATOR_ROLE). */
  isOperator: z.boolean(),
  /** The customer reference hash its registration recorded (AccountRegistered); null if none. */
  customerRef: hash32Schema.nullable(),
  balance: amountSchema,
});

/** What the review shows before the operator's token signs. */
export const customerPreviewSchema = z.object({
  action: z.enum(customerActions),
  chainId: z.number().int().positive(),
  /** The currency contract called. */
  contract: z.string(),
  /** The operator bank's account (the key's address), which signs and pays the fee. */
  operator: z.string(),
  operatorKeyUri: keyUriSchema,
  account: z.string(),
  /** A registration's: the hash that goes on chain (never the reference itself). */
  customerRef: hash32Schema.nullable(),
  /** The account as the chain has it now (before this transaction). */
  standing: customerStandingSchema,
  nonce: z.number().int().nonnegative(),
  type: z.enum(['eip1559', 'legacy']),
  gasLimit: uintTextSchema,
  maxFeePerGas: uintTextSchema,
  maxPriorityFeePerGas: uintTextSchema.nullable(),
  fee: nativeFeeSchema,
  names: z.array(addressNameSchema),
  /** Pass to customers.register / freeze / unfreeze: they sign only this. */
  reviewDigest: reviewDigestSchema,
  deviceConfirm: deviceConfirmSchema.optional(),
});

const signedSchema = z.object({
  review: customerPreviewSchema,
  transactions: z.array(outboxRowSchema),
  sync: syncAfterSigningSchema,
});

const operatorFields = {
  /** The operator bank's key: a wallet account holding OPERATOR_ROLE. */
  operator: keyUriSchema,
  account: addressInputSchema,
};
/**
 * The digest of the preview the user reviewed: nothing is signed unless the
 * transaction planned now has the same. Required from the UI.
 */
const reviewed = { reviewDigest: reviewDigestSchema.optional() };

export const customerRequests = {
  'customers.preview': z.object({
    action: z.enum(customerActions),
    ...operatorFields,
    /** A registration's customer reference; refused for a freeze or an unfreeze. */
    customer: customerRefInputSchema.optional(),
  }),
  'customers.register': z.object({
    ...operatorFields,
    customer: customerRefInputSchema,
    ...reviewed,
  }),
  'customers.freeze': z.object({ ...operatorFields, ...reviewed }),
  'customers.unfreeze': z.object({ ...operatorFields, ...reviewed }),
  'customers.show': z.object({ account: addressInputSchema }),
} as const;

export const customerResults = {
  'customers.preview': customerPreviewSchema,
  'customers.register': signedSchema,
  'customers.freeze': signedSchema,
  'customers.unfreeze': signedSchema,
  'customers.show': customerStandingSchema,
} as const;
