/**
 * A note's whole life through the `signet` CLI, with SoftHSM2 keys and the dev
 * ledger: issue, split, finance (an offer signed with no node at all), endorse,
 * maturity, redeem and dishonour. Every refusal is exit 1, one line on stderr,
 * and an outbox exactly as it was. The steps build on each other, in order.
 *
 * Clocks: the wallet's offline maturity checks read the local clock, the
 * contract reads the block's timestamp. Once the test moves the ledger's time
 * forward the two differ; steps that need the wallet to agree with the ledger
 * set the local clock (Date only) to the ledger's time, as a machine whose
 * clock matched the ledger's would have it.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxUint256 } from 'viem';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { currencyAbi } from '../core/chain/abi.js';
import { useWallet } from './support/wallet-fixture.js';

type Name = 'alice' | 'bob' | 'bank';
interface NoteRow {
  tokenId: string;
  holder: string;
  acceptor: string;
  maturity: string;
  value: string;
  status: string;
}
interface OutboxRow {
  txHash: string;
  kind: string;
  status: string;
  nonce: number;
  error: string | null;
}

const w = useWallet(['alice', 'bob', 'bank']);
const files = mkdtempSync(join(tmpdir(), 'signet-notes-'));
afterAll(() => rmSync(files, { recursive: true, force: true }));
const DAY = 86_400;

const key = (name: Name) => w.keys[name]!;
const json = w.json;
/** A signing command (PIN from the fixture's file); its transactions as the CLI reports them. */
const signing = async (args: string[]) => json([...args, '--pin-file', w.pin]);
const outbox = async (): Promise<OutboxRow[]> => json(['outbox']);
const sync = async () => json(['sync']);
const balances = async () =>
  Object.fromEntries(
    (await json(['balance'])).map((r: { name: string; balance: string }) => [r.name, r.balance]),
  ) as Record<Name, string>;
const notesOf = async (name: Name): Promise<NoteRow[]> =>
  json(['notes', '--account', key(name).address]);
const noteOf = async (name: Name, tokenId: string) =>
  (await notesOf(name)).find((n) => n.tokenId === tokenId);

/** Runs a command that must be refused offline: exit 1, one line, the error code, nothing queued. */
async function refused(args: string[], code: string, message: RegExp) {
  const before = await outbox();
  const run = await w.cli([...args, '--pin-file', w.pin, '--json']);
  expect(run.code).toBe(1);
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(message);
  expect(run.json.error.code).toBe(code);
  expect(await outbox()).toEqual(before);
}

/** The local clock (Date only; sockets and timers stay real) set to the ledger's time. */
async function clockAtChainTime() {
  const now = Number(await w.ledger.now());
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(now * 1000);
}
afterEach(() => {
  vi.useRealTimers();
});

/** YYYY-MM-DD, `days` after the ledger's now (the note matures at 00:00 UTC that day). */
async function maturityDate(days: number) {
  const now = Number(await w.ledger.now());
  return new Date((now + days * DAY) * 1000).toISOString().slice(0, 10);
}
const seconds = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;

/** Moves the ledger's clock to `at` (unix seconds) or a minute past it, and mines a block there. */
async function chainTimePast(at: number) {
  const now = Number(await w.ledger.now());
  await w.ledger.increaseTime(at - now + 60);
  await w.ledger.mine();
  expect(Number(await w.ledger.now())).toBeGreaterThanOrEqual(at);
}

const allowance = (owner: Name) =>
  w.ledger.publicClient.readContract({
    address: w.ledger.profile.contracts.currency,
    abi: currencyAbi,
    functionName: 'allowance',
    args: [key(owner).address, w.ledger.profile.contracts.notes],
  });

const shared = {
  maturity: '',
  /** bob's note from alice's issue; after the split it keeps 300.00, after financing 200.00. */
  original: '',
  /** Split off to the bank (200.00), endorsed back to bob later. */
  split: '',
  /** What the bank bought (100.00). */
  financed: '',
  offer: join(files, 'offer.json'),
};

