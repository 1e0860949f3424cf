/**
 * npm run bench:offline — offline digital cash (issue 13): vouchers verified offline
 * per second, and the gas of settling vouchers on the dev ledger (Hardhat), one by
 * one and in batches.
 *
 * Settle: 20 customers each open a purse (certified by the dev operator's key) and
 * pay 50 vouchers to 10 merchants in turn: 1,000 vouchers. The first 100 (two
 * purses) are settled one voucher per transaction; the other 900 in batches of
 * 100, sorted by purse and counter as a collection service would submit them.
 * Gas per voucher is the transactions' gasUsed (base fee, calldata and all) over
 * the vouchers they paid; every voucher is checked paid exactly once afterwards.
 * Merchants start with a balance, as shops do, so neither run pays for a
 * first-ever balance.
 *
 * Verify: 10,000 vouchers (100 purses × 100) checked with checkPayment
 * (core/purse/verify.ts), as a payee with no network does: each against the
 * voucher before it in its purse (held), the certificate key as synced; after
 * a warm-up of 1,000 checks, not counted.
 * Last line: `ratio: X.XX` = gas per voucher one by one ÷ gas per voucher batched.
 */
import { availableParallelism, loadavg } from 'node:os';
import {
  type Abi,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { currencyAbi } from '../core/chain/abi.js';
import { offlinePurseAbi, purseTerms } from '../core/purse/abi.js';
import type { PurseDomain, Voucher } from '../core/purse/typed-data.js';
import { checkPayment, type OfflinePayment } from '../core/purse/verify.js';
import { devChain, devKeys } from '../ledger/deploy.js';
import { type DevChain, fundAccount, startDevChain } from '../ledger/dev-chain.js';
import { nextVoucher, signVoucher, testPurse } from '../test/support/purse.js';

const PURSES = 20;
const PER_PURSE = 50;
const MERCHANTS = 10;
const ONE_BY_ONE = 100;
const BATCH = 100;
const VERIFY_PURSES = 100;
const VERIFY_PER_PURSE = 100;
const AMOUNT = 1_00n;
/** Checks run before the timed 10,000 (the same vouchers), not counted. */
const WARMUP = 1_000;

interface Signed {
  voucher: Voucher;
  signature: Hex;
}

let ledger: DevChain | undefined;
try {
  ledger = await startDevChain();
  const { profile } = ledger;
  const chain: Chain = devChain(profile.chainId, ledger.node.url);
  const transport = http(ledger.node.url, { retryCount: 0 });
  const client = createPublicClient({ chain, transport, pollingInterval: 20 }) as PublicClient;
  const purseContract = profile.contracts.offlinePurse as Address;
  const currency = profile.contracts.currency as Address;
  const domain: PurseDomain = { chainId: profile.chainId, verifyingContract: purseContract };
  const operator = privateKeyToAccount(devKeys.operator);
  const wallet = (key: Hex) =>
    createWalletClient({
      account: privateKeyToAccount(key),
      chain,
      transport,
      pollingInterval: 20,
    });
  const mined = async (hash: Hex) => {
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
    return receipt;
  };
  const merchants: Address[] = [];
  for (let i = 0; i < MERCHANTS; i++) {
    const address = privateKeyToAccount(generatePrivateKey()).address;
    await fundAccount(profile, address, 1_00n);
    merchants.push(address);
  }

  /** A purse key's certificate (epoch 0 of a fresh owner) and its honest vouchers. */
  async function purseWith(owner: Address, count: number) {
    const now = BigInt(Math.floor(Date.now() / 1000));
    const purse = await testPurse(domain, operator, {
      owner,
      locked: AMOUNT * BigInt(count),
      cap: AMOUNT,
      maxCount: count,
      validFrom: now - 3600n,
      validUntil: now + 30n * 86_400n,
      epoch: 0,
    });
    const vouchers: Signed[] = [];
    let previous: Voucher | null = null;
    for (let counter = 1; counter <= count; counter++) {
      const payee = merchants[(counter - 1) % MERCHANTS]!;
      const issuedAt = purse.certificate.validFrom + 60n + BigInt(counter);
      const voucher = nextVoucher(purse, previous, payee, AMOUNT, issuedAt);
      vouchers.push({ voucher, signature: await signVoucher(purse.purseKey, domain, voucher) });
      previous = voucher;
    }
    return { ...purse, vouchers };
  }

  // --- Settle on the chain ---
  const all: Signed[] = [];
  for (let p = 0; p < PURSES; p++) {
    const ownerKey = generatePrivateKey();
    const owner = privateKeyToAccount(ownerKey).address;
    await fundAccount(profile, owner, AMOUNT * BigInt(PER_PURSE));
    const purse = await purseWith(owner, PER_PURSE);
    // FIX-13: open takes the terms alone (within the dev operator's purse policy).
    await mined(
      await wallet(ownerKey).writeContract({
        address: currency,
        abi: currencyAbi,
        functionName: 'approve',
        args: [purseContract, purse.certificate.locked],
      }),
    );
    await mined(
      await wallet(ownerKey).writeContract({
        address: purseContract,
        abi: offlinePurseAbi,
        functionName: 'open',
        args: [purseTerms(purse.certificate)],
      }),
    );
    all.push(...purse.vouchers);
  }

  const settler = wallet(devKeys.operator);
  async function settle(batch: readonly Signed[]) {
    const receipt = await mined(
      await settler.writeContract({
        address: purseContract,
        abi: offlinePurseAbi as Abi,
        functionName: 'settle',
        args: [batch.map((s) => s.voucher), batch.map((s) => s.signature)],
        gas: 30_000_000n,
      }),
    );
    return receipt.gasUsed;
  }
  let oneByOneGas = 0n;
  for (const signed of all.slice(0, ONE_BY_ONE)) oneByOneGas += await settle([signed]);
  const rest = all
    .slice(ONE_BY_ONE)
    .sort((a, b) =>
      a.voucher.purse === b.voucher.purse
        ? a.voucher.counter - b.voucher.counter
        : a.voucher.purse < b.voucher.purse
          ? -1
          : 1,
    );
  let batchedGas = 0n;
  const batchGas: bigint[] = [];
  for (let i = 0; i < rest.length; i += BATCH) {
    const gas = await settle(rest.slice(i, i + BATCH));
    batchGas.push(gas);
    batchedGas += gas;
  }
  // Every voucher paid exactly once: each merchant got its share, the settled flags agree.
  for (const [i, merchant] of merchants.entries()) {
    const balance = await client.readContract({
      address: currency,
      abi: currencyAbi,
      functionName: 'balanceOf',
      args: [merchant],
    });
    const share = BigInt(all.filter((s) => s.voucher.payee === merchant).length) * AMOUNT;
    if (balance !== 1_00n + share)
      throw new Error(`merchant ${i} has ${balance}, expected ${1_00n + share}`);
  }
  for (const s of [all[0]!, all[ONE_BY_ONE]!, all[all.length - 1]!]) {
    const settled = await client.readContract({
      address: purseContract,
      abi: offlinePurseAbi,
      functionName: 'isSettled',
      args: [s.voucher],
    });
    if (!settled) throw new Error(`voucher ${s.voucher.counter} of ${s.voucher.purse} not settled`);
  }
  const perOne = Number(oneByOneGas) / ONE_BY_ONE;
  const perBatched = Number(batchedGas) / rest.length;

  // --- Verify offline ---
  const certificateKeys = new Map<Address, Address>([[operator.address, operator.address]]);
  const payments: { payment: OfflinePayment; held: Voucher[] }[] = [];
  const signStarted = performance.now();
  for (let p = 0; p < VERIFY_PURSES; p++) {
    const owner = privateKeyToAccount(generatePrivateKey()).address;
    const purse = await purseWith(owner, VERIFY_PER_PURSE);
    purse.vouchers.forEach((s, i) => {
      payments.push({
        payment: {
          certificate: purse.certificate,
          certificateSignature: purse.certificateSignature,
          voucher: s.voucher,
          voucherSignature: s.signature,
        },
        held: i === 0 ? [] : [purse.vouchers[i - 1]!.voucher],
      });
    });
  }
  const signMs = performance.now() - signStarted;
  const now = BigInt(Math.floor(Date.now() / 1000));
  const check = ({ payment, held }: (typeof payments)[number]) =>
    checkPayment(payment, {
      domain,
      certificateKeys,
      now,
      payee: null,
      held,
      receiveLimit: null,
      pendingTotal: 0n,
    });
  // Warm-up (not counted): the JIT compiles the checks, as it has in a payee's running wallet.
  for (const payment of payments.slice(0, WARMUP)) check(payment);
  const verifyStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  for (const payment of payments) check(payment);
  const verifyMs = performance.now() - verifyStarted;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const perSecond = payments.length / (verifyMs / 1000);

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `offline purse on the dev ledger (Hardhat): ${PURSES} purses × ${PER_PURSE} vouchers to ${MERCHANTS} merchants = ${all.length} settled, each exactly once`,
  );
  console.log(
    `verified offline: ${payments.length.toLocaleString('en-US')} vouchers (${VERIFY_PURSES} purses, each against the one before it) in ${verifyMs.toFixed(0)} ms = ${fmt(perSecond)} vouchers/s (after a ${WARMUP}-check warm-up; target ≥ 5,000; signing them took ${(signMs / 1000).toFixed(1)} s, not counted)`,
  );
  console.log(
    `  by this process's CPU time (steadier on a loaded machine: load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores): ${fmt(payments.length / (cpuMs / 1000))} vouchers/s`,
  );
  console.log(
    `settled one by one: ${ONE_BY_ONE} transactions, ${fmt(Number(oneByOneGas))} gas = ${fmt(perOne)} gas per voucher`,
  );
  console.log(
    `settled batched: ${batchGas.length} batches of ${BATCH}, ${fmt(Number(batchedGas))} gas = ${fmt(perBatched)} gas per voucher (per batch: ${batchGas.map((g) => fmt(Number(g))).join(', ')})`,
  );
  console.log(`ratio: ${(perOne / perBatched).toFixed(2)}`);
} finally {
  await ledger?.stop();
}
