/**
 * The signer checks every signature a token returns before anything uses it.
 * No real token hands out a bad signature on purpose, so this runs on the FAKE
 * smart card (test/fakes) in its corrupt-signature mode: SoftHSM2 signs, one bit
 * flips. For each curve Signet signs with (secp256k1, P-256, Ed25519) the CLI's
 * `signet sign` refuses in one line with SIGNATURE_INVALID (exit 2) and records
 * nothing; a payment from the UI path is refused the same way and nothing is
 * queued or recorded. With the mode off, the same calls sign: the refusal is the
 * check's doing, not the setup's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { listAudit } from '../core/store/audit-log.js';
import { openStore } from '../core/store/database.js';
import { listOutbox } from '../core/store/outbox.js';
import { buildFakeSmartcard, type FakeSmartcard } from './fakes/fake-smartcard.js';
import { pinFile, signet } from './support/cli.js';
import {
  OFFLINE_CHAIN_ID,
  PAYEE,
  seedSyncedAccount,
  selectOfflineChain,
} from './support/offline-wallet.js';
import { createSoftHsmStore } from './support/softhsm.js';

const PIN = '5150-bad-card';
const tokens = createSoftHsmStore('signet-badcard-');
const home = mkdtempSync(join(tmpdir(), 'signet-badcard-home-'));
let card: FakeSmartcard;
let env: NodeJS.ProcessEnv;
const keys: Record<string, { uri: string; address: string | null }> = {};

const cli = (args: string[]) => signet(args, { env });

/** What the audit log and the outbox hold now. */
function recorded() {
  const store = openStore(join(home, 'signet.sqlite'));
  try {
    return {
      actions: listAudit(store, { limit: 500 }).map((e) => e.action),
      outbox: listOutbox(store, OFFLINE_CHAIN_ID).length,
    };
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  tokens.initToken('Bad card', PIN);
  card = buildFakeSmartcard({ softhsmConf: tokens.conf, dir: join(tokens.dir, 'fake') });
  card.activate();
  env = { ...card.env, SIGNET_HOME: home };
  const token = (await cli(['tokens', '--module', card.modulePath, '--json'])).json.find(
    (t: { label: string }) => t.label === 'Bad card',
  ).uri;
  for (const curve of ['secp256k1', 'p256', 'ed25519']) {
    const run = await cli([
      'key',
      'generate',
      '--token',
      token,
      '--curve',
      curve,
      '--label',
      curve,
      '--pin-file',
      pinFile(PIN),
      '--json',
    ]);
    if (run.code !== 0) throw new Error(run.stderr);
    keys[curve] = run.json;
  }
}, 120_000);
afterAll(() => {
  card?.corruptSignatures(false);
  tokens.remove();
  rmSync(home, { recursive: true, force: true });
});

describe('a token whose signature does not verify', () => {
  const cases = [
    ['secp256k1', '--digest', 'ab'.repeat(32), 'sign-digest'],
    ['p256', '--digest', 'cd'.repeat(32), 'sign-digest'],
    ['ed25519', '--message', Buffer.from('note 7 to Bob').toString('hex'), 'sign-message'],
  ] as const;
  const curveName = { secp256k1: 'secp256k1', p256: 'p256', ed25519: 'Ed25519' } as const;

  it.each(cases)(
    '%s: `signet sign` refuses in one line (SIGNATURE_INVALID, exit 2) and records nothing',
    async (curve, flag, data, action) => {
      const sign = (json: boolean) =>
        cli([
          'sign',
          '--key',
          keys[curve]!.uri,
          flag,
          data,
          '--pin-file',
          pinFile(PIN),
          ...(json ? ['--json'] : []),
        ]);
      const before = recorded().actions;
      card.corruptSignatures(true);
      try {
        const human = await sign(false);
        expect(human.code).toBe(2);
        expect(human.stdout).toBe('');
        expect(human.stderr).toBe(
          `signet: token's ${curveName[curve]} signature does not verify against the key's public key\n`,
        );
        const json = await sign(true);
        expect(json.code).toBe(2);
        expect(json.json.error.code).toBe('SIGNATURE_INVALID');
        expect(json.json.signature).toBeUndefined();
      } finally {
        card.corruptSignatures(false);
      }
      expect(recorded().actions).toEqual(before);

      const good = await sign(true);
      expect(good.code).toBe(0);
      expect(good.json.signature).toMatch(/^0x[0-9a-f]{128}$/);
      expect(recorded().actions).toEqual([action, ...before]);
    },
  );

  it('a payment from the UI path: SIGNATURE_INVALID, nothing queued, nothing recorded', async () => {
    // The card is a module the UI may use once config.json lists it.
    writeFileSync(join(home, 'config.json'), JSON.stringify({ modules: [card.modulePath] }));
    selectOfflineChain(home);
    const added = await cli([
      'account',
      'add',
      '--key',
      keys.secp256k1!.uri,
      '--name',
      'bad card',
      '--pin-file',
      pinFile(PIN),
    ]);
    expect(added.stderr).toBe('');
    seedSyncedAccount(home, keys.secp256k1!.address as `0x${string}`);
    const app: AppApi = createAppApi({ home, env });
    try {
      // As the page does: review first, then sign naming that review.
      const send = async () => {
        const payment = { from: keys.secp256k1!.uri, to: PAYEE, amount: '1.00' };
        const review = await app.dispatch('wallet.previewSend', payment);
        if (!review.ok) throw new Error(review.error.message);
        const { reviewDigest } = review.result as { reviewDigest: string };
        return app.dispatch('wallet.send', { ...payment, reviewDigest, pin: PIN, offline: true });
      };
      const before = recorded();
      card.corruptSignatures(true);
      let reply: Awaited<ReturnType<typeof send>>;
      try {
        reply = await send();
      } finally {
        card.corruptSignatures(false);
      }
      expect(reply).toEqual({
        ok: false,
        error: {
          code: 'SIGNATURE_INVALID',
          message: "token's secp256k1 signature does not verify against the key's public key",
          details: { curve: 'secp256k1' },
        },
      });
      expect(recorded()).toEqual(before);
      expect(before.outbox).toBe(0);

      const sent = await send();
      expect(sent.ok).toBe(true);
      expect(recorded()).toEqual({
        actions: ['sign-transaction', ...before.actions],
        outbox: 1,
      });
    } finally {
      app.close();
    }
  });
});
