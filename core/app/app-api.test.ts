import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAddress, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPortProfile, hex32, walletAccount } from '../../test/support/store-fixtures.js';
import { financeOfferTypes } from '../chain/abi.js';
import { parseProfile, writeActiveProfile } from '../chain/profile-file.js';
import { addAccount } from '../store/accounts.js';
import { setChainMeta } from '../store/chain-meta.js';
import { upsertAccountState, upsertNote } from '../store/chain-state.js';
import { openStore } from '../store/database.js';
import { addEvents } from '../store/history.js';
import { type AppApi, createAppApi } from './app-api.js';

const chainId = 4242;
const alice = walletAccount(1);
const bob = walletAccount(2);
const profile = closedPortProfile({ name: 'test ledger', chainId: chainId, confirmations: 0 });
/** A currency contract that is not the ledger's. */
const FOREIGN = getAddress(`0x${'f0'.repeat(20)}`);

let home: string;
let api: AppApi;
const call = (method: string, params: unknown = {}) => api.dispatch(method, params);
const result = async (method: string, params: unknown = {}) => {
  const reply = await call(method, params);
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result as any;
};

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'signet-app-api-'));
  const store = openStore(join(home, 'signet.sqlite'));
  addAccount(store, alice);
  addAccount(store, bob);
  upsertAccountState(store, {
    chainId,
    address: alice.address,
    balance: 10_000n,
    registered: true,
    frozen: false,
    chainNonce: 3,
    updatedBlock: 10,
  });
  setChainMeta(store, {
    chainId,
    head: 10,
    headTime: 1_800_000_000,
    baseFee: 10n ** 9n,
    gasPrice: 2n * 10n ** 9n,
  });
  addEvents(
    store,
    [1, 2, 3, 4, 5].map((n) => ({
      chainId,
      txHash: hex32(n),
      logIndex: 0,
      blockNumber: n,
      blockHash: hex32(100 + n),
      kind: 'transfer',
      from: bob.address,
      to: alice.address,
      amount: BigInt(n * 100),
      tokenId: null,
      timestamp: 1_800_000_000 + n,
      data: {},
    })),
  );
  upsertNote(store, {
    chainId,
    tokenId: 7n,
    holder: alice.address,
    slot: 1n,
    acceptor: bob.address,
    currency: profile.contracts.currency,
    maturity: 1_800_000_000 + 30 * 86_400,
    value: 50_000n,
    status: 'active',
    updatedBlock: 10,
  });
  // Notes a bank may be offered: one in the ledger's currency (bob holds it), one in a
  // currency the ledger does not know (alice holds it), one already due.
  const note = (tokenId: bigint, holder: string, currency: string, maturity: number) =>
    upsertNote(store, {
      chainId,
      tokenId,
      holder: holder as `0x${string}`,
      slot: tokenId,
      acceptor: bob.address,
      currency: currency as `0x${string}`,
      maturity,
      value: 100n,
      status: 'active',
      updatedBlock: 10,
    });
  note(9n, bob.address, profile.contracts.currency, 1_800_000_000 + 30 * 86_400);
  note(11n, alice.address, FOREIGN, 1_800_000_000 + 30 * 86_400);
  note(12n, bob.address, profile.contracts.currency, 1_800_000_000 - 86_400);
  store.close();
  api = createAppApi({ home, env: {} });
});
afterAll(() => {
  api.close();
  rmSync(home, { recursive: true, force: true });
});

describe('the app API with no ledger selected', () => {
  it('says so in app.info, and still lists accounts and the audit log', async () => {
    expect(await result('app.info')).toEqual({
      ledger: null,
      chainProblem: expect.stringMatching(/^no ledger selected/),
    });
    // Both accounts, in the store's order (creation time, then address: the two
    // may share a millisecond, so not necessarily the order they were added in).
    const names = (await result('accounts.list')).map((a: { name: string }) => a.name);
    expect([...names].sort()).toEqual(['Account 1', 'Account 2']);
    expect(await result('audit.verify')).toEqual({ intact: true, entries: 0 });
  });

  it('answers ledger methods with one PROFILE_INVALID line', async () => {
    const reply = await call('accounts.balances');
    expect(reply).toMatchObject({ ok: false, error: { code: 'PROFILE_INVALID' } });
  });
});

