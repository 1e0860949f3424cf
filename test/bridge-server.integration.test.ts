/**
 * The loopback browser bridge over a real app API: a temp data directory, a
 * real SoftHSM2 token, real HTTP on 127.0.0.1. Requests go out through
 * node:http so the test controls the raw path and the Host and Origin headers.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiDispatch } from '../core/api/transport.js';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { type Bridge, startBridge } from '../core/bridge/bridge-server.js';
import { writeConfig } from '../core/config/config.js';
import { CONTENT_SECURITY_POLICY } from '../core/security/content-security-policy.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';

const PIN = '1357-bridge';
const WRONG_PIN = '9999-not-the-pin';
const tokens = createSoftHsmStore();
const dir = mkdtempSync(join(tmpdir(), 'signet-bridge-'));
const home = join(dir, 'home');
const staticDir = join(dir, 'static');
let app: AppApi;
let bridge: Bridge;
const dispatched: string[] = [];

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: bridge.port,
        path,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${bridge.port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const api = (method: string, params: unknown, headers: Record<string, string> = {}) =>
  send(`/api/${method}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bridge.token}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(params),
  });

let tokenUri: string;

beforeAll(async () => {
  tokens.initToken('Bridge', PIN);
  tokens.activate();
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Signet</title>');
  writeFileSync(join(staticDir, 'app.js'), 'console.log("signet")');
  writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET-OUTSIDE');
  writeConfig({ modules: [softhsmModule] }, { SIGNET_HOME: home });
  app = createAppApi({ home, env: {} });
  const dispatch: ApiDispatch = (method, params) => {
    dispatched.push(method);
    return app.dispatch(method, params);
  };
  bridge = await startBridge({ dispatch, staticDir, port: 0 });
});
afterAll(async () => {
  await bridge?.close();
  app?.close();
  tokens.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe('the bridge', () => {
  it('listens on 127.0.0.1 only, and hands the token over in the URL fragment', () => {
    const address = bridge.server.address() as AddressInfo;
    expect(address.address).toBe('127.0.0.1');
    expect(address.family).toBe('IPv4');
    expect(bridge.token).toMatch(/^[0-9a-f]{64}$/);
    expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}/#token=${bridge.token}`);
  });

  it('lists the SoftHSM2 token through HTTP', async () => {
    const res = await api('devices.listTokens', { module: softhsmModule });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json.ok).toBe(true);
    const token = res.json.result.find((t: { label: string }) => t.label === 'Bridge');
    expect(token).toMatchObject({ label: 'Bridge', flags: { loginRequired: true } });
    tokenUri = token.uri;
  });

  it('refuses a missing or wrong session token with 401, dispatching nothing', async () => {
    const before = dispatched.length;
    const bare = await send('/api/devices.listTokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const wrong = await api(
      'devices.listTokens',
      {},
      { authorization: `Bearer ${'0'.repeat(64)}` },
    );
    const short = await api('devices.listTokens', {}, { authorization: 'Bearer abc' });
    for (const res of [bare, wrong, short]) {
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    }
    expect(dispatched.length).toBe(before);
  });

  it('refuses a foreign Host header (DNS rebinding) with 403', async () => {
    const before = dispatched.length;
    for (const host of [
      'evil.example',
      `evil.example:${bridge.port}`,
      `127.0.0.1:${bridge.port + 1}`,
    ]) {
      const res = await api('devices.listTokens', {}, { host });
      expect(res.status).toBe(403);
      expect((await send('/', { headers: { host } })).status).toBe(403);
    }
    expect(dispatched.length).toBe(before);
    const local = await api('devices.listModules', {}, { host: `localhost:${bridge.port}` });
    expect(local.status).toBe(200);
  });

  it('refuses a cross-origin Origin with 403 and accepts its own', async () => {
    const before = dispatched.length;
    for (const origin of ['http://evil.example', `http://localhost:${bridge.port}`, 'null']) {
      expect((await api('devices.listTokens', {}, { origin })).status).toBe(403);
    }
    expect(dispatched.length).toBe(before);
    const same = await api('app.info', {}, { origin: `http://127.0.0.1:${bridge.port}` });
    expect(same.status).toBe(200);
    expect(same.json.result).toEqual({ ledger: null, chainProblem: expect.any(String) });
  });

  it('answers an unknown method with 404 and one line, without dispatching', async () => {
    const before = dispatched.length;
    const res = await api('wallet.stealEverything', {});
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'unknown API method "wallet.stealEverything"' },
    });
    expect((await api('__proto__', {})).status).toBe(404);
    expect(dispatched.length).toBe(before);
  });

  it('answers invalid params with INVALID_ARGUMENT in a 200 reply (no console error in the page)', async () => {
    const res = await api('devices.listKeys', { token: 'not-a-uri' });
    expect(res.status).toBe(200);
    expect(res.json.error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'invalid devices.listKeys request: token: a pkcs11: URI',
    });
  });

  it('answers malformed JSON with 400, a non-JSON body with 415, a huge one with 413', async () => {
    const headers = { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' };
    const malformed = await send('/api/app.info', { method: 'POST', headers, body: '{"a":' });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'the request body is not valid JSON' },
    });
    const text = await send('/api/app.info', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
    const huge = await send('/api/app.info', {
      method: 'POST',
      headers,
      body: Buffer.alloc(1024 * 1024 + 1, 0x20),
    });
    expect(huge.status).toBe(413);
    expect((await send('/api/app.info', { headers })).status).toBe(405);
  });

  it('asks for the PIN, then reports a wrong one with its retry state and never echoes it', async () => {
    const without = await api('devices.listKeys', { token: tokenUri });
    expect(without.status).toBe(200);
    expect(without.json.error).toMatchObject({ code: 'PIN_REQUIRED', details: { role: 'user' } });

    const wrong = await api('devices.listKeys', { token: tokenUri, pin: WRONG_PIN });
    expect(wrong.status).toBe(200);
    expect(wrong.json.error).toMatchObject({
      code: 'PIN_INCORRECT',
      details: { role: 'user', retryState: expect.stringMatching(/count-low|final-try|unknown/) },
    });
    expect(wrong.json.error.message).toMatch(/^wrong PIN for token "Bridge"/);
    expect(wrong.text).not.toContain(WRONG_PIN);
    expect(JSON.stringify(wrong.headers)).not.toContain(WRONG_PIN);

    const right = await api('devices.listKeys', { token: tokenUri, pin: PIN });
    expect(right.status).toBe(200);
    expect(right.json).toEqual({ ok: true, result: [] });
    expect(right.text).not.toContain(PIN);
  });

  it('generates a key with the PIN, and has no method to sign raw bytes with it', async () => {
    const key = await api('devices.generateKey', {
      token: tokenUri,
      curve: 'secp256k1',
      label: 'bridge-key',
      pin: PIN,
    });
    expect(key.status).toBe(200);
    expect(key.json.result).toMatchObject({ label: 'bridge-key', curve: 'secp256k1' });
    // Raw signing is the operator's (`signet sign`), never the page's.
    const before = dispatched.length;
    const signed = await api('devices.sign', {
      key: key.json.result.uri,
      digest: `0x${'ab'.repeat(32)}`,
      pin: PIN,
    });
    expect(signed.status).toBe(404);
    expect(signed.json).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'unknown API method "devices.sign"' },
    });
    expect(signed.text).not.toContain(PIN);
    expect(dispatched.length).toBe(before);
  });

  it('serves the UI with a strict CSP and nosniff, falling back to index.html for routes', async () => {
    const index = await send('/');
    expect(index.status).toBe(200);
    expect(index.text).toContain('<title>Signet</title>');
    expect(index.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const script = await send('/app.js?v=1');
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await send('/accounts/alice')).text).toContain('<title>Signet</title>');
    expect((await send('/missing.js')).status).toBe(404);
    expect((await send('/', { method: 'POST' })).status).toBe(405);
  });

  it('never serves a file outside the static directory', async () => {
    for (const path of [
      '/../package.json',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/../../secret.txt',
      '/..\\secret.txt',
      '/%5c..%5csecret.txt',
      '/secret.txt%00.html',
    ]) {
      const res = await send(path);
      expect(res.status, path).toBe(404);
      expect(res.text, path).not.toContain('TOP-SECRET');
    }
  });

  it('streams events: hello on connect, then what is published and well formed; a wrong token gets 401', async () => {
    expect((await send('/api/events?token=nope')).status).toBe(401);
    expect((await send('/api/events')).status).toBe(401);
    const progress = {
      type: 'sync.progress',
      payload: {
        phase: 'logs',
        fromBlock: 1,
        toBlock: 90,
        currentBlock: 7,
        sent: 0,
        confirmed: 0,
        events: 0,
      },
    } as const;
    const events = await new Promise<unknown[]>((resolve, reject) => {
      const received: unknown[] = [];
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: bridge.port,
          path: `/api/events?token=${bridge.token}`,
          headers: { host: `127.0.0.1:${bridge.port}` },
        },
        (res) => {
          expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
          let buffer = '';
          res.on('data', (chunk: Buffer) => {
            buffer += chunk.toString('utf8');
            let end = buffer.indexOf('\n\n');
            while (end !== -1) {
              const message = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = /^data: (.*)$/m.exec(message)?.[1];
              if (data) received.push(JSON.parse(data));
              if (received.length === 1) {
                // Breaks the contract (the old loose shape): dropped, never written.
                bridge.publish({ type: 'sync.progress', payload: { block: 7 } } as never);
                bridge.publish(progress);
              }
              if (received.length === 2) {
                req.destroy();
                resolve(received);
              }
              end = buffer.indexOf('\n\n');
            }
          });
        },
      );
      req.on('error', (error) => (received.length === 2 ? undefined : reject(error)));
      req.end();
    });
    expect(events).toEqual([{ type: 'hello', payload: { server: 'signet-bridge' } }, progress]);
  });
});
