/**
 * The loopback browser bridge: when Electron cannot run, the UI loads in a
 * browser from 127.0.0.1 and calls the same API as the preload offers, over
 * HTTP. It adds nothing to the API: it checks who is calling and forwards to
 * `dispatch`.
 *
 * Who may call: only a page holding the session token (32 random bytes, handed
 * over in the URL fragment, which browsers never send to a server), on a Host
 * of 127.0.0.1:PORT or localhost:PORT (a rebound DNS name is refused), from the
 * same origin when the browser names one. Static files go out with a strict
 * CSP and never from outside `staticDir`.
 *
 *   POST /api/<method>   Authorization: Bearer TOKEN, JSON body → ApiReply
 *   GET  /api/events?token=TOKEN   Server-Sent Events, one ApiEvent per message
 *                                  (core/api/events.ts; checked before it is written)
 *
 * Every refusal is an ApiReply too ({ ok: false, error: SerializedError }), so
 * the client reads one shape.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import type { ErrorCode, SerializedError } from '../api/errors.js';
import { apiEventSchema } from '../api/events.js';
import { isApiMethod } from '../api/methods.js';
import type { ApiDispatch, ApiEvent, ApiReply } from '../api/transport.js';
import { CONTENT_SECURITY_POLICY } from '../security/content-security-policy.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface BridgeOptions {
  dispatch: ApiDispatch;
  /** The built UI; without one only /api answers. */
  staticDir?: string;
  /** Default 0: a free port. */
  port?: number;
}

export interface Bridge {
  /** Open this in the browser: http://127.0.0.1:PORT/#token=… */
  url: string;
  token: string;
  port: number;
  server: Server;
  /** Pushes an event to every connected UI; one that breaks the contract is dropped. */
  publish(event: ApiEvent): void;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const securityHeaders = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = randomBytes(32).toString('hex');
  const tokenDigest = digest(token);
  const root = options.staticDir ? await realpath(options.staticDir) : undefined;
  const listeners = new Set<ServerResponse>();
  let port = 0;

