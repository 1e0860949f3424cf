/**
 * Sign offline, sync later, with a SoftHSM2 key and the dev ledger; and every
 * offline check before signing as one line that changes nothing.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncSettled } from './support/sync-settled.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob', 'stranger']);
const json = w.json;
const balanceOf = async (name: string) =>
  (await json(['balance', '--account', w.keys[name]!.address]))[0];
const closedPort = () => ({ ...w.ledger.profile, rpc: ['http://127.0.0.1:1'] });

function expectRefused(run: { code: number; stderr: string }, message: string | RegExp) {
  expect(run.code).toBe(1);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(message);
}

describe('sign offline, sync later', () => {
  it('funds and syncs a token-held account', async () => {
    await json(['ledger', 'fund', '--account', w.keys.alice!.address, '--amount', '100.00']);
    await json(['ledger', 'fund', '--account', w.keys.bob!.address, '--amount', '1.00']);
    const report = await json(['sync']);
    expect(report.events).toBe(2);
    expect(await balanceOf('alice')).toMatchObject({
      balance: '100.00',
      available: '100.00',
      registered: true,
      frozen: false,
    });
  });

  it('signs with no network at all (the profile points at a closed port), then settles on sync', async () => {
    w.useProfile(closedPort());
    const offline = await json([
      'send',
      '--from',
      w.keys.alice!.uri,
      '--to',
      w.keys.bob!.address,
      '--amount',
      '12.34',
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    expect(offline.sync).toBeNull();
    expect(offline.transactions[0]).toMatchObject({
      status: 'signed',
      kind: 'transfer',
      nonce: 0,
      amount: '12.34',
    });
    // Without --offline the node is tried, found down, and the payment stays queued.
    const queued = await json([
      'send',
      '--from',
      w.keys.alice!.uri,
      '--to',
      w.keys.bob!.address,
      '--amount',
      '0.66',
      '--pin-file',
      w.pin,
    ]);
    expect(queued.transactions[0]).toMatchObject({ status: 'signed', nonce: 1 });
    expect(queued.sync.error).toMatch(/^no ledger node answered: http:\/\/127\.0\.0\.1:1/);
    expect(await balanceOf('alice')).toMatchObject({
      balance: '100.00',
      pending: '13.00',
      available: '87.00',
    });

    w.useProfile(w.ledger.profile);
    const report = await syncSettled(w);
    expect(report).toMatchObject({ sent: 2, confirmed: 2, failed: 0 });
    expect((await json(['outbox'])).map((t: { status: string }) => t.status)).toEqual([
      'confirmed',
      'confirmed',
    ]);
    expect(await balanceOf('alice')).toMatchObject({ balance: '87.00', pending: '0.00' });
    expect(await balanceOf('bob')).toMatchObject({ balance: '14.00' });
    const history = await json(['history', '--account', w.keys.bob!.address]);
    expect(history.map((e: { amount: string }) => e.amount)).toEqual(['0.66', '12.34', '1.00']);
    // On chain, independently of Signet's own index.
    const onChain = await w.ledger.publicClient.readContract({
      address: w.ledger.profile.contracts.currency,
      abi: [
        {
          type: 'function',
          name: 'balanceOf',
          stateMutability: 'view',
          inputs: [{ type: 'address' }],
          outputs: [{ type: 'uint256' }],
        },
      ],
      functionName: 'balanceOf',
      args: [w.keys.bob!.address],
    });
    expect(onChain).toBe(1400n);
  });

  it('a second sync sends nothing again', async () => {
    const report = await json(['sync']);
    expect(report).toMatchObject({ sent: 0, events: 0 });
    const nonce = await w.ledger.publicClient.getTransactionCount({
      address: w.keys.alice!.address,
    });
    expect(nonce).toBe(2);
  });
});

describe('offline checks before the token signs: one line, nothing queued', () => {
  const send = (from: string, to: string, amount: string) =>
    w.cli([
      'send',
      '--from',
      w.keys[from]!.uri,
      '--to',
      to,
      '--amount',
      amount,
      '--offline',
      '--pin-file',
      w.pin,
    ]);
  const outboxSize = async () => (await json(['outbox'])).length;

  it('refuses more than 2 decimals, a wrong checksum, a non-address', async () => {
    const before = await outboxSize();
    expectRefused(
      await send('alice', w.keys.bob!.address, '1.234'),
      /^signet: "1\.234" has more than 2 decimals$/,
    );
    const bob = w.keys.bob!.address;
    const typo =
      bob.slice(0, 2) +
      (bob[2] === bob[2]!.toUpperCase() ? bob[2]!.toLowerCase() : bob[2]!.toUpperCase()) +
      bob.slice(3);
    if (/[a-fA-F]/.test(bob[2]!))
      expectRefused(
        await send('alice', typo, '1.00'),
        /has a wrong checksum \(mistyped\?\); expected 0x/,
      );
    expectRefused(await send('alice', '0x1234', '1.00'), /is not a 0x-prefixed 20-byte address/);
    expect(await outboxSize()).toBe(before);
  });

  it('refuses more than the balance less what the outbox already owes', async () => {
    await send('alice', w.keys.bob!.address, '80.00');
    const before = await outboxSize();
    const run = await send('alice', w.keys.bob!.address, '7.01');
    expectRefused(
      run,
      /^signet: not enough funds: 7\.00 available \(balance 87\.00, 80\.00 pending\), 7\.01 needed$/,
    );
    expect(await outboxSize()).toBe(before);
  });

  it('refuses an account never synced, an unregistered one and a frozen one', async () => {
    const token = w.keys.alice!.uri.replace(/;object=[^?]*/, '');
    const late = await json([
      'key',
      'generate',
      '--token',
      token,
      '--curve',
      'secp256k1',
      '--label',
      'late',
      '--pin-file',
      w.pin,
    ]);
    await json(['account', 'add', '--key', late.uri, '--pin-file', w.pin]);
    const fromLate = await w.cli([
      'send',
      '--from',
      late.uri,
      '--to',
      w.keys.bob!.address,
      '--amount',
      '1.00',
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    expectRefused(fromLate, /has never been synced; run `signet sync` once while online$/);
    expectRefused(
      await send('stranger', w.keys.bob!.address, '1.00'),
      /is not registered with an operator bank$/,
    );
    const operator = w.ledger.wallet(w.ledger.profile.devOperatorKey as `0x${string}`);
    const freeze = await operator.writeContract({
      address: w.ledger.profile.contracts.currency,
      abi: [
        {
          type: 'function',
          name: 'freeze',
          stateMutability: 'nonpayable',
          inputs: [{ type: 'address' }],
          outputs: [],
        },
      ],
      functionName: 'freeze',
      args: [w.keys.bob!.address],
    });
    // anvil mines a moment after it answers: the sync must read a head with the freeze.
    await w.ledger.publicClient.waitForTransactionReceipt({ hash: freeze });
    // It also sends the 80.00 queued above; settled, so that no later sync finds it in flight.
    await syncSettled(w);
    expectRefused(
      await send('bob', w.keys.alice!.address, '1.00'),
      /^signet: account 0x[0-9a-fA-F]{40} is frozen by its operator bank$/,
    );
  });

  it('refuses a key that is not a wallet account', async () => {
    const run = await w.cli([
      'send',
      '--from',
      `${w.keys.alice!.uri.split('?')[0]!.replace(/object=[^;]*;id=[^?]*/, 'object=nobody')}`,
      '--to',
      w.keys.bob!.address,
      '--amount',
      '1.00',
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    expectRefused(
      run,
      /^signet: no wallet account uses pkcs11:.*; add it with `signet account add --key URI`$/,
    );
  });
});

