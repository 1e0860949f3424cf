/**
 * The treasury operations (core/api/treasury.ts) behind `signet treasury`:
 * create a Safe 1.4.1 treasury (address predicted offline, deployment queued
 * through the outbox), propose a currency payment as an approval bundle,
 * approve it with an owner's key (offline: nothing but the bundle and the
 * token), merge bundles, and execute once the chain agrees with the bundle.
 * The Safe logic is core/chain/safe.ts and core/treasury/*; this module only
 * connects it to the store, the nodes (treasury-chain.ts), the keys and the
 * outbox, and shows every proposal decoded (treasury-review.ts).
 */
import {
  type Address,
  encodeFunctionData,
  getAddress,
  type Hex,
  hexToBigInt,
  isAddressEqual,
  toHex,
} from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi } from '../chain/abi.js';
import { parseAddress } from '../chain/address.js';
import { formatAmount, parseAmount } from '../chain/amount.js';
import { P256AccountSigner } from '../chain/p256-account-signer.js';
import {
  approveSafeTx,
  checkedSafeTxHash,
  execTransactionData,
  type SafeTx,
  safeCall,
  safeDeployment,
} from '../chain/safe.js';
import { findAccountByKeyUri } from '../store/accounts.js';
import { appendAudit } from '../store/audit-log.js';
import type { Store } from '../store/database.js';
import { listOutbox } from '../store/outbox.js';
import {
  addTreasury,
  listTreasuries,
  recordChainState,
  recordProposal,
  requireTreasury,
  type Treasury,
} from '../store/treasuries.js';
import { getTreasuryPolicy, storeTreasuryPolicy } from '../store/treasury-policies.js';
import { getTreasuryState } from '../store/treasury-state.js';
import {
  type ApprovalBundle,
  addApproval,
  bundleSafeTxHash,
  type ContractApproval,
  executionApprovals,
  executionSignatures,
  mergeBundles,
} from '../treasury/approval-bundle.js';
import { TRANSFER_GAS_IN_BATCH } from '../treasury/batch-proposal.js';
import { decodeBundle, encodeBundle } from '../treasury/bundle-codec.js';
import { cancelTx, isCancelTx } from '../treasury/cancel-proposal.js';
import { createDigest } from '../treasury/create-digest.js';
import { decodePolicyFile } from '../treasury/policy-file.js';
import { activeSender } from '../wallet/offline-checks.js';
import { type Call, gasBudget } from '../wallet/transaction-plan.js';
import { nameAddresses } from './address-names.js';
import type { AppContext } from './app-context.js';
import type { Caller, Handlers } from './dispatcher.js';
import { heldNoteRows } from './read-models.js';
import { requireReviewed } from './signing-plan.js';
import type { SyncDriver } from './sync-driver.js';
import { openApprover, P256_SIGNATURE_GAS } from './treasury-approver.js';
import {
  chainClient,
  checkAgainstChain,
  checkContractApprovals,
  checkOwnersAgainstChain,
  currencyBalance,
  deployedState,
  mismatch,
  onChain,
  readSafeOrRefuse,
  requireChainAgrees,
} from './treasury-chain.js';
import { noteExecutionGas } from './treasury-note-review.js';
import {
  checkPolicy,
  type PolicyCheck,
  policyFor,
  requirePolicyApprovals,
} from './treasury-policy-check.js';
import { auditSubject, reviewOf } from './treasury-review.js';

type TreasuryMethod =
  | 'treasury.predict'
  | 'treasury.create'
  | 'treasury.list'
  | 'treasury.show'
  | 'treasury.propose'
  | 'treasury.review'
  | 'treasury.approve'
  | 'treasury.merge'
  | 'treasury.execute'
  | 'treasury.policy.set'
  | 'treasury.cancel';