  const authorised = (presented: string | undefined): boolean =>
    // Digests first: equal lengths for timingSafeEqual, and the length leaks nothing.
    presented !== undefined && timingSafeEqual(digest(presented), tokenDigest);

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) refuse(res, 500, 'INTERNAL', 'internal error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host;
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return refuse(
        res,
        403,
        'INVALID_ARGUMENT',
        'this bridge answers only to 127.0.0.1 or localhost',
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) {
      return refuse(res, 403, 'INVALID_ARGUMENT', 'cross-origin requests are refused');
    }
    const rawUrl = req.url ?? '/';
    const query = rawUrl.indexOf('?');
    const path = query === -1 ? rawUrl : rawUrl.slice(0, query);
    const search = new URLSearchParams(query === -1 ? '' : rawUrl.slice(query + 1));

    if (path === '/api/events') {
      if (req.method !== 'GET') return refuse(res, 405, 'INVALID_ARGUMENT', 'use GET for events');
      if (!authorised(search.get('token') ?? bearer(req))) return unauthorised(res);
      return openEvents(res);
    }
    if (path.startsWith('/api/')) {
      if (req.method !== 'POST')
        return refuse(res, 405, 'INVALID_ARGUMENT', 'use POST for API calls');
      if (!authorised(bearer(req))) return unauthorised(res);
      return call(req, res, path.slice('/api/'.length));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return refuse(res, 405, 'INVALID_ARGUMENT', 'only GET and HEAD serve files');
    }
    return serveStatic(req, res, path);
  }

  async function call(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (!isApiMethod(method)) {
      req.resume();
      const shown = method.replace(/[^\w.-]/g, '?').slice(0, 64);
      return refuse(res, 404, 'INVALID_ARGUMENT', `unknown API method "${shown}"`);
    }
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      req.resume();
      return refuse(res, 415, 'INVALID_ARGUMENT', 'send the request as application/json');
    }
    const body = await readBody(req);
    if (body === 'too-large') {
      return refuse(
        res,
        413,
        'INVALID_ARGUMENT',
        `the request body exceeds ${MAX_BODY_BYTES} bytes`,
        {
          close: true,
        },
      );
    }
    let params: unknown = {};
    if (body.length > 0) {
      try {
        params = JSON.parse(body.toString('utf8'));
      } catch {
        return refuse(res, 400, 'INVALID_ARGUMENT', 'the request body is not valid JSON');
      } finally {
        // The body may hold a PIN: do not leave it in a pooled buffer.
        body.fill(0);
      }
    }
    let reply: ApiReply;
    try {
      reply = await options.dispatch(method, params);
    } catch {
      reply = { ok: false, error: { code: 'INTERNAL', message: 'internal error' } };
    }
    // An answer from the app, refusal or not, is a 200 whose body says which: the page reads
    // the reply either way, and a 4xx/5xx here would put an error line in the UI's console
    // for every wrong PIN. HTTP statuses are kept for the bridge's own refusals above.
    sendJson(res, 200, reply);
  }

  function openEvents(res: ServerResponse): void {
    res.writeHead(200, {
      ...securityHeaders,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    listeners.add(res);
    res.on('close', () => listeners.delete(res));
    writeEvent(res, { type: 'hello', payload: { server: 'signet-bridge' } });
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, path: string) {
    const notFound = () => refuse(res, 404, 'INVALID_ARGUMENT', 'not found');
    if (!root) return notFound();
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return notFound();
    }
    // No parent segments at all (whatever the encoding), no NUL, no backslash tricks.
    if (
      decoded.includes('\0') ||
      decoded.includes('\\') ||
      decoded.split('/').some((segment) => segment === '..')
    ) {
      return notFound();
    }
    const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
    let file = await inside(root, resolve(root, relative));
    if (file === undefined && extname(relative) === '') {
      file = await inside(root, resolve(root, 'index.html')); // client-side routes
    }
    if (file === undefined) return notFound();
    const content = await readFile(file);
    res.writeHead(200, {
      ...securityHeaders,
      'Content-Type': contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': content.length,
      'Cache-Control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : content);
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  const heartbeat = setInterval(() => {
    for (const res of listeners) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    token,
    port,
    server,
    publish(event) {
      const checked = apiEventSchema.safeParse(event);
      if (!checked.success) return;
      for (const res of listeners) writeEvent(res, checked.data);
    },
    close: () =>
      new Promise<void>((resolveClose) => {
        clearInterval(heartbeat);
        for (const res of listeners) res.end();
        listeners.clear();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

/** The file if it exists, is a regular file, and (symlinks resolved) lies inside root. */
async function inside(root: string, candidate: string): Promise<string | undefined> {
  try {
    const real = await realpath(candidate);
    if (real !== root && !real.startsWith(root + sep)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const match = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The body, or 'too-large' past MAX_BODY_BYTES (then the rest is not read). */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.resolve('too-large');
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        for (const c of chunks) c.fill(0);
        resolveBody('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const body = Buffer.concat(chunks);
      for (const c of chunks) c.fill(0);
      resolveBody(body);
    });
    req.on('error', reject);
  });
}

function writeEvent(res: ServerResponse, event: ApiEvent): void {
  res.write(`data: ${JSON.stringify(event)}\n\n`);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: ApiReply,
  extra: Record<string, string> = {},
): void {
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch {
    status = 500;
    text = JSON.stringify({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
  }
  res.writeHead(status, {
    ...securityHeaders,
    ...extra,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function refuse(
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  options: { close?: boolean } = {},
): void {
  const error: SerializedError = { code, message };
  sendJson(res, status, { ok: false, error }, options.close ? { Connection: 'close' } : {});
}

function unauthorised(res: ServerResponse): void {
  sendJson(
    res,
    401,
    { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'missing or wrong session token' } },
    { 'WWW-Authenticate': 'Bearer' },
  );
}
