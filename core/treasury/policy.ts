/**
 * A treasury policy, and the check an approver's machine runs before it signs
 * an approval: what the proposal pays (decoded from its SafeTx, offline), to
 * whom, in which currency, at what time, against per-payment and daily limits,
 * the allow-listed payees and the time window; and how many approvals it needs.
 *
 * Pure: no chain, no store. The caller gives the time and what was already
 * approved or executed today (policyDay says which day that is). The policy
 * itself is checked and its owners' signatures verified in policy-file.ts.
 *
 * What the policy covers (anything else is refused as "not covered", never let through):
 * - currency payments: `transfer` and `transferBatch` on a currency it names
 *   (a currency is its token contract), alone or in a MultiSendCallOnly batch;
 * - note operations on a note contract it names, by the value they commit or
 *   move: `issue` (the face value, to the payee, in the currency the call names),
 *   a whole-note `transferFrom` (endorse) and a split, in the note's currency and
 *   value as the caller's store knows them (`noteFacts`; unknown: not covered);
 *   `redeem` pays the treasury, so moves nothing out; `finance` (the treasury
 *   buying a note) is not covered;
 * - `approve` of a named currency to a named note contract (what a note issue
 *   needs for redemption at maturity): moves nothing by itself;
 * - calls by the Safe on itself (owner and threshold changes): move no money.
 * A SafeTx that pays the chain's coin (value) or a gas refund (gasPrice) is not covered.
 */
import { type Address, decodeFunctionData, getAddress, type Hex, isAddressEqual } from 'viem';
import { SignetError } from '../api/errors.js';
import { currencyAbi, notesAbi } from '../chain/abi.js';
import { decodeMultiSend, multiSendAbi, type SafeTx, safeAbi } from '../chain/safe.js';

/** Limits on one currency, in its minor units. */
export interface CurrencyLimit {
  /** The currency's token contract. */
  currency: Address;
  /** Its decimals, for the amounts in messages (the ledger's currency has 2). */
  decimals: number;
  /** The most one payment may be (exactly this passes). */
  perPayment: bigint;
  /** The most that may be paid in one day of the policy's time zone, this proposal included. */
  daily: bigint;
  /**
   * A proposal paying more than `above` in this currency in total needs
   * `threshold` approvals instead of the Safe's own (never fewer than the Safe's).
   * The total, not each payment, so splitting a payment into a batch does not avoid it.
   */
  higherThreshold?: { above: bigint; threshold: number };
}

/**
 * When approvals may be signed: days of the week (0 Sunday … 6 Saturday) and
 * hours [fromHour, toHour) of the day, at a fixed offset from UTC. A fixed
 * offset, not an IANA zone: it needs no time-zone database and every machine
 * reads it the same, but it does not follow daylight saving (a policy for a zone
 * that changes offset is re-signed, or its window set wide enough for both).
 * A window does not cross midnight.
 */
export interface TimeWindow {
  days: readonly number[];
  fromHour: number;
  toHour: number;
  utcOffsetMinutes: number;
}

export interface TreasuryPolicy {
  chainId: number;
  /** The treasury (Safe) the policy governs. */
  safe: Address;
  /** Only increases: an approver refuses a policy older than the newest it has seen. */
  version: number;
  currencies: readonly CurrencyLimit[];
  /** The only addresses a payment or a note may go to. */
  payees: readonly Address[];
  /** Note contracts whose operations the policy covers by value. */
  noteContracts: readonly Address[];
  /** The one contract a batch may delegatecall (the ledger's MultiSendCallOnly). */
  multiSendCallOnly: Address;
  window: TimeWindow;
}

/** The whole week, at every hour, in UTC. */
export const ALWAYS: TimeWindow = {
  days: [0, 1, 2, 3, 4, 5, 6],
  fromHour: 0,
  toHour: 24,
  utcOffsetMinutes: 0,
};

/** One movement of value out of the treasury that the policy limits. */
export interface Payment {
  currency: Address;
  payee: Address;
  amount: bigint;
  /** What it is, for messages: "transfer", "note issue", "note split", "note endorse". */
  what: string;
}

export interface NoteFacts {
  currency: Address;
  value: bigint;
}

export interface PolicyContext {
  now: Date;
  /** The Safe's own threshold (from the bundle, checked against the chain online). */
  safeThreshold: number;
  /**
   * Already approved or executed on the policy's day (policyDay(policy, now)),
   * per currency address (any case), minor units, not counting this proposal;
   * a currency left out is 0.
   */
  spentToday: Readonly<Record<string, bigint>>;
  /** A note's currency and current value as the store knows them (endorse and split). */
  noteFacts?: (noteContract: Address, tokenId: bigint) => NoteFacts | undefined;
}

export type PolicyRule = 'chain' | 'not-covered' | 'payee' | 'per-payment' | 'daily' | 'window';

export type PolicyResult =
  | {
      ok: true;
      /** Approvals this proposal needs: the Safe's threshold, or the policy's higher one. */
      requiredThreshold: number;
      payments: Payment[];
      /** Per currency in the policy's order, what the proposal pays in all. */
      totals: { currency: Address; amount: bigint }[];
    }
  | { ok: false; rule: PolicyRule; message: string };

