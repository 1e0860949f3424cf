/**
 * Issue 11 §6, "a note issued by the treasury through approvals": a 2-of-3
 * treasury on the dev ledger with SoftHSM2 keys and the real `signet` command.
 * A proposes a note issue online and shows it as QR frames; B, in a separate
 * bin/signet.js process with an empty data folder and no profile, scans them,
 * reads the decoded note operation (its contract unverified: no ledger) and
 * approves offline; C's approval arrives as a file; A merges and executes. The
 * note is on chain once, read over raw JSON-RPC. Then the treasury splits that
 * note through approvals, and proposals for notes it does not hold are refused.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Address,
  decodeFunctionResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  parseAbi,
} from 'viem';
import { describe, expect, it } from 'vitest';
import { safeAbi } from '../core/chain/safe.js';
import { signetProcess } from './support/cli.js';
import {
  expectRefused,
  fundedTreasury,
  rawCurrencyBalance,
  rawRpc,
  syncSettled,
} from './support/treasury-cli.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob', 'carol']);
const dir = mkdtempSync(join(tmpdir(), 'signet-treasury-note-'));
const file = (name: string) => join(dir, name);
/** A supplier outside the wallet, paid part of the note. */
const supplier = getAddress('0x3333333333333333333333333333333333c0ffee');
const maturity = new Date(Date.now() + 2 * 365 * 86_400_000).toISOString().slice(0, 10);

/** The DigitalNote reads this test makes, straight from the contract's ERC-3525/721 interface. */
const noteReads = parseAbi([
  'function balanceOf(address owner) view returns (uint256)',
  'function balanceOf(uint256 tokenId) view returns (uint256)',
  'function ownerOf(uint256 tokenId) view returns (address)',
  'function tokenOfOwnerByIndex(address owner, uint256 index) view returns (uint256)',
]);

async function noteRead<T>(functionName: string, args: readonly unknown[]): Promise<T> {
  const call = { abi: noteReads, functionName, args } as never;
  const data = encodeFunctionData(call);
  const result = await rawRpc<Hex>(w.ledger.url, 'eth_call', [
    { to: w.ledger.profile.contracts.notes, data },
    'latest',
  ]);
  return decodeFunctionResult({ ...(call as object), data: result } as never) as T;
}

/** How many notes `owner` holds, and their ids. */
async function notesOf(owner: Address): Promise<bigint[]> {
  const count = await noteRead<bigint>('balanceOf', [owner]);
  const ids: bigint[] = [];
  for (let i = 0n; i < count; i++)
    ids.push(await noteRead<bigint>('tokenOfOwnerByIndex', [owner, i]));
  return ids;
}

async function safeNonce(safe: Address): Promise<bigint> {
  const data = encodeFunctionData({ abi: safeAbi, functionName: 'nonce' });
  const result = await rawRpc<Hex>(w.ledger.url, 'eth_call', [{ to: safe, data }, 'latest']);
  return decodeFunctionResult({ abi: safeAbi, functionName: 'nonce', data: result });
}

const framesIn = (folder: string) =>
  readdirSync(folder)
    .filter((name) => name.endsWith('.png'))
    .sort()
    .map((name) => join(folder, name));

let treasury: Address;
let noteId: bigint;

