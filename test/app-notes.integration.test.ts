/**
 * Note operations through the app API (what the Notes screen calls), against
 * the dev ledger and SoftHSM2 keys: each is previewed offline, then signed with
 * the PIN the UI sent, and the signed transactions are exactly the previewed
 * ones. Issue → split → finance offer (typed data) → the bank accepts.
 */
import { join } from 'node:path';
import { formatUnits, getAddress, verifyTypedData } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { financeOfferTypes } from '../core/chain/abi.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob', 'bank']);
let app: AppApi;

async function result(method: string, params: unknown = {}) {
  const reply = await app.dispatch(method, params);
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result as any;
}
const day = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const notesOf = async (name: string) =>
  (await result('notes.list', { address: w.keys[name]!.address })).map(
    (n: { value: string }) => n.value,
  );

/** Previews, signs with the PIN, and checks the signed transactions are the previewed ones. */
async function reviewThenSign(operation: Record<string, unknown>) {
  const preview = await result('notes.preview', { operation });
  const done = await result('notes.execute', {
    operation,
    pin: PIN,
    reviewDigest: preview.reviewDigest,
  });
  expect(done.transactions.map((t: { nonce: number; kind: string }) => [t.kind, t.nonce])).toEqual(
    preview.transactions.map((t: { nonce: number; kind: string }) => [t.kind, t.nonce]),
  );
  return { preview, done };
}

beforeAll(async () => {
  app = createAppApi({ home: w.home, env: w.env });
  for (const [name, amount] of [
    ['alice', '1000.00'],
    ['bob', '1.00'],
    ['bank', '500.00'],
  ] as const) {
    await w.cli(['ledger', 'fund', '--account', w.keys[name]!.address, '--amount', amount]);
  }
  await result('sync.run');
});
afterAll(() => app?.close());