describe('the app API with a ledger whose nodes are all down', () => {
  beforeAll(() => writeActiveProfile(profile, { SIGNET_HOME: home }));

  it('reads the profile lazily', async () => {
    expect(await result('app.info')).toEqual({
      ledger: { name: 'test ledger', chainId, dev: true },
      chainProblem: null,
    });
  });

  it('shows balances as the CLI does', async () => {
    expect(await result('accounts.balances', { address: alice.address })).toEqual([
      {
        address: alice.address,
        name: 'Account 1',
        balance: '100.00',
        pending: '0.00',
        available: '100.00',
        registered: true,
        frozen: false,
        syncedBlock: 10,
      },
    ]);
  });

  it('pages history newest first with a cursor, to the end', async () => {
    const first = await result('history.page', { limit: 2 });
    expect(first.rows.map((r: { blockNumber: number }) => r.blockNumber)).toEqual([5, 4]);
    expect(first.rows[0]).toMatchObject({ amount: '5.00', logIndex: 0, tokenId: null });
    expect(first.next).toEqual({ blockNumber: 4, logIndex: 0 });
    const second = await result('history.page', { limit: 2, before: first.next });
    expect(second.rows.map((r: { blockNumber: number }) => r.blockNumber)).toEqual([3, 2]);
    const last = await result('history.page', {
      limit: 2,
      before: second.next,
      address: alice.address,
    });
    expect(last.rows.map((r: { blockNumber: number }) => r.blockNumber)).toEqual([1]);
    expect(last.next).toBeNull();
  });

  it('previews a payment offline: decoded, with nonce, chain id and the most it can cost', async () => {
    const preview = await result('wallet.previewSend', {
      from: 'pkcs11:token=Signet;object=key-1',
      to: bob.address,
      amount: '12.34',
    });
    expect(preview).toEqual({
      from: alice.address,
      fromKeyUri: alice.keyUri,
      to: bob.address,
      amount: '12.34',
      contract: profile.contracts.currency,
      chainId,
      nonce: 3,
      type: 'eip1559',
      gasLimit: '120000',
      maxFeePerGas: '3000000000', // twice the base fee plus 1 gwei tip
      maxPriorityFeePerGas: '1000000000',
      // 120,000 gas × 3 gwei, exactly, in the chain's coin (Ether's units by default).
      fee: { maxWei: '360000000000000', max: '0.00036', symbol: 'ETH' },
      availableAfter: '87.66',
      names: [
        { address: alice.address, kind: 'account', name: 'Account 1' },
        { address: bob.address, kind: 'account', name: 'Account 2' },
        { address: getAddress(profile.contracts.currency), kind: 'contract', role: 'currency' },
      ],
      reviewDigest: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
  });

  it('refuses a preview the wallet would refuse', async () => {
    const base = { from: alice.keyUri, to: bob.address };
    expect(await call('wallet.previewSend', { ...base, amount: '100.01' })).toMatchObject({
      ok: false,
      error: { code: 'INSUFFICIENT_BALANCE' },
    });
    expect(
      await call('wallet.previewSend', { ...base, from: 'pkcs11:object=nobody', amount: '1' }),
    ).toMatchObject({ ok: false, error: { code: 'ACCOUNT_UNKNOWN' } });
    expect(
      await call('wallet.previewSend', { ...base, from: bob.keyUri, amount: '1' }),
    ).toMatchObject(
      { ok: false, error: { code: 'ACCOUNT_UNKNOWN' } }, // never synced
    );
  });

  it('reports the ledger status with every node down, without failing', async () => {
    const status = await result('ledger.status');
    expect(status).toMatchObject({ name: 'test ledger', head: null, syncedBlock: null });
    expect(status.nodes).toEqual([
      expect.objectContaining({ url: 'http://127.0.0.1:1', state: 'down' }),
    ]);
    expect(status.outbox).toEqual({ signed: 0, sent: 0, included: 0, confirmed: 0, failed: 0 });
  });

  it('fails sync.run as a network error', async () => {
    const reply = await call('sync.run');
    expect(reply).toMatchObject({ ok: false, error: { code: 'NODE_UNREACHABLE' } });
  });

  it('lists the outbox and audit entries (empty here) and the note held', async () => {
    expect(await result('outbox.list')).toEqual([]);
    const row = { acceptor: bob.address, status: 'active' };
    const own = { currency: getAddress(profile.contracts.currency), currencyKnown: true };
    expect(await result('notes.list')).toEqual([
      { ...row, ...own, tokenId: '12', holder: bob.address, maturity: '2027-01-14', value: '1.00' },
      {
        ...row,
        ...own,
        tokenId: '7',
        holder: alice.address,
        maturity: '2027-02-14',
        value: '500.00',
      },
      { ...row, ...own, tokenId: '9', holder: bob.address, maturity: '2027-02-14', value: '1.00' },
      // Shown, but marked: a note in a currency the ledger does not know is not money.
      {
        ...row,
        currency: FOREIGN,
        currencyKnown: false,
        tokenId: '11',
        holder: alice.address,
        maturity: '2027-02-14',
        value: '1.00',
      },
    ]);
    expect(await result('audit.list', { search: 'transfer' })).toEqual({ entries: [] });
  });
});

describe('note operations reviewed offline (notes.preview)', () => {
  const preview = (operation: Record<string, unknown>) => call('notes.preview', { operation });
  const from = alice.keyUri;

  it('decodes a split back from its calldata: the ERC-3525 value transfer, nonce and fee', async () => {
    const reply = await result('notes.preview', {
      operation: { op: 'split', from, tokenId: '7', to: bob.address, value: '200.00' },
    });
    expect(reply).toEqual({
      op: 'split',
      from: alice.address,
      fromKeyUri: alice.keyUri,
      chainId,
      transactions: [
        {
          kind: 'note-split',
          contract: profile.contracts.notes,
          function: 'transferFrom',
          args: { fromTokenId: '7', to: bob.address, value: '20000' },
          nonce: 3,
          type: 'eip1559',
          gasLimit: '450000',
          maxFeePerGas: '3000000000',
          maxPriorityFeePerGas: '1000000000',
          fee: { maxWei: '1350000000000000', max: '0.00135', symbol: 'ETH' },
        },
      ],
      typedData: null,
      availableAfter: null,
      note: {
        tokenId: '7',
        holder: alice.address,
        acceptor: bob.address,
        currency: getAddress(profile.contracts.currency),
        currencyKnown: true,
        maturity: '2027-02-14',
        value: '500.00',
        status: 'active',
        source: 'store',
        asOfBlock: 10,
      },
      fee: { maxWei: '1350000000000000', max: '0.00135', symbol: 'ETH' },
      // Every address the review shows, the note's acceptor and currency included.
      names: [
        { address: alice.address, kind: 'account', name: 'Account 1' },
        { address: bob.address, kind: 'account', name: 'Account 2' },
        { address: getAddress(profile.contracts.currency), kind: 'contract', role: 'currency' },
        { address: getAddress(profile.contracts.notes), kind: 'contract', role: 'notes' },
      ],
      reviewDigest: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
  });

  it('shows an issue as two transactions: the note, then the approval that pays it at maturity', async () => {
    const reply = await result('notes.preview', {
      operation: {
        op: 'issue',
        from,
        payee: bob.address,
        faceValue: '1000.00',
        maturity: '2027-06-30',
      },
    });
    expect(
      reply.transactions.map((t: { function: string; nonce: number }) => [t.function, t.nonce]),
    ).toEqual([
      ['issue', 3],
      ['approve', 4],
    ]);
    expect(reply.transactions[0].args).toMatchObject({ faceValue: '100000' });
    expect(reply.transactions[1].args).toMatchObject({
      spender: getAddress(profile.contracts.notes),
      amount: (2n ** 256n - 1n).toString(),
    });
    // Both fees together: 400,000 + 80,000 gas at 3 gwei.
    expect(reply.fee).toEqual({ maxWei: '1440000000000000', max: '0.00144', symbol: 'ETH' });
  });

  it('shows a finance offer as the typed data the token signs, with the nonce it will sign', async () => {
    const nonce = hex32(99);
    const reply = await result('notes.preview', {
      operation: {
        op: 'finance-offer',
        from,
        tokenId: '7',
        bank: bob.address,
        value: '500.00',
        price: '490.00',
        deadline: '2027-01-31',
        nonce,
      },
    });
    expect(reply.transactions).toEqual([]);
    expect(reply.typedData).toEqual({
      primaryType: 'FinanceOffer',
      domain: {
        name: 'Signet Digital Note',
        version: '1',
        chainId: String(chainId),
        verifyingContract: profile.contracts.notes,
      },
      message: {
        tokenId: '7',
        value: '50000',
        bank: bob.address,
        price: '49000',
        deadline: String(Date.parse('2027-01-31T23:59:59Z') / 1000),
        nonce,
      },
    });
  });

  it('refuses, in one line, what the wallet would refuse', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ op: 'split', from, tokenId: '7', to: bob.address, value: '500.00' }, 'AMOUNT_INVALID'],
      [{ op: 'split', from, tokenId: '8', to: bob.address, value: '1.00' }, 'NOTE_NOT_FOUND'],
      [{ op: 'redeem', from, tokenId: '7' }, 'NOTE_NOT_MATURE'],
      [{ op: 'endorse', from: bob.keyUri, tokenId: '7', to: alice.address }, 'ACCOUNT_UNKNOWN'],
      [
        { op: 'issue', from, payee: bob.address, faceValue: '1.00', maturity: '2026-01-01' },
        'INVALID_ARGUMENT',
      ],
      [
        { op: 'issue', from, payee: bob.address, faceValue: '1.00', maturity: '2027-02-30' },
        'INVALID_ARGUMENT',
      ],
      [{ op: 'melt', from, tokenId: '7' }, 'INVALID_ARGUMENT'],
    ];
    for (const [operation, code] of cases) {
      const reply = await preview(operation);
      expect(reply, JSON.stringify(operation)).toMatchObject({ ok: false, error: { code } });
      if (!reply.ok) expect(reply.error.message).not.toContain('\n');
    }
  });

  /**
   * An offer for `tokenId` to the bank alice, signed with `key` (walletAccount's
   * key n is hex32(n)) over the note contract's EIP-712 domain, naming its signer
   * as the holder unless `holder` says otherwise.
   */
  async function signedOffer(
    key: Hex,
    terms: { tokenId: string; value?: string; price?: string; nonce?: Hex },
    holder?: string,
  ) {
    const signer = privateKeyToAccount(key);
    const offer = {
      value: '100',
      bank: alice.address,
      price: '90',
      deadline: '1900000000',
      nonce: hex32(5),
      ...terms,
    };
    const signature = await signer.signTypedData({
      domain: {
        name: 'Signet Digital Note',
        version: '1',
        chainId,
        verifyingContract: profile.contracts.notes,
      },
      types: financeOfferTypes,
      primaryType: 'FinanceOffer',
      message: {
        tokenId: BigInt(offer.tokenId),
        value: BigInt(offer.value),
        bank: offer.bank,
        price: BigInt(offer.price),
        deadline: BigInt(offer.deadline),
        nonce: offer.nonce,
      },
    });
    return {
      type: 'signet-finance-offer',
      chainId,
      notes: profile.contracts.notes,
      holder: holder ?? signer.address,
      offer,
      signature,
    };
  }
  const BOB_KEY = hex32(2);
  /** A key that holds nothing in this store. */
  const MALLORY_KEY = hex32(6);
  const accept = (offer: unknown, offline = true) =>
    call('notes.preview', { operation: { op: 'finance-accept', from, offer }, offline });

  it('refuses a finance offer file for another chain, or made to another bank', async () => {
    const offer = await signedOffer(BOB_KEY, { tokenId: '9' });
    expect(await accept({ ...offer, chainId: 1 })).toMatchObject({
      ok: false,
      error: { code: 'WRONG_CHAIN' },
    });
    expect(await accept({ ...offer, offer: { ...offer.offer, bank: bob.address } })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/made to bank/) },
    });
    expect(await accept({ ...offer, signature: '0x12' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    // A well-formed offer to alice, reviewed offline: the price comes off what she has available.
    const ok = await result('notes.preview', {
      operation: { op: 'finance-accept', from, offer },
      offline: true,
    });
    expect(ok.transactions.map((t: { function: string }) => t.function)).toEqual([
      'approve',
      'finance',
    ]);
    expect(ok.availableAfter).toBe('99.10');
    // The offer shows field by field, each readable (and its bank named) on its own.
    expect(ok.transactions[1].args).toEqual({
      'offer.tokenId': '9',
      'offer.value': '100',
      'offer.bank': alice.address,
      'offer.price': '90',
      'offer.deadline': '1900000000',
      'offer.nonce': hex32(5),
      signature: offer.signature,
    });
    expect(ok.names).toContainEqual({ address: alice.address, kind: 'account', name: 'Account 1' });
    // The review names the note sold: who pays it, who holds it, in what, when, and
    // that this is the last sync's word, not the ledger's now.
    expect(ok.note).toMatchObject({
      tokenId: '9',
      holder: bob.address,
      acceptor: bob.address,
      currencyKnown: true,
      maturity: '2027-02-14',
      value: '1.00',
      source: 'store',
      asOfBlock: 10,
    });
  });

  it("recovers who signed an offer before anything else, and refuses one that is not the named holder's", async () => {
    const signed = await signedOffer(BOB_KEY, { tokenId: '9' });
    const cases: Array<[string, unknown, string, RegExp]> = [
      [
        'a signature of random bytes',
        { ...signed, signature: `0x${'11'.repeat(65)}` },
        'offer-signature-invalid',
        /^the offer's signature is not a valid signature$/,
      ],
      [
        'the price raised after signing',
        { ...signed, offer: { ...signed.offer, price: '1' } },
        'offer-signer',
        new RegExp(`^the offer names ${bob.address} as the holder, but its signature is by 0x`),
      ],
      [
        'signed by another key, naming the holder',
        await signedOffer(MALLORY_KEY, { tokenId: '9' }, bob.address),
        'offer-signer',
        new RegExp(
          `^the offer names ${bob.address} as the holder, but its signature is by ${privateKeyToAccount(MALLORY_KEY).address}: `,
        ),
      ],
    ];
    for (const [label, offer, reason, message] of cases) {
      for (const offline of [true, false]) {
        const reply = await accept(offer, offline);
        expect(reply, `${label}, offline ${offline}`).toMatchObject({
          ok: false,
          error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) },
        });
        if (!reply.ok) expect(reply.error.details).toMatchObject({ reason });
      }
    }
  });

  it('offline, refuses an offer signed by anyone but the holder the last sync knows, saying so', async () => {
    const mallory = privateKeyToAccount(MALLORY_KEY).address;
    const reply = await accept(await signedOffer(MALLORY_KEY, { tokenId: '9' }));
    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: `note 9 is held by ${bob.address} as of the last sync, not by ${mallory} who signed the offer; accept it online to read who holds it now`,
        details: {
          reason: 'not-the-holder',
          tokenId: '9',
          holder: bob.address,
          signer: mallory,
          source: 'store',
        },
      },
    });
  });

  it('online, reads the note from the nodes even when the store knows it', async () => {
    // The store knows note 9; its only node is down, so the facts cannot be had now.
    const reply = await accept(await signedOffer(BOB_KEY, { tokenId: '9' }), false);
    expect(reply).toMatchObject({
      ok: false,
      error: {
        code: 'NODE_UNREACHABLE',
        message: expect.stringMatching(/^cannot read note 9 from the ledger to check the offer: /),
      },
    });
  });

  it('checks the note an offer sells before the bank signs anything', async () => {
    const offer = (tokenId: string, value = '100') =>
      signedOffer(BOB_KEY, { tokenId, value, nonce: hex32(6) });
    const cases: Array<[unknown, string, RegExp]> = [
      [
        await offer('11'),
        'NOTE_CURRENCY_UNKNOWN',
        /^note 11 is payable in 0x[fF0]{40}, not in this ledger's currency 0x0+c1$/,
      ],
      [
        await offer('12'),
        'NOTE_MATURED',
        /^note 12 matured on 2027-01-14; it can only be redeemed, not financed$/,
      ],
      [
        await offer('9', '101'),
        'AMOUNT_INVALID',
        /^the offer sells 1\.01 of note 9, which holds 1\.00 as of the last sync$/,
      ],
    ];
    for (const [o, code, message] of cases) {
      const reply = await accept(o);
      expect(reply, JSON.stringify(o)).toMatchObject({
        ok: false,
        error: { code, message: expect.stringMatching(message) },
      });
      if (!reply.ok) expect(reply.error.message).not.toContain('\n');
    }
    // Unknown to the store, and no node answers: the facts cannot be had.
    expect(await accept(await offer('13'), false)).toMatchObject({
      ok: false,
      error: {
        code: 'NODE_UNREACHABLE',
        message: expect.stringMatching(/^cannot read note 13 from the ledger to check the offer: /),
      },
    });
    // Offline, a note the store does not know is refused without asking anyone.
    const offline = await call('notes.execute', {
      operation: { op: 'finance-accept', from, offer: await offer('13') },
      offline: true,
    });
    expect(offline).toMatchObject({
      ok: false,
      error: {
        code: 'NOTE_NOT_FOUND',
        message: expect.stringMatching(/cannot be checked offline/),
      },
    });
  });

  it('writes nothing while previewing', async () => {
    expect(await result('outbox.list')).toEqual([]);
    expect(await result('audit.verify')).toEqual({ intact: true, entries: 0 });
  });
});

