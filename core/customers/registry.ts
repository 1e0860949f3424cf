/**
 * The currency's account registry as an operator bank sees it, read through
 * the app's node pool at one block (the nodes' pinned head), every answer
 * cross-checked across the nodes like a sync's (core/sync/refresh-state.ts):
 * one lying node decides neither whether a key is an operator nor whether an
 * account is registered. And the rules DigitalCurrency applies to the
 * operator's calls (registerAccount, freeze, unfreeze), checked before the
 * token signs, so a refusal is one line and costs no gas.
 */
import {
  type Address,
  encodeEventTopics,
  getAddress,
  type Hex,
  isAddressEqual,
  keccak256,
  stringToBytes,
  zeroAddress,
} from 'viem';
import type { CustomerAction } from '../api/customers.js';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi } from '../chain/abi.js';
import { readAtBlock } from '../chain/read-at-block.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import { AdaptiveLogFetcher, type RawLog } from '../sync/fetch-logs.js';

/** DigitalCurrency.OPERATOR_ROLE: a constant of the contract, keccak256("OPERATOR_ROLE"). */
export const OPERATOR_ROLE = keccak256(stringToBytes('OPERATOR_ROLE'));

export interface Standing {
  block: number;
  account: Address;
  registered: boolean;
  frozen: boolean;
  /** The operator that registered it; null when none did (an operator, the central bank, unknown). */
  operator: Address | null;
  isOperator: boolean;
  balance: bigint;
}

/** The head every node near the quorum has: where all of one operation's reads pin. */
export async function pinnedBlock(rpc: RpcPool): Promise<number> {
  return (await rpc.heads()).pinned;
}

function reader(rpc: RpcPool, profile: ChainProfile, block: number) {
  return <T>(functionName: string, args: readonly unknown[]) =>
    readAtBlock<T>(
      rpc,
      { to: profile.contracts.currency, abi: currencyAbi, functionName, args },
      block,
      true,
    );
}

export async function readStanding(
  rpc: RpcPool,
  profile: ChainProfile,
  account: Address,
  block: number,
): Promise<Standing> {
  const read = reader(rpc, profile, block);
  const [registered, frozen, operator, isOperator, balance] = await Promise.all([
    read<boolean>('isRegistered', [account]),
    read<boolean>('isFrozen', [account]),
    read<Address>('operatorOf', [account]),
    read<boolean>('hasRole', [OPERATOR_ROLE, account]),
    read<bigint>('balanceOf', [account]),
  ]);
  return {
    block,
    account,
    registered,
    frozen,
    operator: isAddressEqual(operator, zeroAddress) ? null : getAddress(operator),
    isOperator,
    balance,
  };
}

/**
 * The customer reference hash `account`'s registration recorded (the
 * AccountRegistered event: the contract keeps no getter for it), from the
 * profile's deploy block to `block`, cross-checked; null if it was never
 * registered as a customer. Registered once only (AlreadyRegistered), so
 * there is at most one.
 */
export async function registeredCustomerRef(
  rpc: RpcPool,
  profile: ChainProfile,
  account: Address,
  block: number,
): Promise<Hex | null> {
  const topics = encodeEventTopics({
    abi: currencyAbi,
    eventName: 'AccountRegistered',
    args: { account },
  }) as Hex[];
  // What every implementation reports alike (Hardhat and anvil add fields of their own).
  const compareBy = (logs: unknown) =>
    (logs as RawLog[]).map((l) => [l.blockHash, l.logIndex, l.topics, l.data]);
  const fetcher = new AdaptiveLogFetcher({
    request: <T>(method: string, params: unknown[]) =>
      rpc.request<T>(method, params, { crossCheck: true, atBlock: block, compareBy }),
  });
  let ref: Hex | null = null;
  await fetcher.fetch(
    profile.deployBlock,
    block,
    [{ address: [profile.contracts.currency], topics }],
    (logs) => {
      const last = logs.at(-1);
      if (last) ref = last.data.toLowerCase() as Hex;
    },
  );
  return ref;
}

/** Is the operator's address an operator of the currency? One line saying so if not. */
export async function requireOperator(
  rpc: RpcPool,
  profile: ChainProfile,
  operator: { address: Address; keyUri: string },
  block: number,
): Promise<void> {
  const isOperator = await reader(
    rpc,
    profile,
    block,
  )<boolean>('hasRole', [OPERATOR_ROLE, operator.address]);
  if (!isOperator) {
    throw new SignetError(
      'NOT_OPERATOR',
      `the key ${operator.keyUri} (${operator.address}) is not an operator of the currency on chain ${profile.chainId}`,
      { details: { field: 'operator', operator: operator.address, chainId: profile.chainId } },
    );
  }
}

/**
 * The contract's rules for `action` by `operator` on an account standing as
 * `standing`, as one-line refusals: register once only; freeze and unfreeze
 * only a customer of this operator (onlyAccountOperator), an unfreeze only a
 * frozen account; a freeze of a frozen one does nothing, so it is refused too.
 */
export function requireActionAllowed(
  action: CustomerAction,
  operator: Address,
  standing: Standing,
): void {
  const { account } = standing;
  if (action === 'register') {
    if (standing.registered) {
      const by = standing.operator
        ? `by operator ${standing.operator}`
        : standing.isOperator
          ? 'as an operator bank'
          : 'as the central bank';
      throw new SignetError(
        'ALREADY_REGISTERED',
        `account ${account} is registered already (${by})`,
        {
          details: { field: 'account', account, operator: standing.operator },
        },
      );
    }
    return;
  }
  if (!standing.operator) {
    throw new SignetError(
      standing.registered ? 'NOT_ACCOUNT_OPERATOR' : 'NOT_REGISTERED',
      standing.registered
        ? `account ${account} is an operator bank or the central bank, not a customer: no operator ${action}s it`
        : `account ${account} is not a customer of any operator bank: there is nothing to ${action}`,
      { details: { field: 'account', account } },
    );
  }
  if (!isAddressEqual(standing.operator, operator)) {
    throw new SignetError(
      'NOT_ACCOUNT_OPERATOR',
      `account ${account} is a customer of operator ${standing.operator}, not of ${operator}: only its own operator may ${action} it`,
      { details: { field: 'account', account, operator: standing.operator } },
    );
  }
  if (action === 'freeze' && standing.frozen) {
    throw new SignetError('ACCOUNT_FROZEN', `account ${account} is frozen already`, {
      details: { field: 'account', account, reason: 'frozen-already' },
    });
  }
  if (action === 'unfreeze' && !standing.frozen) {
    throw new SignetError('INVALID_ARGUMENT', `account ${account} is not frozen`, {
      details: { field: 'account', account, reason: 'not-frozen' },
    });
  }
}
