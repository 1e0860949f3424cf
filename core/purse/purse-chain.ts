/**
 * The offline purse's online side for a holder: which contract, the
 * operators' certificate keys synced into the store (what receiving checks
 * offline), the purse's and vouchers' state as a quorum of nodes shows it, and
 * the calls Signet signs (approve + open, settle batches, close).
 */
import {
  type Address,
  decodeEventLog,
  encodeFunctionData,
  getAddress,
  type Hex,
  type Log,
  toHex,
} from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi } from '../chain/abi.js';
import { readAtBlock } from '../chain/read-at-block.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import type { Store } from '../store/database.js';
import type { Call } from '../wallet/transaction-plan.js';
import { offlinePurseAbi, purseTerms } from './abi.js';
import {
  listPurses,
  listVouchers,
  type PurseRecord,
  replaceCertificateKeys,
  setChainView,
  setVoucherStatus,
} from './purse-store.js';
import type { PurseCertificate, PurseDomain, Voucher } from './typed-data.js';

/** The purse contract of the profile's chain, or PURSE_NOT_FOUND when it has none. */
export function purseDomainOf(profile: ChainProfile): PurseDomain {
  const contract = profile.contracts.offlinePurse;
  if (!contract) {
    throw new SignetError(
      'PURSE_NOT_FOUND',
      `ledger "${profile.name}" has no offline purse contract (contracts.offlinePurse)`,
    );
  }
  return { chainId: profile.chainId, verifyingContract: getAddress(contract) };
}

/** A view of the purse contract at one block, answered alike by every node (cross-checked). */
export function purseReader(rpc: RpcPool, domain: PurseDomain, block: number) {
  return <T>(functionName: string, args: readonly unknown[]) =>
    readAtBlock<T>(
      rpc,
      { to: domain.verifyingContract, abi: offlinePurseAbi, functionName, args },
      block,
      true,
    );
}

/**
 * The certificate keys listed now: every key a CertificateKeySet event named,
 * asked again at the pinned block (the view is the truth; events find the keys).
 */
export async function syncCertificateKeys(
  store: Store,
  rpc: RpcPool,
  profile: ChainProfile,
  domain: PurseDomain,
  block: number,
  now: number,
): Promise<Map<Address, Address>> {
  const logs = await rpc.request<Log[]>(
    'eth_getLogs',
    [
      {
        address: domain.verifyingContract,
        fromBlock: toHex(profile.deployBlock),
        toBlock: toHex(block),
      },
    ],
    { crossCheck: true, atBlock: block },
  );
  const named = new Set<Address>();
  for (const log of logs) {
    try {
      const event = decodeEventLog({ abi: offlinePurseAbi, data: log.data, topics: log.topics });
      if (event.eventName === 'CertificateKeySet') named.add(getAddress(event.args.key));
    } catch {
      // Another event of the contract.
    }
  }
  const read = purseReader(rpc, domain, block);
  const keys = new Map<Address, Address>();
  for (const key of named) {
    const operator = await read<Address>('certificateKeyOperator', [key]);
    if (BigInt(operator) !== 0n) keys.set(key, getAddress(operator));
  }
  replaceCertificateKeys(store, domain.chainId, domain.verifyingContract, keys, now);
  return keys;
}

export interface ChainPurse {
  owner: Address;
  paid: bigint;
  frozen: boolean;
  closed: boolean;
  validUntil: bigint;
}

export async function readPurse(
  rpc: RpcPool,
  domain: PurseDomain,
  purse: Address,
  block: number,
): Promise<ChainPurse | null> {
  const state = await purseReader(
    rpc,
    domain,
    block,
  )<{
    owner: Address;
    paid: bigint;
    frozen: boolean;
    closed: boolean;
    validUntil: bigint;
  }>('purseOf', [purse]);
  if (BigInt(state.owner) === 0n) return null;
  return state;
}

/**
 * Reads what the chain shows of this computer's purses and pending vouchers at
 * one pinned block, cross-checked across the nodes, and records it: a voucher
 * counts as settled only then.
 */
