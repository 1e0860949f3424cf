/**
 * The treasury methods from the UI's door (createDispatcher, origin `ui`):
 * nothing is signed without the digest of the review the page showed, a
 * proposal is never signed as it is made, and the animated QR round trip is
 * stateless. Every refusal here comes before any token is opened (the wallet's
 * account names a token that does not exist: reaching it would answer
 * otherwise). The CLI's door keeps its shortcuts (no digest, --sign-with).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UR, UREncoder } from '@ngraveio/bc-ur';
import { FountainEncoderPart } from '@ngraveio/bc-ur/dist/fountainEncoder.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  multiSendData,
  paymentTx,
  signedBundle,
  TEST_CHAIN_ID,
  TEST_SAFE,
  testOwners,
  unsignedBundle,
} from '../../test/fixtures/approval-bundles.js';
import { closedPortProfile, walletAccount } from '../../test/support/store-fixtures.js';
import { SignetError } from '../api/errors.js';
import { apiRequests } from '../api/methods.js';
import type { ApiReply } from '../api/transport.js';
import { MAX_BUNDLE_TEXT, MAX_QR_PARTS, MAX_REQUEST_TEXT } from '../api/treasury.js';
import { MAX_BODY_BYTES } from '../bridge/bridge-server.js';
import { writeActiveProfile } from '../chain/profile-file.js';
import { addAccount } from '../store/accounts.js';
import { openStore } from '../store/database.js';
import { addTreasury } from '../store/treasuries.js';
import { encodeBundle } from '../treasury/bundle-codec.js';
import { type AppApi, createAppApi } from './app-api.js';

const alice = walletAccount(1);
const profile = closedPortProfile({
  name: 'test ledger',
  chainId: TEST_CHAIN_ID,
  confirmations: 0,
});
const STALE = `0x${'ab'.repeat(32)}`;

let home: string;
let api: AppApi;
/** An unsigned payment proposal of TEST_SAFE (owners: test keys 0 to 2, threshold 2). */
let bundle: string;
/** A 40-row batch approved by two owners: dozens of QR frames. */
let batch: string;

const ui = (method: string, params: unknown) => api.dispatch(method, params);
const refused = (reply: ApiReply) => {
  expect(reply.ok, JSON.stringify(reply).slice(0, 300)).toBe(false);
  if (reply.ok) throw new Error('answered');
  expect(reply.error.message).not.toContain('\n');
  return reply.error;
};
const answered = <T>(reply: ApiReply): T => {
  if (!reply.ok) throw new Error(`${reply.error.code} ${reply.error.message}`);
  return reply.result as T;
};
/** What the CLI's door threw, or null when it answered. */
async function cliRefusal(method: string, request: unknown): Promise<SignetError | null> {
  try {
    await api.call(method as never, request as never, async () => Buffer.from('1234'));
    return null;
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
}

interface Review {
  safeTxHash: string;
  reviewDigest: string;
  call: { kind: string };
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'signet-treasury-ui-'));
  const store = openStore(join(home, 'signet.sqlite'));
  addAccount(store, alice);
  addTreasury(store, {
    chainId: TEST_CHAIN_ID,
    address: TEST_SAFE,
    name: 'Vault',
    owners: [...testOwners, alice.address],
    threshold: 2,
    saltNonce: 1n,
  });
  store.close();
  writeActiveProfile(profile, { SIGNET_HOME: home });
  bundle = await encodeBundle(unsignedBundle());
  batch = await encodeBundle(
    await signedBundle(
      [0, 1],
      unsignedBundle({
        proposal: {
          tx: paymentTx({ to: TEST_SAFE, operation: 1, data: multiSendData(40) }),
          description: 'Payroll, 40 rows',
        },
      }),
    ),
  );
  api = createAppApi({ home, env: {} });
});

afterAll(() => {
  api.close();
  rmSync(home, { recursive: true, force: true });
});

