/**
 * RpcPool: Signet's JSON-RPC client over several nodes of one chain, with its own
 * failover and cross-checking (no third-party transport: these rules are ours).
 *
 * - Plain requests go to the preferred node: the first usable one in the
 *   profile's order, nodes whose head is out of line with the quorum's last
 *   ('behind', or claiming a head no quorum backs), 'disagreeing' nodes never. A node that
 *   cannot serve (refused, timeout, HTTP 5xx, garbage, over the size cap) is
 *   marked down and the next one is asked; it is tried again after a back-off
 *   (2 s doubling to 30 s), or at once after retryNow() (a sync the user asked
 *   for), and its chain id is checked again first. A JSON-RPC error is the
 *   node's answer, not its failure: every node would say the same.
 * - Before a node serves anything its eth_chainId must match the profile's; a
 *   node on another chain is never used ('wrong-chain', looked at again after
 *   the longest back-off in case an operator fixes it).
 * - Cross-checked requests ask every reachable node at once. The answer of a
 *   strict majority of the nodes that answered wins; nodes that said something
 *   else are flagged 'disagreeing' (and avoided) until they agree again on every
 *   kind of question they were flagged for (the method; for eth_call, the
 *   contract and function). Ties and
 *   mere pluralities are NODE_DISAGREES: the highest head does not break a tie,
 *   since any node can claim a high head. A lone answer (the others down) is
 *   accepted; status() shows how little it was checked.
 *
 * - Polls decide what Signet believes about its own transactions (receipts,
 *   whether a node knows a transaction, the account's nonce): every reachable
 *   node is asked, and an answer counts only when a quorum of the CONFIGURED
 *   nodes (more than half of them, see vote.ts) gave it. Nodes down or silent
 *   count against belief: with two of three down, nothing is believed. Nodes
 *   that said something else than an agreed answer are flagged 'disagreeing'.
 *
 * Heights. Nodes of one chain are rarely at the same block, so "latest" differs
 * from node to node and cross-checking a "latest" read would flag honest nodes.
 * Reads whose answer depends on the height must name an explicit block number
 * (the caller passes it as the block parameter, and as `atBlock`): heads()
 * returns `pinned`, a block every node near the quorum's head has (vote.ts),
 * and `common`, the lowest head among the nodes that answered. Both measure
 * from the quorum's anchor (vote.ts quorumAnchor), the head a quorum of the
 * configured nodes has reached, never from the best single claim: nodes more
 * than `maxLag` blocks below the anchor are 'behind', nodes more than `maxLag`
 * above it claim a head no quorum backs; either is last in line for plain
 * requests, and both still vote. So one node claiming a huge head neither
 * marks the honest nodes 'behind' nor becomes the node plain reads go to. A
 * read `atBlock` skips the nodes whose last reported head is below that block:
 * they cannot know it yet.
 *
 * Figures honest nodes need not agree on exactly (eth_gasPrice) are asked of
 * every node (askEach) and the caller takes their median (vote.ts lowerMedian).
 */
import { SignetError } from '../api/errors.js';
import { revertData, rpcError } from './rpc-errors.js';
import {
  type Answer,
  BatchUnsupported,
  type Endpoint,
  type ExchangeLimits,
  exchange,
  exchangeBatch,
  NodeFailure,
  toEndpoint,
} from './transport.js';
import { answerKey, majority, pinnedHead, quorumAnchor, quorumKey, quorumOf } from './vote.js';

export type NodeState = 'up' | 'down' | 'behind' | 'disagreeing' | 'wrong-chain' | 'unknown';

/** What a node said against the majority, for the UI. */
export interface Disagreement {
  method: string;
  said: string;
  majority: string;
}

export interface NodeStatus {
  /** Without credentials. */
  url: string;
  state: NodeState;
  head?: number;
  lastError?: string;
  latencyMs?: number;
  disagreement?: Disagreement;
}

export interface RpcPoolOptions {
  urls: string[];
  chainId: number;
  /** Per attempt, covering the whole answer. Default 10 s. */
  timeoutMs?: number;
  /** Default 32 MiB. */
  maxResponseBytes?: number;
  /**
   * Blocks a node's head may be off the quorum's anchor (vote.ts quorumAnchor)
   * before it is last in line: below it, the node is 'behind'. Default 5.
   */
  maxLag?: number;
  /** First back-off for a down node; doubles per failure in a row. Default 2 s. */
  backoffMs?: number;
  /** Default 30 s; also how long a wrong-chain node is left alone. */
  maxBackoffMs?: number;
}

