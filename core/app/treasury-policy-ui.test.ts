/**
 * The stored treasury policy holds from the UI's door (origin `ui`): a page
 * cannot swap it for a laxer one, neither an older file signed by the owners
 * nor one signed by keys its own hostile bundle lists as owners (the owners a
 * bundle carries are not signed). A proposal the policy refuses is logged as a
 * rejection; a bundle that does not decode is not logged. Every refusal here
 * comes before any token is opened (alice's account names a token that does
 * not exist: reaching it would answer otherwise).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_CHAIN_ID,
  TEST_SAFE,
  testAccounts,
  testOwners,
  unsignedBundle,
} from '../../test/fixtures/approval-bundles.js';
import {
  anyTime,
  STRANGER,
  SUPPLIER,
  signedPolicy,
  testPolicy,
  transferTx,
} from '../../test/fixtures/treasury-policies.js';
import { closedPortProfile, walletAccount } from '../../test/support/store-fixtures.js';
import type { ApiReply } from '../api/transport.js';
import { writeActiveProfile } from '../chain/profile-file.js';
import { safeTxHash } from '../chain/safe.js';
import { addAccount } from '../store/accounts.js';
import { listAudit } from '../store/audit-log.js';
import { openStore } from '../store/database.js';
import { addTreasury } from '../store/treasuries.js';
import { storeTreasuryPolicy } from '../store/treasury-policies.js';
import type { ApprovalBundle } from '../treasury/approval-bundle.js';
import { encodeBundle } from '../treasury/bundle-codec.js';
import { encodePolicyFile } from '../treasury/policy-file.js';
import { type AppApi, createAppApi } from './app-api.js';

const alice = walletAccount(1);
const profile = closedPortProfile({
  name: 'test ledger',
  chainId: TEST_CHAIN_ID,
  confirmations: 0,
});
/** The treasury's owners: test keys 0 to 2 and alice, 2 of 4. Keys 3 and 4 are strangers. */
const owners = [...testOwners, alice.address];

let home: string;
let api: AppApi;

/** Stored: version 3, 150.00 a payment, at any time, signed by two owners. */
const stored = async () => encodePolicyFile(await signedPolicy([0, 1], anyTime(testPolicy())));

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'signet-treasury-policy-ui-'));
  const store = openStore(join(home, 'signet.sqlite'));
  addAccount(store, alice);
  addTreasury(store, {
    chainId: TEST_CHAIN_ID,
    address: TEST_SAFE,
    name: 'Vault',
    owners,
    threshold: 2,
    saltNonce: 1n,
  });
  storeTreasuryPolicy(store, {
    chainId: TEST_CHAIN_ID,
    safe: TEST_SAFE,
    version: 3,
    file: await stored(),
  });
  store.close();
  writeActiveProfile(profile, { SIGNET_HOME: home });
  api = createAppApi({ home, env: {} });
});

afterAll(() => {
  api.close();
  rmSync(home, { recursive: true, force: true });
});

function audit() {
  const store = openStore(join(home, 'signet.sqlite'));
  try {
    return listAudit(store, { limit: 100 });
  } finally {
    store.close();
  }
}

/** treasury.approve from the UI, offline, with the digest of what it would sign. */
async function approve(bundle: ApprovalBundle, policy?: string) {
  const reply: ApiReply = await api.dispatch('treasury.approve', {
    bundle: await encodeBundle(bundle),
    key: alice.keyUri,
    offline: true,
    pin: '1234',
    reviewDigest: safeTxHash(bundle.chainId, bundle.safe, bundle.proposal.tx).toLowerCase(),
    ...(policy === undefined ? {} : { policy }),
  });
  expect(reply.ok, JSON.stringify(reply).slice(0, 300)).toBe(false);
  if (reply.ok) throw new Error('answered');
  expect(reply.error.message).not.toContain('\n');
  return reply.error;
}

/** 200.00 to an allow-listed supplier: over the stored policy's 150.00 a payment. */
const overLimit = (extra: Partial<ApprovalBundle> = {}) =>
  unsignedBundle({
    owners,
    proposal: { tx: transferTx(SUPPLIER, 200_00n), description: 'Pay the supplier 200.00' },
    ...extra,
  });

describe('the stored policy from the UI', () => {
  it('refuses a proposal over its limit and logs the rejection', async () => {
    const before = audit().length;
    const error = await approve(overLimit());
    expect(error.code).toBe('POLICY_VIOLATION');
    const entries = audit();
    expect(entries).toHaveLength(before + 1);
    expect(entries[0]).toMatchObject({
      action: 'reject-safe-tx',
      keyUri: alice.keyUri,
      subject: {
        chainId: TEST_CHAIN_ID,
        safe: TEST_SAFE,
        nonce: '7',
        description: 'Pay the supplier 200.00',
        rule: 'per-payment',
        reason: error.message,
      },
    });
  });

  it('a bundle listing its own owners cannot bring a lax policy they signed', async () => {
    // The page's bundle: alice and two strangers own the treasury, 1 of 3; its policy,
    // version 9, allows anything and is signed by a stranger.
    const hostile = overLimit({
      owners: [alice.address, testAccounts[3]!.address, testAccounts[4]!.address],
      threshold: 1,
    });
    const lax = anyTime(
      testPolicy({
        version: 9,
        currencies: [
          {
            currency: testPolicy().currencies[0]!.currency,
            decimals: 2,
            perPayment: 10n ** 12n,
            daily: 10n ** 12n,
          },
        ],
      }),
    );
    const error = await approve(hostile, encodePolicyFile(await signedPolicy([3], lax)));
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toBe(
      `the treasury policy ${testAccounts[3]!.address} signed this policy but is not an owner of the treasury`,
    );
    // Nor does the stored policy give way to the bundle's owners.
    expect((await approve(hostile)).code).toBe('POLICY_VIOLATION');
  });

  it('refuses a policy file older than the stored one, signed by the owners though it is', async () => {
    const lax = anyTime(
      testPolicy({
        version: 2,
        currencies: [
          {
            currency: testPolicy().currencies[0]!.currency,
            decimals: 2,
            perPayment: 10n ** 12n,
            daily: 10n ** 12n,
          },
        ],
      }),
    );
    const error = await approve(overLimit(), encodePolicyFile(await signedPolicy([0, 1], lax)));
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toMatch(/is version 2, older than version 3 already seen/);
  });

  it('a bundle that does not decode is refused and not logged', async () => {
    const before = audit().length;
    const reply = await api.dispatch('treasury.approve', {
      bundle: 'not a bundle',
      key: alice.keyUri,
      offline: true,
      reviewDigest: `0x${'ab'.repeat(32)}`,
    });
    expect(reply.ok).toBe(false);
    expect(audit()).toHaveLength(before);
  });
});

describe('names on a treasury review', () => {
  it('an address-book name may not be a treasury’s: a payee named "vault" would pass for the treasury', async () => {
    const reply = await api.dispatch('addressBook.add', { address: STRANGER, name: 'vault' });
    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', details: { reason: 'name-taken', name: 'Vault' } },
    });
    if (!reply.ok) {
      expect(reply.error.message).toBe(
        `"Vault" is the name of your treasury ${TEST_SAFE}; choose another`,
      );
    }
    expect(
      await api.dispatch('addressBook.add', { address: STRANGER, name: 'Vault supplier' }),
    ).toMatchObject({ ok: true });
  });
});
