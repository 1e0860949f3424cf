/**
 * The PKCS#11 tokens present, for the hot-plug watcher (device-watch.ts): every
 * token in every module Signet lists, each named by its module and serial (a
 * token not initialised yet, which has none, by its slot).
 *
 * Per module, the cheaper of two ways (native/pkcs11/slot-events.ts):
 * - events: the module is kept open and a worker thread waits in
 *   C_WaitForSlotEvent; its slots are read again only when it reports one.
 *   Card-reader modules work this way.
 * - polling: where the wait ends at once (SoftHSM2: CKR_FUNCTION_NOT_SUPPORTED;
 *   OpenSC without pcscd: CKR_GENERAL_ERROR), C_GetSlotList(tokenPresent) and
 *   C_GetTokenInfo at every look, without login. The module is opened for the
 *   look and closed after it, as every other Signet call does: a module
 *   finalised between looks reads its tokens afresh at the next C_Initialize
 *   (SoftHSM2 reads its token folder only then, so a token another process
 *   made shows up).
 * A module that does not load is tried again after a back-off (30 s doubling to
 * 5 min): loading one runs its start-up, which may be slow or noisy.
 */
import { openModule, type Pkcs11Module } from '../../native/pkcs11/module.js';
import {
  listenForSlotEvents,
  type PresentToken,
  presentTokens,
  type SlotEventListener,
} from '../../native/pkcs11/slot-events.js';
import type { DeviceRef } from '../api/events.js';
import type { DeviceSource } from './device-watch.js';

export const PKCS11_TOKEN_KIND = 'pkcs11-token';

export interface Pkcs11DeviceSourceOptions {
  /** The module paths to watch, asked at every look (config.json may change). */
  modules(): string[];
  /** First back-off for a module that does not load; default 30 s, doubling to 5 min. */
  retryMs?: number;
  /** Told when a module turns out to have no slot events, and is polled from then on. */
  onPolling?(path: string, reason: string): void;
  now?(): number;
}

type ModuleWatch =
  | { mode: 'events'; module: Pkcs11Module; listener: SlotEventListener; stale: boolean }
  | { mode: 'polling' }
  | { mode: 'failed'; failures: number; retryAt: number };

interface Watched {
  watch: ModuleWatch;
  /** What the module held at its last successful look. */
  tokens: DeviceRef[];
}

const MAX_RETRY_MS = 5 * 60_000;

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

export class Pkcs11DeviceSource implements DeviceSource {
  readonly name = 'pkcs11';
  readonly #options: Pkcs11DeviceSourceOptions;
  readonly #modules = new Map<string, Watched>();
  #changed: () => void = () => {};

  constructor(options: Pkcs11DeviceSourceOptions) {
    this.#options = options;
  }

  start(changed: () => void): void {
    this.#changed = changed;
  }

  scan(): DeviceRef[] {
    const paths = new Set(this.#options.modules());
    for (const [path, watched] of this.#modules) {
      if (!paths.has(path)) {
        release(watched.watch);
        this.#modules.delete(path);
      }
    }
    const devices: DeviceRef[] = [];
    for (const path of paths) devices.push(...this.#look(path));
    return devices;
  }

  stop(): void {
    for (const watched of this.#modules.values()) release(watched.watch);
    this.#modules.clear();
  }

  /** The module's tokens now (or as last seen, if it cannot be read right now). */
  #look(path: string): DeviceRef[] {
    const watched = this.#modules.get(path);
    const now = this.#options.now?.() ?? Date.now();
    if (!watched) return this.#first(path, now);
    const { watch } = watched;
    try {
      if (watch.mode === 'events') {
        if (watch.stale) {
          watch.stale = false;
          watched.tokens = refs(path, presentTokens(watch.module));
        }
      } else if (watch.mode === 'polling') {
        watched.tokens = this.#poll(path);
      } else if (now >= watch.retryAt) {
        const tokens = this.#first(path, now);
        const again = this.#modules.get(path)!;
        if (again.watch.mode === 'failed') again.watch = this.#backOff(watch.failures + 1, now);
        return tokens;
      }
    } catch {
      // Keep the last look: a module failing for a moment has not lost its tokens.
    }
    return watched.tokens;
  }

  /** The first look at a module: open it, read its tokens, and listen for its slot events. */
  #first(path: string, now: number): DeviceRef[] {
    let module: Pkcs11Module;
    try {
      module = openModule(path);
    } catch {
      this.#modules.set(path, { watch: this.#backOff(1, now), tokens: [] });
      return [];
    }
    let tokens: DeviceRef[];
    try {
      tokens = refs(path, presentTokens(module));
    } catch {
      module.close();
      this.#modules.set(path, { watch: this.#backOff(1, now), tokens: [] });
      return [];
    }
    const watched: Watched = { watch: { mode: 'polling' }, tokens };
    this.#modules.set(path, watched);
    let listener: SlotEventListener;
    try {
      listener = this.#listen(path, module, watched);
    } catch (error) {
      // No thread to wait on (out of resources): poll it instead.
      module.close();
      this.#options.onPolling?.(path, firstLine(error));
      return tokens;
    }
    // Until the wait says otherwise, the module is kept open for it and not polled.
    watched.watch = { mode: 'events', module, listener, stale: false };
    return tokens;
  }

  #listen(path: string, module: Pkcs11Module, watched: Watched): SlotEventListener {
    return listenForSlotEvents(module, {
      onEvent: () => {
        if (watched.watch.mode !== 'events') return;
        watched.watch.stale = true;
        this.#changed();
      },
      onEnd: (reason) => {
        if (watched.watch.mode !== 'events' || this.#modules.get(path) !== watched) return;
        // No slot events here (or none any more): poll it, opened per look like any call.
        release(watched.watch);
        watched.watch = { mode: 'polling' };
        this.#options.onPolling?.(path, reason);
        // A card moved while the wait was ending would otherwise wait for the next tick.
        this.#changed();
      },
    });
  }

  #poll(path: string): DeviceRef[] {
    const module = openModule(path);
    try {
      return refs(path, presentTokens(module));
    } finally {
      module.close();
    }
  }

  #backOff(failures: number, now: number): ModuleWatch {
    const first = this.#options.retryMs ?? 30_000;
    const delay = Math.min(first * 2 ** (failures - 1), MAX_RETRY_MS);
    return { mode: 'failed', failures, retryAt: now + delay };
  }
}

function release(watch: ModuleWatch): void {
  if (watch.mode !== 'events') return;
  watch.listener.stop();
  // The last close finalises the module, which ends the wait blocked in it.
  watch.module.close();
}

function refs(path: string, tokens: PresentToken[]): DeviceRef[] {
  return tokens.map((token) => ({
    id: `pkcs11-token ${path} ${token.serial ? `serial=${token.serial}` : `slot=${token.slot}`}`,
    kind: PKCS11_TOKEN_KIND,
    label: token.label.slice(0, 64),
  }));
}
