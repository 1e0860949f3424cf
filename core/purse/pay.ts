/**
 * Paying offline: the purse key signs the next voucher, and the counter moves
 * on the token as well as on this computer, in this order (issue 13 §1):
 *
 *   1. the host writes the voucher as an intent row (SQLite);
 *   2. the token's counter object must hold exactly what the host last wrote
 *      (counter, total, last hash, not locked), and is moved to the new voucher;
 *   3. the purse key signs the voucher's hash;
 *   4. the host marks the intent paid and moves its own counter.
 *
 * Any disagreement in 2 (a host store restored from a backup, a second
 * computer using the token) is PURSE_STATE_MISMATCH: nothing is signed, and the
 * purse is marked on the host and locked on the token, so it pays offline no
 * more (an online new epoch does). A crash between 2 and 4 leaves the intent:
 * the next pay finds the token at the intent's counter and hash, and signs that
 * same voucher (same hash) before anything new.
 *
 * Two processes paying from one purse at once: the intent row is claimed
 * under a unique index on paid vouchers' (chain, purse, counter) before the
 * token is touched, so only one takes a counter; the other is DEVICE_BUSY and
 * signs nothing (and leaves alone an intent a live process claimed).
 */
import type { Address, Hex } from 'viem';
import type { PinProvider } from '../../native/pin.js';
import type { ModuleSearch } from '../../native/pkcs11/token-access.js';
import { SignetError } from '../api/errors.js';
import { appendAudit } from '../store/audit-log.js';
import type { Store } from '../store/database.js';
import {
  claimedElsewhere,
  claimIntent,
  completeIntent,
  dropIntent,
  findIntent,
  getPurse,
  markMismatch,
  type PurseRecord,
  type VoucherRecord,
} from './purse-store.js';
import { type PurseToken, type TokenPurseState, withPurseToken } from './purse-token.js';
import { type PurseDomain, type Voucher, voucherHash } from './typed-data.js';

export interface PayContext {
  store: Store;
  search: ModuleSearch;
  pins: PinProvider;
  /** Unix seconds: the payer's clock, which the voucher's issuedAt records. */
  now: bigint;
}

export interface SignedVoucher {
  record: VoucherRecord;
  voucher: Voucher;
  voucherHash: Hex;
  signature: Hex;
}

/** The voucher that paying `amount` to `payee` would sign next; checks the purse's limits. */
export function nextVoucher(
  purse: PurseRecord,
  payee: Address,
  amount: bigint,
  now: bigint,
): Voucher {
  requireCanPay(purse, amount, now);
  return {
    purse: purse.certificate.purse,
    epoch: purse.certificate.epoch,
    payee,
    amount,
    counter: purse.counter + 1,
    cumulative: purse.cumulative + amount,
    prevVoucherHash: purse.lastVoucherHash,
    issuedAt: now,
  };
}

export function requireCanPay(purse: PurseRecord, amount: bigint, now: bigint): void {
  const c = purse.certificate;
  const limit = (message: string, reason: string) =>
    new SignetError('PURSE_LIMIT', message, { details: { reason, purse: c.purse } });
  if (purse.mismatch) {
    throw new SignetError(
      'PURSE_STATE_MISMATCH',
      `purse ${c.purse} disagreed with its token before and pays offline no more; open a new purse online`,
      { details: { purse: c.purse } },
    );
  }
  if (purse.state === 'opening' || purse.state === 'certifying') {
    throw limit(
      `purse ${c.purse} is opened on chain but awaits its operator's certificate; refresh (signet purse status --refresh) to fetch it`,
      'awaiting-certificate',
    );
  }
  if (purse.state !== 'open' || purse.certificateSignature === null)
    throw limit(`purse ${c.purse} is ${purse.state}, not open`, purse.state);
  if (purse.frozen) throw limit(`purse ${c.purse} is frozen`, 'frozen');
  if (now < c.validFrom || now > c.validUntil) {
    throw limit(
      `purse ${c.purse} is valid only from ${c.validFrom} to ${c.validUntil} (now ${now})`,
      'expired',
    );
  }
  if (amount <= 0n) throw limit('a payment must be more than zero', 'bad-amount');
  if (amount > c.cap)
    throw limit(`the purse pays at most ${c.cap} minor units at once`, 'over-cap');
  if (purse.counter >= c.maxCount) {
    throw limit(`purse ${c.purse} has made all of its ${c.maxCount} payments`, 'over-count');
  }
  if (purse.cumulative + amount > c.locked) {
    throw limit(
      `purse ${c.purse} has ${c.locked - purse.cumulative} minor units left, not ${amount}`,
      'over-locked',
    );
  }
}

