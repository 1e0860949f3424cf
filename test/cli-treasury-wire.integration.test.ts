/**
 * The treasury's audit trail through the real `signet` command, SoftHSM2 keys
 * and the dev ledger: a proposal, its approval and its execution each land in
 * the hash-chained audit log naming the chain, the treasury, the Safe nonce and
 * the safeTxHash (the execution with its transaction hash), the chain stays
 * intact, and no PIN is anywhere in it. A refused execution logs nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob']);
const json = w.json;
const dir = mkdtempSync(join(tmpdir(), 'signet-treasury-wire-'));
const file = (name: string) => join(dir, name);
const receiver = getAddress('0x2222222222222222222222222222222222c0ffee');

interface Entry {
  action: string;
  keyUri: string | null;
  subject: Record<string, unknown>;
  txHash: string | null;
}

async function syncSettled(): Promise<void> {
  for (let round = 0; round < 20; round++) {
    await json(['sync']);
    const outbox: Array<{ status: string }> = await json(['outbox']);
    if (outbox.every((t) => t.status === 'confirmed' || t.status === 'failed')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the outbox did not settle in 20 syncs');
}

async function audit(action: string): Promise<{ intact: boolean; entries: Entry[] }> {
  const result = await json(['audit', '--search', action, '--limit', '20']);
  expect(JSON.stringify(result)).not.toContain(PIN);
  return {
    intact: result.chain.intact,
    entries: result.entries.filter((e: Entry) => e.action === action),
  };
}

describe('signet treasury: proposals, approvals and executions in the audit log', () => {
  let treasury: Address;

  it('creates and funds a 1-of-2 treasury', async () => {
    await json(['ledger', 'fund', '--account', w.keys.alice!.address, '--amount', '10.00']);
    await json(['sync']);
    const created = await json([
      ...['treasury', 'create', '--name', 'Wire'],
      ...['--owner', w.keys.alice!.uri, '--owner', w.keys.bob!.address, '--threshold', '1'],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    treasury = created.treasury.address;
    await syncSettled();
    await json(['ledger', 'fund', '--account', treasury, '--amount', '20.00']);
    await json(['ledger', 'fund', '--account', receiver, '--amount', '0.01']);
  });

  it('a proposal with too few approvals is refused at execute and logs no execution', async () => {
    const proposed = await json([
      ...['treasury', 'propose', 'Wire', '--to', receiver, '--amount', '1.00'],
      ...['--out', file('unsigned.signet-approval'), '--pin-file', w.pin],
    ]);
    const logged = await audit('propose-safe-tx');
    expect(logged.entries).toContainEqual(
      expect.objectContaining({
        keyUri: null,
        subject: expect.objectContaining({
          chainId: w.ledger.profile.chainId,
          safe: treasury,
          treasury: 'Wire',
          nonce: '0',
          safeTxHash: proposed.review.safeTxHash,
        }),
      }),
    );
    const run = await w.cli([
      ...['treasury', 'execute', file('unsigned.signet-approval')],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    expect(run.code).toBe(1);
    expect((await audit('execute-safe-tx')).entries).toEqual([]);
  });

  it('logs the proposal and approval; an execution out of nonce order is refused and not logged', async () => {
    const proposed = await json([
      ...['treasury', 'propose', 'Wire', '--to', receiver, '--amount', '2.50'],
      ...['--sign-with', w.keys.alice!.uri, '--description', 'wire test'],
      ...['--out', file('signed.signet-approval'), '--pin-file', w.pin],
    ]);
    const hash = proposed.review.safeTxHash as string;
    // The unsigned proposal waits at nonce 0, so this one queues at nonce 1.
    const nonce = proposed.review.nonce as string;
    const executed = await json([
      ...['treasury', 'execute', file('signed.signet-approval')],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]).catch((error: Error) => error);
    // Behind the one at nonce 0: refused, nothing logged.
    expect(nonce).toBe('1');
    expect(executed).toBeInstanceOf(Error);
    expect(String(executed)).toMatch(/proposals before nonce 1 execute first/);
    expect((await audit('execute-safe-tx')).entries).toEqual([]);

    const approved = await audit('approve-safe-tx');
    expect(approved.entries).toContainEqual(
      expect.objectContaining({
        keyUri: w.keys.alice!.uri,
        subject: expect.objectContaining({
          chainId: w.ledger.profile.chainId,
          safe: treasury,
          nonce,
          safeTxHash: hash,
          owner: w.keys.alice!.address,
        }),
      }),
    );
    const proposals = await audit('propose-safe-tx');
    expect(proposals.entries.map((e) => e.subject.safeTxHash)).toContain(hash);
  });

  it('logs an execution with its transaction hash once it is queued; the chain stays intact', async () => {
    // Bob approves the waiting nonce-0 proposal; it executes.
    await json([
      ...['treasury', 'approve', file('unsigned.signet-approval'), '--key', w.keys.bob!.uri],
      ...['--out', file('unsigned-b.signet-approval'), '--pin-file', w.pin],
    ]);
    const executed = await json([
      ...['treasury', 'execute', file('unsigned-b.signet-approval')],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    const txHash = executed.transactions[0].txHash as string;
    await syncSettled();
    const logged = await audit('execute-safe-tx');
    expect(logged.intact).toBe(true);
    expect(logged.entries).toEqual([
      expect.objectContaining({
        keyUri: w.keys.alice!.uri,
        txHash,
        subject: expect.objectContaining({
          chainId: w.ledger.profile.chainId,
          safe: treasury,
          treasury: 'Wire',
          nonce: '0',
          safeTxHash: executed.review.safeTxHash,
          approvers: [w.keys.bob!.address],
        }),
      }),
    ]);
    const shown = await json(['treasury', 'show', 'Wire']);
    expect(shown.chain.nonce).toBe('1');
  });
});