export function treasuryHandlers(
  context: AppContext,
  sync: SyncDriver,
): Pick<Handlers, TreasuryMethod> {
  return {
    'treasury.predict': async (request) => {
      const p = context.profile();
      const store = context.store();
      const saltNonce = request.saltNonce === undefined ? freshSalt() : BigInt(request.saltNonce);
      const { deployment, account, reviewDigest } = plannedCreate(store, p, request, saltNonce);
      return {
        chainId: p.chainId,
        address: deployment.address,
        owners: deployment.owners,
        threshold: deployment.threshold,
        saltNonce: saltNonce.toString(),
        factory: deployment.factory,
        sender: getAddress(account.address),
        names: nameAddresses(store, p, [...deployment.owners, account.address]),
        reviewDigest,
      };
    },

    'treasury.create': async (request, caller) => {
      const p = context.profile();
      const store = context.store();
      if (request.saltNonce === undefined && caller.origin !== 'cli') {
        // A fresh salt here would be another address than any the page showed.
        throw new SignetError(
          'INVALID_ARGUMENT',
          'a treasury is created from the UI with the salt nonce its prediction showed',
          { details: { field: 'saltNonce', reason: 'salt-missing' } },
        );
      }
      const saltNonce = request.saltNonce === undefined ? freshSalt() : BigInt(request.saltNonce);
      const { deployment, account, reviewDigest } = plannedCreate(store, p, request, saltNonce);
      // From the UI, only the treasury predict showed (chain, factory, calldata, address, sender).
      requireReviewed(caller.origin, request.reviewDigest, { reviewDigest });
      const call: Call = {
        to: deployment.factory,
        data: deployment.data,
        kind: 'treasury-create',
        summary: {
          treasury: deployment.address,
          owners: deployment.owners,
          threshold: deployment.threshold,
        },
        asset: 'currency',
        amount: 0n,
      };
      const queued = await context.wallet(p, caller).queue({
        account,
        calls: [call],
        ...(request.reviewDigest ? { reviewDigest } : {}),
      });
      const treasury = addTreasury(store, {
        chainId: p.chainId,
        address: deployment.address,
        name: request.name,
        owners: deployment.owners,
        threshold: deployment.threshold,
        saltNonce,
      });
      return {
        treasury: treasuryView(treasury),
        ...(await sync.afterSigning(p, queued, request.offline)),
      };
    },

    'treasury.list': async () =>
      listTreasuries(context.store(), context.profile().chainId).map(treasuryView),

    'treasury.show': async (request) => {
      const p = context.profile();
      const store = context.store();
      let treasury = requireTreasury(store, p.chainId, request.treasury);
      const synced = syncedView(store, p, treasury.address);
      if (request.offline) return { treasury: treasuryView(treasury), chain: null, synced };
      const client = chainClient(context.rpc(p));
      const state = await onChain(deployedState(client, p, treasury));
      const balance = await onChain(currencyBalance(client, p, treasury.address));
      // An executed owner change reaches the store here: later bundles carry the new owners.
      if (state) treasury = recordChainState(store, treasury, state).treasury;
      return {
        treasury: treasuryView(treasury),
        chain: {
          deployed: state !== null,
          owners: state?.owners ?? [],
          threshold: state?.threshold ?? 0,
          nonce: (state?.nonce ?? 0n).toString(),
          balance: formatAmount(balance),
        },
        synced,
      };
    },

    'treasury.propose': async (request, caller) => {
      const p = context.profile();
      const store = context.store();
      requireNoSignWith(caller, request.signWith);
      let treasury = requireTreasury(store, p.chainId, request.treasury);
      const to = parseAddress(request.to, 'recipient');
      const amount = parseAmount(request.amount);
      if (amount <= 0n)
        throw new SignetError('AMOUNT_INVALID', 'a payment needs an amount above 0');
      let nonce = max(treasury.chainNonce, treasury.nextProposal);
      if (!request.offline) {
        const client = chainClient(context.rpc(p));
        const state = await onChain(deployedState(client, p, treasury));
        if (state) {
          treasury = recordChainState(store, treasury, state).treasury;
          nonce = max(state.nonce, treasury.nextProposal);
        }
        const balance = await onChain(currencyBalance(client, p, treasury.address));
        if (balance < amount) {
          throw new SignetError(
            'INSUFFICIENT_BALANCE',
            `treasury ${treasury.name} holds ${formatAmount(balance)}, not the ${formatAmount(amount)} proposed`,
          );
        }
      }
      const tx = safeCall(
        {
          to: p.contracts.currency,
          data: encodeFunctionData({
            abi: currencyAbi,
            functionName: 'transfer',
            args: [to, amount],
          }),
        },
        nonce,
      );
      const description = request.description ?? `Pay ${formatAmount(amount)} to ${to}`;
      return writeProposal(context, caller, treasury, { tx, description }, request);
    },

    'treasury.review': async (request) => {
      const bundle = await decodeBundle(request.bundle);
      return {
        review: reviewOf(context.store(), selectedProfile(context), bundle),
        bundle: request.bundle,
      };
    },

    'treasury.approve': async (request, caller) => {
      // Offline, the bundle is all there is: its chain and owners, checked by its signatures.
      const p = request.offline ? undefined : selectedProfile(context);
      const bundle = withKnownFactory(p, await decodeBundle(request.bundle));
      // From the UI, only the proposal it showed (its safeTxHash) is signed.
      requireReviewed(caller.origin, request.reviewDigest, reviewedBundle(bundle));
      if (p) {
        requireChain(p, bundle);
        await onChain(checkAgainstChain(context.rpc(p), bundle));
      }
      const store = context.store();
      const { approved, owner, policy } = await approveBundle(
        context,
        caller,
        store,
        bundle,
        request.key,
        request.policy,
      );
      return {
        review: reviewOf(store, p, approved),
        bundle: await encodeBundle(approved),
        approvedBy: owner,
        policy: policy && {
          ...policy,
          spentToday: policy.spentToday.map((s) => ({ ...s, amount: formatAmount(s.amount) })),
        },
      };
    },

    'treasury.cancel': async (request, caller) => {
      const p = context.profile();
      const store = context.store();
      requireNoSignWith(caller, request.signWith);
      let treasury = requireTreasury(store, p.chainId, request.treasury);
      const nonce = BigInt(request.nonce);
      let used = treasury.chainNonce;
      if (!request.offline) {
        const state = await onChain(deployedState(chainClient(context.rpc(p)), p, treasury));
        if (state) {
          treasury = recordChainState(store, treasury, state).treasury;
          used = state.nonce;
        }
      }
      if (nonce < used) {
        throw mismatch(
          'nonce',
          `treasury ${treasury.name} is at nonce ${used}: nonce ${nonce} is used already, nothing there to cancel`,
        );
      }
      const description =
        request.description ?? `Cancel the proposal at nonce ${nonce} (a call that does nothing)`;
      return writeProposal(
        context,
        caller,
        treasury,
        { tx: cancelTx(treasury.address, nonce), description },
        { signWith: request.signWith, action: 'cancel-safe-tx' },
      );
    },

    'treasury.policy.set': async (request) => {
      const p = context.profile();
      const store = context.store();
      const treasury = requireTreasury(store, p.chainId, request.treasury);
      const stored = getTreasuryPolicy(store, p.chainId, treasury.address);
      const policy = await decodePolicyFile(request.policy, {
        chainId: p.chainId,
        safe: treasury.address,
        owners: treasury.owners,
        threshold: treasury.threshold,
        ...(stored ? { latestVersionSeen: stored.version } : {}),
      });
      if (stored && policy.version <= stored.version) {
        throw new SignetError(
          'POLICY_INVALID',
          `treasury ${treasury.name} has policy version ${stored.version} already; only a higher version replaces it, not ${policy.version}`,
          { details: { reason: 'version' } },
        );
      }
      storeTreasuryPolicy(store, {
        chainId: p.chainId,
        safe: treasury.address,
        version: policy.version,
        file: request.policy,
      });
      appendAudit(store, {
        action: 'set-treasury-policy',
        subject: {
          chainId: p.chainId,
          safe: treasury.address,
          treasury: treasury.name,
          version: policy.version,
        },
      });
      return { treasury: treasury.name, safe: treasury.address, version: policy.version };
    },

    'treasury.merge': async (request) => {
      const bundles: ApprovalBundle[] = [];
      for (const [i, text] of request.bundles.entries()) {
        bundles.push(await numbered(i, () => decodeBundle(text)));
      }
      let merged = bundles[0]!;
      for (const [i, next] of bundles.slice(1).entries()) {
        merged = await numbered(i + 1, () => mergeBundles(merged, next));
      }
      const p = selectedProfile(context);
      // Online, a bundle made before an owner change is refused here, not at execution.
      if (p && p.chainId === merged.chainId) {
        await onChain(checkOwnersAgainstChain(context.rpc(p), merged));
      }
      return {
        review: reviewOf(context.store(), p, merged),
        bundle: await encodeBundle(merged),
      };
    },

    'treasury.execute': async (request, caller) => {
      const p = context.profile();
      const store = context.store();
      const bundle = withKnownFactory(p, await decodeBundle(request.bundle));
      requireReviewed(caller.origin, request.reviewDigest, reviewedBundle(bundle));
      requireChain(p, bundle);
      const { tx } = bundle.proposal;
      const hash = bundleSafeTxHash(bundle);
      // What execution rests on is read from a majority of the nodes (chainClient), not one node's word.
      const client = chainClient(context.rpc(p));
      const state = await onChain(readSafeOrRefuse(client, bundle.safe));
      requireChainAgrees(state, bundle);
      await requirePolicyApprovals(store, bundle, state.threshold);
      if (state.nonce !== tx.nonce) {
        throw mismatch(
          'nonce',
          state.nonce > tx.nonce
            ? `the treasury is at nonce ${state.nonce}: the proposal at nonce ${tx.nonce} was executed or replaced already`
            : `the treasury is at nonce ${state.nonce}: the proposals before nonce ${tx.nonce} execute first`,
        );
      }
      await onChain(checkedSafeTxHash(client, bundle.chainId, bundle.safe, tx));
      const signatures = executionSignatures(bundle);
      // The Safe asks each P-256 account owner; ask it first, so a refusal costs no gas.
      const contractApprovals = executionApprovals(bundle).filter(
        (a): a is ContractApproval => a.kind === 'contract',
      );
      await onChain(checkContractApprovals(client, hash, contractApprovals));
      const pending = listOutbox(store, p.chainId).find(
        (row) =>
          row.kind === 'treasury-execute' &&
          row.summary.safeTxHash === hash &&
          row.status !== 'failed' &&
          row.status !== 'replaced',
      );
      if (pending) {
        throw mismatch(
          'queued',
          `this proposal's execution is queued already (transaction ${pending.txHash}); \`signet sync\` sends it`,
        );
      }
      const { account } = activeSender(store, p.chainId, request.from);
      requireSecp256k1(account.curve, 'execute');
      const review = reviewOf(store, p, bundle);
      const call: Call = {
        to: bundle.safe,
        data: execTransactionData(tx, signatures),
        kind: 'treasury-execute',
        summary: {
          safe: bundle.safe,
          nonce: tx.nonce.toString(),
          safeTxHash: hash,
          ...(review.call.kind === 'payment'
            ? { to: review.call.to, amount: review.call.amount, currency: review.call.currency }
            : {}),
          ...(review.call.kind === 'batch'
            ? {
                payments: review.call.count,
                total: review.call.total,
                currency: review.call.currency,
              }
            : {}),
          ...(review.call.kind === 'note'
            ? { note: review.call.op, tokenId: review.call.tokenId ?? 'new' }
            : {}),
          approvers: bundle.approvals.map((a) => a.owner),
        },
        asset: 'currency',
        amount: 0n,
        // A batch needs gas for each of its transfers on top of the execution's budget,
        // and a P-256 owner's signature for its verification in Solidity.
        ...(review.call.kind === 'batch' || contractApprovals.length > 0
          ? {
              gas:
                gasBudget['treasury-execute'] +
                (review.call.kind === 'batch'
                  ? TRANSFER_GAS_IN_BATCH * BigInt(review.call.count)
                  : 0n) +
                P256_SIGNATURE_GAS * BigInt(contractApprovals.length),
            }
          : {}),
        ...(review.call.kind === 'note' ? { gas: noteExecutionGas(review.call) } : {}),
      };
      const queued = await context.wallet(p, caller).queue({ account, calls: [call] });
      // The execution joins the proposal and approvals in the audit log (the signed
      // transaction itself is logged by the wallet as every other one).
      appendAudit(store, {
        action: 'execute-safe-tx',
        keyUri: request.from,
        subject: {
          ...auditSubject(review),
          treasury: review.safeName,
          approvers: bundle.approvals.map((a) => a.owner),
        },
        txHash: queued[0]?.txHash ?? null,
      });
      return { review, ...(await sync.afterSigning(p, queued)) };
    },
  };
}

