/**
 * Issue 11 §1–2: owners and threshold changed through the same approvals as a
 * payment, on the dev ledger with SoftHSM2 keys and the real `signet` command.
 * A 2-of-3 treasury becomes 2-of-4 (an owner added) and then 3-of-4; each time A
 * proposes and signs online, another owner approves in a separate bin/signet.js
 * process with an empty data folder and no profile, from the file alone, and A
 * executes. The chain is read over raw JSON-RPC (getOwners, getThreshold). The
 * stored treasury follows the chain when `treasury show` reads it; a bundle made
 * under the old owners is refused at merge and at execution. And each refusal
 * of a change Safe would not make, with nothing written.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { signetProcess } from './support/cli.js';
import {
  expectRefused,
  fundedTreasury,
  rawCurrencyBalance,
  rawRpc,
  rawSafe,
  syncSettled,
} from './support/treasury-cli.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob', 'carol', 'dave']);
const dir = mkdtempSync(join(tmpdir(), 'signet-treasury-owners-'));
const file = (name: string) => join(dir, name);
const receiver = getAddress('0x3333333333333333333333333333333333c0ffee');
const sorted = (list: readonly string[]) =>
  [...list].map((a) => getAddress(a)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));

/**
 * An owner's approval in its own process, with an empty data folder and no
 * profile: the file is all it has. Then one raw read, which retries past the
 * keep-alive connection the node closed while spawnSync held this process (see
 * rawRpc), so that the next in-process command finds a live one.
 */
async function approveOffline(owner: string, input: string, output: string) {
  const home = mkdtempSync(join(tmpdir(), 'signet-offline-'));
  const run = signetProcess(
    [
      ...['treasury', 'approve', input, '--key', w.keys[owner]!.uri],
      ...['--out', output, '--offline', '--pin-stdin', '--json'],
    ],
    { env: { ...w.env, SIGNET_HOME: home }, stdin: `${PIN}\n`, noNetwork: true },
  );
  expect(run.stderr).toBe('');
  expect(existsSync(join(home, 'profile.json'))).toBe(false);
  await rawRpc(w.ledger.url, 'eth_blockNumber', []);
  return run.json;
}

let treasury: Address;