/** The ERC-20 and note calls a proposal may make, and the Safe's own (owner changes). */
const callAbi = [...currencyAbi, ...notesAbi, ...safeAbi];
const SELF_CALLS = new Set([
  'addOwnerWithThreshold',
  'removeOwner',
  'swapOwner',
  'changeThreshold',
]);

/** Amounts in currency units for people: 12345n with 2 decimals is "123.45". */
export function formatUnits(amount: bigint, decimals: number): string {
  if (decimals === 0) return amount.toString();
  const unit = 10n ** BigInt(decimals);
  return `${amount / unit}.${(amount % unit).toString().padStart(decimals, '0')}`;
}

/** The policy's local date (YYYY-MM-DD at its UTC offset): the day its daily limits count. */
export function policyDay(policy: Pick<TreasuryPolicy, 'window'>, now: Date): string {
  return localTime(policy.window, now).toISOString().slice(0, 10);
}

function localTime(window: TimeWindow, now: Date): Date {
  return new Date(now.getTime() + window.utcOffsetMinutes * 60_000);
}

class NotCovered extends Error {}

function limitFor(policy: TreasuryPolicy, currency: Address): CurrencyLimit | undefined {
  return policy.currencies.find((limit) => isAddressEqual(limit.currency, currency));
}

function isOneOf(list: readonly Address[], address: Address): boolean {
  return list.some((entry) => isAddressEqual(entry, address));
}

/** What one plain call by the Safe pays out, or NotCovered. */
function callPayments(
  policy: TreasuryPolicy,
  context: PolicyContext,
  call: { to: Address; value: bigint; data: Hex },
): Payment[] {
  if (call.value !== 0n) {
    throw new NotCovered(`a call paying the chain's coin (${call.value} wei to ${call.to})`);
  }
  let decoded: { functionName: string; args: readonly unknown[] | undefined };
  try {
    decoded = decodeFunctionData({ abi: callAbi, data: call.data });
  } catch {
    throw new NotCovered(`a call to ${call.to} that Signet cannot decode`);
  }
  const { functionName } = decoded;
  const args = decoded.args ?? [];
  if (isAddressEqual(call.to, policy.safe) && SELF_CALLS.has(functionName)) return [];

  if (limitFor(policy, call.to)) {
    const currency = getAddress(call.to);
    if (functionName === 'transfer') {
      const [payee, amount] = args as [Address, bigint];
      return [{ currency, payee, amount, what: 'transfer' }];
    }
    if (functionName === 'transferBatch') {
      const [payees, amounts] = args as [readonly Address[], readonly bigint[]];
      if (payees.length !== amounts.length)
        throw new NotCovered('a transferBatch with unequal lists');
      return payees.map((payee, i) => ({ currency, payee, amount: amounts[i]!, what: 'transfer' }));
    }
    if (functionName === 'approve' && isOneOf(policy.noteContracts, args[0] as Address)) return [];
    throw new NotCovered(`${functionName} on currency ${currency}`);
  }

  if (isOneOf(policy.noteContracts, call.to)) {
    const notes = getAddress(call.to);
    const facts = (tokenId: bigint): NoteFacts => {
      const known = context.noteFacts?.(notes, tokenId);
      if (!known)
        throw new NotCovered(
          `note ${tokenId}, whose currency and value are not known here (sync first)`,
        );
      return known;
    };
    if (functionName === 'issue') {
      const [payee, faceValue, currency] = args as [Address, bigint, Address];
      return [{ currency: getAddress(currency), payee, amount: faceValue, what: 'note issue' }];
    }
    if (functionName === 'transferFrom' && typeof args[0] === 'bigint') {
      const [tokenId, payee, value] = args as [bigint, Address, bigint];
      return [{ currency: facts(tokenId).currency, payee, amount: value, what: 'note split' }];
    }
    if (functionName === 'transferFrom') {
      const [, payee, tokenId] = args as [Address, Address, bigint];
      const note = facts(tokenId);
      return [{ currency: note.currency, payee, amount: note.value, what: 'note endorse' }];
    }
    if (functionName === 'redeem') return [];
    throw new NotCovered(`note operation ${functionName} on ${notes}`);
  }
  throw new NotCovered(`${functionName} on ${call.to}, which the policy does not name`);
}

/**
 * Every payment a SafeTx makes, decoded offline (a MultiSendCallOnly batch call
 * by call), or what in it the policy does not cover.
 */
