/**
 * From `dispatch(method, params)` to a typed handler and back: the one place
 * that validates a request on the way in, takes its PINs out, runs the
 * handler, validates the result on the way out, and turns whatever was thrown
 * into a SerializedError. A SignetError leaves as its toJSON(); anything else,
 * and a result that breaks the contract, leaves as a generic INTERNAL error
 * (its text goes to `onInternalError` only: it may name paths or internals).
 */
import type { z } from 'zod';
import type { PinProvider } from '../../native/pin.js';
import { type SerializedError, SignetError } from '../api/errors.js';
import { type ApiMethod, apiRequests, apiResults, isApiMethod } from '../api/methods.js';
import type { ApiDispatch, ApiReply } from '../api/transport.js';
import { takeRequestPins } from './request-pins.js';

/** One handler per method: the parsed request (PIN fields removed) and that request's PINs. */
export type Handlers = {
  [M in ApiMethod]: (
    request: z.output<(typeof apiRequests)[M]>,
    pins: PinProvider,
  ) => Promise<z.input<(typeof apiResults)[M]>>;
};

/** The same, untyped: what the dispatcher calls (tests pass handlers that break the contract). */
export type DispatchHandlers = Partial<
  Record<ApiMethod, (request: never, pins: PinProvider) => Promise<unknown>>
>;

export interface DispatcherOptions {
  handlers: DispatchHandlers;
  isClosed?: () => boolean;
  onInternalError?: (method: string, error: unknown) => void;
}

export function createDispatcher(options: DispatcherOptions): ApiDispatch {
  const internal = (method: string, error: unknown): SerializedError => {
    options.onInternalError?.(method, error);
    return { code: 'INTERNAL', message: `internal error in ${method}` };
  };

  return async (method, params): Promise<ApiReply> => {
    const handler = isApiMethod(method) ? options.handlers[method] : undefined;
    if (!isApiMethod(method) || !handler) {
      const shown = String(method)
        .replace(/[^\w.-]/g, '?')
        .slice(0, 64);
      return fail(
        new SignetError('INVALID_ARGUMENT', `unknown API method "${shown}"`, {
          details: { method: shown, reason: 'unknown-method' },
        }).toJSON(),
      );
    }
    if (options.isClosed?.())
      return fail({ code: 'INTERNAL', message: 'the Signet API is closed' });
    // Left out means none; anything else (null included) must be the method's object.
    const parsed = apiRequests[method].safeParse(params === undefined ? {} : params);
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
    const unknown = Object.keys(params ?? {}).find((key) => !Object.hasOwn(parsed.data, key));
    if (unknown !== undefined) {
      const shown = unknown.replace(/[^\w.-]/g, '?').slice(0, 64);
      return fail(
        new SignetError('INVALID_ARGUMENT', `invalid ${method} request: unknown field "${shown}"`, {
          details: { method, field: shown },
        }).toJSON(),
      );
    }
    const request = { ...(parsed.data as Record<string, unknown>) };
    const pins = takeRequestPins(request);
    let result: unknown;
    try {
      result = await (handler as (r: unknown, p: PinProvider) => Promise<unknown>)(
        request,
        pins.provider,
      );
    } catch (error) {
      return fail(error instanceof SignetError ? safeJson(error) : internal(method, error));
    } finally {
      pins.wipe();
    }
    const checked = apiResults[method].safeParse(result);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      return fail(
        internal(
          method,
          new Error(`result breaks the contract at ${issue?.path.join('.')}: ${issue?.message}`),
        ),
      );
    }
    return { ok: true, result: checked.data };
  };
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