describe('what is reviewed is what is signed', () => {
  const payment = { from: alice.keyUri, to: bob.address, amount: '12.34' };
  const split = { op: 'split', from: alice.keyUri, tokenId: '7', to: bob.address, value: '1.00' };
  /** Writes to the store as another process (a sync, the CLI) would. */
  const elsewhere = (fn: (store: ReturnType<typeof openStore>) => void) => {
    const store = openStore(join(home, 'signet.sqlite'));
    try {
      fn(store);
    } finally {
      store.close();
    }
  };
  const meta = { chainId, head: 10, headTime: 1_800_000_000, gasPrice: 2n * 10n ** 9n };
  const aliceState = {
    chainId,
    address: alice.address,
    balance: 10_000n,
    registered: true,
    frozen: false,
    updatedBlock: 10,
  };
  const nothingWritten = async () => {
    expect(await result('outbox.list')).toEqual([]);
    expect(await result('audit.verify')).toEqual({ intact: true, entries: 0 });
  };
  /** The reply got past the review check: it reached the token (there is none here). */
  const pastTheCheck = (reply: Awaited<ReturnType<typeof call>>) => {
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(['REVIEW_STALE', 'INVALID_ARGUMENT']).not.toContain(reply.error.code);
  };

  it('gives the same digest for the same request, another for another amount', async () => {
    const a = await result('wallet.previewSend', payment);
    const b = await result('wallet.previewSend', payment);
    const c = await result('wallet.previewSend', { ...payment, amount: '12.35' });
    expect(a.reviewDigest).toBe(b.reviewDigest);
    expect(c.reviewDigest).not.toBe(a.reviewDigest);
  });

  it('refuses a payment from the UI that names no review, before any token is opened', async () => {
    const reply = await call('wallet.send', { ...payment, pin: '1234' });
    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', details: { reason: 'review-missing' } },
    });
    expect(await call('notes.execute', { operation: split, pin: '1234' })).toMatchObject({
      ok: false,
      error: { details: { reason: 'review-missing' } },
    });
    await nothingWritten();
  });

  it('refuses a forged digest in one line, before the PIN is even asked for', async () => {
    const reply = await call('wallet.send', { ...payment, reviewDigest: hex32(1) });
    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'REVIEW_STALE',
        message: 'the ledger changed since you reviewed; review again',
        details: {
          reviewed: hex32(1),
          current: (await result('wallet.previewSend', payment)).reviewDigest,
        },
      },
    });
    await nothingWritten();
  });

  it('refuses a payment whose fee moved since the review (a sync came between), then signs the fresh review', async () => {
    const reviewed = await result('wallet.previewSend', payment);
    elsewhere((store) => setChainMeta(store, { ...meta, baseFee: 2n * 10n ** 9n }));
    try {
      const stale = await call('wallet.send', { ...payment, reviewDigest: reviewed.reviewDigest });
      expect(stale).toMatchObject({ ok: false, error: { code: 'REVIEW_STALE' } });
      await nothingWritten();
      const fresh = await result('wallet.previewSend', payment);
      expect(fresh.maxFeePerGas).toBe('5000000000');
      expect(fresh.reviewDigest).not.toBe(reviewed.reviewDigest);
      pastTheCheck(await call('wallet.send', { ...payment, reviewDigest: fresh.reviewDigest }));
    } finally {
      elsewhere((store) => setChainMeta(store, { ...meta, baseFee: 10n ** 9n }));
    }
  });

  it('refuses a digest reviewed for another request (another payee)', async () => {
    const reviewed = await result('wallet.previewSend', payment);
    const other = { ...payment, to: alice.address, reviewDigest: reviewed.reviewDigest };
    expect(await call('wallet.send', other)).toMatchObject({
      ok: false,
      error: { code: 'REVIEW_STALE' },
    });
    await nothingWritten();
  });

  it('refuses a note operation whose nonce moved since the review', async () => {
    const reviewed = await result('notes.preview', { operation: split });
    expect(reviewed.transactions[0].nonce).toBe(3);
    elsewhere((store) => upsertAccountState(store, { ...aliceState, chainNonce: 4 }));
    try {
      const stale = await call('notes.execute', {
        operation: split,
        reviewDigest: reviewed.reviewDigest,
      });
      expect(stale).toMatchObject({ ok: false, error: { code: 'REVIEW_STALE' } });
      await nothingWritten();
      const fresh = await result('notes.preview', { operation: split });
      expect(fresh.transactions[0].nonce).toBe(4);
      pastTheCheck(
        await call('notes.execute', { operation: split, reviewDigest: fresh.reviewDigest }),
      );
    } finally {
      elsewhere((store) => upsertAccountState(store, { ...aliceState, chainNonce: 3 }));
    }
  });

  it('signs a finance offer only with the nonce it reviewed', async () => {
    const terms = {
      op: 'finance-offer',
      from: alice.keyUri,
      tokenId: '7',
      bank: bob.address,
      price: '490.00',
      deadline: '2027-01-31',
    };
    const reviewed = await result('notes.preview', { operation: terms });
    const nonce = reviewed.typedData.message.nonce;
    // Without the nonce the offer would get a fresh one: another offer than the one reviewed.
    expect(
      await call('notes.execute', { operation: terms, reviewDigest: reviewed.reviewDigest }),
    ).toMatchObject({ ok: false, error: { code: 'REVIEW_STALE' } });
    expect(
      await call('notes.execute', {
        operation: { ...terms, nonce: hex32(3) },
        reviewDigest: reviewed.reviewDigest,
      }),
    ).toMatchObject({ ok: false, error: { code: 'REVIEW_STALE' } });
    await nothingWritten();
    pastTheCheck(
      await call('notes.execute', {
        operation: { ...terms, nonce },
        reviewDigest: reviewed.reviewDigest,
      }),
    );
  });

  it('asks the CLI for no digest (it has no review step), but checks one it gives', async () => {
    const noPins = { get: async () => undefined } as never;
    const refusedCode = async (run: Promise<unknown>) =>
      run.then(
        () => 'signed',
        (error: { code: string }) => error.code,
      );
    expect(await refusedCode(api.call('wallet.send', payment, noPins))).not.toMatch(
      /^(REVIEW_STALE|INVALID_ARGUMENT|signed)$/,
    );
    expect(
      await refusedCode(api.call('wallet.send', { ...payment, reviewDigest: hex32(2) }, noPins)),
    ).toBe('REVIEW_STALE');
    await nothingWritten();
  });
});

