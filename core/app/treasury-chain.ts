/**
 * A treasury as the chain has it, read through the app's node pool: deployed
 * or not, with the code and owners this wallet created; and a bundle checked
 * against it (owners, threshold, nonce, the Safe's own getTransactionHash).
 */
import {
  type Address,
  createPublicClient,
  custom,
  getAddress,
  type Hex,
  isAddressEqual,
  type PublicClient,
} from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi } from '../chain/abi.js';
import { p256AccountAbi } from '../chain/p256-account.js';
import { checkedSafeTxHash, readSafe, type SafeState } from '../chain/safe.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import type { Treasury } from '../store/treasuries.js';
import type { ApprovalBundle, ContractApproval } from '../treasury/approval-bundle.js';
import { decodeOwnerChange, requireOwnerChangeFits } from '../treasury/owner-change.js';

/**
 * viem reads through the app's node pool (its failover, timeouts and chain
 * checks; no retries of viem's own on top). viem wraps what the pool throws:
 * `onChain` gives back the pool's SignetError (NODE_UNREACHABLE, RPC_ERROR).
 *
 * Reads of chain state (eth_call, eth_getCode, eth_getStorageAt,
 * eth_getBalance) are cross-checked (RpcPool crossCheck): asked of every
 * reachable node at the pool's pinned head (read once per client), the
 * majority's answer taken, a node that disagrees flagged; no majority is
 * NODE_DISAGREES. What an approval or an execution rests on (owners, threshold,
 * nonce, getTransactionHash, a P-256 owner's isValidSignature), and the owners
 * the store records, are never one node's word.
 */
export function chainClient(pool: RpcPool): PublicClient {
  let pinned: Promise<number> | undefined;
  return createPublicClient({
    transport: custom(
      {
        request: async ({ method, params }) => {
          const args = [...((params as unknown[]) ?? [])];
          const at = STATE_READS[method];
          if (at === undefined) return pool.request(method, args);
          pinned ??= pool.heads().then((heads) => heads.pinned);
          const block = await pinned;
          args[at] = `0x${block.toString(16)}`; // viem's 'latest' (or nothing) becomes the pinned block
          return pool.request(method, args, { crossCheck: true, atBlock: block });
        },
      },
      { retryCount: 0 },
    ),
  });
}

/** The state reads cross-checked, by the index of their block parameter. */
const STATE_READS: Record<string, number> = {
  eth_call: 1,
  eth_getCode: 1,
  eth_getStorageAt: 2,
  eth_getBalance: 1,
};

export async function onChain<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
      if (cause instanceof SignetError) throw cause;
    }
    throw error;
  }
}

/** Proxy storage slot 0: the Safe's singleton (its code). */
const SINGLETON_SLOT = '0x0';

/**
 * The treasury as the chain has it, or null before it is deployed; refused when
 * the code there is not a Safe of this ledger's singleton. Its owners and
 * threshold may differ from the stored ones after an approved owner change (the
 * CREATE2 address fixes only the first ones): callers record the chain's
 * (core/store/treasuries.ts recordChainState).
 */
export async function deployedState(
  client: PublicClient,
  profile: ChainProfile,
  treasury: Treasury,
): Promise<SafeState | null> {
  const code = await client.getCode({ address: treasury.address });
  if (code === undefined || code === '0x') return null;
  const slot = await client.getStorageAt({ address: treasury.address, slot: SINGLETON_SLOT });
  const singleton = slot ? getAddress(`0x${slot.slice(-40)}`) : undefined;
  if (!singleton || !isAddressEqual(singleton, profile.contracts.safeSingleton)) {
    throw mismatch(
      'code',
      `the contract at ${treasury.address} is not a Safe 1.4.1 proxy of this ledger's singleton`,
    );
  }
  return readSafe(client, treasury.address);
}

/**
 * Online, before an approval: a deployed treasury's owners, threshold and nonce
 * must be the bundle's, and its getTransactionHash the offline safeTxHash. With
 * no node reachable, the bundle's own checks stand (as on an offline machine);
 * execution checks the chain again.
 */
