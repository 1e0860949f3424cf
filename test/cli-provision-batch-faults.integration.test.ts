/**
 * Issue 12 §2: a provisioning batch interrupted by the world rather than by a
 * kill: the node going down midway, a node that hangs, one node of three down,
 * a card pulled out while it makes its key, and rows naming SoftHSM2 slots
 * (`slot:N`) rather than serials. Real `signet provision batch` processes,
 * SoftHSM2 tokens and the dev ledger; FAKE only what no real part does on
 * demand: a node proxy that stops or hangs (test/fakes/rpc-fake-nodes.ts), a
 * card reader whose card is pulled (test/fakes/fake-smartcard.ts). Each
 * interruption ends with a resume doing every registration and funding
 * exactly once, checked over raw JSON-RPC.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address } from 'viem';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFakeSmartcard } from './fakes/fake-smartcard.js';
import {
  type FakeNode,
  fakeDownNodeUrl,
  startFakeHangingNode,
  startFakeProxy,
} from './fakes/rpc-fake-nodes.js';
import { pinFile } from './support/cli.js';
import {
  appointOperator,
  filesUnder,
  journal,
  outboxKinds,
  outboxRows,
  pinSightings,
  provisionBatch,
  type Run,
  rawCall,
  registrationsOf,
  SO_PIN,
  softhsmToken,
  softhsmTokenWithSlot,
  tokenLabel,
  transfers,
} from './support/provision-batch.js';
import { softhsmModule } from './support/softhsm.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['operator']);
const dir = mkdtempSync(join(tmpdir(), 'signet-provision-faults-'));
const soPinFile = pinFile(SO_PIN);
const operatorPin = pinFile(PIN);

/** Every run's output, for the PIN grep at the end. */
const runs: Run[] = [];
async function provision(
  args: string[],
  options?: Parameters<typeof provisionBatch>[2],
): Promise<Run> {
  const run = await provisionBatch(w, args, options);
  runs.push(run);
  return run;
}

const fakes: FakeNode[] = [];
async function fake(node: Promise<FakeNode>): Promise<FakeNode> {
  const started = await node;
  fakes.push(started);
  return started;
}

