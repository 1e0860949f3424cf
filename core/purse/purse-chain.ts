/**
 * The offline purse's online side for a holder: which contract, the
 * operators' certificate keys synced into the store (what receiving checks
 * offline), the purse's and vouchers' state as a quorum of nodes shows it, and
 * the calls Signet signs (approve + open, settle batches, close).
 */
import {
  type Address,
  decodeEventLog,
  encodeEventTopics,
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
import { offlinePurseAbi, purseTerms, voucherRejections } from './abi.js';
import { type Certifier, certificateOf, certifyOpened, type OnChainTerms } from './open.js';
import {
  applyCertificateKeySync,
  certificateKeys,
  keySyncCheckpoint,
  listPurses,
  listVouchers,
  type PurseRecord,
  setChainView,
  setVoucherStatus,
  type VoucherRecord,
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

/** A block's hash and time, as a quorum of nodes reports them (null: no such block). */
async function blockHeader(
  rpc: RpcPool,
  block: number,
): Promise<{ hash: Hex; timestamp: bigint } | null> {
  const header = await rpc.request<{ hash: Hex; timestamp: Hex } | null>(
    'eth_getBlockByNumber',
    [toHex(block), false],
    {
      crossCheck: true,
      atBlock: block,
      compareBy: (value) => {
        const h = value as { hash?: Hex; timestamp?: Hex } | null;
        return h ? [h.hash, h.timestamp] : null;
      },
    },
  );
  return header ? { hash: header.hash, timestamp: BigInt(header.timestamp) } : null;
}

const blockHash = async (rpc: RpcPool, block: number) =>
  (await blockHeader(rpc, block))?.hash ?? null;

/**
 * The certificate keys listed now. Reads only CertificateKeySet events (by
 * topic) after the last synced block; each key they name is asked again at the
 * pinned block (the view is the truth; events find the keys). If the last
 * synced block left the chain (a reorganisation), starts over from the deploy
 * block.
 */
export async function syncCertificateKeys(
  store: Store,
  rpc: RpcPool,
  profile: ChainProfile,
  domain: PurseDomain,
  block: number,
  now: number,
): Promise<Map<Address, Address>> {
  const last = keySyncCheckpoint(store, domain.chainId, domain.verifyingContract);
  const resume =
    last !== null && last.block <= block && (await blockHash(rpc, last.block)) === last.blockHash;
  const fromBlock = resume ? last.block + 1 : profile.deployBlock;
  const named = new Set<Address>();
  if (fromBlock <= block) {
    const logs = await rpc.request<Log[]>(
      'eth_getLogs',
      [
        {
          address: domain.verifyingContract,
          topics: encodeEventTopics({ abi: offlinePurseAbi, eventName: 'CertificateKeySet' }),
          fromBlock: toHex(fromBlock),
          toBlock: toHex(block),
        },
      ],
      { crossCheck: true, atBlock: block },
    );
    for (const log of logs) {
      const event = decodeEventLog({ abi: offlinePurseAbi, data: log.data, topics: log.topics });
      if (event.eventName === 'CertificateKeySet') named.add(getAddress(event.args.key));
    }
  }
  const read = purseReader(rpc, domain, block);
  const changes = new Map<Address, Address | null>();
  for (const key of named) {
    const operator = await read<Address>('certificateKeyOperator', [key]);
    changes.set(key, BigInt(operator) === 0n ? null : getAddress(operator));
  }
  const hash = await blockHash(rpc, block);
  if (hash === null) {
    throw new SignetError('NODE_UNREACHABLE', `no node could give block ${block}'s hash`);
  }
  applyCertificateKeySync(
    store,
    domain.chainId,
    domain.verifyingContract,
    changes,
    { block, blockHash: hash, full: !resume },
    now,
  );
  return certificateKeys(store, domain.chainId, domain.verifyingContract).keys;
}

export interface ChainPurse extends OnChainTerms {
  paid: bigint;
  frozen: boolean;
  closed: boolean;
}

export async function readPurse(
  rpc: RpcPool,
  domain: PurseDomain,
  purse: Address,
  block: number,
): Promise<ChainPurse | null> {
  const state = await purseReader(rpc, domain, block)<ChainPurse>('purseOf', [purse]);
  if (BigInt(state.owner) === 0n) return null;
  return state;
}

export interface RefreshReport {
  block: number;
  settled: number;
  /** Purses opened on chain still awaiting their certificate, and why (one line). */
  awaitingCertificate: Array<{ purse: Address; reason: string }>;
}

/**
 * Reads what the chain shows of this computer's purses and pending vouchers at
 * one pinned block, cross-checked across the nodes, and records it: a voucher
 * counts as settled only then. A purse the chain shows opened and that awaits
 * its certificate asks `certify` for it (when given).
 */
export async function refreshFromChain(
  store: Store,
  rpc: RpcPool,
  profile: ChainProfile,
  domain: PurseDomain,
  now: number,
  certify?: Certifier,
): Promise<RefreshReport> {
  const block = (await rpc.heads()).pinned;
  const keys = await syncCertificateKeys(store, rpc, profile, domain, block, now);
  const read = purseReader(rpc, domain, block);
  const grace = await read<bigint>('grace', []);
  // The chain's own clock decides what can no longer settle.
  const chainNow = (await blockHeader(rpc, block))?.timestamp ?? BigInt(now);
  const awaitingCertificate: RefreshReport['awaitingCertificate'] = [];
  for (const purse of listPurses(store, domain.chainId)) {
    if (purse.state === 'closed') continue;
    const state = await readPurse(rpc, domain, purse.certificate.purse, block);
    if (!state) continue;
    setChainView(store, domain.chainId, purse.certificate.purse, {
      paid: state.paid,
      frozen: state.frozen,
      closed: state.closed,
      closableFrom: Number(state.validUntil + grace),
    });
    if (purse.certificateSignature !== null || state.closed) continue;
    const reason = await tryCertify(store, domain, purse, state, certify, keys);
    if (reason !== null) awaitingCertificate.push({ purse: purse.certificate.purse, reason });
  }
  let settled = 0;
  const pending = listVouchers(store, domain.chainId, { status: ['pending', 'rejected'] });
  const seen = new Set<string>();
  const purses = new Map<string, ChainPurse | null>();
  const waiting: VoucherRecord[] = [];
  for (const row of pending) {
    if (seen.has(row.voucherHash)) continue;
    seen.add(row.voucherHash);
    if (await read<boolean>('isSettled', [row.voucher])) {
      setVoucherStatus(store, domain.chainId, row.voucherHash, 'settled', null);
      settled++;
      continue;
    }
    if (row.status !== 'pending') continue;
    // A closed purse settles nothing more, nor one never opened once its
    // certificate's validity and the grace are over: rejected for good, not
    // counted as income, not submitted again.
    const key = row.voucher.purse.toLowerCase();
    if (!purses.has(key)) purses.set(key, await readPurse(rpc, domain, row.voucher.purse, block));
    const state = purses.get(key);
    const neverOpened = state === null && chainNow > row.certificate.validUntil + grace;
    if (state?.closed || neverOpened) {
      setVoucherStatus(store, domain.chainId, row.voucherHash, 'rejected', null);
    } else {
      waiting.push(row);
    }
  }
  for (const hash of await permanentlyRejected(rpc, profile, domain, block, waiting)) {
    setVoucherStatus(store, domain.chainId, hash, 'rejected', null);
  }
  return { block, settled, awaitingCertificate };
}

/** Certifies one opened purse; the one-line reason it still awaits its certificate, or null. */
async function tryCertify(
  store: Store,
  domain: PurseDomain,
  purse: PurseRecord,
  state: ChainPurse,
  certify: Certifier | undefined,
  keys: ReadonlyMap<Address, Address>,
): Promise<string | null> {
  if (!certify) return 'no operator was asked';
  try {
    const onChain = certificateOf(purse.certificate.purse, state);
    await certifyOpened(store, domain, purse, onChain, certify, keys);
    return null;
  } catch (error) {
    if (!(error instanceof SignetError)) throw error;
    return error.message.split('\n')[0]!;
  }
}

/**
 * VoucherRejected reasons no later settle changes (OfflinePurse.sol's
 * Rejection): closed purse, bad signature, wrong epoch, counter, amount or
 * cumulative, outside the validity, over the purse's certified exposure.
 * Unknown purse, inactive payee and a short guarantee pool may pass later.
 */
export const PERMANENT_REJECTIONS: ReadonlySet<number> = new Set(
  Object.keys(voucherRejections)
    .map(Number)
    .filter((reason) => ![1, 9, 10].includes(reason)),
);

/** The vouchers a quorum of nodes shows rejected by settle for good, up to `block`. */
async function permanentlyRejected(
  rpc: RpcPool,
  profile: ChainProfile,
  domain: PurseDomain,
  block: number,
  rows: readonly VoucherRecord[],
): Promise<Hex[]> {
  const rejected: Hex[] = [];
  const [topic] = encodeEventTopics({ abi: offlinePurseAbi, eventName: 'VoucherRejected' });
  for (let i = 0; i < rows.length; i += 100) {
    const hashes = rows.slice(i, i + 100).map((row) => row.voucherHash.toLowerCase() as Hex);
    const logs = await rpc.request<Log[]>(
      'eth_getLogs',
      [
        {
          address: domain.verifyingContract,
          topics: [topic, null, hashes],
          fromBlock: toHex(profile.deployBlock),
          toBlock: toHex(block),
        },
      ],
      { crossCheck: true, atBlock: block },
    );
    for (const log of logs) {
      const event = decodeEventLog({ abi: offlinePurseAbi, data: log.data, topics: log.topics });
      if (event.eventName !== 'VoucherRejected') continue;
      if (PERMANENT_REJECTIONS.has(Number(event.args.reason)))
        rejected.push(event.args.voucherHash);
    }
  }
  return rejected;
}

/**
 * approve + open(terms): the owner's two transactions that lock the money into
 * the purse (the contract takes the operator from the currency, and refuses
 * terms outside the operator's purse policy).
 */
export function openCalls(
  profile: ChainProfile,
  domain: PurseDomain,
  certificate: PurseCertificate,
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
        // The terms alone: the operator certifies the purse once it is open.
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
