/**
 * Issue 12 §2 from the UI's side: `provision.preview` and `provision.start`
 * through the browser bridge (HTTP with the session token, as the page calls
 * them), with SoftHSM2 tokens and the dev ledger.
 *
 *  - the preview lists rows and refusals, names the mailer folder Signet
 *    chose (`<home>/pin-mailers/<batchId>`, the batch the CSV's SHA-256) and a
 *    digest that moves with any row;
 *  - a `mailers` or `batchId` from the page is an unknown field; a stale digest
 *    is REVIEW_STALE and nothing is written or opened;
 *  - the start runs the batch: progress events, mailer file names only, no PIN
 *    in any reply or event, mailers mode 0600 whose PINs open their tokens;
 *  - one engine: the CLI's `provision batch` on the same CSV finds every row
 *    done by the UI's run (the same journal), and does nothing again.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../core/api/events.js';
import type { ApiReply } from '../core/api/transport.js';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { type Bridge, startBridge } from '../core/bridge/bridge-server.js';
import { PIN_MARKER } from '../core/provisioning/pin-mailer.js';
import { pinFile } from './support/cli.js';
import { grantOperator } from './support/operator-bank.js';
import { softhsmToken } from './support/provision-batch.js';
import { softhsmModule } from './support/softhsm.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const SO_PIN = '27182818';
const w = useWallet(['operator']);
let app: AppApi;
let bridge: Bridge;
const events: ApiEvent[] = [];
const replies: string[] = [];

async function api(method: string, params: unknown): Promise<ApiReply> {
  const res = await fetch(`http://127.0.0.1:${bridge.port}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  const text = await res.text();
  replies.push(text);
  return JSON.parse(text) as ApiReply;
}
async function ok(method: string, params: unknown): Promise<any> {
  const reply = await api(method, params);
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result;
}

/** A factory-fresh token: initialised with the bank's SO PIN, no key; its serial. */
const blankToken = (label: string) => softhsmToken(w, label, SO_PIN);

let csv: string;
let serials: string[];

beforeAll(async () => {
  await grantOperator(w.ledger, w.keys.operator!.address);
  app = createAppApi({ home: w.home, env: w.env, onEvent: (e) => events.push(e) });
  bridge = await startBridge({ dispatch: app.dispatch });
  serials = [1, 2, 3].map((i) => blankToken(`blank-ui-${i}`));
  csv = [
    'customer,name,token,amount,language',
    `U-001,Customer One,${serials[0]},0,en`,
    `U-002,客户二,${serials[1]},0,zh-CN`,
    `U-003,Customer Three,${serials[2]},0,en`,
    'U-BAD,Three Decimals,abcdef0123456789,1.234,en',
  ].join('\n');
}, 120_000);

afterAll(async () => {
  await bridge?.close();
  app?.close();
});

const request = () => ({ csv, operator: w.keys.operator!.uri, module: softhsmModule });