beforeAll(async () => {
  await appointOperator(w, w.keys.operator!.address);
});
afterEach(async () => {
  w.useProfile(w.ledger.profile);
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

/** A batch's CSV in its own file, and the command's arguments for it. */
function batch(name: string, rows: string[], extra: string[] = []): string[] {
  const csv = join(dir, `${name}.csv`);
  writeFileSync(csv, `customer,name,token,amount,language\n${rows.join('\n')}\n`);
  return [
    ...['--csv', csv, '--operator', w.keys.operator!.uri, '--mailers', join(dir, name)],
    ...['--module', softhsmModule, '--so-pin-file', soPinFile, '--pin-file', operatorPin],
    ...['--wait-seconds', '1', '--json', ...extra],
  ];
}

/** The same run for a person: errors on stderr in words, not JSON on stdout. */
const withoutJson = (args: string[]) => args.filter((a) => a !== '--json');

/** Every customer of `refs` registered once (by anyone) and paid `minor` once by the operator. */
async function onChainOnce(refs: Map<string, bigint>): Promise<void> {
  const operator = w.keys.operator!.address;
  const rows = journal(w);
  for (const [ref, minor] of refs) {
    const address = rows.find((r) => r.customer_ref === ref)?.address as Address;
    expect(address, ref).toMatch(/^0x/);
    expect(await registrationsOf(w, address), ref).toHaveLength(1);
    expect(await rawCall(w, 'isRegistered', address), ref).toBe(1n);
    expect(await transfers(w, operator, address), ref).toHaveLength(minor > 0n ? 1 : 0);
    expect(await rawCall(w, 'balanceOf', address), ref).toBe(minor);
  }
}

/** The PIN in a customer's mailer logs in to their token (pkcs11-tool, by label). */
function mailerOpensToken(mailers: string, ref: string, module = softhsmModule, env = w.env) {
  const pin = /PIN: (\d+)/.exec(readFileSync(join(mailers, `${ref}.pin.txt`), 'utf8'))![1]!;
  return execFileSync(
    'pkcs11-tool',
    ['--module', module, '--token-label', ref, '--login', '--pin', pin, '--list-objects'],
    { env, encoding: 'utf8' },
  );
}

describe('signet provision batch when the ledger nodes fail', () => {
  it('the node goes down midway: every row done on the tokens and queued, said not yet confirmed in one line; a re-run while down changes nothing; once back, each registration and funding once', {
    timeout: 180_000,
  }, async () => {
    const serials = Array.from({ length: 5 }, (_, i) => softhsmToken(w, `down-${i + 1}`));
    const refs = new Map(serials.map((_, i) => [`D-00${i + 1}`, BigInt((i + 1) * 100)]));
    const args = batch(
      'down',
      serials.map((s, i) => `D-00${i + 1},Down ${i + 1},${s},${i + 1}.00,en`),
    );
    // The only node: a proxy to the dev node that goes down as the batch sends its third
    // transaction (the batch signs every row's transactions offline, then sends them).
    let sent = 0;
    let down = false;
    const node: FakeNode = await fake(
      startFakeProxy(w.ledger.url, {
        intercept: (method) => {
          if (method === 'eth_sendRawTransaction') sent += 1;
          if (!down && sent === 3) {
            down = true;
            void node.stop();
          }
          return undefined;
        },
      }),
    );
    w.useProfile({ ...w.ledger.profile, rpc: [node.url] });

    const first = await provision(args);
    // Every row is done on its token and queued; the ledger's word is pending, and said so.
    expect(first.code).toBe(0);
    const rows = JSON.parse(first.stdout).rows as any[];
    expect(rows.map((r) => r.status)).toEqual(Array(5).fill('provisioned'));
    for (const row of rows) {
      expect(row.outcome, row.customer).toMatch(
        /^[^\n]*not yet confirmed on the ledger \(no ledger node answered: [^\n]+\): run the batch again or `signet sync`$/,
      );
    }
    expect(sent).toBeGreaterThanOrEqual(3);

    // A re-run while it is down: one clear line, and nothing changed (journal, outbox, tokens).
    const before = {
      journal: journal(w),
      outbox: outboxRows(w),
      mailers: readdirSync(join(dir, 'down')),
    };
    const whileDown = await provision(withoutJson(args));
    expect(whileDown.code).not.toBe(0);
    expect(whileDown.stdout).toBe('');
    expect(whileDown.stderr).toMatch(
      /^[^\n]*no ledger node answered: [^\n]*connection refused[^\n]*\n$/,
    );
    expect({
      journal: journal(w),
      outbox: outboxRows(w),
      mailers: readdirSync(join(dir, 'down')),
    }).toEqual(before);

    // The node back on the same URL: the batch finishes, nothing done twice.
    await fake(startFakeProxy(w.ledger.url, { port: node.port }));
    const resumed = await provision(args);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const done = JSON.parse(resumed.stdout);
    expect(done.provisioned).toBe(5);
    await onChainOnce(refs);
    expect(outboxKinds(w)).toEqual({ 'customer-register': 5, transfer: 5 });
    for (const ref of refs.keys()) mailerOpensToken(join(dir, 'down'), ref);
  });

  it('the node goes down as the batch sends its transactions (they arrive, the answers are lost): the resume sends none twice', {
    timeout: 120_000,
  }, async () => {
    const serials = Array.from({ length: 2 }, (_, i) => softhsmToken(w, `lost-${i + 1}`));
    const args = batch(
      'lost',
      serials.map((s, i) => `L-00${i + 1},Lost ${i + 1},${s},${i + 1}.25,en`),
    );
    // Forwarded to the dev node, then the connection cut before its answer comes back.
    let sent = 0;
    const node: FakeNode = await fake(
      startFakeProxy(w.ledger.url, {
        intercept: (method) => {
          if (method === 'eth_sendRawTransaction' && ++sent === 2) void node.stop();
          return undefined;
        },
      }),
    );
    w.useProfile({ ...w.ledger.profile, rpc: [node.url] });
    const first = await provision(args);
    expect(first.code).toBe(0); // every row done on this side; the ledger's word is pending
    expect(sent).toBe(2);
    for (const row of JSON.parse(first.stdout).rows)
      expect(row.outcome, row.customer).toMatch(
        /not yet confirmed on the ledger \(no ledger node answered/,
      );

    await fake(startFakeProxy(w.ledger.url, { port: node.port }));
    const resumed = await provision(args);
    expect(resumed.code).toBe(0);
    for (const row of JSON.parse(resumed.stdout).rows) {
      expect(row.outcome).toBe('already provisioned by an earlier run of this batch');
    }
    await onChainOnce(
      new Map([
        ['L-001', 125n],
        ['L-002', 225n],
      ]),
    );
  });

  it('a node that starts hanging as the batch sends: after the timeout, each row said not yet confirmed in one line; the resume confirms each once', {
    timeout: 120_000,
  }, async () => {
    const serials = Array.from({ length: 2 }, (_, i) => softhsmToken(w, `hang-${i + 1}`));
    const args = batch(
      'hang',
      serials.map((s, i) => `H-00${i + 1},Hang ${i + 1},${s},0,en`),
    );
    // The node starts hanging as the batch sends its second transaction.
    let sent = 0;
    let armed = true;
    let hanging = false;
    const node = await fake(
      startFakeProxy(w.ledger.url, {
        hang: (calls) => {
          sent += calls.filter((c) => c.method === 'eth_sendRawTransaction').length;
          if (armed && sent >= 2) hanging = true;
          return hanging;
        },
      }),
    );
    w.useProfile({ ...w.ledger.profile, rpc: [node.url] });
    const hung = await provision(args);
    // Both rows are done on their tokens and queued; the send timed out, in one line each.
    expect(hung.code).toBe(0);
    const rows = JSON.parse(hung.stdout).rows as any[];
    expect(rows.map((r) => r.status)).toEqual(['provisioned', 'provisioned']);
    for (const row of rows)
      expect(row.outcome, row.customer).toMatch(
        /^[^\n]*not yet confirmed on the ledger \(no ledger node answered: [^\n]*no answer within \d+ ms[^\n]*\): run the batch again or `signet sync`$/,
      );

    armed = false;
    hanging = false;
    const resumed = await provision(args);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).provisioned).toBe(2);
    await onChainOnce(
      new Map([
        ['H-001', 0n],
        ['H-002', 0n],
      ]),
    );
  });

  it('one node of three down: the two others are a quorum and the batch completes', {
    timeout: 120_000,
  }, async () => {
    const serials = Array.from({ length: 2 }, (_, i) => softhsmToken(w, `quorum-${i + 1}`));
    const args = batch(
      'quorum',
      serials.map((s, i) => `Q-00${i + 1},Quorum ${i + 1},${s},${i + 2}.50,zh-CN`),
    );
    const other = await fake(startFakeProxy(w.ledger.url));
    w.useProfile({ ...w.ledger.profile, rpc: [await fakeDownNodeUrl(), other.url, w.ledger.url] });
    const run = await provision(args);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.provisioned).toBe(2);
    for (const row of result.rows) expect(row.outcome).not.toMatch(/not yet confirmed|failed/);
    await onChainOnce(
      new Map([
        ['Q-001', 250n],
        ['Q-002', 350n],
      ]),
    );
  });

  it('two nodes of three down: sent, but no quorum to confirm it, and said so; a node back, the re-run confirms each once', {
    timeout: 120_000,
  }, async () => {
    const serials = Array.from({ length: 2 }, (_, i) => softhsmToken(w, `noquorum-${i + 1}`));
    const args = batch(
      'noquorum',
      serials.map((s, i) => `N-00${i + 1},No Quorum ${i + 1},${s},${i + 2}.50,en`),
    );
    const [a, b] = [await fakeDownNodeUrl(), await fakeDownNodeUrl()];
    w.useProfile({ ...w.ledger.profile, rpc: [a, b, w.ledger.url] });
    const run = await provision(args);
    expect(run.code).toBe(0);
    for (const row of JSON.parse(run.stdout).rows) {
      expect(row.status).toBe('provisioned');
      // One node saw them; two of three must before Signet calls them confirmed.
      expect(row.outcome).toMatch(/; the registration is sent; the funding is sent$/);
    }
    expect(outboxRows(w).filter((tx) => tx.status === 'confirmed')).toHaveLength(
      outboxRows(w).length - 4,
    );

    await fake(startFakeProxy(w.ledger.url, { port: Number(new URL(a).port) }));
    const again = await provision(args);
    expect(again.code).toBe(0);
    for (const row of JSON.parse(again.stdout).rows)
      expect(row.outcome).toBe('already provisioned by an earlier run of this batch');
    await onChainOnce(
      new Map([
        ['N-001', 250n],
        ['N-002', 350n],
      ]),
    );
    expect(outboxRows(w).every((tx) => tx.status === 'confirmed')).toBe(true);
  });

  it('the only node hangs from the start: one line after the timeout, no token touched', {
    timeout: 60_000,
  }, async () => {
    const serial = softhsmToken(w, 'hang-start');
    const hanging = await fake(startFakeHangingNode());
    w.useProfile({ ...w.ledger.profile, rpc: [hanging.url] });
    const run = await provision(
      withoutJson(batch('hang-start', [`HS-001,Hang,${serial},1.00,en`])),
    );
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^[^\n]*no ledger node answered: [^\n]*no answer within \d+ ms[^\n]*\n$/,
    );
    expect(tokenLabel(w, serial)).toBe('hang-start');
  });
});

