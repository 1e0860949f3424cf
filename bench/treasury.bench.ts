/**
 * npm run bench:treasury — a 500-row batch payment from a 2-of-3 treasury (a
 * Safe 1.4.1) on a fresh dev ledger (Hardhat):
 * - proposal build time: the CSV parsed and every row checked (receivers
 *   registered: asked of the node, and from a local set as the offline store
 *   would), then planned into MultiSendCallOnly proposals;
 * - gas: the batch's execTransaction(s), executed, every payee's balance then
 *   read on chain; and 500 single transfers, each its own execTransaction with
 *   two approvals: a few are executed (to fresh payees, as the batch's are) and
 *   their mean multiplied by 500;
 * - the animated QR of the approved bundle(s): fragments at 200 and 400 bytes
 *   per fragment, and the frames a scanner missing 10% of them needs (50 seeded
 *   runs, bench/support/qr-frames.ts).
 * Owners' keys here are software TEST KEYS: the gas of a signature check does
 * not depend on where the key lives (test/treasury-batch.integration.test.ts
 * signs on SoftHSM2 tokens).
 * Last lines: `qr-overhead: X.XX` (frames with 10% dropped ÷ fragments, at 200
 * bytes) and `ratio: X.XX` (gas of 500 single transfers ÷ gas of the batch).
 */
