import { describe, expect, it, vi } from 'vitest';
import type { PinProvider } from '../../native/pin.js';
import { SignetError } from '../api/errors.js';
import { type Caller, createDispatcher, createLocalCaller } from './dispatcher.js';

const info = { ledger: null, chainProblem: 'no ledger selected' };

describe('the dispatcher', () => {
  it('answers a valid request with the validated result', async () => {
    const dispatch = createDispatcher({ handlers: { 'app.info': async () => info } });
    expect(await dispatch('app.info', undefined)).toEqual({ ok: true, result: info });
  });

  it('refuses an unknown method in one line, without calling anything', async () => {
    const handler = vi.fn(async () => info);
    const dispatch = createDispatcher({ handlers: { 'app.info': handler } });
    for (const method of ['nope', '__proto__', 'app.info\nINJECTED']) {
      const reply = await dispatch(method, {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
      if (!reply.ok) expect(reply.error.message).not.toContain('\n');
    }
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses invalid params as INVALID_ARGUMENT naming the field', async () => {
    const handler = vi.fn(async () => ({ rows: [], next: null }));
    const dispatch = createDispatcher({ handlers: { 'history.page': handler } });
    expect(await dispatch('history.page', { limit: 100_000 })).toEqual({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'invalid history.page request: limit: Too big: expected number to be <=500',
        details: { method: 'history.page', field: 'limit' },
      },
    });
    expect(await dispatch('history.page', 'not an object')).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses a field the contract does not name, and null for params, without calling anything', async () => {
    const handler = vi.fn(async () => []);
    const dispatch = createDispatcher({ handlers: { 'devices.listTokens': handler } });
    expect(await dispatch('devices.listTokens', { module: '/m.so', digest: '0xab' })).toEqual({
      ok: false,
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'invalid devices.listTokens request: unknown field "digest"',
        details: { method: 'devices.listTokens', field: 'digest' },
      },
    });
    for (const params of [
      JSON.parse('{"__proto__": {"module": "/evil.so"}}'),
      { constructor: 'x' },
      { 'a\nb': 1 },
      null,
      [],
      42,
    ]) {
      const reply = await dispatch('devices.listTokens', params);
      expect(reply, JSON.stringify(params)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT' },
      });
      if (!reply.ok) expect(reply.error.message).not.toContain('\n');
    }
    expect(handler).not.toHaveBeenCalled();
    // Left out is none: the method's defaults apply.
    expect(await dispatch('devices.listTokens', undefined)).toEqual({ ok: true, result: [] });
    expect(handler).toHaveBeenCalledOnce();
  });

  it('serialises a SignetError with its details', async () => {
    const dispatch = createDispatcher({
      handlers: {
        'app.info': async () => {
          throw new SignetError('PIN_INCORRECT', 'wrong PIN for token "A"', {
            details: { retryState: 'count-low' },
          });
        },
      },
    });
    expect(await dispatch('app.info', {})).toEqual({
      ok: false,
      error: {
        code: 'PIN_INCORRECT',
        message: 'wrong PIN for token "A"',
        details: { retryState: 'count-low' },
      },
    });
  });

  it('turns anything else thrown into a generic INTERNAL error, told only to the log hook', async () => {
    const onInternalError = vi.fn();
    const dispatch = createDispatcher({
      onInternalError,
      handlers: {
        'app.info': async () => {
          throw new TypeError('cannot read /home/alice/.secret');
        },
      },
    });
    const reply = await dispatch('app.info', {});
    expect(reply).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'internal error in app.info' },
    });
    expect(onInternalError).toHaveBeenCalledWith('app.info', expect.any(TypeError));
  });

  it('never sends a result that breaks the contract', async () => {
    const onInternalError = vi.fn();
    const dispatch = createDispatcher({
      onInternalError,
      handlers: {
        'accounts.balances': async () => [{ address: '0x1', balance: 12.34, secret: 'raw' }],
      },
    });
    const reply = await dispatch('accounts.balances', {});
    expect(reply).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'internal error in accounts.balances' },
    });
    expect(JSON.stringify(reply)).not.toContain('raw');
    expect(String(onInternalError.mock.calls[0]?.[1])).toMatch(/breaks the contract/);
  });

  it('gives the handler the PIN, out of the request, and wipes it afterwards', async () => {
    let seen: { request: unknown; pins: PinProvider } | undefined;
    const dispatch = createDispatcher({
      handlers: {
        'devices.listKeys': async (request, { pins, origin }) => {
          expect(origin).toBe('ui');
          seen = { request, pins };
          expect((await pins({ role: 'user', token: 'A' })).toString()).toBe('1234');
          return [];
        },
      },
    });
    expect(await dispatch('devices.listKeys', { token: 'pkcs11:token=A', pin: '1234' })).toEqual({
      ok: true,
      result: [],
    });
    expect(seen?.request).toEqual({ token: 'pkcs11:token=A' });
    await expect(seen?.pins({ role: 'user', token: 'A' })).rejects.toMatchObject({
      code: 'PIN_REQUIRED',
    });
  });

  it('answers nothing once closed', async () => {
    let closed = false;
    const dispatch = createDispatcher({
      handlers: { 'app.info': async () => info },
      isClosed: () => closed,
    });
    closed = true;
    expect(await dispatch('app.info', {})).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL' },
    });
  });
});

