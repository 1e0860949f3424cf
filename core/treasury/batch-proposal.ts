/**
 * Checked batch rows (core/treasury/batch-csv.ts) become treasury proposals:
 * one MultiSendCallOnly SafeTx of currency `transfer` calls, or several when
 * one would not fit the gas budget (half the block gas limit, and no more than
 * EIP-7825's cap on one transaction) or the
 * size a node accepts for a transaction. Each gets the next Safe nonce, and
 * the plan says why it split.
 */
import { type Address, encodeFunctionData, size } from 'viem';
import { SignetError } from '../api/errors.js';
import { currencyAbi } from '../chain/abi.js';
import { formatAmount } from '../chain/amount.js';
import { type SafeTx, safeBatch } from '../chain/safe.js';
import type { BatchRow } from './batch-csv.js';

/**
 * Gas of one currency transfer inside a MultiSendCallOnly batch to a payee
 * with no balance yet (the dearest case: a fresh storage slot), with headroom.
 * Measured on the dev ledger (test/treasury-batch.integration.test.ts, bench:treasury)
 * at about 33,800; a third more here.
 */
export const TRANSFER_GAS_IN_BATCH = 45_000n;
/** execTransaction around the batch: the signature checks, nonce, events, calldata of the header. */
export const BATCH_BASE_GAS = 120_000n;
/**
 * The most gas one transaction may use where EIP-7825 applies (Osaka: 2^24),
 * whatever the block gas limit: the default budget never exceeds it.
 */
export const MAX_TRANSACTION_GAS = 16_777_216n;
/** Packed MultiSend calldata a proposal may carry: nodes refuse transactions over 128 KiB. */
export const MAX_BATCH_DATA_BYTES = 100_000;

export interface BatchPlanOptions {
  currency: Address;
  multiSendCallOnly: Address;
  /** The Safe's nonce for the first proposal; the next ones follow. */
  firstNonce: bigint;
  /** The ledger's block gas limit (the latest block's, or the profile's). */
  blockGasLimit: bigint;
  /** Gas one proposal may use; defaults to half the block gas limit, at most MAX_TRANSACTION_GAS. */
  gasBudget?: bigint;
  gasPerTransfer?: bigint;
  maxDataBytes?: number;
  /** Heads each proposal's description (e.g. "Payroll December"). */
  label?: string;
}

export interface BatchProposal {
  tx: SafeTx;
  description: string;
  rows: BatchRow[];
  total: bigint;
  /** What the plan budgets for it (not a node's estimate). */
  estimatedGas: bigint;
}

export interface BatchPlan {
  proposals: BatchProposal[];
  /** Why the rows did not fit one proposal; absent when they did. */
  splitReason?: string;
}

function transferData(row: BatchRow) {
  return encodeFunctionData({
    abi: currencyAbi,
    functionName: 'transfer',
    args: [row.receiver, row.amount],
  });
}

export function planBatch(rows: readonly BatchRow[], options: BatchPlanOptions): BatchPlan {
  if (rows.length === 0) {
    throw new SignetError('INVALID_ARGUMENT', 'a batch needs at least one row', {
      details: { reason: 'batch-empty' },
    });
  }
  const perTransfer = options.gasPerTransfer ?? TRANSFER_GAS_IN_BATCH;
  const half = options.blockGasLimit / 2n;
  const budget = options.gasBudget ?? (half < MAX_TRANSACTION_GAS ? half : MAX_TRANSACTION_GAS);
  if (budget > options.blockGasLimit) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `the gas budget ${budget} is over the block gas limit ${options.blockGasLimit}`,
      { details: { reason: 'gas-budget' } },
    );
  }
  const byGas = (budget - BATCH_BASE_GAS) / perTransfer;
  if (byGas < 1n) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `a gas budget of ${budget} cannot hold even one transfer (${BATCH_BASE_GAS + perTransfer} gas)`,
      { details: { reason: 'gas-budget' } },
    );
  }
  const calls = rows.map((row) => ({ to: options.currency, data: transferData(row) }));
  // Packed: 1 + 20 + 32 + 32 bytes of header, then the call data.
  const rowBytes = 85 + size(calls[0]!.data);
  const bySize = Math.floor((options.maxDataBytes ?? MAX_BATCH_DATA_BYTES) / rowBytes);
  const perProposal = Math.min(Number(byGas), bySize);

  const count = Math.ceil(rows.length / perProposal);
  const proposals: BatchProposal[] = [];
  for (let i = 0; i < count; i++) {
    const part = rows.slice(i * perProposal, (i + 1) * perProposal);
    const total = part.reduce((sum, row) => sum + row.amount, 0n);
    const nonce = options.firstNonce + BigInt(i);
    const head = options.label ? `${options.label}: ` : '';
    const which =
      count === 1
        ? `${part.length} payments`
        : `part ${i + 1} of ${count}, ${part.length} payments (lines ${part[0]!.line}–${part.at(-1)!.line})`;
    proposals.push({
      tx: safeBatch(
        options.multiSendCallOnly,
        calls.slice(i * perProposal, (i + 1) * perProposal),
        nonce,
      ),
      description: `${head}batch ${which}, total ${formatAmount(total)}`,
      rows: part,
      total,
      estimatedGas: BATCH_BASE_GAS + perTransfer * BigInt(part.length),
    });
  }
  if (count === 1) return { proposals };
  const needed = BATCH_BASE_GAS + perTransfer * BigInt(rows.length);
  const splitReason =
    Number(byGas) <= bySize
      ? `${rows.length} transfers need about ${needed.toLocaleString('en')} gas, over the budget of ${budget.toLocaleString('en')} a transaction (block gas limit ${options.blockGasLimit.toLocaleString('en')}): split into ${count} proposals of at most ${perProposal} transfers, nonces ${options.firstNonce} to ${options.firstNonce + BigInt(count - 1)}`
      : `${rows.length} transfers are ${(rows.length * rowBytes).toLocaleString('en')} bytes of calldata, over ${(options.maxDataBytes ?? MAX_BATCH_DATA_BYTES).toLocaleString('en')} a transaction: split into ${count} proposals of at most ${perProposal} transfers, nonces ${options.firstNonce} to ${options.firstNonce + BigInt(count - 1)}`;
  return { proposals, splitReason };
}
