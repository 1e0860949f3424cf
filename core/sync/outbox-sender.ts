/**
 * Sends the outbox and follows each transaction to its fate, believing only what
 * a quorum of the profile's CONFIGURED nodes say (RpcPool.poll; vote.ts): one
 * node's receipt, refusal or silence decides nothing. Without a quorum a
 * transaction stays where it is and the sync reports it as unconfirmed.
 *
 * - Broadcasting goes to every reachable node: it is idempotent (a signed
 *   transaction has a fixed hash and nonce), so after a crash or a second
 *   `sync` it can only be answered "already known" or be mined once.
 * - A transaction never sent may fail when a quorum refuses it. One that was
 *   ever sent is never failed for a refused rebroadcast: its nonce stays
 *   reserved until the chain shows, at the profile's confirmation depth, that
 *   the nonce was used by something else (→ replaced) or that it is still free
 *   and no node knows the transaction (→ failed, "sign again").
 * - A reverted transaction is included, its amount pending and its nonce held,
 *   until its block is as deep as a confirmed one's; only then failed. A reorg
 *   before that depth may take the block away and mine the transaction anew,
 *   successfully: failing it early would let the user pay twice.
 * - Receipts are read at the pinned block (RpcPool.heads): a receipt in a newer
 *   block counts as none yet, so nodes a block apart agree.
 *
 * Depth is one rule for every outcome (depth.ts).
 */
import { type Hex, parseTransaction } from 'viem';
import { revertMessage } from '../chain/revert.js';
import { rpcError } from '../rpc/rpc-errors.js';
import type { Poll, RpcPool } from '../rpc/rpc-pool.js';
import type { Answer } from '../rpc/transport.js';
import { quorumKey } from '../rpc/vote.js';
import type { Store } from '../store/database.js';
import {
  clearMissing,
  listOutbox,
  markConfirmed,
  markFailed,
  markIncluded,
  markMissing,
  markReplaced,
  markSent,
  type OutboxTx,
  toSend,
} from '../store/outbox.js';
import { atDepth, deepestAt, freeingDepth } from './depth.js';

export interface SendReport {
  /** Broadcasts a node took as new. */
  sent: number;
  /** Transactions never sent that a quorum refused (and the ones queued behind them). */
  failed: number;
  /** Never sent, and too few nodes agree on what became of the broadcast. */
  unconfirmed: number;
}

export interface FollowReport {
  included: number;
  confirmed: number;
  /** Reverted, or dropped (gone, its nonce free at the confirmation depth). */
  failed: number;
  /** Too few nodes agree on its receipt or on its nonce: left as it was. */
  unconfirmed: number;
}

interface Receipt {
  status: Hex;
  blockNumber: Hex;
  blockHash: Hex;
}

/** Wordings differ per node implementation (geth, Besu, Hardhat, anvil, Nethermind). */
const alreadyThere =
  /already known|known transaction|already imported|AlreadyKnown|already exists/i;
const nonceUsed = /nonce too low|nonce has already been used|OldNonce|nonce is too low/i;

type Said = 'accepted' | 'known' | 'nonce-used' | 'refused';

function said(answer: Answer): Said {
  if ('result' in answer) return 'accepted';
  if (alreadyThere.test(answer.error.message)) return 'known';
  if (nonceUsed.test(answer.error.message)) return 'nonce-used';
  return 'refused';
}

export async function sendOutbox(store: Store, rpc: RpcPool, chainId: number): Promise<SendReport> {
  const report: SendReport = { sent: 0, failed: 0, unconfirmed: 0 };
  /** Per account, the nonce a quorum refused: nothing after it can be mined. */
  const gapAt = new Map<string, number>();
  for (const tx of toSend(store, chainId)) {
    const gap = gapAt.get(tx.from);
    if (gap !== undefined && tx.status === 'signed') {
      markFailed(
        store,
        tx.txHash,
        `waits for nonce ${gap}, which the ledger refused; sign this payment again`,
      );
      report.failed++;
      continue;
    }
    const answers = await rpc.broadcast('eth_sendRawTransaction', [tx.raw]);
    const votes = answers.map(({ answer }) => said(answer));
    if (votes.includes('accepted')) {
      markSent(store, tx.txHash); // another attempt, for a row already sent
      report.sent++;
      continue;
    }
    if (votes.includes('known')) {
      if (tx.status === 'signed') markSent(store, tx.txHash); // a crash fell after the broadcast
      continue;
    }
    // A refused rebroadcast decides nothing: followReceipts and the depth rule do.
    if (tx.status === 'sent') continue;
    const outcome = await refusedFirstBroadcast(
      store,
      rpc,
      tx,
      answers.map((a) => a.answer),
    );
    if (outcome === 'failed') {
      report.failed++;
      gapAt.set(tx.from, tx.nonce);
    } else if (outcome === 'unconfirmed') report.unconfirmed++;
  }
  return report;
}