describe('the address book, and names on reviews', () => {
  const carol = walletAccount(3).address;
  const dave = walletAccount(4).address;

  it('adds, lists, renames and removes entries, and names them on a review', async () => {
    expect(await result('addressBook.list')).toEqual([]);
    expect(
      await result('addressBook.add', { address: carol.toLowerCase(), name: 'Carol' }),
    ).toMatchObject({
      address: carol,
      name: 'Carol',
    });
    await result('addressBook.rename', { address: carol, name: 'Carol’s shop' });
    expect((await result('addressBook.list')).map((e: { name: string }) => e.name)).toEqual([
      'Carol’s shop',
    ]);

    const toCarol = await result('wallet.previewSend', {
      from: alice.keyUri,
      to: carol,
      amount: '1.00',
    });
    expect(toCarol.names).toContainEqual({
      address: carol,
      kind: 'address-book',
      name: 'Carol’s shop',
    });
    const toDave = await result('wallet.previewSend', {
      from: alice.keyUri,
      to: dave,
      amount: '1.00',
    });
    expect(toDave.names).toContainEqual({ address: dave, kind: 'unknown' });

    expect(await result('addressBook.remove', { address: carol })).toMatchObject({
      address: carol,
    });
    expect(await result('addressBook.list')).toEqual([]);
    // Each change is in the audit log, which stays intact.
    const audit = await result('audit.list', { search: 'address-book' });
    expect(audit.entries.map((e: { action: string }) => e.action)).toEqual([
      'address-book-remove',
      'address-book-rename',
      'address-book-add',
    ]);
    expect(await result('audit.verify')).toMatchObject({ intact: true });
  });

  it("refuses to name the ledger's contracts or the wallet's accounts, and bad names, in one line", async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ address: profile.contracts.currency, name: 'Cash' }, 'INVALID_ARGUMENT', 'chain-contract'],
      [{ address: alice.address, name: 'Me' }, 'INVALID_ARGUMENT', 'own-account'],
      [{ address: carol, name: 'account 1' }, 'INVALID_ARGUMENT', 'name-taken'],
    ];
    for (const [params, code, reason] of cases) {
      const reply = await call('addressBook.add', params);
      expect(reply, JSON.stringify(params)).toMatchObject({
        ok: false,
        error: { code, details: { reason } },
      });
    }
    for (const name of ['', 'x'.repeat(65), 'Carol\u202E', 'Carol\u200D']) {
      const reply = await call('addressBook.add', { address: carol, name });
      expect(reply, JSON.stringify(name)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT', details: { field: 'name' } },
      });
      if (!reply.ok) expect(reply.error.message).not.toContain('\n');
    }
    expect(
      await call('addressBook.add', { address: `0x${'1'.repeat(39)}`, name: 'Short' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', details: { field: 'address' } },
    });
    expect(await result('addressBook.list')).toEqual([]);
  });
});

