/**
 * Sends the outbox in nonce order and follows each transaction to inclusion and
 * finality. Sending is idempotent by construction: a signed transaction has a
 * fixed hash and nonce, so broadcasting it again after a crash or a second
 * `sync` can only be answered "already known" or be mined once.
 */
import { type Hex, parseTransaction } from 'viem';
import { SignetError } from '../api/errors.js';
import { revertMessage } from '../chain/revert.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import type { Store } from '../store/database.js';
import {
  listOutbox,
  markConfirmed,
  markFailed,
  markIncluded,
  markReplaced,
  markSent,
  type OutboxTx,
  toSend,
} from '../store/outbox.js';

export interface OutboxReport {
  sent: number;
  included: number;
  confirmed: number;
  failed: number;
}

interface Receipt {
  status: Hex;
  blockNumber: Hex;
  blockHash: Hex;
}

const alreadyThere = /already known|known transaction|already imported|AlreadyKnown/i;
const nonceUsed = /nonce too low|nonce has already been used|OldNonce/i;

export async function sendOutbox(store: Store, rpc: RpcPool, chainId: number): Promise<number> {
  let sent = 0;
  /** Per account, the nonce the ledger refused: nothing after it can be mined. */
  const gapAt = new Map<string, number>();
  for (const tx of toSend(store, chainId)) {
    const gap = gapAt.get(tx.from);
    if (gap !== undefined) {
      markFailed(
        store,
        tx.txHash,
        `waits for nonce ${gap}, which the ledger refused; sign this payment again`,
      );
      continue;
    }
    if (tx.status === 'sent' && (await isKnown(rpc, tx.txHash))) continue;
    try {
      await rpc.request('eth_sendRawTransaction', [tx.raw]);
      markSent(store, tx.txHash);
      sent++;
    } catch (error) {
      if (!(error instanceof SignetError) || error.code !== 'RPC_ERROR') throw error;
      if (alreadyThere.test(error.message)) {
        markSent(store, tx.txHash);
      } else if (await receiptOf(rpc, tx.txHash)) {
        // Mined although the node reported an error (Hardhat mines reverting
        // transactions and then throws): the receipt decides, with its reason.
        markSent(store, tx.txHash);
      } else if (nonceUsed.test(error.message)) {
        // Another transaction took the nonce (a fee bump or cancel from elsewhere).
        markReplaced(store, tx.txHash);
      } else {
        // Refused, not mined: its nonce stays unused and blocks the account's later ones.
        markFailed(store, tx.txHash, revertMessage(error));
        gapAt.set(tx.from, tx.nonce);
      }
    }
  }
  return sent;
}

/** Moves sent transactions to included/confirmed, or failed with the revert reason. */
export async function followReceipts(
  store: Store,
  rpc: RpcPool,
  chainId: number,
  head: number,
  confirmations: number,
): Promise<Omit<OutboxReport, 'sent'>> {
  const report = { included: 0, confirmed: 0, failed: 0 };
  const open = [
    ...listOutbox(store, chainId, { status: 'sent' }),
    ...listOutbox(store, chainId, { status: 'included' }),
  ];
  if (open.length === 0) return report;
  const receipts = (await rpc.batch(
    open.map((tx) => ({ method: 'eth_getTransactionReceipt', params: [tx.txHash] })),
  )) as Array<Receipt | null>;
  for (const [i, tx] of open.entries()) {
    const receipt = receipts[i];
    if (!receipt) continue;
    const blockNumber = Number(receipt.blockNumber);
    if (receipt.status === '0x0') {
      markFailed(store, tx.txHash, await revertReason(rpc, tx, blockNumber));
      report.failed++;
      continue;
    }
    if (
      tx.status === 'sent' &&
      markIncluded(store, tx.txHash, { blockNumber, blockHash: receipt.blockHash })
    )
      report.included++;
    if (head - blockNumber + 1 >= confirmations && markConfirmed(store, tx.txHash))
      report.confirmed++;
  }
  return report;
}

async function isKnown(rpc: RpcPool, hash: Hex): Promise<boolean> {
  return (await rpc.request('eth_getTransactionByHash', [hash])) !== null;
}

async function receiptOf(rpc: RpcPool, hash: Hex): Promise<Receipt | null> {
  return rpc.request<Receipt | null>('eth_getTransactionReceipt', [hash]);
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