describe('signet provision batch with cards pulled and slots named', () => {
  it('a card pulled while it makes its key: the row fails in one line, the others go on; put back, the resume uses that key, with a fresh PIN', {
    timeout: 120_000,
  }, async () => {
    // The customers' tokens behind a FAKE card reader. It wraps its own copy of SoftHSM2:
    // one library loaded twice in a process is one instance, and the operator's token
    // (plain SoftHSM2) closing its module would finalise the reader's too.
    const cardDir = join(dir, 'reader');
    const card = buildFakeSmartcard({ softhsmConf: w.env.SOFTHSM2_CONF!, dir: cardDir });
    const underlying = join(cardDir, 'libsofthsm2-copy.so');
    copyFileSync(realpathSync(softhsmModule), underlying);
    const serials = Array.from({ length: 3 }, (_, i) => softhsmToken(w, `card-${i + 1}`));
    const args = batch(
      'pulled',
      serials.map((s, i) => `P-00${i + 1},Pulled ${i + 1},${s},1.00,en`),
    ).map((a) => (a === softhsmModule ? card.modulePath : a));
    const env = () => ({
      ...card.env,
      SOFTHSM2_CONF: w.env.SOFTHSM2_CONF,
      FAKE_SMARTCARD_UNDERLYING: underlying,
    });

    card.pullAtKeygen(serials[1]);
    const first = await provision(args, { env: env() });
    card.pullAtKeygen(undefined);
    expect(first.code).toBe(1);
    expect(card.isPresent(serials[1]!)).toBe(false);
    const rows = JSON.parse(first.stdout).rows as any[];
    expect(rows.map((r) => r.status)).toEqual(['provisioned', 'failed', 'provisioned']);
    expect(rows[1].reason).toBe('token-removed');
    expect(rows[1].outcome).toMatch(
      /^[^\n]+\(done so far: token-initialised; run the batch again to go on\)$/,
    );

    // Still out: the resume waits for it, says whose it expects, and it is put back.
    let putBack = false;
    const resumed = await provision(
      args.map((a) => (a === '1' ? '10' : a)),
      {
        env: env(),
        onStderr: (text) => {
          if (!putBack && text.includes('waiting for the token of customer P-002')) {
            putBack = true;
            card.insert(serials[1]!);
          }
        },
      },
    );
    expect(putBack).toBe(true);
    expect(resumed.code).toBe(0);
    const row = JSON.parse(resumed.stdout).rows[1];
    expect(row).toMatchObject({ customer: 'P-002', status: 'provisioned' });
    expect(row.outcome).toMatch(/fresh PIN set/);
    expect(journal(w).find((r) => r.customer_ref === 'P-002')?.pin_resets).toBe(1);
    // One key pair on the card: the one it made when pulled, not a second.
    const objects = mailerOpensToken(join(dir, 'pulled'), 'P-002', card.modulePath, env());
    expect(objects.match(/^Private Key Object/gm)).toHaveLength(1);
    await onChainOnce(new Map(['P-001', 'P-002', 'P-003'].map((r) => [r, 100n])));
  });

  it("the customers' module named by another path to the operator's library (a link's target): provisioned, not an internal error", {
    timeout: 120_000,
  }, async () => {
    const serials = Array.from({ length: 2 }, (_, i) => softhsmToken(w, `alias-${i + 1}`));
    // The operator's URI says softhsmModule; --module names the file it links to (on Debian,
    // /usr/lib/softhsm is a link into the multiarch folder), else a link made here.
    const target = realpathSync(softhsmModule);
    const other =
      target !== softhsmModule ? target : join(mkdtempSync(join(dir, 'link-')), 'softhsm.so');
    if (other !== target) symlinkSync(target, other);
    const args = batch(
      'alias',
      serials.map((s, i) => `A-00${i + 1},Alias ${i + 1},${s},1.00,en`),
    ).map((a) => (a === softhsmModule ? other : a));
    const run = await provision(args);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).provisioned).toBe(2);
    await onChainOnce(
      new Map([
        ['A-001', 100n],
        ['A-002', 100n],
      ]),
    );
  });

  it('rows naming slot:N on SoftHSM2: provisioned and resumed by slot; an empty slot, a slot whose token holds keys, a slot named twice refused', {
    timeout: 120_000,
  }, async () => {
    const fresh = softhsmTokenWithSlot(w, 'by-slot');
    const taken = softhsmTokenWithSlot(w, 'slot-taken');
    execFileSync(
      'pkcs11-tool',
      [
        ...[
          '--module',
          softhsmModule,
          '--token-label',
          'slot-taken',
          '--login',
          '--pin',
          '00000000',
        ],
        ...['--keypairgen', '--key-type', 'EC:secp256k1', '--label', 'theirs'],
      ],
      { env: w.env, stdio: 'ignore' },
    );
    const args = batch('slots', [
      `S-001,By Slot,slot:${fresh.slot},3.00,en`,
      `S-002,Empty Slot,slot:${fresh.slot + taken.slot + 7},1.00,en`,
      `S-003,Taken Slot,slot:${taken.slot},1.00,en`,
      `S-004,Same Slot,slot:${fresh.slot},1.00,en`,
    ]);
    // Killed once its token is initialised (SoftHSM2 may renumber the slot): resumed by serial.
    const killed = await provision(args, { killAt: 'S-001:token-initialised' });
    expect(killed.signal).toBe('SIGKILL');
    expect(tokenLabel(w, fresh.serial)).toBe('S-001');
    const run = await provision(args);
    expect(run.code).toBe(1);
    const rows = JSON.parse(run.stdout).rows as any[];
    expect(rows.map((r) => [r.customer, r.status, r.reason])).toEqual([
      ['S-001', 'provisioned', null],
      ['S-002', 'refused', 'token-absent'],
      ['S-003', 'refused', 'token-provisioned'],
      ['S-004', 'refused', 'token-duplicate'],
    ]);
    expect(rows[0].tokenSerial).toBe(fresh.serial);
    expect(rows[1].outcome).toMatch(
      new RegExp(`no token with slot ${fresh.slot + taken.slot + 7} for customer S-002`),
    );
    expect(rows[2].outcome).toMatch(/already holds keys: it is someone's, and is not erased/);
    expect(rows[3].outcome).toMatch(new RegExp(`token slot:${fresh.slot} is already on line 2`));
    expect(tokenLabel(w, taken.serial)).toBe('slot-taken');
    mailerOpensToken(join(dir, 'slots'), 'S-001');
    await onChainOnce(new Map([['S-001', 300n]]));
  });
});

describe('after every batch of this file', () => {
  it('no PIN of any mailer in any output or anywhere in the data folder', () => {
    const pins = filesUnder(dir)
      .filter((f) => f.endsWith('.pin.txt'))
      .map((f) => /PIN: (\d+)/.exec(readFileSync(f, 'utf8'))![1]!);
    expect(pins).toHaveLength(19);
    const outputs = runs.flatMap((r) => [r.stdout, r.stderr]).join('\n');
    const data = filesUnder(w.home).map((f) => readFileSync(f).toString('latin1'));
    for (const pin of pins) {
      expect(pinSightings(pin, outputs), 'a PIN in an output').toEqual([]);
      expect(
        data.flatMap((text) => pinSightings(pin, text)),
        'a PIN in the data folder',
      ).toEqual([]);
    }
  });
});
