/**
 * A bank accepting a finance offer checks the note it is about to pay for, even
 * a note its wallet has never seen: read from the dev ledger at one block
 * (cross-checked), then currency, maturity, holder and value are checked
 * before the token signs anything. The holder and the acceptor are software-key
 * customers; the bank is a Signet wallet with a SoftHSM2 key.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Address, getAddress, type Hex, keccak256, maxUint256 } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { devKeys } from '../ledger/deploy.js';
import { chainContracts, DAY } from './support/chain-contracts.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['bank']);
const ledger = w.ledger;
const { send, events, balance, financeOffer, deployCurrency } = chainContracts(ledger);
let app: AppApi;

const acceptorKey = generatePrivateKey();
const holderKey = generatePrivateKey();
const acceptor = privateKeyToAccount(acceptorKey).address;
const holder = privateKeyToAccount(holderKey).address;
const START = 10_000_00n;
const FACE = 1_000_00n;

async function result(method: string, params: unknown = {}) {
  const reply = await app.dispatch(method, params);
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result as any;
}

/** The acceptor issues a note to `payee` (the holder) in `currency` (the ledger's own by default). */
async function issue(
  days = 30n,
  currency: Address = ledger.profile.contracts.currency,
  payee: Address = holder,
) {
  const maturity = (await ledger.now()) + days * DAY;
  const receipt = await send(acceptorKey, 'notes', 'issue', [payee, FACE, currency, maturity]);
  return events(receipt, 'notes', 'NoteIssued')[0]!.tokenId as bigint;
}

/** The holder's signed offer to the bank, as the offer file Signet reads (naming its signer unless told). */
async function offerFile(
  tokenId: bigint,
  value: bigint,
  price: bigint,
  signerKey: Hex = holderKey,
  namedHolder: Address = privateKeyToAccount(signerKey).address,
) {
  const { message, signature } = await financeOffer(signerKey, {
    tokenId,
    value,
    price,
    bank: w.keys.bank!.address,
    deadline: (await ledger.now()) + 10n * DAY,
  });
  return {
    type: 'signet-finance-offer',
    chainId: ledger.profile.chainId,
    notes: ledger.profile.contracts.notes,
    holder: namedHolder,
    offer: {
      tokenId: message.tokenId.toString(),
      value: message.value.toString(),
      bank: message.bank,
      price: message.price.toString(),
      deadline: message.deadline.toString(),
      nonce: message.nonce,
    },
    signature,
  };
}

const accept = (offer: unknown) => ({ op: 'finance-accept', from: w.keys.bank!.uri, offer });

beforeAll(async () => {
  app = createAppApi({ home: w.home, env: w.env });
  await ledger.fund(w.keys.bank!.address, START);
  await ledger.fund(acceptor, START);
  await ledger.fund(holder, START);
  await send(acceptorKey, 'currency', 'approve', [ledger.profile.contracts.notes, maxUint256]);
  await result('sync.run');
});
afterAll(() => app?.close());

