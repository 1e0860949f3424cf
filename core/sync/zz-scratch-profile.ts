/**
 * npm run bench:sync — indexing a wallet's history from logs on the dev ledger.
 *
 * Seeds 20,000 currency transfers touching four wallet accounts (the operator's
 * transferBatch, 250 payments per transaction, plus batches between the wallet's
 * own accounts so both directions appear), one transaction every third block
 * (the blocks between are empty, as on a ledger that produces blocks on a
 * timer), then measures in one run:
 * - Signet: SyncEngine.syncOnce on a fresh store from the deploy block (history
 *   rows written ÷ wall time of the whole syncOnce, which also reads fees,
 *   receipts and balances), with the peak RSS while it runs;
 * - an incremental syncOnce of one new block on the indexed store (median);
 * - a naive indexer: one eth_getLogs per block and per filter (the same two
 *   filters), decoded and inserted as the same rows (Signet's decoder and
 *   addEvents, one transaction per block) into a fresh store.
 * Last line: `ratio: X.XX` (Signet's events/s ÷ the naive indexer's).
 *
 * The wallet's accounts use software keys here: syncing signs nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  parseEther,
  toHex,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { confirmed, devChain, devKeys } from '../../ledger/deploy.js';
import { type DevLedger, startDevLedger } from '../../ledger/dev-ledger.js';
import type { LedgerProfile } from '../api/profile.js';
import { currencyAbi } from '../ledger/abi.js';
import { RpcPool } from '../rpc/rpc-pool.js';
import { addAccount } from '../store/accounts.js';
import { openStore, type Store } from '../store/database.js';
import { addEvents, countHistory } from '../store/history.js';
import { addressTopic, TRANSFER, toHistoryEvent } from './events.js';
import type { LogQuery, RawLog } from './fetch-logs.js';
import { SyncEngine } from './sync-engine.js';

const WALLET_ACCOUNTS = 4;
const PER_TX = 250;
const OPERATOR_TXS = 76; // 19,000 payments from the operator to the wallet
const INTERNAL_TXS = WALLET_ACCOUNTS; // 1,000 payments between the wallet's accounts
const EVENTS = (OPERATOR_TXS + INTERNAL_TXS) * PER_TX;
const EMPTY_BLOCKS_AFTER_TX = 2;
const INCREMENTAL_RUNS = 5;
/** As the CLI builds its pool (cli/ledger-context.ts). */
const POOL = { timeoutMs: 5_000 };

const temp = mkdtempSync(join(tmpdir(), 'signet-bench-sync-'));
let ledger: DevLedger | undefined;
let storeCount = 0;

