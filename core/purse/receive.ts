/**
 * Receiving offline: the payee checks an offline payment with no network
 * (core/purse/verify.ts: the operator's certificate against the certificate
 * keys last synced, the voucher, the purse's limits, its own clock, its
 * receive limit, and every voucher of that purse it already holds), and keeps
 * it as pending offline income only when every check passes. A refusal is
 * VOUCHER_REFUSED with its reason and stores nothing.
 */
import { type Address, getAddress } from 'viem';
import { SignetError } from '../api/errors.js';
import type { Store } from '../store/database.js';
import {
  addVoucher,
  certificateKeys,
  getVoucher,
  heldVouchers,
  pendingIncome,
  type VoucherRecord,
} from './purse-store.js';
import { type PurseDomain, voucherHash } from './typed-data.js';
import { checkPayment, type OfflinePayment } from './verify.js';

/** Pending offline income a payee accepts unless configured otherwise: 500.00. */
export const DEFAULT_RECEIVE_LIMIT = 500_00n;

export interface ReceiveOptions {
  store: Store;
  domain: PurseDomain;
  /** The wallet's own accounts: a voucher must pay one of them. */
  ownAccounts: readonly Address[];
  /** Unix seconds, the payee's own clock. */
  now: bigint;
  receiveLimit: bigint | null;
}

export function receivePayment(
  payment: OfflinePayment,
  options: ReceiveOptions,
): { record: VoucherRecord; alreadyHeld: boolean } {
  const { store, domain } = options;
  const { keys, syncedAt } = certificateKeys(store, domain.chainId, domain.verifyingContract);
  if (syncedAt === null) {
    throw new SignetError(
      'VOUCHER_REFUSED',
      "this wallet has never synced the operators' certificate keys; run `signet purse status --refresh` once while online",
      { details: { reason: 'unknown-operator' } },
    );
  }
  const payee = getAddress(payment.voucher.payee);
  const own = options.ownAccounts.map((a) => getAddress(a));
  const mine = own.includes(payee);
  const held = heldVouchers(store, domain.chainId, payment.voucher.purse);
  const context = (heldNow: typeof held) => ({
    domain,
    certificateKeys: keys,
    now: options.now,
    // Not ours: checked against an account of ours, so refused as not-payee.
    payee: mine ? payee : (own[0] ?? '0x0000000000000000000000000000000000000001'),
    held: heldNow,
    receiveLimit: options.receiveLimit,
    pendingTotal: pendingIncome(store, domain.chainId, mine ? [payee] : own),
  });
  let checked: { voucherHash: `0x${string}` };
  try {
    checked = checkPayment(payment, context(held));
  } catch (error) {
    if (!(error instanceof SignetError && error.details?.reason === 'already-held')) throw error;
    const hash = error.details.voucherHash as `0x${string}`;
    const received = getVoucher(store, domain.chainId, hash, 'received');
    if (received) return { record: received, alreadyHeld: true };
    // Held only as a voucher this wallet paid (to one of its own accounts): checked as income too.
    const others = held.filter((v) => voucherHash(domain, v) !== hash);
    checked = checkPayment(payment, context(others));
  }
  const record: VoucherRecord = {
    chainId: domain.chainId,
    purseContract: domain.verifyingContract,
    voucherHash: checked.voucherHash,
    direction: 'received',
    voucher: payment.voucher,
    signature: payment.voucherSignature,
    certificate: payment.certificate,
    certificateSignature: payment.certificateSignature,
    status: 'pending',
    settledTx: null,
    storedAt: store.now().toISOString(),
  };
  store.transaction(() => {
    // Held already as our own paid voucher (paying ourselves): kept once per direction.
    if (!getVoucher(store, domain.chainId, checked.voucherHash, 'received'))
      addVoucher(store, record);
  });
  return { record, alreadyHeld: false };
}