export interface RequestOptions {
  /** Ask every reachable node and return the majority's answer. */
  crossCheck?: boolean;
  /**
   * What a cross-check compares (default: the whole answer). Between different
   * node implementations, whose objects carry different extra fields, compare
   * what matters, e.g. `(block) => block?.hash`.
   */
  compareBy?: (result: unknown) => unknown;
  /**
   * The block the read names: a cross-check skips nodes whose last reported
   * head (heads()) is below it, rather than flag them for not having it yet.
   */
  atBlock?: number;
}

export interface PollOptions {
  /** As for a cross-check: what the vote compares (default: the whole answer). */
  compareBy?: (result: unknown) => unknown;
  /** As for a cross-check: skip nodes whose last reported head is below this block. */
  atBlock?: number;
  /**
   * Flag the nodes that said something else than an agreed answer (default
   * true). Off for what honest nodes may differ on, such as their mempools.
   */
  flag?: boolean;
}

/** One call's vote. */
export interface Poll {
  /** The answer a quorum of the configured nodes gave; undefined when none did. */
  agreed: Answer | undefined;
  /** Nodes that gave the agreed answer (0 without one). */
  votes: number;
  /** Nodes that answered at all. */
  answered: number;
  /** What each node that answered said, in the profile's order. */
  answers: NodeAnswer[];
}

/** One node's answer, for callers that judge answers themselves (a broadcast). */
export interface NodeAnswer {
  /** Without credentials. */
  url: string;
  answer: Answer;
}

export interface RpcCall {
  method: string;
  params?: readonly unknown[];
}

export interface Heads {
  /** The highest head any node reported: one node's claim, which nothing checks. */
  best: number;
  /** The lowest head among the nodes that answered: every one of them has this block. */
  common: number;
  /**
   * Where reads pin: the newest block every node near the quorum's head has
   * (vote.ts pinnedHead). Not moved by one node claiming a huge head, nor held
   * back by one far behind.
   */
  pinned: number;
}

export type StatusListener = (status: NodeStatus) => void;

interface Node {
  endpoint: Endpoint;
  /** As last reported to listeners. */
  state: NodeState;
  answered: boolean;
  chainChecked: boolean;
  chainCheck: Promise<void> | undefined;
  down: boolean;
  wrongChain: number | undefined;
  /** Failures in a row: they set the back-off. */
  failures: number;
  /** A down or wrong-chain node is left alone until then (Date.now()). */
  retryAt: number;
  /** Its head is more than maxLag below the quorum's anchor. */
  behind: boolean;
  /** Its head is more than maxLag above the quorum's anchor: a claim no quorum backs. */
  ahead: boolean;
  /** The newest of `flags`, shown; undefined when there is none. */
  disagreement: Disagreement | undefined;
  /** What it disagreed on, per kind of question (questionOf), oldest first. */
  flags: Map<string, Disagreement>;
  head: number | undefined;
  lastError: string | undefined;
  latencyMs: number | undefined;
}

export class RpcPool {
  readonly chainId: number;
  readonly #nodes: Node[];
  readonly #limits: ExchangeLimits;
  readonly #maxLag: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #listeners = new Set<StatusListener>();
  #nextId = 1;