export async function checkAgainstChain(pool: RpcPool, bundle: ApprovalBundle): Promise<void> {
  const client = chainClient(pool);
  let code: Hex | undefined;
  try {
    code = await onChain(client.getCode({ address: bundle.safe }));
  } catch (error) {
    if (error instanceof SignetError && error.code === 'NODE_UNREACHABLE') return;
    throw error;
  }
  if (code === undefined || code === '0x') return; // proposed before its deployment
  const state = await readSafe(client, bundle.safe);
  requireChainAgrees(state, bundle);
  if (state.nonce > bundle.proposal.tx.nonce) {
    throw mismatch(
      'nonce',
      `the treasury is at nonce ${state.nonce}: the proposal at nonce ${bundle.proposal.tx.nonce} was executed or replaced already`,
    );
  }
  await checkedSafeTxHash(client, bundle.chainId, bundle.safe, bundle.proposal.tx);
}

/** EIP-1271's "valid" answer from isValidSignature(bytes32,bytes). */
const ERC1271_MAGIC = '0x1626ba7e';

/**
 * Before execution, each P-256 owner's account is asked (eth_call) what the
 * Safe will ask it: whether the approval's r ‖ s vouches for the safeTxHash.
 * The offline checks bind the key to the account's address and verify the
 * signature; this also catches an account with no code yet (the Safe's call
 * to it would revert: it is deployed with its first operation).
 */
export async function checkContractApprovals(
  client: PublicClient,
  hash: Hex,
  approvals: readonly ContractApproval[],
): Promise<void> {
  for (const { owner, signature } of approvals) {
    const code = await client.getCode({ address: owner });
    if (code === undefined || code === '0x') {
      throw mismatch(
        'p256-account-not-deployed',
        `P-256 account ${owner} approved, but it is not deployed on this chain yet, so the treasury cannot ask it: it is deployed with its first operation`,
      );
    }
    const answer = await client.readContract({
      address: owner,
      abi: p256AccountAbi,
      functionName: 'isValidSignature',
      args: [hash, signature],
    });
    if (answer !== ERC1271_MAGIC) {
      throw mismatch(
        'p256-signature',
        `P-256 account ${owner} does not accept its approval of safeTxHash ${hash} (isValidSignature answered ${answer})`,
      );
    }
  }
}

export function requireChainAgrees(state: SafeState, bundle: ApprovalBundle): void {
  if (!sameOwners(state, bundle)) {
    throw mismatch(
      'owners',
      `the bundle lists owners ${bundle.owners.join(', ')} and threshold ${bundle.threshold}; treasury ${bundle.safe} has ${state.owners.join(', ')} and threshold ${state.threshold}`,
    );
  }
  requireOwnerChangeFits(state.owners, decodeOwnerChange(bundle.safe, bundle, bundle.proposal.tx));
}

/**
 * Before a merge, when a node is reachable and the treasury deployed: the
 * bundles' owners and threshold must still be the chain's (a bundle made before
 * an owner change is refused). With no node, the bundles' own checks stand.
 */
export async function checkOwnersAgainstChain(
  pool: RpcPool,
  bundle: ApprovalBundle,
): Promise<void> {
  const client = chainClient(pool);
  let code: Hex | undefined;
  try {
    code = await onChain(client.getCode({ address: bundle.safe }));
  } catch (error) {
    if (error instanceof SignetError && error.code === 'NODE_UNREACHABLE') return;
    throw error;
  }
  if (code === undefined || code === '0x') return;
  requireChainAgrees(await onChain(readSafe(client, bundle.safe)), bundle);
}

export async function readSafeOrRefuse(client: PublicClient, safe: Address): Promise<SafeState> {
  const code = await client.getCode({ address: safe });
  if (code === undefined || code === '0x') {
    throw mismatch('not-deployed', `treasury ${safe} is not deployed on this chain`);
  }
  return readSafe(client, safe);
}

function sameOwners(
  state: SafeState,
  expected: { owners: readonly Address[]; threshold: number },
): boolean {
  const sorted = (list: readonly Address[]) => list.map((a) => a.toLowerCase()).sort();
  const a = sorted(state.owners);
  const b = sorted(expected.owners);
  return (
    state.threshold === expected.threshold &&
    a.length === b.length &&
    a.every((owner, i) => owner === b[i])
  );
}

export async function currencyBalance(
  client: PublicClient,
  profile: ChainProfile,
  address: Address,
): Promise<bigint> {
  return client.readContract({
    address: profile.contracts.currency,
    abi: currencyAbi,
    functionName: 'balanceOf',
    args: [address],
  });
}

export function mismatch(reason: string, message: string): SignetError {
  return new SignetError('BUNDLE_MISMATCH', message, { details: { reason } });
}
