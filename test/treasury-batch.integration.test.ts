/**
 * A batch payment from a CSV on the dev ledger: 200 rows in Safe's CSV Airdrop
 * format, checked against the chain (registered payees, the treasury's
 * balance), planned into one MultiSendCallOnly proposal, approved by 2 of the 3
 * owners of a treasury with SoftHSM2 token keys (through an approval bundle, as
 * approvers exchange them), executed as ONE Safe transaction; every payee's
 * balance is read on chain afterwards.
 */
import type { Address } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatAmount } from '../core/chain/amount.js';
import { readSafe, type SafeTx } from '../core/chain/safe.js';
import {
  type ApprovalBundle,
  addApproval,
  executionSignatures,
} from '../core/treasury/approval-bundle.js';
import {
  checkBatchCsv,
  formatBatchProblems,
  registeredOnChain,
} from '../core/treasury/batch-csv.js';
import { planBatch } from '../core/treasury/batch-proposal.js';
import { useDevChain } from './support/dev-chain.js';
import { createSoftHsmStore } from './support/softhsm.js';
import {
  currencyBalance,
  deployTreasury,
  executeSafeTx,
  type OwnerKey,
  registeredPayees,
  tokenApprovals,
  tokenOwners,
} from './support/treasury.js';

const ledger = useDevChain();
const store = createSoftHsmStore();
const PIN = '2468-batch';
const payerKey = generatePrivateKey();
let owners: OwnerKey[];

beforeAll(async () => {
  ({ owners } = await tokenOwners(store, 'Batch', PIN, ['alice', 'bob', 'carol']));
  await ledger.setBalance(privateKeyToAccount(payerKey).address, 10n ** 21n);
}, 60_000);
afterAll(() => store.remove());

/** The approval bundle approvers pass around, with `keys` (token keys) approving in turn. */
async function approvedBundle(
  safe: Address,
  proposal: { tx: SafeTx; description: string },
  keys: OwnerKey[],
): Promise<ApprovalBundle> {
  const { chainId } = ledger.profile;
  let bundle: ApprovalBundle = {
    chainId,
    safe,
    owners: owners
      .map((o) => o.address)
      .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
    threshold: 2,
    proposal: { tx: proposal.tx, description: proposal.description },
    approvals: [],
  };
  for (const approval of await tokenApprovals(chainId, keys, PIN, safe, proposal.tx)) {
    if (approval.kind !== 'ecdsa') throw new Error('a token key approves with ECDSA');
    bundle = await addApproval(bundle, approval);
  }
  return bundle;
}