/**
 * Signs the voucher paying `amount` to `payee` from `purseAddress` (finishing
 * an interrupted one first). Returns the new voucher and any resumed one.
 */
export function payOffline(
  context: PayContext,
  domain: PurseDomain,
  purseAddress: Address,
  payee: Address,
  amount: bigint,
): Promise<{ paid: SignedVoucher; resumed: SignedVoucher | null }> {
  // One payment of a purse at a time in this process: two at once would each
  // expect the token's old counter, and the loser would read as a mismatch.
  const key = `${domain.chainId}:${purseAddress.toLowerCase()}`;
  const previous = inFlight.get(key) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(() => payNow(context, domain, purseAddress, payee, amount));
  const settled = run.catch(() => undefined);
  inFlight.set(key, settled);
  void settled.then(() => {
    if (inFlight.get(key) === settled) inFlight.delete(key);
  });
  return run;
}

const inFlight = new Map<string, Promise<unknown>>();

async function payNow(
  context: PayContext,
  domain: PurseDomain,
  purseAddress: Address,
  payee: Address,
  amount: bigint,
): Promise<{ paid: SignedVoucher; resumed: SignedVoucher | null }> {
  const { store } = context;
  const initial = requirePurse(store, domain.chainId, purseAddress);
  // Limits first, with no token touched (an interrupted voucher is finished below regardless).
  requireCanPay(initial, amount, context.now);
  return withPurseToken(initial.keyUri, context.search, context.pins, async (token) => {
    const resumed = await resumeIntent(context, domain, token, purseAddress);
    const purse = requirePurse(store, domain.chainId, purseAddress);
    const voucher = nextVoucher(purse, payee, amount, context.now);
    const hash = voucherHash(domain, voucher);
    const record: VoucherRecord = {
      chainId: domain.chainId,
      purseContract: domain.verifyingContract,
      voucherHash: hash,
      direction: 'paid',
      voucher,
      signature: null,
      certificate: purse.certificate,
      certificateSignature: purse.certificateSignature!, // certified: requireCanPay checked
      status: 'intent',
      settledTx: null,
      storedAt: store.now().toISOString(),
    };
    claimIntent(store, record); // 1. the intent (DEVICE_BUSY if another process took the counter)
    const { state, raw } = await token.readState(purseAddress);
    if (!agrees(purse, state)) {
      dropIntent(store, domain.chainId, hash);
      return mismatch(store, token, purse, state, raw);
    }
    const moved = await token.writeState(purseAddress, tokenStateOf(domain, voucher, hash), raw); // 2.
    if (!moved) {
      dropIntent(store, domain.chainId, hash);
      const again = await token.readState(purseAddress);
      return mismatch(store, token, purse, again.state, again.raw);
    }
    const signature = await token.signDigest(purse.keyUri, purseAddress, hash); // 3.
    recordSigned(store, purse.keyUri, record, signature); // 4.
    return {
      paid: {
        record: { ...record, signature, status: 'pending' },
        voucher,
        voucherHash: hash,
        signature,
      },
      resumed,
    };
  });
}

/**
 * An intent left by a crash: if the token moved to it, sign that same voucher;
 * if the token never moved, the intent is dropped (nothing was committed).
 */
