/**
 * A cancel proposal, as Safe{Wallet} makes one: at the nonce of a proposal that
 * will not be executed, a call that does nothing (no value, no data, to the
 * Safe itself). Executing it uses the nonce up, so the rejected proposal can
 * never execute and the proposals after it are no longer held up.
 */
import { type Address, isAddressEqual } from 'viem';
import { type SafeTx, safeCall } from '../chain/safe.js';

export function cancelTx(safe: Address, nonce: bigint): SafeTx {
  return safeCall({ to: safe, data: '0x' }, nonce);
}

/** Whether `tx` is a cancel of `safe`'s proposal at its nonce: moves nothing, calls nothing. */
export function isCancelTx(safe: Address, tx: SafeTx): boolean {
  return (
    isAddressEqual(tx.to, safe) &&
    tx.value === 0n &&
    tx.data === '0x' &&
    tx.operation === 0 &&
    tx.gasPrice === 0n
  );
}