/**
 * How every proposal ends (a payment, a batch, a note operation, an owner
 * change, a cancel): a bundle with the treasury's owners and threshold and the
 * ledger's P-256 factory, its description checked by encoding it before anything
 * is recorded, approved at once by `signWith` when the CLI asks, reviewed,
 * audited, and its nonce taken in the treasury's queue.
 */
export async function writeProposal(
  context: AppContext,
  caller: Caller,
  treasury: Treasury,
  proposal: { tx: SafeTx; description: string },
  options: { signWith?: string | undefined; action?: 'propose-safe-tx' | 'cancel-safe-tx' } = {},
) {
  const p = context.profile();
  const store = context.store();
  let bundle: ApprovalBundle = {
    chainId: p.chainId,
    safe: treasury.address,
    owners: treasury.owners,
    threshold: treasury.threshold,
    proposal,
    approvals: [],
    ...p256FactoryOf(p),
  };
  let text = await encodeBundle(bundle);
  if (options.signWith !== undefined) {
    bundle = (await approveBundle(context, caller, store, bundle, options.signWith)).approved;
    text = await encodeBundle(bundle);
  }
  const review = reviewOf(store, p, bundle);
  appendAudit(store, {
    action: options.action ?? 'propose-safe-tx',
    keyUri: options.signWith ?? null,
    subject: { ...auditSubject(review), treasury: treasury.name },
  });
  recordProposal(store, treasury, proposal.tx.nonce);
  return { review, bundle: text };
}

