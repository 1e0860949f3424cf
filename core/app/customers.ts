/**
 * The operator bank's registry operations (core/api/customers.ts) behind
 * `signet customer`: register an account under a customer reference's hash,
 * freeze and unfreeze it, and show an account's standing.
 *
 * Signing runs as every other operation's: the transaction is planned offline
 * (nonce from the last sync and the outbox, fees from the last sync) and its
 * review digest compared with the one the UI reviewed, before anything is
 * read or opened; then the chain is asked, at one block and cross-checked,
 * whether the key is an operator and the contract would accept the call
 * (customers/registry.ts); then the token signs, the transaction joins the
 * outbox (and the audit log: the wallet logs each signed transaction with its
 * summary, which names the account and, for a registration, the reference's
 * hash, never its text) and a sync sends it.
 */
import { type Address, decodeFunctionData, encodeFunctionData, getAddress, type Hex } from 'viem';
import type { CustomerAction } from '../api/customers.js';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi } from '../chain/abi.js';
import { parseAddress } from '../chain/address.js';
import { formatAmount } from '../chain/amount.js';
import { customerRefHash } from '../customers/customer-ref.js';
import {
  pinnedBlock,
  readStanding,
  registeredCustomerRef,
  requireActionAllowed,
  requireOperator,
  type Standing,
} from '../customers/registry.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import type { Account } from '../store/accounts.js';
import type { Store } from '../store/database.js';
import { listOutbox } from '../store/outbox.js';
import { findAccount } from '../wallet/find-account.js';
import { syncedState } from '../wallet/offline-checks.js';
import { reviewDigest } from '../wallet/review-digest.js';
import { type Call, planTransactions } from '../wallet/transaction-plan.js';
import { namesIn } from './address-names.js';
import type { AppContext } from './app-context.js';
import type { Caller, Handlers } from './dispatcher.js';
import { deviceConfirm, feeFields } from './preview.js';
import { requireReviewed, type TransactionsPlan } from './signing-plan.js';
import type { SyncDriver } from './sync-driver.js';

type CustomerMethod =
  | 'customers.preview'
  | 'customers.register'
  | 'customers.freeze'
  | 'customers.unfreeze'
  | 'customers.show';

interface CustomerRequest {
  operator: string;
  account: string;
  customer?: string | undefined;
}

interface CustomerPlan extends TransactionsPlan {
  action: CustomerAction;
  target: Address;
  customerRef: Hex | null;
}

export function customerHandlers(
  context: AppContext,
  sync: SyncDriver,
): Pick<Handlers, CustomerMethod> {
  /** The plan, then what the chain says of the key and the account (one block, cross-checked). */
  const checked = async (profile: ChainProfile, plan: CustomerPlan) => {
    const rpc = context.rpc(profile);
    const block = await pinnedBlock(rpc);
    await requireOperator(rpc, profile, plan.account, block);
    const standing = await readStanding(rpc, profile, plan.target, block);
    requireActionAllowed(plan.action, getAddress(plan.account.address), standing);
    return standingView(profile, standing, await customerRefOf(rpc, profile, standing));
  };

  const sign = async (
    action: CustomerAction,
    request: CustomerRequest & { reviewDigest?: string | undefined },
    caller: Caller,
  ) => {
    const p = context.profile();
    const store = context.store();
    const plan = planCustomerCall(store, p, action, request);
    // Before any node is asked or the token opened: the UI signs only what it reviewed.
    requireReviewed(caller.origin, request.reviewDigest, plan);
    requireNotQueued(store, p, plan);
    const standing = await checked(p, plan);
    const queued = await context.wallet(p, caller).queue({
      account: plan.account,
      calls: plan.calls,
      txs: plan.txs,
      ...(request.reviewDigest === undefined ? {} : { reviewDigest: plan.reviewDigest }),
    });
    return { review: reviewOf(store, p, plan, standing), ...(await sync.afterSigning(p, queued)) };
  };

  return {
    'customers.preview': async (request) => {
      const p = context.profile();
      const store = context.store();
      if (request.action !== 'register' && request.customer !== undefined) {
        throw new SignetError(
          'INVALID_ARGUMENT',
          `a customer reference is given to register an account, not to ${request.action} it`,
          { details: { field: 'customer', reason: 'customer-not-needed' } },
        );
      }
      const plan = planCustomerCall(store, p, request.action, request);
      // As signing would: a registration still in the outbox is said so, not NOT_REGISTERED.
      requireNotQueued(store, p, plan);
      return reviewOf(store, p, plan, await checked(p, plan));
    },
    'customers.register': (request, caller) => sign('register', request, caller),
    'customers.freeze': (request, caller) => sign('freeze', request, caller),
    'customers.unfreeze': (request, caller) => sign('unfreeze', request, caller),
    'customers.show': async (request) => {
      const p = context.profile();
      const account = parseAddress(request.account, 'account');
      const rpc = context.rpc(p);
      const block = await pinnedBlock(rpc);
      const standing = await readStanding(rpc, p, account, block);
      return standingView(p, standing, await customerRefOf(rpc, p, standing));
    },
  };
}

