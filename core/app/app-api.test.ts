import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerProfile } from '../api/profile.js';
import { writeActiveProfile } from '../ledger/profile-file.js';
import { addAccount } from '../store/accounts.js';
import { setChainMeta } from '../store/chain-meta.js';
import { openStore } from '../store/database.js';
import { addEvents } from '../store/history.js';
import { upsertAccountState } from '../store/ledger-state.js';
import { hex32, walletAccount } from '../store/test-fixtures.js';
import { type AppApi, createAppApi } from './app-api.js';

const chainId = 4242;
const alice = walletAccount(1);
const bob = walletAccount(2);
const contract = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as `0x${string}`;
const profile: LedgerProfile = {
  name: 'test ledger',
  chainId,
  // Nothing listens on port 1: every online step fails fast.
  rpc: ['http://127.0.0.1:1'],
  confirmations: 0,
  txType: 'eip1559',
  contracts: {
    currency: contract(0xc0),
    notes: contract(0xc1),
    safeSingleton: contract(0xc2),
    safeProxyFactory: contract(0xc3),
    multiSend: contract(0xc4),
    multiSendCallOnly: contract(0xc5),
    fallbackHandler: contract(0xc6),
  },
  deployBlock: 0,
  dev: true,
};

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
      ledgerProblem: expect.stringMatching(/^no ledger selected/),
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
      ledgerProblem: null,
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
      fee: { maxWei: '360000000000000', currency: 'native' },
      availableAfter: '87.66',
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

  it('lists the outbox, notes and audit entries (empty here)', async () => {
    expect(await result('outbox.list')).toEqual([]);
    expect(await result('notes.list')).toEqual([]);
    expect(await result('audit.list', { search: 'transfer' })).toEqual({ entries: [] });
  });
});