/**
 * An owner's approval added to `bundle` (an approval it already has is kept):
 * the key must be an owner the bundle lists, checked before it signs.
 */
export async function approveBundle(
  context: AppContext,
  caller: Caller,
  store: Store,
  bundle: ApprovalBundle,
  keyUri: string,
  policyFile?: string,
): Promise<{ approved: ApprovalBundle; owner: Address; policy: PolicyCheck | null }> {
  // The treasury's policy first: a proposal it refuses is never signed (nor a PIN asked for).
  // A cancel moves nothing: no policy holds it back (else a rejected proposal could freeze the queue).
  let checked: PolicyCheck | null = null;
  try {
    const policy = isCancelTx(bundle.safe, bundle.proposal.tx)
      ? undefined
      : await policyFor(store, bundle, policyFile);
    checked = policy ? checkPolicy(store, policy, bundle) : null;
  } catch (error) {
    // A proposal the policy refuses is a rejection, logged as approvals are (a bundle
    // that does not decode is not: a page could fill the log with those).
    if (error instanceof SignetError && error.code === 'POLICY_VIOLATION') {
      appendAudit(store, {
        action: 'reject-safe-tx',
        keyUri,
        subject: {
          chainId: bundle.chainId,
          safe: bundle.safe,
          nonce: bundle.proposal.tx.nonce.toString(),
          safeTxHash: bundleSafeTxHash(bundle),
          description: bundle.proposal.description,
          rule: error.details?.rule ?? null,
          reason: error.message,
        },
      });
    }
    throw error;
  }
  const signer = await openApprover(
    keyUri,
    { search: context.search(caller), pins: caller.pins, hid: context.hid },
    bundle.p256AccountFactory,
  );
  try {
    const account = signer instanceof P256AccountSigner ? signer.account.address : signer.address;
    if (!bundle.owners.some((o) => isAddressEqual(o, account))) {
      throw new SignetError(
        'BUNDLE_INVALID',
        `the key's account ${account} is not an owner of treasury ${bundle.safe}; nothing was signed`,
        { details: { reason: 'not-owner', owner: account } },
      );
    }
    const { tx } = bundle.proposal;
    const signature = await approveSafeTx(signer, bundle.chainId, bundle.safe, tx);
    if (signature.kind === 'approved') {
      throw new SignetError('INTERNAL', 'a key approved on chain instead of signing');
    }
    const approved = await addApproval(
      bundle,
      signature.kind === 'contract' && signer instanceof P256AccountSigner
        ? {
            kind: 'contract',
            owner: signature.owner,
            publicKey: signer.account.publicKey,
            signature: signature.signature,
          }
        : { kind: 'ecdsa', owner: signature.owner, signature: signature.signature },
    );
    appendAudit(store, {
      action: 'approve-safe-tx',
      keyUri,
      subject: {
        chainId: bundle.chainId,
        safe: bundle.safe,
        nonce: tx.nonce.toString(),
        safeTxHash: bundleSafeTxHash(bundle),
        owner: signature.owner,
        description: bundle.proposal.description,
        ...(checked ? { policyVersion: checked.version } : {}),
      },
    });
    return { approved, owner: signature.owner, policy: checked };
  } finally {
    await signer.close();
  }
}