describe('provision.preview and provision.start from the UI', () => {
  it('previews rows and refusals, with a digest over all of it and Signet’s own mailer folder', async () => {
    const review = await ok('provision.preview', request());
    const batchId = createHash('sha256').update(csv).digest('hex').slice(0, 32);
    expect(review.batchId).toBe(batchId);
    expect(review.mailerFolder).toBe(join(w.home, 'pin-mailers', batchId));
    expect(review.operator.toLowerCase()).toBe(w.keys.operator!.address.toLowerCase());
    expect(review.rows.map((r: any) => [r.customer, r.token, r.amount, r.language])).toEqual([
      ['U-001', `serial ${serials[0]}`, '0.00', 'en'],
      ['U-002', `serial ${serials[1]}`, '0.00', 'zh-CN'],
      ['U-003', `serial ${serials[2]}`, '0.00', 'en'],
    ]);
    expect(review.refusals).toEqual([
      expect.objectContaining({ customer: 'U-BAD', reason: 'amount-invalid' }),
    ]);
    expect(review.reviewDigest).toMatch(/^0x[0-9a-f]{64}$/);
    // The same request, the same digest; one character of one row, another.
    expect((await ok('provision.preview', request())).reviewDigest).toBe(review.reviewDigest);
    const other = await ok('provision.preview', {
      ...request(),
      csv: csv.replace('Customer Three', 'Customer 3'),
    });
    expect(other.reviewDigest).not.toBe(review.reviewDigest);
    expect(other.batchId).not.toBe(review.batchId);
  });

  it('refuses a mailer folder or a batch id from the page as unknown fields', async () => {
    for (const [method, extra] of [
      ['provision.preview', { mailers: '/tmp/elsewhere' }],
      ['provision.preview', { batchId: 'mine' }],
      ['provision.start', { mailers: '/tmp/elsewhere', reviewDigest: `0x${'0'.repeat(64)}` }],
      ['provision.start', { batchId: 'mine', reviewDigest: `0x${'0'.repeat(64)}` }],
    ] as const) {
      const reply = await api(method, { ...request(), ...extra, pin: PIN, soPin: SO_PIN });
      expect(reply.ok).toBe(false);
      if (reply.ok) continue;
      expect(reply.error.code).toBe('INVALID_ARGUMENT');
      expect(reply.error.message).toBe(
        `invalid ${method} request: unknown field "${Object.keys(extra)[0]}"`,
      );
    }
    expect(existsSync(join(w.home, 'pin-mailers'))).toBe(false);
  });

  it('refuses a stale digest (REVIEW_STALE) before any PIN is used or token touched', async () => {
    const review = await ok('provision.preview', request());
    const reply = await api('provision.start', {
      ...request(),
      csv: `${csv}\n`,
      reviewDigest: review.reviewDigest,
      pin: PIN,
      soPin: SO_PIN,
    });
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe('REVIEW_STALE');
    expect(existsSync(join(w.home, 'pin-mailers'))).toBe(false);
    expect(events.filter((e) => e.type === 'provision.progress')).toEqual([]);
    // The tokens are as the factory shipped them: the user PIN is still the factory's.
    for (const i of [1, 2, 3]) expect(opens(`blank-ui-${i}`, '00000000')).toBe(true);
  });

  it('stops at a wrong SO PIN: PIN_INCORRECT, in one line, the PIN nowhere in it, no mailer', async () => {
    const serial = blankToken('blank-ui-wrong');
    const one = { ...request(), csv: `W-001,Wrong Pin,${serial},0,en\n` };
    const review = await ok('provision.preview', one);
    const reply = await api('provision.start', {
      ...one,
      reviewDigest: review.reviewDigest,
      pin: PIN,
      soPin: '99999999',
    });
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.code).toBe('PIN_INCORRECT');
    expect(reply.error.message).toMatch(/^customer W-001: .*the batch stopped here/);
    expect(JSON.stringify(reply)).not.toContain('99999999');
    expect(existsSync(join(review.mailerFolder, 'W-001.pin.txt'))).toBe(false);
    expect(opens('blank-ui-wrong', '00000000')).toBe(true);
  });

  it('runs the reviewed batch: progress, mailer names only, no PIN anywhere the page sees', {
    timeout: 240_000,
  }, async () => {
    const review = await ok('provision.preview', request());
    const started = performance.now();
    const start = { ...request(), reviewDigest: review.reviewDigest, pin: PIN, soPin: SO_PIN };
    const before = events.length;
    const running = ok('provision.start', start);
    // A second start while the first runs (a double click, a page calling twice) is refused.
    while (!events.slice(before).some((e) => e.type === 'provision.progress'))
      await new Promise((r) => setTimeout(r, 10));
    const twice = await api('provision.start', start);
    const result = await running;
    expect(twice.ok).toBe(false);
    if (!twice.ok) {
      expect(twice.error.code).toBe('DEVICE_BUSY');
      expect(twice.error.message).toBe(
        `batch ${review.batchId} is still running; wait for it to end, then run this one (a re-run resumes it)`,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `provision.start: 3 tokens in ${seconds.toFixed(2)} s;`,
      result.rows.map((r: any) => r.outcome).join(' / '),
    );
    expect(result).toMatchObject({ provisioned: 3, refused: 1, failed: 0 });
    expect(result.review.reviewDigest).toBe(review.reviewDigest);
    const mailerNames = result.rows.map((r: any) => r.mailer).filter(Boolean);
    expect(mailerNames).toHaveLength(3);
    for (const name of mailerNames) expect(name).not.toContain('/');
    const progress = events.flatMap((e) => (e.type === 'provision.progress' ? [e.payload] : []));
    const dones = progress.map((p) => p.done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ done: 4, rows: 4 });
    const steps = new Set(progress.map((p) => p.step));
    for (const step of [
      'token-initialised',
      'key-generated',
      'registered',
      'mailer-written',
      'done',
    ])
      expect(steps.has(step as never), step).toBe(true);

    const folder = review.mailerFolder;
    const files = readdirSync(folder).sort();
    expect(files).toEqual([...mailerNames].sort());
    const pins: string[] = [];
    for (const [i, name] of files.entries()) {
      const path = join(folder, name);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const line = readFileSync(path, 'utf8')
        .split('\n')
        .find((l) => l.includes(PIN_MARKER))!;
      const pin = line.slice(line.indexOf(PIN_MARKER) + PIN_MARKER.length).trim();
      pins.push(pin);
      expect(opens(`U-00${i + 1}`, pin), name).toBe(true);
    }
    const seen = [...replies, JSON.stringify(events)].join('\n');
    for (const pin of [...pins, PIN, SO_PIN]) expect(seen).not.toContain(pin);
  });

  it('shares one engine with the CLI: the same CSV from `signet provision batch` finds it all done', {
    timeout: 120_000,
  }, async () => {
    const review = await ok('provision.preview', request());
    const file = join(w.home, 'batch.csv');
    writeFileSync(file, csv);
    const run = await w.cli([
      ...['provision', 'batch', '--csv', file, '--operator', w.keys.operator!.uri],
      ...['--module', softhsmModule, '--mailers', review.mailerFolder],
      ...['--pin-file', pinFile(PIN), '--so-pin-file', pinFile(SO_PIN), '--json'],
    ]);
    const result = JSON.parse(run.stdout);
    expect(result.batchId).toBe(review.batchId);
    for (const row of result.rows.filter((r: any) => r.status === 'provisioned'))
      expect(row.outcome).toBe('already provisioned by an earlier run of this batch');
    expect(result.provisioned).toBe(3);
  });
});

/** Does `pin` log in to the token labelled so (pkcs11-tool, outside Signet)? */
function opens(label: string, pin: string): boolean {
  try {
    execFileSync(
      'pkcs11-tool',
      ['--module', softhsmModule, '--token-label', label, '--login', '--pin', pin, '-O'],
      { env: w.env, stdio: 'ignore' },
    );
    return true;
  } catch {
    return false;
  }
}