/** No node took a transaction never sent before: what a quorum says decides. */
async function refusedFirstBroadcast(
  store: Store,
  rpc: RpcPool,
  tx: OutboxTx,
  answers: Answer[],
): Promise<'sent' | 'replaced' | 'failed' | 'unconfirmed'> {
  const receipts = await rpc.broadcast('eth_getTransactionReceipt', [tx.txHash]);
  if (receipts.some(({ answer }) => 'result' in answer && answer.result !== null)) {
    // Mined although refused (Hardhat mines a reverting transaction, then reports
    // an error; a crash fell between the broadcast and markSent): its receipt will decide.
    markSent(store, tx.txHash);
    return 'sent';
  }
  const noReceipt = receipts.filter(({ answer }) => 'result' in answer).length >= rpc.quorum;
  const votes = answers.map(said);
  if (noReceipt && votes.filter((v) => v === 'nonce-used').length >= rpc.quorum) {
    // Another transaction took the nonce (a fee bump or cancel from elsewhere).
    markReplaced(store, tx.txHash);
    return 'replaced';
  }
  const refusals = answers.filter((answer) => said(answer) === 'refused');
  if (refusals.length < rpc.quorum) return 'unconfirmed';
  // The reason most of them gave, by code and revert data (wording differs per node).
  const keys = refusals.map(refusalKey);
  const reason = refusals[keys.indexOf(quorumKey(keys, keys.length) ?? keys[0]!)]!;
  markFailed(store, tx.txHash, revertMessage(rpcError('eth_sendRawTransaction', errorOf(reason))));
  return 'failed';
}

function errorOf(answer: Answer) {
  if (!('error' in answer)) throw new Error('a refusal is an error answer');
  return answer.error;
}

function refusalKey(answer: Answer): string {
  const { code, data } = errorOf(answer);
  return JSON.stringify([code, data ?? null]);
}

/**
 * Moves sent and included transactions on by their receipts at the pinned block
 * `head`: included, then confirmed or (reverted) failed once the receipt's block
 * is at the profile's depth (the block kept, for a reorg); replaced or dropped
 * by the depth rule.
 */
export async function followReceipts(
  store: Store,
  rpc: RpcPool,
  chainId: number,
  head: number,
  confirmations: number,
): Promise<FollowReport> {
  const report: FollowReport = { included: 0, confirmed: 0, failed: 0, unconfirmed: 0 };
  const open = [
    ...listOutbox(store, chainId, { status: 'sent' }),
    ...listOutbox(store, chainId, { status: 'included' }),
  ];
  if (open.length === 0) return report;
  const polls = await rpc.poll(
    open.map((tx) => ({ method: 'eth_getTransactionReceipt', params: [tx.txHash] })),
    { compareBy: receiptAt(head), atBlock: head },
  );
  const waiting: OutboxTx[] = [];
  for (const [i, tx] of open.entries()) {
    const { agreed } = polls[i]!;
    if (!agreed || 'error' in agreed) {
      // Not seen missing at this block by a quorum: "missing continuously" starts over.
      clearMissing(store, tx.txHash);
      report.unconfirmed++;
      continue;
    }
    const receipt = agreed.result as Receipt | null;
    if (!receipt || Number(receipt.blockNumber) > head) {
      if (tx.status === 'sent') waiting.push(tx);
      continue;
    }
    clearMissing(store, tx.txHash);
    const block = { blockNumber: Number(receipt.blockNumber), blockHash: receipt.blockHash };
    if (tx.status === 'included' && tx.blockHash !== block.blockHash.toLowerCase()) {
      // In another block than recorded: a reorg the index has not rewound yet.
      report.unconfirmed++;
      continue;
    }
    if (tx.status === 'sent' && markIncluded(store, tx.txHash, block)) report.included++;
    if (receipt.status === '0x0') {
      if (!atDepth(head, block.blockNumber, freeingDepth(confirmations))) continue;
      const reason = await revertReason(rpc, tx, block.blockNumber);
      if (markFailed(store, tx.txHash, reason, block)) report.failed++;
      continue;
    }
    if (atDepth(head, block.blockNumber, confirmations) && markConfirmed(store, tx.txHash))
      report.confirmed++;
  }
  const settled = await settleWaiting(store, rpc, waiting, head, confirmations);
  report.failed += settled.failed;
  report.unconfirmed += settled.unconfirmed;
  return report;
}

