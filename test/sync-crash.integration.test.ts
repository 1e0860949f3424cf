/**
 * "`kill -9` of a `sync --watch` at random moments, then restart: no transaction
 * lost or sent twice." Payments are signed offline into the outbox, then a real
 * `signet sync --watch` process is SIGKILLed again and again — before it starts
 * work, while it is broadcasting (timed on the chain's nonce), at random, and
 * after it reported — with more payments signed between rounds. One plain
 * `sync` afterwards must leave every payment mined exactly once, confirmed in
 * the outbox, indexed once in the history, and the balances equal to the chain's.
 *
 * The moments come from a seeded PRNG: SIGNET_CRASH_SEED=n replays a schedule.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type Address, parseAbiItem } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import { currencyAbi } from '../core/chain/abi.js';
import { formatAmount } from '../core/chain/amount.js';
import { openStore } from '../core/store/database.js';
import { listOutbox, type OutboxStatus, type OutboxTx } from '../core/store/outbox.js';
import { Wallet } from '../core/wallet/wallet.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import { syncSettled } from './support/sync-settled.js';
import { useWallet } from './support/wallet-fixture.js';

const fixture = useWallet(['alice', 'bob']);
const signetJs = join(import.meta.dirname, '../bin/signet.js');
const seed = Number(process.env.SIGNET_CRASH_SEED ?? 0x5167e7);
const transferEvent = parseAbiItem(
  'event Transfer(address indexed from, address indexed to, uint256 value)',
);

/** mulberry32: small, seedable, good enough to spread kill moments. */
function prng(state: number) {
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** An integer in [min, max]. */
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const shuffle = <T>(items: T[]) => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = int(0, i);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  };
  return { int, shuffle };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const alice = () => fixture.keys.alice!.address;
const bob = () => fixture.keys.bob!.address;
const dbPath = () => join(fixture.home, 'signet.sqlite');
const chainId = () => fixture.ledger.profile.chainId;

/** Signs payments alice → bob offline, through the Wallet API; the store is closed on return. */
async function pay(amounts: bigint[]): Promise<OutboxTx[]> {
  const store = openStore(dbPath());
  try {
    const wallet = new Wallet({
      store,
      profile: fixture.ledger.profile,
      search: { configured: [], policy: anyModule },
      pins: async () => Buffer.from(readFileSync(fixture.pin, 'utf8').trim()),
    });
    return await wallet.sendMany(
      fixture.keys.alice!.uri,
      amounts.map((amount) => ({ to: bob(), amount })),
    );
  } finally {
    store.close();
  }
}

function readOutbox(): OutboxTx[] {
  const store = openStore(dbPath());
  try {
    return listOutbox(store, chainId());
  } finally {
    store.close();
  }
}

const nonceOf = async (address: Address) =>
  fixture.ledger.publicClient.getTransactionCount({ address, blockTag: 'latest' });

const balanceOf = (address: Address) =>
  fixture.ledger.publicClient.readContract({
    address: fixture.ledger.profile.contracts.currency as Address,
    abi: currencyAbi,
    functionName: 'balanceOf',
    args: [address],
  }) as Promise<bigint>;

type Mode = 'startup' | 'sending' | 'random' | 'after-report';

interface Round {
  round: number;
  mode: Mode;
  /** Payments on no chain yet when the process started. */
  unsentBefore: number;
  /** What the kill waited for: ms after spawn, after the first report, or after the target nonce. */
  waited: string;
  reportedBeforeKill: boolean;
  /** Payments still not on chain when it died. */
  unsentAfter: number;
  /** Rows the node had mined but the outbox still called 'signed': the kill fell between the two. */
  minedButSigned: number;
  statuses: Partial<Record<OutboxStatus, number>>;
}

