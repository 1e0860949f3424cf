/**
 * Issue 11 §6 by animated QR: a 2-of-3 treasury on the dev ledger with SoftHSM2
 * keys and the real `signet` command. A proposes and signs online and renders
 * the bundle as PNG frames; B, in a separate bin/signet.js process with an empty
 * data folder and no profile, scans the frames with a tenth of them deleted and
 * the rest shuffled (jsQR over the pixels), approves offline and renders its
 * bundle again; A scans B's frames and executes; the payment lands once, read
 * over raw JSON-RPC. And the refusals: a half-received sequence (nothing
 * written), a PNG of an unrelated QR code, a frame of another sequence.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { type Address, decodeFunctionResult, encodeFunctionData, getAddress, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { safeAbi } from '../core/chain/safe.js';
import { reachableWithoutNetwork, signetProcess } from './support/cli.js';
import {
  dropAndShuffle,
  expectRefused,
  qrFrames as frames,
  fundedTreasury,
  rawCurrencyBalance,
  rawRpc,
  syncSettled,
} from './support/treasury-cli.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob', 'carol']);
const dir = mkdtempSync(join(tmpdir(), 'signet-treasury-qr-'));
const file = (name: string) => join(dir, name);
const receiver = getAddress('0x2222222222222222222222222222222222c0ffee');
/** Small fragments, so the bundle spans many frames and the fountain code is exercised. */
const FRAGMENT_SIZE = '60';

/**
 * Frames rendered: about 5 × the fragments here (the default, 3 ×, leaves about 1 sequence
 * in 3,000 incomplete after a tenth is dropped; a test must not fail by chance).
 */
const FRAMES = '60';

async function safeNonce(safe: Address): Promise<bigint> {
  const data = encodeFunctionData({ abi: safeAbi, functionName: 'nonce' });
  const result = await rawRpc<Hex>(w.ledger.url, 'eth_call', [{ to: safe, data }, 'latest']);
  return decodeFunctionResult({ abi: safeAbi, functionName: 'nonce', data: result });
}

let treasury: Address;

