/**
 * The operator part of Signet's contract: operations the `signet` command may
 * ask for but the UI may not, because a compromised page must not be able to
 * do them (sign caller-supplied bytes) or they belong to whoever runs the
 * command as the user (add a key as an account, export the audit log). They
 * are validated like every other call but never bound to Electron IPC or the
 * browser bridge. Pure zod, no Node imports.
 */
import { z } from 'zod';
import { accountSchema } from './chain.js';
import { deviceRequests, deviceResults, keyUriSchema } from './devices.js';
import { provisionRequests, provisionResults } from './provisioning.js';
import { treasuryRequests, treasuryResults } from './treasury.js';

export const operatorRequests = {
  /** A raw digest (ECDSA) or message (Ed25519) signed as given: operators only, audited. */
  'devices.sign': deviceRequests.sign,
  /**
   * A secp256k1 key on a token, or an account on a Ledger (`ledger:` URI), becomes a
   * wallet account (reads its public key; signs nothing).
   */
  'accounts.add': z.object({
    key: keyUriSchema,
    name: z.string().min(1).max(100).optional(),
  }),
  /** The whole audit log as CSV. */
  'audit.export': z.object({}),
  /**
   * A treasury's policy (core/api/treasury.ts): who may relax the rules the
   * wallet checks approvals against is whoever runs `signet treasury policy set`,
   * never a page. The other treasury methods are the UI's (core/api/methods.ts).
   */
  'treasury.policy.set': treasuryRequests['treasury.policy.set'],
  /** A batch of customers' tokens (issue 12): initialises tokens and writes PIN mailers to a folder here. */
  ...provisionRequests,
} as const;

export const operatorResults = {
  'devices.sign': deviceResults.sign,
  'accounts.add': accountSchema,
  'audit.export': z.object({ csv: z.string() }),
  'treasury.policy.set': treasuryResults['treasury.policy.set'],
  ...provisionResults,
} as const satisfies Record<keyof typeof operatorRequests, z.ZodType>;

export type OperatorMethod = keyof typeof operatorRequests;
