/**
 * A treasury co-owned by a P-256 key's account (a TPM-style owner), through the
 * real `signet` command, SoftHSM2 keys and the dev ledger: a 2-of-2 of a
 * secp256k1 token key and a P-256 account. The P-256 owner approves in a
 * separate process with no ledger profile (--offline) from a file; the
 * approvals merge in either order; the payment executes once (checked over raw
 * JSON-RPC). Refused, changing nothing: execution while the account is not
 * deployed, a P-256 key whose account is not an owner, and a file whose P-256
 * approval was altered (high s, another account's key).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import {
  type Address,
  concat,
  encodeFunctionData,
  getAbiItem,
  getAddress,
  type Hex,
  hexToBigInt,
  numberToHex,
  sha256,
  slice,
  stringToBytes,
  toEventSelector,
} from 'viem';
import { describe, expect, it } from 'vitest';
import { safeAbi } from '../core/chain/safe.js';
import { canonicalJson } from '../core/store/canonical-json.js';
import { signetProcess } from './support/cli.js';
import { softhsmModule } from './support/softhsm.js';
import { expectRefused, rawCurrencyBalance, rawRpc, syncSettled } from './support/treasury-cli.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice']);
const json = w.json;
const dir = mkdtempSync(join(tmpdir(), 'signet-treasury-p256-'));
const file = (name: string) => join(dir, name);
const receiver = getAddress('0x2222222222222222222222222222222222c0ffee');

/** P-256 keys on the wallet's token, added as accounts (their P256Account addresses). */
const p256Keys: Record<string, { uri: string; address: Address }> = {};
let treasury: Address;

async function p256Account(label: string) {
  const token = (await w.cli(['tokens', '--module', softhsmModule, '--json'])).json.find(
    (t: { label: string }) => t.label === 'Wallet',
  ).uri;
  const key = await json([
    ...['key', 'generate', '--token', token, '--curve', 'p256', '--label', label],
    ...['--pin-file', w.pin],
  ]);
  const account = await json([
    'account',
    'add',
    '--key',
    key.uri,
    '--name',
    label,
    '--pin-file',
    w.pin,
  ]);
  p256Keys[label] = { uri: key.uri, address: account.address };
}

const safeNonce = async (): Promise<bigint> =>
  hexToBigInt(
    await rawRpc<Hex>(w.ledger.url, 'eth_call', [
      { to: treasury, data: encodeFunctionData({ abi: safeAbi, functionName: 'nonce' }) },
      'latest',
    ]),
  );

/** The P-256 owner approves `input` in another process, with a data folder that has no ledger profile. */
function offlineApproval(input: string, output: string, key = p256Keys.teller!.uri) {
  const home = mkdtempSync(join(tmpdir(), 'signet-offline-p256-'));
  const run = signetProcess(
    [
      ...['treasury', 'approve', input, '--key', key, '--out', output],
      ...['--offline', '--pin-stdin', '--json'],
    ],
    { env: { ...w.env, SIGNET_HOME: home }, stdin: `${PIN}\n`, noNetwork: true },
  );
  expect(existsSync(join(home, 'profile.json'))).toBe(false);
  return run;
}

/** The file with its body edited and the checksum made right again, as a careful forger would. */
function forgedBody(input: string, output: string, edit: (body: Record<string, any>) => void) {
  const parsed = JSON.parse(readFileSync(input, 'utf8'));
  edit(parsed.body);
  parsed.checksum = `sha256:${sha256(stringToBytes(canonicalJson(parsed.body))).slice(2)}`;
  writeFileSync(output, `${canonicalJson(parsed)}\n`);
}

/** The file with its P-256 approval edited (checksum made right again). */
function forged(input: string, output: string, edit: (approval: Record<string, Hex>) => void) {
  forgedBody(input, output, (body) =>
    edit(body.approvals.find((a: { kind: string }) => a.kind === 'contract')),
  );
}

