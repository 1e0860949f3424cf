/**
 * The offline purse's handlers (core/api/purse.ts), behind `signet purse` and
 * the Offline cash screen. The work is core/purse's: pay.ts (the counter on
 * the token), receive.ts (the offline checks), purse-chain.ts (what the chain
 * shows, the calls), open.ts and certify.ts (the certificate). Transactions go
 * through the wallet's outbox like every other; vouchers never touch the
 * network until settled.
 */
import { type Address, getAddress, type Hex, keccak256, stringToBytes } from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import type { PurseStateName } from '../api/purse.js';
import { MAX_PURSE_QR_PARTS } from '../api/purse.js';
import { currencyAbi } from '../chain/abi.js';
import { parseAddress } from '../chain/address.js';
import { formatAmount, parseAmount } from '../chain/amount.js';
import { readAtBlock } from '../chain/read-at-block.js';
import { readConfig } from '../config/config.js';
import { devCertifier, serviceCertifier } from '../purse/certify.js';
import { type Certifier, createPurse } from '../purse/open.js';
import { nextVoucher, payOffline } from '../purse/pay.js';
import {
  decodePaymentFile,
  decodePaymentRequest,
  encodePaymentFile,
  encodePaymentRequest,
  type PaymentRequest,
  type PaymentWithDomain,
} from '../purse/payment-file.js';
import {
  PaymentQrDecoder,
  type PaymentQrEncoder,
  paymentQrEncoder,
  paymentRequestQrEncoder,
} from '../purse/payment-qr.js';
import {
  closeCall,
  openCalls,
  purseDomainOf,
  purseReader,
  type RefreshReport,
  refreshFromChain,
  settleCalls,
} from '../purse/purse-chain.js';
import {
  certificateKeys,
  getPurse,
  listPurses,
  listVouchers,
  type PurseRecord,
  pendingIncome,
  removePurse,
  type VoucherRecord,
} from '../purse/purse-store.js';
import { DEFAULT_RECEIVE_LIMIT, receivePayment } from '../purse/receive.js';
import type { PurseDomain } from '../purse/typed-data.js';
import { type Account, listAccounts } from '../store/accounts.js';
import { getAccountState } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { listOutbox } from '../store/outbox.js';
import { findAccount } from '../wallet/find-account.js';
import { requireActive, requireFunds, syncedState } from '../wallet/offline-checks.js';
import type { AppContext } from './app-context.js';
import type { Handlers } from './dispatcher.js';
import { requireReviewed } from './signing-plan.js';
import type { SyncDriver } from './sync-driver.js';

type PurseMethod =
  | 'purse.status'
  | 'purse.open'
  | 'purse.request'
  | 'purse.payPreview'
  | 'purse.pay'
  | 'purse.receive'
  | 'purse.settle'
  | 'purse.close';

type TransitInput = { text: string } | { parts: string[] };

const unixNow = () => BigInt(Math.floor(Date.now() / 1000));