/**
 * Sent transactions a quorum has no receipt for, at the pinned block. Each
 * keeps its nonce until the chain shows, with a quorum: the account's nonce
 * past it at the confirmation depth (another transaction used it → replaced),
 * or its nonce free while no node knows the transaction, at every sync for
 * `confirmations` blocks (dropped → failed: only then may the user sign again).
 *
 * "No node knows it" takes a quorum of the configured nodes answering that they
 * do not, and not one answering node that does: a node that still holds it may
 * mine it later, after the user has signed the payment again. A sync that
 * cannot tell (no quorum, or a node knows it) starts the count over.
 */
async function settleWaiting(
  store: Store,
  rpc: RpcPool,
  waiting: OutboxTx[],
  head: number,
  confirmations: number,
): Promise<{ failed: number; unconfirmed: number }> {
  const result = { failed: 0, unconfirmed: 0 };
  if (waiting.length === 0) return result;
  const depth = freeingDepth(confirmations);
  const accounts: string[] = [...new Set(waiting.map((tx) => tx.from))];
  const counts = await rpc.poll(
    accounts.flatMap((account) =>
      [deepestAt(head, depth), head].map((block) => ({
        method: 'eth_getTransactionCount',
        params: [account, `0x${block.toString(16)}`],
      })),
    ),
    { atBlock: head },
  );
  const nonceAt = (account: string, which: 0 | 1): number | undefined => {
    const agreed = counts[accounts.indexOf(account) * 2 + which]!.agreed;
    return agreed && 'result' in agreed ? Number(agreed.result) : undefined;
  };
  // Mempools differ from node to node: a node that lacks a transaction is not
  // lying, and what counts is whether any has it (knownToAny), not a vote.
  const known = await rpc.poll(
    waiting.map((tx) => ({ method: 'eth_getTransactionByHash', params: [tx.txHash] })),
    { flag: false },
  );
  for (const [i, tx] of waiting.entries()) {
    const atDepthNonce = nonceAt(tx.from, 0);
    const atHead = nonceAt(tx.from, 1);
    const isKnown = knownToAny(known[i]!, rpc.quorum);
    if (atDepthNonce !== undefined && atDepthNonce > tx.nonce) {
      // A quorum has no receipt of ours, and the nonce was used deep enough: by another.
      markReplaced(store, tx.txHash);
      continue;
    }
    if (atHead !== undefined && atHead <= tx.nonce && isKnown === false) {
      const since = markMissing(store, tx.txHash, head) ?? head;
      // The first block built in its absence is the one after it was first seen missing.
      if (atDepth(head, since + 1, depth)) {
        markFailed(
          store,
          tx.txHash,
          `dropped: no ledger node has it and nonce ${tx.nonce} is free again (block ${head}); sign again`,
        );
        result.failed++;
      }
      continue;
    }
    clearMissing(store, tx.txHash);
    if (atDepthNonce === undefined || atHead === undefined || isKnown === undefined)
      result.unconfirmed++;
  }
  return result;
}

/**
 * Whether any node knows a transaction, from an eth_getTransactionByHash poll:
 * true when one answering node has it, false only when a quorum of the
 * configured nodes answered and none has it, undefined when too few answered.
 */
function knownToAny(poll: Poll, quorum: number): boolean | undefined {
  const said = poll.answers.flatMap(({ answer }) => ('result' in answer ? [answer.result] : []));
  if (said.some((found) => found !== null)) return true;
  return said.length >= quorum ? false : undefined;
}

/**
 * What a receipt vote compares, at pinned block `head`: a receipt in a newer
 * block is "none yet" (a node one block behind is not lying), and only what
 * decides a fate counts (implementations add different extra fields).
 */
function receiptAt(head: number): (receipt: unknown) => unknown {
  return (value) => {
    const receipt = value as Receipt | null;
    if (receipt === null || Number(receipt.blockNumber) > head) return null;
    return {
      status: receipt.status,
      blockHash: receipt.blockHash,
      block: Number(receipt.blockNumber),
    };
  };
}

/** Replays the call in the block before to read why it reverted. */
async function revertReason(rpc: RpcPool, tx: OutboxTx, blockNumber: number): Promise<string> {
  const parsed = parseTransaction(tx.raw);
  try {
    await rpc.request('eth_call', [
      {
        from: tx.from,
        to: parsed.to,
        data: parsed.data,
        value: `0x${(parsed.value ?? 0n).toString(16)}`,
      },
      `0x${(blockNumber - 1).toString(16)}`,
    ]);
    return 'transaction reverted (no reason given)';
  } catch (error) {
    return revertMessage(error);
  }
}
