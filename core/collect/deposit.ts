/**
 * Deposits at the collection service: each offline payment is decoded
 * strictly, its purse must be opened on chain with exactly its certificate's
 * terms, it is checked offline (core/purse/verify.ts, for any payee) and stored
 * as pending, or answered duplicate or refused with its reason. A payment
 * that conflicts with one the service holds for the same purse (the same
 * counter, overlapping ranges, the same previous voucher; found by index) is
 * still stored, its payee is owed, and the pair is kept as a fraud proof to
 * submit. Per purse the service keeps at most two vouchers a counter (the
 * honest one and one conflict: enough to prove fraud), so a defrauder's key
 * cannot fill its store. (Per-client rate limits are not here: out of scope.)
 *
 * All chain reads (certificate keys' operators, purses' terms, both cached)
 * happen before anything is stored; the stores happen in one write
 * transaction, so a request either leaves its outcomes in the store or,
 * failing, nothing.
 */
import { type Address, getAddress, type Hex } from 'viem';
import { SignetError } from '../api/errors.js';
import type { DepositOutcome } from '../api/purse-transit.js';
import { certificateDigest } from '../purse/eip712.js';
import { type PaymentWithDomain, paymentFromJson, paymentToJson } from '../purse/payment-file.js';
import type { PurseCertificate, PurseDomain, Voucher } from '../purse/typed-data.js';
import { checkPayment, fraudKind, recoverSigner } from '../purse/verify.js';
import type { Store } from '../store/database.js';
import type { PurseState } from './chain-reads.js';
import {
  conflictCandidates,
  getVoucher,
  heldCounts,
  insertFraud,
  insertVoucher,
} from './collect-store.js';

export interface DepositContext {
  store: Store;
  domain: PurseDomain;
  /** Certificate keys → operator (null: not listed) for the keys asked, read from the chain. */
  lookupKeys(keys: Address[]): Promise<ReadonlyMap<Address, Address | null>>;
  /** Purses → their on-chain state (null: never opened), read from the chain (cached). */
  lookupPurses(purses: Address[]): Promise<ReadonlyMap<Address, PurseState | null>>;
}

/** A refusal that is not the offline checks' (the purse on chain, the service's store). */
function refused(reason: string, message: string, voucherHash?: Hex): DepositOutcome {
  return { status: 'refused', reason, message, ...(voucherHash ? { voucherHash } : {}) };
}

/** Whether the certificate names exactly the purse's on-chain terms. */
function sameTerms(c: PurseCertificate, s: PurseState): boolean {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  return (
    same(c.owner, s.owner) &&
    same(c.operator, s.operator) &&
    c.locked === s.locked &&
    c.cap === s.cap &&
    c.maxCount === s.maxCount &&
    c.validFrom === s.validFrom &&
    c.validUntil === s.validUntil &&
    c.epoch === s.epoch
  );
}

type Parsed = { payment: PaymentWithDomain } | { outcome: DepositOutcome };

function refusedOutcome(error: unknown, voucherHash?: Hex): DepositOutcome {
  if (error instanceof SignetError && error.code === 'VOUCHER_REFUSED') {
    return {
      status: 'refused',
      reason: String(error.details?.reason ?? 'malformed'),
      message: error.message,
      ...(voucherHash ? { voucherHash } : {}),
    };
  }
  throw error;
}

export async function depositPayments(
  context: DepositContext,
  items: readonly unknown[],
): Promise<DepositOutcome[]> {
  const parsed: Parsed[] = items.map((item) => {
    try {
      return { payment: paymentFromJson(item) };
    } catch (error) {
      return { outcome: refusedOutcome(error) };
    }
  });

  // The certificate signers, asked of the chain once per request.
  const signers = new Set<Address>();
  for (const entry of parsed) {
    if (!('payment' in entry)) continue;
    const { certificate, certificateSignature } = entry.payment;
    try {
      const signer = recoverSigner(
        certificateDigest(context.domain, certificate),
        certificateSignature,
      );
      if (signer) signers.add(getAddress(signer));
    } catch {
      // Malformed fields: checkPayment below names the reason.
    }
  }
  const listed = await context.lookupKeys([...signers]);
  const certificateKeys = new Map<Address, Address>();
  for (const [key, operator] of listed) if (operator) certificateKeys.set(key, operator);
  const purses = await context.lookupPurses(
    parsed.flatMap((entry) =>
      'payment' in entry ? [getAddress(entry.payment.voucher.purse)] : [],
    ),
  );

  const { store, domain } = context;
  return store.transaction(() =>
    parsed.map((entry) => {
      if (!('payment' in entry)) return entry.outcome;
      const { payment } = entry;
      const { voucher } = payment;
      let voucherHash: Hex;
      try {
        // Alone first: valid signatures, limits, range. The service takes any payee,
        // and a voucher after its certificate's end (payees reconnect late): the
        // voucher's issuedAt is still checked against the certificate's window.
        ({ voucherHash } = checkPayment(payment, {
          domain,
          certificateKeys,
          now: voucher.issuedAt,
          payee: null,
          held: [],
          receiveLimit: null,
          pendingTotal: 0n,
        }));
      } catch (error) {
        return refusedOutcome(error);
      }
      if (getVoucher(store, voucherHash)) return { status: 'duplicate', voucherHash };
      const state = purses.get(getAddress(voucher.purse)) ?? null;
      if (!state) {
        return refused(
          'unknown-purse',
          `purse ${voucher.purse} is not opened on chain: nothing backs this payment`,
          voucherHash,
        );
      }
      if (!sameTerms(payment.certificate, state)) {
        return refused(
          'wrong-purse',
          `the certificate does not name purse ${voucher.purse}'s terms on chain`,
          voucherHash,
        );
      }
      const counts = heldCounts(
        store,
        domain.chainId,
        voucher.purse,
        voucher.epoch,
        voucher.counter,
      );
      if (counts.counter >= 2 || counts.purse >= 2 * state.maxCount) {
        return refused(
          'purse-full',
          `the service holds two vouchers at counter ${voucher.counter} of purse ${voucher.purse} already (enough to prove fraud)`,
          voucherHash,
        );
      }

      const conflict = findConflict(store, domain, voucher);
      insertVoucher(store, {
        hash: voucherHash,
        chainId: domain.chainId,
        purseContract: domain.verifyingContract,
        purse: voucher.purse,
        epoch: voucher.epoch,
        counter: voucher.counter,
        payee: voucher.payee,
        amount: voucher.amount,
        payment: paymentToJson(payment),
      });
      if (conflict) {
        insertFraud(store, {
          chainId: domain.chainId,
          purse: voucher.purse,
          epoch: voucher.epoch,
          a: conflict.hash,
          b: voucherHash,
          kind: conflict.kind,
        });
      }
      return { status: 'accepted', voucherHash, fraud: conflict !== null };
    }),
  );
}

/** The first held voucher this one proves fraud with; only index-found candidates are decoded. */
function findConflict(
  store: Store,
  domain: PurseDomain,
  voucher: Voucher,
): { hash: Hex; kind: string } | null {
  const held = conflictCandidates(store, domain.chainId, voucher.purse, voucher.epoch, {
    counter: voucher.counter,
    start: voucher.cumulative - voucher.amount,
    end: voucher.cumulative,
    prevHash: voucher.prevVoucherHash,
  });
  for (const h of held) {
    const other = paymentFromJson(h.payment).voucher;
    const kind = fraudKind(other, voucher, domain);
    if (kind) return { hash: h.hash, kind };
  }
  return null;
}
