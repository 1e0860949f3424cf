/**
 * SyncEngine's progress against a REAL dev ledger (Hardhat or anvil with Signet's
 * contracts): a wallet with one account (a software key: the sync signs
 * nothing), payments to it, and hundreds of empty blocks between them so the
 * log scan takes several ranges (the fetcher starts at 32 blocks and doubles).
 */
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeDownNodeUrl } from '../../test/fakes/rpc-fake-nodes.js';
import { useDevChain } from '../../test/support/dev-chain.js';
import {
  type SyncPhase,
  type SyncProgress,
  syncPhases,
  syncProgressSchema,
} from '../api/events.js';
import { RpcPool } from '../rpc/rpc-pool.js';
import { addAccount } from '../store/accounts.js';
import { openStore, type Store } from '../store/database.js';
import { SyncEngine } from './sync-engine.js';

const ledger = useDevChain();
const key = privateKeyToAccount(generatePrivateKey());
let store: Store;

beforeAll(() => {
  store = openStore(':memory:');
  addAccount(store, {
    address: key.address,
    keyUri: 'pkcs11:token=Engine;object=progress',
    name: 'progress',
    curve: 'secp256k1',
    publicKey: key.publicKey,
  });
});
afterAll(() => store?.close());

/** Mines `blocks` empty blocks at once (hardhat_mine or anvil_mine). */
const mine = (blocks: number) => ledger.mine(blocks);

const pool = (urls = ledger.profile.rpc) =>
  new RpcPool({ urls, chainId: ledger.profile.chainId, timeoutMs: 5_000 });

async function syncWithProgress(urls?: string[]) {
  const seen: SyncProgress[] = [];
  const engine = new SyncEngine(
    store,
    pool(urls),
    { ...ledger.profile, rpc: urls ?? ledger.profile.rpc },
    (p) => seen.push(p),
  );
  const outcome = await engine.syncOnce().then(
    (report) => ({ report, error: undefined }),
    (error: unknown) => ({ report: undefined, error }),
  );
  return { seen, ...outcome };
}

const rank = (phase: SyncPhase) => syncPhases.indexOf(phase);

/** Every report is valid, the phases never go back, the scan position only moves forward. */
function expectMonotone(seen: SyncProgress[]): void {
  for (const p of seen) expect(syncProgressSchema.safeParse(p).error).toBeUndefined();
  for (let i = 1; i < seen.length; i++) {
    const [before, after] = [seen[i - 1]!, seen[i]!];
    expect(rank(after.phase)).toBeGreaterThanOrEqual(rank(before.phase));
    if (before.currentBlock !== null)
      expect(after.currentBlock).toBeGreaterThanOrEqual(before.currentBlock);
    expect(after.events).toBeGreaterThanOrEqual(before.events);
  }
}

describe('SyncEngine progress', () => {
  let firstHead = 0;

  it('reports each step and each range of a long scan, in order, ending in done', async () => {
    await ledger.fund(key.address, 5_000n);
    await mine(600);
    await ledger.fund(key.address, 1_000n);

    const { seen, report, error } = await syncWithProgress();
    expect(error).toBeUndefined();
    expectMonotone(seen);
    expect(seen.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1])).toEqual([
      'sending',
      'receipts',
      'logs',
      'state',
      'done',
    ]);

    const scan = seen.filter((p) => p.phase === 'logs');
    const from = ledger.profile.deployBlock;
    // Starts with nothing scanned, then one report per range: 32, 64, 128… blocks.
    expect(scan[0]).toMatchObject({
      fromBlock: from,
      toBlock: report!.head,
      currentBlock: from - 1,
    });
    expect(scan.length).toBeGreaterThanOrEqual(5);
    const positions = scan.map((p) => p.currentBlock!);
    expect(new Set(positions).size).toBe(positions.length); // one report per range, not per log
    expect(positions.at(-1)).toBe(report!.head);
    expect(positions[1]! - positions[0]!).toBe(32);

    const done = seen.at(-1)!;
    expect(done).toEqual({
      phase: 'done',
      fromBlock: from,
      toBlock: report!.head,
      currentBlock: report!.head,
      sent: 0,
      confirmed: 0,
      events: report!.events,
    });
    expect(report!.events).toBeGreaterThanOrEqual(2);
    firstHead = report!.head;
  });

  it('a second sync scans only the blocks since the first', async () => {
    await mine(100);
    const { seen, report } = await syncWithProgress();
    expectMonotone(seen);
    const scan = seen.filter((p) => p.phase === 'logs');
    expect(scan[0]).toMatchObject({ fromBlock: firstHead + 1, currentBlock: firstHead });
    expect(seen.at(-1)).toMatchObject({
      phase: 'done',
      fromBlock: firstHead + 1,
      toBlock: report!.head,
      currentBlock: report!.head,
      events: 0,
    });
    expect(report!.head).toBeGreaterThanOrEqual(firstHead + 100);
  });

  it('reports failed with the one-line reason, and still throws it', async () => {
    const down = await fakeDownNodeUrl();
    const { seen, error } = await syncWithProgress([down]);
    expect(error).toMatchObject({ code: 'NODE_UNREACHABLE' });
    expectMonotone(seen);
    expect(seen.map((p) => p.phase)).toEqual(['sending', 'failed']);
    expect(seen[1]!.error).toBe((error as Error).message);
    expect(seen[1]!.error).toMatch(/^no ledger node answered: /);
  });

  it('a listener that throws does not stop the sync', async () => {
    let calls = 0;
    const engine = new SyncEngine(store, pool(), ledger.profile, () => {
      calls++;
      throw new Error('UI bug');
    });
    await expect(engine.syncOnce()).resolves.toMatchObject({ head: expect.any(Number) });
    expect(calls).toBeGreaterThanOrEqual(4);
  });
});
