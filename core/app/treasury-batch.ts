/**
 * `treasury.batch`: a Safe CSV Airdrop file (core/treasury/batch-csv.ts) becomes
 * one MultiSendCallOnly proposal, or several at consecutive nonces when the
 * chain's block gas limit calls for it (core/treasury/batch-proposal.ts), each
 * an approval bundle. Every row is checked before a bundle exists: with a node,
 * payees against the currency's registry and the total against the treasury's
 * balance; with none, payees the store knows as unregistered are refused and the
 * result says how limited the check was.
 */
import type { Address } from 'viem';
import { SignetError } from '../api/errors.js';
import { formatAmount } from '../chain/amount.js';
import { listAccountStates } from '../store/chain-state.js';
import { recordChainState, requireTreasury } from '../store/treasuries.js';
import { checkBatchCsv, formatBatchProblems, registeredOnChain } from '../treasury/batch-csv.js';
import { planBatch } from '../treasury/batch-proposal.js';
import type { AppContext } from './app-context.js';
import type { Handlers } from './dispatcher.js';
import { requireNoSignWith, writeProposal } from './treasury.js';
import { chainClient, currencyBalance, deployedState, onChain } from './treasury-chain.js';

/** The block gas limit assumed with no node (the dev ledger's and most chains' 30M). */
const OFFLINE_BLOCK_GAS_LIMIT = 30_000_000n;

export function treasuryBatchHandlers(context: AppContext): Pick<Handlers, 'treasury.batch'> {
  return {
    'treasury.batch': async (request, caller) => {
      const p = context.profile();
      const store = context.store();
      requireNoSignWith(caller, request.signWith);
      let treasury = requireTreasury(store, p.chainId, request.treasury);
      let nonce = max(treasury.chainNonce, treasury.nextProposal);
      let checks: {
        registry: 'chain' | 'store';
        balance: bigint | null;
        blockGasLimit: bigint;
        isRegistered: (a: Address) => boolean | Promise<boolean>;
      };
      if (!request.offline) {
        const client = chainClient(context.rpc(p));
        const state = await onChain(deployedState(client, p, treasury));
        if (state) {
          treasury = recordChainState(store, treasury, state).treasury;
          nonce = max(state.nonce, treasury.nextProposal);
        }
        const registered = registeredOnChain(client, p.contracts.currency);
        checks = {
          registry: 'chain',
          balance: await onChain(currencyBalance(client, p, treasury.address)),
          blockGasLimit: (await onChain(client.getBlock())).gasLimit,
          isRegistered: (a) => onChain(registered(a)),
        };
      } else {
        // What the last sync saw of the wallet's own accounts: the only registry the store has.
        const known = new Map(
          listAccountStates(store, p.chainId).map((s) => [s.address.toLowerCase(), s.registered]),
        );
        checks = {
          registry: 'store',
          balance: null,
          blockGasLimit: OFFLINE_BLOCK_GAS_LIMIT,
          isRegistered: (a) => known.get(a.toLowerCase()) ?? true,
        };
      }
      const checked = await checkBatchCsv(request.csv, {
        currency: p.contracts.currency,
        balance: checks.balance ?? 2n ** 255n,
        isRegistered: checks.isRegistered,
        onProgress: progressEvents(context),
      });
      if (!checked.ok) {
        const lines = formatBatchProblems(checked.problems);
        throw new SignetError(
          'FILE_INVALID',
          `${lines.length} bad row${lines.length === 1 ? '' : 's'} in the CSV; no proposal was made`,
          { details: { reason: 'batch-rows', problems: lines } },
        );
      }
      const plan = planBatch(checked.rows, {
        currency: p.contracts.currency,
        multiSendCallOnly: p.contracts.multiSendCallOnly,
        firstNonce: nonce,
        blockGasLimit: checks.blockGasLimit,
        ...(request.description ? { label: request.description } : {}),
      });
      const proposals = [];
      for (const proposal of plan.proposals) {
        // A file at its cap makes ~30 proposals (~3 s in all): let other calls in between.
        await new Promise((resolve) => setImmediate(resolve));
        const { tx, description } = proposal;
        proposals.push(
          await writeProposal(context, caller, treasury, { tx, description }, request),
        );
      }
      const limits: string[] = [];
      if (checks.registry === 'store') {
        limits.push(
          'no node: payees were checked against the accounts this wallet has synced only, the balance not at all, and the block gas limit assumed 30,000,000',
        );
      }
      return {
        proposals,
        rows: checked.rows.length,
        total: formatAmount(checked.total),
        splitReason: plan.splitReason ?? null,
        limits,
      };
    },
  };
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/**
 * `treasury.batch.progress` events for a progress bar: one per whole percent
 * checked (at most 101 for any file), the last when every row is checked.
 */
export function progressEvents(context: Pick<AppContext, 'emit'>) {
  let shown = -1;
  return (checked: number, rows: number) => {
    const percent = Math.floor((checked * 100) / rows);
    if (percent === shown) return;
    shown = percent;
    context.emit({ type: 'treasury.batch.progress', payload: { checked, rows } });
  };
}
