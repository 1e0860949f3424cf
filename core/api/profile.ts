/**
 * A ledger profile: which chain, which nodes, which contracts. The embedded dev
 * ledger prints one; real networks (Besu, Quorum, geth) use the same shape.
 * Pure zod, no Node imports.
 */
import { z } from 'zod';

export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte address')
  .transform((value) => value as `0x${string}`);

export const profileSchema = z
  .object({
    name: z.string().min(1),
    chainId: z.number().int().positive(),
    /** JSON-RPC endpoints of several nodes of the same chain; tried in order. */
    rpc: z.array(z.string().url()).min(1),
    /** Blocks on top of a transaction's block before Signet calls it final. */
    confirmations: z.number().int().nonnegative(),
    /** Transaction envelope: EIP-1559 unless the chain predates it. */
    txType: z.enum(['eip1559', 'legacy']).default('eip1559'),
    contracts: z
      .object({
        currency: addressSchema,
        notes: addressSchema,
        safeSingleton: addressSchema,
        safeProxyFactory: addressSchema,
        multiSend: addressSchema,
        multiSendCallOnly: addressSchema,
        fallbackHandler: addressSchema,
      })
      .strict(),
    /** Block the contracts were deployed in: indexing starts here. */
    deployBlock: z.number().int().nonnegative().default(0),
    dev: z.boolean(),
    /** Dev ledgers only: the seeded operator bank's software key (well-known test key). */
    devOperatorKey: z
      .string()
      .regex(/^0x[0-9a-f]{64}$/)
      .optional(),
  })
  .strict()
  .refine((p) => p.dev || p.devOperatorKey === undefined, 'only a dev profile may carry a dev key');

export type ChainProfile = z.infer<typeof profileSchema>;