/**
 * The operator's one transaction, planned with no network: the account and the
 * reference checked, the call, its transaction, and the digest of exactly that.
 */
function planCustomerCall(
  store: Store,
  profile: ChainProfile,
  action: CustomerAction,
  request: CustomerRequest,
): CustomerPlan {
  const target = parseAddress(request.account, 'account');
  let customerRef: Hex | null = null;
  if (action === 'register') {
    if (request.customer === undefined) {
      throw new SignetError('INVALID_ARGUMENT', 'a registration needs the customer reference', {
        details: { field: 'customer', reason: 'customer-empty' },
      });
    }
    customerRef = customerRefHash(request.customer);
  }
  const account = findAccount(store, request.operator);
  requireSecp256k1(account);
  const call = registryCall(profile, action, target, customerRef);
  const txs = planTransactions(
    store,
    profile,
    syncedState(store, profile.chainId, account.address),
    [call],
  );
  return {
    kind: 'transactions',
    action,
    target,
    customerRef,
    account,
    calls: [call],
    txs,
    reviewDigest: reviewDigest(`customer-${action}`, account.address, {
      kind: 'transactions',
      txs,
    }),
  };
}

/** The registry's calls are the operator's own transactions: a P-256 key's account contract is no operator. */
function requireSecp256k1(account: Account): void {
  if (account.curve !== 'secp256k1') {
    throw new SignetError(
      'CURVE_UNSUPPORTED',
      `an operator signs its registry transactions with a secp256k1 key; ${account.keyUri} is ${account.curve}`,
      { details: { field: 'operator', reason: 'curve' } },
    );
  }
}

/**
 * One registry transaction per account waits in the outbox at a time: the chain
 * cannot yet say it registered (or froze) the account, so a second would only
 * revert, and a re-run of the same request must not sign it twice.
 */
function requireNotQueued(store: Store, profile: ChainProfile, plan: CustomerPlan): void {
  const pending = listOutbox(store, profile.chainId).find(
    (row) =>
      row.kind.startsWith('customer-') &&
      typeof row.summary.account === 'string' &&
      row.summary.account.toLowerCase() === plan.target.toLowerCase() &&
      (row.status === 'signed' || row.status === 'sent' || row.status === 'included'),
  );
  if (pending) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `a ${pending.kind.slice('customer-'.length)} of account ${plan.target} is in the outbox already (transaction ${pending.txHash}); \`signet sync\` sends it`,
      { details: { field: 'account', reason: 'queued', txHash: pending.txHash } },
    );
  }
}

async function customerRefOf(rpc: RpcPool, profile: ChainProfile, standing: Standing) {
  return standing.operator
    ? registeredCustomerRef(rpc, profile, standing.account, standing.block)
    : null;
}

function standingView(profile: ChainProfile, standing: Standing, customerRef: Hex | null) {
  return {
    chainId: profile.chainId,
    account: standing.account,
    block: standing.block,
    registered: standing.registered,
    frozen: standing.frozen,
    operator: standing.operator,
    isOperator: standing.isOperator,
    customerRef,
    balance: formatAmount(standing.balance),
  };
}

/** The review: the call decoded back from the transaction's calldata, every address named. */
function reviewOf(
  store: Store,
  profile: ChainProfile,
  plan: CustomerPlan,
  standing: ReturnType<typeof standingView>,
) {
  const tx = plan.txs[0]!;
  const call = decodeFunctionData({ abi: currencyAbi, data: tx.data ?? '0x' });
  const expected = plan.action === 'register' ? 'registerAccount' : plan.action;
  if (call.functionName !== expected || tx.to !== profile.contracts.currency) {
    throw new SignetError('INTERNAL', `the planned ${plan.action} does not decode as ${expected}`);
  }
  const args = call.args as readonly [Address, Hex?];
  const preview = {
    action: plan.action,
    chainId: tx.chainId ?? profile.chainId,
    contract: tx.to,
    operator: getAddress(plan.account.address),
    operatorKeyUri: plan.account.keyUri,
    account: args[0],
    customerRef: plan.action === 'register' ? (args[1] ?? null) : null,
    standing,
    ...feeFields(profile, tx, plan.calls[0]!.kind),
  };
  return {
    ...preview,
    names: namesIn(store, profile, preview),
    reviewDigest: plan.reviewDigest,
    ...deviceConfirm(plan),
  };
}

/**
 * The operator's registry call as the wallet queues it: registerAccount with the
 * reference's hash (core/customers/customer-ref.ts), or freeze/unfreeze. The
 * provisioning batch queues its registrations through this too.
 */
export function registryCall(
  profile: ChainProfile,
  action: CustomerAction,
  target: Address,
  customerRef: Hex | null,
): Call {
  const data =
    action === 'register'
      ? encodeFunctionData({
          abi: currencyAbi,
          functionName: 'registerAccount',
          args: [target, customerRef!],
        })
      : encodeFunctionData({ abi: currencyAbi, functionName: action, args: [target] });
  return {
    to: profile.contracts.currency,
    data,
    kind: `customer-${action}`,
    summary: { account: target, ...(customerRef ? { customerRef } : {}) },
    asset: 'currency',
    amount: 0n,
  };
}