/** What the UI's `reviewDigest` must name to sign for a bundle: its proposal's safeTxHash. */
export function reviewedBundle(bundle: ApprovalBundle): { reviewDigest: Hex } {
  return { reviewDigest: bundleSafeTxHash(bundle).toLowerCase() as Hex };
}

/**
 * A proposal made from the UI is not signed as it is made: the page shows its
 * review, then approves it with treasury.approve and the review's digest.
 */
export function requireNoSignWith(caller: Caller, signWith: string | undefined): void {
  if (caller.origin === 'ui' && signWith !== undefined) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      'a proposal is approved from the UI after its review, with treasury.approve',
      { details: { field: 'signWith', reason: 'sign-with-from-ui' } },
    );
  }
}

/** The ledger's P-256 account factory, for a new bundle (ApprovalBundle.p256AccountFactory). */
export function p256FactoryOf(profile: ChainProfile): { p256AccountFactory?: Address } {
  const factory = profile.contracts.p256AccountFactory;
  return factory ? { p256AccountFactory: getAddress(factory) } : {};
}

/**
 * With the bundle's ledger selected, its P-256 account factory is the
 * profile's: a bundle naming another is refused (its P-256 approvals could not
 * be this ledger's accounts), one naming none gets the profile's.
 */
function withKnownFactory(
  profile: ChainProfile | undefined,
  bundle: ApprovalBundle,
): ApprovalBundle {
  const known =
    profile?.chainId === bundle.chainId ? profile.contracts.p256AccountFactory : undefined;
  if (!known) return bundle;
  if (bundle.p256AccountFactory && !isAddressEqual(bundle.p256AccountFactory, known)) {
    throw mismatch(
      'p256-factory',
      `the bundle names P-256 account factory ${bundle.p256AccountFactory}; ledger ${profile!.name} has ${getAddress(known)}`,
    );
  }
  return { ...bundle, p256AccountFactory: getAddress(known) };
}

