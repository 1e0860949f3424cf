/**
 * npm run bench:sync — indexing a wallet's history from logs on the dev ledger.
 *
 * Seeds 20,000 currency transfers touching four wallet accounts (the operator's
 * transferBatch, 20 payments per transaction, plus batches between the wallet's
 * own accounts so both directions appear), one transaction every third block
 * (the blocks between are empty, as on a ledger that produces blocks on a
 * timer), then measures in one run:
 * - Signet's full index from the deploy block on a fresh store: history rows
 *   written ÷ wall time of Indexer.index (fetch, decode, store, checkpoints),
 *   best of a few rounds, and the peak RSS during the first round; also one
 *   whole SyncEngine.syncOnce (which adds fees, receipts and balances);
 * - an incremental syncOnce of one new block on the indexed store (median);
 * - a naive indexer in the same rounds: one eth_getLogs per block and per
 *   filter (Signet's two filters: from and to the wallet), decoded and inserted
 *   as the same rows (Signet's decoder and addEvents, one transaction per block)
 *   into a fresh store;
 * - the node alone: Signet's two queries over the whole range, the answers read
 *   but not parsed. Both indexers pay the node's time per log (on Hardhat, about
 *   as much as Signet's own decoding and storing), so this bounds the ratio.
 * Last line: `ratio: X.XX` (Signet's events/s ÷ the naive indexer's).
 *
 * The wallet's accounts use software keys here: syncing signs nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrivateKeyAccount } from 'viem/accounts';
import type { ChainProfile } from '../core/api/profile.js';
import { RpcPool } from '../core/rpc/rpc-pool.js';
import { openStore, type Store } from '../core/store/database.js';
import { addEvents, countHistory } from '../core/store/history.js';
import { addressTopic, TRANSFER, toCurrencyEvent } from '../core/sync/events.js';
import type { LogQuery, RawLog } from '../core/sync/fetch-logs.js';
import { Indexer } from '../core/sync/indexer.js';
import { SyncEngine } from '../core/sync/sync-engine.js';
import { type DevChain, startDevChain } from '../ledger/dev-chain.js';
import { addBenchAccounts, seedChain } from './support/sync-chain.js';

/**
 * 20 wallet events per transaction, one transaction every third block: a wallet
 * active in many blocks but never alone on the ledger (3,000 blocks in all).
 */
const PLAN = {
  accounts: 4,
  perTx: 20,
  operatorTxs: 950, // 19,000 payments from the operator to the wallet
  internalTxs: 50, // 1,000 payments between the wallet's own accounts
  emptyBlocksAfterTx: 2,
};
/** Full-index rounds (Signet, then the naive indexer, each on a fresh store); best reported. */
const ROUNDS = 3;
const INCREMENTAL_RUNS = 5;
/** As the app builds its pool (core/app/app-context.ts). */
const POOL = { timeoutMs: 5_000 };

const temp = mkdtempSync(join(tmpdir(), 'signet-bench-sync-'));
let ledger: DevChain | undefined;
let storeCount = 0;

try {
  ledger = await startDevChain();
  const { profile } = ledger;
  const seeded = await seedChain(profile, PLAN);
  const { wallet, head, events } = seeded;
  const blocks = head - profile.deployBlock + 1;
  const addresses = wallet.map((account) => account.address);
  console.log(
    `seeded: ${events} transfers touching ${PLAN.accounts} wallet accounts in ${PLAN.operatorTxs + PLAN.internalTxs} transactions, blocks ${profile.deployBlock}..${head} (${blocks} blocks, ${PLAN.emptyBlocksAfterTx} empty after each transaction), ${(seeded.ms / 1000).toFixed(1)} s`,
  );

  // Full index, alternating Signet's Indexer and the naive indexer, each on a fresh store.
  const signet: number[] = [];
  const naive: number[] = [];
  const floor: number[] = [];
  let memory: { before: number; peak: number } | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const store = freshStore(wallet);
    const rss = sampleRss();
    const started = performance.now();
    const result = await new Indexer(store, pool(profile), profile).index(head, addresses, []);
    const ms = performance.now() - started;
    memory ??= rss.stop(); // the first round: nothing of an earlier round still on the heap
    rss.stop();
    expectRows(store, profile, events, result.events, 'Signet');
    signet.push((events / ms) * 1000);
    store.close();

    const baseline = freshStore(wallet);
    const start = performance.now();
    await naiveIndex(baseline, pool(profile), profile, wallet, profile.deployBlock, head);
    const naiveMs = performance.now() - start;
    expectRows(baseline, profile, events, undefined, 'the naive indexer');
    naive.push((events / naiveMs) * 1000);
    baseline.close();

    floor.push((events / (await nodeAlone(profile, wallet, head))) * 1000);
  }

  // What `signet sync` does: the whole syncOnce (fees, receipts, index, balances) on a fresh store…
  const synced = freshStore(wallet);
  const engine = new SyncEngine(synced, pool(profile), profile);
  const syncStart = performance.now();
  const report = await engine.syncOnce();
  const syncMs = performance.now() - syncStart;
  if (report.head !== head) throw new Error(`the head moved during the bench: ${report.head}`);
  expectRows(synced, profile, events, report.events, 'syncOnce');
  // …then one more transfer (one new block) and syncOnce again on the indexed store.
  const incremental: number[] = [];
  for (let run = 0; run < INCREMENTAL_RUNS; run++) {
    await seeded.pay(wallet[run % wallet.length]!.address, 1n);
    const start = performance.now();
    const step = await engine.syncOnce();
    incremental.push(performance.now() - start);
    if (step.events !== 1) throw new Error(`incremental sync found ${step.events} events, not 1`);
  }
  synced.close();

  const best = (rates: number[]) => Math.max(...rates);
  const list = (rates: number[]) => rates.map((r) => r.toFixed(0)).join(', ');
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  console.log(
    `full index of ${events} rows from the deploy block, ${ROUNDS} rounds (best reported)`,
  );
  console.log(
    `Signet full index (Indexer.index, fresh store): ${best(signet).toFixed(0)} events/s  [${list(signet)}]`,
  );
  console.log(
    `Signet full sync (SyncEngine.syncOnce, fresh store, once): ${((events / syncMs) * 1000).toFixed(0)} events/s, ${(syncMs / 1000).toFixed(2)} s`,
  );
  console.log(
    `Signet peak RSS during the first full index: ${mib(memory!.peak)} (${mib(memory!.before)} before; process maxRSS ${mib(process.resourceUsage().maxRSS * 1024)})`,
  );
  console.log(
    `Signet incremental sync of one new block (syncOnce): ${median(incremental).toFixed(1)} ms median of ${INCREMENTAL_RUNS}  [${incremental.map((ms) => ms.toFixed(1)).join(', ')}]`,
  );
  console.log(
    `naive indexer (eth_getLogs per block × 2 filters, ${blocks} blocks): ${best(naive).toFixed(0)} events/s  [${list(naive)}]`,
  );
  console.log(
    `node alone (Signet's two eth_getLogs over the whole range, answers read but not parsed): ${best(floor).toFixed(0)} events/s  [${list(floor)}]; no indexer of this node passes that, so the ratio cannot pass ${(best(floor) / best(naive)).toFixed(2)}`,
  );
  console.log(`ratio: ${(best(signet) / best(naive)).toFixed(2)}`);
} finally {
  await ledger?.stop();
  rmSync(temp, { recursive: true, force: true });
}

