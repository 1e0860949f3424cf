/**
 * From a method name and raw params to a typed handler and back: the one place
 * that validates a request on the way in, runs the handler with its caller's
 * PINs, validates the result on the way out, and turns whatever was thrown
 * into a SerializedError. A SignetError leaves as its toJSON(); anything else,
 * and a result that breaks the contract, leaves as a generic INTERNAL error
 * (its text goes to `onInternalError` only: it may name paths or internals).
 *
 * Two doors, one path behind them:
 * - `createDispatcher`: the boundary (Electron IPC, the browser bridge). Only
 *   the UI's methods (core/api/methods.ts `apiRequests`); PINs arrive inside
 *   the request and are taken out of it before the handler sees it.
 * - `createLocalCaller`: the `signet` command, in-process. The UI's methods and
 *   the operator's (core/api/operator.ts); PINs come from the CLI's prompt,
 *   file or stdin as a PinProvider; errors are thrown as SignetError.
 */
import type { z } from 'zod';
import type { PinProvider } from '../../native/pin.js';
import { type SerializedError, SignetError } from '../api/errors.js';
import {
  type AppMethod,
  type AppRequest,
  type AppResult,
  appRequests,
  appResults,
  isApiMethod,
} from '../api/methods.js';
import type { ApiDispatch, ApiReply } from '../api/transport.js';
import { takeRequestPins } from './request-pins.js';

/**
 * Who is calling: the UI (through a boundary; untrusted, like any page) or the
 * operator at the command line (trusted as the user who runs it).
 */
export type CallerOrigin = 'ui' | 'cli';

export interface Caller {
  /** PINs for the token a request names (a payment's: its key's). */
  pins: PinProvider;
  /**
   * The PIN of a P-256 account's carrier, when the carrier's key is on another
   * token: never the key's PIN (a PIN typed for one token is not tried on
   * another). Left out: the carrier's token is told no PIN came for it.
   */
  carrierPins?: PinProvider | undefined;
  origin: CallerOrigin;
}

/** One handler per method: the parsed request (PIN fields removed) and who asks. */
export type Handlers = {
  [M in AppMethod]: (
    request: z.output<(typeof appRequests)[M]>,
    caller: Caller,
  ) => Promise<z.input<(typeof appResults)[M]>>;
};

/** The same, untyped and partial: what the dispatcher calls (tests pass handlers that break the contract). */
export type DispatchHandlers = Partial<
  Record<AppMethod, (request: never, caller: Caller) => Promise<unknown>>
>;

export interface DispatcherOptions {
  handlers: DispatchHandlers;
  isClosed?: () => boolean;
  onInternalError?: (method: string, error: unknown) => void;
}

/** The boundary's door: UI methods only, PINs from the request. */
export function createDispatcher(options: DispatcherOptions): ApiDispatch {
  return (method, params) =>
    run(options, isApiMethod(method) ? method : undefined, method, params, (request) => {
      const pins = takeRequestPins(request);
      return {
        caller: { pins: pins.provider, carrierPins: pins.carrierProvider, origin: 'ui' },
        done: pins.wipe,
      };
    });
}

export type LocalCall = <M extends AppMethod>(
  method: M,
  request: AppRequest<M>,
  pins: PinProvider,
  /** A carrier's token's PIN (--carrier-pin-file); none given: the carrier's token says it needs one. */
  carrierPins?: PinProvider,
) => Promise<AppResult<M>>;

/** The CLI's door: every method, PINs from the CLI, errors thrown as SignetError. */
export function createLocalCaller(options: DispatcherOptions): LocalCall {
  return async (method, request, pins, carrierPins) => {
    const known = Object.hasOwn(appRequests, method) ? method : undefined;
    const reply = await run(options, known, method, request, (fields) => {
      // The CLI never sends PIN fields; any that came anyway are dropped, not used.
      takeRequestPins(fields).wipe();
      return { caller: { pins, carrierPins, origin: 'cli' }, done: () => {} };
    });
    if (!reply.ok) throw SignetError.fromJSON(reply.error);
    return reply.result as never;
  };
}

async function run(
  options: DispatcherOptions,
  method: AppMethod | undefined,
  name: unknown,
  params: unknown,
  callerFor: (request: Record<string, unknown>) => { caller: Caller; done: () => void },
): Promise<ApiReply> {
  const handler = method ? options.handlers[method] : undefined;
  if (!method || !handler) {
    const shown = String(name)
      .replace(/[^\w.-]/g, '?')
      .slice(0, 64);
    return fail(
      new SignetError('INVALID_ARGUMENT', `unknown API method "${shown}"`, {
        details: { method: shown, reason: 'unknown-method' },
      }).toJSON(),
    );
  }
  if (options.isClosed?.()) return fail({ code: 'INTERNAL', message: 'the Signet API is closed' });
  // Left out means none; anything else (null included) must be the method's object.
  const parsed = appRequests[method].safeParse(params === undefined ? {} : params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    return fail(
      new SignetError(
        'INVALID_ARGUMENT',
        `invalid ${method} request: ${field ? `${field}: ` : ''}${issue?.message}`,
        { details: { method, field } },
      ).toJSON(),
    );
  }
  // The schemas drop fields they do not name; a caller that sends one is refused
  // instead, so nothing it meant to slip past the contract is silently ignored.
  const unknown = Object.entries(params ?? {}).find(
    ([key, value]) => value !== undefined && !Object.hasOwn(parsed.data as object, key),
  )?.[0];
  if (unknown !== undefined) {
    const shown = unknown.replace(/[^\w.-]/g, '?').slice(0, 64);
    return fail(
      new SignetError('INVALID_ARGUMENT', `invalid ${method} request: unknown field "${shown}"`, {
        details: { method, field: shown },
      }).toJSON(),
    );
  }
  const request = { ...(parsed.data as Record<string, unknown>) };
  const { caller, done } = callerFor(request);
  let result: unknown;
  try {
    result = await (handler as (r: unknown, c: Caller) => Promise<unknown>)(request, caller);
  } catch (error) {
    return fail(error instanceof SignetError ? safeJson(error) : internal(options, method, error));
  } finally {
    done();
  }
  const checked = appResults[method].safeParse(result);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return fail(
      internal(
        options,
        method,
        new Error(`result breaks the contract at ${issue?.path.join('.')}: ${issue?.message}`),
      ),
    );
  }
  return { ok: true, result: checked.data };
}

function internal(options: DispatcherOptions, method: string, error: unknown): SerializedError {
  options.onInternalError?.(method, error);
  return { code: 'INTERNAL', message: `internal error in ${method}` };
}

function fail(error: SerializedError): ApiReply {
  return { ok: false, error };
}

/** toJSON, with details dropped if they would not survive JSON (a bigint, a cycle). */
function safeJson(error: SignetError): SerializedError {
  const json = error.toJSON();
  try {
    JSON.stringify(json);
    return json;
  } catch {
    return { code: json.code, message: json.message };
  }
}
