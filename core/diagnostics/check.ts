/**
 * What `signet doctor` is made of: independent checks, each looking at one
 * part of the machine and returning its findings. A check only reads: it never
 * logs in to a token, changes a token or a file's mode, or writes the store.
 * Adding a check (HID devices, udev rules) is one more module in the list in
 * doctor.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HidBackend, nodeHidBackend } from '../../native/hid/hid-backend.js';
import type { DiscoveryOptions } from '../../native/pkcs11/discovery.js';
import { readTpmLockout, type TpmLockout } from '../../native/tpm/lockout.js';
import {
  type Finding,
  type FindingArea,
  type FindingCode,
  type FindingFacts,
  type FindingStatus,
  fillFindingText,
  findingText,
} from '../api/diagnostics.js';
import { configPath, configSchema } from '../config/config.js';
import { inspectStore, type StoreInspection } from '../store/inspect.js';

export interface DiagnosticCheck {
  /** For people, in a crashed check's finding: "PKCS#11", "ledger nodes". */
  readonly name: string;
  /** Where a crash of the check itself is reported. */
  readonly area: FindingArea;
  run(context: DoctorContext): Promise<Finding[]>;
}

/** The config file as read without touching it, or why it cannot be used. */
export type ConfigReading =
  | { state: 'ok'; modules: string[] }
  | { state: 'missing'; modules: [] }
  | { state: 'invalid'; modules: []; reason: string };

export interface DoctorContext {
  /** Signet's data directory. */
  readonly home: string;
  /** Environment whose SIGNET_HOME is `home` (config, profile). */
  readonly env: NodeJS.ProcessEnv;
  /** How long each ledger node gets per request. */
  readonly nodeTimeoutMs: number;
  /** Tests only: where modules are looked for (default: the system's). */
  readonly discovery?: DiscoveryOptions;
  /** The USB HID stack Ledgers are reached through (the app's: node-hid, or a fake in tests). */
  readonly hid: HidBackend;
  /** Tests only: where installed udev rules are looked for (default: the system's). */
  readonly udevRulesDirs?: readonly string[];
  /** The OS, for what only one OS has (udev rules on Linux). */
  readonly platform: NodeJS.Platform;
  now(): Date;
  /** The lockout state of the TPM tpm2-pkcs11 uses, read once (tpm2_getcap). */
  tpmLockout(): Promise<TpmLockout>;
  /** config.json, read once. */
  config(): ConfigReading;
  /** The store, inspected once (read-only). */
  store(): StoreInspection;
}

export interface DoctorContextOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  nodeTimeoutMs?: number;
  discovery?: DiscoveryOptions;
  /** Default: node-hid. */
  hid?: HidBackend;
  udevRulesDirs?: readonly string[];
  platform?: NodeJS.Platform;
  now?: () => Date;
  /** Default: tpm2_getcap against the TPM this process's tpm2-pkcs11 reaches. */
  readTpmLockout?: () => Promise<TpmLockout>;
}

export function createDoctorContext(options: DoctorContextOptions): DoctorContext {
  const env = { ...options.env, SIGNET_HOME: options.home };
  const now = options.now ?? (() => new Date());
  let config: ConfigReading | undefined;
  let store: StoreInspection | undefined;
  let tpmLockout: Promise<TpmLockout> | undefined;
  return {
    home: options.home,
    env,
    nodeTimeoutMs: options.nodeTimeoutMs ?? 2_500,
    discovery: options.discovery,
    hid: options.hid ?? nodeHidBackend,
    ...(options.udevRulesDirs ? { udevRulesDirs: options.udevRulesDirs } : {}),
    platform: options.platform ?? process.platform,
    now,
    // process.env, not `env`: tpm2-pkcs11, loaded in this process, reaches its TPM through it.
    tpmLockout: () => {
      tpmLockout ??= (options.readTpmLockout ?? (() => readTpmLockout()))();
      return tpmLockout;
    },
    config: () => {
      config ??= readConfigUntouched(configPath(env));
      return config;
    },
    store: () => {
      store ??= inspectStore(join(options.home, 'signet.sqlite'), now);
      return store;
    },
  };
}

/**
 * config.json without the mode fix readConfig makes on the way (the doctor
 * reports an open file rather than closing it).
 */
function readConfigUntouched(path: string): ConfigReading {
  if (!existsSync(path)) return { state: 'missing', modules: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'not valid JSON' : firstLine(error);
    return { state: 'invalid', modules: [], reason };
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const reason = `${issue?.path.join('.') || '(root)'}: ${issue?.message}`;
    return { state: 'invalid', modules: [], reason };
  }
  return { state: 'ok', modules: parsed.data.modules };
}

/**
 * A finding of kind `code`, its sentences filled from `facts`. The fix goes
 * with warnings and failures only: an ok finding asks nothing of anyone.
 */
export function finding(
  area: FindingArea,
  status: FindingStatus,
  code: FindingCode,
  facts: FindingFacts = {},
): Finding {
  const text = findingText(code);
  const fix = status !== 'ok' && text.fix ? fillFindingText(text.fix, facts) : undefined;
  return {
    area,
    status,
    code,
    what: fillFindingText(text.what, facts),
    ...(fix ? { fix } : {}),
    facts,
  };
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? message).slice(0, 500);
}
