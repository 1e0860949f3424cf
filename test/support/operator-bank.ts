/**
 * An operator bank for tests: the dev central bank (ledger/deploy.ts devKeys,
 * a well-known test key that exists only on dev chains) grants OPERATOR_ROLE
 * to an address, here one whose key is on a SoftHSM2 token, and gives it gas
 * money. Through viem, as the central bank would; Signet has no command for it
 * (appointing operators is the central bank's, not a wallet's).
 */
import { type Address, parseAbi, parseEther } from 'viem';
import { OPERATOR_ROLE } from '../../core/customers/registry.js';
import { confirmed, devKeys } from '../../ledger/deploy.js';
import type { DevChainHandle } from './dev-chain.js';

const roleAbi = parseAbi([
  'function grantRole(bytes32 role, address account)',
  'function revokeRole(bytes32 role, address account)',
]);

async function setRole(
  ledger: DevChainHandle,
  functionName: 'grantRole' | 'revokeRole',
  account: Address,
): Promise<void> {
  const centralBank = ledger.wallet(devKeys.centralBank);
  const hash = await centralBank.writeContract({
    address: ledger.profile.contracts.currency,
    abi: roleAbi,
    functionName,
    args: [OPERATOR_ROLE, account],
  });
  await confirmed(ledger.publicClient, hash);
}

/** Appoints `account` an operator bank of the dev ledger's currency, with 10 ETH for gas. */
export async function grantOperator(ledger: DevChainHandle, account: Address): Promise<void> {
  await ledger.setBalance(account, parseEther('10'));
  await setRole(ledger, 'grantRole', account);
}

/** Ends `account`'s powers as an operator bank. */
export function revokeOperator(ledger: DevChainHandle, account: Address): Promise<void> {
  return setRole(ledger, 'revokeRole', account);
}
