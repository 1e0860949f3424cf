/**
 * What the review screen shows before the token signs: the same offline checks
 * and the same plan the signing uses (signing-plan.ts), the calldata decoded
 * back, every address named, fees in the chain's own coin, and the digest of
 * exactly what the token would sign, so the user reviews what will be signed
 * rather than what was typed, and signing can prove it signs that.
 * No token, nothing written, and no network, except to read the note a bank
 * previews accepting a finance offer for (unless the context has no nodes).
 */
import {
  type Abi,
  type Address,
  decodeFunctionData,
  formatUnits,
  getAbiItem,
  type Hex,
  type TransactionSerializable,
} from 'viem';
import { isLedgerDeviceUri } from '../../native/hid/uri.js';
import { SignetError } from '../api/errors.js';
import type { NoteOperation } from '../api/notes.js';
import { type ChainProfile, nativeCurrencyOf } from '../api/profile.js';
import { currencyAbi, notesAbi } from '../chain/abi.js';
import { formatAmount } from '../chain/amount.js';
import {
  ledgerDeviceTransactionHash,
  ledgerDeviceTypedDataHashes,
} from '../chain/ledger-device-chain-signer.js';
import { type AccountOperation, executeDigest, executeTypedData } from '../chain/p256-account.js';
import type { Store } from '../store/database.js';
import { pendingOutgoing } from '../store/outbox.js';
import { carrierLogin } from '../wallet/carried-operations.js';
import { type NoteContext, textValues } from '../wallet/note-calls.js';
import { syncedState } from '../wallet/offline-checks.js';
import { gasBudget, type TxKind } from '../wallet/transaction-plan.js';
import { namesIn } from './address-names.js';
import { planNote, planSend, type TransactionsPlan, type TypedDataPlan } from './signing-plan.js';
import { noteFactsView } from './views.js';

/** The most a transaction can cost: gas limit × the highest price per gas it allows (wei). */
function maxFeeWei(tx: TransactionSerializable, kind: TxKind): bigint {
  const perGas = (tx.type === 'legacy' ? tx.gasPrice : tx.maxFeePerGas) ?? 0n;
  return (tx.gas ?? gasBudget[kind]) * perGas;
}

/** Wei as the chain's coin, exactly: "0.00036" ETH, never a float. */
function nativeFee(profile: ChainProfile, wei: bigint) {
  const { decimals, symbol } = nativeCurrencyOf(profile);
  return { maxWei: wei.toString(), max: formatUnits(wei, decimals), symbol };
}

/** Fees and nonce of a planned transaction, as text. */
export function feeFields(profile: ChainProfile, tx: TransactionSerializable, kind: TxKind) {
  const legacy = tx.type === 'legacy';
  return {
    nonce: tx.nonce ?? 0,
    type: legacy ? ('legacy' as const) : ('eip1559' as const),
    gasLimit: (tx.gas ?? gasBudget[kind]).toString(),
    maxFeePerGas: ((legacy ? tx.gasPrice : tx.maxFeePerGas) ?? 0n).toString(),
    maxPriorityFeePerGas: legacy ? null : (tx.maxPriorityFeePerGas ?? 0n).toString(),
    fee: nativeFee(profile, maxFeeWei(tx, kind)),
  };
}

/** Currency available after `extra` and every payment still in the outbox. */
function availableAfter(store: Store, profile: ChainProfile, sender: Address, extra: bigint) {
  const state = syncedState(store, profile.chainId, sender);
  return formatAmount(state.balance - pendingOutgoing(store, state.chainId, sender) - extra);
}

/**
 * A Ledger's account: what the device will show to confirm where it blind-signs
 * (each transaction's hash, or EIP-712's two hashes), so the review can show the
 * same. Nothing for a token's key.
 */
export function deviceConfirm(plan: TransactionsPlan | TypedDataPlan) {
  if (!isLedgerDeviceUri(plan.account.keyUri)) return {};
  return {
    deviceConfirm:
      plan.kind === 'typed-data'
        ? {
            device: 'ledger' as const,
            transactionHashes: [],
            typedData: ledgerDeviceTypedDataHashes(plan.typedData),
          }
        : {
            device: 'ledger' as const,
            transactionHashes: plan.txs.map(ledgerDeviceTransactionHash),
            typedData: null,
          },
  };
}

/** The preview's addresses named, the digest signing must match, and what a Ledger will show. */
function withReview<T extends object>(
  store: Store,
  profile: ChainProfile,
  preview: T,
  plan: TransactionsPlan | TypedDataPlan,
) {
  return {
    ...preview,
    names: namesIn(store, profile, preview),
    reviewDigest: plan.reviewDigest,
    ...deviceConfirm(plan),
  };
}

/**
 * What a P-256 account's key signs for its `i`-th call, and who carries it, as
 * `{ carried }`; nothing for any other account (whose review is as it was). The call itself is the operation's, not the carrier's
 * transaction (which calls the factory with it).
 */
