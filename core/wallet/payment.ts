/**
 * A currency payment as Signet checks and builds it offline. Sending it and
 * previewing it for the review screen both start here, so what the user
 * reviews is exactly what the token will be asked to sign.
 */
import { type Address, encodeFunctionData, prepareEncodeFunctionData } from 'viem';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi } from '../chain/abi.js';
import type { Store } from '../store/database.js';
import { activeSender, requireFunds } from './offline-checks.js';

/** transfer(address,uint256), its selector hashed once (a payroll encodes it a thousand times). */
const transfer = prepareEncodeFunctionData({ abi: currencyAbi, functionName: 'transfer' });

export function paymentCall(profile: ChainProfile, to: Address, amount: bigint) {
  return {
    to: profile.contracts.currency,
    data: encodeFunctionData({ ...transfer, args: [to, amount] }),
    kind: 'transfer' as const,
    summary: { to, amount: amount.toString() },
    asset: 'currency' as const,
    amount,
  };
}

/** The sender's checks (synced, registered, not frozen, funds after pending), then the call. */
export function checkedPayment(
  store: Store,
  profile: ChainProfile,
  fromKeyUri: string,
  to: Address,
  amount: bigint,
) {
  const { account, state } = activeSender(store, profile.chainId, fromKeyUri);
  requireFunds(store, state, amount);
  return { account, state, call: paymentCall(profile, to, amount) };
}
