/**
 * One JSON-RPC exchange with one node over HTTP, on Node's fetch. Anything that
 * means "this node cannot serve us" (refused, timed out, HTTP 5xx, not JSON, a
 * malformed envelope, an answer over the size cap) becomes a NodeFailure, which
 * the pool answers by failing over. A well-formed JSON-RPC error is an answer.
 */
import { SignetError } from '../api/errors.js';
import { isRpcErrorObject, type RpcErrorObject } from './rpc-errors.js';
import { redactUrl, scrubSecrets, urlSecrets } from './url.js';

/** The node could not serve the request; another node may. `reason` is one short phrase. */
export class NodeFailure extends Error {
  override readonly name = 'NodeFailure';
  constructor(
    readonly reason: string,
    /** Set when the node answered but is on another chain. */
    readonly chainId?: number,
  ) {
    super(reason);
  }
}

/** The node answered a batch with one object: it does not do batches (it may do single calls). */
export class BatchUnsupported extends NodeFailure {}

export type Answer = { result: unknown } | { error: RpcErrorObject };

export interface Endpoint {
  /** What fetch gets: the URL without user:password (fetch refuses those). */
  href: string;
  /** What people see. */
  shown: string;
  headers: Record<string, string>;
  secrets: string[];
}

export interface ExchangeLimits {
  timeoutMs: number;
  maxResponseBytes: number;
}

export function toEndpoint(url: string): Endpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SignetError('INVALID_ARGUMENT', `not a URL: ${redactUrl(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new SignetError(
      'INVALID_ARGUMENT',
      `ledger node URLs must be http(s): ${redactUrl(url)}`,
    );
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
  };
  if (parsed.username || parsed.password) {
    const user = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  return { href: parsed.href, shown: redactUrl(url), headers, secrets: urlSecrets(url) };
}

export async function exchange(
  endpoint: Endpoint,
  id: number,
  method: string,
  params: readonly unknown[],
  limits: ExchangeLimits,
): Promise<Answer> {
  const { status, body } = await post(endpoint, { jsonrpc: '2.0', id, method, params }, limits);
  const answer = parseAnswer(body, id);
  if (typeof answer === 'string') throw new NodeFailure(httpProblem(status) ?? answer);
  return answer;
}

/** One JSON-RPC batch; answers in the order of `calls`, matched by id. */
export async function exchangeBatch(
  endpoint: Endpoint,
  firstId: number,
  calls: readonly { method: string; params: readonly unknown[] }[],
  limits: ExchangeLimits,
): Promise<Answer[]> {
  const request = calls.map(({ method, params }, i) => ({
    jsonrpc: '2.0',
    id: firstId + i,
    method,
    params,
  }));
  const { status, body } = await post(endpoint, request, limits);
  const problem = (text: string) => new NodeFailure(httpProblem(status) ?? text);
  // A node without batch support answers with one error object (id null).
  if (!Array.isArray(body))
    throw new BatchUnsupported(httpProblem(status) ?? 'answered a batch with a single object');
  const byId = new Map<unknown, unknown>(
    body.map((item) => [(item as { id?: unknown } | null)?.id, item]),
  );
  return request.map(({ id }) => {
    const answer = parseAnswer(byId.get(id), id);
    if (typeof answer === 'string') throw problem(`batch answer for id ${id}: ${answer}`);
    return answer;
  });
}

/** Checks the JSON-RPC 2.0 envelope; returns what is wrong with it, if anything. */
function parseAnswer(value: unknown, id: number): Answer | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'malformed JSON-RPC answer: not an object';
  const envelope = value as Record<string, unknown>;
  if (envelope.jsonrpc !== '2.0') return 'malformed JSON-RPC answer: no "jsonrpc": "2.0"';
  if (envelope.id !== id)
    return `malformed JSON-RPC answer: id ${JSON.stringify(envelope.id) ?? 'missing'}, expected ${id}`;
  if ('error' in envelope) {
    if (!isRpcErrorObject(envelope.error)) return 'malformed JSON-RPC answer: bad error object';
    return { error: envelope.error };
  }
  if (!('result' in envelope)) return 'malformed JSON-RPC answer: neither result nor error';
  return { result: envelope.result };
}

/** Why a non-2xx status is a node failure, when the body was no JSON-RPC answer. */
function httpProblem(status: number): string | undefined {
  return status >= 200 && status < 300 ? undefined : `HTTP ${status}`;
}

async function post(
  endpoint: Endpoint,
  payload: unknown,
  limits: ExchangeLimits,
): Promise<{ status: number; body: unknown }> {
  // One deadline for connecting, the headers and the whole body: a node that
  // trickles its answer is as stuck as one that never answers.
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(endpoint.href, {
      method: 'POST',
      headers: endpoint.headers,
      body: JSON.stringify(payload),
      signal,
      redirect: 'manual', // never carry credentials to wherever a redirect points
    });
    // HTTP 5xx is the node's (or its proxy's) trouble even if the body looks like JSON-RPC.
    if (response.status >= 500) {
      await response.body?.cancel();
      throw new NodeFailure(`HTTP ${response.status}${statusText(response)}`);
    }
    text = await readCapped(response, limits.maxResponseBytes);
  } catch (error) {
    throw new NodeFailure(scrubSecrets(describe(error, limits.timeoutMs), endpoint.secrets));
  }
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    const type = response.headers.get('content-type')?.split(';')[0] || 'no content type';
    throw new NodeFailure(
      httpProblem(response.status) ?? `answered with something that is not JSON (${type})`,
    );
  }
}

/** Reads the body, giving up as soon as it grows past the cap. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const tooBig = () => new NodeFailure(`answer over the size cap (${maxBytes} bytes)`);
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel();
    throw tooBig();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooBig();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof NodeFailure) return error.reason;
  const name = (error as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'connection closed while waiting for the answer';
  }
  const message = typeof cause?.message === 'string' ? cause.message : String(error);
  return message.split('\n')[0]!.slice(0, 200);
}

function statusText(response: Response): string {
  return response.statusText ? ` ${response.statusText}` : '';
}
