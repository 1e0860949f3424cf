/**
 * A 2-of-3 treasury through the real `signet` command, SoftHSM2 keys and the
 * dev ledger: created (its address predicted offline, deployed by sync), funded,
 * a payment proposed online by A, approved by B in a separate process with no
 * ledger profile and --offline, approved by C from the file, merged in both
 * orders, executed exactly once (checked over raw JSON-RPC). And each refusal:
 * a non-owner's key, a bundle for another chain, a tampered file, a merge of
 * different proposals, too few approvals, a second execution.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, decodeFunctionResult, encodeFunctionData, getAddress, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { currencyAbi } from '../core/chain/abi.js';
import { listAudit } from '../core/store/audit-log.js';
import { openStore } from '../core/store/database.js';
import { decodeBundle, encodeBundle } from '../core/treasury/bundle-codec.js';
import { signetProcess } from './support/cli.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob', 'carol', 'stranger']);
const json = w.json;
const dir = mkdtempSync(join(tmpdir(), 'signet-treasury-'));
const file = (name: string) => join(dir, name);
/** A payee outside the wallet (its EIP-55 form has mixed case). */
const receiver = getAddress('0x1111111111111111111111111111111111c0ffee');

function expectRefused(run: { code: number; stderr: string }, message: RegExp) {
  expect(run.code).toBe(1);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(message);
}