describe('treasury review digest', () => {
  it('a review names its reviewDigest: the safeTxHash the owners sign', async () => {
    const { review } = answered<{ review: Review }>(await ui('treasury.review', { bundle }));
    expect(review.reviewDigest).toMatch(/^0x[0-9a-f]{64}$/);
    expect(review.reviewDigest).toBe(review.safeTxHash.toLowerCase());
  });

  for (const method of ['treasury.approve', 'treasury.execute'] as const) {
    const request = (extra: Record<string, unknown>) =>
      method === 'treasury.approve'
        ? { bundle, key: alice.keyUri, offline: true, pin: '1234', ...extra }
        : { bundle, from: alice.keyUri, pin: '1234', ...extra };

    it(`${method} from the UI without a review digest is refused`, async () => {
      const error = refused(await ui(method, request({})));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toBe(
        'nothing is signed from the UI without the review digest of the preview the user saw',
      );
      expect(error.details).toMatchObject({ field: 'reviewDigest', reason: 'review-missing' });
    });

    it(`${method} from the UI with another proposal's digest answers REVIEW_STALE`, async () => {
      const error = refused(await ui(method, request({ reviewDigest: STALE })));
      expect(error.code).toBe('REVIEW_STALE');
      expect(error.details).toMatchObject({ reviewed: STALE });
      // The batch's review, shown for another proposal, does not sign this one either.
      const { review } = answered<{ review: Review }>(
        await ui('treasury.review', { bundle: batch }),
      );
      const other = refused(await ui(method, request({ reviewDigest: review.reviewDigest })));
      expect(other.code).toBe('REVIEW_STALE');
    });

    it(`${method} from the UI with the review's digest gets past the review (to the key)`, async () => {
      const { review } = answered<{ review: Review }>(await ui('treasury.review', { bundle }));
      const error = refused(
        await ui(
          method,
          request({ reviewDigest: review.reviewDigest.toUpperCase().replace('0X', '0x') }),
        ),
      );
      expect(error.code).not.toBe('REVIEW_STALE');
      expect(error.details?.reason).not.toBe('review-missing');
    });

    it(`${method} from the CLI needs no digest, and a stale one still stops it`, async () => {
      const { pin: _, ...cli } = request({});
      const without = await cliRefusal(method, cli);
      expect(without?.code).not.toBe('REVIEW_STALE');
      expect(without?.details?.reason).not.toBe('review-missing');
      expect((await cliRefusal(method, { ...cli, reviewDigest: STALE }))?.code).toBe(
        'REVIEW_STALE',
      );
    });
  }
});

describe('signWith from the UI', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['treasury.propose', { treasury: 'Vault', to: TEST_SAFE, amount: '1.00', offline: true }],
    ['treasury.cancel', { treasury: 'Vault', nonce: '0', offline: true }],
    [
      'treasury.batch',
      {
        treasury: 'Vault',
        csv: `token_type,token_address,receiver,amount,id\nerc20,${profile.contracts.currency},${TEST_SAFE},1.00,\n`,
        offline: true,
      },
    ],
  ];
  for (const [method, request] of cases) {
    it(`${method} with signWith from the UI is refused, and nothing is proposed`, async () => {
      const error = refused(await ui(method, { ...request, signWith: alice.keyUri, pin: '1234' }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toBe(
        'a proposal is approved from the UI after its review, with treasury.approve',
      );
      expect(error.details).toMatchObject({ field: 'signWith', reason: 'sign-with-from-ui' });
      const store = openStore(join(home, 'signet.sqlite'));
      try {
        const rows = store.db.prepare('SELECT * FROM audit_log').all();
        expect(rows).toEqual([]);
        const vault = store.db
          .prepare<[], { next_proposal: unknown }>("SELECT * FROM treasuries WHERE name = 'Vault'")
          .get();
        expect(vault?.next_proposal).toEqual(0);
      } finally {
        store.close();
      }
    });

    it(`${method} with signWith from the CLI gets past that check (to the key)`, async () => {
      const error = await cliRefusal(method, { ...request, signWith: alice.keyUri });
      expect(error?.details?.reason).not.toBe('sign-with-from-ui');
    });
  }
});

