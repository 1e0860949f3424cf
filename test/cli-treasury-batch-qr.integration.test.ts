/**
 * Issue 11's "Done when" for a batch: three approvers in three processes, one
 * with no network, approve and execute a 10-row CSV batch through files and QR
 * codes alone. On the dev ledger with SoftHSM2 keys and the real `signet`
 * command, a 3-of-3 treasury: A makes the batch with `treasury batch --csv`
 * (signing it) and renders it as PNG frames; B, in a separate bin/signet.js
 * process with an empty data folder and no profile, scans the frames with a
 * tenth of them deleted and the rest shuffled, approves offline and writes a
 * file; C, in a process of its own (its own data folder, the dev ledger
 * selected), approves from A's file; A merges both and executes once. Every
 * payee's balance is read over raw JSON-RPC; a second execution is refused.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAmount } from '../core/chain/amount.js';
import { writeActiveProfile } from '../core/chain/profile-file.js';
import { signetProcess } from './support/cli.js';
import { registeredPayees } from './support/treasury.js';
import {
  dropAndShuffle,
  expectRefused,
  fundedTreasury,
  qrFrames,
  rawCurrencyBalance,
  rawRpc,
  rawSafe,
  syncSettled,
} from './support/treasury-cli.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob', 'carol']);
const dir = mkdtempSync(join(tmpdir(), 'signet-treasury-batch-qr-'));
const file = (name: string) => join(dir, name);
const FRAGMENT_SIZE = '100';
/** At least five times the fragments (asserted below): a tenth dropped must not leave a gap by chance. */
const FRAMES = '80';

/** A process of its own with an empty data folder (and, given a profile, that ledger selected). */
function ownProcess(withProfile: boolean) {
  const home = mkdtempSync(join(tmpdir(), 'signet-approver-'));
  const env = { ...w.env, SIGNET_HOME: home };
  if (withProfile) writeActiveProfile(w.ledger.profile, env);
  return { home, env };
}