describe("the local caller (the CLI's door)", () => {
  const pins: PinProvider = async () => Buffer.from('4321');

  it("runs the same handler with the CLI's PINs and origin, and returns the result", async () => {
    const handler = vi.fn(async (_request: unknown, caller: Caller) => {
      expect(caller.origin).toBe('cli');
      expect((await caller.pins({ role: 'user', token: 'A' })).toString()).toBe('4321');
      return [];
    });
    const call = createLocalCaller({ handlers: { 'devices.listKeys': handler } });
    expect(await call('devices.listKeys', { token: 'pkcs11:token=A' }, pins)).toEqual([]);
    expect(handler).toHaveBeenCalledOnce();
  });

  it("reaches the operator's methods, which the boundary refuses", async () => {
    const result = { signature: '0x00', r: '0x00', s: '0x00', v: null };
    const handlers = { 'devices.sign': vi.fn(async () => result) };
    const request = { key: 'pkcs11:object=k', digest: `0x${'ab'.repeat(32)}` };
    expect(await createLocalCaller({ handlers })('devices.sign', request, pins)).toEqual(result);
    expect(await createDispatcher({ handlers })('devices.sign', request)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'unknown API method "devices.sign"' },
    });
    expect(handlers['devices.sign']).toHaveBeenCalledOnce();
  });

  it('throws SignetErrors as they are, and anything else as a generic INTERNAL one', async () => {
    const onInternalError = vi.fn();
    const call = createLocalCaller({
      handlers: {
        'app.info': async () => {
          throw new SignetError('PIN_LOCKED', 'the PIN of token "A" is locked');
        },
        'accounts.list': async () => {
          throw new Error('/home/secret/path exploded');
        },
      },
      onInternalError,
    });
    await expect(call('app.info', {}, pins)).rejects.toMatchObject({
      code: 'PIN_LOCKED',
      message: 'the PIN of token "A" is locked',
    });
    const internal = await call('accounts.list', {}, pins).catch((e: unknown) => e);
    expect(internal).toBeInstanceOf(SignetError);
    expect(internal).toMatchObject({
      code: 'INTERNAL',
      message: 'internal error in accounts.list',
    });
    expect(String(onInternalError.mock.calls[0]?.[1])).toContain('exploded');
  });

  it("validates the CLI's requests like the boundary's", async () => {
    const handler = vi.fn(async () => ({ rows: [], next: null }));
    const call = createLocalCaller({ handlers: { 'history.page': handler } });
    await expect(call('history.page', { limit: 0 }, pins)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(handler).not.toHaveBeenCalled();
  });
});