export function proposalPayments(
  policy: TreasuryPolicy,
  tx: SafeTx,
  context: PolicyContext,
): Payment[] | { notCovered: string } {
  try {
    if (tx.gasPrice !== 0n) throw new NotCovered('a gas refund paid by the treasury');
    if (tx.operation === 0) return callPayments(policy, context, tx);
    if (!isAddressEqual(tx.to, policy.multiSendCallOnly)) {
      throw new NotCovered(
        `a delegatecall to ${tx.to}, which is not the policy's MultiSendCallOnly`,
      );
    }
    let packed: Hex;
    try {
      const decoded = decodeFunctionData({ abi: multiSendAbi, data: tx.data });
      packed = decoded.args[0];
    } catch {
      throw new NotCovered('a delegatecall that is not multiSend(bytes)');
    }
    let calls: ReturnType<typeof decodeMultiSend>;
    try {
      calls = decodeMultiSend(packed);
    } catch (error) {
      throw new NotCovered(`a batch Signet cannot decode (${(error as Error).message})`);
    }
    return calls.flatMap((call) =>
      callPayments(policy, context, { to: call.to, value: call.value ?? 0n, data: call.data }),
    );
  } catch (error) {
    if (error instanceof NotCovered) return { notCovered: error.message };
    throw error;
  }
}

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * Whether the policy lets an approver sign this proposal now, and how many
 * approvals it needs. A violation is one line naming the rule and the amounts
 * in currency units. Rules are checked in this order: chain and treasury,
 * coverage, time window, payees, per-payment limits, daily limits.
 */
export function checkProposal(
  policy: TreasuryPolicy,
  proposal: { chainId: number; safe: Address; tx: SafeTx },
  context: PolicyContext,
): PolicyResult {
  const fail = (rule: PolicyRule, text: string): PolicyResult => ({
    ok: false,
    rule,
    message: `treasury policy v${policy.version} (${rule}): ${text}`,
  });
  if (proposal.chainId !== policy.chainId || !isAddressEqual(proposal.safe, policy.safe)) {
    return fail(
      'chain',
      `the policy is for treasury ${policy.safe} on chain ${policy.chainId}, the proposal for ${proposal.safe} on chain ${proposal.chainId}`,
    );
  }
  const payments = proposalPayments(policy, proposal.tx, context);
  if ('notCovered' in payments)
    return fail('not-covered', `not covered by the policy: ${payments.notCovered}`);

  const { window } = policy;
  const local = localTime(window, context.now);
  const day = local.getUTCDay();
  const hour = local.getUTCHours();
  if (!window.days.includes(day) || hour < window.fromHour || hour >= window.toHour) {
    const days = window.days.map((d) => DAY_NAMES[d]?.slice(0, 3)).join(', ');
    return fail(
      'window',
      `approvals are signed on ${days || 'no day'} from ${window.fromHour}:00 to ${window.toHour}:00 ${offsetText(window.utcOffsetMinutes)}; it is ${DAY_NAMES[day]} ${local.toISOString().slice(11, 16)}`,
    );
  }

  for (const payment of payments) {
    const limit = limitFor(policy, payment.currency);
    if (!limit) {
      return fail(
        'not-covered',
        `not covered by the policy: a ${payment.what} in currency ${payment.currency}, which it names no limits for`,
      );
    }
    if (!isOneOf(policy.payees, payment.payee)) {
      return fail(
        'payee',
        `${payment.payee} is not an allowed payee (a ${payment.what} of ${formatUnits(payment.amount, limit.decimals)})`,
      );
    }
    if (payment.amount > limit.perPayment) {
      return fail(
        'per-payment',
        `a ${payment.what} of ${formatUnits(payment.amount, limit.decimals)} to ${payment.payee} is above the per-payment limit of ${formatUnits(limit.perPayment, limit.decimals)} (currency ${limit.currency})`,
      );
    }
  }

  const spent = new Map(
    Object.entries(context.spentToday).map(([currency, amount]) => [
      currency.toLowerCase(),
      amount,
    ]),
  );
  const totals = policy.currencies.map((limit) => ({
    currency: limit.currency,
    amount: payments
      .filter((p) => isAddressEqual(p.currency, limit.currency))
      .reduce((sum, p) => sum + p.amount, 0n),
  }));
  let requiredThreshold = context.safeThreshold;
  for (const [i, limit] of policy.currencies.entries()) {
    const total = totals[i]!.amount;
    if (total === 0n) continue;
    const before = spent.get(limit.currency.toLowerCase()) ?? 0n;
    if (before + total > limit.daily) {
      const units = (amount: bigint) => formatUnits(amount, limit.decimals);
      return fail(
        'daily',
        `${units(total)} now and ${units(before)} already today (${policyDay(policy, context.now)}) is ${units(before + total)}, above the daily limit of ${units(limit.daily)} (currency ${limit.currency})`,
      );
    }
    if (limit.higherThreshold && total > limit.higherThreshold.above) {
      requiredThreshold = Math.max(requiredThreshold, limit.higherThreshold.threshold);
    }
  }
  return { ok: true, requiredThreshold, payments, totals };
}

/** checkProposal, refusing a violation (POLICY_VIOLATION, one line); else the approvals needed. */
export function requirePolicy(
  policy: TreasuryPolicy,
  proposal: { chainId: number; safe: Address; tx: SafeTx },
  context: PolicyContext,
): Extract<PolicyResult, { ok: true }> {
  const result = checkProposal(policy, proposal, context);
  if (!result.ok) {
    throw new SignetError('POLICY_VIOLATION', result.message, { details: { rule: result.rule } });
  }
  return result;
}
