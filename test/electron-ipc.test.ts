/**
 * The IPC seam with FAKE Electron objects: registerApi's sender check and
 * payload validation in main, the camera switch for QR scans (registerScanning,
 * wired to the real permission policy), the event sender, and the preload's
 * `window.signet` bridge validating what comes back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { SignetError } from '../core/api/errors.js';
import type { ApiEvent, SyncProgress } from '../core/api/events.js';
import type { ApiDispatch, ApiReply } from '../core/api/transport.js';
import { createAppApi } from '../core/app/app-api.js';
import { devLocation, fileLocation } from '../electron/app-location.js';
import {
  createEventSender,
  createTrustedSenderCheck,
  type InvokeEvent,
  type IpcMainLike,
  registerApi,
  registerScanning,
  type SenderFrame,
} from '../electron/ipc.js';
import { ipcChannels } from '../electron/ipc-contract.js';
import { createSignetBridge, type IpcRendererLike } from '../electron/preload-bridge.js';
import { createPermissionPolicy, type PermissionPolicy } from '../electron/security.js';

const location = fileLocation('/opt/Signet/resources/app.asar/renderer/dist/index.html');
const appUrl = 'file:///opt/Signet/resources/app.asar/renderer/dist/index.html';

/** A fake WebFrameMain. */
function frame(url: string, ids: { processId?: number; routingId?: number } = {}): SenderFrame {
  return { url, parent: null, processId: ids.processId ?? 4, routingId: ids.routingId ?? 1 };
}

/** A fake ipcMain: keeps the handlers; `invoke` calls one as Electron would. */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: InvokeEvent, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(senderFrame: SenderFrame | null, ...args: unknown[]): Promise<ApiReply> {
    return this.invokeOn(ipcChannels.call, senderFrame, ...args);
  }
  invokeOn(channel: string, senderFrame: SenderFrame | null, ...args: unknown[]) {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return Promise.resolve(handler({ senderFrame }, ...args)) as Promise<ApiReply>;
  }
}

/** A well-formed sync.progress event: half of blocks 1–100 scanned. */
function progress(change: Partial<SyncProgress> = {}): ApiEvent {
  return {
    type: 'sync.progress',
    payload: {
      phase: 'logs',
      fromBlock: 1,
      toBlock: 100,
      currentBlock: 50,
      sent: 0,
      confirmed: 0,
      events: 3,
      ...change,
    },
  };
}

/** Events that break the contract, as main might get them from a bug or a renderer from a forged message. */
const malformedEvents: Array<[string, unknown]> = [
  ['the old loose shape', { type: 'sync.progress', payload: { block: 12 } }],
  ['an empty type', { type: '', payload: 1 }],
  ['an unknown type', { type: 'wallet.drained', payload: {} }],
  ['junk beside type and payload', { ...progress(), extra: true }],
  ['junk in the payload', progress({ pin: '1234' } as never)],
  ['a phase that does not exist', progress({ phase: 'mining' as never })],
  ['a negative block', progress({ currentBlock: -1 })],
  ['a position past the end', progress({ currentBlock: 101 })],
  ['a scan without an end', progress({ toBlock: null })],
  ['an error without failure', progress({ error: 'boom' })],
  ['a failure without its error', progress({ phase: 'failed' })],
  ['a node list that is not one', { type: 'ledger.nodes', payload: { nodes: [{ url: 1 }] } }],
  ['not an object', 'sync.progress'],
  ['null', null],
];

/** `windowFrame` null: the window is gone. */
function setup(windowFrame: SenderFrame | null = frame(appUrl)) {
  const ipcMain = new FakeIpcMain();
  const dispatch = vi.fn<ApiDispatch>(async (method, params) => ({
    ok: true,
    result: { method, params },
  }));
  const unregister = registerApi(ipcMain, dispatch, {
    isTrustedSender: createTrustedSenderCheck(location, () => windowFrame ?? undefined),
  });
  return { ipcMain, dispatch, unregister };
}

