/**
 * What an approver reads before a key signs a treasury proposal: the call
 * decoded (a currency payment, else the raw call), every address named, and
 * the safeTxHash the key signs. With no ledger selected (an offline approver),
 * any transfer(address,uint256) reads as a payment in the token it calls, and
 * names come from the wallet's accounts and address book only.
 */
import { type Address, decodeFunctionData, getAddress, isAddressEqual } from 'viem';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi } from '../chain/abi.js';
import { formatAmount } from '../chain/amount.js';
import { decodeMultiSend, multiSendAbi } from '../chain/safe.js';
import { listAccounts } from '../store/accounts.js';
import { addressBookNames } from '../store/address-book.js';
import type { Store } from '../store/database.js';
import { listTreasuries } from '../store/treasuries.js';
import { type ApprovalBundle, bundleSafeTxHash } from '../treasury/approval-bundle.js';
import { isCancelTx } from '../treasury/cancel-proposal.js';
import { nameAddresses } from './address-names.js';

/** What every approver reads: the call decoded, the addresses named, the hash the key signs. */
export function reviewOf(store: Store, profile: ChainProfile | undefined, bundle: ApprovalBundle) {
  const { tx } = bundle.proposal;
  const call = isCancelTx(bundle.safe, tx)
    ? { kind: 'cancel' as const, to: getAddress(tx.to) }
    : decodeCall(profile, tx);
  const safeName =
    profile && profile.chainId === bundle.chainId
      ? (listTreasuries(store, bundle.chainId).find((t) => isAddressEqual(t.address, bundle.safe))
          ?.name ?? null)
      : null;
  const addresses = [
    bundle.safe,
    ...bundle.owners,
    ...(call.kind === 'batch' ? [call.currency, ...call.payees.map((p) => p.to)] : [call.to]),
    ...(call.kind === 'payment' ? [call.currency] : []),
  ];
  // What each owner signs, and so what the UI names to approve or execute what it showed.
  const hash = bundleSafeTxHash(bundle).toLowerCase();
  return {
    chainId: bundle.chainId,
    safe: bundle.safe,
    safeName,
    owners: [...bundle.owners],
    threshold: bundle.threshold,
    nonce: tx.nonce.toString(),
    description: bundle.proposal.description,
    call,
    safeTxHash: hash,
    reviewDigest: hash,
    approvals: bundle.approvals.map((a) => a.owner),
    names: namesFor(store, profile, [...new Set(addresses)]),
  };
}

/**
 * A currency payment when the call is the currency's transfer (with no ledger
 * selected, any transfer(address,uint256): the approver sees the contract's
 * address, named when known); anything else is shown as the raw call.
 */
function decodeCall(profile: ChainProfile | undefined, tx: ApprovalBundle['proposal']['tx']) {
  const batch = decodeBatch(profile, tx);
  if (batch) return batch;
  const isCurrency = profile === undefined || isAddressEqual(tx.to, profile.contracts.currency);
  if (isCurrency && tx.operation === 0 && tx.value === 0n) {
    try {
      const { functionName, args } = decodeFunctionData({ abi: currencyAbi, data: tx.data });
      if (functionName === 'transfer') {
        const [to, amount] = args;
        return {
          kind: 'payment' as const,
          currency: getAddress(tx.to),
          to: getAddress(to),
          amount: formatAmount(amount),
        };
      }
    } catch {
      // Not the currency's: shown raw below.
    }
  }
  return {
    kind: 'call' as const,
    to: getAddress(tx.to),
    value: tx.value.toString(),
    data: tx.data,
    operation: tx.operation === 1 ? ('delegatecall' as const) : ('call' as const),
  };
}

/** Payees a review lists one by one; the rest are counted. */
const BATCH_PAYEES_SHOWN = 5;

/**
 * A batch of currency payments: a delegatecall into the ledger's
 * MultiSendCallOnly (with no ledger selected, any multiSend whose calls all
 * transfer the same token) whose every call is a transfer. Anything else in
 * it, and the batch is shown raw.
 */
function decodeBatch(profile: ChainProfile | undefined, tx: ApprovalBundle['proposal']['tx']) {
  if (tx.operation !== 1 || tx.value !== 0n) return undefined;
  if (profile && !isAddressEqual(tx.to, profile.contracts.multiSendCallOnly)) return undefined;
  try {
    const { args } = decodeFunctionData({ abi: multiSendAbi, data: tx.data });
    const calls = decodeMultiSend(args[0]);
    const currency = getAddress(calls[0]!.to);
    if (profile && !isAddressEqual(currency, profile.contracts.currency)) return undefined;
    const payments = calls.map((call) => {
      if (!isAddressEqual(call.to, currency) || (call.value ?? 0n) !== 0n) throw new Error('mixed');
      const { functionName, args } = decodeFunctionData({ abi: currencyAbi, data: call.data });
      if (functionName !== 'transfer') throw new Error('not a transfer');
      const [to, amount] = args;
      return { to: getAddress(to), amount };
    });
    return {
      kind: 'batch' as const,
      currency,
      count: payments.length,
      total: formatAmount(payments.reduce((sum, p) => sum + p.amount, 0n)),
      payees: payments
        .slice(0, BATCH_PAYEES_SHOWN)
        .map((p) => ({ to: p.to, amount: formatAmount(p.amount) })),
    };
  } catch {
    return undefined; // not a currency batch: shown raw
  }
}

/** The ledger's names when one is selected; else the wallet's accounts and the address book only. */
function namesFor(store: Store, profile: ChainProfile | undefined, addresses: Address[]) {
  if (profile) return nameAddresses(store, profile, addresses);
  const accounts = new Map(listAccounts(store).map((a) => [a.address.toLowerCase(), a.name]));
  const book = addressBookNames(store, addresses);
  return addresses.map((address) => {
    const account = accounts.get(address.toLowerCase());
    if (account !== undefined) return { address, kind: 'account' as const, name: account };
    const entry = book.get(address.toLowerCase());
    if (entry !== undefined) return { address, kind: 'address-book' as const, name: entry };
    return { address, kind: 'unknown' as const };
  });
}

export function auditSubject(review: ReturnType<typeof reviewOf>): Record<string, unknown> {
  return {
    chainId: review.chainId,
    safe: review.safe,
    nonce: review.nonce,
    safeTxHash: review.safeTxHash,
    call: review.call,
    description: review.description,
  };
}
