/**
 * The renderer's one way to the backend: typed calls of the API contract
 * (core/api/methods.ts). In Electron it goes through the preload's
 * `window.signet`; in a browser, over the loopback bridge with the session
 * token the bridge put in the URL fragment. Every reply is checked against the
 * contract's result schema; failures reject with an ApiError carrying the
 * server's SerializedError unchanged.
 */
import './zod-setup.js';
import { type ErrorCode, errorCodes, type SerializedError } from '../../core/api/errors.js';
import { apiEventSchema } from '../../core/api/events.js';
import {
  type ApiMethod,
  type ApiRequest,
  type ApiResult,
  apiResults,
} from '../../core/api/methods.js';
import type { ApiEvent, ApiReply } from '../../core/api/transport.js';

interface SignetPreload {
  call(method: string, params?: unknown): Promise<ApiReply>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** Lets main grant the camera while a QR scan runs (electron/preload-bridge.ts). */
  setScanning(active: boolean): Promise<ApiReply>;
}

declare global {
  interface Window {
    signet?: SignetPreload;
  }
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly error: SerializedError;
  constructor(error: SerializedError) {
    super(error.message);
    this.error = error;
  }
  get code(): ErrorCode {
    return this.error.code;
  }
}

/** The SerializedError of anything a call may throw. */
export function serialized(error: unknown): SerializedError {
  if (error instanceof ApiError) return error.error;
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message };
}

const TOKEN_KEY = 'signet.bridgeToken';

/**
 * Takes the bridge token out of the URL (so it is not left in the address bar,
 * history or a screenshot) into sessionStorage, which dies with the tab.
 */
function bridgeToken(): string | null {
  const match = /(?:^#|&)token=([0-9a-fA-F]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

// Read once at start-up, before anything else can see the fragment.
const token = window.signet ? null : bridgeToken();

function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' && Object.hasOwn(errorCodes, v.code) && typeof v.message === 'string'
  );
}

async function transport(method: string, params: unknown): Promise<unknown> {
  if (window.signet) return window.signet.call(method, params);
  if (!token) {
    return {
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'no session token: open the link the bridge printed',
      },
    };
  }
  let response: Response;
  try {
    response = await fetch(`/api/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(params ?? {}),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      error: { code: 'INTERNAL', message: `the bridge did not answer: ${message}` },
    };
  }
  try {
    return await response.json();
  } catch {
    return {
      ok: false,
      error: { code: 'INTERNAL', message: `HTTP ${response.status} without a reply` },
    };
  }
}

export async function call<M extends ApiMethod>(
  method: M,
  params: ApiRequest<M>,
): Promise<ApiResult<M>> {
  const reply = (await transport(method, params)) as Partial<ApiReply> | null;
  if (reply && reply.ok === true) {
    const parsed = apiResults[method].safeParse(reply.result);
    if (parsed.success) return parsed.data as ApiResult<M>;
    throw new ApiError({
      code: 'INTERNAL',
      message: `the reply to ${method} breaks the API contract`,
    });
  }
  if (reply && reply.ok === false && isSerializedError(reply.error))
    throw new ApiError(reply.error);
  throw new ApiError({ code: 'INTERNAL', message: `malformed reply to ${method}` });
}

/**
 * One stream per page, however many screens listen: each EventSource holds an
 * HTTP/1.1 connection, and the browser allows only six per origin.
 */
const eventListeners = new Set<(event: ApiEvent) => void>();
let eventSource: EventSource | undefined;

function openEventStream(sessionToken: string): EventSource {
  const source = new EventSource(`/api/events?token=${encodeURIComponent(sessionToken)}`);
  source.onmessage = (message) => {
    let data: unknown;
    try {
      data = JSON.parse(String(message.data));
    } catch {
      return; // Not JSON: not an event.
    }
    const event = apiEventSchema.safeParse(data);
    if (!event.success) return;
    for (const listener of [...eventListeners]) listener(event.data);
  };
  return source;
}

/**
 * Tells Electron's main process a QR scan starts or ends: only then may the page
 * have the camera. In a browser the browser's own camera prompt applies.
 */
export async function setScanning(active: boolean): Promise<void> {
  await window.signet?.setScanning(active);
}

/**
 * Server events (sync progress, node status); returns the function that stops
 * listening. Each event is checked against the events' contract
 * (core/api/events.ts): the preload checks them in Electron, this function on
 * the bridge's stream; anything else is dropped.
 */
export function subscribe(listener: (event: ApiEvent) => void): () => void {
  if (window.signet) return window.signet.onEvent(listener);
  if (!token || typeof EventSource === 'undefined') return () => {};
  eventListeners.add(listener);
  eventSource ??= openEventStream(token);
  return () => {
    eventListeners.delete(listener);
    if (eventListeners.size === 0) {
      eventSource?.close();
      eventSource = undefined;
    }
  };
}