describe('a note from issue to redemption, through the CLI', () => {
  it('funds alice (the acceptor), bob and the bank, and syncs', async () => {
    await json(['ledger', 'fund', '--account', key('alice').address, '--amount', '1000.00']);
    await json(['ledger', 'fund', '--account', key('bob').address, '--amount', '100.00']);
    await json(['ledger', 'fund', '--account', key('bank').address, '--amount', '1000.00']);
    const report = await sync();
    expect(report).toMatchObject({ sent: 0, failed: 0, events: 3 });
    expect(await balances()).toEqual({ alice: '1000.00', bob: '100.00', bank: '1000.00' });
    expect(await notesOf('bob')).toEqual([]);
  });

  it('alice issues a note of 500.00 to bob, maturing in about 30 days, and approves paying it', async () => {
    shared.maturity = await maturityDate(30);
    const issued = await signing([
      'note',
      'issue',
      '--from',
      key('alice').uri,
      '--to',
      key('bob').address,
      '--amount',
      '500.00',
      '--maturity',
      shared.maturity,
    ]);
    expect(issued.transactions).toMatchObject([
      { kind: 'note-issue', status: 'confirmed', nonce: 0, amount: '0.00' },
      { kind: 'approve', status: 'confirmed', nonce: 1, amount: '0.00' },
    ]);
    expect(issued.sync).toMatchObject({ sent: 2, failed: 0 });
    await sync();

    const notes = await notesOf('bob');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      holder: key('bob').address,
      acceptor: key('alice').address,
      maturity: shared.maturity,
      value: '500.00',
      status: 'active',
    });
    shared.original = notes[0]!.tokenId;
    // Alice is the debtor, not a holder; issuing moved no currency.
    expect(await notesOf('alice')).toEqual([]);
    expect(await balances()).toEqual({ alice: '1000.00', bob: '100.00', bank: '1000.00' });
    expect(await allowance('alice')).toBe(maxUint256);
    expect((await outbox()).map((t) => t.status)).toEqual(['confirmed', 'confirmed']);
  });

  it('refuses to redeem before maturity, offline (NOTE_NOT_MATURE)', async () => {
    await refused(
      ['note', 'redeem', '--from', key('bob').uri, '--note', shared.original],
      'NOTE_NOT_MATURE',
      new RegExp(
        `^signet: note ${shared.original} matures on ${shared.maturity}; it cannot be redeemed before$`,
      ),
    );
  });

  it('refuses an issue whose maturity is not a calendar day, offline, in one line', async () => {
    for (const maturity of ['2027-02-30', '31.03.2027']) {
      await refused(
        [
          'note',
          'issue',
          '--from',
          key('alice').uri,
          '--to',
          key('bob').address,
          '--amount',
          '1.00',
          '--maturity',
          maturity,
        ],
        'INVALID_ARGUMENT',
        new RegExp(
          `^signet: "${maturity.replace(/\./g, '\\.')}" is not a date \\(use YYYY-MM-DD\\)$`,
        ),
      );
    }
  });

  it('bob splits 200.00 off to the bank: 300.00 stays with bob, the values add up', async () => {
    await refused(
      [
        'note',
        'split',
        '--from',
        key('bob').uri,
        '--note',
        shared.original,
        '--to',
        key('bank').address,
        '--amount',
        '500.00',
      ],
      'AMOUNT_INVALID',
      /^signet: a split must leave value on note \d+ \(it holds 50000\); endorse it to move it whole$/,
    );
    const split = await signing([
      'note',
      'split',
      '--from',
      key('bob').uri,
      '--note',
      shared.original,
      '--to',
      key('bank').address,
      '--amount',
      '200.00',
    ]);
    expect(split.transactions).toMatchObject([
      { kind: 'note-split', status: 'confirmed', nonce: 0 },
    ]);
    await sync();

    const bob = await notesOf('bob');
    const bank = await notesOf('bank');
    expect(bob).toEqual([expect.objectContaining({ tokenId: shared.original, value: '300.00' })]);
    expect(bank).toHaveLength(1);
    expect(bank[0]).toMatchObject({
      holder: key('bank').address,
      acceptor: key('alice').address,
      maturity: shared.maturity,
      value: '200.00',
      status: 'active',
    });
    shared.split = bank[0]!.tokenId;
    expect(shared.split).not.toBe(shared.original);

    // The history: the issue (alice to bob), then the split (bob to the bank): one row
    // per operation, with its kind, from and to, though each emitted several logs.
    const history: Array<{
      kind: string;
      from: string | null;
      to: string | null;
      tokenId: string | null;
      amount: string;
      txHash: string;
    }> = await json(['history']);
    const notesHistory = history.filter((e) => e.kind.startsWith('note-'));
    expect(notesHistory).toMatchObject([
      {
        kind: 'note-split',
        from: key('bob').address,
        to: key('bank').address,
        tokenId: shared.split,
        amount: '200.00',
        txHash: split.transactions[0].txHash,
      },
      {
        kind: 'note-issue',
        from: key('alice').address,
        to: key('bob').address,
        tokenId: shared.original,
        amount: '500.00',
      },
    ]);
  });

  it('bob signs a finance offer with no node reachable; the bank accepts it: payment and delivery at once', async () => {
    const before = await outbox();
    w.useProfile({ ...w.ledger.profile, rpc: ['http://127.0.0.1:1'] });
    try {
      const signed = await signing([
        'note',
        'finance',
        '--from',
        key('bob').uri,
        '--note',
        shared.original,
        '--bank',
        key('bank').address,
        '--price',
        '95.00',
        '--amount',
        '100.00',
        '--out',
        shared.offer,
        '--offline',
      ]);
      expect(signed.file).toBe(shared.offer);
    } finally {
      w.useProfile(w.ledger.profile);
    }
    // An offer is a signature in a file, not a transaction: nothing queued, nothing moved.
    expect(await outbox()).toEqual(before);
    const file = JSON.parse(readFileSync(shared.offer, 'utf8'));
    expect(file).toMatchObject({
      type: 'signet-finance-offer',
      chainId: w.ledger.profile.chainId,
      notes: w.ledger.profile.contracts.notes,
      holder: key('bob').address,
      offer: { tokenId: shared.original, value: '10000', bank: key('bank').address, price: '9500' },
    });
    // The same deadline rule as the UI's date field: the bank may accept until the end
    // (UTC) of the last day, here 7 days (--days' default) from today.
    const lastDay = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    expect(file.offer.deadline).toBe(String(Date.parse(`${lastDay}T23:59:59Z`) / 1000));
    expect(file.signature).toMatch(/^0x[0-9a-f]{130}$/);
    expect(file.offer.nonce).toMatch(/^0x[0-9a-f]{64}$/);

    // A validity that is not a positive number of days signs nothing and writes nothing.
    for (const days of ['abc', '0', '-1']) {
      const dead = join(files, `dead-${days}.json`);
      await refused(
        [
          'note',
          'finance',
          '--from',
          key('bob').uri,
          '--note',
          shared.original,
          '--bank',
          key('bank').address,
          '--price',
          '95.00',
          '--out',
          dead,
          `--days=${days}`,
        ],
        'INVALID_ARGUMENT',
        new RegExp(`^signet: --days must be a positive number of days, not "${days}"$`),
      );
      expect(existsSync(dead)).toBe(false);
    }

    // Only the bank named in the offer can take it.
    await refused(
      ['note', 'finance-accept', '--from', key('bob').uri, '--offer', shared.offer],
      'INVALID_ARGUMENT',
      /^signet: the offer is made to bank 0x[0-9a-fA-F]{40}, not 0x[0-9a-fA-F]{40}$/,
    );

    const accepted = await signing([
      'note',
      'finance-accept',
      '--from',
      key('bank').uri,
      '--offer',
      shared.offer,
    ]);
    expect(accepted.transactions).toMatchObject([
      { kind: 'approve', status: 'confirmed', nonce: 0, amount: '95.00' },
      { kind: 'note-finance', status: 'confirmed', nonce: 1, error: null },
    ]);
    await sync();

    expect(await balances()).toEqual({ alice: '1000.00', bob: '195.00', bank: '905.00' });
    expect(await notesOf('bob')).toEqual([
      expect.objectContaining({ tokenId: shared.original, value: '200.00', status: 'active' }),
    ]);
    const bank = await notesOf('bank');
    expect(bank.map((n) => [n.tokenId === shared.split ? 'split' : 'new', n.value])).toEqual(
      expect.arrayContaining([
        ['split', '200.00'],
        ['new', '100.00'],
      ]),
    );
    expect(bank).toHaveLength(2);
    const financed = bank.find((n) => n.tokenId !== shared.split)!;
    expect(financed).toMatchObject({
      acceptor: key('alice').address,
      maturity: shared.maturity,
      status: 'active',
    });
    shared.financed = financed.tokenId;
    // Bob's history: the sale of 100.00 of his note to the bank, and the price the bank
    // paid him, both in the finance transaction itself.
    const [sold, paid] = await json(['history', '--account', key('bob').address, '--limit', '2']);
    expect(sold).toMatchObject({
      kind: 'note-finance',
      from: key('bob').address,
      to: key('bank').address,
      tokenId: shared.original,
      amount: '100.00',
      txHash: accepted.transactions[1].txHash,
    });
    expect(paid).toMatchObject({
      kind: 'transfer',
      from: key('bank').address,
      to: key('bob').address,
      amount: '95.00',
      txHash: accepted.transactions[1].txHash,
    });
    // The face values still add up to what alice owes.
    expect(await allowance('alice')).toBe(maxUint256);
    expect(await allowance('bank')).toBe(maxUint256);
  });

  it('the same offer taken twice is refused offline, and nothing moves again', async () => {
    await refused(
      ['note', 'finance-accept', '--from', key('bank').uri, '--offer', shared.offer],
      'INVALID_ARGUMENT',
      /^signet: this offer was already accepted \(transaction 0x[0-9a-f]{64}\)$/,
    );
    expect(await balances()).toEqual({ alice: '1000.00', bob: '195.00', bank: '905.00' });
  });

  it('refuses a malformed or missing offer file: one line, nothing queued', async () => {
    const garbage = join(files, 'garbage.json');
    writeFileSync(garbage, '{"type": "signet-finance-offer", ');
    const accept = (file: string) => [
      'note',
      'finance-accept',
      '--from',
      key('bank').uri,
      '--offer',
      file,
    ];
    await refused(
      accept(garbage),
      'FILE_INVALID',
      /^signet: .*garbage\.json is not a readable JSON offer file$/,
    );
    const offer = JSON.parse(readFileSync(shared.offer, 'utf8'));
    const truncated = join(files, 'truncated.json');
    writeFileSync(truncated, JSON.stringify({ ...offer, signature: offer.signature.slice(0, 66) }));
    await refused(
      accept(truncated),
      'FILE_INVALID',
      /^signet: .*truncated\.json is not a Signet finance offer \(malformed fields\)$/,
    );
    const noValue = join(files, 'no-value.json');
    writeFileSync(noValue, JSON.stringify({ ...offer, offer: { ...offer.offer, value: '-1' } }));
    await refused(
      accept(noValue),
      'FILE_INVALID',
      /^signet: .*no-value\.json is not a Signet finance offer \(malformed fields\)$/,
    );
    await refused(
      accept(join(files, 'missing.json')),
      'FILE_INVALID',
      /^signet: .*missing\.json is not a readable JSON offer file$/,
    );
  });

  it('the bank endorses its 200.00 note to bob, who then holds it', async () => {
    const endorsed = await signing([
      'note',
      'endorse',
      '--from',
      key('bank').uri,
      '--note',
      shared.split,
      '--to',
      key('bob').address,
    ]);
    // Nonce 2: the bank's approval and finance call used 0 and 1; the repeat took none.
    expect(endorsed.transactions).toMatchObject([
      { kind: 'note-endorse', status: 'confirmed', nonce: 2 },
    ]);
    await sync();
    expect((await notesOf('bob')).map((n) => [n.tokenId, n.value]).sort()).toEqual(
      [
        [shared.original, '200.00'],
        [shared.split, '200.00'],
      ].sort(),
    );
    expect(await notesOf('bank')).toEqual([
      expect.objectContaining({ tokenId: shared.financed, value: '100.00' }),
    ]);
    const history = await json(['history', '--account', key('bob').address, '--limit', '1']);
    expect(history).toMatchObject([
      {
        kind: 'note-endorse',
        from: key('bank').address,
        to: key('bob').address,
        tokenId: shared.split,
      },
    ]);
  });

  it("past maturity on the ledger but not on the local clock: the ledger's clock decides, offline", async () => {
    const maturity = seconds(shared.maturity);
    await chainTimePast(maturity);
    // One sync teaches the wallet the ledger's time; the local clock is still before maturity.
    await sync();
    expect(Date.now()).toBeLessThan(maturity * 1000);
    await refused(
      [
        'note',
        'endorse',
        '--from',
        key('bob').uri,
        '--note',
        shared.original,
        '--to',
        key('bank').address,
      ],
      'NOTE_MATURED',
      new RegExp(
        `^signet: note ${shared.original} matured on ${shared.maturity}; it can only be redeemed$`,
      ),
    );
    expect((await noteOf('bob', shared.original))?.value).toBe('200.00');
  });

  it('past maturity on both clocks: endorse, split and finance are refused offline (NOTE_MATURED)', async () => {
    await clockAtChainTime();
    const matured = new RegExp(
      `^signet: note ${shared.original} matured on ${shared.maturity}; it can only be redeemed$`,
    );
    const bob = ['--from', key('bob').uri, '--note', shared.original];
    await refused(
      ['note', 'endorse', ...bob, '--to', key('bank').address],
      'NOTE_MATURED',
      matured,
    );
    await refused(
      ['note', 'split', ...bob, '--to', key('bank').address, '--amount', '1.00'],
      'NOTE_MATURED',
      matured,
    );
    const late = join(files, 'late-offer.json');
    await refused(
      ['note', 'finance', ...bob, '--bank', key('bank').address, '--price', '1.00', '--out', late],
      'NOTE_MATURED',
      matured,
    );
    expect(existsSync(late)).toBe(false);
  });

  it('at maturity bob redeems his notes and the bank its own: alice pays each holder', async () => {
    await clockAtChainTime();
    for (const [holder, tokenId] of [
      ['bob', shared.original],
      ['bob', shared.split],
      ['bank', shared.financed],
    ] as const) {
      const redeemed = await signing([
        'note',
        'redeem',
        '--from',
        key(holder).uri,
        '--note',
        tokenId,
      ]);
      expect(redeemed.transactions).toMatchObject([
        { kind: 'note-redeem', status: 'confirmed', summary: { tokenId } },
      ]);
    }
    await sync();
    expect(await balances()).toEqual({ alice: '500.00', bob: '595.00', bank: '1005.00' });
    expect(await notesOf('bob')).toEqual([]);
    expect(await notesOf('bank')).toEqual([]);
    expect(await allowance('alice')).toBe(maxUint256);

    const history: Array<{
      kind: string;
      from: string | null;
      to: string | null;
      amount: string;
      tokenId: string | null;
    }> = await json(['history', '--account', key('bob').address, '--limit', '4']);
    expect(history).toMatchObject([
      {
        kind: 'note-redeem',
        from: key('bob').address,
        to: key('alice').address,
        tokenId: shared.split,
        amount: '200.00',
      },
      { kind: 'transfer', from: key('alice').address, to: key('bob').address, amount: '200.00' },
      {
        kind: 'note-redeem',
        from: key('bob').address,
        to: key('alice').address,
        tokenId: shared.original,
        amount: '200.00',
      },
      { kind: 'transfer', from: key('alice').address, to: key('bob').address, amount: '200.00' },
    ]);
    // A redeemed note is gone: redeeming it again is refused offline.
    await refused(
      ['note', 'redeem', '--from', key('bob').uri, '--note', shared.original],
      'NOTE_NOT_FOUND',
      new RegExp(
        `^signet: account 0x[0-9a-fA-F]{40} holds no note ${shared.original} \\(as of the last sync\\)$`,
      ),
    );
  });

  it('a note the acceptor cannot pay is dishonoured; presented again once alice has the money, it is paid', async () => {
    const maturity = await maturityDate(30);
    const issued = await signing([
      'note',
      'issue',
      '--from',
      key('alice').uri,
      '--to',
      key('bob').address,
      '--amount',
      '800.00',
      '--maturity',
      maturity,
    ]);
    expect(issued.transactions.map((t: OutboxRow) => t.status)).toEqual(['confirmed', 'confirmed']);
    await sync();
    const [note] = await notesOf('bob');
    expect(note).toMatchObject({
      acceptor: key('alice').address,
      value: '800.00',
      status: 'active',
    });
    const tokenId = note!.tokenId;
    // The allowance covers the note; the balance (500.00) does not.
    expect(await allowance('alice')).toBe(maxUint256);

    await chainTimePast(seconds(maturity));
    await clockAtChainTime();
    const presented = await signing([
      'note',
      'redeem',
      '--from',
      key('bob').uri,
      '--note',
      tokenId,
    ]);
    // The call succeeds: the default is recorded on chain, not reverted away.
    expect(presented.transactions).toMatchObject([{ kind: 'note-redeem', status: 'confirmed' }]);
    await sync();
    expect(await notesOf('bob')).toEqual([
      expect.objectContaining({ tokenId, value: '800.00', status: 'dishonoured' }),
    ]);
    expect(await balances()).toEqual({ alice: '500.00', bob: '595.00', bank: '1005.00' });
    expect(await json(['history', '--account', key('bob').address, '--limit', '1'])).toMatchObject([
      {
        kind: 'note-dishonour',
        from: key('bob').address,
        to: key('alice').address,
        tokenId,
        amount: '800.00',
        txHash: presented.transactions[0].txHash,
      },
    ]);

    await json(['ledger', 'fund', '--account', key('alice').address, '--amount', '300.00']);
    await sync();
    const again = await signing(['note', 'redeem', '--from', key('bob').uri, '--note', tokenId]);
    expect(again.transactions).toMatchObject([{ kind: 'note-redeem', status: 'confirmed' }]);
    await sync();
    expect(await notesOf('bob')).toEqual([]);
    expect(await balances()).toEqual({ alice: '0.00', bob: '1395.00', bank: '1005.00' });
  });

  it('leaves an outbox where everything is confirmed', async () => {
    const rows = await outbox();
    expect(rows.filter((t) => t.status !== 'confirmed')).toEqual([]);
  });
});
