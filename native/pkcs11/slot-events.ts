/**
 * Which tokens a module's slots hold right now, and the module's own slot
 * events (C_WaitForSlotEvent), for the hot-plug watcher in core/devices.
 *
 * pkcs11js calls are synchronous: a blocking C_WaitForSlotEvent on the main
 * thread would freeze the app, and CKF_DONT_BLOCK tells nothing reliable
 * (SoftHSM2 answers CKR_NO_EVENT to it whatever happens, and only a blocking
 * wait says CKR_FUNCTION_NOT_SUPPORTED). So the blocking wait runs on a worker
 * thread of its own, loading the same library (the library, and its
 * C_Initialize, are process-wide: the caller keeps the module open while it
 * listens). It ends when the module says it has no slot events (any error, or
 * a wait that returns no slot), or when C_Finalize is called, which PKCS#11
 * v2.40 §5.5 says ends a blocked wait with CKR_CRYPTOKI_NOT_INITIALIZED.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Pkcs11Module } from './module.js';
import { pkcs11js } from './pkcs11js.js';
import { ckrName, fromPkcs11Error } from './return-codes.js';
import { slotNumber } from './tokens.js';

export interface PresentToken {
  slot: number;
  label: string;
  serial: string;
  initialized: boolean;
}

/** Tokens in the module's slots now: C_GetSlotList(tokenPresent) and each C_GetTokenInfo; no session. */
export function presentTokens(module: Pkcs11Module): PresentToken[] {
  let slots: Buffer[];
  try {
    slots = module.api.C_GetSlotList(true);
  } catch (error) {
    throw fromPkcs11Error(error, `listing the slots of ${module.path}`);
  }
  const tokens: PresentToken[] = [];
  for (const slot of slots) {
    try {
      const info = module.api.C_GetTokenInfo(slot);
      tokens.push({
        slot: slotNumber(slot),
        label: info.label.trimEnd(),
        serial: info.serialNumber.trimEnd(),
        initialized: (info.flags & pkcs11js().CKF_TOKEN_INITIALIZED) !== 0,
      });
    } catch (error) {
      // Pulled out between the two calls: that slot holds no token any more.
      const ckr = ckrName(error);
      if (ckr === 'CKR_TOKEN_NOT_PRESENT' || ckr === 'CKR_DEVICE_REMOVED') continue;
      throw fromPkcs11Error(error, `reading the token in slot ${slotNumber(slot)}`);
    }
  }
  return tokens;
}

export interface SlotEventHandlers {
  /** The module reported a slot event: look at its slots again. */
  onEvent(): void;
  /**
   * The wait is over for good: the module has no slot events (`reason` says
   * what it answered, e.g. CKR_FUNCTION_NOT_SUPPORTED), or it was finalised.
   */
  onEnd(reason: string): void;
}

export interface SlotEventListener {
  /** No more callbacks; the thread ends when its wait returns (finalise the module). */
  stop(): void;
}

/**
 * The worker's code, as a script (an eval'd worker needs no file of its own,
 * whatever bundles or transpiles the rest). It loads pkcs11js by the path the
 * main thread resolved and waits, blocking, until the module says no more.
 */
const waitLoop = `
const { parentPort, workerData } = require('node:worker_threads');
const { PKCS11 } = require(workerData.pkcs11js);
const api = new PKCS11();
let reason = 'ended';
try {
  api.load(workerData.path);
  for (;;) {
    const slot = api.C_WaitForSlotEvent(0);
    if (slot === null) { reason = 'CKR_NO_EVENT'; break; }
    parentPort.postMessage({ kind: 'event' });
  }
} catch (error) {
  reason = String((error && error.message) || error).split('\\n')[0];
} finally {
  try { api.close(); } catch {}
}
parentPort.postMessage({ kind: 'end', reason });
`;

let pkcs11jsPath: string | undefined;

/**
 * Listens for the slot events of `module`, which the caller keeps open
 * (initialised) while listening, and closes after stop() to end the wait.
 */
export function listenForSlotEvents(
  module: Pkcs11Module,
  handlers: SlotEventHandlers,
): SlotEventListener {
  pkcs11jsPath ??= createRequire(import.meta.url).resolve('pkcs11js');
  let stopped = false;
  let ended = false;
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    if (!stopped) handlers.onEnd(reason);
  };
  const worker = new Worker(waitLoop, {
    eval: true,
    workerData: { pkcs11js: pkcs11jsPath, path: module.path },
  });
  // A thread blocked in the module must not keep the process alive.
  worker.unref();
  worker.on('message', (message: { kind: string; reason?: string }) => {
    if (message.kind === 'event' && !stopped) handlers.onEvent();
    if (message.kind === 'end') end(message.reason ?? 'ended');
  });
  worker.on('error', (error) => end(error.message));
  worker.on('exit', () => end('ended'));
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      // Stops the loop as soon as the current wait returns (it cannot be interrupted).
      void worker.terminate();
    },
  };
}
