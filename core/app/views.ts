/**
 * Store records as the API (and the CLI's --json) shows them: amounts as
 * decimal strings, ids as decimal text, dates as YYYY-MM-DD.
 */
import { formatAmount } from '../chain/amount.js';
import type { Note } from '../store/chain-state.js';
import type { HistoryEvent } from '../store/history.js';
import type { OutboxTx } from '../store/outbox.js';

export function outboxRow(t: OutboxTx) {
  return {
    txHash: t.txHash,
    from: t.from,
    nonce: t.nonce,
    kind: t.kind,
    status: t.status,
    summary: t.summary,
    amount: formatAmount(t.amount),
    blockNumber: t.blockNumber,
    error: t.error,
  };
}

export function noteRow(n: Note) {
  return {
    tokenId: n.tokenId.toString(),
    holder: n.holder,
    acceptor: n.acceptor,
    maturity: new Date(n.maturity * 1000).toISOString().slice(0, 10),
    value: formatAmount(n.value),
    status: n.status,
  };
}

export function historyRow(e: HistoryEvent) {
  return {
    blockNumber: e.blockNumber,
    logIndex: e.logIndex,
    txHash: e.txHash,
    kind: e.kind,
    from: e.from,
    to: e.to,
    amount: formatAmount(e.amount),
    tokenId: e.tokenId?.toString() ?? null,
    timestamp: e.timestamp,
  };
}