export function purseHandlers(context: AppContext, sync: SyncDriver): Pick<Handlers, PurseMethod> {
  const setup = () => {
    const profile = context.profile();
    return { profile, store: context.store(), domain: purseDomainOf(profile) };
  };

  return {
    'purse.status': async (request) => {
      const { profile, store, domain } = setup();
      if (request.refresh) {
        dropFailedOpens(store, domain.chainId);
        // Also fetches the certificate of a purse opened on chain and awaiting it.
        await refreshFromChain(
          store,
          context.rpc(profile),
          profile,
          domain,
          Number(unixNow()),
          optionalCertifier(context, profile),
        );
      }
      const account = request.account ? parseAddress(request.account, 'account') : null;
      return {
        ...statusView(store, profile, domain, account),
        receiveLimit: formatAmount(receiveLimit(context)),
      };
    },

    'purse.open': async (request, caller) => {
      const { profile, store, domain } = setup();
      const account = findAccount(store, request.account);
      requireTokenAccount(account);
      const owner = getAddress(account.address);
      const certify = certifierFor(context, profile);
      dropFailedOpens(store, domain.chainId);
      // Opened before and awaiting its certificate (or its open's confirmation):
      // opening again asks for that certificate, and locks no more money.
      const waiting = listPurses(store, domain.chainId, owner).find(
        (p) => p.state === 'opening' || p.state === 'certifying',
      );
      if (waiting) {
        const report = await refreshFromChain(
          store,
          context.rpc(profile),
          profile,
          domain,
          Number(unixNow()),
          certify,
        );
        return openResult(store, domain, waiting.certificate.purse, report, {
          transactions: [],
          sync: null,
        });
      }
      // Offline first, before any node, token or service is asked: synced, active, funded.
      const state = syncedState(store, profile.chainId, owner);
      requireActive(state);
      requireFunds(store, state, parseAmount(request.locked));
      const rpc = context.rpc(profile);
      const block = (await rpc.heads()).pinned;
      const epoch = Number(await purseReader(rpc, domain, block)<number>('epochOf', [owner]));
      const operator = await readAtBlock<Address>(
        rpc,
        {
          to: profile.contracts.currency,
          abi: currencyAbi,
          functionName: 'operatorOf',
          args: [owner],
        },
        block,
        true,
      );
      if (BigInt(operator) === 0n) {
        throw new SignetError(
          'NOT_ACCOUNT_OPERATOR',
          `account ${owner} is no operator's registered customer: no operator certifies its purse`,
        );
      }
      const now = unixNow();
      const terms = {
        owner,
        operator: getAddress(operator),
        epoch,
        locked: parseAmount(request.locked),
        cap: parseAmount(request.cap),
        maxCount: request.maxCount,
        // A minute early, for payees whose clocks run behind; the validity asked in all.
        validFrom: now - 60n,
        validUntil: now - 60n + BigInt(request.validitySeconds),
      };
      // The contract refuses terms outside the operator's purse policy: say so before the token.
      requireWithinPolicy(
        terms,
        await purseReader(rpc, domain, block)<PursePolicy>('pursePolicyOf', [terms.operator]),
      );
      const purse = await createPurse(
        { store, search: context.search(caller), pins: caller.pins },
        domain,
        account.keyUri,
        terms,
      );
      // approve + open(terms) first; the operator certifies the purse once a quorum shows it open.
      let queued: Awaited<ReturnType<ReturnType<AppContext['wallet']>['queue']>>;
      try {
        queued = await context.wallet(profile, caller).queue({
          account,
          calls: openCalls(profile, domain, purse.certificate),
        });
      } catch (error) {
        // Nothing was sent: no purse awaits (its unused key stays on the token).
        removePurse(store, domain.chainId, purse.certificate.purse);
        throw error;
      }
      const signed = await sync.afterSigning(profile, queued);
      const report = await quietRefresh(context, profile, domain, certify);
      return openResult(store, domain, purse.certificate.purse, report, signed);
    },

    'purse.request': async (request) => {
      const { store, domain } = setup();
      const payee = ownAccount(store, request.account);
      const amount = positive(parseAmount(request.amount), 'amount');
      const paymentRequest: PaymentRequest = {
        domain,
        payee,
        amount,
        ...(request.memo ? { memo: request.memo } : {}),
      };
      return {
        chainId: domain.chainId,
        payee,
        amount: formatAmount(amount),
        text: encodePaymentRequest(paymentRequest),
        ...frames(paymentRequestQrEncoder(paymentRequest)),
      };
    },

    'purse.payPreview': async (request) => {
      const { store, domain } = setup();
      const decoded = decodeTransit('request', request.request);
      if (!decoded.complete) return decoded.progress;
      const paymentRequest = sameChain(domain, decoded.value);
      const purse = payingPurse(store, domain, request.account);
      const voucher = nextVoucher(purse, paymentRequest.payee, paymentRequest.amount, unixNow());
      return {
        complete: true as const,
        chainId: domain.chainId,
        payee: paymentRequest.payee,
        amount: formatAmount(paymentRequest.amount),
        memo: paymentRequest.memo ?? null,
        purse: summary({ ...purse, counter: voucher.counter, cumulative: voucher.cumulative }),
        counter: voucher.counter,
        cumulative: formatAmount(voucher.cumulative),
        reviewDigest: payDigest(domain, purse, paymentRequest),
      };
    },

    'purse.pay': async (request, caller) => {
      const { store, domain } = setup();
      const decoded = decodeTransit('request', request.request);
      if (!decoded.complete) {
        throw new SignetError(
          'INVALID_ARGUMENT',
          `the payment request's QR code is incomplete: ${decoded.progress.received} of ${decoded.progress.needed} fragments`,
          { details: { field: 'request' } },
        );
      }
      const paymentRequest = sameChain(domain, decoded.value);
      const purse = payingPurse(store, domain, request.account);
      // The UI signs only the request it showed (purse.payPreview's digest).
      requireReviewed(caller.origin, request.reviewDigest, {
        reviewDigest: payDigest(domain, purse, paymentRequest),
      });
      const { paid } = await payOffline(
        { store, search: context.search(caller), pins: caller.pins, now: unixNow() },
        domain,
        purse.certificate.purse,
        paymentRequest.payee,
        paymentRequest.amount,
      );
      const payment: PaymentWithDomain = {
        domain,
        certificate: purse.certificate,
        certificateSignature: paid.record.certificateSignature,
        voucher: paid.voucher,
        voucherSignature: paid.signature,
      };
      return {
        payment: { text: encodePaymentFile(payment), ...frames(paymentQrEncoder(payment)) },
        voucher: voucherView(paid.record),
        purse: summary(getPurse(store, domain.chainId, purse.certificate.purse)!),
      };
    },

    'purse.receive': async (request) => {
      const { store, domain } = setup();
      const decoded = decodeTransit('payment', request.payment);
      if (!decoded.complete) return decoded.progress;
      const own = listAccounts(store).map((a) => getAddress(a.address));
      const { record, alreadyHeld } = receivePayment(decoded.value, {
        store,
        domain,
        ownAccounts: own,
        now: unixNow(),
        receiveLimit: receiveLimit(context),
      });
      return {
        complete: true as const,
        voucher: voucherView(record),
        alreadyHeld,
        pendingIncome: formatAmount(pendingIncome(store, domain.chainId, own)),
      };
    },

    'purse.settle': async (request, caller) => {
      const { profile, store, domain } = setup();
      if (request.via === 'service') return depositAtService(context, store, domain);
      if (!request.submitter) {
        throw new SignetError(
          'INVALID_ARGUMENT',
          'settling through your own account needs --submitter (its key URI)',
          {
            details: { field: 'submitter' },
          },
        );
      }
      const account = findAccount(store, request.submitter);
      requireTokenAccount(account);
      // What a quorum of nodes shows settled already is marked, not sent again.
      const before = await refreshFromChain(
        store,
        context.rpc(profile),
        profile,
        domain,
        Number(unixNow()),
      );
      const open = unsettled(store, domain.chainId);
      if (open.length === 0) {
        return {
          submitted: 0,
          alreadySettled: before.settled,
          service: null,
          transactions: [],
          sync: null,
        };
      }
      const queued = await context.wallet(profile, caller).queue({
        account,
        calls: settleCalls(
          domain,
          open.map((row) => ({ voucher: row.voucher, signature: row.signature! })),
        ),
      });
      const signed = await sync.afterSigning(profile, queued);
      await quietRefresh(context, profile, domain);
      return { submitted: open.length, alreadySettled: before.settled, service: null, ...signed };
    },

    'purse.close': async (request, caller) => {
      const { profile, store, domain } = setup();
      const address = parseAddress(request.purse, 'purse');
      const purse = getPurse(store, domain.chainId, address);
      if (!purse) {
        throw new SignetError(
          'PURSE_NOT_FOUND',
          `no purse ${address} on chain ${domain.chainId} in this wallet`,
        );
      }
      const account = listAccounts(store).find(
        (a) => getAddress(a.address) === purse.certificate.owner,
      );
      if (!account) {
        throw new SignetError(
          'ACCOUNT_UNKNOWN',
          `the purse's owner ${purse.certificate.owner} is not a wallet account`,
        );
      }
      const rpc = context.rpc(profile);
      await refreshFromChain(store, rpc, profile, domain, Number(unixNow()));
      const now = await rpc.request<{ timestamp: Hex }>('eth_getBlockByNumber', ['latest', false]);
      const seen = getPurse(store, domain.chainId, address)!;
      const limit = (message: string, reason: string) =>
        new SignetError('PURSE_LIMIT', message, { details: { reason, purse: address } });
      if (seen.state === 'closed') throw limit(`purse ${address} is closed already`, 'closed');
      if (seen.frozen)
        throw limit(`purse ${address} is frozen by a fraud proof: it cannot be closed`, 'frozen');
      if (seen.closableFrom === null || BigInt(now.timestamp) < BigInt(seen.closableFrom)) {
        throw limit(
          `purse ${address} can be closed from ${seen.closableFrom ?? 'its opening'} (validity plus the grace for late payees)`,
          'not-thawed',
        );
      }
      const queued = await context
        .wallet(profile, caller)
        .queue({ account, calls: [closeCall(domain, seen)] });
      const signed = await sync.afterSigning(profile, queued);
      await quietRefresh(context, profile, domain);
      return { purse: summary(getPurse(store, domain.chainId, address)!), ...signed };
    },
  };
}