it('pays a 200-row CSV as one Safe transaction approved by 2 of 3 token keys', {
  timeout: 180_000,
}, async () => {
  const { contracts } = ledger.profile;
  const safe = await deployTreasury(
    ledger,
    payerKey,
    owners.map((o) => o.address),
    2,
  );
  const payees = await registeredPayees(ledger, 200);
  const amounts = payees.map((_, i) => BigInt(1_00 + i * 7)); // 1.00, 1.07, …
  const total = amounts.reduce((s, a) => s + a, 0n);
  await ledger.fund(safe, total + 5_00n);

  // CRLF and a BOM, as spreadsheets export; receivers lowercase and checksummed in turn.
  const csv = `\uFEFFtoken_type,token_address,receiver,amount,id\r\n${payees
    .map(
      (p, i) =>
        `erc20,${contracts.currency},${i % 2 ? p.toLowerCase() : p},${formatAmount(amounts[i]!)},row-${i}`,
    )
    .join('\r\n')}\r\n`;

  // The same file with one payee the registry does not know: refused, nothing to sign.
  const stranger = privateKeyToAccount(generatePrivateKey()).address;
  const context = {
    currency: contracts.currency,
    balance: await currencyBalance(ledger, safe),
    isRegistered: registeredOnChain(ledger.publicClient, contracts.currency),
  };
  const refused = await checkBatchCsv(csv.replace(payees[42]!, stranger), context);
  expect(refused.ok).toBe(false);
  if (!refused.ok) {
    expect(formatBatchProblems(refused.problems)).toEqual([
      `line 44, receiver: ${stranger} is not a registered account of the currency`,
    ]);
  }

  const checked = await checkBatchCsv(csv, context);
  if (!checked.ok) throw new Error(formatBatchProblems(checked.problems).join('\n'));
  expect(checked.total).toBe(total);

  const { nonce } = await readSafe(ledger.publicClient, safe);
  const { gasLimit } = await ledger.publicClient.getBlock();
  const plan = planBatch(checked.rows, {
    currency: contracts.currency,
    multiSendCallOnly: contracts.multiSendCallOnly,
    firstNonce: nonce,
    blockGasLimit: gasLimit,
    label: 'Payroll',
  });
  expect(plan.splitReason).toBeUndefined();
  expect(plan.proposals).toHaveLength(1);
  const [proposal] = plan.proposals;

  // Approvers exchange a bundle; Alice and Carol approve, Bob does not.
  const bundle = await approvedBundle(safe, proposal!, [owners[0]!, owners[2]!]);
  const receipt = await executeSafeTx(
    ledger,
    payerKey,
    safe,
    proposal!.tx,
    executionSignatures(bundle),
  );
  console.log(
    `200-row batch: one execTransaction, ${receipt.gasUsed.toLocaleString('en')} gas (${(receipt.gasUsed / 200n).toLocaleString('en')} a payee); plan estimated ${proposal!.estimatedGas.toLocaleString('en')}`,
  );
  expect(receipt.gasUsed).toBeLessThanOrEqual(proposal!.estimatedGas);

  const balances = await Promise.all(payees.map((p: Address) => currencyBalance(ledger, p)));
  expect(balances).toEqual(amounts);
  expect(await currencyBalance(ledger, safe)).toBe(5_00n);
  expect((await readSafe(ledger.publicClient, safe)).nonce).toBe(nonce + 1n);
});

it('pays a batch split by a gas budget as proposals with consecutive nonces, executed in order', {
  timeout: 120_000,
}, async () => {
  const { contracts } = ledger.profile;
  const safe = await deployTreasury(
    ledger,
    payerKey,
    owners.map((o) => o.address),
    2,
    2n,
  );
  const payees = await registeredPayees(ledger, 25);
  await ledger.fund(safe, 25n * 3_00n);
  const csv = `token_type,token_address,receiver,amount,id\n${payees
    .map((p) => `erc20,${contracts.currency},${p},3,`)
    .join('\n')}`;
  const checked = await checkBatchCsv(csv, {
    currency: contracts.currency,
    balance: await currencyBalance(ledger, safe),
    isRegistered: registeredOnChain(ledger.publicClient, contracts.currency),
  });
  if (!checked.ok) throw new Error(formatBatchProblems(checked.problems).join('\n'));
  const plan = planBatch(checked.rows, {
    currency: contracts.currency,
    multiSendCallOnly: contracts.multiSendCallOnly,
    firstNonce: 0n,
    blockGasLimit: (await ledger.publicClient.getBlock()).gasLimit,
    gasBudget: 570_000n, // (570,000 − 120,000) ÷ 45,000: 10 transfers a proposal
  });
  expect(plan.proposals.map((p) => [p.tx.nonce, p.rows.length])).toEqual([
    [0n, 10],
    [1n, 10],
    [2n, 5],
  ]);
  expect(plan.splitReason).toMatch(/split into 3 proposals of at most 10 transfers, nonces 0 to 2/);
  for (const proposal of plan.proposals) {
    const bundle = await approvedBundle(safe, proposal, [owners[1]!, owners[2]!]);
    const receipt = await executeSafeTx(
      ledger,
      payerKey,
      safe,
      proposal.tx,
      executionSignatures(bundle),
    );
    expect(receipt.gasUsed).toBeLessThanOrEqual(proposal.estimatedGas);
  }
  expect(await Promise.all(payees.map((p) => currencyBalance(ledger, p)))).toEqual(
    payees.map(() => 3_00n),
  );
  expect((await readSafe(ledger.publicClient, safe)).nonce).toBe(3n);
});
