/**
 * Whether Electron can run here. The `electron` npm package only records where
 * its binary is; the binary itself comes from outside the npm registry (a
 * postinstall or first-run download), which machines without download access
 * never get. So: resolve the package, ask it for the path, and check that the
 * file is there and executable. No Electron imports.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';

export type ElectronBinary =
  | { available: true; path: string }
  | { available: false; reason: string };

export function findElectronBinary(from: string = import.meta.url): ElectronBinary {
  const require = createRequire(from);
  let exported: unknown;
  try {
    // Under Node, the package exports the absolute path of the binary (and throws when
    // the download never happened: "Electron failed to install correctly").
    exported = require('electron');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      available: false,
      reason:
        code === 'MODULE_NOT_FOUND'
          ? 'the electron package is not installed'
          : 'its binary is missing',
    };
  }
  if (typeof exported !== 'string' || exported === '') {
    return { available: false, reason: 'the electron package names no binary' };
  }
  try {
    if (!statSync(exported).isFile()) throw new Error('not a file');
    accessSync(exported, constants.X_OK);
  } catch {
    return { available: false, reason: `its binary ${exported} is missing or not executable` };
  }
  return { available: true, path: exported };
}