export async function refreshFromChain(
  store: Store,
  rpc: RpcPool,
  profile: ChainProfile,
  domain: PurseDomain,
  now: number,
): Promise<{ block: number; settled: number }> {
  const block = (await rpc.heads()).pinned;
  await syncCertificateKeys(store, rpc, profile, domain, block, now);
  const read = purseReader(rpc, domain, block);
  const grace = await read<bigint>('grace', []);
  for (const purse of listPurses(store, domain.chainId)) {
    const state = await readPurse(rpc, domain, purse.certificate.purse, block);
    if (!state) continue;
    setChainView(store, domain.chainId, purse.certificate.purse, {
      paid: state.paid,
      frozen: state.frozen,
      closed: state.closed,
      closableFrom: Number(state.validUntil + grace),
    });
  }
  let settled = 0;
  const pending = listVouchers(store, domain.chainId, { status: ['pending', 'rejected'] });
  const seen = new Set<string>();
  const purses = new Map<string, ChainPurse | null>();
  for (const row of pending) {
    if (seen.has(row.voucherHash)) continue;
    seen.add(row.voucherHash);
    if (await read<boolean>('isSettled', [row.voucher])) {
      setVoucherStatus(store, domain.chainId, row.voucherHash, 'settled', null);
      settled++;
      continue;
    }
    // A closed purse settles nothing more: its unsettled vouchers are rejected for good,
    // and not submitted again.
    const key = row.voucher.purse.toLowerCase();
    if (!purses.has(key)) purses.set(key, await readPurse(rpc, domain, row.voucher.purse, block));
    if (purses.get(key)?.closed && row.status === 'pending') {
      setVoucherStatus(store, domain.chainId, row.voucherHash, 'rejected', null);
    }
  }
  return { block, settled };
}

/** approve + open: the owner's two transactions that lock the money into the purse. */
export function openCalls(
  profile: ChainProfile,
  domain: PurseDomain,
  certificate: PurseCertificate,
  _signature: Hex, // unused since FIX-13 (open takes terms); fix-core reshapes this flow
): Call[] {
  return [
    {
      to: profile.contracts.currency,
      data: encodeFunctionData({
        abi: currencyAbi,
        functionName: 'approve',
        args: [domain.verifyingContract, certificate.locked],
      }),
      kind: 'approve',
      summary: {
        spender: domain.verifyingContract,
        amount: certificate.locked.toString(),
        purse: certificate.purse,
      },
      asset: 'currency',
      amount: 0n,
    },
    {
      to: domain.verifyingContract,
      data: encodeFunctionData({
        abi: offlinePurseAbi,
        functionName: 'open',
        // FIX-13: open takes the terms alone; the certificate is signed after the open (fix-core).
        args: [purseTerms(certificate)],
      }),
      kind: 'purse-open',
      summary: {
        purse: certificate.purse,
        epoch: certificate.epoch,
        locked: certificate.locked.toString(),
      },
      asset: 'currency',
      amount: certificate.locked,
    },
  ];
}

/** Vouchers per settle transaction: well inside the block gas limit. */
export const SETTLE_BATCH = 40;
const SETTLE_GAS_BASE = 120_000n;
const SETTLE_GAS_PER_VOUCHER = 90_000n;

export function settleCalls(
  domain: PurseDomain,
  vouchers: ReadonlyArray<{ voucher: Voucher; signature: Hex }>,
): Call[] {
  const calls: Call[] = [];
  for (let i = 0; i < vouchers.length; i += SETTLE_BATCH) {
    const batch = vouchers.slice(i, i + SETTLE_BATCH);
    calls.push({
      to: domain.verifyingContract,
      data: encodeFunctionData({
        abi: offlinePurseAbi,
        functionName: 'settle',
        args: [batch.map((b) => b.voucher), batch.map((b) => b.signature)],
      }),
      kind: 'purse-settle',
      summary: { vouchers: batch.length },
      asset: 'currency',
      amount: 0n,
      gas: SETTLE_GAS_BASE + SETTLE_GAS_PER_VOUCHER * BigInt(batch.length),
    });
  }
  return calls;
}

export function closeCall(domain: PurseDomain, purse: PurseRecord): Call {
  return {
    to: domain.verifyingContract,
    data: encodeFunctionData({
      abi: offlinePurseAbi,
      functionName: 'close',
      args: [purse.certificate.purse],
    }),
    kind: 'purse-close',
    summary: { purse: purse.certificate.purse },
    asset: 'currency',
    amount: 0n,
  };
}