// ---- helpers -----------------------------------------------------------------

function requireTokenAccount(account: Account): void {
  if (account.curve !== 'secp256k1' || !account.keyUri.startsWith('pkcs11:')) {
    throw new SignetError(
      'CURVE_UNSUPPORTED',
      `an offline purse needs a secp256k1 account on a PKCS#11 token; ${account.keyUri} is not one`,
    );
  }
}

function ownAccount(store: Store, text: string): Address {
  const address = parseAddress(text, 'account');
  if (!listAccounts(store).some((a) => getAddress(a.address) === address)) {
    throw new SignetError('ACCOUNT_UNKNOWN', `${address} is not one of this wallet's accounts`, {
      details: { field: 'account' },
    });
  }
  return address;
}

function positive(amount: bigint, field: string): bigint {
  if (amount <= 0n) {
    throw new SignetError('INVALID_ARGUMENT', 'the amount must be more than zero', {
      details: { field },
    });
  }
  return amount;
}

/** Who certifies this wallet's purses: the configured collection service, else a dev ledger's key. */
function optionalCertifier(context: AppContext, profile: ChainProfile): Certifier | undefined {
  const url = readConfig(context.env).purse?.collectionService;
  if (url) return serviceCertifier(url);
  return devCertifier(profile) ?? undefined;
}