  constructor(options: RpcPoolOptions) {
    if (options.urls.length === 0)
      throw new SignetError('INVALID_ARGUMENT', 'a ledger needs at least one node URL');
    const endpoints = options.urls.map(toEndpoint);
    // The same node listed twice would vote twice in a cross-check.
    const seen = new Set<string>();
    for (const { href, headers, shown } of endpoints) {
      const identity = `${href} ${headers.authorization ?? ''}`;
      if (seen.has(identity))
        throw new SignetError('INVALID_ARGUMENT', `ledger node ${shown} is listed twice`);
      seen.add(identity);
    }
    this.chainId = options.chainId;
    this.#limits = {
      timeoutMs: options.timeoutMs ?? 10_000,
      maxResponseBytes: options.maxResponseBytes ?? 32 * 1024 * 1024,
    };
    this.#maxLag = options.maxLag ?? 5;
    this.#backoffMs = options.backoffMs ?? 2_000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.#nodes = endpoints.map((endpoint) => ({
      endpoint,
      state: 'unknown',
      answered: false,
      chainChecked: false,
      chainCheck: undefined,
      down: false,
      wrongChain: undefined,
      failures: 0,
      retryAt: 0,
      behind: false,
      ahead: false,
      disagreement: undefined,
      flags: new Map(),
      head: undefined,
      lastError: undefined,
      latencyMs: undefined,
    }));
  }

  async request<T = unknown>(
    method: string,
    params: readonly unknown[] = [],
    options: RequestOptions = {},
  ): Promise<T> {
    if (options.crossCheck) return (await this.#crossCheck(method, params, options)) as T;
    const answer = await this.#failover((node) => this.#send(node, method, params));
    return unwrap(method, answer) as T;
  }

  /**
   * Many calls in one JSON-RPC batch to one node (same failover as request);
   * results in the order of `calls`. A JSON-RPC error in any of them throws
   * RPC_ERROR with its `index`.
   */
  async batch(calls: readonly RpcCall[]): Promise<unknown[]> {
    if (calls.length === 0) return [];
    const request = calls.map(({ method, params }) => ({ method, params: params ?? [] }));
    const answers = await this.#failover(async (node) => {
      await this.#ensureChain(node);
      const firstId = this.#id(request.length);
      const answers = await this.#timed(node, () =>
        exchangeBatch(node.endpoint, firstId, request, this.#limits),
      );
      this.#markUp(node);
      return answers;
    });
    return answers.map((answer, index) => unwrap(request[index]!.method, answer, { index }));
  }

  /** The profile's node count: quorums are of these, not of the nodes that answered. */
  get size(): number {
    return this.#nodes.length;
  }

  /** How many nodes must agree for an answer to count in a poll (vote.ts quorumOf). */
  get quorum(): number {
    return quorumOf(this.#nodes.length);
  }

  /**
   * Asks every reachable node (skipping those below `atBlock`) for each call, one
   * batch per node, and returns per call what a quorum of the configured nodes
   * agreed on, if anything. JSON-RPC errors are answers and vote like results
   * (by code and revert data). Dissenters from an agreed answer are flagged.
   */
  async poll(calls: readonly RpcCall[], options: PollOptions = {}): Promise<Poll[]> {
    if (calls.length === 0) return [];
    const request = calls.map(({ method, params }) => ({ method, params: params ?? [] }));
    const answered = await this.#askAll(this.#eligible(options.atBlock), (node) =>
      this.#sendAll(node, request),
    );
    if (answered.length === 0) throw this.#noNode();
    return request.map(({ method }, index) => {
      const answers = answered.map(({ node, answer }) => ({ node, answer: answer[index]! }));
      const compared = answers.map(({ answer }) => comparable(answer, options.compareBy));
      const keys = compared.map(({ key }) => key);
      const winner = quorumKey(keys, this.#nodes.length);
      if (winner !== undefined && options.flag !== false)
        this.#judge(questionOf(method, request[index]!.params), answers, compared, winner);
      return {
        agreed: winner === undefined ? undefined : answers[keys.indexOf(winner)]!.answer,
        votes: winner === undefined ? 0 : keys.filter((key) => key === winner).length,
        answered: answers.length,
        answers: answers.map(({ node, answer }) => ({ url: node.endpoint.shown, answer })),
      };
    });
  }

  /**
   * Sends one call to every reachable node and returns what each said, for the
   * caller to judge: a signed transaction goes to all of them (broadcasting is
   * idempotent, the hash is fixed), so that no single node's refusal decides.
   */
  broadcast(method: string, params: readonly unknown[]): Promise<NodeAnswer[]> {
    return this.askEach(method, params);
  }

  /**
   * Sends one call to every reachable node (skipping those below `atBlock`) and
   * returns what each said, judging nothing and flagging no one: for what honest
   * nodes may differ on, which the caller weighs itself (a fee's median).
   */
  async askEach(
    method: string,
    params: readonly unknown[],
    options: { atBlock?: number } = {},
  ): Promise<NodeAnswer[]> {
    const answers = await this.#askAll(this.#eligible(options.atBlock), (node) =>
      this.#send(node, method, params),
    );
    if (answers.length === 0) throw this.#noNode();
    return answers.map(({ node, answer }) => ({ url: node.endpoint.shown, answer }));
  }

  /**
   * Asks every reachable node for its head; flags the ones far below the quorum's
   * anchor as 'behind' and puts those far above it last in line too.
   */
  async heads(): Promise<Heads> {
    const answers = await this.#askAll(this.#reachable(), async (node) => {
      const answer = await this.#send(node, 'eth_blockNumber', []);
      const head = 'result' in answer ? quantity(answer.result) : undefined;
      if (head === undefined)
        throw new NodeFailure(`answered eth_blockNumber with ${preview(answer)}`);
      return head;
    });
    if (answers.length === 0) throw this.#noNode();
    const heads = answers.map(({ answer }) => answer);
    const anchor = quorumAnchor(heads, this.#nodes.length);
    for (const { node, answer } of answers) {
      node.head = answer;
      node.behind = anchor - answer > this.#maxLag;
      node.ahead = answer - anchor > this.#maxLag;
      this.#changed(node);
    }
    return {
      best: Math.max(...heads),
      common: Math.min(...heads),
      pinned: pinnedHead(heads, this.#nodes.length, this.#maxLag),
    };
  }

  status(): NodeStatus[] {
    return this.#nodes.map(statusOf);
  }

  /**
   * Ends every node's back-off: the next requests try each node again (its chain
   * id first). For a sync the user asked for: a node that was down a moment ago
   * is asked now instead of after its back-off. A node that fails again is
   * marked down with the next, longer back-off.
   */
  retryNow(): void {
    for (const node of this.#nodes) node.retryAt = 0;
  }

  /** Called with a node's status whenever its state changes; returns the unsubscribe. */
  onStatus(listener: StatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #crossCheck(
    method: string,
    params: readonly unknown[],
    { compareBy, atBlock }: RequestOptions,
  ): Promise<unknown> {
    const answers = await this.#askAll(this.#eligible(atBlock), (node) =>
      this.#send(node, method, params),
    );
    if (answers.length === 0) throw this.#noNode();
    const compared = answers.map(({ answer }) => comparable(answer, compareBy));
    const keys = compared.map(({ key }) => key);
    const winner = majority(keys);
    if (winner === undefined) {
      const urls = answers.map(({ node }) => node.endpoint.shown).join(', ');
      throw new SignetError(
        'NODE_DISAGREES',
        `ledger nodes disagree on ${method} and no answer has a majority: ${urls} gave ${new Set(keys).size} different answers`,
        {
          details: {
            method,
            params,
            answers: answers.map(({ node }, i) => ({
              url: node.endpoint.shown,
              said: compared[i]!.shown,
            })),
          },
        },
      );
    }
    this.#judge(questionOf(method, params), answers, compared, winner);
    return unwrap(method, answers[keys.indexOf(winner)]!.answer);
  }

  /**
   * Flags the nodes whose answer is not the winner's; clears a flag when its node
   * agrees again on the same kind of question (questionOf). A node that lies
   * about one thing is not cleared by answering others honestly: it stays
   * disagreeing until it agrees again on every kind it was flagged for.
   */
  #judge(
    question: Question,
    answers: readonly { node: Node }[],
    compared: readonly { key: string; shown: string }[],
    winner: string,
  ): void {
    const agreed = compared.find(({ key }) => key === winner)!;
    answers.forEach(({ node }, i) => {
      if (compared[i]!.key === winner) {
        if (!node.flags.delete(question.kind)) return;
      } else {
        node.flags.delete(question.kind); // the newest flag last: it is the one shown
        node.flags.set(question.kind, {
          method: question.method,
          said: compared[i]!.shown,
          majority: agreed.shown,
        });
      }
      node.disagreement = [...node.flags.values()].at(-1);
      this.#changed(node);
    });
  }

  /** The calls as one batch (one exchange for a single call); a node without batches gets them one by one. */
  async #sendAll(
    node: Node,
    request: readonly { method: string; params: readonly unknown[] }[],
  ): Promise<Answer[]> {
    if (request.length === 1)
      return [await this.#send(node, request[0]!.method, request[0]!.params)];
    await this.#ensureChain(node);
    let answers: Answer[];
    try {
      const firstId = this.#id(request.length);
      answers = await this.#timed(node, () =>
        exchangeBatch(node.endpoint, firstId, request, this.#limits),
      );
    } catch (error) {
      if (!(error instanceof BatchUnsupported)) throw error;
      answers = [];
      for (const { method, params } of request)
        answers.push(await this.#send(node, method, params));
    }
    this.#markUp(node);
    return answers;
  }

  /** Tries the preferred nodes in turn until one serves. */
  async #failover<R>(send: (node: Node) => Promise<R>): Promise<R> {
    for (const node of this.#preferred()) {
      try {
        return await send(node);
      } catch (error) {
        if (!(error instanceof NodeFailure)) throw error;
        this.#fail(node, error);
      }
    }
    throw this.#noNode();
  }

  /** Asks all `nodes` in parallel; the ones that fail are marked and left out. */
  async #askAll<R>(
    nodes: Node[],
    ask: (node: Node) => Promise<R>,
  ): Promise<{ node: Node; answer: R }[]> {
    const settled = await Promise.all(
      nodes.map(async (node) => {
        try {
          return { node, answer: await ask(node) };
        } catch (error) {
          if (!(error instanceof NodeFailure)) throw error;
          this.#fail(node, error);
          return undefined;
        }
      }),
    );
    return settled.filter((entry) => entry !== undefined);
  }

  async #send(node: Node, method: string, params: readonly unknown[]): Promise<Answer> {
    await this.#ensureChain(node);
    const answer = await this.#timed(node, () =>
      exchange(node.endpoint, this.#id(), method, params, this.#limits),
    );
    this.#markUp(node);
    return answer;
  }

  /** One chain check per node at a time, however many requests wait for it. */
  #ensureChain(node: Node): Promise<void> {
    if (node.chainChecked) return Promise.resolve();
    node.chainCheck ??= this.#checkChain(node).finally(() => {
      node.chainCheck = undefined;
    });
    return node.chainCheck;
  }

  async #checkChain(node: Node): Promise<void> {
    const answer = await this.#timed(node, () =>
      exchange(node.endpoint, this.#id(), 'eth_chainId', [], this.#limits),
    );
    const chainId = 'result' in answer ? quantity(answer.result) : undefined;
    if (chainId === undefined)
      throw new NodeFailure(`answered eth_chainId with ${preview(answer)}`);
    if (chainId !== this.chainId)
      throw new NodeFailure(`on chain ${chainId}, the profile expects ${this.chainId}`, chainId);
    node.chainChecked = true;
  }

  async #timed<R>(node: Node, run: () => Promise<R>): Promise<R> {
    const started = performance.now();
    const result = await run();
    node.latencyMs = Math.round(performance.now() - started);
    return result;
  }

  /** Nodes not waiting out a back-off. */
  #reachable(): Node[] {
    const now = Date.now();
    return this.#nodes.filter((node) => node.retryAt <= now);
  }

  /** Reachable nodes that may know `atBlock`: a node whose last head is below it cannot. */
  #eligible(atBlock: number | undefined): Node[] {
    const reachable = this.#reachable();
    if (atBlock === undefined) return reachable;
    return reachable.filter((node) => node.head === undefined || node.head >= atBlock);
  }

  /**
   * For plain requests: the profile's order, nodes in line with the quorum's
   * head first, then those 'behind', then those claiming a head no quorum backs
   * (trusted least); 'disagreeing' never.
   */
  #preferred(): Node[] {
    const usable = this.#reachable().filter((node) => !node.disagreement);
    return [
      ...usable.filter((node) => !node.behind && !node.ahead),
      ...usable.filter((node) => node.behind),
      ...usable.filter((node) => node.ahead),
    ];
  }

  #markUp(node: Node): void {
    node.answered = true;
    node.down = false;
    node.wrongChain = undefined;
    node.failures = 0;
    node.retryAt = 0;
    this.#changed(node);
  }

  #fail(node: Node, failure: NodeFailure): void {
    const now = Date.now();
    node.chainChecked = false; // whatever comes back on this URL gets checked again
    node.lastError = failure.reason;
    if (failure.chainId !== undefined) {
      node.down = false;
      node.wrongChain = failure.chainId;
      node.retryAt = now + this.#maxBackoffMs;
    } else if (!(node.down && node.retryAt > now)) {
      // (Concurrent failures of one outage count once.)
      node.down = true;
      node.wrongChain = undefined;
      node.failures += 1;
      node.retryAt = now + Math.min(this.#backoffMs * 2 ** (node.failures - 1), this.#maxBackoffMs);
    }
    this.#changed(node);
  }

  #changed(node: Node): void {
    const state = stateOf(node);
    if (state === node.state) return;
    node.state = state;
    const status = statusOf(node);
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch {
        // A faulty listener (the UI) must not break the ledger connection.
      }
    }
  }

  #noNode(): SignetError {
    const details = { nodes: this.status() };
    if (this.#nodes.every((node) => node.wrongChain !== undefined)) {
      const chains = this.#nodes.map((n) => `${n.endpoint.shown} is on chain ${n.wrongChain}`);
      return new SignetError(
        'WRONG_CHAIN',
        `node ${chains.join(', node ')}, the profile expects ${this.chainId}`,
        { details },
      );
    }
    const reasons = this.#nodes.map((node) => `${node.endpoint.shown}: ${reasonOf(node)}`);
    return new SignetError('NODE_UNREACHABLE', `no ledger node answered: ${reasons.join('; ')}`, {
      details,
    });
  }

  #id(count = 1): number {
    const id = this.#nextId;
    this.#nextId += count;
    return id;
  }
}