describe('registerApi: trusted sender', () => {
  it('registers exactly one channel, signet:call, and unregisters it', () => {
    const { ipcMain, unregister } = setup();
    expect([...ipcMain.handlers.keys()]).toEqual(['signet:call']);
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('dispatches a call from the main frame and returns its reply', async () => {
    const { ipcMain, dispatch } = setup();
    const reply = await ipcMain.invoke(frame(`${appUrl}#/accounts`), {
      method: 'accounts.list',
      params: { address: '0xabc' },
    });
    expect(reply).toEqual({
      ok: true,
      result: { method: 'accounts.list', params: { address: '0xabc' } },
    });
    expect(dispatch).toHaveBeenCalledExactlyOnceWith('accounts.list', { address: '0xabc' });
  });

  it('passes error replies through and turns a thrown error into one', async () => {
    const { ipcMain, dispatch } = setup();
    dispatch.mockResolvedValueOnce({
      ok: false,
      error: { code: 'PIN_REQUIRED', message: 'PIN needed', details: { role: 'user' } },
    });
    expect(await ipcMain.invoke(frame(appUrl), { method: 'devices.listKeys', params: {} })).toEqual(
      {
        ok: false,
        error: { code: 'PIN_REQUIRED', message: 'PIN needed', details: { role: 'user' } },
      },
    );
    dispatch.mockRejectedValueOnce(new SignetError('DEVICE_BUSY', 'token busy'));
    expect(await ipcMain.invoke(frame(appUrl), { method: 'devices.listKeys', params: {} })).toEqual(
      {
        ok: false,
        error: { code: 'DEVICE_BUSY', message: 'token busy' },
      },
    );
    dispatch.mockRejectedValueOnce(new Error('ENOENT /home/alice/.config/Signet/secret'));
    const reply = await ipcMain.invoke(frame(appUrl), { method: 'app.info', params: {} });
    // Anything else is a bug: the page gets a generic line, never its text.
    expect(reply).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
  });

  it('has no raw signing: devices.sign from the main frame, through the real app API, is an unknown method', async () => {
    const home = mkdtempSync(join(tmpdir(), 'signet-ipc-'));
    const app = createAppApi({ home, env: {} });
    try {
      const ipcMain = new FakeIpcMain();
      registerApi(ipcMain, app.dispatch, {
        isTrustedSender: createTrustedSenderCheck(location, () => frame(appUrl)),
      });
      const reply = await ipcMain.invoke(frame(appUrl), {
        method: 'devices.sign',
        params: { key: 'pkcs11:token=A;object=k', digest: `0x${'ab'.repeat(32)}`, pin: '1234' },
      });
      expect(reply).toEqual({
        ok: false,
        error: {
          code: 'INVALID_ARGUMENT',
          message: 'unknown API method "devices.sign"',
          details: { method: 'devices.sign', reason: 'unknown-method' },
        },
      });
    } finally {
      app.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('accepts the dev server origin when that is where the app is loaded from', async () => {
    const ipcMain = new FakeIpcMain();
    const dispatch = vi.fn<ApiDispatch>(async () => ({ ok: true, result: 1 }));
    const dev = devLocation('http://localhost:5173');
    const devFrame = frame('http://localhost:5173/#/send');
    registerApi(ipcMain, dispatch, {
      isTrustedSender: createTrustedSenderCheck(dev, () => devFrame),
    });
    expect(await ipcMain.invoke(devFrame, { method: 'app.info', params: {} })).toEqual({
      ok: true,
      result: 1,
    });
  });
});

describe('registerApi: untrusted sender gets an error and nothing is dispatched', () => {
  const call = { method: 'devices.deleteKey', params: { key: 'pkcs11:object=k', confirm: true } };

  async function expectRefused(
    sender: SenderFrame | null,
    windowFrame: SenderFrame | null = frame(appUrl),
  ) {
    const { ipcMain, dispatch } = setup(windowFrame);
    const reply = await ipcMain.invoke(sender, call);
    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', details: { reason: 'untrusted-sender' } },
    });
    expect(dispatch).not.toHaveBeenCalled();
  }

  it('a main frame showing another URL', async () => {
    await expectRefused(frame('https://evil.example/'));
    await expectRefused(frame('file:///tmp/downloaded.html'));
    await expectRefused(frame('http://localhost:5173/'));
  });

  it('a subframe, even one showing our own page', async () => {
    const parent = frame(appUrl);
    await expectRefused({ ...frame(appUrl, { routingId: 7 }), parent });
    await expectRefused({ ...frame(appUrl), parent });
  });

  it("a frame that is not our window's main frame (another window or process)", async () => {
    await expectRefused(frame(appUrl, { processId: 99 }));
    await expectRefused(frame(appUrl, { routingId: 2 }));
  });

  it('a destroyed frame, or no window at all', async () => {
    await expectRefused(null);
    await expectRefused(frame(appUrl), null);
  });
});

describe('registerApi: malformed payload → INVALID_ARGUMENT, nothing dispatched', () => {
  const cases: Array<[string, unknown[]]> = [
    ['method not a string', [{ method: 42, params: {} }]],
    ['method missing', [{ params: {} }]],
    ['extra junk beside method and params', [{ method: 'app.info', params: {}, junk: 1 }]],
    ['prototype junk', [JSON.parse('{"method":"app.info","params":{},"__proto__":{"x":1}}')]],
    ['method with a path', [{ method: '../../etc/passwd', params: {} }]],
    ['method with spaces', [{ method: 'accounts.list ', params: {} }]],
    ['method with no namespace', [{ method: 'constructor', params: {} }]],
    ['method through __proto__', [{ method: '__proto__.toString', params: {} }]],
    ['method with unicode', [{ method: 'accounts.lіst', params: {} }]],
    ['method too long', [{ method: `a.${'b'.repeat(80)}`, params: {} }]],
    ['payload not an object', ['accounts.list']],
    ['payload null', [null]],
    ['payload an array', [['accounts.list', {}]]],
    ['no payload', []],
    [
      'two payloads',
      [
        { method: 'app.info', params: {} },
        { method: 'app.info', params: {} },
      ],
    ],
  ];

  it.each(cases)('%s', async (_name, args) => {
    const { ipcMain, dispatch } = setup();
    const reply = await ipcMain.invoke(frame(appUrl), ...args);
    expect(reply.ok).toBe(false);
    expect(reply.ok === false && reply.error.code).toBe('INVALID_ARGUMENT');
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('a call without params passes through with params undefined', async () => {
    const { ipcMain, dispatch } = setup();
    await ipcMain.invoke(frame(appUrl), { method: 'app.info' });
    expect(dispatch).toHaveBeenCalledExactlyOnceWith('app.info', undefined);
  });
});

describe('registerScanning: the camera switch for a QR scan (signet:scanning)', () => {
  /** The real permission policy behind the channel; `windowFrame` null: the window is gone. */
  function scanning(windowFrame: SenderFrame | null = frame(appUrl)) {
    const ipcMain = new FakeIpcMain();
    const policy = createPermissionPolicy(location);
    const unregister = registerScanning(ipcMain, policy, {
      isTrustedSender: createTrustedSenderCheck(location, () => windowFrame ?? undefined),
    });
    const send = (sender: SenderFrame | null, ...args: unknown[]) =>
      ipcMain.invokeOn(ipcChannels.scanning, sender, ...args);
    return { ipcMain, policy, unregister, send };
  }

  /** What Electron would answer when the app's page asks for the camera now. */
  function cameraGranted(policy: PermissionPolicy): boolean {
    let granted: boolean | undefined;
    policy.onRequest(null, 'media', (value) => (granted = value), {
      requestingUrl: appUrl,
      mediaTypes: ['video'],
    });
    if (granted === undefined) throw new Error('permission callback not called');
    return granted;
  }

  it('registers exactly one channel, signet:scanning, and unregisters it', () => {
    const { ipcMain, unregister } = scanning();
    expect([...ipcMain.handlers.keys()]).toEqual(['signet:scanning']);
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('true from the main frame allows the camera, false stops allowing it', async () => {
    const { policy, send } = scanning();
    expect(cameraGranted(policy)).toBe(false);
    expect(await send(frame(`${appUrl}#/notes`), true)).toEqual({ ok: true, result: true });
    expect(policy.isScanning()).toBe(true);
    expect(cameraGranted(policy)).toBe(true);
    // The microphone stays refused while scanning.
    let microphone: boolean | undefined;
    policy.onRequest(null, 'media', (value) => (microphone = value), {
      requestingUrl: appUrl,
      mediaTypes: ['audio'],
    });
    expect(microphone).toBe(false);
    expect(await send(frame(appUrl), false)).toEqual({ ok: true, result: false });
    expect(policy.isScanning()).toBe(false);
    expect(cameraGranted(policy)).toBe(false);
  });

  const malformed: Array<[string, unknown[]]> = [
    ['the string "true"', ['true']],
    ['the number 1', [1]],
    ['the number 0', [0]],
    ['null', [null]],
    ['undefined', [undefined]],
    ['an object', [{ active: true }]],
    ['an array', [[true]]],
    ['no argument', []],
    ['two arguments', [true, true]],
  ];

  it.each(malformed)(
    'a payload of %s is INVALID_ARGUMENT and changes nothing',
    async (_name, args) => {
      const { policy, send } = scanning();
      const reply = await send(frame(appUrl), ...args);
      expect(reply.ok === false && reply.error.code).toBe('INVALID_ARGUMENT');
      expect(policy.isScanning()).toBe(false);
      expect(cameraGranted(policy)).toBe(false);
      // Nor does it turn a running scan off.
      await send(frame(appUrl), true);
      expect((await send(frame(appUrl), ...args)).ok).toBe(false);
      expect(policy.isScanning()).toBe(true);
    },
  );

  it('only the trusted main frame may switch it: other frames, windows and pages are refused', async () => {
    const parent = frame(appUrl);
    const senders: Array<[SenderFrame | null, SenderFrame | null]> = [
      [frame('https://evil.example/'), frame(appUrl)],
      [frame('file:///tmp/downloaded.html'), frame(appUrl)],
      [{ ...frame(appUrl, { routingId: 7 }), parent }, frame(appUrl)],
      [frame(appUrl, { processId: 99 }), frame(appUrl)],
      [frame(appUrl, { routingId: 2 }), frame(appUrl)],
      [null, frame(appUrl)],
      [frame(appUrl), null],
    ];
    for (const [sender, windowFrame] of senders) {
      const { policy, send } = scanning(windowFrame);
      const reply = await send(sender, true);
      expect(reply).toMatchObject({
        ok: false,
        error: { code: 'INTERNAL', details: { reason: 'untrusted-sender' } },
      });
      expect(policy.isScanning()).toBe(false);
      expect(cameraGranted(policy)).toBe(false);
    }
  });
});

describe('events to the window', () => {
  it('sends well-formed events on signet:event, drops the rest and sends nothing without a window', () => {
    const sent: unknown[][] = [];
    let destroyed = false;
    const contents = {
      isDestroyed: () => destroyed,
      send: (...args: unknown[]) => sent.push(args),
    };
    let target: typeof contents | undefined = contents;
    const send = createEventSender(() => target);
    send(progress());
    for (const [, bad] of malformedEvents) send(bad as ApiEvent);
    const nodes: ApiEvent = {
      type: 'ledger.nodes',
      payload: { nodes: [{ url: 'http://127.0.0.1:8545', state: 'down', lastError: 'refused' }] },
    };
    send(nodes);
    destroyed = true;
    send(progress({ currentBlock: 60 }));
    target = undefined;
    send(progress({ currentBlock: 70 }));
    expect(sent).toEqual([
      ['signet:event', progress()],
      ['signet:event', nodes],
    ]);
  });
});

describe('preload bridge (window.signet)', () => {
  /** A fake ipcRenderer wired straight to a FakeIpcMain, as Electron wires them. */
  function bridge(reply?: (args: unknown[]) => unknown) {
    const listeners = new Set<(event: unknown, ...args: unknown[]) => void>();
    const { ipcMain, dispatch } = setup();
    const policy = createPermissionPolicy(location);
    registerScanning(ipcMain, policy, {
      isTrustedSender: createTrustedSenderCheck(location, () => frame(appUrl)),
    });
    const invoked: string[] = [];
    const ipcRenderer: IpcRendererLike = {
      invoke: async (channel, ...args) => {
        invoked.push(channel);
        return reply
          ? reply(args)
          : ipcMain.handlers.get(channel)!({ senderFrame: frame(appUrl) }, ...args);
      },
      on: (_channel, listener) => listeners.add(listener),
      removeListener: (_channel, listener) => listeners.delete(listener),
    };
    const emit = (payload: unknown) => {
      for (const listener of listeners) listener({ sender: 'ipc' }, payload);
    };
    return { signet: createSignetBridge(ipcRenderer), dispatch, emit, listeners, policy, invoked };
  }

  it('has exactly call, onEvent and setScanning', () => {
    expect(Object.keys(bridge().signet).sort()).toEqual(['call', 'onEvent', 'setScanning']);
  });

  it('setScanning goes to main on signet:scanning and switches the camera permission', async () => {
    const { signet, policy, invoked, dispatch } = bridge();
    expect(await signet.setScanning(true)).toEqual({ ok: true, result: true });
    expect(policy.isScanning()).toBe(true);
    expect(await signet.setScanning(false)).toEqual({ ok: true, result: false });
    expect(policy.isScanning()).toBe(false);
    expect(invoked).toEqual(['signet:scanning', 'signet:scanning']);
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('setScanning with anything but a boolean is refused in the preload, nothing sent', async () => {
    const { signet, policy, invoked } = bridge();
    for (const bad of ['true', 1, null, undefined, {}]) {
      const reply = await signet.setScanning(bad as never);
      expect(reply.ok === false && reply.error.code).toBe('INTERNAL');
    }
    expect(invoked).toEqual([]);
    expect(policy.isScanning()).toBe(false);
  });

  it('setScanning never rejects: a failed send or a malformed reply is an error reply', async () => {
    const failing = bridge(() => {
      throw new Error('the main process is gone');
    });
    await expect(failing.signet.setScanning(true)).resolves.toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'the main process is gone' },
    });
    await expect(bridge(() => 'yes').signet.setScanning(true)).resolves.toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'malformed reply from the main process' },
    });
  });

  it('call goes through main to dispatch and returns its reply', async () => {
    const { signet, dispatch } = bridge();
    expect(await signet.call('accounts.list', {})).toEqual({
      ok: true,
      result: { method: 'accounts.list', params: {} },
    });
    expect(dispatch).toHaveBeenCalledOnce();
  });

  it('a malformed reply from main becomes an INTERNAL error reply', async () => {
    for (const bad of [
      undefined,
      { ok: 'yes' },
      { ok: false, error: { code: 'NOPE', message: '' } },
    ]) {
      const reply = await bridge(() => bad).signet.call('app.info', {});
      expect(reply).toEqual({
        ok: false,
        error: { code: 'INTERNAL', message: 'malformed reply from the main process' },
      });
    }
  });

  it('a reply without result (a method with nothing to return) arrives as result undefined', async () => {
    expect(await bridge(() => ({ ok: true })).signet.call('sync.run', {})).toEqual({
      ok: true,
      result: undefined,
    });
  });

  it('a call that cannot be sent resolves to an error reply, never rejects', async () => {
    const { signet } = bridge(() => {
      throw new Error('An object could not be cloned.');
    });
    const reply = await signet.call('app.info', { f: () => 1 });
    expect(reply.ok === false && reply.error.code).toBe('INVALID_ARGUMENT');
  });

  it('onEvent hands over validated events only, without the IPC event, until unsubscribed', () => {
    const { signet, emit, listeners } = bridge();
    const seen: unknown[] = [];
    const off = signet.onEvent((event) => seen.push(event));
    emit(progress());
    emit({ nope: true });
    off();
    emit(progress({ currentBlock: 60 }));
    expect(seen).toEqual([progress()]);
    expect(listeners.size).toBe(0);
  });

  it.each(malformedEvents)('onEvent drops an event from main with %s', (_name, bad) => {
    const { signet, emit } = bridge();
    const seen: unknown[] = [];
    signet.onEvent((event) => seen.push(event));
    emit(bad);
    const failed = progress({ phase: 'failed', error: 'no ledger node answered' });
    emit(failed);
    expect(seen).toEqual([failed]);
  });
});