function carriedView(profile: ChainProfile, plan: TransactionsPlan, i: number) {
  if (!plan.carried) return {};
  const { carrier, operations } = plan.carried;
  const operation = operations[i]!;
  const { domain, message, primaryType } = executeTypedData(
    profile.chainId,
    plan.account.address,
    operation,
  );
  const carried = {
    account: plan.account.address,
    accountNonce: operation.nonce.toString(),
    deadline: Number(operation.deadline),
    digest: executeDigest(profile.chainId, plan.account.address, operation),
    typedData: { primaryType, domain: textValues(domain), message: textValues(message) },
    carrier: carrier.address,
    carrierKeyUri: carrier.keyUri,
    carrierLogin: carrierLogin(plan.account, carrier),
    via: plan.txs[i]!.to!,
  };
  return { carried };
}

/** The contract and calldata of a planned call: a carried operation's own, else its transaction's. */
function callOf(plan: TransactionsPlan, i: number): { to: Address; data: Hex } {
  const operation: AccountOperation | undefined = plan.carried?.operations[i];
  if (operation) return { to: operation.target, data: operation.data };
  const tx = plan.txs[i]!;
  return { to: tx.to ?? plan.calls[i]!.to, data: tx.data ?? '0x' };
}

export function previewSend(
  store: Store,
  profile: ChainProfile,
  fromKeyUri: string,
  to: Address,
  amount: bigint,
  carrier?: string,
) {
  const plan = planSend(store, profile, fromKeyUri, to, amount, carrier);
  const tx = plan.txs[0]!;
  const payment = plan.calls[0]!;
  const planned = callOf(plan, 0);
  const call = decodeFunctionData({ abi: currencyAbi, data: planned.data });
  if (call.functionName !== 'transfer') {
    throw new SignetError('INTERNAL', 'the planned payment does not decode as a transfer');
  }
  const [payee, value] = call.args as readonly [Address, bigint];
  const preview = {
    from: plan.account.address,
    fromKeyUri: plan.account.keyUri,
    to: payee,
    amount: formatAmount(value),
    contract: planned.to,
    chainId: tx.chainId ?? profile.chainId,
    ...feeFields(profile, tx, payment.kind),
    availableAfter: availableAfter(store, profile, plan.account.address, value),
    ...carriedView(profile, plan, 0),
  };
  return withReview(store, profile, preview, plan);
}

/**
 * A call's function and named arguments, decoded from its calldata with the
 * contract's ABI. A struct argument shows field by field (`offer.price`), so
 * each value can be read, and named, on its own.
 */
function decodeCall(profile: ChainProfile, to: Address, data: Hex) {
  const abi: Abi =
    to.toLowerCase() === profile.contracts.notes.toLowerCase() ? notesAbi : currencyAbi;
  const { functionName, args = [] } = decodeFunctionData({ abi, data });
  const item = getAbiItem({ abi, name: functionName, args: args as unknown[] });
  const inputs = item && 'inputs' in item ? item.inputs : [];
  const named: Array<[string, string]> = [];
  args.forEach((value, i) => {
    const name = inputs[i]?.name || `arg${i}`;
    if (isStruct(value)) {
      for (const [field, v] of Object.entries(value)) named.push([`${name}.${field}`, text(v)]);
    } else named.push([name, text(value)]);
  });
  return { function: functionName, args: Object.fromEntries(named) };
}

function isStruct(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of a decoded value: bigints in decimal, anything nested as JSON. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export async function previewNote(
  context: NoteContext,
  operation: NoteOperation,
  carrier?: string,
) {
  const { store, profile } = context;
  const plan = await planNote(context, operation, carrier);
  const base = {
    op: operation.op,
    from: plan.account.address,
    fromKeyUri: plan.account.keyUri,
    chainId: profile.chainId,
    note: plan.note ? noteFactsView(plan.note, profile) : null,
  };
  if (plan.kind === 'typed-data') {
    const { domain, message, primaryType } = plan.typedData;
    const preview = {
      ...base,
      transactions: [],
      typedData: { primaryType, domain: textValues(domain), message: textValues(message) },
      availableAfter: null,
      fee: null,
    };
    return withReview(store, profile, preview, plan);
  }
  const transactions = plan.calls.map((call, i) => {
    const tx = plan.txs[i]!;
    const planned = callOf(plan, i);
    return {
      kind: call.kind,
      contract: planned.to,
      ...decodeCall(profile, planned.to, planned.data),
      ...feeFields(profile, tx, call.kind),
      ...carriedView(profile, plan, i),
    };
  });
  const spends = plan.calls.reduce((sum, call) => sum + call.amount, 0n);
  const totalFee = plan.calls.reduce(
    (sum, call, i) => sum + maxFeeWei(plan.txs[i]!, call.kind),
    0n,
  );
  const preview = {
    ...base,
    transactions,
    typedData: null,
    availableAfter:
      spends > 0n ? availableAfter(store, profile, plan.account.address, spends) : null,
    fee: nativeFee(profile, totalFee),
  };
  return withReview(store, profile, preview, plan);
}