function certifierFor(context: AppContext, profile: ChainProfile): Certifier {
  const certify = optionalCertifier(context, profile);
  if (certify) return certify;
  throw new SignetError(
    'INVALID_ARGUMENT',
    'no collection service is configured to certify purses: set "purse": {"collectionService": URL} in config.json',
  );
}

/**
 * A purse whose open transaction failed (reverted, or dropped for good): it
 * never locked anything, so it is not awaited any more and a new open may go.
 */
function dropFailedOpens(store: Store, chainId: number): void {
  const opens = listOutbox(store, chainId).filter((tx) => tx.kind === 'purse-open');
  for (const purse of listPurses(store, chainId).filter((p) => p.state === 'opening')) {
    const mine = opens.filter(
      (tx) => String(tx.summary.purse).toLowerCase() === purse.certificate.purse.toLowerCase(),
    );
    const failed = mine.some((tx) => tx.status === 'failed');
    const alive = mine.some((tx) => tx.status !== 'failed' && tx.status !== 'replaced');
    if (failed && !alive) removePurse(store, chainId, purse.certificate.purse);
  }
}

interface PursePolicy {
  maxLocked: bigint;
  maxCap: bigint;
  maxCount: number;
  maxValidity: bigint;
}

/** The terms within the operator's on-chain purse policy (as OfflinePurse.open checks them). */
function requireWithinPolicy(
  terms: {
    operator: Address;
    locked: bigint;
    cap: bigint;
    maxCount: number;
    validFrom: bigint;
    validUntil: bigint;
  },
  policy: PursePolicy,
): void {
  const outside = (message: string) =>
    new SignetError('PURSE_LIMIT', message, {
      details: { reason: 'outside-policy', operator: terms.operator },
    });
  if (Number(policy.maxCount) === 0) {
    throw outside(`operator ${terms.operator} has set no purse policy: it certifies no purse`);
  }
  if (
    terms.locked > policy.maxLocked ||
    terms.cap > policy.maxCap ||
    terms.maxCount > Number(policy.maxCount) ||
    terms.validUntil - terms.validFrom > policy.maxValidity
  ) {
    throw outside(
      `these terms are outside operator ${terms.operator}'s purse policy: at most ${formatAmount(policy.maxLocked)} locked, ${formatAmount(policy.maxCap)} a payment, ${policy.maxCount} payments and ${policy.maxValidity} seconds`,
    );
  }
}

