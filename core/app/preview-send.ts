/**
 * What a payment would be, before the token signs it: the same offline checks
 * and the same transaction plan as Wallet.send, then the calldata decoded back,
 * so the review screen shows what will be signed rather than what was typed.
 * No token, no network, nothing written.
 */
import { type Address, decodeFunctionData } from 'viem';
import { SignetError } from '../api/errors.js';
import type { LedgerProfile } from '../api/profile.js';
import { currencyAbi } from '../ledger/abi.js';
import { formatAmount } from '../ledger/amount.js';
import type { Store } from '../store/database.js';
import { pendingOutgoing } from '../store/outbox.js';
import { checkedPayment } from '../wallet/payment.js';
import { gasBudget, planTransaction } from '../wallet/transaction-plan.js';

export function previewSend(
  store: Store,
  profile: LedgerProfile,
  fromKeyUri: string,
  to: Address,
  amount: bigint,
) {
  // The same checks and call Wallet.send makes.
  const { account, state, call: payment } = checkedPayment(store, profile, fromKeyUri, to, amount);
  const tx = planTransaction(store, profile, state, payment);
  const call = decodeFunctionData({ abi: currencyAbi, data: tx.data ?? '0x' });
  if (call.functionName !== 'transfer') {
    throw new SignetError('INTERNAL', 'the planned payment does not decode as a transfer');
  }
  const [payee, value] = call.args as readonly [Address, bigint];
  const legacy = tx.type === 'legacy';
  const maxFeePerGas = (legacy ? tx.gasPrice : tx.maxFeePerGas) ?? 0n;
  const gasLimit = tx.gas ?? gasBudget.transfer;
  const pending = pendingOutgoing(store, profile.chainId, account.address);
  return {
    from: account.address,
    fromKeyUri: account.keyUri,
    to: payee,
    amount: formatAmount(value),
    contract: tx.to ?? profile.contracts.currency,
    chainId: tx.chainId ?? profile.chainId,
    nonce: tx.nonce ?? 0,
    type: legacy ? ('legacy' as const) : ('eip1559' as const),
    gasLimit: gasLimit.toString(),
    maxFeePerGas: maxFeePerGas.toString(),
    maxPriorityFeePerGas: legacy ? null : (tx.maxPriorityFeePerGas ?? 0n).toString(),
    fee: { maxWei: (gasLimit * maxFeePerGas).toString(), currency: 'native' as const },
    availableAfter: formatAmount(state.balance - pending - value),
  };
}