/** Starts `signet sync --watch`, kills it with SIGKILL at the moment `mode` picks, waits for it to die. */
async function crashRound(
  round: number,
  mode: Mode,
  rand: ReturnType<typeof prng>,
  errors: string[],
): Promise<Round> {
  const outboxBefore = readOutbox();
  const nonceBefore = await nonceOf(alice());
  const highest = Math.max(...outboxBefore.map((t) => t.nonce));
  const unsentBefore = highest + 1 - nonceBefore;

  const child = spawn(process.execPath, [signetJs, 'sync', '--watch', '--interval', '20'], {
    env: fixture.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let reported = false;
  const firstReport = new Promise<void>((resolve) =>
    child.stdout.once('data', () => {
      reported = true;
      resolve();
    }),
  );
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  let dead = false;
  void closed.then(() => {
    dead = true;
  });
  const deadline = Date.now() + 15_000;

  let waited: string;
  if (mode === 'startup' || mode === 'random') {
    const ms = mode === 'startup' ? rand.int(50, 700) : rand.int(700, 2_500);
    await sleep(ms);
    waited = `${ms} ms after spawn`;
  } else if (mode === 'after-report') {
    await Promise.race([firstReport, closed, sleep(15_000)]);
    const ms = rand.int(0, 60);
    await sleep(ms);
    waited = `${ms} ms after 1st report`;
  } else {
    // Kill while broadcasting: once the node has mined `k` of the unsent payments.
    const k = rand.int(1, Math.max(1, unsentBefore - 2));
    while (!dead && Date.now() < deadline && (await nonceOf(alice())) < nonceBefore + k)
      await sleep(2);
    const ms = rand.int(0, 8);
    await sleep(ms);
    waited = `nonce +${k}, then ${ms} ms`;
  }
  const killedEarly = dead;
  child.kill('SIGKILL');
  const exit = await closed;
  if (killedEarly || exit.signal !== 'SIGKILL') {
    throw new Error(
      `round ${round}: sync --watch ended by itself (${JSON.stringify(exit)}):\n${stderr}`,
    );
  }
  for (const line of stdout.split('\n').filter(Boolean)) {
    try {
      const report = JSON.parse(line);
      if ('error' in report) errors.push(`round ${round}: ${report.error}`);
    } catch {
      // the kill may cut the last line short
    }
  }

  const outbox = readOutbox();
  const nonceAfter = await nonceOf(alice());
  const statuses: Partial<Record<OutboxStatus, number>> = {};
  for (const tx of outbox) statuses[tx.status] = (statuses[tx.status] ?? 0) + 1;
  return {
    round,
    mode,
    unsentBefore,
    waited,
    reportedBeforeKill: reported,
    unsentAfter: highest + 1 - nonceAfter,
    minedButSigned: outbox.filter((t) => t.status === 'signed' && t.nonce < nonceAfter).length,
    statuses,
  };
}

describe('sync --watch killed with SIGKILL at random moments', () => {
  beforeAll(async () => {
    const fund = await fixture.cli(['ledger', 'fund', '--account', alice(), '--amount', '100000']);
    expect(fund.code, fund.stderr).toBe(0);
    // Registers bob: the currency only pays registered accounts.
    const registered = await fixture.cli(['ledger', 'fund', '--account', bob(), '--amount', '1']);
    expect(registered.code, registered.stderr).toBe(0);
    const synced = await fixture.cli(['sync', '--json']);
    expect(synced.code, synced.stderr).toBe(0);
  });

  it('loses no payment and sends none twice', { timeout: 120_000 }, async () => {
    const rand = prng(seed);
    const nonceStart = await nonceOf(alice());
    const bobStart = await balanceOf(bob());
    const amounts: bigint[] = [];
    // Distinct amounts: a duplicate payment or a lost one shows in the sum and in the logs.
    const nextAmounts = (count: number) =>
      Array.from({ length: count }, () => {
        const amount = 100n + BigInt(amounts.length) * 10n + BigInt(rand.int(0, 9));
        amounts.push(amount);
        return amount;
      });
    await pay(nextAmounts(40));

    const modes = rand.shuffle<Mode>([
      'startup',
      'sending',
      'sending',
      'sending',
      'random',
      'random',
      'after-report',
      'after-report',
    ]);
    const rounds: Round[] = [];
    const errors: string[] = [];
    for (const [i, mode] of modes.entries()) {
      // New work every round, so a process that starts always has something to send.
      if (i > 0) await pay(nextAmounts(mode === 'sending' ? rand.int(8, 14) : rand.int(2, 5)));
      rounds.push(await crashRound(i + 1, mode, rand, errors));
    }
    console.log(
      `seed ${seed}; ${rounds.filter((r) => !r.reportedBeforeKill).length}/${rounds.length} kills before the first report`,
    );
    console.table(
      rounds.map((r) => ({ ...r, statuses: JSON.stringify(r.statuses) })),
      [
        'round',
        'mode',
        'unsentBefore',
        'waited',
        'reportedBeforeKill',
        'unsentAfter',
        'minedButSigned',
        'statuses',
      ],
    );
    // Some kills must have landed mid-work, or this test proves nothing.
    expect(rounds.some((r) => r.unsentAfter > 0 && r.unsentAfter < r.unsentBefore)).toBe(true);
    expect(errors).toEqual([]);

    // Restart: one sync to completion, and a second that must find nothing to do.
    const first = await fixture.cli(['sync', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const second = await fixture.cli(['sync', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ sent: 0, failed: 0 });
    // What the first sent the node may mine a moment after answering (anvil does):
    // later syncs may confirm it, and must send and fail nothing either.
    expect(await syncSettled(fixture)).toMatchObject({ sent: 0, failed: 0 });

    const n = amounts.length;
    const total = amounts.reduce((sum, a) => sum + a, 0n);
    const outbox = readOutbox();
    const payments = outbox.filter((t) => t.from === alice() && t.nonce >= nonceStart);
    expect(payments).toHaveLength(n);
    const stuck = outbox.filter((t) => t.status !== 'confirmed');
    expect(stuck.map((t) => `${t.nonce} ${t.status} ${t.error ?? ''}`)).toEqual([]);
    expect(payments.map((t) => t.amount).sort()).toEqual([...amounts].sort());

    // The chain: alice sent exactly n transactions, bob got exactly the sum.
    expect(await nonceOf(alice())).toBe(nonceStart + n);
    expect((await balanceOf(bob())) - bobStart).toBe(total);
    const logs = await fixture.ledger.publicClient.getLogs({
      address: fixture.ledger.profile.contracts.currency as Address,
      event: transferEvent,
      args: { from: alice(), to: bob() },
      fromBlock: 0n,
      toBlock: 'latest',
    });
    expect(logs).toHaveLength(n);
    expect(new Set(logs.map((l) => l.transactionHash)).size).toBe(n);
    expect(logs.map((l) => l.args.value!).sort()).toEqual([...amounts].sort());
    expect(new Set(logs.map((l) => l.transactionHash))).toEqual(
      new Set(payments.map((t) => t.txHash)),
    );
    for (const tx of payments) {
      const receipt = await fixture.ledger.publicClient.getTransactionReceipt({ hash: tx.txHash });
      expect(receipt.status).toBe('success');
      expect(receipt.from.toLowerCase()).toBe(alice().toLowerCase());
      expect(Number(receipt.blockNumber)).toBe(tx.blockNumber);
    }

    // The local history: one row per transfer, none twice.
    const history = await fixture.cli([
      'history',
      '--account',
      alice(),
      '--limit',
      '10000',
      '--json',
    ]);
    expect(history.code, history.stderr).toBe(0);
    const paid = (
      history.json as Array<{
        txHash: string;
        kind: string;
        from: string;
        to: string;
        amount: string;
      }>
    ).filter((e) => e.kind === 'transfer' && e.from === alice() && e.to === bob());
    expect(paid).toHaveLength(n);
    expect(new Set(paid.map((e) => e.txHash))).toEqual(new Set(payments.map((t) => t.txHash)));
    expect(paid.map((e) => e.amount).sort()).toEqual(amounts.map(formatAmount).sort());

    // Balances as the wallet shows them equal the chain's, with nothing pending.
    const balance = await fixture.cli(['balance', '--json']);
    expect(balance.code, balance.stderr).toBe(0);
    for (const address of [alice(), bob()]) {
      const row = (
        balance.json as Array<{ address: string; balance: string; pending: string }>
      ).find((r) => r.address === address);
      expect(row).toMatchObject({
        balance: formatAmount(await balanceOf(address)),
        pending: '0.00',
      });
    }

    const db = new Database(dbPath(), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });

  it('confirms a payment the node took just before the crash, still "signed" in the outbox', async () => {
    // Exactly the window a kill can hit: eth_sendRawTransaction answered, markSent not yet run.
    const drained = await fixture.cli(['sync', '--json']); // whatever an earlier test left queued
    expect(drained.code, drained.stderr).toBe(0);
    const nonce = await nonceOf(alice());
    const bobBefore = await balanceOf(bob());
    const [tx] = await pay([4242n]);
    const hash = await fixture.ledger.publicClient.request({
      method: 'eth_sendRawTransaction',
      params: [tx!.raw],
    });
    // anvil mines a moment after it answers: wait, so that the sync finds it mined.
    await fixture.ledger.publicClient.waitForTransactionReceipt({ hash });
    expect(readOutbox().find((t) => t.txHash === tx!.txHash)?.status).toBe('signed');

    const run = await fixture.cli(['sync', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(readOutbox().find((t) => t.txHash === tx!.txHash)?.status).toBe('confirmed');
    expect(await nonceOf(alice())).toBe(nonce + 1);
    expect((await balanceOf(bob())) - bobBefore).toBe(4242n);
  });
});
