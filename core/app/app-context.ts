/**
 * What every handler of the app API works with: the data directory, the store
 * (opened on first use), the active ledger profile (read per request, so a
 * `signet ledger use` in another process is picked up), the pool of ledger
 * nodes (made only when a handler goes online), and the event sink.
 */
import { join } from 'node:path';
import { type HidBackend, nodeHidBackend } from '../../native/hid/hid-backend.js';
import { anyModule, listedModulesOnly } from '../../native/pkcs11/module-policy.js';
import type { ModuleSearch } from '../../native/pkcs11/token-access.js';
import { SignetError } from '../api/errors.js';
import { type ApiEvent, apiEventSchema } from '../api/events.js';
import type { ChainProfile } from '../api/profile.js';
import { readActiveProfile } from '../chain/profile-file.js';
import { readConfig } from '../config/config.js';
import { DeviceService } from '../devices/device-service.js';
import { RpcPool } from '../rpc/rpc-pool.js';
import { auditTo } from '../store/audit-sink.js';
import { openStore, type Store } from '../store/database.js';
import { Wallet } from '../wallet/wallet.js';
import type { Caller } from './dispatcher.js';

export interface AppContextOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  storePath?: string;
  /** What this process is, for people told it holds a lock ("the Signet app", "signet sync"). */
  purpose?: string;
  onInternalError?: (method: string, error: unknown) => void;
  onEvent?: (event: ApiEvent) => void;
  /** The USB HID stack Ledgers are reached through: node-hid unless given (a fake device in tests). */
  hid?: HidBackend;
}

export class AppContext {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly purpose: string;
  readonly hid: HidBackend;
  #store: Store | undefined;
  #pool: { key: string; pool: RpcPool } | undefined;
  #closed = false;

  constructor(private readonly options: AppContextOptions) {
    this.home = options.home;
    // Every path below (config, profile) resolves inside `home`.
    this.env = { ...(options.env ?? process.env), SIGNET_HOME: options.home };
    this.purpose = options.purpose ?? 'the Signet app';
    this.hid = options.hid ?? nodeHidBackend;
  }

  get closed(): boolean {
    return this.#closed;
  }

  store(): Store {
    if (this.#closed) throw new SignetError('INTERNAL', 'the Signet API is closed');
    this.#store ??= openStore(this.options.storePath ?? join(this.home, 'signet.sqlite'));
    return this.#store;
  }

  profile(): ChainProfile {
    return readActiveProfile(this.env);
  }

  /** The nodes of `profile`, one pool per node list (its back-offs and flags carry over). */
  rpc(profile: ChainProfile): RpcPool {
    const key = JSON.stringify([profile.chainId, profile.rpc]);
    if (this.#pool?.key !== key) {
      this.#pool = {
        key,
        pool: new RpcPool({ urls: profile.rpc, chainId: profile.chainId, timeoutMs: 5_000 }),
      };
    }
    return this.#pool.pool;
  }

  /** PKCS#11 modules Signet knows beyond discovery: the config file's. */
  configuredModules(): string[] {
    return readConfig(this.env).modules;
  }

  /**
   * Where a caller's module paths may lead: the UI only to modules Signet lists
   * (module-policy.ts), the CLI's operator to any (`--module PATH`).
   */
  search(caller: Caller): ModuleSearch {
    return {
      configured: this.configuredModules(),
      policy: caller.origin === 'cli' ? anyModule : listedModulesOnly,
    };
  }

  wallet(profile: ChainProfile, caller: Caller): Wallet {
    return new Wallet({
      store: this.store(),
      profile,
      search: this.search(caller),
      pins: caller.pins,
      carrierPins: caller.carrierPins,
      hid: this.hid,
    });
  }

  /** Device operations, each provisioning step and raw signature audited in the store. */
  devices(caller: Caller): DeviceService {
    const { configured, policy } = this.search(caller);
    return new DeviceService({
      pins: caller.pins,
      configuredModules: configured,
      policy,
      audit: auditTo(() => this.store()),
    });
  }

  /** Validated, then handed to onEvent; an event that breaks the contract is never sent. */
  emit(event: ApiEvent): void {
    if (!this.options.onEvent) return;
    const checked = apiEventSchema.safeParse(event);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      this.internalError(
        `event ${event.type}`,
        new Error(`event breaks the contract at ${issue?.path.join('.')}: ${issue?.message}`),
      );
      return;
    }
    try {
      this.options.onEvent(checked.data);
    } catch (error) {
      this.internalError(`event ${event.type}`, error);
    }
  }

  internalError(method: string, error: unknown): void {
    this.options.onInternalError?.(method, error);
  }

  close(): void {
    this.#closed = true;
    this.#store?.close();
    this.#store = undefined;
  }
}
