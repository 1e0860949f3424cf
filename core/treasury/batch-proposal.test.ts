import { decodeFunctionData, getAddress, keccak256, numberToHex, slice } from 'viem';
import { describe, expect, it } from 'vitest';
import { currencyAbi } from '../chain/abi.js';
import { decodeMultiSend, multiSendAbi } from '../chain/safe.js';
import type { BatchRow } from './batch-csv.js';
import { BATCH_BASE_GAS, planBatch, TRANSFER_GAS_IN_BATCH } from './batch-proposal.js';

const CURRENCY = getAddress('0xe7f1725e7734ce288f8367e1bb143e90bb3f0512');
const MULTISEND = getAddress('0x9641d764fc13c8b624c04430c7356c1c7c8102e2');
const rows = (count: number): BatchRow[] =>
  Array.from({ length: count }, (_, i) => ({
    line: i + 2,
    receiver: getAddress(slice(keccak256(numberToHex(i + 1)), 12)),
    amount: BigInt(100 + i),
    id: '',
  }));
const options = { currency: CURRENCY, multiSendCallOnly: MULTISEND, firstNonce: 7n };

/** The transfers a proposal pays, decoded back from its SafeTx. */
function transfers(data: `0x${string}`) {
  const { args } = decodeFunctionData({ abi: multiSendAbi, data });
  return decodeMultiSend(args[0]).map((call) => {
    expect(call.to).toBe(CURRENCY);
    expect(call.value).toBe(0n);
    const decoded = decodeFunctionData({ abi: currencyAbi, data: call.data });
    expect(decoded.functionName).toBe('transfer');
    return decoded.args as readonly [string, bigint];
  });
}

describe('planBatch', () => {
  it('makes one MultiSendCallOnly proposal of currency transfers when the rows fit', () => {
    const plan = planBatch(rows(200), { ...options, blockGasLimit: 30_000_000n, label: 'Payroll' });
    expect(plan.splitReason).toBeUndefined();
    expect(plan.proposals).toHaveLength(1);
    const [proposal] = plan.proposals;
    expect(proposal!.tx).toMatchObject({ to: MULTISEND, operation: 1, value: 0n, nonce: 7n });
    expect(transfers(proposal!.tx.data)).toEqual(rows(200).map((r) => [r.receiver, r.amount]));
    expect(proposal!.total).toBe(rows(200).reduce((s, r) => s + r.amount, 0n));
    expect(proposal!.description).toBe('Payroll: batch 200 payments, total 399.00');
    expect(proposal!.estimatedGas).toBe(BATCH_BASE_GAS + 200n * TRANSFER_GAS_IN_BATCH);
  });

  it('splits over the gas budget (half the block by default), with consecutive nonces, and says why', () => {
    // Half of 12M is 6M: (6M − 120k) ÷ 45k = 130 transfers a proposal.
    const plan = planBatch(rows(300), { ...options, blockGasLimit: 12_000_000n });
    expect(plan.proposals.map((p) => p.rows.length)).toEqual([130, 130, 40]);
    expect(plan.proposals.map((p) => p.tx.nonce)).toEqual([7n, 8n, 9n]);
    expect(plan.proposals.flatMap((p) => transfers(p.tx.data))).toEqual(
      rows(300).map((r) => [r.receiver, r.amount]),
    );
    for (const p of plan.proposals) expect(p.estimatedGas).toBeLessThanOrEqual(6_000_000n);
    expect(plan.splitReason).toBe(
      '300 transfers need about 13,620,000 gas, over the budget of 6,000,000 a transaction (block gas limit 12,000,000): split into 3 proposals of at most 130 transfers, nonces 7 to 9',
    );
    expect(plan.proposals[1]!.description).toBe(
      'batch part 2 of 3, 130 payments (lines 132–261), total 382.85',
    );
  });

  it('keeps each proposal under EIP-7825’s 2^24 gas a transaction, however large the block', () => {
    const plan = planBatch(rows(500), { ...options, blockGasLimit: 60_000_000n });
    // (16,777,216 − 120,000) ÷ 45,000 = 370.
    expect(plan.proposals.map((p) => p.rows.length)).toEqual([370, 130]);
    expect(plan.splitReason).toMatch(
      /over the budget of 16,777,216 a transaction \(block gas limit 60,000,000\)/,
    );
    // A budget the caller gives (a chain without the cap) is taken as given.
    expect(
      planBatch(rows(500), { ...options, blockGasLimit: 60_000_000n, gasBudget: 30_000_000n })
        .proposals,
    ).toHaveLength(1);
  });

  it('takes a gas budget and a per-transfer gas figure', () => {
    const plan = planBatch(rows(10), {
      ...options,
      blockGasLimit: 30_000_000n,
      gasBudget: 320_000n,
      gasPerTransfer: 100_000n,
    });
    expect(plan.proposals.map((p) => p.rows.length)).toEqual([2, 2, 2, 2, 2]);
  });

  it('splits by calldata size when the gas would fit', () => {
    // 153 bytes a transfer: 100,000 bytes hold 653.
    const plan = planBatch(rows(700), {
      ...options,
      blockGasLimit: 1_000_000_000n,
      gasBudget: 1_000_000_000n,
    });
    expect(plan.proposals.map((p) => p.rows.length)).toEqual([653, 47]);
    expect(plan.splitReason).toMatch(/^700 transfers are 107,100 bytes of calldata, over 100,000/);
  });

  it.each([
    [[], { blockGasLimit: 30_000_000n }, /at least one row/],
    [rows(1), { blockGasLimit: 100_000n }, /cannot hold even one transfer/],
    [rows(1), { blockGasLimit: 1_000_000n, gasBudget: 2_000_000n }, /over the block gas limit/],
  ] as const)('refuses %#', (list, extra, message) => {
    expect(() => planBatch(list, { ...options, ...extra })).toThrow(message);
  });
});