describe('note operations through the app API, reviewed then signed', () => {
  it('alice issues 500.00 to bob: a PIN is asked for, then the note and the approval are sent', async () => {
    const operation = {
      op: 'issue',
      from: w.keys.alice!.uri,
      payee: w.keys.bob!.address,
      faceValue: '500.00',
      maturity: day(30),
    };
    const { reviewDigest } = await result('notes.preview', { operation });
    const asked = await app.dispatch('notes.execute', { operation, reviewDigest });
    expect(asked).toMatchObject({ ok: false, error: { code: 'PIN_REQUIRED' } });
    expect(await result('outbox.list')).toEqual([]);

    const { done } = await reviewThenSign(operation);
    expect(done.sync).toMatchObject({ sent: 2 });
    await result('sync.run');
    expect(await notesOf('bob')).toEqual(['500.00']);
  });

  it('bob splits 200.00 off to the bank and sees both parts: 300.00 with him, 200.00 with the bank', async () => {
    const [note] = await result('notes.list', { address: w.keys.bob!.address });
    const { preview } = await reviewThenSign({
      op: 'split',
      from: w.keys.bob!.uri,
      tokenId: note.tokenId,
      to: w.keys.bank!.address,
      value: '200.00',
    });
    expect(preview.transactions[0]).toMatchObject({
      function: 'transferFrom',
      args: { fromTokenId: note.tokenId, to: w.keys.bank!.address, value: '20000' },
    });
    await result('sync.run');
    expect(await notesOf('bob')).toEqual(['300.00']);
    expect(await notesOf('bank')).toEqual(['200.00']);
    // Both parts in the wallet's own list, the same maturity and acceptor.
    const all = await result('notes.list');
    expect(all.map((n: { value: string }) => n.value).sort()).toEqual(['200.00', '300.00']);
    expect(new Set(all.map((n: { maturity: string }) => n.maturity)).size).toBe(1);
  });

  it('bob signs the finance offer he reviewed (same nonce), and the bank accepts it', async () => {
    const [note] = await result('notes.list', { address: w.keys.bob!.address });
    const terms = {
      op: 'finance-offer',
      from: w.keys.bob!.uri,
      tokenId: note.tokenId,
      bank: w.keys.bank!.address,
      value: '300.00',
      price: '295.00',
      deadline: day(3),
    };
    const preview = await result('notes.preview', { operation: terms });
    const nonce = preview.typedData.message.nonce;
    const signed = await result('notes.execute', {
      operation: { ...terms, nonce },
      pin: PIN,
      reviewDigest: preview.reviewDigest,
    });
    expect(signed.transactions).toEqual([]);
    expect(signed.offer.offer).toEqual(preview.typedData.message);
    expect(
      await verifyTypedData({
        address: w.keys.bob!.address,
        domain: {
          ...preview.typedData.domain,
          chainId: Number(preview.typedData.domain.chainId),
        },
        types: financeOfferTypes,
        primaryType: 'FinanceOffer',
        message: {
          ...signed.offer.offer,
          tokenId: BigInt(signed.offer.offer.tokenId),
          value: BigInt(signed.offer.offer.value),
          price: BigInt(signed.offer.offer.price),
          deadline: BigInt(signed.offer.offer.deadline),
        },
        signature: signed.offer.signature,
      }),
    ).toBe(true);

    const accept = { op: 'finance-accept', from: w.keys.bank!.uri, offer: signed.offer };
    const { preview: review } = await reviewThenSign(accept);
    expect(review.availableAfter).toBe('205.00');
    await result('sync.run');
    expect(await notesOf('bob')).toEqual([]);
    expect((await notesOf('bank')).sort()).toEqual(['200.00', '300.00']);
    const [bob] = await result('accounts.balances', { address: w.keys.bob!.address });
    expect(bob.balance).toBe('296.00');
    // The same offer again is refused offline and queues nothing.
    const again = await app.dispatch('notes.execute', {
      operation: accept,
      pin: PIN,
      reviewDigest: review.reviewDigest,
    });
    expect(again).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/already accepted/) },
    });
  });

  it('logged every signature, offer included, in an intact audit chain', async () => {
    const audit = await result('audit.list', { limit: 50 });
    const actions = audit.entries.map((e: { action: string }) => e.action);
    expect(actions.filter((a: string) => a === 'sign-typed-data')).toHaveLength(1);
    expect(actions.filter((a: string) => a === 'sign-transaction')).toHaveLength(5);
    expect(await result('audit.verify')).toMatchObject({ intact: true });
    expect(JSON.stringify(audit)).not.toContain(PIN);
  });
});