describe('a bank accepting an offer for a note its wallet never held', () => {
  it('reads the note from the ledger, shows who pays it, and pays for it', async () => {
    const tokenId = await issue();
    const offer = await offerFile(tokenId, 400_00n, 390_00n);
    const preview = await result('notes.preview', { operation: accept(offer) });
    const head = Number(await ledger.publicClient.getBlockNumber());
    expect(preview.note).toEqual({
      tokenId: tokenId.toString(),
      holder,
      acceptor,
      currency: getAddress(ledger.profile.contracts.currency),
      currencyKnown: true,
      maturity: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      value: '1000.00',
      status: 'active',
      source: 'chain',
      asOfBlock: head,
    });

    const done = await result('notes.execute', {
      operation: accept(offer),
      reviewDigest: preview.reviewDigest,
      pin: PIN,
    });
    expect(done.transactions).toMatchObject([
      { kind: 'approve', status: 'confirmed' },
      { kind: 'note-finance', status: 'confirmed', summary: { acceptor, tokenId: `${tokenId}` } },
    ]);
    expect(await balance(holder)).toBe(START + 390_00n);

    // Now the bank holds part of the note: listed with its acceptor and currency.
    const held = await result('notes.list', { address: w.keys.bank!.address });
    expect(held).toEqual([
      expect.objectContaining({ acceptor, currencyKnown: true, value: '400.00' }),
    ]);
    const cli = await w.cli(['notes']);
    expect(cli.stdout).toContain(
      `400.00  matures ${held[0].maturity}  active  acceptor ${acceptor}  currency ${getAddress(ledger.profile.contracts.currency)}\n`,
    );
  });

  it('refuses a note payable in a currency the ledger does not know, and signs nothing', async () => {
    const other = await deployCurrency();
    await send(devKeys.centralBank, 'notes', 'setCurrencyAccepted', [other.address, true]);
    for (const account of [acceptor, holder]) {
      await other.send(devKeys.operator, 'registerAccount', [account, keccak256(account)]);
    }
    const tokenId = await issue(30n, other.address);
    const offer = await offerFile(tokenId, 100_00n, 99_00n);
    const before = await result('outbox.list');
    for (const method of ['notes.preview', 'notes.execute']) {
      // A preview takes no PIN (the contract refuses the field); the execution carries it.
      const params = method === 'notes.execute' ? { pin: PIN } : {};
      const reply = await app.dispatch(method, { operation: accept(offer), ...params });
      expect(reply).toMatchObject({
        ok: false,
        error: {
          code: 'NOTE_CURRENCY_UNKNOWN',
          message: `note ${tokenId} is payable in ${other.address}, not in this ledger's currency ${ledger.profile.contracts.currency}`,
        },
      });
    }
    expect(await result('outbox.list')).toEqual(before);
  });

  it('refuses an offer for more than the note holds, or signed by someone who no longer holds it', async () => {
    const tokenId = await issue();
    const tooMuch = await offerFile(tokenId, FACE + 1n, 1n);
    const head = await ledger.publicClient.getBlockNumber();
    expect(await app.dispatch('notes.preview', { operation: accept(tooMuch) })).toMatchObject({
      ok: false,
      error: {
        code: 'AMOUNT_INVALID',
        message: `the offer sells 1000.01 of note ${tokenId}, which holds 1000.00 at block ${head}`,
      },
    });

    const stale = await offerFile(tokenId, 1_00n, 1_00n);
    await send(holderKey, 'notes', 'transferFrom', [holder, acceptor, tokenId]);
    const reply = await app.dispatch('notes.preview', { operation: accept(stale) });
    expect(reply).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          new RegExp(`^note ${tokenId} is held by ${acceptor} at block \\d+, not by ${holder}`),
        ),
      },
    });
  });

  it('offline, refuses a note its store does not know: the API and the CLI, one line, nothing signed', async () => {
    const tokenId = await issue();
    const offer = await offerFile(tokenId, 1_00n, 1_00n);
    const before = await result('outbox.list');
    const reply = await app.dispatch('notes.execute', {
      operation: accept(offer),
      pin: PIN,
      offline: true,
    });
    const message = `note ${tokenId} is not in the wallet's store, so the offer cannot be checked offline; accept it online`;
    expect(reply).toMatchObject({ ok: false, error: { code: 'NOTE_NOT_FOUND', message } });

    const file = join(w.home, 'offer.json');
    writeFileSync(file, JSON.stringify(offer));
    const run = await w.cli([
      'note',
      'finance-accept',
      '--from',
      w.keys.bank!.uri,
      '--offer',
      file,
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`signet: ${message}\n`);
    expect(await result('outbox.list')).toEqual(before);
  });

  it('refuses a note that has matured, by the ledger’s clock', async () => {
    const tokenId = await issue(1n);
    const offer = await offerFile(tokenId, 1_00n, 1_00n);
    await ledger.increaseTime(2n * DAY);
    await ledger.mine();
    await result('sync.run'); // the wallet learns the ledger's time
    expect(await app.dispatch('notes.preview', { operation: accept(offer) })).toMatchObject({
      ok: false,
      error: { code: 'NOTE_MATURED', message: expect.stringMatching(/not financed$/) },
    });
  });
});

