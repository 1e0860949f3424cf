/**
 * The treasury's audit trail through the real `signet` command, SoftHSM2 keys
 * and the dev ledger: a proposal, its approval and its execution each land in
 * the hash-chained audit log naming the chain, the treasury, the Safe nonce and
 * the safeTxHash (the execution with its transaction hash), the chain stays
 * intact, and no PIN is anywhere in it. A refused execution logs nothing.
 * `signet treasury batch`: a 20-row CSV becomes a MultiSendCallOnly proposal,
 * reviewed decoded, approved, executed, every payee's balance read on chain;
 * a file with bad rows is reported row by row and nothing is written.
 * Policies: stored once verified (an older version refused), and checked before
 * an approval is signed: over the per-payment limit refused, within it signed.
 * Cancel: a no-op proposal at a nonce; executed, the old bundle there is refused.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { ChainSigner } from '../core/chain/chain-signer.js';
import { ALWAYS, type TreasuryPolicy } from '../core/treasury/policy.js';
import { encodePolicyFile, policyTypedData } from '../core/treasury/policy-file.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import { openKeySigner } from '../native/pkcs11/token-access.js';
import { currencyBalance, registeredPayees } from './support/treasury.js';
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

  it('sync follows the treasury: its money, standing, owners and the notes it holds, shown offline', async () => {
    const before = await json(['treasury', 'show', 'Wire', '--offline']);
    expect(before.chain).toBeNull();
    await syncSettled();
    const synced = (await json(['treasury', 'show', 'Wire', '--offline'])).synced;
    expect(synced).toMatchObject({
      deployed: true,
      // In the Safe's own order (getOwners): the order they were given at create.
      owners: [w.keys.alice!.address, w.keys.bob!.address],
      threshold: 1,
      balance: '20.00',
      registered: true,
      frozen: false,
      notes: [],
    });
    await json([
      ...['note', 'issue', '--from', w.keys.alice!.uri, '--to', treasury],
      ...['--amount', '5.00', '--maturity', '2030-01-31', '--pin-file', w.pin],
    ]);
    await syncSettled();
    const shown = await json(['treasury', 'show', 'Wire', '--offline']);
    expect(shown.synced.block).toBeGreaterThan(synced.block);
    expect(shown.synced.notes).toEqual([
      expect.objectContaining({ holder: treasury, value: '5.00', maturity: '2030-01-31' }),
    ]);
    const human = await w.cli(['treasury', 'show', 'Wire', '--offline']);
    expect(human.stdout).toContain('balance 20.00, registered, 1 note held');
    expect(human.stdout).toMatch(/note #\d+: 5\.00, matures 2030-01-31/);
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

  it('a batch file with bad rows is reported row by row and writes nothing', async () => {
    const [payee] = await registeredPayees(w.ledger, 1);
    const stranger = getAddress('0x3333333333333333333333333333333333c0ffee');
    const currency = w.ledger.profile.contracts.currency;
    writeFileSync(
      file('bad.csv'),
      `token_type,token_address,receiver,amount,id\nerc20,${currency},${payee},1.005,a\nerc20,${currency},${stranger},1.00,b\nerc20,${currency},${payee},2.00,c\n`,
    );
    const out = file('bad-out');
    mkdirSync(out);
    const run = await w.cli([
      ...['treasury', 'batch', 'Wire', '--csv', file('bad.csv'), '--out-dir', out],
      ...['--sign-with', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/bad\.csv: line 2, amount: "1\.005" has more than 2 decimals$/),
      `${file('bad.csv')}: line 3, receiver: ${stranger} is not a registered account of the currency`,
      'signet: 2 bad rows in the CSV; no proposal was made',
    ]);
    expect(readdirSync(out)).toEqual([]);
    const logged = await audit('propose-safe-tx');
    expect(
      logged.entries.filter((e) => (e.subject.call as { kind: string }).kind === 'batch'),
    ).toEqual([]);
  });

  it('on a terminal, a progress bar counts the rows checked before the report', async () => {
    const run = await w.cli(
      ['treasury', 'batch', 'Wire', '--csv', file('bad.csv'), '--out-dir', file('bad-out')],
      { stderrTty: true },
    );
    expect(run.code).toBe(1);
    const [bar, ...report] = run.stderr.split('\n');
    // Each row redraws the same line: 1/3, 2/3, 3/3, then the report below it.
    expect(bar!.split('\r').slice(1)).toEqual([
      `checking rows [${'#'.repeat(10)}${'-'.repeat(20)}] 1/3`,
      `checking rows [${'#'.repeat(20)}${'-'.repeat(10)}] 2/3`,
      `checking rows [${'#'.repeat(30)}] 3/3`,
    ]);
    expect(report.at(-2)).toBe('signet: 2 bad rows in the CSV; no proposal was made');
    expect(readdirSync(file('bad-out'))).toEqual([]);
  });

  it('pays a 20-row CSV through the CLI: bundle, review, approval, execution, every balance on chain', {
    timeout: 120_000,
  }, async () => {
    // The nonce-1 payment waiting since the audit test executes first: the queue in order.
    await json([
      ...['treasury', 'execute', file('signed.signet-approval')],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    await syncSettled();

    const payees = await registeredPayees(w.ledger, 20);
    const amounts = payees.map((_, i) => BigInt(1_00 + i * 11)); // 1.00, 1.11, …
    await json(['ledger', 'fund', '--account', treasury, '--amount', '100.00']);
    const currency = w.ledger.profile.contracts.currency;
    const cents = (a: bigint) => `${a / 100n}.${(a % 100n).toString().padStart(2, '0')}`;
    writeFileSync(
      file('pay.csv'),
      `token_type,token_address,receiver,amount,id\n${payees
        .map((p, i) => `erc20,${currency},${p},${cents(amounts[i]!)},row-${i}`)
        .join('\n')}\n`,
    );
    const out = file('batch-out');
    mkdirSync(out);
    const batch = await json([
      ...['treasury', 'batch', 'Wire', '--csv', file('pay.csv'), '--out-dir', out],
      ...['--description', 'Payroll', '--pin-file', w.pin],
    ]);
    expect(batch).toMatchObject({ rows: 20, splitReason: null, limits: [] });
    expect(batch.total).toBe(cents(amounts.reduce((s, a) => s + a, 0n)));
    expect(batch.proposals).toHaveLength(1);
    const [proposal] = batch.proposals;
    expect(proposal.review).toMatchObject({
      nonce: '2',
      approvals: [],
      call: { kind: 'batch', count: 20, total: batch.total },
    });
    expect(proposal.review.call.payees).toEqual(
      payees.slice(0, 5).map((to, i) => ({ to, amount: cents(amounts[i]!) })),
    );
    expect(batch.files).toEqual([join(out, 'Wire-2.signet-approval')]);
    expect(existsSync(batch.files[0])).toBe(true);

    const human = await w.cli(['treasury', 'review', batch.files[0]]);
    expect(human.stdout).toContain(`batch of 20 payments, total ${batch.total}`);
    expect(human.stdout).toContain(`1.00 to ${payees[0]}`);
    expect(human.stdout).toContain('… and 15 more');

    await json([
      ...['treasury', 'approve', batch.files[0], '--key', w.keys.bob!.uri],
      ...['--out', file('batch-b.signet-approval'), '--pin-file', w.pin],
    ]);
    const executed = await json([
      ...['treasury', 'execute', file('batch-b.signet-approval')],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    expect(executed.transactions).toHaveLength(1);
    await syncSettled();
    expect(await Promise.all(payees.map((p) => currencyBalance(w.ledger, p)))).toEqual(amounts);
    expect((await json(['treasury', 'show', 'Wire'])).chain.nonce).toBe('3');
  });

  it("a cancel at a proposal's nonce, once executed, makes the old bundle's execution refused", async () => {
    const paid = await currencyBalance(w.ledger, receiver);
    const old = await json([
      ...['treasury', 'propose', 'Wire', '--to', receiver, '--amount', '1.50'],
      ...['--sign-with', w.keys.alice!.uri, '--out', file('old.signet-approval')],
      ...['--pin-file', w.pin],
    ]);
    expect(old.review.nonce).toBe('3');
    const usedUp = await w.cli([
      ...['treasury', 'cancel', 'Wire', '--nonce', '2', '--out', file('late.signet-approval')],
    ]);
    expect(usedUp.code).toBe(1);
    expect(usedUp.stderr).toMatch(/nonce 2 is used already/);
    expect(existsSync(file('late.signet-approval'))).toBe(false);

    const cancel = await json([
      ...['treasury', 'cancel', 'Wire', '--nonce', '3', '--sign-with', w.keys.alice!.uri],
      ...['--out', file('cancel.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(cancel.review).toMatchObject({
      nonce: '3',
      call: { kind: 'cancel', to: treasury },
      approvals: [w.keys.alice!.address],
    });
    const human = await w.cli(['treasury', 'review', file('cancel.signet-approval')]);
    expect(human.stdout).toContain('cancel: a call to the treasury itself that does nothing');
    const cancels = await audit('cancel-safe-tx');
    expect(cancels.entries).toEqual([
      expect.objectContaining({
        subject: expect.objectContaining({ nonce: '3', safeTxHash: cancel.review.safeTxHash }),
      }),
    ]);

    await json([
      ...['treasury', 'execute', file('cancel.signet-approval')],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    await syncSettled();
    expect((await json(['treasury', 'show', 'Wire'])).chain.nonce).toBe('4');
    const refused = await w.cli([
      ...['treasury', 'execute', file('old.signet-approval')],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trimEnd()).toMatch(
      /^signet: the treasury is at nonce 4: the proposal at nonce 3 was executed or replaced already$/,
    );
    expect(await currencyBalance(w.ledger, receiver)).toBe(paid);
  });

  /** A `.signet-policy` of `version` signed by Alice's token key (the 1-of-2 treasury's threshold). */
  async function policyFile(version: number, perPayment: bigint, daily = 100_00n): Promise<string> {
    const { contracts, chainId } = w.ledger.profile;
    const policy: TreasuryPolicy = {
      chainId,
      safe: treasury,
      version,
      currencies: [{ currency: contracts.currency, decimals: 2, perPayment, daily }],
      payees: [receiver],
      noteContracts: [],
      multiSendCallOnly: contracts.multiSendCallOnly,
      window: ALWAYS,
    };
    const signer = new ChainSigner(
      await openKeySigner(w.keys.alice!.uri, { configured: [], policy: anyModule }, async () =>
        Buffer.from(PIN),
      ),
      w.keys.alice!.address,
    );
    try {
      const { signature } = await signer.signTypedData(policyTypedData(policy));
      const path = file(`v${version}.signet-policy`);
      writeFileSync(
        path,
        encodePolicyFile({
          policy,
          signatures: [{ kind: 'ecdsa', owner: w.keys.alice!.address, signature }],
        }),
      );
      return path;
    } finally {
      await signer.close();
    }
  }

  it('stores a verified policy, refuses an older one, and checks approvals against it', async () => {
    const v1 = await policyFile(1, 5_00n);
    const v2 = await policyFile(2, 5_00n);
    expect(await json(['treasury', 'policy', 'set', 'Wire', v2])).toMatchObject({ version: 2 });
    const older = await w.cli(['treasury', 'policy', 'set', 'Wire', v1]);
    expect(older.code).toBe(1);
    expect(older.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(older.stderr).toMatch(/version 2/);

    // Over the per-payment limit of 5.00: refused before the key signs, nothing written.
    await json([
      ...['treasury', 'propose', 'Wire', '--to', receiver, '--amount', '9.00'],
      ...['--out', file('over.signet-approval')],
    ]);
    const before = (await audit('approve-safe-tx')).entries.length;
    const refused = await w.cli([
      ...['treasury', 'approve', file('over.signet-approval'), '--key', w.keys.bob!.uri],
      ...['--out', file('over-b.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^signet: .*9\.00.*5\.00/);
    expect(existsSync(file('over-b.signet-approval'))).toBe(false);
    expect((await audit('approve-safe-tx')).entries).toHaveLength(before);

    // Within it: signed, and the result says what the check counted.
    await json([
      ...['treasury', 'propose', 'Wire', '--to', receiver, '--amount', '4.00'],
      ...['--out', file('within.signet-approval')],
    ]);
    const approved = await json([
      ...['treasury', 'approve', file('within.signet-approval'), '--key', w.keys.bob!.uri],
      ...['--out', file('within-b.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(approved.approvedBy).toBe(w.keys.bob!.address);
    expect(approved.policy).toMatchObject({ version: 2, requiredThreshold: 1 });
    expect(approved.policy.counted).toMatch(/executions this wallet queued/);
    // Executed today from this wallet: 1.00, 2.50 and the batch's 40.90.
    expect(approved.policy.spentToday).toEqual([
      { currency: w.ledger.profile.contracts.currency, amount: '44.40' },
    ]);

    // A daily limit of 46.00: 44.40 spent, so 4.00 more is over it.
    await json(['treasury', 'policy', 'set', 'Wire', await policyFile(3, 5_00n, 46_00n)]);
    const daily = await w.cli([
      ...['treasury', 'approve', file('within.signet-approval'), '--key', w.keys.bob!.uri],
      ...['--out', file('within-daily.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(daily.code).toBe(1);
    expect(daily.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(daily.stderr).toMatch(/46\.00/);
    expect(existsSync(file('within-daily.signet-approval'))).toBe(false);

    // An offline approver given the older file is refused too.
    const offline = await w.cli([
      ...['treasury', 'approve', file('within.signet-approval'), '--key', w.keys.bob!.uri],
      ...['--policy', v1, '--out', file('within-v1.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/version/);
    expect(existsSync(file('within-v1.signet-approval'))).toBe(false);
  });

  it('offline, a batch says how limited its checks were', async () => {
    const [payee] = await registeredPayees(w.ledger, 1);
    const currency = w.ledger.profile.contracts.currency;
    writeFileSync(
      file('offline.csv'),
      `token_type,token_address,receiver,amount,id\nerc20,${currency},${payee},1.25,x\n`,
    );
    const out = file('offline-out');
    mkdirSync(out);
    const batch = await json([
      ...['treasury', 'batch', 'Wire', '--csv', file('offline.csv'), '--out-dir', out],
      '--offline',
    ]);
    expect(batch).toMatchObject({ rows: 1, total: '1.25', splitReason: null });
    expect(batch.limits).toEqual([expect.stringMatching(/^no node: payees were checked against/)]);
    expect(batch.proposals[0].review.call).toMatchObject({ kind: 'batch', count: 1 });
    expect(readdirSync(out)).toHaveLength(1);
  });
});
