/**
 * Treasuries on the dev ledger for integration tests: secp256k1 owner keys on
 * a SoftHSM2 token (generated through the real CLI), their EIP-712 approvals,
 * deployment at the offline prediction, execution, and payees registered in the
 * currency's account registry. Built on core/chain/safe.ts, the code the
 * treasury uses.
 */
import {
  type Address,
  getAddress,
  type Hex,
  keccak256,
  parseEventLogs,
  type TransactionReceipt,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { expect } from 'vitest';
import { currencyAbi } from '../../core/chain/abi.js';
import { ChainSigner } from '../../core/chain/chain-signer.js';
import {
  approveSafeTx,
  execTransactionData,
  type SafeSignature,
  type SafeTx,
  safeAbi,
  safeDeployment,
  safeProxyFactoryAbi,
  safeTxHash,
} from '../../core/chain/safe.js';
import { anyModule } from '../../native/pkcs11/module-policy.js';
import { openKeySigner } from '../../native/pkcs11/token-access.js';
import { pinFile, signet } from './cli.js';
import type { DevChainHandle } from './dev-chain.js';
import { type SoftHsmStore, softhsmModule } from './softhsm.js';

/** An owner whose key is on the token: its pkcs11: URI and its address. */
export interface OwnerKey {
  uri: string;
  address: Address;
}

const search = { configured: [], policy: anyModule };

/**
 * A token `label` in `store` (its pkcs11: URI) with one secp256k1 key per name in
 * `labels`, made with `signet key generate`.
 */
export async function tokenOwners(
  store: SoftHsmStore,
  label: string,
  pin: string,
  labels: readonly string[],
): Promise<{ token: string; owners: OwnerKey[] }> {
  store.initToken(label, pin);
  store.activate();
  const token = (await signet(['tokens', '--module', softhsmModule, '--json'])).json.find(
    (t: { label: string }) => t.label === label,
  ).uri as string;
  const owners: OwnerKey[] = [];
  for (const name of labels) {
    const { uri } = (
      await signet([
        'key',
        'generate',
        ...['--token', token, '--curve', 'secp256k1', '--label', name],
        ...['--pin-file', pinFile(pin), '--json'],
      ])
    ).json as { uri: string };
    const signer = new ChainSigner(await openKeySigner(uri, search, async () => Buffer.from(pin)));
    owners.push({ uri, address: signer.address });
    await signer.close();
  }
  return { token, owners };
}

/**
 * ECDSA approvals by token keys (EIP-712 over the SafeTx, v 27 or 28). Each opens
 * its key and closes it again, as an approver's machine does.
 */
export async function tokenApprovals(
  chainId: number,
  keys: readonly OwnerKey[],
  pin: string,
  safe: Address,
  tx: SafeTx,
): Promise<SafeSignature[]> {
  const out: SafeSignature[] = [];
  for (const key of keys) {
    const signer = new ChainSigner(
      await openKeySigner(key.uri, search, async () => Buffer.from(pin)),
      key.address,
    );
    try {
      out.push(await approveSafeTx(signer, chainId, safe, tx));
    } finally {
      await signer.close();
    }
  }
  return out;
}

/** Sends `data` to `to` from a software payer key (dev/test only) and expects success. */
export async function sendFrom(
  ledger: DevChainHandle,
  payerKey: Hex,
  to: Address,
  data: Hex,
): Promise<TransactionReceipt> {
  const hash = await ledger.wallet(payerKey).sendTransaction({ to, data });
  const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  return receipt;
}

/** Deploys a treasury from its offline deployment, paid by `payerKey`; checks it is at the prediction. */
export async function deployTreasury(
  ledger: DevChainHandle,
  payerKey: Hex,
  owners: readonly Address[],
  threshold: number,
  saltNonce = 1n,
): Promise<Address> {
  const deployment = safeDeployment(ledger.profile.contracts, owners, threshold, saltNonce);
  const receipt = await sendFrom(ledger, payerKey, deployment.factory, deployment.data);
  const [created] = parseEventLogs({
    abi: safeProxyFactoryAbi,
    logs: receipt.logs,
    eventName: 'ProxyCreation',
  });
  expect(getAddress(created!.args.proxy)).toBe(deployment.address);
  return deployment.address;
}

/** execTransaction with encoded signatures; expects ExecutionSuccess for this very safeTxHash. */
export async function executeSafeTx(
  ledger: DevChainHandle,
  payerKey: Hex,
  safe: Address,
  tx: SafeTx,
  signatures: Hex,
): Promise<TransactionReceipt> {
  const data = execTransactionData(tx, signatures);
  const receipt = await sendFrom(ledger, payerKey, safe, data);
  const [success] = parseEventLogs({
    abi: safeAbi,
    logs: receipt.logs,
    eventName: 'ExecutionSuccess',
  });
  expect(success?.args.txHash).toBe(safeTxHash(ledger.profile.chainId, safe, tx));
  return receipt;
}

/**
 * `count` fresh addresses the operator registers in the currency's registry,
 * with no money (so a payment's arrival reads plainly), sent back to back.
 */
export async function registeredPayees(
  ledger: Pick<DevChainHandle, 'profile' | 'wallet' | 'publicClient'>,
  count: number,
): Promise<Address[]> {
  const operator = ledger.wallet(ledger.profile.devOperatorKey as Hex);
  const payees: Address[] = [];
  let last: Hex | undefined;
  for (let i = 0; i < count; i++) {
    const address = privateKeyToAccount(generatePrivateKey()).address;
    last = await operator.writeContract({
      address: ledger.profile.contracts.currency,
      abi: currencyAbi,
      functionName: 'registerAccount',
      args: [address, keccak256(address)],
    });
    payees.push(address);
  }
  if (last) await ledger.publicClient.waitForTransactionReceipt({ hash: last });
  return payees;
}

/** The currency's balance of `address`, on chain. */
export function currencyBalance(
  ledger: Pick<DevChainHandle, 'profile' | 'publicClient'>,
  address: Address,
): Promise<bigint> {
  return ledger.publicClient.readContract({
    address: ledger.profile.contracts.currency,
    abi: currencyAbi,
    functionName: 'balanceOf',
    args: [address],
  });
}
