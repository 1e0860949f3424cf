/**
 * The server side of Signet's API contract (core/api): the handlers every
 * operation goes through, behind two doors. `dispatch(method, params)` is the
 * boundary's (Electron main, the loopback browser bridge): the UI's methods
 * only, every request validated on the way in and every result on the way out.
 * `call(method, request, pins)` is the `signet` command's, in-process: the same
 * handlers and checks, plus the operator's methods, with the CLI's PINs.
 *
 * The store is opened on first use and closed by close(). The ledger profile
 * is read per request, so device methods work with no ledger selected and a
 * `signet ledger use` in another process is picked up. Only syncing (sync.run,
 * and sending after signing unless offline), the ledger status, and a bank's
 * check of a note it is asked to finance talk to the nodes.
 */
import type { HidBackend } from '../../native/hid/hid-backend.js';
import { listedModulesOnly } from '../../native/pkcs11/module-policy.js';
import { listedModules } from '../../native/pkcs11/token-access.js';
import type { ApiEvent } from '../api/events.js';
import type { ApiDispatch } from '../api/transport.js';
import { DeviceWatcher } from '../devices/device-watch.js';
import { HidDeviceSource } from '../devices/hid-device-source.js';
import { Pkcs11DeviceSource } from '../devices/pkcs11-device-source.js';
import { AppContext } from './app-context.js';
import {
  createDispatcher,
  createLocalCaller,
  type DispatchHandlers,
  type LocalCall,
} from './dispatcher.js';
import { createHandlers } from './handlers.js';
import { SyncDriver } from './sync-driver.js';

export interface AppApiOptions {
  /** Signet's data directory (store, profile.json, config.json). */
  home: string;
  env?: NodeJS.ProcessEnv;
  /** Store path; default `signet.sqlite` in home. Tests may pass ':memory:'. */
  storePath?: string;
  /** What this process is, for another process told it holds the sync ("signet sync --watch"). */
  purpose?: string;
  /** How long a sync waits for another process's sync before saying who holds it. */
  syncWaitMs?: number;
  /** Told about every error that reached the caller as a generic INTERNAL one (for a log). */
  onInternalError?: (method: string, error: unknown) => void;
  /**
   * Told about events for the UI (sync progress, the nodes' state after a
   * sync), each validated against core/api/events.ts first. Electron main sends
   * them to the window, the browser bridge to its event stream.
   */
  onEvent?: (event: ApiEvent) => void;
  /** The USB HID stack Ledgers are reached through: node-hid unless given (a fake device in tests). */
  hid?: HidBackend;
}

export interface AppApi {
  /** The boundary's door: UI methods, PINs inside the request, replies as ApiReply. */
  dispatch: ApiDispatch;
  /** The CLI's door: every method, PINs from the CLI, errors thrown as SignetError. */
  call: LocalCall;
  /**
   * Starts pushing `devices.changed` events (tokens and Ledgers plugged in or pulled out)
   * to onEvent, for a UI: the desktop window, the browser bridge. Resolves
   * after the first look (what is there then is no event). close() stops it.
   */
  watchDevices(options?: { intervalMs?: number }): Promise<void>;
  close(): void;
}

export function createAppApi(options: AppApiOptions): AppApi {
  const context = new AppContext(options);
  const handlers = createHandlers(context, new SyncDriver(context, options.syncWaitMs));
  const doors = {
    handlers: handlers as DispatchHandlers,
    isClosed: () => context.closed,
    onInternalError: options.onInternalError,
  };
  let watcher: DeviceWatcher | undefined;
  return {
    dispatch: createDispatcher(doors),
    call: createLocalCaller(doors),
    watchDevices: async (watch = {}) => {
      if (watcher || context.closed) return;
      watcher = new DeviceWatcher({
        sources: [
          new Pkcs11DeviceSource({ modules: () => watchedModules(context) }),
          // Ledgers plugged in or pulled out, through the app's HID stack (a fake one in tests).
          new HidDeviceSource(context.hid),
        ],
        onChange: (change) => context.emit({ type: 'devices.changed', payload: change }),
        intervalMs: watch.intervalMs,
      });
      await watcher.start();
    },
    close: () => {
      watcher?.stop();
      context.close();
    },
  };
}

/** The modules the UI may use (config.json and discovery); discovery alone if the config is broken. */
function watchedModules(context: AppContext): string[] {
  let configured: string[] = [];
  try {
    configured = context.configuredModules();
  } catch {
    // A malformed config.json: the calls that read it say so; the watch goes on without it.
  }
  return listedModules({ configured, policy: listedModulesOnly }).map((module) => module.path);
}