/** Raw JSON-RPC to the dev node: nothing of Signet's in between. */
async function rpc<T>(method: string, params: unknown[]): Promise<T> {
  const response = await fetch(w.ledger.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

const rawCall = (to: Address, data: Hex) => rpc<Hex>('eth_call', [{ to, data }, 'latest']);

async function currencyBalance(address: Address): Promise<bigint> {
  const data = encodeFunctionData({ abi: currencyAbi, functionName: 'balanceOf', args: [address] });
  const result = await rawCall(w.ledger.profile.contracts.currency, data);
  return decodeFunctionResult({ abi: currencyAbi, functionName: 'balanceOf', data: result });
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

let treasury: Address;

describe('signet treasury: a 2-of-3 payment approved across processes', () => {
  it('creates the treasury at its predicted address, deployed by sync', async () => {
    await json(['ledger', 'fund', '--account', w.keys.alice!.address, '--amount', '10.00']);
    await json(['sync']);
    const created = await json([
      'treasury',
      'create',
      '--name',
      'Ops',
      '--owner',
      w.keys.alice!.uri,
      '--owner',
      w.keys.bob!.address,
      '--owner',
      w.keys.carol!.address,
      '--threshold',
      '2',
      '--from',
      w.keys.alice!.uri,
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    treasury = created.treasury.address;
    expect(created.transactions).toMatchObject([{ kind: 'treasury-create', status: 'signed' }]);
    const before = await json(['treasury', 'show', 'Ops']);
    expect(before.chain).toMatchObject({ deployed: false });

    await syncSettled();
    const shown = await json(['treasury', 'show', 'ops']);
    expect(shown.treasury.address).toBe(treasury);
    expect(shown.chain).toMatchObject({ deployed: true, threshold: 2, nonce: '0' });
    expect([...shown.chain.owners].sort()).toEqual(
      [w.keys.alice!.address, w.keys.bob!.address, w.keys.carol!.address].sort(),
    );
    // The same name again is refused before anything is signed.
    expectRefused(
      await w.cli([
        'treasury',
        'create',
        '--name',
        'OPS',
        '--owner',
        w.keys.alice!.address,
        '--threshold',
        '1',
        '--from',
        w.keys.alice!.uri,
        '--pin-file',
        w.pin,
      ]),
      /treasury Ops .* exists already/,
    );
  });

  it('A proposes online; B approves offline in another process with no profile; C from the file; merged in both orders', async () => {
    await json(['ledger', 'fund', '--account', treasury, '--amount', '50.00']);
    await json(['ledger', 'fund', '--account', receiver, '--amount', '0.01']);
    await json(['addressbook', 'add', '--address', receiver, '--name', 'Coffee Ltd']);

    const proposed = await json([
      'treasury',
      'propose',
      'Ops',
      '--to',
      receiver,
      '--amount',
      '12.34',
      '--description',
      'December coffee',
      '--sign-with',
      w.keys.alice!.uri,
      '--out',
      file('a.signet-approval'),
      '--pin-file',
      w.pin,
    ]);
    expect(proposed.review).toMatchObject({
      safe: treasury,
      safeName: 'Ops',
      nonce: '0',
      threshold: 2,
      description: 'December coffee',
      call: { kind: 'payment', to: receiver, amount: '12.34' },
      approvals: [w.keys.alice!.address],
    });
    expect(proposed.review.names).toContainEqual({
      address: receiver,
      kind: 'address-book',
      name: 'Coffee Ltd',
    });
    const human = await w.cli(['treasury', 'review', file('a.signet-approval')]);
    expect(human.stdout).toContain(`pay 12.34 to ${receiver} (Coffee Ltd)`);
    expect(human.stdout).toContain(`safeTxHash: ${proposed.review.safeTxHash}`);

    // B: a separate process with no network at all (a namespace of its own), no ledger profile.
    const offlineHome = mkdtempSync(join(tmpdir(), 'signet-offline-'));
    const b = signetProcess(
      [
        'treasury',
        'approve',
        file('a.signet-approval'),
        '--key',
        w.keys.bob!.uri,
        '--out',
        file('ab.signet-approval'),
        '--offline',
        '--pin-stdin',
        '--json',
      ],
      { env: { ...w.env, SIGNET_HOME: offlineHome }, stdin: `${PIN}\n`, noNetwork: true },
    );
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(b.json.approvedBy).toBe(w.keys.bob!.address);
    expect(b.json.review).toMatchObject({
      safeTxHash: proposed.review.safeTxHash,
      safeName: null,
      call: { kind: 'payment', to: receiver, amount: '12.34' },
    });
    expect(existsSync(join(offlineHome, 'profile.json'))).toBe(false);
    // The offline machine's own audit log has the approval, and no PIN.
    const offlineStore = openStore(join(offlineHome, 'signet.sqlite'));
    try {
      const entries = listAudit(offlineStore, { limit: 10 });
      expect(entries).toMatchObject([
        {
          action: 'approve-safe-tx',
          keyUri: w.keys.bob!.uri,
          subject: { owner: w.keys.bob!.address, safeTxHash: proposed.review.safeTxHash },
        },
      ]);
      expect(JSON.stringify(entries)).not.toContain(PIN);
    } finally {
      offlineStore.close();
    }

    const c = await json([
      'treasury',
      'approve',
      file('a.signet-approval'),
      '--key',
      w.keys.carol!.uri,
      '--out',
      file('ac.signet-approval'),
      '--pin-file',
      w.pin,
    ]);
    expect(c.review.approvals).toHaveLength(2);

    const one = await json([
      'treasury',
      'merge',
      file('ab.signet-approval'),
      file('ac.signet-approval'),
      '--out',
      file('m1.signet-approval'),
    ]);
    const two = await json([
      'treasury',
      'merge',
      file('ac.signet-approval'),
      file('a.signet-approval'),
      file('ab.signet-approval'),
      '--out',
      file('m2.signet-approval'),
    ]);
    expect(one.review.approvals).toHaveLength(3);
    expect(readFileSync(file('m1.signet-approval'), 'utf8')).toBe(
      readFileSync(file('m2.signet-approval'), 'utf8'),
    );
    expect(two.bundle).toBe(one.bundle);

    // Each approval is in the audit log, and no PIN anywhere in it.
    const audit = await json(['audit', '--search', 'approve-safe-tx', '--limit', '10']);
    expect(audit.entries.map((e: { keyUri: string }) => e.keyUri).sort()).toEqual(
      [w.keys.alice!.uri, w.keys.carol!.uri].sort(),
    );
    expect(JSON.stringify(audit)).not.toContain(PIN);
  });

  it('refuses a non-owner key before it signs, another chain, a tampered file and a merge of different proposals', async () => {
    const out = file('refused.signet-approval');
    expectRefused(
      await w.cli([
        'treasury',
        'approve',
        file('a.signet-approval'),
        '--key',
        w.keys.stranger!.uri,
        '--out',
        out,
        '--pin-file',
        w.pin,
      ]),
      /is not an owner of treasury .*nothing was signed/,
    );
    const approvals = await json(['audit', '--search', 'approve-safe-tx', '--limit', '10']);
    expect(approvals.entries.map((e: { keyUri: string }) => e.keyUri)).not.toContain(
      w.keys.stranger!.uri,
    );

    const original = await decodeBundle(readFileSync(file('a.signet-approval'), 'utf8'));
    writeFileSync(
      file('chain.signet-approval'),
      await encodeBundle({ ...original, chainId: 1, approvals: [] }),
    );
    expectRefused(
      await w.cli([
        'treasury',
        'approve',
        file('chain.signet-approval'),
        '--key',
        w.keys.bob!.uri,
        '--out',
        out,
        '--pin-file',
        w.pin,
      ]),
      /the bundle is for chain 1, the selected ledger .* is chain/,
    );

    // Online, the chain's owners are checked before the key signs.
    writeFileSync(
      file('owners.signet-approval'),
      await encodeBundle({
        ...original,
        owners: [w.keys.alice!.address, w.keys.bob!.address, w.keys.stranger!.address],
        approvals: [],
      }),
    );
    expectRefused(
      await w.cli([
        'treasury',
        'approve',
        file('owners.signet-approval'),
        '--key',
        w.keys.bob!.uri,
        '--out',
        out,
        '--pin-file',
        w.pin,
      ]),
      /^signet: the bundle lists owners .* and threshold 2; treasury 0x[0-9a-fA-F]{40} has .* and threshold 2$/,
    );

    const text = readFileSync(file('a.signet-approval'), 'utf8');
    writeFileSync(
      file('tampered.signet-approval'),
      text.replace('December coffee', 'December cofee'),
    );
    expectRefused(
      await w.cli([
        'treasury',
        'approve',
        file('tampered.signet-approval'),
        '--key',
        w.keys.bob!.uri,
        '--out',
        out,
        '--offline',
        '--pin-file',
        w.pin,
      ]),
      /is corrupted: its checksum does not match/,
    );

    const other = await json([
      'treasury',
      'propose',
      'Ops',
      '--to',
      receiver,
      '--amount',
      '1.00',
      '--out',
      file('other.signet-approval'),
    ]);
    expect(other.review.nonce).toBe('1');
    expectRefused(
      await w.cli([
        'treasury',
        'merge',
        file('a.signet-approval'),
        file('other.signet-approval'),
        '--out',
        out,
      ]),
      /^signet: bundle 2: the approval bundles differ: one is for nonce 0, the other for nonce 1$/,
    );
    // The same nonce, another transaction.
    const { tx } = original.proposal;
    writeFileSync(
      file('changed.signet-approval'),
      await encodeBundle({
        ...original,
        proposal: { ...original.proposal, tx: { ...tx, value: 1n } },
        approvals: [],
      }),
    );
    expectRefused(
      await w.cli([
        'treasury',
        'merge',
        file('changed.signet-approval'),
        file('a.signet-approval'),
        '--out',
        out,
      ]),
      /^signet: bundle 2: .*they propose different transactions \(safeTxHash 0x[0-9a-f]{64} and 0x[0-9a-f]{64}\)$/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('executes once the threshold is met, exactly once', async () => {
    expectRefused(
      await w.cli([
        'treasury',
        'execute',
        file('a.signet-approval'),
        '--from',
        w.keys.alice!.uri,
        '--pin-file',
        w.pin,
      ]),
      /has 1 of the 2 approvals it needs/,
    );
    expectRefused(
      await w.cli([
        'treasury',
        'execute',
        file('chain.signet-approval'),
        '--from',
        w.keys.alice!.uri,
        '--pin-file',
        w.pin,
      ]),
      /the bundle is for chain 1/,
    );

    const before = await currencyBalance(receiver);
    // Blocks wait, so the execution is sent but not yet mined when it is asked for again.
    await rpc('evm_setAutomine', [false]);
    try {
      const executed = await json([
        'treasury',
        'execute',
        file('m1.signet-approval'),
        '--from',
        w.keys.alice!.uri,
        '--pin-file',
        w.pin,
      ]);
      expect(executed.transactions).toMatchObject([{ kind: 'treasury-execute' }]);
      expectRefused(
        await w.cli([
          'treasury',
          'execute',
          file('m2.signet-approval'),
          '--from',
          w.keys.alice!.uri,
          '--pin-file',
          w.pin,
        ]),
        /this proposal's execution is queued already \(transaction 0x[0-9a-f]{64}\)/,
      );
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
    await w.ledger.mine();
    await syncSettled();
    expect(await currencyBalance(receiver)).toBe(before + 1234n);
    expect(await currencyBalance(treasury)).toBe(5000n - 1234n);
    const outbox: Array<{ kind: string; status: string }> = await json(['outbox']);
    expect(outbox.filter((t) => t.kind === 'treasury-execute')).toMatchObject([
      { status: 'confirmed' },
    ]);

    expectRefused(
      await w.cli([
        'treasury',
        'execute',
        file('m1.signet-approval'),
        '--from',
        w.keys.alice!.uri,
        '--pin-file',
        w.pin,
      ]),
      /the treasury is at nonce 1: the proposal at nonce 0 was executed or replaced already/,
    );
    expect(await currencyBalance(receiver)).toBe(before + 1234n);
    const shown = await json(['treasury', 'show', 'Ops']);
    expect(shown.chain).toMatchObject({ nonce: '1', balance: '37.66' });
  });

  it('refuses bad input in one line, before any key or file is touched', async () => {
    const create = (owner: string, threshold: string) =>
      w.cli([
        'treasury',
        'create',
        '--name',
        'Bad',
        '--owner',
        owner,
        '--threshold',
        threshold,
        '--from',
        w.keys.alice!.uri,
        '--pin-file',
        w.pin,
      ]);
    expectRefused(
      await create('pkcs11:token=Nowhere;object=nobody', '1'),
      /owner pkcs11:token=Nowhere;object=nobody is not a wallet account/,
    );
    expectRefused(
      await create(w.keys.bob!.address, '2'),
      /threshold must be a whole number from 1 to 1 \(the owners\), got 2/,
    );
    expectRefused(
      await w.cli([
        'treasury',
        'propose',
        'Nope',
        '--to',
        receiver,
        '--amount',
        '1',
        '--out',
        file('x'),
      ]),
      /no treasury Nope on chain/,
    );
    expectRefused(
      await w.cli([
        'treasury',
        'propose',
        'Ops',
        '--to',
        receiver,
        '--amount',
        '1000.00',
        '--out',
        file('x'),
      ]),
      /treasury Ops holds .*, not the 1000.00 proposed/,
    );
    expectRefused(
      await w.cli(['treasury', 'merge', file('a.signet-approval'), '--out', file('x')]),
      /merge needs at least two bundles/,
    );
    expectRefused(
      await w.cli(['treasury', 'review', file('missing.signet-approval')]),
      /cannot read .*missing.signet-approval \(ENOENT\)/,
    );
    expect(existsSync(file('x'))).toBe(false);
    expect((await json(['treasury', 'list'])).map((t: { name: string }) => t.name)).toEqual([
      'Ops',
    ]);
  });

  it('offline: proposes at the stored nonce after the queued proposals; online reads say the node is down', async () => {
    w.useProfile({ ...w.ledger.profile, rpc: ['http://127.0.0.1:1'] });
    try {
      const offline = await json([
        'treasury',
        'propose',
        'Ops',
        '--to',
        receiver,
        '--amount',
        '2.00',
        '--offline',
        '--out',
        file('offline.signet-approval'),
      ]);
      expect(offline.review).toMatchObject({ nonce: '2', call: { amount: '2.00' } });
      const down = await w.cli(['treasury', 'show', 'Ops']);
      expect(down.code).toBe(2);
      expect(down.stderr).toMatch(/^signet: no ledger node answered/);
      expect((await json(['treasury', 'show', 'Ops', '--offline'])).chain).toBeNull();
    } finally {
      w.useProfile(w.ledger.profile);
    }
  });
});
