/**
 * At the counter through the browser bridge (issue 12 §3, the UI's API), with
 * the real app API, SoftHSM2 and the dev ledger: a lost token's replacement
 * previewed (what moves), refused in one line changing nothing (a folder or a
 * module from the page, another customer, a review it never showed, a review
 * gone stale when money arrived), then run with the review's digest, the
 * operator's PIN and the SO PIN asked by role; money and the note moved,
 * checked over raw JSON-RPC; the reply names the mailer's file, never a PIN.
 * Then a locked PIN (FAKE smart card over the same SoftHSM2 token: SoftHSM2
 * never locks) reset to a new mailer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { type Bridge, startBridge } from '../core/bridge/bridge-server.js';
import { buildFakeSmartcard } from './fakes/fake-smartcard.js';
import {
  blankToken,
  COUNTER_SO_PIN,
  type CounterCustomer,
  chainOverRpc,
  counterCustomer,
  mailerPin,
  tokenUriOf,
} from './support/counter-customer.js';
import { softhsmModule } from './support/softhsm.js';
import { syncSettled } from './support/sync-settled.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['operator']);
const chain = chainOverRpc(w);
let app: AppApi;
let bridge: Bridge;
let customer: CounterCustomer;
let newToken: string;
let newSerial: string;
const replies: string[] = [];
const mailerDir = () => join(w.home, 'pin-mailers', 'counter');

async function call(method: string, params: unknown) {
  const res = await fetch(`http://127.0.0.1:${bridge.port}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  const text = await res.text();
  replies.push(text);
  return JSON.parse(text) as { ok: boolean; result?: any; error?: any };
}
const replace = (extra: Record<string, unknown> = {}) => ({
  customer: customer.ref,
  lost: customer.lost,
  token: newToken,
  operator: w.keys.operator!.uri,
  name: 'Wang Fang',
  ...extra,
});

beforeAll(async () => {
  customer = await counterCustomer(w, 'K-0042');
  newSerial = blankToken(w, 'blank-new');
  newToken = await tokenUriOf(w, newSerial);
  app = createAppApi({ home: w.home, env: w.env });
  bridge = await startBridge({ dispatch: app.dispatch });
}, 300_000);
afterAll(async () => {
  await bridge?.close();
  app?.close();
});

/** The slot SoftHSM2 shows the token with this serial in. */
function slotOf(serial: string): string {
  const show = execFileSync('softhsm2-util', ['--show-slots'], { env: w.env, encoding: 'utf8' });
  const block = show
    .split(/\n(?=Slot )/)
    .find((b) => new RegExp(`Serial number:\\s*${serial}`).test(b))!;
  return /^Slot (\d+)/.exec(block)![1]!;
}

/** Nothing happened: the lost account open with its 50.00, the new token blank, no mailer. */
async function nothingChanged(balance = 5000n) {
  expect(await chain.frozen(customer.lost)).toBe(false);
  expect(await chain.balance(customer.lost)).toBe(balance);
  const tokens = await w.json(['tokens', '--module', newToken.match(/module-path=([^;?]+)/)![1]!]);
  expect(tokens.find((t: { serial: string }) => t.serial === newSerial).label).toBe('blank-new');
  expect(existsSync(mailerDir()) ? readdirSync(mailerDir()) : []).toEqual([]);
}

