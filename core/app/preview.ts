/**
 * What the review screen shows before the token signs: the same offline checks
 * and the same transaction plans the wallet signs, then the calldata decoded
 * back, so the user reviews what will be signed rather than what was typed.
 * No token, nothing written, and no network, except to read a note the store
 * does not know when a bank previews accepting a finance offer for it.
 */
import {
  type Abi,
  type Address,
  decodeFunctionData,
  getAbiItem,
  type Hex,
  type TransactionSerializable,
} from 'viem';
import { SignetError } from '../api/errors.js';
import type { NoteOperation } from '../api/notes.js';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi, notesAbi } from '../chain/abi.js';
import { formatAmount } from '../chain/amount.js';
import type { Account } from '../store/accounts.js';
import type { AccountState } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { pendingOutgoing } from '../store/outbox.js';
import { type NoteContext, textValues } from '../wallet/note-calls.js';
import { syncedState } from '../wallet/offline-checks.js';
import { checkedPayment } from '../wallet/payment.js';
import { type Call, gasBudget, planTransaction } from '../wallet/transaction-plan.js';
import { planNoteOperation } from './note-operation.js';
import { noteFactsView } from './views.js';

/** Fees and nonce of a planned transaction, as text. */
function feeFields(tx: TransactionSerializable, kind: Call['kind']) {
  const legacy = tx.type === 'legacy';
  const maxFeePerGas = (legacy ? tx.gasPrice : tx.maxFeePerGas) ?? 0n;
  const gasLimit = tx.gas ?? gasBudget[kind];
  return {
    nonce: tx.nonce ?? 0,
    type: legacy ? ('legacy' as const) : ('eip1559' as const),
    gasLimit: gasLimit.toString(),
    maxFeePerGas: maxFeePerGas.toString(),
    maxPriorityFeePerGas: legacy ? null : (tx.maxPriorityFeePerGas ?? 0n).toString(),
    maxFeeWei: (gasLimit * maxFeePerGas).toString(),
  };
}

/** Currency available after `extra` and every payment still in the outbox. */
function availableAfter(store: Store, state: AccountState, extra: bigint): string {
  return formatAmount(state.balance - pendingOutgoing(store, state.chainId, state.address) - extra);
}

export function previewSend(
  store: Store,
  profile: ChainProfile,
  fromKeyUri: string,
  to: Address,
  amount: bigint,
) {
  const { account, state, call: payment } = checkedPayment(store, profile, fromKeyUri, to, amount);
  const tx = planTransaction(store, profile, state, payment);
  const call = decodeFunctionData({ abi: currencyAbi, data: tx.data ?? '0x' });
  if (call.functionName !== 'transfer') {
    throw new SignetError('INTERNAL', 'the planned payment does not decode as a transfer');
  }
  const [payee, value] = call.args as readonly [Address, bigint];
  const { maxFeeWei, ...fees } = feeFields(tx, payment.kind);
  return {
    from: account.address,
    fromKeyUri: account.keyUri,
    to: payee,
    amount: formatAmount(value),
    contract: tx.to ?? profile.contracts.currency,
    chainId: tx.chainId ?? profile.chainId,
    ...fees,
    fee: { maxWei: maxFeeWei, currency: 'native' as const },
    availableAfter: availableAfter(store, state, value),
  };
}

/** A call's function and named arguments, decoded from its calldata with the contract's ABI. */
function decodeCall(profile: ChainProfile, to: Address, data: Hex) {
  const abi: Abi =
    to.toLowerCase() === profile.contracts.notes.toLowerCase() ? notesAbi : currencyAbi;
  const { functionName, args = [] } = decodeFunctionData({ abi, data });
  const item = getAbiItem({ abi, name: functionName, args: args as unknown[] });
  const inputs = item && 'inputs' in item ? item.inputs : [];
  return {
    function: functionName,
    args: Object.fromEntries(
      args.map((value, i) => [inputs[i]?.name || `arg${i}`, text(value)] as const),
    ),
  };
}

/** JSON text of a decoded value: bigints as decimal, structs as objects. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function previewCalls(
  store: Store,
  profile: ChainProfile,
  account: Account,
  calls: Call[],
): { transactions: ReturnType<typeof describe>[]; state: AccountState } {
  const state = syncedState(store, profile.chainId, account.address);
  const describe = (call: Call, i: number) => {
    const tx = planTransaction(store, profile, state, call, i);
    return {
      kind: call.kind,
      contract: tx.to ?? call.to,
      ...decodeCall(profile, call.to, tx.data ?? '0x'),
      ...feeFields(tx, call.kind),
    };
  };
  return { transactions: calls.map(describe), state };
}

export async function previewNote(context: NoteContext, operation: NoteOperation) {
  const { store, profile } = context;
  const planned = await planNoteOperation(context, operation);
  const base = {
    op: operation.op,
    from: planned.account.address,
    fromKeyUri: planned.account.keyUri,
    chainId: profile.chainId,
    note: planned.note ? noteFactsView(planned.note, profile.contracts.currency) : null,
  };
  if (planned.kind === 'typed-data') {
    const { domain, message, primaryType } = planned.typedData;
    return {
      ...base,
      transactions: [],
      typedData: {
        primaryType,
        domain: textValues(domain),
        message: textValues(message),
      },
      availableAfter: null,
    };
  }
  const { transactions, state } = previewCalls(store, profile, planned.account, planned.calls);
  const spends = planned.calls.reduce((sum, call) => sum + call.amount, 0n);
  return {
    ...base,
    transactions,
    typedData: null,
    availableAfter: spends > 0n ? availableAfter(store, state, spends) : null,
  };
}
