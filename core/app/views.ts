/**
 * Store records as the API (and the CLI's --json) shows them: amounts as
 * decimal strings, ids as decimal text, dates as YYYY-MM-DD.
 */

import type { ChainProfile } from '../api/profile.js';
import { formatAmount } from '../chain/amount.js';
import type { Note } from '../store/chain-state.js';
import type { HistoryEvent } from '../store/history.js';
import type { OutboxTx } from '../store/outbox.js';
import { inChainCurrency, type NoteFacts } from '../wallet/financed-note.js';

export function outboxRow(t: OutboxTx) {
  return {
    txHash: t.txHash,
    from: t.from,
    nonce: t.nonce,
    carried: t.carried,
    kind: t.kind,
    status: t.status,
    summary: t.summary,
    amount: formatAmount(t.amount),
    blockNumber: t.blockNumber,
    error: t.error,
  };
}

/**
 * A note with the currency it is payable in, and whether that is the ledger's own
 * (the profile's currency contract): only those count as money.
 */
export function noteRow(n: Note, profile: Pick<ChainProfile, 'contracts'>) {
  return {
    tokenId: n.tokenId.toString(),
    holder: n.holder,
    acceptor: n.acceptor,
    currency: n.currency,
    currencyKnown: inChainCurrency(n, profile),
    maturity: new Date(n.maturity * 1000).toISOString().slice(0, 10),
    value: formatAmount(n.value),
    status: n.status,
  };
}

/** The note an operation acts on, as the review shows it: its facts, and as of which block. */
export function noteFactsView(n: NoteFacts, profile: Pick<ChainProfile, 'contracts'>) {
  return { ...noteRow(n, profile), source: n.source, asOfBlock: n.updatedBlock };
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