async function resumeIntent(
  context: PayContext,
  domain: PurseDomain,
  token: PurseToken,
  purseAddress: Address,
): Promise<SignedVoucher | null> {
  const { store } = context;
  const intent = findIntent(store, domain.chainId, purseAddress);
  if (!intent) return null;
  if (claimedElsewhere(intent.claimedBy)) {
    throw new SignetError(
      'DEVICE_BUSY',
      `another process is paying from purse ${purseAddress} (counter ${intent.voucher.counter}); nothing was signed, try again`,
      { details: { purse: purseAddress, counter: intent.voucher.counter } },
    );
  }
  const purse = requirePurse(store, domain.chainId, purseAddress);
  const { state, raw } = await token.readState(purseAddress);
  if (
    state &&
    !state.locked &&
    state.counter === intent.voucher.counter &&
    state.lastVoucherHash === intent.voucherHash &&
    state.cumulative === intent.voucher.cumulative
  ) {
    const signature = await token.signDigest(purse.keyUri, purseAddress, intent.voucherHash);
    recordSigned(store, purse.keyUri, intent, signature);
    return {
      record: { ...intent, signature, status: 'pending' },
      voucher: intent.voucher,
      voucherHash: intent.voucherHash,
      signature,
    };
  }
  dropIntent(store, domain.chainId, intent.voucherHash);
  if (!agrees(purse, state)) return mismatch(store, token, purse, state, raw);
  return null;
}

/** The intent done, and the signature in the audit log, in one store transaction. */
function recordSigned(store: Store, keyUri: string, record: VoucherRecord, signature: Hex): void {
  const v = record.voucher;
  store.transaction(() => {
    completeIntent(store, record, signature);
    appendAudit(store, {
      action: 'sign-voucher',
      keyUri,
      subject: {
        chainId: record.chainId,
        purseContract: record.purseContract,
        purse: v.purse,
        epoch: v.epoch,
        counter: v.counter,
        payee: v.payee,
        amount: v.amount.toString(),
        cumulative: v.cumulative.toString(),
        voucherHash: record.voucherHash,
      },
    });
  });
}

/** The token holds what this computer last wrote, and is not locked. */
function agrees(purse: PurseRecord, state: TokenPurseState | null): boolean {
  if (state === null) return false;
  return (
    !state.locked &&
    state.purse.toLowerCase() === purse.certificate.purse.toLowerCase() &&
    state.epoch === purse.certificate.epoch &&
    state.counter === purse.counter &&
    state.cumulative === purse.cumulative &&
    state.lastVoucherHash === purse.lastVoucherHash.toLowerCase()
  );
}

/** Marks the purse on the host and locks it on the token (keeping its counter), then refuses. */
async function mismatch(
  store: Store,
  token: PurseToken,
  purse: PurseRecord,
  state: TokenPurseState | null,
  raw: Uint8Array | null,
): Promise<never> {
  markMismatch(store, purse.chainId, purse.certificate.purse);
  const locked: TokenPurseState = state
    ? { ...state, locked: true }
    : {
        chainId: purse.chainId,
        purse: purse.certificate.purse,
        epoch: purse.certificate.epoch,
        counter: purse.counter,
        cumulative: purse.cumulative,
        lastVoucherHash: purse.lastVoucherHash,
        locked: true,
      };
  if (!state?.locked) await token.writeState(purse.certificate.purse, locked, raw);
  throw new SignetError(
    'PURSE_STATE_MISMATCH',
    `purse ${purse.certificate.purse}: the token's counter is ${state ? state.counter : 'missing'} and this computer's ${purse.counter}; nothing was signed, and it pays offline no more`,
    {
      details: {
        purse: purse.certificate.purse,
        hostCounter: purse.counter,
        tokenCounter: state?.counter ?? null,
      },
    },
  );
}

export function tokenStateOf(domain: PurseDomain, voucher: Voucher, hash: Hex): TokenPurseState {
  return {
    chainId: domain.chainId,
    purse: voucher.purse,
    epoch: voucher.epoch,
    counter: voucher.counter,
    cumulative: voucher.cumulative,
    lastVoucherHash: hash,
    locked: false,
  };
}

function requirePurse(store: Store, chainId: number, purse: Address): PurseRecord {
  const record = getPurse(store, chainId, purse);
  if (!record) {
    throw new SignetError(
      'PURSE_NOT_FOUND',
      `no purse ${purse} on chain ${chainId} in this wallet`,
      {
        details: { purse, chainId },
      },
    );
  }
  return record;
}