describe('what is reviewed is what is signed, for notes', () => {
  /** The outbox and the audit log (every signature Signet made), to compare before and after. */
  const written = async () => ({
    outbox: await result('outbox.list'),
    audit: await result('audit.list', { limit: 200 }),
  });

  it('the bank endorses a note it reviewed after paying someone: nothing signed, then the fresh review is', async () => {
    const [note] = await result('notes.list', { address: w.keys.bank!.address });
    const endorse = {
      op: 'endorse',
      from: w.keys.bank!.uri,
      tokenId: note.tokenId,
      to: w.keys.alice!.address,
    };
    const reviewed = await result('notes.preview', { operation: endorse });
    expect(reviewed.names).toEqual(
      expect.arrayContaining([
        { address: w.keys.bank!.address, kind: 'account', name: 'bank' },
        { address: w.keys.alice!.address, kind: 'account', name: 'alice' },
        {
          address: getAddress(w.ledger.profile.contracts.notes),
          kind: 'contract',
          role: 'notes',
        },
      ]),
    );
    expect(reviewed.fee).toEqual({
      maxWei: reviewed.transactions[0].fee.maxWei,
      max: formatUnits(BigInt(reviewed.transactions[0].fee.maxWei), 18),
      symbol: 'ETH',
    });

    // Meanwhile the bank pays alice (reviewed and signed on its own): the nonce moves.
    const payment = { from: w.keys.bank!.uri, to: w.keys.alice!.address, amount: '1.00' };
    const paid = await result('wallet.previewSend', payment);
    expect(paid.nonce).toBe(reviewed.transactions[0].nonce);
    await result('wallet.send', {
      ...payment,
      pin: PIN,
      reviewDigest: paid.reviewDigest,
      offline: true,
    });

    const before = await written();
    const stale = await app.dispatch('notes.execute', {
      operation: endorse,
      pin: PIN,
      reviewDigest: reviewed.reviewDigest,
    });
    expect(stale).toMatchObject({
      ok: false,
      error: {
        code: 'REVIEW_STALE',
        message: 'the ledger changed since you reviewed; review again',
      },
    });
    expect(await written()).toEqual(before);

    const fresh = await result('notes.preview', { operation: endorse });
    expect(fresh.transactions[0].nonce).toBe(reviewed.transactions[0].nonce + 1);
    const done = await result('notes.execute', {
      operation: endorse,
      pin: PIN,
      reviewDigest: fresh.reviewDigest,
    });
    expect(done.transactions.map((t: { nonce: number }) => t.nonce)).toEqual([
      fresh.transactions[0].nonce,
    ]);
    await result('sync.run');
    expect(await notesOf('alice')).toEqual([note.value]);
  });

  it('a finance offer is signed only with the nonce, and the digest, of its review', async () => {
    const [note] = await result('notes.list', { address: w.keys.bank!.address });
    const terms = {
      op: 'finance-offer',
      from: w.keys.bank!.uri,
      tokenId: note.tokenId,
      bank: w.keys.bob!.address,
      price: '10.00',
      deadline: day(3),
    };
    const reviewed = await result('notes.preview', { operation: terms });
    const before = await written();
    const attempts = [
      // Without its nonce the offer gets a fresh one: not the offer reviewed.
      { operation: terms, reviewDigest: reviewed.reviewDigest },
      // A digest that is no review at all.
      {
        operation: { ...terms, nonce: reviewed.typedData.message.nonce },
        reviewDigest: `0x${'ab'.repeat(32)}`,
      },
      // Another price under the same review.
      {
        operation: { ...terms, price: '9.00', nonce: reviewed.typedData.message.nonce },
        reviewDigest: reviewed.reviewDigest,
      },
    ];
    for (const attempt of attempts) {
      const reply = await app.dispatch('notes.execute', { ...attempt, pin: PIN });
      expect(reply, JSON.stringify(attempt)).toMatchObject({
        ok: false,
        error: { code: 'REVIEW_STALE' },
      });
    }
    expect(await written()).toEqual(before);
  });
});

describe('the audit log tells reviewed signatures from the command line’s', () => {
  const signatures = async () =>
    (await result('audit.list', { limit: 200 })).entries.filter((e: { action: string }) =>
      e.action.startsWith('sign-'),
    );

  it('records the review digest of each UI signature (it matched the review), none for the CLI’s', async () => {
    // Every signature so far was the UI's, each after the review it names.
    const ui = await signatures();
    expect(ui.length).toBeGreaterThan(5);
    for (const entry of ui) {
      expect(entry.subject.reviewDigest, entry.action).toMatch(/^0x[0-9a-f]{64}$/);
    }

    // At the command line nothing is reviewed: a payment, and a finance offer.
    const [held] = await result('notes.list', { address: w.keys.alice!.address });
    const alice = w.keys.alice!.uri;
    for (const command of [
      ['send', '--from', alice, '--to', w.keys.bob!.address, '--amount', '1.00', '--offline'],
      ['note', 'finance', '--from', alice, '--note', held.tokenId, '--bank', w.keys.bank!.address],
    ]) {
      const extra =
        command[0] === 'note' ? ['--price', '1.00', '--out', join(w.home, 'o.json')] : [];
      const run = await w.cli([...command, ...extra, '--pin-file', w.pin]);
      expect(run.code, run.stderr).toBe(0);
    }
    const cli = (await signatures()).slice(0, 2);
    expect(cli.map((e: { action: string }) => e.action)).toEqual([
      'sign-typed-data',
      'sign-transaction',
    ]);
    for (const entry of cli) expect(entry.subject).not.toHaveProperty('reviewDigest');
    expect(await result('audit.verify')).toMatchObject({ intact: true });
  });
});