/** A kind of question a node may be flagged for lying about. */
interface Question {
  method: string;
  kind: string;
}

/**
 * The kind of a call, for flags: its method, and for a contract call the
 * contract and function too. Every contract read is eth_call, and a node that
 * lies about balances must not be cleared by answering whether an account is
 * frozen honestly.
 */
function questionOf(method: string, params: readonly unknown[]): Question {
  if (method !== 'eth_call') return { method, kind: method };
  const call = params[0] as { to?: unknown; data?: unknown } | undefined;
  const to = typeof call?.to === 'string' ? call.to.toLowerCase() : '';
  const selector = typeof call?.data === 'string' ? call.data.slice(0, 10).toLowerCase() : '';
  return { method, kind: `${method} ${to} ${selector}` };
}

function unwrap(method: string, answer: Answer, extra?: Record<string, unknown>): unknown {
  if ('error' in answer) throw rpcError(method, answer.error, extra);
  return answer.result;
}

/**
 * What a cross-check compares, as a key, and how to show it. Errors compare by
 * code and revert data only: the wording differs from one node implementation
 * to the next.
 */
function comparable(
  answer: Answer,
  compareBy: RequestOptions['compareBy'],
): { key: string; shown: string } {
  if ('error' in answer) {
    const { code, message, data } = answer.error;
    return {
      key: answerKey(['error', code, revertData(data) ?? null]),
      shown: preview(`error ${code}: ${message}`),
    };
  }
  let value: unknown;
  try {
    value = compareBy ? compareBy(answer.result) : answer.result;
  } catch {
    // A node's odd answer must not crash the check: it just matches no one else's.
    return { key: answerKey(['uncomparable', answer.result]), shown: preview(answer.result) };
  }
  return { key: answerKey(['result', value]), shown: preview(value) };
}

function stateOf(node: Node): NodeState {
  if (node.wrongChain !== undefined) return 'wrong-chain';
  if (node.down) return 'down';
  if (node.disagreement) return 'disagreeing';
  if (node.behind) return 'behind';
  return node.answered ? 'up' : 'unknown';
}

function statusOf(node: Node): NodeStatus {
  const status: NodeStatus = { url: node.endpoint.shown, state: stateOf(node) };
  if (node.head !== undefined) status.head = node.head;
  if (node.lastError !== undefined) status.lastError = node.lastError;
  if (node.latencyMs !== undefined) status.latencyMs = node.latencyMs;
  if (node.disagreement) status.disagreement = node.disagreement;
  return status;
}

function reasonOf(node: Node): string {
  if (!node.down && node.wrongChain === undefined && node.disagreement)
    return `avoided: it disagreed with the other nodes on ${node.disagreement.method}`;
  return node.lastError ?? 'not tried';
}

/** A JSON-RPC quantity ('0x7a69') as a safe integer. */
function quantity(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,14}$/.test(value)) return undefined;
  return Number(value);
}

function preview(value: unknown, max = 200): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