function receiveLimit(context: AppContext): bigint {
  const text = readConfig(context.env).purse?.receiveLimit;
  return text === undefined ? DEFAULT_RECEIVE_LIMIT : BigInt(text);
}

/** The open purse that pays: the account's (or the wallet's only one). */
function payingPurse(
  store: Store,
  domain: PurseDomain,
  accountText: string | undefined,
): PurseRecord {
  const owner = accountText === undefined ? undefined : parseAddress(accountText, 'account');
  const all = listPurses(store, domain.chainId, owner);
  const purses = all.filter((p) => p.state === 'open' && !p.frozen);
  const usable = purses.filter((p) => !p.mismatch);
  // One opened on chain and not yet certified: pay says so (requireCanPay's one line).
  const awaiting = all.find((p) => p.state === 'opening' || p.state === 'certifying');
  const chosen = usable[0] ?? awaiting ?? purses[0];
  if (!chosen) {
    throw new SignetError(
      'PURSE_NOT_FOUND',
      owner
        ? `account ${owner} has no open purse on chain ${domain.chainId}`
        : `this wallet has no open purse on chain ${domain.chainId}`,
    );
  }
  if (owner === undefined && new Set(usable.map((p) => p.certificate.owner)).size > 1) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      'several accounts have open purses: name the paying account',
      {
        details: { field: 'account' },
      },
    );
  }
  return chosen;
}

function sameChain(domain: PurseDomain, request: PaymentRequest): PaymentRequest {
  if (
    request.domain.chainId !== domain.chainId ||
    getAddress(request.domain.verifyingContract) !== getAddress(domain.verifyingContract)
  ) {
    throw new SignetError(
      'VOUCHER_REFUSED',
      `this payment request is for chain ${request.domain.chainId}, not the selected chain ${domain.chainId}`,
      { details: { reason: 'wrong-chain' } },
    );
  }
  return request;
}

/** What purse.pay will sign, as a digest: the purse, its next counter and hash, the payee, the amount. */
function payDigest(domain: PurseDomain, purse: PurseRecord, request: PaymentRequest): Hex {
  return keccak256(
    stringToBytes(
      JSON.stringify([
        'purse-pay',
        domain.chainId,
        domain.verifyingContract,
        purse.certificate.purse,
        purse.counter + 1,
        purse.lastVoucherHash,
        request.payee,
        request.amount.toString(),
      ]),
    ),
  );
}