describe('a treasury with a secp256k1 owner and a P-256 account owner', () => {
  it('is created and funded with the P-256 account as an owner', async () => {
    await p256Account('teller');
    await p256Account('outsider');
    await json(['ledger', 'fund', '--account', w.keys.alice!.address, '--amount', '10.00']);
    await json(['sync']);
    const created = await json([
      ...['treasury', 'create', '--name', 'Mixed'],
      ...['--owner', w.keys.alice!.uri, '--owner', p256Keys.teller!.uri, '--threshold', '2'],
      ...['--from', w.keys.alice!.uri, '--offline', '--pin-file', w.pin],
    ]);
    treasury = created.treasury.address;
    await syncSettled(w);
    const shown = await json(['treasury', 'show', 'Mixed']);
    expect(shown.chain).toMatchObject({ deployed: true, threshold: 2 });
    expect([...shown.chain.owners].sort()).toEqual(
      [w.keys.alice!.address, p256Keys.teller!.address].sort(),
    );
    await json(['ledger', 'fund', '--account', treasury, '--amount', '40.00']);
    await json(['ledger', 'fund', '--account', receiver, '--amount', '0.01']);
  });

  it('the P-256 owner approves offline in another process; merged in either order; executed once', async () => {
    const proposed = await json([
      ...['treasury', 'propose', 'Mixed', '--to', receiver, '--amount', '7.25'],
      ...['--description', 'Parts for the lab', '--out', file('p.signet-approval')],
    ]);
    const hash = proposed.review.safeTxHash as Hex;
    expect(JSON.parse(readFileSync(file('p.signet-approval'), 'utf8')).body).toMatchObject({
      p256AccountFactory: w.ledger.profile.contracts.p256AccountFactory,
    });
    await json([
      ...['treasury', 'approve', file('p.signet-approval'), '--key', w.keys.alice!.uri],
      ...['--out', file('a.signet-approval'), '--pin-file', w.pin],
    ]);

    const t = offlineApproval(file('p.signet-approval'), file('t.signet-approval'));
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    expect(t.json.approvedBy).toBe(p256Keys.teller!.address);
    expect(t.json.review).toMatchObject({
      safeTxHash: hash,
      safeName: null,
      call: { kind: 'payment', to: receiver, amount: '7.25' },
      approvals: [p256Keys.teller!.address],
    });
    const approval = JSON.parse(readFileSync(file('t.signet-approval'), 'utf8')).body.approvals[0];
    expect(approval).toMatchObject({ kind: 'contract', owner: p256Keys.teller!.address });
    expect(approval.signature).toMatch(/^0x[0-9a-f]{128}$/);
    // Low s, as the account's P256.verify demands.
    expect(hexToBigInt(slice(approval.signature as Hex, 32, 64))).toBeLessThanOrEqual(
      p256.Point.CURVE().n / 2n,
    );

    const one = await json([
      ...['treasury', 'merge', file('a.signet-approval'), file('t.signet-approval')],
      ...['--out', file('m1.signet-approval')],
    ]);
    await json([
      ...['treasury', 'merge', file('t.signet-approval'), file('a.signet-approval')],
      ...['--out', file('m2.signet-approval')],
    ]);
    expect(readFileSync(file('m2.signet-approval'), 'utf8')).toBe(
      readFileSync(file('m1.signet-approval'), 'utf8'),
    );
    expect([...one.review.approvals].sort()).toEqual(
      [w.keys.alice!.address, p256Keys.teller!.address].sort(),
    );

    // The account is not deployed yet: the Safe could not ask it, so nothing is queued.
    const outboxBefore = await json(['outbox']);
    expectRefused(
      await w.cli([
        ...['treasury', 'execute', file('m1.signet-approval'), '--from', w.keys.alice!.uri],
        ...['--pin-file', w.pin],
      ]),
      /P-256 account 0x[0-9a-fA-F]{40} approved, but it is not deployed on this chain yet/,
    );
    expect(await json(['outbox'])).toEqual(outboxBefore);

    // Its first operation deploys it (carried by alice, the wallet's secp256k1 account).
    await json(['ledger', 'fund', '--account', p256Keys.teller!.address, '--amount', '1.00']);
    await json(['sync']);
    await json([
      ...['send', '--from', p256Keys.teller!.uri, '--to', receiver, '--amount', '0.01'],
      ...['--pin-file', w.pin],
    ]);
    await syncSettled(w);
    const code = await rawRpc<Hex>(w.ledger.url, 'eth_getCode', [
      p256Keys.teller!.address,
      'latest',
    ]);
    expect(code.length).toBeGreaterThan(2);

    const before = await rawCurrencyBalance(w, receiver);
    const executed = await json([
      ...['treasury', 'execute', file('m1.signet-approval'), '--from', w.keys.alice!.uri],
      ...['--pin-file', w.pin],
    ]);
    expect(executed.review.safeTxHash).toBe(hash);
    await syncSettled(w);
    expect(await rawCurrencyBalance(w, receiver)).toBe(before + 7_25n);
    expect(await safeNonce()).toBe(1n);

    // Exactly one ExecutionSuccess for this safeTxHash, over raw JSON-RPC.
    const logs = await rawRpc<Array<{ topics: Hex[]; transactionHash: Hex }>>(
      w.ledger.url,
      'eth_getLogs',
      [{ address: treasury, fromBlock: '0x0', toBlock: 'latest' }],
    );
    const successTopic = toEventSelector(getAbiItem({ abi: safeAbi, name: 'ExecutionSuccess' }));
    const successes = logs.filter((l) => l.topics[0] === successTopic && l.topics[1] === hash);
    expect(successes).toHaveLength(1);
    const receipt = await rawRpc<{ gasUsed: Hex; status: Hex }>(
      w.ledger.url,
      'eth_getTransactionReceipt',
      [successes[0]!.transactionHash],
    );
    expect(receipt.status).toBe('0x1');
    console.log(
      `execTransaction, ECDSA + P-256 contract signature, via the CLI: ${hexToBigInt(receipt.gasUsed).toLocaleString('en')} gas`,
    );

    // A second execution is refused: the nonce is used.
    expectRefused(
      await w.cli([
        ...['treasury', 'execute', file('m1.signet-approval'), '--from', w.keys.alice!.uri],
        ...['--pin-file', w.pin],
      ]),
      /executed or replaced already/,
    );
    expect(await rawCurrencyBalance(w, receiver)).toBe(before + 7_25n);
  });

  it('refuses a P-256 key whose account is not an owner, before it signs', () => {
    const out = file('outsider.signet-approval');
    const run = offlineApproval(file('p.signet-approval'), out, p256Keys.outsider!.uri);
    expectRefused(
      run,
      /account 0x[0-9a-fA-F]{40} is not an owner of treasury .*nothing was signed/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an altered P-256 approval (high s, another key) in one line, writing nothing', async () => {
    const n = p256.Point.CURVE().n;
    forged(file('t.signet-approval'), file('high-s.signet-approval'), (a) => {
      const s = hexToBigInt(slice(a.signature!, 32, 64));
      a.signature = concat([slice(a.signature!, 0, 32), numberToHex(n - s, { size: 32 })]);
    });
    const out = file('never.signet-approval');
    const highS = await w.cli([
      ...['treasury', 'merge', file('a.signet-approval'), file('high-s.signet-approval')],
      ...['--out', out],
    ]);
    expectRefused(highS, /not a canonical \(low-s\) P-256 signature/);

    const outsiderKey = (await json(['accounts'])).find(
      (a: { keyUri: string }) => a.keyUri === p256Keys.outsider!.uri,
    ).publicKey as Hex;
    forged(file('t.signet-approval'), file('other-key.signet-approval'), (a) => {
      a.publicKey = outsiderKey;
    });
    const otherKey = await w.cli([
      ...['treasury', 'merge', file('a.signet-approval'), file('other-key.signet-approval')],
      ...['--out', out],
    ]);
    expectRefused(
      otherKey,
      new RegExp(`is the key of P-256 account ${p256Keys.outsider!.address}`),
    );
    expect(existsSync(out)).toBe(false);
  });

  it("refuses, online, a bundle naming another P-256 account factory than the ledger's", async () => {
    const other = getAddress(`0x${'ab'.repeat(20)}`);
    forgedBody(file('p.signet-approval'), file('factory.signet-approval'), (body) => {
      body.p256AccountFactory = other;
    });
    const out = file('never-factory.signet-approval');
    expectRefused(
      await w.cli([
        ...['treasury', 'approve', file('factory.signet-approval'), '--key', w.keys.alice!.uri],
        ...['--out', out, '--pin-file', w.pin],
      ]),
      new RegExp(
        `names P-256 account factory ${other}; ledger .* has ${w.ledger.profile.contracts.p256AccountFactory}`,
      ),
    );
    expect(existsSync(out)).toBe(false);
  });
});
