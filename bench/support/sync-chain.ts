/**
 * The history the sync bench indexes (bench/sync.bench.ts): wallet accounts
 * with software keys (syncing signs nothing), registered by the dev operator,
 * and batches of currency transfers touching them, each batch in its own block
 * followed by empty blocks.
 */
import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  parseEther,
  toHex,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import type { ChainProfile } from '../../core/api/profile.js';
import { currencyAbi } from '../../core/chain/abi.js';
import { addAccount } from '../../core/store/accounts.js';
import type { Store } from '../../core/store/database.js';
import { confirmed, devChain, devKeys } from '../../ledger/deploy.js';

export interface SeedPlan {
  accounts: number;
  /** Payments per transferBatch. */
  perTx: number;
  /** Batches from the operator to the wallet's accounts. */
  operatorTxs: number;
  /** Batches from one wallet account to the others (one per account at most). */
  internalTxs: number;
  /** Empty blocks mined after each batch. */
  emptyBlocksAfterTx: number;
}

export interface SeededChain {
  wallet: PrivateKeyAccount[];
  /** Transfer events that touch the wallet's accounts (each counted once). */
  events: number;
  /** The head once seeded. */
  head: number;
  ms: number;
  /** One more operator payment, mined in a block of its own. */
  pay(to: Address, amount: bigint): Promise<void>;
}

/** Deterministic software keys: the bench's wallet accounts. */
export function benchAccounts(count: number): PrivateKeyAccount[] {
  return Array.from({ length: count }, (_, i) =>
    privateKeyToAccount(keccak256(toHex(`signet sync bench account ${i}`))),
  );
}

/** Adds the accounts to a store (the key URIs are never opened: syncing signs nothing). */
export function addBenchAccounts(store: Store, wallet: PrivateKeyAccount[]): void {
  for (const [i, account] of wallet.entries()) {
    addAccount(store, {
      address: account.address,
      keyUri: `pkcs11:token=bench;object=account-${i}`,
      name: `account ${i}`,
      curve: 'secp256k1',
      publicKey: account.publicKey,
    });
  }
}

export async function seedChain(profile: ChainProfile, plan: SeedPlan): Promise<SeededChain> {
  const started = performance.now();
  const wallet = benchAccounts(plan.accounts);
  const url = profile.rpc[0]!;
  const chain = devChain(profile.chainId, url);
  const transport = http(url, { retryCount: 0 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 20 });
  const testClient = createTestClient({ mode: 'hardhat', chain, transport });
  const client = (account: PrivateKeyAccount) =>
    createWalletClient({ account, chain, transport, pollingInterval: 20 });
  const operator = client(privateKeyToAccount(devKeys.operator));
  const currency = { address: profile.contracts.currency as Address, abi: currencyAbi } as const;
  const send = async (
    from: ReturnType<typeof client>,
    functionName: 'transferBatch' | 'registerAccount' | 'transfer',
    args: readonly unknown[],
  ) => {
    const hash = await from.writeContract({ ...currency, functionName, args } as never);
    await confirmed(publicClient, hash as Hex);
  };

  for (const account of wallet) {
    await send(operator, 'registerAccount', [account.address, keccak256(account.address)]);
    await testClient.setBalance({ address: account.address, value: parseEther('10') });
  }
  const batch = (from: number | undefined, index: number) => {
    const to: Address[] = [];
    const amounts: bigint[] = [];
    for (let i = 0; to.length < plan.perTx; i++) {
      const target = (index + i) % plan.accounts;
      if (target === from) continue;
      to.push(wallet[target]!.address);
      amounts.push(BigInt(1 + ((index * plan.perTx + i) % 97)));
    }
    return [to, amounts] as const;
  };
  // The wallet's own batches go out once its accounts hold money, spread over the run.
  const total = plan.operatorTxs + plan.internalTxs;
  const first = Math.floor(total / 4);
  const gap = Math.max(1, Math.floor((total - first) / Math.max(1, plan.internalTxs)));
  const internalAt = new Set(Array.from({ length: plan.internalTxs }, (_, k) => first + k * gap));
  let internal = 0;
  for (let tx = 0; tx < total; tx++) {
    if (internalAt.has(tx)) {
      const k = internal++ % plan.accounts;
      await send(client(wallet[k]!), 'transferBatch', batch(k, tx));
    } else {
      await send(operator, 'transferBatch', batch(undefined, tx));
    }
    if (plan.emptyBlocksAfterTx > 0) await testClient.mine({ blocks: plan.emptyBlocksAfterTx });
  }
  if (internal !== plan.internalTxs) throw new Error('seeding sent too few internal batches');
  return {
    wallet,
    events: total * plan.perTx,
    head: Number(await publicClient.getBlockNumber()),
    ms: performance.now() - started,
    pay: (to, amount) => send(operator, 'transfer', [to, amount]),
  };
}