type Decoded<T> =
  | { complete: true; value: T }
  | { complete: false; progress: { complete: false; received: number; needed: number } };

function decodeTransit(kind: 'request', input: TransitInput): Decoded<PaymentRequest>;
function decodeTransit(kind: 'payment', input: TransitInput): Decoded<PaymentWithDomain>;
function decodeTransit(
  kind: 'request' | 'payment',
  input: TransitInput,
): Decoded<PaymentRequest | PaymentWithDomain> {
  if ('text' in input) {
    return {
      complete: true,
      value: kind === 'request' ? decodePaymentRequest(input.text) : decodePaymentFile(input.text),
    };
  }
  const decoder = new PaymentQrDecoder(kind);
  for (const part of input.parts) {
    if (decoder.receive(part).complete) break;
  }
  const progress = decoder.progress();
  if (!progress.complete) {
    return {
      complete: false,
      progress: { complete: false, received: progress.received, needed: progress.needed },
    };
  }
  return { complete: true, value: decoder.result() };
}

/** The frames to show: one when it fits, else three times the fragments (fountain mixes), capped. */
function frames(encoder: PaymentQrEncoder) {
  const count = encoder.fragments === 1 ? 1 : Math.min(encoder.fragments * 3, MAX_PURSE_QR_PARTS);
  return {
    parts: Array.from({ length: count }, () => encoder.nextPart()),
    fragments: encoder.fragments,
  };
}

function unsettled(store: Store, chainId: number): VoucherRecord[] {
  const seen = new Set<string>();
  return listVouchers(store, chainId, { status: ['pending'] })
    .filter((row) => row.signature !== null)
    .filter((row) => !seen.has(row.voucherHash) && seen.add(row.voucherHash))
    .sort((a, b) => a.voucher.counter - b.voucher.counter);
}

async function depositAtService(context: AppContext, store: Store, domain: PurseDomain) {
  const url = readConfig(context.env).purse?.collectionService;
  if (!url) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      'no collection service is configured: set "purse": {"collectionService": URL} in config.json',
    );
  }
  const open = unsettled(store, domain.chainId);
  const payments = open.map((row) =>
    JSON.parse(
      encodePaymentFile({
        domain,
        certificate: row.certificate,
        certificateSignature: row.certificateSignature,
        voucher: row.voucher,
        voucherSignature: row.signature!,
      }),
    ),
  );
  let accepted = 0;
  let refused = 0;
  const endpoint = new URL('v1/vouchers', url.endsWith('/') ? url : `${url}/`);
  for (let i = 0; i < payments.length; i += 500) {
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payments: payments.slice(i, i + 500) }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new SignetError(
        'NODE_UNREACHABLE',
        `the collection service at ${endpoint.origin} did not answer`,
        {
          cause: error,
        },
      );
    }
    const body = (await response.json().catch(() => null)) as {
      results?: Array<{ status: string }>;
    } | null;
    if (!response.ok || !body?.results) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `the collection service refused the deposit (HTTP ${response.status})`,
      );
    }
    for (const result of body.results) {
      if (result.status === 'refused') refused++;
      else accepted++;
    }
  }
  return {
    submitted: open.length,
    alreadySettled: 0,
    service: { url: endpoint.origin, accepted, refused },
    transactions: [],
    sync: null,
  };
}

async function quietRefresh(
  context: AppContext,
  profile: ChainProfile,
  domain: PurseDomain,
  certify?: Certifier,
): Promise<RefreshReport | null> {
  try {
    return await refreshFromChain(
      context.store(),
      context.rpc(profile),
      profile,
      domain,
      Number(unixNow()),
      certify,
    );
  } catch {
    // Offline or not yet mined: the next status --refresh reads it.
    return null;
  }
}