describe('signet treasury propose-owners: owner and threshold changes through approvals', () => {
  it('refuses, with one line and no file, a change Safe would not make', {
    timeout: 120_000,
  }, async () => {
    treasury = await fundedTreasury(w, 'Board', ['alice', 'bob', 'carol'], 2, '20.00');
    const { alice, bob, dave } = w.keys;
    const out = file('refused.signet-approval');
    const propose = (...args: string[]) =>
      w.cli(['treasury', 'propose-owners', 'Board', ...args, '--out', out]);
    expectRefused(
      await propose('--remove', dave!.address),
      new RegExp(`^signet: owner ${dave!.address} is not an owner of ${treasury}$`),
    );
    expectRefused(
      await propose('--add', bob!.address),
      new RegExp(`^signet: ${bob!.address} is already an owner of ${treasury}$`),
    );
    expectRefused(
      await propose('--swap', alice!.address, bob!.address),
      new RegExp(`^signet: ${bob!.address} is already an owner of ${treasury}$`),
    );
    expectRefused(
      await propose('--threshold', '0'),
      /^signet: threshold must be a whole number from 1 to 3 \(the owners\), got 0$/,
    );
    expectRefused(
      await propose('--threshold', '4'),
      /^signet: threshold must be a whole number from 1 to 3 \(the owners\), got 4$/,
    );
    expectRefused(
      await propose('--add', dave!.address, '--threshold', '5'),
      /^signet: threshold must be a whole number from 1 to 4 \(the owners\), got 5$/,
    );
    expectRefused(
      await propose('--threshold', '2'),
      /^signet: the threshold is 2 already: nothing to change$/,
    );
    expectRefused(
      await propose('--add', dave!.address, '--remove', bob!.address),
      /^signet: give one change: --add ADDRESS, --remove ADDRESS, --swap OLD NEW, or --threshold N alone$/,
    );
    expect(existsSync(out)).toBe(false);
    // Nothing proposed: the treasury's first proposal still takes nonce 0.
    const chain = await rawSafe(w, treasury);
    expect(chain.nonce).toBe(0n);
    expect(chain.threshold).toBe(2n);
  });

  it('2-of-3 becomes 2-of-4: A proposes the owner added, B approves offline from the file, A executes', {
    timeout: 120_000,
  }, async () => {
    const { alice, bob, carol, dave } = w.keys;
    const before = await rawSafe(w, treasury);
    // Safe's getOwners() lists the owners in setup order.
    expect(before.owners).toEqual([alice!.address, bob!.address, carol!.address]);

    const proposed = await w.json([
      ...['treasury', 'propose-owners', 'Board', '--add', dave!.address],
      ...['--sign-with', alice!.uri, '--out', file('add-a.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(proposed.review).toMatchObject({
      nonce: '0',
      threshold: 2,
      description: `Add owner ${dave!.address} with threshold 2 of 4`,
      call: {
        kind: 'owners',
        to: treasury,
        change: 'add',
        owner: dave!.address,
        newOwner: null,
        ownersBefore: sorted([alice!.address, bob!.address, carol!.address]),
        ownersAfter: sorted([alice!.address, bob!.address, carol!.address, dave!.address]),
        thresholdBefore: 2,
        thresholdAfter: 2,
        words: `add owner ${dave!.address} with threshold 2 of 4`,
      },
      approvals: [alice!.address],
    });
    // Every address named: the owners after include the new one.
    const named = proposed.review.names.map((n: { address: string }) => n.address);
    expect(named).toEqual(expect.arrayContaining([treasury, dave!.address, bob!.address]));
    const human = await w.cli(['treasury', 'review', file('add-a.signet-approval')]);
    expect(human.stdout).toContain(
      `owner change of the treasury itself: add owner ${dave!.address} (dave) with threshold 2 of 4`,
    );
    expect(human.stdout).toMatch(/before: 2 of 3: .*\n\s+after: 2 of 4: /);

    // B: nothing but the file. It decodes the change the same way.
    const approved = await approveOffline(
      'bob',
      file('add-a.signet-approval'),
      file('add-ab.signet-approval'),
    );
    expect(approved.review.safeTxHash).toBe(proposed.review.safeTxHash);
    expect(approved.review.call).toEqual(proposed.review.call);
    expect(approved.approvedBy).toBe(bob!.address);

    await w.json([
      ...['treasury', 'execute', file('add-ab.signet-approval')],
      ...['--from', alice!.uri, '--pin-file', w.pin],
    ]);
    await syncSettled(w);
    const after = await rawSafe(w, treasury);
    // addOwnerWithThreshold puts the new owner at the head of the linked list.
    expect(after.owners).toEqual([dave!.address, alice!.address, bob!.address, carol!.address]);
    expect(after.threshold).toBe(2n);
    expect(after.nonce).toBe(1n);

    // The sync that saw the execution brought the store up to date, in getOwners() order.
    const synced = await w.json(['treasury', 'show', 'Board', '--offline']);
    expect(synced.treasury).toMatchObject({ threshold: 2, owners: after.owners });
    expect(before.owners).not.toEqual(after.owners);
    // So does reading the chain.
    const shown = await w.json(['treasury', 'show', 'Board']);
    expect(shown.treasury).toMatchObject({ threshold: 2, owners: after.owners });
    expect(shown.chain).toMatchObject({ threshold: 2, owners: after.owners, nonce: '1' });
    expect((await w.json(['treasury', 'list']))[0]).toMatchObject({ owners: after.owners });
  });

  it('then threshold 3 of 4: the bundle carries the new owners; C approves offline; executed once', {
    timeout: 120_000,
  }, async () => {
    const { alice, dave } = w.keys;
    const proposed = await w.json([
      ...['treasury', 'propose-owners', 'Board', '--threshold', '3'],
      ...['--sign-with', alice!.uri, '--out', file('t3-a.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(proposed.review).toMatchObject({
      nonce: '1',
      threshold: 2,
      owners: sorted((await rawSafe(w, treasury)).owners),
      call: {
        kind: 'owners',
        change: 'threshold',
        owner: null,
        thresholdBefore: 2,
        thresholdAfter: 3,
        words: 'threshold 3 of 4',
      },
    });
    expect(proposed.review.owners).toContain(dave!.address);
    const human = await w.cli(['treasury', 'review', file('t3-a.signet-approval')]);
    expect(human.stdout).toContain('owner change of the treasury itself: threshold 3 of 4');

    await approveOffline('carol', file('t3-a.signet-approval'), file('t3-ac.signet-approval'));
    // Made while the chain still says 2 of 4, queued after the change: the next test's stale bundle.
    const stale = await w.json([
      ...['treasury', 'propose', 'Board', '--to', receiver, '--amount', '1.00', '--offline'],
      ...['--sign-with', alice!.uri, '--out', file('old-a.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(stale.review).toMatchObject({ nonce: '2', threshold: 2 });
    await w.json([
      ...['treasury', 'execute', file('t3-ac.signet-approval')],
      ...['--from', alice!.uri, '--pin-file', w.pin],
    ]);
    await syncSettled(w);
    const chain = await rawSafe(w, treasury);
    expect(chain.threshold).toBe(3n);
    expect(chain.nonce).toBe(2n);
    expect(chain.owners).toHaveLength(4);
    // A second execution of the same bundle is refused: it lists the owners of before.
    expectRefused(
      await w.cli([
        ...['treasury', 'execute', file('t3-ac.signet-approval')],
        ...['--from', alice!.uri, '--pin-file', w.pin],
      ]),
      /^signet: the bundle lists owners .* and threshold 2; treasury 0x[0-9a-fA-F]{40} has .* and threshold 3$/,
    );
    expect((await rawSafe(w, treasury)).nonce).toBe(2n);
  });

  it('a bundle made under the old threshold is refused at merge and at execution', {
    timeout: 120_000,
  }, async () => {
    const { alice, bob } = w.keys;
    // old-a was proposed under 2 of 4 before the threshold change executed (the test before).
    await w.json([
      ...['treasury', 'approve', file('old-a.signet-approval'), '--key', bob!.uri, '--offline'],
      ...['--out', file('old-b.signet-approval'), '--pin-file', w.pin],
    ]);
    const refusal =
      /^signet: the bundle lists owners .* and threshold 2; treasury 0x[0-9a-fA-F]{40} has .* and threshold 3$/;
    const out = file('old-merged.signet-approval');
    expectRefused(
      await w.cli([
        ...['treasury', 'merge', file('old-a.signet-approval'), file('old-b.signet-approval')],
        ...['--out', out],
      ]),
      refusal,
    );
    expect(existsSync(out)).toBe(false);
    expectRefused(
      await w.cli([
        ...['treasury', 'execute', file('old-b.signet-approval')],
        ...['--from', alice!.uri, '--pin-file', w.pin],
      ]),
      refusal,
    );
    // Approving it online is refused too; offline the file alone cannot tell.
    expectRefused(
      await w.cli([
        ...['treasury', 'approve', file('old-a.signet-approval'), '--key', bob!.uri],
        ...['--out', file('old-b2.signet-approval'), '--pin-file', w.pin],
      ]),
      refusal,
    );
    expect(await rawCurrencyBalance(w, receiver)).toBe(0n);
    expect((await rawSafe(w, treasury)).nonce).toBe(2n);
    // The next read of the chain brings the store to 3 of 4.
    expect((await w.json(['treasury', 'show', 'Board'])).treasury.threshold).toBe(3);
  });

  it('offline, prevOwner comes from the stored getOwners() order: a remove executes', {
    timeout: 120_000,
  }, async () => {
    const { alice, bob, carol, dave } = w.keys;
    const listed = (await rawSafe(w, treasury)).owners;
    expect(listed).toEqual([dave!.address, alice!.address, bob!.address, carol!.address]);
    // Bob sits after alice in the linked list: removeOwner(alice, bob, 2), made with no network.
    const proposed = await w.json([
      ...['treasury', 'propose-owners', 'Board', '--remove', bob!.address, '--threshold', '2'],
      ...['--offline', '--sign-with', alice!.uri],
      ...['--out', file('rm-a.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(proposed.review).toMatchObject({
      nonce: '3',
      call: {
        kind: 'owners',
        change: 'remove',
        owner: bob!.address,
        words: `remove owner ${bob!.address}, threshold 2 of 3`,
      },
    });
    // Nonce 2 (the refused payment) is cancelled first, then the remove at 3.
    const cancel = await w.json([
      ...['treasury', 'cancel', 'Board', '--nonce', '2', '--sign-with', alice!.uri],
      ...['--out', file('c-a.signet-approval'), '--pin-file', w.pin],
    ]);
    expect(cancel.review.threshold).toBe(3);
    for (const [input, prefix] of [
      [file('c-a.signet-approval'), 'c'],
      [file('rm-a.signet-approval'), 'rm'],
    ] as const) {
      await approveOffline('carol', input, file(`${prefix}-ac.signet-approval`));
      await approveOffline(
        'dave',
        file(`${prefix}-ac.signet-approval`),
        file(`${prefix}-acd.signet-approval`),
      );
      await w.json([
        ...['treasury', 'execute', file(`${prefix}-acd.signet-approval`)],
        ...['--from', alice!.uri, '--pin-file', w.pin],
      ]);
      await syncSettled(w);
    }
    const chain = await rawSafe(w, treasury);
    expect(chain.owners).toEqual([dave!.address, alice!.address, carol!.address]);
    expect(chain.threshold).toBe(2n);
    expect(chain.nonce).toBe(4n);
  });
});