describe('treasury.qrParts and treasury.qrDecode', () => {
  interface Parts {
    fragments: number;
    parts: string[];
  }
  interface Decoded {
    received: number;
    needed: number;
    frames: number;
    complete: boolean;
    bundle: string | null;
    review: Review | null;
  }

  it('round trip: every part gives back the bundle byte for byte, with its review', async () => {
    const { fragments, parts } = answered<Parts>(await ui('treasury.qrParts', { bundle: batch }));
    expect(fragments).toBeGreaterThan(3);
    expect(parts).toHaveLength(3 * fragments);
    for (const part of parts) expect(part).toMatch(/^ur:x-signet-approval\/\d+-\d+\/[a-z]+$/);
    const decoded = answered<Decoded>(await ui('treasury.qrDecode', { parts }));
    expect(decoded).toMatchObject({ complete: true, received: fragments, needed: fragments });
    expect(decoded.bundle).toBe(batch);
    // The same review treasury.review gives: the page shows one screen for both.
    const { review } = answered<{ review: Review }>(await ui('treasury.review', { bundle: batch }));
    expect(decoded.review).toEqual(review);
  });

  it('the fountain-coded parts past the fragments complete a sequence missing some', async () => {
    const { fragments, parts } = answered<Parts>(await ui('treasury.qrParts', { bundle: batch }));
    // Every other of the plain fragments, then the mixed ones.
    const scanned = [
      ...parts.slice(0, fragments).filter((_, i) => i % 2 === 0),
      ...parts.slice(fragments),
    ];
    const decoded = answered<Decoded>(await ui('treasury.qrDecode', { parts: scanned }));
    expect(decoded.complete).toBe(true);
    expect(decoded.bundle).toBe(batch);
  });

  it('half a sequence: received < needed, no bundle, no review', async () => {
    const { fragments, parts } = answered<Parts>(
      await ui('treasury.qrParts', { bundle: batch, fragmentBytes: 100 }),
    );
    const half = Math.floor(fragments / 2);
    const decoded = answered<Decoded>(
      await ui('treasury.qrDecode', { parts: parts.slice(0, half) }),
    );
    expect(decoded).toEqual({
      received: half,
      needed: fragments,
      frames: half,
      complete: false,
      bundle: null,
      review: null,
    });
  });

  it('fragmentBytes sets the density; count the frames returned', async () => {
    const dense = answered<Parts>(
      await ui('treasury.qrParts', { bundle: batch, fragmentBytes: 1000 }),
    );
    const sparse = answered<Parts>(
      await ui('treasury.qrParts', { bundle: batch, fragmentBytes: 50 }),
    );
    expect(dense.fragments).toBeLessThan(sparse.fragments);
    const few = answered<Parts>(await ui('treasury.qrParts', { bundle: batch, count: 2 }));
    expect(few.parts).toHaveLength(2);
  });

  it('refuses more frames than 3 × the fragments, and densities outside 50..1000', async () => {
    const { fragments } = answered<Parts>(await ui('treasury.qrParts', { bundle: batch }));
    const error = refused(
      await ui('treasury.qrParts', { bundle: batch, count: 3 * fragments + 1 }),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(
      `at most ${3 * fragments} frames for ${fragments} fragments (3 each, 600 in all), not ${3 * fragments + 1}`,
    );
    for (const fragmentBytes of [49, 1001, 200.5]) {
      const bad = refused(await ui('treasury.qrParts', { bundle: batch, fragmentBytes }));
      expect(bad.message).toMatch(/^invalid treasury\.qrParts request: fragmentBytes: /);
    }
  });

  it('frames at most 600 in all, however many fragments (each mixed frame costs time)', async () => {
    const payroll = unsignedBundle({
      proposal: {
        tx: paymentTx({ to: TEST_SAFE, operation: 1, data: multiSendData(400) }),
        description: 'Payroll',
      },
    });
    const request = { bundle: await encodeBundle(payroll), fragmentBytes: 50 };
    const { fragments } = answered<Parts>(await ui('treasury.qrParts', { ...request, count: 1 }));
    expect(3 * fragments).toBeGreaterThan(MAX_QR_PARTS);
    const all = answered<Parts>(await ui('treasury.qrParts', request));
    expect(all.parts).toHaveLength(MAX_QR_PARTS);
    const over = refused(await ui('treasury.qrParts', { ...request, count: MAX_QR_PARTS + 1 }));
    expect(over.message).toMatch(/^invalid treasury\.qrParts request: count: /);
  });

  it('a frame claiming more than 600 fragments is refused before bc-ur allocates for them', async () => {
    // A hand-made frame, as a hostile page sends: bc-ur would build (and, for a
    // mixed frame, shuffle in quadratic time) an array of every claimed fragment.
    const forged = (seqNum: number, seqLength: number) => {
      const part = new FountainEncoderPart(seqNum, seqLength, 16, 1, Buffer.alloc(16, 7));
      const body = UREncoder.encodeSinglePart(new UR(part.cbor(), 'x-signet-approval'))
        .split('/')
        .at(-1);
      return `ur:x-signet-approval/${seqNum}-${seqLength}/${body}`;
    };
    const started = Date.now();
    for (const claimed of [601, 2 ** 32 - 1]) {
      const error = refused(
        await ui('treasury.qrDecode', { parts: [forged(claimed + 1, claimed)] }),
      );
      expect(error).toMatchObject({ code: 'BUNDLE_INVALID', details: { reason: 'qr-too-long' } });
      expect(error.message).toBe(
        `this QR frame claims a sequence of ${claimed} fragments; an approval bundle has at most 600`,
      );
    }
    expect(Date.now() - started).toBeLessThan(1000);
    // At the cap, a forged sequence is one like any other: accepted, incomplete; and
    // past 106 mixed frames (for 600 fragments) the decoder skips them (each is reduced against every other).
    const mixed = Array.from({ length: 599 }, (_, i) => forged(601 + i, 600));
    const begun = Date.now();
    const atCap = answered<{ needed: number; frames: number; complete: boolean }>(
      await ui('treasury.qrDecode', { parts: [forged(1, 600), ...mixed] }),
    );
    expect(atCap).toMatchObject({ needed: 600, frames: 107, complete: false });
    expect(Date.now() - begun).toBeLessThan(2000);
  });

  it('a foreign or damaged part answers the decoder’s one-line BUNDLE_INVALID', async () => {
    const { parts } = answered<Parts>(await ui('treasury.qrParts', { bundle: batch }));
    const foreign = new UREncoder(UR.fromBuffer(Buffer.from('not an approval')), 200).nextPart();
    const other = refused(await ui('treasury.qrDecode', { parts: [parts[0], foreign] }));
    expect(other).toMatchObject({ code: 'BUNDLE_INVALID', details: { reason: 'qr-type' } });
    expect(other.message).toBe(
      'this QR frame is a bytes, not an approval bundle (x-signet-approval)',
    );
    const damaged = refused(await ui('treasury.qrDecode', { parts: ['hello'] }));
    expect(damaged).toMatchObject({ code: 'BUNDLE_INVALID', details: { reason: 'qr-part' } });
  });

  it('caps the parts: 600 at most, 4000 characters each, 960 KiB together', async () => {
    const tooMany = refused(
      await ui('treasury.qrDecode', { parts: Array.from({ length: 601 }, () => 'ur:x') }),
    );
    expect(tooMany.message).toMatch(/^invalid treasury\.qrDecode request: parts: /);
    const tooLong = refused(await ui('treasury.qrDecode', { parts: ['u'.repeat(4001)] }));
    expect(tooLong.message).toMatch(/^invalid treasury\.qrDecode request: parts\.0: /);
    const tooMuch = refused(
      await ui('treasury.qrDecode', { parts: Array.from({ length: 250 }, () => 'u'.repeat(3999)) }),
    );
    expect(tooMuch.message).toBe(
      `invalid treasury.qrDecode request: parts: the QR parts together are over ${MAX_REQUEST_TEXT} characters`,
    );
  });
});

describe('treasury caps and the bridge body', () => {
  const pins = { pin: 'p'.repeat(256), soPin: 's'.repeat(256), newPin: 'n'.repeat(256) };
  const digest = `0x${'ab'.repeat(32)}`;
  const atCaps: Array<[keyof typeof apiRequests, Record<string, unknown>]> = [
    ['treasury.merge', { bundles: Array(4).fill('b'.repeat(MAX_BUNDLE_TEXT)) }],
    [
      'treasury.approve',
      {
        bundle: 'b'.repeat(MAX_BUNDLE_TEXT),
        key: alice.keyUri,
        policy: 'p'.repeat(512 * 1024),
        reviewDigest: digest,
        ...pins,
      },
    ],
    [
      'treasury.execute',
      { bundle: 'b'.repeat(MAX_BUNDLE_TEXT), from: alice.keyUri, reviewDigest: digest, ...pins },
    ],
    [
      'treasury.qrParts',
      { bundle: 'b'.repeat(MAX_BUNDLE_TEXT), fragmentBytes: 50, count: MAX_QR_PARTS },
    ],
    [
      'treasury.qrDecode',
      { parts: Array(600).fill('u'.repeat(Math.floor(MAX_REQUEST_TEXT / 600))) },
    ],
    [
      'treasury.batch',
      {
        treasury: 'v'.repeat(64),
        csv: 'c'.repeat(1_000_000),
        description: 'd'.repeat(200),
        ...pins,
      },
    ],
  ];
  for (const [method, request] of atCaps) {
    it(`${method} at its caps is a valid request that fits ${MAX_BODY_BYTES} bytes`, () => {
      expect(apiRequests[method].safeParse(request).success).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(request))).toBeLessThan(MAX_BODY_BYTES);
    });
  }
});