try {
  ledger = await startDevLedger();
  const { profile } = ledger;
  const wallet = Array.from({ length: WALLET_ACCOUNTS }, (_, i) =>
    privateKeyToAccount(keccak256(toHex(`signet sync bench account ${i}`))),
  );
  const seeded = await seed(profile, wallet);
  const head = seeded.head;
  const blocks = head - profile.deployBlock + 1;
  console.log(
    `seeded: ${EVENTS} transfers touching ${WALLET_ACCOUNTS} wallet accounts in ${OPERATOR_TXS + INTERNAL_TXS} transactions, blocks ${profile.deployBlock}..${head} (${blocks} blocks), ${(seeded.ms / 1000).toFixed(1)} s`,
  );

  await profileParts(profile, wallet, head); if (process.env.ONLY_PROFILE) process.exit(0);
  // Signet: one syncOnce on a fresh store, from the deploy block.
  const signetStore = freshStore(wallet);
  const engine = new SyncEngine(signetStore, pool(profile), profile);
  const rss = sampleRss();
  const started = performance.now();
  const report = await engine.syncOnce();
  const signetMs = performance.now() - started;
  const peak = rss.stop();
  if (report.head !== head) throw new Error(`the head moved during the bench: ${report.head}`);
  const signetRows = countHistory(signetStore, profile.chainId);
  if (signetRows !== EVENTS) throw new Error(`Signet indexed ${signetRows} rows, not ${EVENTS}`);
  const signetRate = (signetRows / signetMs) * 1000;

  // Incremental: one more transfer (one new block), then syncOnce on the indexed store.
  const incremental: number[] = [];
  for (let run = 0; run < INCREMENTAL_RUNS; run++) {
    await seeded.pay(wallet[run % WALLET_ACCOUNTS]!.address, 1n);
    const start = performance.now();
    const step = await engine.syncOnce();
    incremental.push(performance.now() - start);
    if (step.events !== 1) throw new Error(`incremental sync found ${step.events} events, not 1`);
  }

  // Naive: one eth_getLogs per block and filter, over the same range, into a fresh store.
  const naiveStore = freshStore(wallet);
  const naiveStart = performance.now();
  await naiveIndex(naiveStore, pool(profile), profile, wallet, profile.deployBlock, head);
  const naiveMs = performance.now() - naiveStart;
  const naiveRows = countHistory(naiveStore, profile.chainId);
  if (naiveRows !== EVENTS) throw new Error(`the naive indexer wrote ${naiveRows} rows`);
  const naiveRate = (naiveRows / naiveMs) * 1000;
  signetStore.close();
  naiveStore.close();

  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
  console.log(
    `Signet full index (SyncEngine.syncOnce, fresh store, ${signetRows} rows): ${(signetMs / 1000).toFixed(2)} s, ${signetRate.toFixed(0)} events/s`,
  );
  console.log(
    `Signet peak RSS during the full index: ${mib(peak.peak)} (${mib(peak.before)} before; process maxRSS ${mib(process.resourceUsage().maxRSS * 1024)})`,
  );
  console.log(
    `Signet incremental sync of one new block (syncOnce): ${median(incremental).toFixed(1)} ms median of ${INCREMENTAL_RUNS}  [${incremental.map((ms) => ms.toFixed(1)).join(', ')}]`,
  );
  console.log(
    `naive per-block eth_getLogs (${blocks} blocks × 2 filters, ${naiveRows} rows): ${(naiveMs / 1000).toFixed(2)} s, ${naiveRate.toFixed(0)} events/s`,
  );
  console.log(`ratio: ${(signetRate / naiveRate).toFixed(2)}`);
} finally {
  await ledger?.stop();
  rmSync(temp, { recursive: true, force: true });
}

function pool(profile: LedgerProfile): RpcPool {
  return new RpcPool({ urls: profile.rpc, chainId: profile.chainId, ...POOL });
}

/** A fresh store file holding the wallet's accounts (software keys: the URIs are never opened). */
function freshStore(wallet: PrivateKeyAccount[]): Store {
  const store = openStore(join(temp, `store-${storeCount++}`, 'signet.sqlite'));
  for (const [i, account] of wallet.entries()) {
    addAccount(store, {
      address: account.address,
      keyUri: `pkcs11:token=bench;object=account-${i}`,
      name: `account ${i}`,
      curve: 'secp256k1',
      publicKey: account.publicKey,
    });
  }
  return store;
}

/**
 * Registers the wallet's accounts, then sends the batches, each in its own block
 * followed by empty blocks. Returns the head after seeding and a way to pay one more.
 */
async function seed(profile: LedgerProfile, wallet: PrivateKeyAccount[]) {
  const started = performance.now();
  const url = profile.rpc[0]!;
  const chain = devChain(profile.chainId, url);
  const transport = http(url, { retryCount: 0 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 20 });
  const testClient = createTestClient({ mode: 'hardhat', chain, transport });
  const client = (account: PrivateKeyAccount) =>
    createWalletClient({ account, chain, transport, pollingInterval: 20 });
  const operator = client(privateKeyToAccount(devKeys.operator));
  const currency = { address: profile.contracts.currency as Address, abi: currencyAbi } as const;
  const send = async (
    from: ReturnType<typeof client>,
    functionName: 'transferBatch' | 'registerAccount' | 'transfer',
    args: readonly unknown[],
  ) => {
    const hash = await from.writeContract({ ...currency, functionName, args } as never);
    await confirmed(publicClient, hash as Hex);
  };

  for (const account of wallet) {
    await send(operator, 'registerAccount', [account.address, keccak256(account.address)]);
    await testClient.setBalance({ address: account.address, value: parseEther('10') });
  }
  const batch = (from: number | undefined, index: number) => {
    const to: Address[] = [];
    const amounts: bigint[] = [];
    for (let i = 0; to.length < PER_TX; i++) {
      const target = (index + i) % WALLET_ACCOUNTS;
      if (target === from) continue;
      to.push(wallet[target]!.address);
      amounts.push(BigInt(1 + ((index * PER_TX + i) % 97)));
    }
    return [to, amounts] as const;
  };
  // The wallet's own batches go out once its accounts hold money, spread over the run.
  const internalAt = new Set(
    Array.from({ length: INTERNAL_TXS }, (_, k) => 20 + k * Math.floor(56 / INTERNAL_TXS)),
  );
  let internal = 0;
  for (let tx = 0; tx < OPERATOR_TXS + INTERNAL_TXS; tx++) {
    if (internalAt.has(tx) && internal < INTERNAL_TXS) {
      const k = internal++;
      await send(client(wallet[k]!), 'transferBatch', batch(k, tx));
    } else {
      await send(operator, 'transferBatch', batch(undefined, tx));
    }
    await testClient.mine({ blocks: EMPTY_BLOCKS_AFTER_TX });
  }
  if (internal !== INTERNAL_TXS) throw new Error('seeding sent too few internal batches');
  return {
    head: Number(await publicClient.getBlockNumber()),
    ms: performance.now() - started,
    pay: (to: Address, amount: bigint) => send(operator, 'transfer', [to, amount]),
  };
}