function treasuryView(t: Treasury) {
  return {
    chainId: t.chainId,
    address: t.address,
    name: t.name,
    owners: t.owners,
    threshold: t.threshold,
    saltNonce: t.saltNonce.toString(),
  };
}

/** A CREATE2 salt nonce nobody can guess, so nobody deploys at the address first with other owners. */
function freshSalt(): bigint {
  return hexToBigInt(toHex(crypto.getRandomValues(new Uint8Array(16))));
}

/**
 * A treasury to be, checked with no network: its owners and threshold, its
 * address (refused when the wallet has it, or the name, already), the sending
 * account, and the digest of all that (core/treasury/create-digest.ts).
 */
function plannedCreate(
  store: Store,
  p: ChainProfile,
  request: { name: string; owners: string[]; threshold: number; from: string },
  saltNonce: bigint,
) {
  const owners = request.owners.map((owner) => ownerAddress(store, owner));
  const deployment = safeDeployment(p.contracts, owners, request.threshold, saltNonce);
  const taken = listTreasuries(store, p.chainId).find(
    (t) =>
      t.name.toLowerCase() === request.name.toLowerCase() ||
      isAddressEqual(t.address, deployment.address),
  );
  if (taken) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `treasury ${taken.name} (${taken.address}) exists already: choose another name or salt`,
      { details: { field: 'name', reason: 'treasury-exists' } },
    );
  }
  const { account } = activeSender(store, p.chainId, request.from);
  requireSecp256k1(account.curve, 'create');
  const reviewDigest = createDigest(p.chainId, getAddress(account.address), deployment);
  return { deployment, account, reviewDigest };
}

