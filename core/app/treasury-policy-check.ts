/**
 * The treasury's policy checked before an owner's key signs an approval: the
 * policy stored for the treasury (`signet treasury policy set`) or a
 * `.signet-policy` file given with the approval (an offline machine), verified
 * against the owners and threshold the bundle carries. What was already spent
 * on the policy's day is what this wallet knows: the treasury executions it
 * queued that day (executions queued elsewhere are not seen), and the result
 * says so.
 */
import { type Address, isAddressEqual } from 'viem';
import { SignetError } from '../api/errors.js';
import { parseAmount } from '../chain/amount.js';
import type { Store } from '../store/database.js';
import { listOutbox } from '../store/outbox.js';
import { listTreasuries } from '../store/treasuries.js';
import { getTreasuryPolicy } from '../store/treasury-policies.js';
import { type ApprovalBundle, bundleSafeTxHash } from '../treasury/approval-bundle.js';
import { isCancelTx } from '../treasury/cancel-proposal.js';
import { ALWAYS, policyDay, requirePolicy, type TreasuryPolicy } from '../treasury/policy.js';
import { decodePolicyFile } from '../treasury/policy-file.js';

export interface PolicyCheck {
  version: number;
  day: string;
  requiredThreshold: number;
  /** What counted as spent on the policy's day, per currency, in minor units. */
  spentToday: { currency: Address; amount: bigint }[];
  counted: string;
}

/**
 * The policy for the bundle's treasury: `fileText` if given, else the stored one, else none.
 * Its signatures are checked against the owners this wallet knows for the treasury
 * (stored, updated whenever the chain is read), the bundle's only for a treasury it
 * does not know: the owners a bundle lists are not signed, so a hostile bundle
 * could list its own keys, with a lax policy signed by them, in place of a stored one.
 */
export async function policyFor(
  store: Store,
  bundle: ApprovalBundle,
  fileText?: string,
): Promise<TreasuryPolicy | undefined> {
  const stored = getTreasuryPolicy(store, bundle.chainId, bundle.safe);
  const known = listTreasuries(store, bundle.chainId).find((t) =>
    isAddressEqual(t.address, bundle.safe),
  );
  const trust = {
    chainId: bundle.chainId,
    safe: bundle.safe,
    owners: known?.owners ?? bundle.owners,
    threshold: known?.threshold ?? bundle.threshold,
  };
  if (fileText !== undefined) {
    return decodePolicyFile(fileText, {
      ...trust,
      ...(stored ? { latestVersionSeen: stored.version } : {}),
    });
  }
  return stored ? decodePolicyFile(stored.file, trust) : undefined;
}

/**
 * Refuses (POLICY_VIOLATION, one line) a proposal the policy does not allow;
 * else what the check counted.
 */
export function checkPolicy(
  store: Store,
  policy: TreasuryPolicy,
  bundle: ApprovalBundle,
  now = new Date(),
): PolicyCheck {
  const day = policyDay(policy, now);
  const hash = bundleSafeTxHash(bundle);
  const spent = new Map<string, bigint>();
  for (const row of listOutbox(store, bundle.chainId)) {
    const s = row.summary as Record<string, unknown>;
    if (row.kind !== 'treasury-execute' || row.status === 'failed' || row.status === 'replaced')
      continue;
    if (typeof s.safe !== 'string' || !isAddressEqual(s.safe as Address, policy.safe)) continue;
    if (s.safeTxHash === hash || typeof s.currency !== 'string') continue;
    if (policyDay(policy, new Date(row.createdAt)) !== day) continue;
    const amount = typeof s.amount === 'string' ? s.amount : s.total;
    if (typeof amount !== 'string') continue;
    const key = s.currency.toLowerCase();
    spent.set(key, (spent.get(key) ?? 0n) + parseAmount(amount));
  }
  const { chainId, safe, proposal } = bundle;
  const result = requirePolicy(
    policy,
    { chainId, safe, tx: proposal.tx },
    {
      now,
      safeThreshold: bundle.threshold,
      spentToday: Object.fromEntries(spent),
    },
  );
  return {
    version: policy.version,
    day,
    requiredThreshold: result.requiredThreshold,
    spentToday: policy.currencies.map((c) => ({
      currency: c.currency,
      amount: spent.get(c.currency.toLowerCase()) ?? 0n,
    })),
    counted: `the treasury executions this wallet queued on ${day} (the policy's day); executions queued on other machines are not known here`,
  };
}

/**
 * Before an execution: the approvals the stored policy asks of this proposal
 * (its higher threshold above a limit) against those the bundle has. The Safe
 * checks only its own threshold, so the policy's higher one holds only where it
 * is checked: each approver's machine reports it (PolicyCheck.requiredThreshold),
 * and a Signet executor refuses (POLICY_VIOLATION) to send with fewer. Its limits
 * hold too; its time window is for approvals, not for execution.
 */
export async function requirePolicyApprovals(
  store: Store,
  bundle: ApprovalBundle,
  safeThreshold: number,
): Promise<void> {
  if (isCancelTx(bundle.safe, bundle.proposal.tx)) return;
  const policy = await policyFor(store, bundle);
  if (!policy) return;
  const { chainId, safe, proposal } = bundle;
  const { requiredThreshold } = requirePolicy(
    { ...policy, window: ALWAYS },
    { chainId, safe, tx: proposal.tx },
    { now: new Date(), safeThreshold, spentToday: {} },
  );
  if (bundle.approvals.length < requiredThreshold) {
    throw new SignetError(
      'POLICY_VIOLATION',
      `treasury policy version ${policy.version} asks ${requiredThreshold} approvals for this proposal; it has ${bundle.approvals.length}`,
      { details: { rule: 'higher-threshold' } },
    );
  }
}
