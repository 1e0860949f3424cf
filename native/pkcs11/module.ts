/**
 * A loaded, initialised PKCS#11 module. C_Initialize is process-wide per library,
 * so modules are shared through a reference-counted registry: every `openModule`
 * is paired with a `close()`, and the last close finalises the library.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { SignetError } from '../../core/api/errors.js';
import { type Pkcs11Api, pkcs11js } from './pkcs11js.js';
import { ckrName } from './return-codes.js';

export interface ModuleInfo {
  manufacturer: string;
  description: string;
  cryptokiVersion: string;
  libraryVersion: string;
}

export interface Pkcs11Module {
  readonly path: string;
  readonly api: Pkcs11Api;
  info(): ModuleInfo;
  close(): void;
}

interface Entry {
  api: Pkcs11Api;
  users: number;
}

const registry = new Map<string, Entry>();

export function openModule(modulePath: string): Pkcs11Module {
  const path = resolve(modulePath);
  // Keyed by the library file, not its spelling: one library loaded by two paths
  // (Debian's /usr/lib/softhsm link and its target) is one instance in the process,
  // so one path's last close would finalise it under the other's feet.
  const key = libraryFile(path);
  let entry = registry.get(key);
  if (!entry) {
    entry = { api: load(path), users: 0 };
    registry.set(key, entry);
  }
  entry.users++;
  const { api } = entry;
  let closed = false;
  return {
    path,
    api,
    info: () => describe(api),
    close() {
      if (closed) return;
      closed = true;
      release(key);
    },
  };
}

function libraryFile(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // No such file: load() says so.
  }
}

/**
 * Do two paths name one module library, however spelled? Symlinks are followed
 * (Debian's /usr/lib/softhsm/libsofthsm2.so is a link into the multiarch folder,
 * and the UI opens a module by the path Signet lists, not the URI's spelling).
 */
export function sameModulePath(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false; // One of them is no file: not the module the other one is.
  }
}

function load(path: string): Pkcs11Api {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new SignetError('MODULE_NOT_FOUND', `PKCS#11 module not found: ${path}`, {
      details: { path },
    });
  }
  // tpm2-pkcs11's TSS logs every failed TPM command (a wrong PIN among them) on
  // stderr, read once when it loads; Signet says what went wrong itself, in one
  // line. Someone debugging the TPM sets TSS2_LOG, and it is left alone.
  process.env.TSS2_LOG ??= 'all+NONE';
  const { PKCS11, CKF_OS_LOCKING_OK } = pkcs11js();
  const api = new PKCS11();
  try {
    api.load(path);
  } catch (error) {
    const reason = firstLine(error);
    throw new SignetError('MODULE_INVALID', `not a PKCS#11 module: ${path} (${reason})`, {
      details: { path },
      cause: error,
    });
  }
  try {
    // OS locking: Signet signs on several sessions from libuv's worker threads.
    // Without this flag a module may assume single-threaded use (SoftHSM2 crashes).
    api.C_Initialize({ flags: CKF_OS_LOCKING_OK });
  } catch (error) {
    if (ckrName(error) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      api.close();
      const reason = ckrName(error) ?? firstLine(error);
      throw new SignetError(
        'MODULE_INIT_FAILED',
        `PKCS#11 module ${path} failed to initialise: ${reason}`,
        {
          details: { path, ckr: ckrName(error) },
          cause: error,
        },
      );
    }
  }
  return api;
}

function release(path: string): void {
  const entry = registry.get(path);
  if (!entry) return;
  entry.users--;
  if (entry.users > 0) return;
  registry.delete(path);
  try {
    entry.api.C_Finalize();
  } finally {
    entry.api.close();
  }
}

function describe(api: Pkcs11Api): ModuleInfo {
  const info = api.C_GetInfo();
  const version = (v: { major: number; minor: number }) => `${v.major}.${v.minor}`;
  return {
    manufacturer: info.manufacturerID.trimEnd(),
    description: info.libraryDescription.trimEnd(),
    cryptokiVersion: version(info.cryptokiVersion),
    libraryVersion: version(info.libraryVersion),
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
