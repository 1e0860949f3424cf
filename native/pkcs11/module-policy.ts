/**
 * Which PKCS#11 modules a caller may have Signet load. Loading a module runs its
 * code inside Signet with the user's rights, so a path that arrives from the UI
 * (Electron IPC or the browser bridge: a `module` field, or `module-path=` in a
 * pkcs11: URI) is opened only if Signet itself lists that module: the config
 * file or discovery, compared by real path. The CLI runs as its operator, who
 * could load any library anyway, so `--module PATH` and a typed `module-path=`
 * stay open to any path there.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { SignetError } from '../../core/api/errors.js';
import type { ModuleCandidate } from './discovery.js';

export interface ModulePolicy {
  /** 'any' for the CLI's operator; 'listed' for everything the UI sends. */
  readonly trust: 'any' | 'listed';
  /**
   * The path to open for a module a caller named, or MODULE_NOT_ALLOWED.
   * `listed` gives the modules Signet lists; it is called only when needed.
   */
  admit(path: string, listed: () => ModuleCandidate[]): string;
}

/** The CLI: the operator names any module (`--module PATH`, `module-path=`). */
export const anyModule: ModulePolicy = {
  trust: 'any',
  admit: (path) => path,
};

/**
 * The UI: only a module Signet lists. The listed path is what gets opened (not
 * the caller's spelling of it), so a symlink swapped after the check changes
 * nothing, and one library is never loaded under two names. The refusal is the
 * same whether or not the file exists: the UI learns nothing about the disk.
 */
export const listedModulesOnly: ModulePolicy = {
  trust: 'listed',
  admit(path, listed) {
    const wanted = resolve(path);
    const real = realPath(path);
    const match = listed().find(
      (candidate) =>
        resolve(candidate.path) === wanted ||
        (real !== undefined && realPath(candidate.path) === real),
    );
    if (!match) {
      const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
      throw new SignetError(
        'MODULE_NOT_ALLOWED',
        `module ${JSON.stringify(shown)} is not one Signet knows; add it to "modules" in config.json`,
        { details: { path: shown, reason: 'not-listed' } },
      );
    }
    return match.path;
  },
};

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined; // missing, unreadable, too long: not a module Signet lists
  }
}
