/**
 * Deploys Signet's ledger on a fresh dev chain: the digital currency, the notes
 * contract, the Safe 1.4.1 contracts (as shipped, not recompiled), the factory
 * of P-256 accounts and the offline purse contract. The central
 * bank (Hardhat account 0) makes the note contract a system contract of the
 * currency (it collects prices and payments, and moves notes on recovery),
 * appoints the operator bank (account 1) and issues it money. Returns the ledger
 * profile Signet runs against.
 */
import {
  type Abi,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  type Hex,
  http,
  type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { type ChainProfile, profileSchema } from '../core/api/profile.js';
import { type ContractArtifact, loadArtifacts, loadSafeArtifacts } from './compile.js';

/**
 * Hardhat's well-known test keys (mnemonic "test test … junk"), never secrets:
 * they only exist on dev chains.
 */
export const devKeys = {
  /** Account 0, 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266: deployer, central bank. */
  centralBank: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  /** Account 1, 0x70997970C51812dc3A010C7d01b50e0d17dc79C8: the seeded operator bank. */
  operator: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
} as const satisfies Record<string, Hex>;

/** Money the central bank issues to the operator: 1,000,000,000.00 in minor units. */
export const devOperatorFloat = 1_000_000_000_00n;

/** The offline purse contract's thaw window after a certificate's validUntil: one day. */
export const devPurseGraceSeconds = 24n * 60n * 60n;

/** The dev operator's guarantee pool in the offline purse contract: 1,000,000.00. */
export const devOperatorGuarantee = 1_000_000_00n;

/**
 * The dev operator's purse policy: the largest purse it certifies (the contract refuses to open
 * larger ones). Generous for development: 100,000.00 locked, 10,000.00 a payment, the API's
 * 10,000 payments and one year's validity (366 days).
 */
export const devPursePolicy = {
  maxLocked: 100_000_00n,
  maxCap: 10_000_00n,
  maxCount: 10_000,
  maxValidity: 366n * 24n * 60n * 60n,
} as const;

/** Fast polling: a dev node mines each transaction as it arrives. */
const pollingInterval = 50;

export async function deployChain(url: string): Promise<ChainProfile> {
  // A dev node answers at once; viem would retry its revert replies (-32603) with back-off.
  const transport = http(url, { retryCount: 0 });
  const probe = createPublicClient({ transport, pollingInterval });
  const chain = devChain(await probe.getChainId(), url);
  const publicClient = createPublicClient({ chain, transport, pollingInterval });
  const centralBank = createWalletClient({
    account: privateKeyToAccount(devKeys.centralBank),
    chain,
    transport,
    pollingInterval,
  });
  const operator = privateKeyToAccount(devKeys.operator);

  const [ledger, safe] = await Promise.all([loadArtifacts(), loadSafeArtifacts()]);

  const deploy = async (artifact: ContractArtifact, args: readonly unknown[] = []) => {
    const hash = await centralBank.deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args,
    });
    const receipt = await confirmed(publicClient, hash);
    if (!receipt.contractAddress) throw new Error(`deployment ${hash} created no contract`);
    return { address: getAddress(receipt.contractAddress), block: receipt.blockNumber };
  };
  const currency = await deploy(ledger.DigitalCurrency);
  const notes = await deploy(ledger.DigitalNote, [currency.address]);
  const safeSingleton = await deploy(safe.SafeL2);
  const safeProxyFactory = await deploy(safe.SafeProxyFactory);
  const fallbackHandler = await deploy(safe.CompatibilityFallbackHandler);
  const multiSend = await deploy(safe.MultiSend);
  const multiSendCallOnly = await deploy(safe.MultiSendCallOnly);
  const p256AccountFactory = await deploy(ledger.P256AccountFactory);

  const call = async (functionName: string, args: readonly unknown[]) =>
    confirmed(
      publicClient,
      await centralBank.writeContract({
        address: currency.address,
        abi: ledger.DigitalCurrency.abi as Abi,
        functionName,
        args,
      }),
    );
  const role = async (name: 'OPERATOR_ROLE' | 'SYSTEM_CONTRACT_ROLE' | 'ESCROW_ROLE') =>
    (await publicClient.readContract({
      address: currency.address,
      abi: ledger.DigitalCurrency.abi,
      functionName: name,
    })) as Hex;
  await call('grantRole', [await role('SYSTEM_CONTRACT_ROLE'), notes.address]);
  await call('grantRole', [await role('OPERATOR_ROLE'), operator.address]);
  await call('issue', [operator.address, devOperatorFloat]);

  // Offline cash (issue 13): the purse contract freezes defrauders, so it is a system contract,
  // and holds money, so it is an escrow; the dev operator signs purse certificates with its own key and backs its
  // customers' purses with a guarantee pool; its purse policy bounds what its customers may open.
  const offlinePurse = await deploy(ledger.OfflinePurse, [currency.address, devPurseGraceSeconds]);
  await call('grantRole', [await role('SYSTEM_CONTRACT_ROLE'), offlinePurse.address]);
  await call('grantRole', [await role('ESCROW_ROLE'), offlinePurse.address]);
  const operatorClient = createWalletClient({
    account: operator,
    chain,
    transport,
    pollingInterval,
  });
  const asOperator = async (
    address: Hex,
    abi: Abi,
    functionName: string,
    args: readonly unknown[],
  ) =>
    confirmed(
      publicClient,
      await operatorClient.writeContract({ address, abi, functionName, args }),
    );
  const purseAbi = ledger.OfflinePurse.abi as Abi;
  await asOperator(offlinePurse.address, purseAbi, 'setCertificateKey', [operator.address, true]);
  await asOperator(offlinePurse.address, purseAbi, 'setPursePolicy', [
    devPursePolicy.maxLocked,
    devPursePolicy.maxCap,
    devPursePolicy.maxCount,
    devPursePolicy.maxValidity,
  ]);
  await asOperator(currency.address, ledger.DigitalCurrency.abi as Abi, 'approve', [
    offlinePurse.address,
    devOperatorGuarantee,
  ]);
  await asOperator(offlinePurse.address, purseAbi, 'depositGuarantee', [devOperatorGuarantee]);

  return profileSchema.parse({
    name: 'dev',
    chainId: chain.id,
    rpc: [url],
    confirmations: 1,
    txType: 'eip1559',
    contracts: {
      currency: currency.address,
      notes: notes.address,
      safeSingleton: safeSingleton.address,
      safeProxyFactory: safeProxyFactory.address,
      multiSend: multiSend.address,
      multiSendCallOnly: multiSendCallOnly.address,
      fallbackHandler: fallbackHandler.address,
      p256AccountFactory: p256AccountFactory.address,
      offlinePurse: offlinePurse.address,
    },
    // The dev node's coin (Hardhat and anvil alike): fees show in ETH; a real network's profile names its own.
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    deployBlock: Number(currency.block),
    dev: true,
    devOperatorKey: devKeys.operator,
  } satisfies ChainProfile);
}

/** A viem chain for a dev node whose id was read from the node itself. */
export function devChain(id: number, url: string): Chain {
  return defineChain({
    id,
    name: 'Signet dev ledger',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
}

/** Waits for the receipt and insists the transaction succeeded. */
export async function confirmed(publicClient: PublicClient, hash: Hex) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
  return receipt;
}