describe('a lost token replaced from the UI', () => {
  it('previews what will happen: the account frozen, 50.00 and one note to move, the new token', async () => {
    const reply = await call('provision.replacePreview', replace());
    expect(reply.ok, JSON.stringify(reply.error)).toBe(true);
    const review = reply.result;
    expect(review).toMatchObject({
      customer: 'K-0042',
      lost: customer.lost,
      lostFrozen: false,
      balance: '50.00',
      notes: 1,
      operator: getAddress(w.keys.operator!.address),
      newToken: { serial: newSerial, label: 'blank-new', initialized: true },
    });
    expect(review.reviewDigest).toMatch(/^0x[0-9a-f]{64}$/);
    // The same facts, the same digest.
    expect((await call('provision.replacePreview', replace())).result.reviewDigest).toBe(
      review.reviewDigest,
    );
  });

  it('refuses in one line, changing nothing', async () => {
    const { result: review } = await call('provision.replacePreview', replace());
    const refusals: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ mailers: '/tmp/elsewhere' }, 'INVALID_ARGUMENT', /unknown field "mailers"/],
      [{ module: '/tmp/libevil.so' }, 'INVALID_ARGUMENT', /unknown field "module"/],
      [
        { customer: 'K-0043' },
        'INVALID_ARGUMENT',
        /not registered under customer reference K-0043/,
      ],
      [
        { lost: w.keys.operator!.address },
        'NOT_ACCOUNT_OPERATOR',
        /not a customer of any operator/,
      ],
      [{ token: 'ffffffffffffffff' }, 'TOKEN_NOT_FOUND', /^no token ffffffffffffffff is inserted$/],
    ];
    for (const [extra, code, message] of refusals) {
      for (const method of ['provision.replacePreview', 'provision.counterReplace']) {
        const reply = await call(method, {
          ...replace(extra),
          ...(method === 'provision.counterReplace'
            ? { reviewDigest: review.reviewDigest, pin: PIN, soPin: COUNTER_SO_PIN }
            : {}),
        });
        expect(reply.ok).toBe(false);
        expect(reply.error.code, `${method} ${JSON.stringify(extra)}`).toBe(code);
        expect(reply.error.message).toMatch(message);
        expect(reply.error.message.split('\n')).toHaveLength(1);
      }
    }
    const unreviewed = await call('provision.counterReplace', {
      ...replace(),
      pin: PIN,
      soPin: COUNTER_SO_PIN,
    });
    expect(unreviewed.error.message).toMatch(
      /^invalid provision\.counterReplace request: reviewDigest/,
    );
    const never = await call('provision.counterReplace', {
      ...replace(),
      reviewDigest: `0x${'ab'.repeat(32)}`,
      pin: PIN,
      soPin: COUNTER_SO_PIN,
    });
    expect(never.error.code).toBe('REVIEW_STALE');
    // The review was in English for the mailer: in Chinese it is another review.
    const otherLanguage = await call('provision.counterReplace', {
      ...replace({ language: 'zh-CN' }),
      reviewDigest: review.reviewDigest,
      pin: PIN,
      soPin: COUNTER_SO_PIN,
    });
    expect(otherLanguage.error.code).toBe('REVIEW_STALE');
    await nothingChanged();
  }, 120_000);

  it('refuses a review gone stale (money arrived since), then replaces with the fresh one: money and note moved', async () => {
    const { result: before } = await call('provision.replacePreview', replace());
    await w.json([
      ...['send', '--from', w.keys.operator!.uri, '--to', customer.lost, '--amount', '1.00'],
      ...['--pin-file', w.pin],
    ]);
    await syncSettled(w);
    const stale = await call('provision.counterReplace', {
      ...replace(),
      reviewDigest: before.reviewDigest,
      pin: PIN,
      soPin: COUNTER_SO_PIN,
    });
    expect(stale.error.code).toBe('REVIEW_STALE');
    expect(stale.error.message).toBe(
      'the lost account or the new token changed since you reviewed; review again',
    );
    await nothingChanged(5100n);

    const { result: review } = await call('provision.replacePreview', replace());
    expect(review.balance).toBe('51.00');
    // The PINs asked by role, one at a time, before anything is done: the operator's, then the SO PIN.
    const noPin = await call('provision.counterReplace', {
      ...replace(),
      reviewDigest: review.reviewDigest,
    });
    expect(noPin.error).toMatchObject({
      code: 'PIN_REQUIRED',
      details: { role: 'user', field: 'pin' },
    });
    const noSo = await call('provision.counterReplace', {
      ...replace(),
      reviewDigest: review.reviewDigest,
      pin: PIN,
    });
    expect(noSo.error).toMatchObject({
      code: 'PIN_REQUIRED',
      details: { role: 'so', field: 'soPin' },
    });
    await nothingChanged(5100n);

    const started = performance.now();
    const done = await call('provision.counterReplace', {
      ...replace(),
      reviewDigest: review.reviewDigest,
      pin: PIN,
      soPin: COUNTER_SO_PIN,
    });
    console.log(
      `counter replace through the bridge: ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
    expect(done.ok, JSON.stringify(done.error)).toBe(true);
    const result = done.result;
    expect(result.tokenSerial).toBe(newSerial);
    expect(result.mailer).toMatch(/^K-0042\.replace-[0-9a-f]{12}\.pin\.txt$/);
    expect(result.done).toContain('51.00 and the notes moved to the new account');
    const replacement = getAddress(result.replacement);

    // The ledger over raw JSON-RPC: frozen and emptied; the money and the note moved.
    expect(await chain.frozen(customer.lost)).toBe(true);
    expect(await chain.balance(customer.lost)).toBe(0n);
    expect(await chain.balance(replacement)).toBe(5100n);
    expect(await chain.noteOwner(customer.noteId)).toBe(replacement);

    // The mailer in the data folder, owner-only; its PIN opens the new token and is in no reply.
    const mailer = join(mailerDir(), result.mailer);
    expect(statSync(mailer).mode & 0o777).toBe(0o600);
    const pin = mailerPin(mailer);
    const objects = execFileSync(
      'pkcs11-tool',
      ['--module', softhsmModule, '--slot', slotOf(newSerial), '--login', '--pin', pin, '-O'],
      { env: w.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(objects).toMatch(/signet-account/);
    for (const reply of replies) expect(reply.includes(pin)).toBe(false);
    // The audit log has the replacement step by step, and no PIN.
    const audit = await call('audit.list', { limit: 500 });
    const steps = audit.result.entries
      .filter((e: { action: string }) => e.action === 'counter-replace')
      .map((e: { subject: { step: string } }) => e.subject.step);
    expect(steps).toEqual(
      expect.arrayContaining([
        'started',
        'lost account frozen',
        'money and notes recovered',
        'done',
      ]),
    );
    expect(JSON.stringify(audit.result).includes(pin)).toBe(false);
  }, 300_000);
});

describe('a locked PIN reset from the UI', () => {
  it('resets it with the SO PIN to a new mailer; refusals change nothing', async () => {
    const card = buildFakeSmartcard({
      softhsmConf: w.env.SOFTHSM2_CONF!,
      dir: join(w.home, 'fake'),
    });
    card.activate();
    // The UI reaches listed modules only: the card's is added to the config, as a user would.
    const configPath = join(w.home, 'config.json');
    const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
    writeFileSync(configPath, JSON.stringify({ ...config, modules: [card.modulePath] }));
    const uri = await tokenUriOf(w, newSerial, card.modulePath);
    // Both tokens carry the customer's label now (the lost one is still in the store): by slot.
    const slot = slotOf(newSerial);
    const cardLogin = (pin: string) => {
      try {
        execFileSync(
          'pkcs11-tool',
          ['--module', card.modulePath, '--slot', slot, '--login', '--pin', pin, '-O'],
          {
            env: { ...w.env, ...card.env },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        return 'ok';
      } catch (error) {
        const e = error as { stdout?: Buffer; stderr?: Buffer };
        return /CKR_\w+/.exec(`${e.stdout}${e.stderr}`)?.[0] ?? 'failed';
      }
    };
    expect(cardLogin('00000001')).toBe('CKR_PIN_INCORRECT');
    expect(cardLogin('00000002')).toBe('CKR_PIN_INCORRECT');
    expect(cardLogin('00000003')).toBe('CKR_PIN_LOCKED');
    const before = readdirSync(mailerDir());

    const refusals: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ soPin: COUNTER_SO_PIN, mailers: '/tmp/x' }, 'INVALID_ARGUMENT', /unknown field "mailers"/],
      [
        { soPin: COUNTER_SO_PIN, customer: 'K-9999' },
        'INVALID_ARGUMENT',
        /not customer K-9999's label/,
      ],
      [{}, 'PIN_REQUIRED', /needs the SO PIN/],
      [{ soPin: '00000000' }, 'PIN_INCORRECT', /./],
    ];
    for (const [extra, code, message] of refusals) {
      const reply = await call('provision.counterUnblock', {
        token: uri,
        customer: 'K-0042',
        ...extra,
      });
      expect(reply.error.code, JSON.stringify(extra)).toBe(code);
      expect(reply.error.message).toMatch(message);
      expect(reply.error.message.split('\n')).toHaveLength(1);
    }
    expect(readdirSync(mailerDir())).toEqual(before);
    expect(cardLogin('00000004')).toBe('CKR_PIN_LOCKED');

    const done = await call('provision.counterUnblock', {
      token: uri,
      customer: 'K-0042',
      language: 'zh-CN',
      soPin: COUNTER_SO_PIN,
    });
    expect(done.ok, JSON.stringify(done.error)).toBe(true);
    expect(done.result.tokenSerial).toBe(newSerial);
    expect(done.result.mailer).toMatch(/^K-0042\.unblock-\S+\.pin\.txt$/);
    const mailer = join(mailerDir(), done.result.mailer);
    expect(statSync(mailer).mode & 0o777).toBe(0o600);
    expect(readFileSync(mailer, 'utf8')).toContain('令牌序列号');
    const pin = mailerPin(mailer);
    expect(cardLogin(pin)).toBe('ok');
    for (const reply of replies) expect(reply.includes(pin)).toBe(false);
  }, 120_000);
});
