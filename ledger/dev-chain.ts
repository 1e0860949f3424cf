/**
 * The embedded dev ledger: a dev node (Hardhat Network by default, or anvil) in a
 * child process with Signet's contracts deployed, plus a faucet (`fundAccount`)
 * that only works there.
 */
import {
  type Address,
  BaseError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  HttpRequestError,
  http,
  isAddress,
  keccak256,
  parseAbi,
  parseEther,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { SignetError } from '../core/api/errors.js';
import type { ChainProfile } from '../core/api/profile.js';
import { startAnvilNode } from './anvil-node.js';
import { confirmed, deployChain, devChain } from './deploy.js';
import { type DevEngine, type DevNode, devEngineOf } from './dev-node.js';
import { startHardhatNode } from './hardhat-node.js';

export interface DevChain {
  profile: ChainProfile;
  node: DevNode;
  stop(): Promise<void>;
}

/**
 * Starts a dev node (Hardhat unless `engine` says otherwise; port 0 or omitted: a
 * free port) and deploys Signet's contracts on it. `env` is where to look for anvil
 * (SIGNET_ANVIL, PATH).
 */
export async function startDevChain(
  options: { port?: number; engine?: DevEngine; env?: NodeJS.ProcessEnv } = {},
): Promise<DevChain> {
  const port = options.port ? { port: options.port } : {};
  const node =
    options.engine === 'anvil'
      ? await startAnvilNode({ ...port, env: options.env })
      : await startHardhatNode(port);
  try {
    const profile = await deployChain(node.url);
    return { profile, node, stop: () => node.stop() };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

const faucetAbi = parseAbi([
  'function isRegistered(address account) view returns (bool)',
  'function registerAccount(address account, bytes32 customerRef)',
  'function transfer(address to, uint256 value) returns (bool)',
]);

/** Gas money a funded account gets (dev chains only; ether has no other use on the ledger). */
const gasFloat = parseEther('10');

/**
 * Dev faucet: the seeded operator bank registers `address` (if it is not yet
 * registered, with customerRef = keccak256(address)) and pays it
 * `amountMinorUnits`; the account also gets ether for gas via the node's setBalance
 * (`hardhat_setBalance` or `anvil_setBalance`, whichever engine answers).
 * Refuses anything but a dev profile that carries the dev operator key.
 * @returns The hash of the payment transaction.
 */
export async function fundAccount(
  profile: ChainProfile,
  address: string,
  amountMinorUnits: bigint,
): Promise<Hex> {
  if (!profile.dev || !profile.devOperatorKey) {
    throw new SignetError(
      'NOT_DEV_CHAIN',
      `ledger "${profile.name}" is not a dev ledger with a dev operator key; only dev ledgers have a faucet`,
    );
  }
  if (!isAddress(address, { strict: false })) {
    throw new SignetError('ADDRESS_INVALID', `not an address: ${address}`);
  }
  if (amountMinorUnits <= 0n) {
    throw new SignetError('AMOUNT_INVALID', `amount must be positive, got ${amountMinorUnits}`);
  }
  const account = address as Address;
  const url = profile.rpc[0]!;
  const chain = devChain(profile.chainId, url);
  const transport = http(url, { retryCount: 0 }); // fail fast: a revert is no reason to retry
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
  const operator = createWalletClient({
    account: privateKeyToAccount(profile.devOperatorKey as Hex),
    chain,
    transport,
    pollingInterval: 50,
  });
  const currency = { address: profile.contracts.currency as Address, abi: faucetAbi } as const;

  try {
    const balance = await publicClient.getBalance({ address: account });
    if (balance < gasFloat) {
      const version = await publicClient.request({ method: 'web3_clientVersion' });
      const engine = devEngineOf(version);
      if (!engine) {
        throw new SignetError(
          'NOT_DEV_CHAIN',
          `ledger "${profile.name}" at ${url} runs ${version}, not a dev node Signet can fund (Hardhat or anvil)`,
          { details: { url, clientVersion: version } },
        );
      }
      await createTestClient({ mode: engine, chain, transport }).setBalance({
        address: account,
        value: gasFloat,
      });
    }
    const registered = await publicClient.readContract({
      ...currency,
      functionName: 'isRegistered',
      args: [account],
    });
    if (!registered) {
      await confirmed(
        publicClient,
        await operator.writeContract({
          ...currency,
          functionName: 'registerAccount',
          args: [account, keccak256(account)],
        }),
      );
    }
    const hash = await operator.writeContract({
      ...currency,
      functionName: 'transfer',
      args: [account, amountMinorUnits],
    });
    await confirmed(publicClient, hash);
    return hash;
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    const unreachable = error.walk((e) => e instanceof HttpRequestError) !== null;
    throw new SignetError(
      unreachable ? 'NODE_UNREACHABLE' : 'TX_REVERTED',
      `funding ${account} failed: ${error.shortMessage}`,
      { cause: error, details: { url } },
    );
  }
}
