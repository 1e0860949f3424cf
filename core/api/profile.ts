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

/** The ledger's contracts by role; a review names each by its role beside the hex. */
export const chainContractsSchema = z
  .object({
    currency: addressSchema,
    notes: addressSchema,
    safeSingleton: addressSchema,
    safeProxyFactory: addressSchema,
    multiSend: addressSchema,
    multiSendCallOnly: addressSchema,
    fallbackHandler: addressSchema,
    /**
     * Deploys the accounts of P-256 keys (ledger/contracts/P256Account.sol), which TPM
     * tokens need: they cannot sign secp256k1. A ledger without it has no P-256 accounts.
     */
    p256AccountFactory: addressSchema.optional(),
    /**
     * Offline digital cash (ledger/contracts/OfflinePurse.sol): purses, voucher settlement,
     * fraud proofs. A ledger without it has no offline purses.
     */
    offlinePurse: addressSchema.optional(),
  })
  .strict();
export type ContractRole = keyof z.infer<typeof chainContractsSchema>;
export const contractRoles = Object.keys(chainContractsSchema.shape) as [
  ContractRole,
  ...ContractRole[],
];

/**
 * The chain's own coin, which pays the network fees (not the wallet's
 * currency, which is a contract). Fees are shown in it: `decimals` places
 * between its smallest unit (wei on Ethereum-like chains) and `symbol`.
 */
export const nativeCurrencySchema = z
  .object({
    name: z.string().min(1).max(40),
    symbol: z.string().regex(/^[\p{L}\p{N}]{1,12}$/u, 'at most 12 letters or digits'),
    decimals: z.number().int().min(0).max(36),
  })
  .strict();
export type NativeCurrency = z.infer<typeof nativeCurrencySchema>;

/** What a profile that names no native currency means: Ether's units. */
export const defaultNativeCurrency: NativeCurrency = { name: 'Ether', symbol: 'ETH', decimals: 18 };

export const profileSchema = z
  .object({
    name: z.string().min(1),
    chainId: z.number().int().positive(),
    /** JSON-RPC endpoints of several nodes of the same chain; tried in order. */
    rpc: z.array(z.string().url()).min(1),
    /**
     * How deep a block must be before Signet acts on it: `c` blocks from it to
     * the head, itself included (core/sync/depth.ts). A transaction is confirmed
     * when its block is at depth `c` (0 and 1 alike: at once). Outcomes that free
     * the transaction's nonce and amount, so that the user may sign it again,
     * need at least one block even with 0: reverted → failed when the receipt's
     * block is at depth max(c, 1); replaced when another transaction used the
     * nonce at a block at that depth; dropped when, from the first block built
     * without the transaction in any node, that depth was reached with every
     * sync seeing it gone.
     */
    confirmations: z.number().int().nonnegative(),
    /** Transaction envelope: EIP-1559 unless the chain predates it. */
    txType: z.enum(['eip1559', 'legacy']).default('eip1559'),
    contracts: chainContractsSchema,
    /** The coin fees are paid in; Ether's units (18 decimals, "ETH") when left out. */
    nativeCurrency: nativeCurrencySchema.optional(),
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

export function nativeCurrencyOf(profile: Pick<ChainProfile, 'nativeCurrency'>): NativeCurrency {
  return profile.nativeCurrency ?? defaultNativeCurrency;
}