/**
 * What an indexer without range queries does: every block, every filter, one
 * request at a time; the same decoder and the same insert as Signet.
 */
async function naiveIndex(
  store: Store,
  rpc: RpcPool,
  profile: LedgerProfile,
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
      .map((log) => toHistoryEvent(profile.chainId, log, profile.contracts))
      .filter((event) => event !== undefined);
    addEvents(store, events); // a transfer between own accounts comes twice: stored once
  }
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

async function profileParts(profile: LedgerProfile, wallet: PrivateKeyAccount[], head: number) {
  const rpc = pool(profile);
  const ours = wallet.map((a) => addressTopic(a.address));
  const { currency, notes } = profile.contracts;
  const q = (topics: any) => ({ fromBlock: `0x${profile.deployBlock.toString(16)}`, toBlock: `0x${head.toString(16)}`, address: [currency, notes], topics });
  for (let r = 0; r < 2; r++) {
    let t = performance.now();
    const [a, b] = await Promise.all([rpc.request<RawLog[]>('eth_getLogs', [q([TRANSFER, ours])]), rpc.request<RawLog[]>('eth_getLogs', [q([TRANSFER, null, ours])])]);
    console.log('getLogs parallel', (performance.now() - t).toFixed(0), a.length, b.length);
    (await import('node:fs')).writeFileSync('/tmp/scratch/logs.json', JSON.stringify({profile, wallet: wallet.map(w=>({address:w.address, publicKey:w.publicKey})), a, b}));
    t = performance.now();
    const a2 = await rpc.request<RawLog[]>('eth_getLogs', [q([TRANSFER, ours])]);
    console.log('getLogs from-ours alone', (performance.now() - t).toFixed(0), a2.length);
    t = performance.now();
    const b2 = await rpc.request<RawLog[]>('eth_getLogs', [q([TRANSFER, null, ours])]);
    console.log('getLogs to-ours alone', (performance.now() - t).toFixed(0), b2.length);
    t = performance.now();
    const events = [...a, ...b].map((log) => toHistoryEvent(profile.chainId, log, profile.contracts)).filter((e) => e !== undefined);
    console.log('decode', (performance.now() - t).toFixed(0), events.length);
    const s = freshStore(wallet);
    t = performance.now();
    addEvents(s, events);
    console.log('addEvents', (performance.now() - t).toFixed(0));
    s.close();
    t = performance.now();
    const s2 = freshStore(wallet);
    const insert = s2.db.prepare(`INSERT INTO history (chain_id, tx_hash, log_index, block_number, block_hash, kind, from_address, to_address, amount, token_id, timestamp, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`);
    t = performance.now();
    s2.db.transaction(() => { for (const e of events) insert.run(e.chainId, e.txHash, e.logIndex, e.blockNumber, e.blockHash, e.kind, e.from, e.to, e.amount.toString(), null, null, '{}'); })();
    console.log('raw sqlite insert', (performance.now() - t).toFixed(0));
    s2.close();
  }
}
