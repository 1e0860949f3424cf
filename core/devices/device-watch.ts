/**
 * Hot-plug: which devices are present, looked at every `intervalMs` (and at
 * once when a source with events asks), and what changed since the last look,
 * as one `devices.changed` event. The first look only sets what is there.
 *
 * A source is anything that can say which devices are present now: the
 * PKCS#11 tokens (pkcs11-device-source.ts), and next to it any other kind (a
 * HID source listing USB wallets is one more entry in `sources`). A source
 * that cannot look (a module failing for a moment) throws, and keeps its last
 * set: a failed look is not a device pulled out.
 */
import type { DeviceRef, DevicesChanged } from '../api/events.js';

export interface DeviceSource {
  /** For error reports: "pkcs11", "hid". */
  readonly name: string;
  /** The devices present now, each with an id unique across sources. */
  scan(): DeviceRef[] | Promise<DeviceRef[]>;
  /** Before the first scan. `changed` asks the watcher to scan now (a source with events). */
  start?(changed: () => void): void;
  /** After the last scan: let go of whatever the source holds open. */
  stop?(): void;
}

export interface DeviceWatcherOptions {
  sources: readonly DeviceSource[];
  onChange(change: DevicesChanged): void;
  /** Between looks; default 1,500 ms. */
  intervalMs?: number;
  /** A source that could not look (its last set is kept). */
  onError?(source: string, error: unknown): void;
}

/** The most devices one event names of each side (the event's contract caps it). */
const MAX_PER_EVENT = 256;

export class DeviceWatcher {
  readonly #options: DeviceWatcherOptions;
  /** Per source: id → device, as of the last look. */
  readonly #known = new Map<DeviceSource, Map<string, DeviceRef>>();
  #timer: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #again = false;
  #started = false;
  #stopped = false;

  constructor(options: DeviceWatcherOptions) {
    this.#options = options;
  }

  /** Starts the sources and takes the first look (no event for what is already there). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const source of this.#options.sources) source.start?.(() => void this.scanNow());
    await this.scanNow();
    if (this.#stopped) return;
    this.#timer = setInterval(() => void this.scanNow(), this.#options.intervalMs ?? 1_500);
    // The watcher alone must not keep a process (the CLI, a test) alive.
    this.#timer.unref();
  }

  /**
   * Looks now; resolves when that look is done. A call during a look gets one
   * more look after it (never two at once, none skipped).
   */
  scanNow(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#scanning) {
      this.#again = true;
      return this.#scanning;
    }
    const run = async () => {
      do {
        this.#again = false;
        await this.#look();
      } while (this.#again && !this.#stopped);
    };
    this.#scanning = run().finally(() => {
      this.#scanning = undefined;
    });
    return this.#scanning;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const source of this.#options.sources) {
      try {
        source.stop?.();
      } catch (error) {
        this.#options.onError?.(source.name, error);
      }
    }
  }

  async #look(): Promise<void> {
    const added: DeviceRef[] = [];
    const removed: DeviceRef[] = [];
    for (const source of this.#options.sources) {
      let devices: DeviceRef[];
      try {
        devices = await source.scan();
      } catch (error) {
        this.#options.onError?.(source.name, error);
        continue;
      }
      if (this.#stopped) return;
      const now = new Map(devices.map((device) => [device.id, device]));
      const before = this.#known.get(source);
      this.#known.set(source, now);
      if (!before) continue; // the first look: what is there was not plugged in just now
      for (const [id, device] of now) if (!before.has(id)) added.push(device);
      for (const [id, device] of before) if (!now.has(id)) removed.push(device);
    }
    if (added.length + removed.length === 0) return;
    this.#options.onChange({
      added: added.slice(0, MAX_PER_EVENT),
      removed: removed.slice(0, MAX_PER_EVENT),
    });
  }
}