describe('a payment the ledger refuses', () => {
  it('ends failed in the outbox with the contract error named, and moves no money', async () => {
    const unregistered = '0x000000000000000000000000000000000000dEaD';
    const { txHash } = (
      await json([
        'send',
        '--from',
        w.keys.alice!.uri,
        '--to',
        unregistered,
        '--amount',
        '1.00',
        '--offline',
        '--pin-file',
        w.pin,
      ])
    ).transactions[0];
    // Mined and reverted: failed by the sync that reads its receipt (Hardhat refuses the
    // broadcast of a reverting transaction though it mines it, so "sent" differs by engine).
    expect(await syncSettled(w)).toMatchObject({ failed: 1 });
    const row = (await json(['outbox'])).find((t: { txHash: string }) => t.txHash === txHash);
    expect(row).toMatchObject({
      status: 'failed',
      error: `transaction reverted: NotRegistered(${unregistered})`,
    });
  });
});

describe('a nonce gap', () => {
  // Bob is frozen by now: pay the operator bank (Hardhat account 1), always registered.
  const OPERATOR = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
  it('fails a refused payment and the ones queued behind it, and the next payment reuses the nonce', async () => {
    const alice = w.keys.alice!.address;
    const setBalance = (wei: bigint) => w.ledger.setBalance(alice, wei);
    await json(['sync']);
    const nonce = await w.ledger.publicClient.getTransactionCount({ address: alice });
    await setBalance(0n); // no gas money: the node refuses the first payment outright
    await w.cli([
      'send',
      '--from',
      w.keys.alice!.uri,
      '--to',
      OPERATOR,
      '--amount',
      '0.10',
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    await w.cli([
      'send',
      '--from',
      w.keys.alice!.uri,
      '--to',
      OPERATOR,
      '--amount',
      '0.20',
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    await json(['sync']);
    const [first, second] = (await json(['outbox'])).slice(-2);
    expect(first).toMatchObject({ status: 'failed', nonce });
    expect(first.error).toMatch(/funds|balance/i);
    expect(second).toMatchObject({
      status: 'failed',
      nonce: nonce + 1,
      error: `waits for nonce ${nonce}, which the ledger refused; sign this payment again`,
    });

    await setBalance(10n ** 19n);
    const again = await json([
      'send',
      '--from',
      w.keys.alice!.uri,
      '--to',
      OPERATOR,
      '--amount',
      '0.10',
      '--pin-file',
      w.pin,
    ]);
    // Its own sync sent it (and confirmed it, unless the node mines a moment later).
    expect(again.transactions[0]).toMatchObject({ nonce });
    expect(['sent', 'confirmed']).toContain(again.transactions[0].status);
    expect(await syncSettled(w)).toMatchObject({ failed: 0 });
    const settled = (await json(['outbox'])).find(
      (t: { txHash: string }) => t.txHash === again.transactions[0].txHash,
    );
    expect(settled).toMatchObject({ nonce, status: 'confirmed' });
  });
});

describe('the audit log', () => {
  it('holds every signature with its key URI and tx hash, never the PIN, and its chain verifies', async () => {
    const audit = await json(['audit', '--limit', '1000']);
    expect(audit.chain.intact).toBe(true);
    const signed = (await json(['outbox'])).map((t: { txHash: string }) => t.txHash);
    const logged = audit.entries.filter((e: { action: string }) => e.action === 'sign-transaction');
    expect(logged.map((e: { txHash: string }) => e.txHash).sort()).toEqual([...signed].sort());
    expect(logged.every((e: { keyUri: string }) => e.keyUri.startsWith('pkcs11:'))).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(PIN);
    const csv = join(w.home, 'audit.csv');
    await json(['audit', '--csv', csv]);
    expect(readFileSync(csv, 'utf8').split('\r\n')[0]).toMatch(/^seq,at,action/);
  });
});

describe('short key URIs', () => {
  it('finds the account from the attributes people type, offline', async () => {
    const short = `pkcs11:token=Wallet;object=alice`;
    const run = await w.cli([
      'send',
      '--from',
      short,
      '--to',
      '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      '--amount',
      '0.01',
      '--offline',
      '--pin-file',
      w.pin,
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.json.transactions[0].from).toBe(w.keys.alice!.address);
    const ambiguous = await w.cli([
      'send',
      '--from',
      'pkcs11:token=Wallet',
      '--to',
      w.keys.bob!.address,
      '--amount',
      '0.01',
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr.trim()).toMatch(
      /^signet: \d+ wallet accounts match pkcs11:token=Wallet: .*; add object= or id=$/,
    );
  });
});
