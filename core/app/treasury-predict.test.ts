/**
 * A treasury predicted and reviewed before it is created: `treasury.predict`
 * answers the address (offline: the profile's only node is a closed port), the
 * owners as the Safe stores them and a salt nonce, and a digest over what
 * decides which treasury is created; `treasury.create` from the UI creates only
 * that one. Every refusal here comes before any token is opened (the sender's
 * key URI names a token that does not exist: reaching it answers otherwise),
 * and leaves no treasury stored and no transaction queued.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OFFLINE_CHAIN_ID,
  PAYEE,
  seedSyncedAccount,
  selectOfflineChain,
} from '../../test/support/offline-wallet.js';
import { walletAccount } from '../../test/support/store-fixtures.js';
import type { ChainProfile } from '../api/profile.js';
import type { ApiReply } from '../api/transport.js';
import { predictSafeAddress, safeSetupData } from '../chain/safe.js';
import { addAccount } from '../store/accounts.js';
import { openStore } from '../store/database.js';
import { listOutbox } from '../store/outbox.js';
import { listTreasuries } from '../store/treasuries.js';
import { createDigest } from '../treasury/create-digest.js';
import { type AppApi, createAppApi } from './app-api.js';

const alice = walletAccount(1);
const bob = walletAccount(2);

let home: string;
let profile: ChainProfile;
let api: AppApi;

interface Predicted {
  chainId: number;
  address: string;
  owners: string[];
  threshold: number;
  saltNonce: string;
  factory: string;
  sender: string;
  names: Array<{ address: string; kind: string; name?: string }>;
  reviewDigest: string;
}

const ui = (method: string, params: unknown) => api.dispatch(method, params);
const answered = <T>(reply: ApiReply): T => {
  if (!reply.ok) throw new Error(`${reply.error.code} ${reply.error.message}`);
  return reply.result as T;
};
const refused = (reply: ApiReply) => {
  expect(reply.ok, JSON.stringify(reply).slice(0, 300)).toBe(false);
  if (reply.ok) throw new Error('answered');
  expect(reply.error.message).not.toContain('\n');
  return reply.error;
};
/** What the CLI's door threw (it has no review step), or null when it answered. */
async function cliError(request: unknown): Promise<{ code: string; message: string } | null> {
  try {
    await api.call('treasury.create', request as never, async () => Buffer.from('1234'));
    return null;
  } catch (error) {
    return error as { code: string; message: string };
  }
}
/** Nothing was created: no treasury stored, no transaction queued. */
function expectNothingCreated() {
  const store = openStore(join(home, 'signet.sqlite'));
  try {
    expect(listTreasuries(store, OFFLINE_CHAIN_ID)).toEqual([]);
    expect(listOutbox(store, OFFLINE_CHAIN_ID)).toEqual([]);
  } finally {
    store.close();
  }
}

/** A 2-of-3 treasury: Alice by key URI, Bob and the payee by address (lower case). */
const request = (extra: Record<string, unknown> = {}) => ({
  name: 'Ops',
  owners: [alice.keyUri, bob.address.toLowerCase(), PAYEE.toLowerCase()],
  threshold: 2,
  from: alice.keyUri,
  ...extra,
});

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'signet-treasury-predict-'));
  profile = selectOfflineChain(home);
  const store = openStore(join(home, 'signet.sqlite'));
  addAccount(store, alice);
  store.close();
  seedSyncedAccount(home, alice.address);
  api = createAppApi({ home, env: {} });
});

afterAll(() => {
  api.close();
  rmSync(home, { recursive: true, force: true });
});

describe('treasury.predict', () => {
  it('answers, with no node, the address CREATE2 gives the Safe, its owners as stored and M of N', async () => {
    const predicted = answered<Predicted>(
      await ui('treasury.predict', request({ saltNonce: '42' })),
    );
    const owners = [alice.address, bob.address, PAYEE].map((a) => getAddress(a));
    const initializer = safeSetupData(owners, 2, profile.contracts.fallbackHandler);
    expect(predicted).toMatchObject({
      chainId: OFFLINE_CHAIN_ID,
      address: predictSafeAddress(
        profile.contracts.safeProxyFactory,
        profile.contracts.safeSingleton,
        initializer,
        42n,
      ),
      owners,
      threshold: 2,
      saltNonce: '42',
      factory: profile.contracts.safeProxyFactory,
      sender: getAddress(alice.address),
    });
    expect(predicted.names).toEqual([
      { address: owners[0], kind: 'account', name: alice.name },
      { address: owners[1], kind: 'unknown' },
      { address: owners[2], kind: 'unknown' },
      { address: owners[0], kind: 'account', name: alice.name },
    ]);
    expect(predicted.reviewDigest).toMatch(/^0x[0-9a-f]{64}$/);
    expectNothingCreated();
  });

  it('is deterministic for a given salt; without one it picks a fresh salt and returns it', async () => {
    const a = answered<Predicted>(await ui('treasury.predict', request({ saltNonce: '7' })));
    const b = answered<Predicted>(await ui('treasury.predict', request({ saltNonce: '7' })));
    expect(b).toEqual(a);
    const fresh = answered<Predicted>(await ui('treasury.predict', request()));
    const again = answered<Predicted>(await ui('treasury.predict', request()));
    expect(fresh.saltNonce).not.toBe(again.saltNonce);
    expect(fresh.address).not.toBe(again.address);
    const same = answered<Predicted>(
      await ui('treasury.predict', request({ saltNonce: fresh.saltNonce })),
    );
    expect(same).toEqual(fresh);
  });

  it('refuses what create would refuse, with the same errors', async () => {
    expect(refused(await ui('treasury.predict', request({ threshold: 4 })))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { reason: 'threshold-invalid' },
    });
    expect(
      refused(await ui('treasury.predict', request({ owners: [bob.address, bob.address] }))),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', details: { reason: 'owner-duplicate' } });
    expect(refused(await ui('treasury.predict', request({ from: bob.keyUri }))).code).toBe(
      'ACCOUNT_UNKNOWN',
    );
    expect(refused(await ui('treasury.predict', request({ pin: '1234' }))).message).toBe(
      'invalid treasury.predict request: unknown field "pin"',
    );
  });
});

