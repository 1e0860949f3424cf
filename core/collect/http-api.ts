/**
 * The collection service's HTTP API (node:http, JSON both ways):
 *
 *   GET  /v1/health
 *   POST /v1/vouchers          {"payments": [<offline payment file JSON>, …]}
 *   GET  /v1/vouchers/<hash>
 *   POST /v1/certificates      a purse certificate request
 *
 * Bodies are capped, must be application/json (a web page cannot post that
 * cross-origin without a preflight this server never answers), and are
 * validated with the zod schemas of core/api/purse-transit.ts. Every refusal is
 * {"error": {code, message, details?}} with a one-line message; an internal
 * error says only that.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { z } from 'zod';
import { type ErrorCategory, SignetError } from '../api/errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface Route {
  method: 'GET' | 'POST';
  /** Matched against the path; groups are the handler's parameters. */
  path: RegExp;
  /** Validates a POST body; the handler gets its output. */
  body?: z.ZodType;
  handle(params: string[], body: unknown): Promise<unknown> | unknown;
}

const statusOf: Record<ErrorCategory, number> = {
  user: 400,
  device: 503,
  network: 502,
  internal: 500,
};

class HttpRefusal extends SignetError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('INVALID_ARGUMENT', message);
  }
}

export function createCollectServer(
  routes: readonly Route[],
  onInternalError: (error: unknown) => void,
  maxBodyBytes = MAX_BODY_BYTES,
): Server {
  return createServer((request, response) => {
    void respond(routes, request, response, maxBodyBytes).catch((error) => {
      onInternalError(error);
      if (!response.headersSent) send(response, 500, internal());
      else response.destroy();
    });
  });
}

const internal = () => ({
  error: { code: 'INTERNAL', message: 'internal error in the collection service' },
});

async function respond(
  routes: readonly Route[],
  request: IncomingMessage,
  response: ServerResponse,
  maxBodyBytes: number,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!;
  try {
    const candidates = routes.filter((route) => route.path.test(path));
    if (candidates.length === 0) throw new HttpRefusal(404, `no such endpoint: ${clip(path)}`);
    const route = candidates.find((r) => r.method === request.method);
    if (!route) throw new HttpRefusal(405, `${request.method} is not allowed on ${clip(path)}`);
    const params = route.path.exec(path)!.slice(1);
    let body: unknown;
    if (route.method === 'POST') {
      const type = request.headers['content-type'] ?? '';
      if (!/^application\/json(\s*;|$)/i.test(type)) {
        throw new HttpRefusal(415, 'the body must be application/json');
      }
      const text = await readBody(request, maxBodyBytes);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new SignetError('INVALID_ARGUMENT', 'the body is not JSON (truncated or damaged)');
      }
      const parsed = route.body!.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
        throw new SignetError(
          'INVALID_ARGUMENT',
          `the request is not well formed: ${where}${issue?.message ?? 'invalid'}`,
        );
      }
      body = parsed.data;
    }
    send(response, 200, await route.handle(params, body));
  } catch (error) {
    if (error instanceof HttpRefusal) {
      send(response, error.status, { error: { code: error.code, message: error.message } });
    } else if (error instanceof SignetError) {
      send(response, statusOf[error.category], { error: error.toJSON() });
    } else {
      throw error;
    }
  }
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      request.resume();
      reject(new HttpRefusal(413, `the body is over ${maxBytes} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.removeAllListeners('data');
        request.resume();
        reject(new HttpRefusal(413, `the body is over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
