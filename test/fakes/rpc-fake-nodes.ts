/**
 * FAKE ledger nodes on loopback ports, for what a real Hardhat node cannot do on
 * demand: be down, hang, answer garbage, sit on another chain, or lie. None of
 * them is a ledger: the honest answers always come from a real node behind a
 * fake proxy. They exist only to test core/rpc's failover and cross-checking.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../ledger/hardhat-node.js';

export interface FakeNode {
  url: string;
  port: number;
  /** JSON-RPC methods received, in order (batch members one by one). */
  methods: string[];
  /** Request headers received. */
  headers: IncomingHttpHeaders[];
  /** Closes the port and cuts every open connection, mid-answer or not. */
  stop(): Promise<void>;
}

type JsonRpcRequest = { id?: unknown; method?: string; params?: unknown[] };
type Handler = (body: string, calls: JsonRpcRequest[], response: ServerResponse) => void;

async function serveFake(handler: Handler, port = 0): Promise<FakeNode> {
  const methods: string[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      headers.push(request.headers);
      const calls = parseCalls(body);
      methods.push(...calls.map((call) => String(call.method)));
      handler(body, calls, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    methods,
    headers,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseCalls(body: string): JsonRpcRequest[] {
  try {
    const parsed = JSON.parse(body) as unknown;
    return (Array.isArray(parsed) ? parsed : [parsed]) as JsonRpcRequest[];
  } catch {
    return [];
  }
}

/** A URL where nothing listens: a node that is down. */
export async function fakeDownNodeUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/** Accepts every request and never answers. */
export function startFakeHangingNode(): Promise<FakeNode> {
  return serveFake(() => {});
}

export type GarbageKind =
  | 'not-json'
  | 'no-envelope'
  | 'wrong-id'
  | 'html-502'
  | 'huge-chunked'
  | 'huge-declared';

/** Answers every request with the same kind of garbage. */
export function startFakeGarbageNode(kind: GarbageKind): Promise<FakeNode> {
  return serveFake((_body, calls, response) => {
    const id = calls[0]?.id;
    switch (kind) {
      case 'not-json':
        return response
          .writeHead(200, { 'content-type': 'text/plain' })
          .end('hello, I am not a ledger');
      case 'no-envelope':
        return sendJson(response, { result: '0x7a69' });
      case 'wrong-id':
        return sendJson(response, { jsonrpc: '2.0', id: Number(id) + 1000, result: '0x7a69' });
      case 'html-502':
        return response
          .writeHead(502, 'Bad Gateway', { 'content-type': 'text/html' })
          .end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      case 'huge-chunked':
        return streamHugeBody(response, false);
      case 'huge-declared':
        return streamHugeBody(response, true);
    }
  });
}

const HUGE_BYTES = 100 * 1024 * 1024;

/** A 100 MB JSON string, written with back-pressure so the fake never holds it in memory. */
function streamHugeBody(response: ServerResponse, declareLength: boolean): void {
  const head = '{"jsonrpc":"2.0","id":1,"result":"0x';
  const tail = '"}';
  const chunk = Buffer.alloc(64 * 1024, 'a');
  response.writeHead(200, {
    'content-type': 'application/json',
    ...(declareLength && { 'content-length': String(HUGE_BYTES) }),
  });
  response.write(head);
  let left = HUGE_BYTES - head.length - tail.length;
  const pump = () => {
    while (left > 0 && !response.destroyed) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!response.write(piece)) return void response.once('drain', pump);
    }
    if (!response.destroyed) response.end(tail);
  };
  response.on('error', () => {}); // the client hangs up once it has seen enough
  pump();
}

/** A JSON-RPC error object, as a fake node answers it instead of forwarding. */
export interface FakeRpcError {
  code: number;
  message: string;
  data?: unknown;
}

export interface FakeProxyOptions {
  /** Answer eth_chainId with this chain id: a node on another chain. */
  chainId?: number;
  /** Change a result on the way back: a lying node. Return the result to pass it through. */
  alter?: (method: string, params: unknown[], result: unknown) => unknown;
  /**
   * Answer a call with this instead of forwarding it (return undefined to
   * forward): a node that refuses a transaction in its own words, or one that
   * takes it and loses it.
   */
  intercept?: (
    method: string,
    params: unknown[],
  ) => { error: FakeRpcError } | { result: unknown } | undefined;
  /**
   * Be this many blocks behind the real node, as a node still importing them is:
   * its head is lower, blocks above it are "header not found", receipts and logs
   * above it do not exist yet, and "latest" means its own head.
   */
  lag?: number;
  /** Demand HTTP basic auth with this 'user:password'. */
  basicAuth?: string;
  /** Answer batches in reverse order (JSON-RPC allows any order). */
  reverseBatches?: boolean;
  /** Answer any batch with one "invalid request" error, as nodes without batch support do. */
  rejectBatches?: boolean;
  /** Listen on this port (to bring a "node" back on the same URL). */
  port?: number;
  /** Never answer a request while this says so (asked per request): a node that hangs midway. */
  hang?: (calls: Array<{ method: string; params: unknown[] }>) => boolean;
}

/**
 * A FAKE node that forwards to a real one: transparent by default, so that it and
 * the real node are two URLs that agree; with options, it lies or sits on another chain.
 */
export function startFakeProxy(target: string, options: FakeProxyOptions = {}): Promise<FakeNode> {
  return serveFake((body, calls, response) => {
    if (options.basicAuth) {
      const expected = `Basic ${Buffer.from(options.basicAuth).toString('base64')}`;
      const given = (response.req.headers.authorization ?? '') as string;
      if (given !== expected) return response.writeHead(401).end('unauthorized');
    }
    if (options.hang?.(calls.map((c) => ({ method: String(c.method), params: c.params ?? [] }))))
      return;
    if (options.rejectBatches && body.trimStart().startsWith('['))
      return sendJson(response, {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'batches are not supported' },
      });
    if (!options.intercept && options.lag === undefined) {
      void forward(target, body).then(
        (answer) => respond(answer),
        () => response.destroy(), // the real node is gone: so is this one
      );
      return;
    }
    // Call by call, so that each may be intercepted or seen from a lagging head.
    void (async () => {
      const head =
        options.lag === undefined
          ? undefined
          : Number(((await forward(target, envelope(0, 'eth_blockNumber', []))) as Item).result) -
            options.lag;
      const answers = await Promise.all(calls.map((call) => answerCall(target, call, head)));
      return Array.isArray(JSON.parse(body)) ? answers : answers[0];
    })().then(
      (answer) => respond(answer),
      () => response.destroy(),
    );

    function respond(answer: unknown): void {
      const answers = (Array.isArray(answer) ? answer : [answer]) as Item[];
      for (const item of answers) {
        const call = calls.find((c) => c.id === item.id);
        if (!call || !('result' in item)) continue;
        if (options.chainId !== undefined && call.method === 'eth_chainId')
          item.result = `0x${options.chainId.toString(16)}`;
        if (options.alter)
          item.result = options.alter(call.method!, call.params ?? [], item.result);
      }
      if (options.reverseBatches && Array.isArray(answer)) answer.reverse();
      sendJson(response, answer);
    }
  }, options.port);

  async function answerCall(target: string, call: JsonRpcRequest, head?: number): Promise<Item> {
    const method = String(call.method);
    const params = [...(call.params ?? [])];
    const intercepted = options.intercept?.(method, params);
    if (intercepted) return { jsonrpc: '2.0', id: call.id, ...intercepted };
    if (head === undefined)
      return (await forward(target, envelope(call.id, method, params))) as Item;
    return lagging(target, call.id, method, params, head);
  }
}