describe("fees in the chain's own coin", () => {
  afterAll(() => writeActiveProfile(profile, { SIGNET_HOME: home }));

  it("shows the maximum fee in the profile's native currency, exactly", async () => {
    writeActiveProfile(
      { ...profile, nativeCurrency: { name: 'Quorum gas', symbol: 'QGAS', decimals: 9 } },
      { SIGNET_HOME: home },
    );
    const preview = await result('wallet.previewSend', {
      from: alice.keyUri,
      to: bob.address,
      amount: '1.00',
    });
    expect(preview.fee).toEqual({ maxWei: '360000000000000', max: '360000', symbol: 'QGAS' });
    writeActiveProfile(
      { ...profile, nativeCurrency: { name: 'Tiny', symbol: 'T', decimals: 36 } },
      { SIGNET_HOME: home },
    );
    const tiny = await result('wallet.previewSend', {
      from: alice.keyUri,
      to: bob.address,
      amount: '1.00',
    });
    // 3.6e14 in units of 1e-36: every digit kept, no float anywhere.
    expect(tiny.fee.max).toBe('0.00000000000000000000036');
  });

  it('refuses a profile whose native currency makes no sense, naming the field', () => {
    for (const nativeCurrency of [
      { name: 'X', symbol: 'E T H', decimals: 18 },
      { name: 'X', symbol: 'ETH', decimals: 37 },
      { name: 'X', symbol: 'ETH', decimals: 1.5 },
    ]) {
      expect(() => parseProfile(JSON.stringify({ ...profile, nativeCurrency }), 'p.json')).toThrow(
        /^ledger profile p\.json is malformed: nativeCurrency\./,
      );
    }
  });
});
