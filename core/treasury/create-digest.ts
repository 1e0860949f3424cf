/**
 * The review digest of a treasury's creation: one keccak-256 over what decides
 * which Safe comes to exist and who pays for it: the chain, the proxy factory
 * called, the deployment calldata (singleton, owners, threshold, fallback
 * handler, salt nonce), the address CREATE2 gives it and the account that
 * sends the deployment. `treasury.predict` shows a creation and hands out this
 * digest; `treasury.create` computes it again and, from the UI, creates
 * nothing unless the two agree (core/app/signing-plan.ts requireReviewed), so
 * a page cannot get another treasury created than the one shown.
 *
 * Fees and the sender's nonce are left out on purpose: predicting works with
 * no node and no sync, and neither changes which treasury is created.
 * ABI-encoded under a tag of its own, so it can never equal a transaction
 * review's digest (core/wallet/review-digest.ts).
 */
import { type Address, encodeAbiParameters, type Hex, keccak256 } from 'viem';
import type { SafeDeployment } from '../chain/safe.js';

const TAG = 'signet-treasury-create-1';

const layout = [
  { name: 'tag', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'factory', type: 'address' },
  { name: 'data', type: 'bytes' },
  { name: 'treasury', type: 'address' },
  { name: 'sender', type: 'address' },
] as const;

export function createDigest(
  chainId: number,
  sender: Address,
  deployment: Pick<SafeDeployment, 'factory' | 'data' | 'address'>,
): Hex {
  return keccak256(
    encodeAbiParameters(layout, [
      TAG,
      BigInt(chainId),
      deployment.factory,
      deployment.data,
      deployment.address,
      sender,
    ]),
  );
}