import { performance } from 'node:perf_hooks';
import {
  type Address,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  parseEventLogs,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { currencyAbi } from '../core/chain/abi.js';
import { formatAmount } from '../core/chain/amount.js';
import {
  execTransactionData,
  type SafeTx,
  safeAbi,
  safeCall,
  safeDeployment,
  safeTxTypedData,
} from '../core/chain/safe.js';
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
import { devChain } from '../ledger/deploy.js';
import { type DevChain, fundAccount, startDevChain } from '../ledger/dev-chain.js';
import { measureQrFrames } from './support/qr-frames.js';

const ROWS = 500;
/** Single transfers executed to measure one; their mean × ROWS is the singles' gas. */
const SINGLES_MEASURED = 5;

let ledger: DevChain | undefined;
try {
  ledger = await startDevChain();
  const { profile } = ledger;
  const { chainId, contracts } = profile;
  const chain = devChain(chainId, ledger.node.url);
  const transport = http(ledger.node.url, { retryCount: 0 });
  const client = createPublicClient({ chain, transport, pollingInterval: 20 });
  const wallet = (key: Hex) =>
    createWalletClient({
      account: privateKeyToAccount(key),
      chain,
      transport,
      pollingInterval: 20,
    });

  const payerKey = generatePrivateKey();
  await fundAccount(profile, privateKeyToAccount(payerKey).address, 1n); // gas money
  const payer = wallet(payerKey);
  const send = async (to: Address, data: Hex) => {
    const hash = await payer.sendTransaction({ to, data });
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
    return receipt;
  };

  // A 2-of-3 treasury of TEST KEYS.
  const ownerKeys = [generatePrivateKey(), generatePrivateKey(), generatePrivateKey()];
  const owners = ownerKeys.map((k) => privateKeyToAccount(k));
  const sortedOwners = owners
    .map((o) => o.address)
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  const deployment = safeDeployment(contracts, sortedOwners, 2, 1n);
  await send(deployment.factory, deployment.data);
  const safe = deployment.address;

  // Payees the operator registers (no money yet), back to back.
  const operator = wallet(profile.devOperatorKey as Hex);
  const register = async (count: number) => {
    const out: Address[] = [];
    let last: Hex | undefined;
    for (let i = 0; i < count; i++) {
      const address = privateKeyToAccount(generatePrivateKey()).address;
      last = await operator.writeContract({
        address: contracts.currency,
        abi: currencyAbi,
        functionName: 'registerAccount',
        args: [address, keccak256(address)],
      });
      out.push(address);
    }
    if (last) await client.waitForTransactionReceipt({ hash: last });
    return out;
  };
  const payees = await register(ROWS);
  const singlePayees = await register(SINGLES_MEASURED);
  const amounts = payees.map((_, i) => BigInt(10_00 + ((i * 7919) % 250_000)));
  const total = amounts.reduce((s, a) => s + a, 0n);
  await fundAccount(profile, safe, total + 1_000_00n);

  const csv = `token_type,token_address,receiver,amount,id\n${payees
    .map((p, i) => `erc20,${contracts.currency},${p},${formatAmount(amounts[i]!)},pay-${i + 1}`)
    .join('\n')}\n`;
  const balanceOf = (address: Address) =>
    client.readContract({
      address: contracts.currency,
      abi: currencyAbi,
      functionName: 'balanceOf',
      args: [address],
    });
  const safeBalance = await balanceOf(safe);
  const blockGasLimit = (await client.getBlock()).gasLimit;
  const nonce0 = await client.readContract({ address: safe, abi: safeAbi, functionName: 'nonce' });

  const build = async (isRegistered: (a: Address) => boolean | Promise<boolean>) => {
    const started = performance.now();
    const checked = await checkBatchCsv(csv, {
      currency: contracts.currency,
      balance: safeBalance,
      isRegistered,
    });
    if (!checked.ok) throw new Error(formatBatchProblems(checked.problems).join('\n'));
    const plan = planBatch(checked.rows, {
      currency: contracts.currency,
      multiSendCallOnly: contracts.multiSendCallOnly,
      firstNonce: nonce0,
      blockGasLimit,
      label: 'Payroll',
    });
    return { plan, ms: performance.now() - started };
  };
  const known = new Set(payees);
  await build((a) => known.has(a)); // warm-up
  const offline = await build((a) => known.has(a));
  const online = await build(registeredOnChain(client, contracts.currency));
  const { plan } = online;
  console.log(
    `Treasury batch of ${ROWS} rows (2-of-3 Safe ${safe}, ${profile.name}, block gas limit ${blockGasLimit.toLocaleString('en')})`,
  );
  console.log(
    `proposal build time (parse + check + build): ${offline.ms.toFixed(1)} ms with the store's registry (offline), ${online.ms.toFixed(1)} ms asking the node for each payee`,
  );
  console.log(
    `proposals: ${plan.proposals.length}${plan.splitReason ? ` (split: ${plan.splitReason})` : ' (one MultiSendCallOnly transaction)'}`,
  );

  const approve = async (tx: SafeTx, signers = owners.slice(0, 2)) => {
    let bundle: ApprovalBundle = {
      chainId,
      safe,
      owners: sortedOwners,
      threshold: 2,
      proposal: { tx, description: '' },
      approvals: [],
    };
    for (const owner of signers) {
      const signature = await owner.signTypedData(safeTxTypedData(chainId, safe, tx));
      bundle = await addApproval(bundle, { kind: 'ecdsa', owner: owner.address, signature });
    }
    return bundle;
  };
  const execute = async (tx: SafeTx, bundle: ApprovalBundle) => {
    const receipt = await send(safe, execTransactionData(tx, executionSignatures(bundle)));
    const ok = parseEventLogs({ abi: safeAbi, logs: receipt.logs, eventName: 'ExecutionSuccess' });
    if (ok.length !== 1) throw new Error('execTransaction did not succeed');
    return receipt.gasUsed;
  };

  // The batch: every proposal approved and executed, then every payee checked.
  let batchGas = 0n;
  const bundles: ApprovalBundle[] = [];
  for (const proposal of plan.proposals) {
    const bundle = await approve(proposal.tx);
    bundles.push({ ...bundle, proposal: { tx: proposal.tx, description: proposal.description } });
    const used = await execute(proposal.tx, bundle);
    console.log(
      `  nonce ${proposal.tx.nonce}: ${proposal.rows.length} transfers, ${used.toLocaleString('en')} gas (planned ${proposal.estimatedGas.toLocaleString('en')})`,
    );
    batchGas += used;
  }
  const paid = await Promise.all(payees.map(balanceOf));
  const wrong = paid.filter((b, i) => b !== amounts[i]).length;
  if (wrong > 0) throw new Error(`${wrong} payees were not paid exactly their amount`);
  console.log(
    `batch gas: ${batchGas.toLocaleString('en')} (${plan.proposals.length} execTransaction${plan.proposals.length > 1 ? 's, summed' : ''}; ${(batchGas / BigInt(ROWS)).toLocaleString('en')} a payee); all ${ROWS} payees' balances checked on chain`,
  );

  // Single transfers: each its own Safe transaction with two approvals.
  let singlesMeasured = 0n;
  let nonce = nonce0 + BigInt(plan.proposals.length);
  for (const to of singlePayees) {
    const tx = safeCall(
      {
        to: contracts.currency,
        data: encodeFunctionData({
          abi: currencyAbi,
          functionName: 'transfer',
          args: [to, 12_34n],
        }),
      },
      nonce++,
    );
    singlesMeasured += await execute(tx, await approve(tx));
  }
  const singleGas = singlesMeasured / BigInt(SINGLES_MEASURED);
  const singlesGas = singleGas * BigInt(ROWS);
  console.log(
    `single transfers: ${singleGas.toLocaleString('en')} gas each (mean of ${SINGLES_MEASURED} executed execTransaction, fresh payees); × ${ROWS} = ${singlesGas.toLocaleString('en')} gas (estimated, not all executed)`,
  );

  // The animated QR of the approved bundle(s).
  let overhead200 = 0;
  for (const fragmentLength of [200, 400]) {
    let fragments = 0;
    let shown = 0;
    for (const bundle of bundles) {
      const m = await measureQrFrames(bundle, fragmentLength, 0.1, 50);
      fragments += m.fragments;
      shown += m.shownWithDrops;
    }
    const overhead = shown / fragments;
    if (fragmentLength === 200) overhead200 = overhead;
    console.log(
      `QR at ${fragmentLength} bytes/fragment: ${fragments} fragments${bundles.length > 1 ? ` (${bundles.length} bundles, summed)` : ''}; with 10% of frames dropped a scanner needs ${shown.toFixed(1)} frames shown (overhead ${overhead.toFixed(2)})`,
    );
  }
  console.log(`qr-overhead: ${overhead200.toFixed(2)}`);
  console.log(`ratio: ${(Number(singlesGas) / Number(batchGas)).toFixed(2)}`);
} finally {
  await ledger?.stop();
}