type Item = Record<string, unknown> & { id?: unknown; result?: unknown };

/** Which parameter names a block, per method (the rest name none). */
const blockParam: Record<string, number> = {
  eth_call: 1,
  eth_getBalance: 1,
  eth_getTransactionCount: 1,
  eth_getCode: 1,
  eth_getStorageAt: 2,
  eth_getBlockByNumber: 0,
};

/** One call as a node whose head is `head` answers it. */
async function lagging(
  target: string,
  id: unknown,
  method: string,
  params: unknown[],
  head: number,
): Promise<Item> {
  const hex = `0x${head.toString(16)}`;
  const notFound = { jsonrpc: '2.0', id, error: { code: -32000, message: 'header not found' } };
  const above = (block: unknown) =>
    typeof block === 'string' && block.startsWith('0x') && Number(block) > head;
  if (method === 'eth_blockNumber') return { jsonrpc: '2.0', id, result: hex };
  const at = blockParam[method];
  if (at !== undefined) {
    const block = params[at];
    if (block === undefined || block === 'latest' || block === 'pending' || block === 'safe')
      params[at] = hex;
    else if (above(block)) return notFound;
  }
  if (method === 'eth_getLogs') {
    const filter = { ...(params[0] as Record<string, unknown>) };
    if (above(filter.fromBlock)) return { jsonrpc: '2.0', id, result: [] };
    if (filter.toBlock === undefined || filter.toBlock === 'latest' || above(filter.toBlock))
      filter.toBlock = hex;
    params[0] = filter;
  }
  const answer = (await forward(target, envelope(id, method, params))) as Item;
  const result = answer.result as { blockNumber?: unknown } | null | undefined;
  if (!result || !above(result.blockNumber)) return answer;
  if (method === 'eth_getTransactionReceipt') return { ...answer, result: null };
  if (method === 'eth_getTransactionByHash')
    // Not in a block it has: pending, as far as it knows.
    return {
      ...answer,
      result: { ...result, blockNumber: null, blockHash: null, transactionIndex: null },
    };
  return answer;
}

function envelope(id: unknown, method: string, params: unknown[]): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

async function forward(target: string, body: string): Promise<unknown> {
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return response.json();
}

function sendJson(response: ServerResponse, value: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}
