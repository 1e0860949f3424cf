import { describe, expect, it } from 'vitest';
import { apiMethods, apiRequests, apiResults, appRequests, isApiMethod } from './methods.js';
import { operatorRequests } from './operator.js';

describe('the API contract', () => {
  it('has a request and a result schema for every method, device methods included', () => {
    expect(Object.keys(apiResults).sort()).toEqual([...apiMethods].sort());
    expect(apiMethods).toEqual(
      expect.arrayContaining(['app.info', 'history.page', 'wallet.send', 'devices.listKeys']),
    );
  });

  it('knows only its own methods', () => {
    expect(isApiMethod('devices.listTokens')).toBe(true);
    for (const name of ['__proto__', 'toString', 'constructor', 'devices', '', 42]) {
      expect(isApiMethod(name)).toBe(false);
    }
  });

  it('takes amounts as decimal strings with at most two decimals', () => {
    const send = apiRequests['wallet.previewSend'];
    const base = { from: 'pkcs11:token=A;object=k', to: `0x${'a'.repeat(40)}` };
    expect(send.safeParse({ ...base, amount: '12.34' }).success).toBe(true);
    expect(send.safeParse({ ...base, amount: '12' }).success).toBe(true);
    for (const amount of ['12.345', '-1', '1e3', 12.34, '', ' 1']) {
      expect(send.safeParse({ ...base, amount }).success).toBe(false);
    }
  });

  it('pages history at most 500 rows at a time, 100 by default', () => {
    const page = apiRequests['history.page'];
    expect(page.parse({})).toEqual({ limit: 100 });
    expect(page.safeParse({ limit: 500 }).success).toBe(true);
    expect(page.safeParse({ limit: 501 }).success).toBe(false);
    expect(page.safeParse({ limit: 0 }).success).toBe(false);
    expect(page.parse({ before: { blockNumber: 9, logIndex: 0 } }).before).toEqual({
      blockNumber: 9,
      logIndex: 0,
    });
  });

  it('lets device requests carry PINs beside their own fields, and keeps their checks', () => {
    const listKeys = apiRequests['devices.listKeys'];
    expect(listKeys.parse({ token: 'pkcs11:token=A', pin: '1234' })).toEqual({
      token: 'pkcs11:token=A',
      pin: '1234',
    });
    expect(listKeys.safeParse({ token: 'not-a-uri', pin: '1234' }).success).toBe(false);
    const sign = appRequests['devices.sign'];
    expect(
      sign.safeParse({ key: 'pkcs11:object=k', digest: '0x00', message: '0x00' }).success,
    ).toBe(false);
    const init = apiRequests['devices.initToken'];
    expect(init.safeParse({ module: '/m.so', label: 'A', slot: 1, free: true }).success).toBe(
      false,
    );
    expect(init.safeParse({ module: '/m.so', label: 'A', slot: 1, soPin: '1' }).success).toBe(true);
  });

  it('has no method that signs bytes the caller supplies (raw signing is `signet sign`)', () => {
    expect(isApiMethod('devices.sign')).toBe(false);
    const fields = (schema: unknown): string[] => {
      const def = (schema as { def: Record<string, unknown> }).def;
      if (def.type === 'object') return Object.keys(def.shape as object);
      if (def.type === 'intersection') return [...fields(def.left), ...fields(def.right)];
      throw new Error(`unexpected request schema type ${String(def.type)}`);
    };
    for (const method of apiMethods) {
      expect(fields(apiRequests[method]), method).not.toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^(digest|message|hash|data|payload|bytes)$/),
        ]),
      );
    }
  });

  it("offers no method that signs caller-supplied bytes to the UI: raw signing is the operator's", () => {
    expect(Object.hasOwn(apiRequests, 'devices.sign')).toBe(false);
    expect(isApiMethod('devices.sign')).toBe(false);
    expect(Object.hasOwn(appRequests, 'devices.sign')).toBe(true);
    // Every operator method stays off the boundary.
    for (const method of Object.keys(operatorRequests)) expect(isApiMethod(method)).toBe(false);
  });

  it('never quotes a refused PIN back in its messages', () => {
    const result = apiRequests['wallet.send'].safeParse({
      from: 'pkcs11:object=k',
      to: `0x${'a'.repeat(40)}`,
      amount: '1',
      pin: 'x'.repeat(300),
    });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).not.toContain('xxxxxxxx');
  });

  it('checks results: amounts are strings, statuses are known', () => {
    const row = {
      txHash: `0x${'1'.repeat(64)}`,
      from: `0x${'a'.repeat(40)}`,
      nonce: 0,
      kind: 'transfer',
      status: 'signed',
      summary: {},
      amount: '1.00',
      blockNumber: null,
      error: null,
    };
    expect(apiResults['outbox.list'].safeParse([row]).success).toBe(true);
    expect(apiResults['outbox.list'].safeParse([{ ...row, amount: 100 }]).success).toBe(false);
    expect(apiResults['outbox.list'].safeParse([{ ...row, status: 'lost' }]).success).toBe(false);
  });
});