/** An owner given by address, or by the key URI of one of the wallet's accounts. */
function ownerAddress(store: Store, owner: string): Address {
  if (owner.startsWith('0x')) return parseAddress(owner, 'owner');
  const account = findAccountByKeyUri(store, owner);
  if (!account) {
    throw new SignetError(
      'ACCOUNT_UNKNOWN',
      `owner ${owner} is not a wallet account: add it with \`signet account add\`, or give its address`,
      { details: { field: 'owners', reason: 'owner-unknown' } },
    );
  }
  return getAddress(account.address);
}

function requireSecp256k1(curve: string, what: string): void {
  if (curve !== 'secp256k1') {
    throw new SignetError(
      'CURVE_UNSUPPORTED',
      `a treasury ${what} is sent by a secp256k1 account; --from names a ${curve} one`,
      { details: { field: 'from', reason: 'curve' } },
    );
  }
}

function requireChain(profile: ChainProfile, bundle: ApprovalBundle): void {
  if (profile.chainId !== bundle.chainId) {
    throw mismatch(
      'chain',
      `the bundle is for chain ${bundle.chainId}, the selected ledger ${profile.name} is chain ${profile.chainId}`,
    );
  }
}

export function selectedProfile(context: AppContext): ChainProfile | undefined {
  try {
    return context.profile();
  } catch (error) {
    if (error instanceof SignetError) return undefined;
    throw error;
  }
}

/** A refusal about bundle number `index` (1-based for people) names it. */
async function numbered<T>(index: number, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SignetError) {
      throw new SignetError(error.code, `bundle ${index + 1}: ${error.message}`, {
        details: { ...error.details, bundle: index + 1 },
      });
    }
    throw error;
  }
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** The treasury as the last sync read it, with the notes it holds; null before any sync saw it. */
function syncedView(store: Store, profile: ChainProfile, address: Address) {
  const state = getTreasuryState(store, profile.chainId, address);
  if (!state) return null;
  return {
    block: state.updatedBlock,
    deployed: state.deployed,
    owners: state.owners,
    threshold: state.threshold,
    balance: formatAmount(state.balance),
    registered: state.registered,
    frozen: state.frozen,
    notes: heldNoteRows(store, profile, address),
  };
}