describe('signet treasury propose-note: notes issued and split by a 2-of-3 treasury', () => {
  it('A proposes an issue online; B approves offline from QR frames; C by file; executed once', async () => {
    treasury = await fundedTreasury(w, 'Notes', ['alice', 'bob', 'carol'], 2, '50.00');
    await w.json(['ledger', 'fund', '--account', supplier, '--amount', '0.01']);

    // The treasury issues a note payable by itself, held by itself until it pays suppliers with it.
    const proposed = await w.json([
      ...['treasury', 'propose-note', 'Notes', 'issue', '--payee', treasury],
      ...['--face-value', '100.00', '--maturity', maturity, '--sign-with', w.keys.alice!.uri],
      ...['--out', file('issue-a.signet-approval'), '--pin-file', w.pin],
    ]);
    const { contracts } = w.ledger.profile;
    expect(proposed.review.call).toEqual({
      kind: 'note',
      op: 'issue',
      notes: contracts.notes,
      verified: true,
      tokenId: null,
      to: treasury,
      faceValue: '10000',
      value: null,
      price: null,
      maturity,
      currency: contracts.currency,
      deadline: null,
      allowance: { token: contracts.currency, spender: contracts.notes, amount: 'unlimited' },
    });
    expect(proposed.review.description).toBe(
      `Issue a note of 100.00 to ${treasury}, maturing ${maturity}`,
    );
    expect(proposed.review.approvals).toEqual([w.keys.alice!.address]);
    const text = await w.cli(['treasury', 'review', file('issue-a.signet-approval')]);
    expect(text.stdout).toContain(
      `note: issue a note of face value 100.00 to ${treasury}, maturing ${maturity}, payable by the treasury in ${contracts.currency} (currency)`,
    );
    await w.cli([
      ...['treasury', 'qr', file('issue-a.signet-approval'), '--out', file('qr-issue')],
      ...['--fragment-size', '100'],
    ]);

    // B: its own process, an empty data folder, no profile: frames in, bundle out.
    const offlineHome = mkdtempSync(join(tmpdir(), 'signet-offline-'));
    // No network at all: a network namespace of its own (signetProcess noNetwork).
    const offline = { env: { ...w.env, SIGNET_HOME: offlineHome }, noNetwork: true };
    const frames = framesIn(file('qr-issue')).reverse();
    const scanned = signetProcess(
      ['treasury', 'scan', ...frames, '--out', file('issue-b-in.signet-approval'), '--json'],
      offline,
    );
    expect(scanned.stderr).toBe('');
    const reviewed = signetProcess(
      ['treasury', 'review', file('issue-b-in.signet-approval')],
      offline,
    );
    expect(reviewed.stderr).toBe('');
    expect(reviewed.stdout).toContain(
      `note: issue a note of face value 100.00 to ${treasury}, maturing ${maturity}, payable by the treasury in ${contracts.currency}`,
    );
    expect(reviewed.stdout).toContain(
      `note contract ${contracts.notes} (NOT VERIFIED: no ledger selected; read by the DigitalNote ABI)`,
    );
    expect(reviewed.stdout).toContain(`allows ${contracts.notes} to pull unlimited`);
    const approvedB = signetProcess(
      [
        ...['treasury', 'approve', file('issue-b-in.signet-approval'), '--key', w.keys.bob!.uri],
        ...['--out', file('issue-ab.signet-approval'), '--offline', '--pin-stdin', '--json'],
      ],
      { ...offline, stdin: `${PIN}\n` },
    );
    expect(approvedB.stderr).toBe('');
    expect(approvedB.json.review.call).toMatchObject({
      kind: 'note',
      op: 'issue',
      verified: false,
      to: treasury,
      faceValue: '10000',
    });
    expect(approvedB.json.review.safeTxHash).toBe(proposed.review.safeTxHash);
    expect(existsSync(join(offlineHome, 'profile.json'))).toBe(false);

    // C approves the proposer's file; A merges both in and executes.
    await w.json([
      ...['treasury', 'approve', file('issue-a.signet-approval'), '--key', w.keys.carol!.uri],
      ...['--out', file('issue-c.signet-approval'), '--pin-file', w.pin],
    ]);
    const merged = await w.json([
      ...['treasury', 'merge', file('issue-c.signet-approval'), file('issue-ab.signet-approval')],
      ...['--out', file('issue-abc.signet-approval')],
    ]);
    expect(merged.review.approvals).toHaveLength(3);
    expect(await notesOf(treasury)).toEqual([]);
    await w.json([
      ...['treasury', 'execute', file('issue-abc.signet-approval')],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    await syncSettled(w);
    await syncSettled(w);

    const held = await notesOf(treasury);
    expect(held).toHaveLength(1);
    noteId = held[0]!;
    expect(await noteRead<Address>('ownerOf', [noteId])).toBe(treasury);
    expect(await noteRead<bigint>('balanceOf', [noteId])).toBe(10_000n);
    expect(await safeNonce(treasury)).toBe(1n);
    // Executed once: a second execution is refused and nothing more is issued.
    expectRefused(
      await w.cli([
        ...['treasury', 'execute', file('issue-abc.signet-approval')],
        ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
      ]),
      /nonce 0 was executed or replaced already/,
    );
    expect(await notesOf(treasury)).toEqual([noteId]);
  });

  it('the treasury splits its note to a supplier through approvals, the offline review decoding it', async () => {
    const proposed = await w.json([
      ...['treasury', 'propose-note', 'Notes', 'split', '--note', noteId.toString()],
      ...['--to', supplier, '--amount', '25.00', '--sign-with', w.keys.bob!.uri],
      ...['--out', file('split-b.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(proposed.review.call).toMatchObject({
      kind: 'note',
      op: 'split',
      tokenId: noteId.toString(),
      to: supplier,
      value: '2500',
      allowance: null,
      verified: true,
    });
    expect(proposed.review.nonce).toBe('1');

    const offlineHome = mkdtempSync(join(tmpdir(), 'signet-offline-'));
    const approvedC = signetProcess(
      [
        ...['treasury', 'approve', file('split-b.signet-approval'), '--key', w.keys.carol!.uri],
        ...['--out', file('split-bc.signet-approval'), '--offline', '--pin-stdin'],
      ],
      { env: { ...w.env, SIGNET_HOME: offlineHome }, stdin: `${PIN}\n` },
    );
    expect(approvedC.stderr).toBe('');
    expect(approvedC.stdout).toContain(`note: split 25.00 of note ${noteId} to ${supplier}`);
    expect(approvedC.stdout).toContain('NOT VERIFIED');

    await w.json([
      ...['treasury', 'execute', file('split-bc.signet-approval')],
      ...['--from', w.keys.alice!.uri, '--pin-file', w.pin],
    ]);
    await syncSettled(w);
    await syncSettled(w);
    expect(await noteRead<bigint>('balanceOf', [noteId])).toBe(7_500n);
    const supplied = await notesOf(supplier);
    expect(supplied).toHaveLength(1);
    expect(await noteRead<bigint>('balanceOf', [supplied[0]!])).toBe(2_500n);
    expect(await safeNonce(treasury)).toBe(2n);
  });

  it('refuses, in one line and writing nothing, a note the treasury does not hold', async () => {
    const [suppliersNote] = await notesOf(supplier);
    const out = file('refused.signet-approval');
    expectRefused(
      await w.cli([
        ...['treasury', 'propose-note', 'Notes', 'endorse', '--note', suppliersNote!.toString()],
        ...['--to', w.keys.alice!.address, '--out', out],
      ]),
      new RegExp(
        `^signet: ${treasury} holds no note ${suppliersNote}: ${supplier} holds it at block \\d+$`,
      ),
    );
    expectRefused(
      await w.cli([
        ...['treasury', 'propose-note', 'Notes', 'redeem', '--note', '999999', '--out', out],
      ]),
      /^signet: there is no note 999999 on the ledger$/,
    );
    expectRefused(
      await w.cli([
        ...['treasury', 'propose-note', 'Notes', 'split', '--note', noteId.toString()],
        ...['--to', supplier, '--amount', '75.00', '--out', out],
      ]),
      /a split must leave value on note/,
    );
    expectRefused(
      await w.cli([
        ...['treasury', 'propose-note', 'Notes', 'redeem', '--note', noteId.toString()],
        ...['--maturity', maturity, '--out', out],
      ]),
      /^signet: --maturity does not apply to redeem$/,
    );
    expect(existsSync(out)).toBe(false);
    expect(await safeNonce(treasury)).toBe(2n);
  });

  it("finances a holder's note as the bank: the offer file in, the price paid, the note the treasury's", async () => {
    const alice = w.keys.alice!;
    await w.json([
      ...['note', 'issue', '--from', alice.uri, '--to', alice.address, '--amount', '30.00'],
      ...['--maturity', maturity, '--pin-file', w.pin],
    ]);
    await syncSettled(w);
    const [offered] = await notesOf(alice.address as Address);
    await w.json([
      ...['note', 'finance', '--from', alice.uri, '--note', offered!.toString()],
      ...['--bank', treasury, '--price', '29.50', '--out', file('offer.json'), '--pin-file', w.pin],
    ]);
    const proposed = await w.json([
      ...['treasury', 'propose-note', 'Notes', 'finance-accept', '--offer', file('offer.json')],
      ...['--sign-with', w.keys.bob!.uri, '--out', file('finance-b.signet-approval')],
      ...['--pin-file', w.pin],
    ]);
    const { contracts } = w.ledger.profile;
    expect(proposed.review.call).toMatchObject({
      kind: 'note',
      op: 'finance-accept',
      tokenId: offered!.toString(),
      to: alice.address,
      value: '3000',
      price: '2950',
      currency: contracts.currency,
      allowance: { spender: contracts.notes, amount: 'unlimited' },
    });
    await w.json([
      ...['treasury', 'approve', file('finance-b.signet-approval'), '--key', w.keys.carol!.uri],
      ...['--out', file('finance-bc.signet-approval'), '--pin-file', w.pin],
    ]);
    const [aliceBefore, treasuryBefore] = [
      await rawCurrencyBalance(w, alice.address as Address),
      await rawCurrencyBalance(w, treasury),
    ];
    await w.json([
      ...['treasury', 'execute', file('finance-bc.signet-approval')],
      ...['--from', alice.uri, '--pin-file', w.pin],
    ]);
    await syncSettled(w);
    await syncSettled(w);
    expect(await noteRead<Address>('ownerOf', [offered!])).toBe(treasury);
    expect(await rawCurrencyBalance(w, alice.address as Address)).toBe(aliceBefore + 2_950n);
    expect(await rawCurrencyBalance(w, treasury)).toBe(treasuryBefore - 2_950n);
    expect(await safeNonce(treasury)).toBe(3n);
  });

  it('offline: a note the last sync saw the treasury hold is proposed from the store; an unknown one is refused', async () => {
    const out = file('offline.signet-approval');
    const unknown = (noteId + 1_000n).toString();
    expectRefused(
      await w.cli([
        ...['treasury', 'propose-note', 'Notes', 'endorse', '--note', unknown],
        ...['--to', supplier, '--offline', '--out', out],
      ]),
      new RegExp(`^signet: note ${unknown} is not known offline .*: propose it online`),
    );
    expect(existsSync(out)).toBe(false);
    // Sync follows the treasury's notes like an account's: the store knows noteId.
    const endorsed = await w.json([
      ...['treasury', 'propose-note', 'Notes', 'endorse', '--note', noteId.toString()],
      ...['--to', supplier, '--offline', '--out', out],
    ]);
    expect(endorsed.review).toMatchObject({
      nonce: '3',
      call: { kind: 'note', op: 'endorse', tokenId: noteId.toString(), to: supplier },
      approvals: [],
    });
    const issued = file('offline-issue.signet-approval');
    const proposed = await w.json([
      ...['treasury', 'propose-note', 'Notes', 'issue', '--to', supplier, '--amount', '5.00'],
      ...['--maturity', maturity, '--offline', '--out', issued],
    ]);
    expect(proposed.review).toMatchObject({
      nonce: '4',
      call: { kind: 'note', op: 'issue', to: supplier, faceValue: '500', verified: true },
      approvals: [],
    });
    expect(existsSync(issued)).toBe(true);
  });
});