function expectRows(
  store: Store,
  profile: ChainProfile,
  events: number,
  reported: number | undefined,
  who: string,
): void {
  const rows = countHistory(store, profile.chainId);
  if (rows !== events || (reported !== undefined && reported !== events))
    throw new Error(`${who} wrote ${rows} history rows (reported ${reported}), not ${events}`);
}

function pool(profile: ChainProfile): RpcPool {
  return new RpcPool({ urls: profile.rpc, chainId: profile.chainId, ...POOL });
}

/** A fresh store file holding the wallet's accounts. */
function freshStore(wallet: PrivateKeyAccount[]): Store {
  const store = openStore(join(temp, `store-${storeCount++}`, 'signet.sqlite'));
  addBenchAccounts(store, wallet);
  return store;
}

/**
 * What an indexer without range queries does: every block, every filter, one
 * request at a time; the same decoder and the same insert as Signet.
 */
async function naiveIndex(
  store: Store,
  rpc: RpcPool,
  profile: ChainProfile,
  wallet: PrivateKeyAccount[],
  from: number,
  to: number,
): Promise<void> {
  const ours = wallet.map((account) => addressTopic(account.address));
  const { currency, notes } = profile.contracts;
  const queries: LogQuery[] = [
    { address: [currency, notes], topics: [TRANSFER, ours] },
    { address: [currency, notes], topics: [TRANSFER, null, ours] },
  ];
  for (let block = from; block <= to; block++) {
    const tag = `0x${block.toString(16)}`;
    const logs: RawLog[] = [];
    for (const query of queries) {
      logs.push(
        ...(await rpc.request<RawLog[]>('eth_getLogs', [
          { fromBlock: tag, toBlock: tag, address: query.address, topics: query.topics },
        ])),
      );
    }
    const events = logs
      .map((log) => toCurrencyEvent(profile.chainId, log, profile.contracts.currency))
      .filter((event) => event !== undefined);
    addEvents(store, events); // a transfer between own accounts comes twice: stored once
  }
}

/**
 * Milliseconds the node takes to answer Signet's two queries over the whole range,
 * the answers read but not parsed: the node's own share, which every indexer pays.
 */
async function nodeAlone(
  profile: ChainProfile,
  wallet: PrivateKeyAccount[],
  head: number,
): Promise<number> {
  const ours = wallet.map((account) => addressTopic(account.address));
  const { currency, notes } = profile.contracts;
  const ask = async (topics: LogQuery['topics']) => {
    const response = await fetch(profile.rpc[0]!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_getLogs',
        params: [
          {
            fromBlock: `0x${profile.deployBlock.toString(16)}`,
            toBlock: `0x${head.toString(16)}`,
            address: [currency, notes],
            topics,
          },
        ],
      }),
    });
    await response.text();
  };
  const started = performance.now();
  await Promise.all([ask([TRANSFER, ours]), ask([TRANSFER, null, ours])]);
  return performance.now() - started;
}

/** Samples the resident set size every 10 ms until stopped. */
function sampleRss() {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return { before, peak: Math.max(peak, process.memoryUsage.rss()) };
    },
  };
}