describe('signet treasury qr | scan: a 2-of-3 payment approved through animated QR codes', () => {
  it("approver B's process has no way to the node: it answers here, not from B's namespace", async () => {
    const answered = await fetch(w.ledger.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    expect(answered.ok).toBe(true);
    expect(reachableWithoutNetwork(w.ledger.url)).toBe(false);
  });

  it('A proposes online; B scans, approves offline and shows its QR; A scans and executes once', async () => {
    const started = performance.now();
    treasury = await fundedTreasury(w, 'Ops', ['alice', 'bob', 'carol'], 2, '50.00');
    await w.json(['ledger', 'fund', '--account', receiver, '--amount', '0.01']);

    const proposed = await w.json([
      ...['treasury', 'propose', 'Ops', '--to', receiver, '--amount', '12.34'],
      ...['--description', 'Coffee, by QR', '--sign-with', w.keys.alice!.uri],
      ...['--out', file('a.signet-approval'), '--pin-file', w.pin],
    ]);
    const shownA = await w.cli([
      ...['treasury', 'qr', file('a.signet-approval'), '--out', file('qr-a')],
      ...['--fragment-size', FRAGMENT_SIZE, '--frames', FRAMES],
    ]);
    expect(shownA.stderr).toBe('');
    expect(shownA.stdout.trimEnd().split('\n')).toHaveLength(1);
    const indexA = JSON.parse(readFileSync(file('qr-a/index.json'), 'utf8'));
    expect(indexA).toMatchObject({
      type: 'x-signet-approval',
      fragmentSize: 60,
      errorCorrection: 'M',
    });
    expect(indexA.fragments).toBeGreaterThan(5);
    const framesA = frames(file('qr-a'));
    expect(framesA).toHaveLength(indexA.frames.length);
    expect(framesA).toHaveLength(Number(FRAMES));
    // Without --frames: three times the fragments.
    await w.cli([
      ...['treasury', 'qr', file('a.signet-approval'), '--out', file('qr-a-default')],
      ...['--fragment-size', FRAGMENT_SIZE],
    ]);
    expect(frames(file('qr-a-default'))).toHaveLength(indexA.fragments * 3);
    expect(shownA.stdout).toBe(
      `wrote ${framesA.length} frames to ${file('qr-a')} (${indexA.fragments} fragments of 60 bytes, error correction M; index.json)\n`,
    );

    // B: its own process, an empty data folder, no profile, nothing but the frames.
    const offlineHome = mkdtempSync(join(tmpdir(), 'signet-offline-'));
    // No network at all: a network namespace of its own (signetProcess noNetwork).
    const offline = { env: { ...w.env, SIGNET_HOME: offlineHome }, noNetwork: true };
    const scannedA = dropAndShuffle(framesA, 11);
    const scanB = signetProcess(
      ['treasury', 'scan', ...scannedA, '--out', file('b-in.signet-approval'), '--json'],
      offline,
    );
    expect(scanB.stderr).toBe('');
    expect(scanB.json).toMatchObject({
      framesGiven: scannedA.length,
      fragments: indexA.fragments,
    });
    expect(scanB.json.framesUsed).toBeGreaterThanOrEqual(indexA.fragments);
    expect(scanB.json.framesUsed).toBeLessThanOrEqual(scannedA.length);
    expect(readFileSync(file('b-in.signet-approval'), 'utf8')).toBe(
      readFileSync(file('a.signet-approval'), 'utf8'),
    );
    const approved = signetProcess(
      [
        ...['treasury', 'approve', file('b-in.signet-approval'), '--key', w.keys.bob!.uri],
        ...['--out', file('ab.signet-approval'), '--offline', '--pin-stdin', '--json'],
      ],
      { ...offline, stdin: `${PIN}\n` },
    );
    expect(approved.stderr).toBe('');
    expect(approved.json.review.safeTxHash).toBe(proposed.review.safeTxHash);
    expect([...approved.json.review.approvals].sort()).toEqual(
      [w.keys.alice!.address, w.keys.bob!.address].sort(),
    );
    const shownB = signetProcess(
      [
        ...['treasury', 'qr', file('ab.signet-approval'), '--out', file('qr-b')],
        ...['--fragment-size', FRAGMENT_SIZE, '--frames', FRAMES, '--json'],
      ],
      offline,
    );
    expect(shownB.stderr).toBe('');
    expect(existsSync(join(offlineHome, 'profile.json'))).toBe(false);

    // A scans B's frames, also with gaps and out of order, and executes.
    const scannedB = dropAndShuffle(frames(file('qr-b')), 23);
    const scanA = await w.json([
      ...['treasury', 'scan', ...scannedB, '--out', file('ab-scanned.signet-approval')],
    ]);
    expect(scanA).toMatchObject({
      fragments: shownB.json.fragments,
      framesGiven: scannedB.length,
    });
    expect(readFileSync(file('ab-scanned.signet-approval'), 'utf8')).toBe(
      readFileSync(file('ab.signet-approval'), 'utf8'),
    );
    const before = await rawCurrencyBalance(w, receiver);
    const executed = await w.json([
      ...['treasury', 'execute', file('ab-scanned.signet-approval')],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    expect(executed.review.approvals).toHaveLength(2);
    await syncSettled(w);
    await syncSettled(w);
    expect(await rawCurrencyBalance(w, receiver)).toBe(before + 1234n);
    expect(await rawCurrencyBalance(w, treasury)).toBe(5000n - 1234n);
    expect(await safeNonce(treasury)).toBe(1n);
    console.info(
      `treasury QR: A ${indexA.fragments} fragments, ${framesA.length} frames rendered, ${scannedA.length} given, complete after ${scanB.json.framesUsed}; ` +
        `B ${shownB.json.fragments} fragments, ${shownB.json.frames} frames rendered, ${scannedB.length} given, complete after ${scanA.framesUsed}; ` +
        `${Math.round(performance.now() - started)} ms`,
    );
  });

  it('a half-received sequence reports its progress and writes nothing', async () => {
    const framesA = frames(file('qr-a'));
    const { fragments } = JSON.parse(readFileSync(file('qr-a/index.json'), 'utf8'));
    const half = framesA.slice(0, Math.floor(fragments / 2));
    const out = file('half.signet-approval');
    const run = signetProcess(['treasury', 'scan', ...half, '--out', out], { env: w.env });
    expectRefused(
      run,
      new RegExp(`^signet: ${half.length} of ${fragments} fragments: show more frames`),
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a PNG of an unrelated QR code, and a frame of another sequence, writing nothing', async () => {
    const out = file('refused.signet-approval');
    const unrelated = file('unrelated.png');
    await QRCode.toFile(unrelated, 'https://example.com/not-an-approval');
    expectRefused(
      await w.cli(['treasury', 'scan', unrelated, '--out', out]),
      /unrelated\.png: this QR frame is not a UR \(ur:x-signet-approval\/…\)/,
    );
    const seed = file('seed.png');
    await QRCode.toFile(
      seed,
      'UR:CRYPTO-SEED/OEADGDSTAOSFFLHPFRFYSFWZRNBYFLAOSMHNRYRKTDIEFHCALFRIKOE',
    );
    expectRefused(
      await w.cli(['treasury', 'scan', seed, '--out', out]),
      /seed\.png: this QR frame is a crypto-seed, not an approval bundle \(x-signet-approval\)$/,
    );
    expectRefused(
      await w.cli([
        ...['treasury', 'scan', frames(file('qr-a'))[0]!, frames(file('qr-b'))[0]!],
        ...['--out', out],
      ]),
      /frame-001\.png: this QR frame belongs to another approval bundle than the frames before it$/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