describe('treasury.create names the prediction it shows', () => {
  it('from the UI without a review digest: refused, nothing created', async () => {
    const { saltNonce } = answered<Predicted>(await ui('treasury.predict', request()));
    const error = refused(await ui('treasury.create', request({ saltNonce, pin: '1234' })));
    expect(error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message:
        'nothing is signed from the UI without the review digest of the preview the user saw',
      details: { field: 'reviewDigest', reason: 'review-missing' },
    });
    expectNothingCreated();
  });

  it('from the UI without the salt nonce predict returned: refused, nothing created', async () => {
    const { reviewDigest } = answered<Predicted>(await ui('treasury.predict', request()));
    const error = refused(await ui('treasury.create', request({ reviewDigest, pin: '1234' })));
    expect(error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'a treasury is created from the UI with the salt nonce its prediction showed',
      details: { field: 'saltNonce', reason: 'salt-missing' },
    });
    expectNothingCreated();
  });

  it('from the UI with the review of another treasury: REVIEW_STALE, nothing created', async () => {
    const shown = answered<Predicted>(await ui('treasury.predict', request({ saltNonce: '9' })));
    const other: Array<[string, Record<string, unknown>]> = [
      ['another owner list', { owners: [alice.keyUri, bob.address] }],
      ['the owners in another order', { owners: [bob.address, alice.keyUri, PAYEE] }],
      ['another threshold', { threshold: 3 }],
      ['another salt', { saltNonce: '10' }],
    ];
    for (const [label, change] of other) {
      const error = refused(
        await ui(
          'treasury.create',
          request({ saltNonce: '9', reviewDigest: shown.reviewDigest, pin: '1234', ...change }),
        ),
      );
      expect(error.code, label).toBe('REVIEW_STALE');
      expect(error.details, label).toMatchObject({ reviewed: shown.reviewDigest });
    }
    expectNothingCreated();
  });

  it('the digest covers the chain, the factory, the calldata, the address and the sender', async () => {
    const shown = answered<Predicted>(await ui('treasury.predict', request({ saltNonce: '9' })));
    const deployment = {
      factory: shown.factory as `0x${string}`,
      address: shown.address as `0x${string}`,
      data: '0x' as `0x${string}`,
    };
    const base = createDigest(OFFLINE_CHAIN_ID, alice.address, deployment);
    const moved = [
      createDigest(OFFLINE_CHAIN_ID + 1, alice.address, deployment),
      createDigest(OFFLINE_CHAIN_ID, bob.address, deployment),
      createDigest(OFFLINE_CHAIN_ID, alice.address, { ...deployment, factory: bob.address }),
      createDigest(OFFLINE_CHAIN_ID, alice.address, { ...deployment, address: bob.address }),
      createDigest(OFFLINE_CHAIN_ID, alice.address, { ...deployment, data: '0x00' }),
    ];
    expect(new Set([base, ...moved]).size).toBe(6);
  });

  it('from the UI as predicted: past the review, on to the token (which does not exist here)', async () => {
    const shown = answered<Predicted>(await ui('treasury.predict', request()));
    const error = refused(
      await ui(
        'treasury.create',
        request({ saltNonce: shown.saltNonce, reviewDigest: shown.reviewDigest, pin: '1234' }),
      ),
    );
    expect(['INVALID_ARGUMENT', 'REVIEW_STALE']).not.toContain(error.code);
    expect(error.message).toMatch(/token/i);
    expectNothingCreated();
  });

  it('from the CLI without a digest or salt: no review step, on to the token', async () => {
    const error = await cliError({ ...request(), offline: true });
    expect(error).not.toBeNull();
    expect(['INVALID_ARGUMENT', 'REVIEW_STALE']).not.toContain(error?.code);
    expect(error?.message).toMatch(/token/i);
    // A digest the CLI names is checked all the same.
    const stale = await cliError({
      ...request({ saltNonce: '1', reviewDigest: `0x${'ab'.repeat(32)}` }),
      offline: true,
    });
    expect(stale?.code).toBe('REVIEW_STALE');
    expectNothingCreated();
  });
});