describe('a bank whose store knows a note that has since moved on', () => {
  // S once held a note the bank's wallet followed; S endorsed it to M after the bank's last
  // sync saw it with S (the wallet follows a note only while one of its accounts holds it).
  const sellerKey = generatePrivateKey();
  const newHolderKey = generatePrivateKey();
  const seller = privateKeyToAccount(sellerKey).address;
  const newHolder = privateKeyToAccount(newHolderKey).address;
  const bank = () => w.keys.bank!;
  let tokenId: bigint;
  /** Every signature Signet made and everything it queued: unchanged by a refusal. */
  const written = async () => ({
    outbox: await result('outbox.list'),
    audit: await result('audit.list', { limit: 500 }),
  });
  const review = (offer: unknown, offline = false) =>
    app.dispatch('notes.preview', { operation: accept(offer), offline });

  beforeAll(async () => {
    await ledger.fund(seller, START);
    await ledger.fund(newHolder, START);
    // The note reaches the bank's store the way it would: the bank held it, then endorsed it to S.
    tokenId = await issue(30n, ledger.profile.contracts.currency, bank().address);
    await result('sync.run');
    const endorse = { op: 'endorse', from: bank().uri, tokenId: `${tokenId}`, to: seller };
    const reviewed = await result('notes.preview', { operation: endorse });
    await result('notes.execute', {
      operation: endorse,
      reviewDigest: reviewed.reviewDigest,
      pin: PIN,
    });
    await result('sync.run');
    await send(sellerKey, 'notes', 'transferFrom', [seller, newHolder, tokenId]);
    await result('sync.run');
  });

  it('keeps S as the holder in the store (the sync does not follow it), which an offline review says is as of the last sync', async () => {
    const fromSeller = await offerFile(tokenId, 1_00n, 1_00n, sellerKey);
    const offline = await result('notes.preview', {
      operation: accept(fromSeller),
      offline: true,
    });
    expect(offline.note).toMatchObject({ holder: seller, source: 'store' });
    // Online, the same offer is checked against the ledger: S no longer holds it.
    expect(await review(fromSeller)).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          new RegExp(`^note ${tokenId} is held by ${newHolder} at block \\d+, not by ${seller}`),
        ),
      },
    });
  });

  it('refuses an offer M signed but that names S as the holder, online and offline: nothing signed', async () => {
    const disguised = await offerFile(tokenId, 100_00n, 99_00n, newHolderKey, seller);
    const before = await written();
    const refusal = {
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: `the offer names ${seller} as the holder, but its signature is by ${newHolder}: another key signed it, or its terms were changed after signing`,
        details: { reason: 'offer-signer', holder: seller, signer: newHolder },
      },
    };
    for (const offline of [false, true]) {
      expect(await review(disguised, offline), `offline ${offline}`).toEqual(refusal);
      const reply = await app.dispatch('notes.execute', {
        operation: accept(disguised),
        pin: PIN,
        offline,
      });
      // Refused while planning, before the review digest (none here) is even looked at.
      expect(reply, `offline ${offline}`).toEqual(refusal);
    }
    const file = join(w.home, 'disguised-offer.json');
    writeFileSync(file, JSON.stringify(disguised));
    for (const offline of [[], ['--offline']]) {
      const run = await w.cli([
        'note',
        'finance-accept',
        '--from',
        bank().uri,
        '--offer',
        file,
        ...offline,
        '--pin-file',
        w.pin,
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`signet: ${refusal.error.message}\n`);
    }
    expect(await written()).toEqual(before);
  });

  it('refuses an offer whose terms were changed after signing (a forged signature)', async () => {
    const honest = await offerFile(tokenId, 100_00n, 99_00n, newHolderKey);
    const forged = { ...honest, offer: { ...honest.offer, price: '1' } };
    const before = await written();
    const reply = await review(forged);
    expect(reply).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          new RegExp(`^the offer names ${newHolder} as the holder, but its signature is by 0x`),
        ),
        details: { reason: 'offer-signer' },
      },
    });
    expect(await written()).toEqual(before);
  });

  it("offline, refuses M's own offer: the store's last-known holder is S", async () => {
    const honest = await offerFile(tokenId, 100_00n, 99_00n, newHolderKey);
    const before = await written();
    const message = `note ${tokenId} is held by ${seller} as of the last sync, not by ${newHolder} who signed the offer; accept it online to read who holds it now`;
    expect(await review(honest, true)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message },
    });
    const reply = await app.dispatch('notes.execute', {
      operation: accept(honest),
      pin: PIN,
      offline: true,
    });
    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message } });
    expect(await written()).toEqual(before);
  });

  it("online, shows M as the holder read from the ledger, and pays M for M's offer", async () => {
    const honest = await offerFile(tokenId, 100_00n, 99_00n, newHolderKey);
    const preview = await result('notes.preview', { operation: accept(honest) });
    expect(preview.note).toMatchObject({ holder: newHolder, source: 'chain' });
    const done = await result('notes.execute', {
      operation: accept(honest),
      reviewDigest: preview.reviewDigest,
      pin: PIN,
    });
    expect(done.transactions).toMatchObject([
      { kind: 'approve', status: 'confirmed' },
      { kind: 'note-finance', status: 'confirmed', summary: { holder: newHolder } },
    ]);
    expect(await balance(newHolder)).toBe(START + 99_00n);
    const [entry] = (await result('audit.list', { limit: 1 })).entries;
    expect(entry.subject).toMatchObject({ kind: 'note-finance', holder: newHolder });
  });
});