describe('signet treasury batch | qr | scan: a 10-row batch approved by three processes', () => {
  it('A batches and shows QR frames; B scans and approves offline; C approves from the file; A merges and executes once', {
    timeout: 240_000,
  }, async () => {
    const started = performance.now();
    const safe = await fundedTreasury(w, 'Payroll', ['alice', 'bob', 'carol'], 3, '100.00');
    const payees = await registeredPayees(w.ledger, 10);
    const amounts = payees.map((_, i) => BigInt(1_05 + i * 113)); // 1.05, 2.18, …
    const total = amounts.reduce((sum, a) => sum + a, 0n);
    const currency = w.ledger.profile.contracts.currency;
    writeFileSync(
      file('payroll.csv'),
      `token_type,token_address,receiver,amount,id\n${payees
        .map((p, i) => `erc20,${currency},${p},${formatAmount(amounts[i]!)},row-${i}`)
        .join('\n')}\n`,
    );

    // A: the batch, signed at once, then its QR frames.
    const out = file('out');
    mkdirSync(out);
    const batch = await w.json([
      ...['treasury', 'batch', 'Payroll', '--csv', file('payroll.csv'), '--out-dir', out],
      ...['--description', 'Payroll December', '--sign-with', w.keys.alice!.uri],
      ...['--pin-file', w.pin],
    ]);
    expect(batch).toMatchObject({ rows: 10, total: formatAmount(total), splitReason: null });
    expect(batch.proposals).toHaveLength(1);
    const [proposal] = batch.proposals;
    expect(proposal.review).toMatchObject({
      nonce: '0',
      threshold: 3,
      approvals: [w.keys.alice!.address],
      call: { kind: 'batch', count: 10, total: formatAmount(total) },
    });
    const aFile = batch.files[0] as string;
    const shown = await w.json([
      ...['treasury', 'qr', aFile, '--out', file('qr-a')],
      ...['--fragment-size', FRAGMENT_SIZE, '--frames', FRAMES],
    ]);
    expect(shown.fragments).toBeGreaterThan(5); // the fountain code is exercised
    expect(shown.fragments * 5).toBeLessThanOrEqual(Number(FRAMES));
    const frames = qrFrames(file('qr-a'));
    expect(frames).toHaveLength(Number(FRAMES));

    // B: no profile, no data, no network; a tenth of the frames lost, the rest out of order.
    const b = ownProcess(false);
    const scanned = dropAndShuffle(frames, 7);
    const scan = signetProcess(
      ['treasury', 'scan', ...scanned, '--out', file('b-in.signet-approval'), '--json'],
      { env: b.env, noNetwork: true },
    );
    expect(scan.stderr).toBe('');
    expect(scan.json).toMatchObject({ framesGiven: scanned.length, fragments: shown.fragments });
    expect(readFileSync(file('b-in.signet-approval'), 'utf8')).toBe(readFileSync(aFile, 'utf8'));
    const approvedB = signetProcess(
      [
        ...['treasury', 'approve', file('b-in.signet-approval'), '--key', w.keys.bob!.uri],
        ...['--out', file('ab.signet-approval'), '--offline', '--pin-stdin', '--json'],
      ],
      { env: b.env, stdin: `${PIN}\n`, noNetwork: true },
    );
    expect(approvedB.stderr).toBe('');
    expect(approvedB.json.review).toMatchObject({
      safeTxHash: proposal.review.safeTxHash,
      call: proposal.review.call,
    });
    expect(existsSync(join(b.home, 'profile.json'))).toBe(false);

    // C: a process of its own, its own data folder, online: approves from A's file.
    const c = ownProcess(true);
    const approvedC = signetProcess(
      [
        ...['treasury', 'approve', aFile, '--key', w.keys.carol!.uri],
        ...['--out', file('ac.signet-approval'), '--pin-stdin', '--json'],
      ],
      { env: c.env, stdin: `${PIN}\n` },
    );
    expect(approvedC.stderr).toBe('');
    expect(approvedC.json.review.safeTxHash).toBe(proposal.review.safeTxHash);
    // A live keep-alive connection for the in-process commands after spawnSync (see rawRpc).
    await rawRpc(w.ledger.url, 'eth_blockNumber', []);

    // A: both files merged, three approvals of three, executed once.
    const merged = await w.json([
      ...['treasury', 'merge', file('ab.signet-approval'), file('ac.signet-approval')],
      ...['--out', file('abc.signet-approval')],
    ]);
    expect([...merged.review.approvals].sort()).toEqual(
      [w.keys.alice!.address, w.keys.bob!.address, w.keys.carol!.address].sort(),
    );
    const execute = () =>
      w.cli([
        ...['treasury', 'execute', file('abc.signet-approval')],
        ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
      ]);
    const executed = await execute();
    expect(executed.stderr).toBe('');
    await syncSettled(w);
    await syncSettled(w);
    expect(await Promise.all(payees.map((p) => rawCurrencyBalance(w, p)))).toEqual(amounts);
    expect(await rawCurrencyBalance(w, safe)).toBe(100_00n - total);
    expect((await rawSafe(w, safe)).nonce).toBe(1n);

    // Once executed, again is refused: the nonce is used; nothing moves.
    expectRefused(
      await execute(),
      /^signet: the treasury is at nonce 1: the proposal at nonce 0 was executed or replaced already$/,
    );
    expect(
      (await w.json(['outbox'])).filter((t: { kind: string }) => t.kind === 'treasury-execute'),
    ).toHaveLength(1);
    expect(await rawCurrencyBalance(w, safe)).toBe(100_00n - total);
    console.info(
      `treasury batch QR: ${shown.fragments} fragments of ${FRAGMENT_SIZE} bytes, ${frames.length} frames, ${scanned.length} given, complete after ${scan.json.framesUsed}; ${Math.round(performance.now() - started)} ms`,
    );
  });
});
