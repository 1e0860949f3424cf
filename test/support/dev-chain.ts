/**
 * One dev ledger per test file: a dev node with Signet's contracts, started in
 * beforeAll and stopped in afterAll. The engine is Hardhat, or the one
 * SIGNET_TEST_ENGINE names (the `anvil` Vitest project sets it), so the same test
 * bodies run on both; the handle calls each engine's test controls by their own
 * names. Tests isolate themselves with snapshot/revert (evm_snapshot/evm_revert
 * on both engines; a snapshot id is used up by its revert, and so are later ones).
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
import { type DevEngine, devEngineOf, parseDevEngine } from '../../ledger/dev-node.js';

/** The engine this test run's dev ledgers use: SIGNET_TEST_ENGINE, else Hardhat. */
export const testEngine: DevEngine = parseDevEngine(
  process.env.SIGNET_TEST_ENGINE || 'hardhat',
  'SIGNET_TEST_ENGINE',
);

export interface DevChainHandle {
  readonly engine: DevEngine;
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
  /** Mines empty blocks (one by default), all at once. */
  mine(blocks?: number): Promise<void>;
  /** Sets an account's ether (gas money), in wei. */
  setBalance(address: Hex, wei: bigint): Promise<void>;
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
    ledger = await startDevChain({ engine: testEngine });
    chain = devChain(ledger.profile.chainId, ledger.node.url);
    publicClient = createPublicClient({
      chain,
      transport: http(ledger.node.url, noRetry),
      pollingInterval: 50,
    });
    // The project's name is a promise: the node that answers is that engine.
    const version = await publicClient.request({ method: 'web3_clientVersion' });
    if (devEngineOf(version) !== testEngine)
      throw new Error(`SIGNET_TEST_ENGINE is ${testEngine}, but the dev node is ${version}`);
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
    // viem's test-client modes are the engines' names: hardhat_* or anvil_* methods.
    return createTestClient({
      mode: ledger.node.engine,
      chain,
      transport: http(ledger.node.url, noRetry),
    });
  };

  return {
    engine: testEngine,
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
    async mine(blocks = 1) {
      await testClient().mine({ blocks });
    },
    async setBalance(address, wei) {
      await testClient().setBalance({ address, value: wei });
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
