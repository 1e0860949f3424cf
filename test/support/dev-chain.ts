/**
 * One dev ledger per test file: a Hardhat node with Signet's contracts, started in
 * beforeAll and stopped in afterAll. Tests isolate themselves with snapshot/revert
 * (Hardhat's evm_snapshot/evm_revert; a snapshot id is used up by its revert).
 */
import {
  type Account,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  type HttpTransport,
  http,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll } from 'vitest';
import type { ChainProfile } from '../../core/api/profile.js';
import { devChain } from '../../ledger/deploy.js';
import { type DevChain, fundAccount, startDevChain } from '../../ledger/dev-chain.js';

export interface DevChainHandle {
  readonly profile: ChainProfile;
  readonly url: string;
  readonly chain: Chain;
  readonly publicClient: PublicClient<HttpTransport, Chain>;
  /** Takes a snapshot of the whole chain state; returns its id. */
  snapshot(): Promise<string>;
  /** Goes back to a snapshot (which is then used up); throws if the id is unknown. */
  revert(id: string): Promise<void>;
  /** Moves the clock forward for the next block (call mine() to have that block now). */
  increaseTime(seconds: number | bigint): Promise<void>;
  /** Mines one empty block. */
  mine(): Promise<void>;
  /** Timestamp of the latest block (the ledger's "now"). */
  now(): Promise<bigint>;
  /** A wallet client signing with a software key (dev and test keys only). */
  wallet(privateKey: Hex): WalletClient<HttpTransport, Chain, Account>;
  /** The dev faucet: registers the account if needed, pays it and gives it gas money. */
  fund(address: string, amountMinorUnits: bigint): Promise<Hex>;
}

/**
 * A dev node answers at once; a revert comes back as JSON-RPC -32603, which viem would
 * otherwise retry with back-off (about a second per expected failure).
 */
const noRetry = { retryCount: 0 } as const;

export function useDevChain(): DevChainHandle {
  let ledger: DevChain | undefined;
  let chain: Chain | undefined;
  let publicClient: PublicClient<HttpTransport, Chain> | undefined;

  beforeAll(async () => {
    ledger = await startDevChain();
    chain = devChain(ledger.profile.chainId, ledger.node.url);
    publicClient = createPublicClient({
      chain,
      transport: http(ledger.node.url, noRetry),
      pollingInterval: 50,
    });
  }, 120_000);
  afterAll(async () => {
    await ledger?.stop();
  });

  const started = () => {
    if (!ledger || !chain || !publicClient) throw new Error('the dev ledger starts in beforeAll');
    return { ledger, chain, publicClient };
  };
  const testClient = () => {
    const { ledger, chain } = started();
    return createTestClient({ mode: 'hardhat', chain, transport: http(ledger.node.url, noRetry) });
  };

  return {
    get profile() {
      return started().ledger.profile;
    },
    get url() {
      return started().ledger.node.url;
    },
    get chain() {
      return started().chain;
    },
    get publicClient() {
      return started().publicClient;
    },
    snapshot: () => testClient().snapshot(),
    async revert(id) {
      const ok = await testClient().request({ method: 'evm_revert', params: [id as Hex] });
      if ((ok as unknown) !== true) throw new Error(`evm_revert: unknown snapshot ${id}`);
    },
    async increaseTime(seconds) {
      await testClient().increaseTime({ seconds: Number(seconds) });
    },
    async mine() {
      await testClient().mine({ blocks: 1 });
    },
    async now() {
      return (await started().publicClient.getBlock()).timestamp;
    },
    wallet(privateKey) {
      const { ledger, chain } = started();
      return createWalletClient({
        account: privateKeyToAccount(privateKey),
        chain,
        transport: http(ledger.node.url, noRetry),
        pollingInterval: 50,
      });
    },
    fund: (address, amount) => fundAccount(started().ledger.profile, address, amount),
  };
}
