/**
 * The history of notes met DURING a sync. A second Signet home (another machine
 * with the bank's key on the same token) syncs for the first time only after
 * the bank received a note and split part of it on: it held no note before
 * that sync, so the split (which names note ids, not addresses) must be found
 * through the note it met in the same sync. Its history must read exactly as
 * the history of the home that synced after every step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeActiveProfile } from '../core/chain/profile-file.js';
import { signet } from './support/cli.js';
import { useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob', 'bank']);
const lateHome = mkdtempSync(join(tmpdir(), 'signet-late-'));
afterAll(() => rmSync(lateHome, { recursive: true, force: true }));
const lateEnv = () => ({ ...w.env, SIGNET_HOME: lateHome });
/** `signet … --json` in the late home. */
async function late(args: string[]): Promise<any> {
  const run = await signet([...args, '--json'], { env: lateEnv() });
  if (run.code !== 0) throw new Error(`late signet ${args.join(' ')}: ${run.stderr}`);
  return run.json;
}

const key = (name: 'alice' | 'bob' | 'bank') => w.keys[name]!;
const json = w.json;
const signing = (args: string[]) => json([...args, '--pin-file', w.pin]);

interface HistoryRow {
  kind: string;
  from: string | null;
  to: string | null;
  tokenId: string | null;
  amount: string;
  txHash: string;
}

describe('notes received during a sync', () => {
  const ids = { original: '', received: '', splitOn: '' };

  it('the late home adds the bank account and does not sync', async () => {
    writeActiveProfile(w.ledger.profile, lateEnv());
    await late(['account', 'add', '--key', key('bank').uri, '--name', 'bank', '--pin-file', w.pin]);
    expect(await late(['notes', '--account', key('bank').address])).toEqual([]);
  });

  it('bob receives a note and splits 200.00 to the bank, which splits 50.00 of it back on', async () => {
    for (const [name, amount] of [
      ['alice', '1000.00'],
      ['bob', '100.00'],
      ['bank', '1000.00'],
    ] as const)
      await json(['ledger', 'fund', '--account', key(name).address, '--amount', amount]);
    await json(['sync']);
    const now = Number(await w.ledger.now());
    const maturity = new Date((now + 30 * 86_400) * 1000).toISOString().slice(0, 10);
    await signing([
      'note',
      'issue',
      '--from',
      key('alice').uri,
      '--to',
      key('bob').address,
      '--amount',
      '500.00',
      '--maturity',
      maturity,
    ]);
    await json(['sync']);
    ids.original = (await json(['notes', '--account', key('bob').address]))[0].tokenId;
    await signing([
      'note',
      'split',
      '--from',
      key('bob').uri,
      '--note',
      ids.original,
      '--to',
      key('bank').address,
      '--amount',
      '200.00',
    ]);
    await json(['sync']);
    ids.received = (await json(['notes', '--account', key('bank').address]))[0].tokenId;
    await signing([
      'note',
      'split',
      '--from',
      key('bank').uri,
      '--note',
      ids.received,
      '--to',
      key('bob').address,
      '--amount',
      '50.00',
    ]);
    await json(['sync']);
    const bobs = await json(['notes', '--account', key('bob').address]);
    ids.splitOn = bobs.find((n: { tokenId: string }) => n.tokenId !== ids.original).tokenId;
  });

  it('the late home, syncing once, shows both splits with their kind, from and to', async () => {
    expect(await late(['sync'])).toMatchObject({ failed: 0 });
    const history: HistoryRow[] = await late(['history', '--account', key('bank').address]);
    const notes = history.filter((row) => row.kind.startsWith('note-'));
    expect(notes).toMatchObject([
      {
        kind: 'note-split',
        from: key('bank').address,
        to: key('bob').address,
        tokenId: ids.splitOn,
        amount: '50.00',
      },
      {
        kind: 'note-split',
        from: key('bob').address,
        to: key('bank').address,
        tokenId: ids.received,
        amount: '200.00',
      },
    ]);
    const lines = await signet(['history', '--account', key('bank').address], { env: lateEnv() });
    expect(lines.stdout).toContain(
      `note-split  ${key('bob').address} → ${key('bank').address}  note ${ids.received} 200.00`,
    );
    // Exactly what the home that synced after every step shows for the bank.
    expect(history).toEqual(await json(['history', '--account', key('bank').address]));
    expect(await late(['notes', '--account', key('bank').address])).toMatchObject([
      { tokenId: ids.received, value: '150.00', holder: key('bank').address },
    ]);
  });
});