/** purse.open's answer: the purse, and in one line why it has no certificate yet (if so). */
function openResult<S extends object>(
  store: Store,
  domain: PurseDomain,
  address: Address,
  report: RefreshReport | null,
  signed: S,
) {
  const purse = getPurse(store, domain.chainId, address)!;
  const why = report?.awaitingCertificate.find((a) => a.purse === address)?.reason;
  const notice =
    purse.state === 'opening'
      ? `purse ${address} is not yet seen open on chain at the confirmation depth; signet purse status --refresh fetches its certificate once it is`
      : purse.state === 'certifying'
        ? `purse ${address} is open on chain and awaits its operator's certificate${why ? ` (${why})` : ''}; signet purse status --refresh asks again`
        : null;
  return { purse: summary(purse), notice, ...signed };
}

// ---- views -------------------------------------------------------------------

function stateOf(purse: PurseRecord, now: bigint): PurseStateName {
  if (purse.state === 'closed') return 'closed';
  if (purse.frozen) return 'frozen';
  if (purse.state === 'opening') return 'opening';
  if (purse.state === 'certifying') return 'awaiting-certificate';
  if (purse.closableFrom !== null && now >= BigInt(purse.closableFrom)) return 'closable';
  if (now > purse.certificate.validUntil) return 'expired';
  if (purse.mismatch) return 'mismatch';
  return 'open';
}

function summary(purse: PurseRecord) {
  const c = purse.certificate;
  const left = c.locked - purse.cumulative;
  return {
    chainId: purse.chainId,
    purse: c.purse,
    owner: c.owner,
    keyUri: purse.keyUri,
    operator: c.operator,
    epoch: c.epoch,
    state: stateOf(purse, unixNow()),
    locked: formatAmount(c.locked),
    cap: formatAmount(c.cap),
    maxCount: c.maxCount,
    count: purse.counter,
    paidOffline: formatAmount(purse.cumulative),
    paymentsLeft: Math.max(0, c.maxCount - purse.counter),
    amountLeft: formatAmount(left < 0n ? 0n : left),
    validFrom: Number(c.validFrom),
    validUntil: Number(c.validUntil),
    closableFrom: purse.closableFrom,
    settledFromPurse: formatAmount(purse.chainPaid),
    frozen: purse.frozen,
    closed: purse.state === 'closed',
    mismatch: purse.mismatch,
  };
}

function voucherView(row: VoucherRecord) {
  const v = row.voucher;
  return {
    chainId: row.chainId,
    voucherHash: row.voucherHash.toLowerCase(),
    purse: v.purse,
    epoch: v.epoch,
    payee: v.payee,
    amount: formatAmount(v.amount),
    counter: v.counter,
    cumulative: formatAmount(v.cumulative),
    issuedAt: Number(v.issuedAt),
    direction: row.direction,
    status: row.status === 'intent' ? ('pending' as const) : row.status,
    settledTx: row.settledTx,
  };
}

function statusView(
  store: Store,
  profile: ChainProfile,
  domain: PurseDomain,
  account: Address | null,
) {
  const accounts = listAccounts(store).map((a) => getAddress(a.address));
  const scope = account ? [account] : accounts;
  const purses = listPurses(store, domain.chainId, account ?? undefined);
  const vouchers = listVouchers(store, domain.chainId).filter(
    (row) =>
      row.status !== 'intent' &&
      (!account ||
        (row.direction === 'received'
          ? row.voucher.payee === account
          : row.certificate.owner === account)),
  );
  const settled = scope.reduce(
    (sum, a) => sum + (getAccountState(store, profile.chainId, a)?.balance ?? 0n),
    0n,
  );
  const { syncedAt } = certificateKeys(store, domain.chainId, domain.verifyingContract);
  return {
    chainId: domain.chainId,
    account,
    purses: purses.map(summary),
    pendingIncome: formatAmount(pendingIncome(store, domain.chainId, scope)),
    settledBalance: formatAmount(settled),
    vouchers: vouchers.map(voucherView),
    receiveLimit: null,
    certificateKeysSyncedAt: syncedAt,
  };
}
