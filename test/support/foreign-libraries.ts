/**
 * Libraries Signet must never load for the UI, and ways to tell whether it did.
 *
 * - A canary: a shared library built here whose constructor writes a file the
 *   moment anything loads it (dlopen runs constructors before any symbol is
 *   looked up, so even a refused "not a PKCS#11 module" would have fired it).
 * - Real PKCS#11 modules installed on the machine that discovery does not list
 *   (OpenSC's one-PIN variant and its spy module).
 * - A library that exists but is no PKCS#11 module (libz), and a path that
 *   does not exist.
 * `mappedFiles()` reads /proc/self/maps: every file this process has mapped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ForeignLibraries {
  /** Built here; loading it creates `canaryFired`'s file. */
  canary: string;
  canaryFired(): boolean;
  /** Real PKCS#11 modules on this machine that Signet does not list (may be empty). */
  unlistedModules: string[];
  /** A library that exists and is no PKCS#11 module. */
  otherLibrary: string | undefined;
  /** Nothing there. */
  missing: string;
}

const libDirs = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
];

export function foreignLibraries(dir: string): ForeignLibraries {
  const marker = join(dir, 'canary-fired');
  const source = join(dir, 'canary.c');
  const canary = join(dir, 'libcanary-pkcs11.so');
  writeFileSync(
    source,
    `#include <stdio.h>
__attribute__((constructor)) static void fired(void) {
  FILE *f = fopen(${JSON.stringify(marker)}, "w");
  if (f) { fputs("loaded\\n", f); fclose(f); }
}
unsigned long C_GetFunctionList(void **list) { (void)list; return 5; /* CKR_GENERAL_ERROR */ }
`,
  );
  execFileSync('cc', ['-shared', '-fPIC', '-o', canary, source], { stdio: 'pipe' });
  const installed = (names: string[]) =>
    libDirs.flatMap((d) => names.map((n) => join(d, n))).filter((p) => existsSync(p));
  return {
    canary,
    canaryFired: () => existsSync(marker),
    unlistedModules: installed(['onepin-opensc-pkcs11.so', 'pkcs11-spy.so']).slice(0, 2),
    otherLibrary: installed(['libz.so.1'])[0],
    missing: join(dir, 'no-such-dir', 'libevil-pkcs11.so'),
  };
}

/** Every file this process has mapped (libraries included), as /proc/self/maps names them. */
export function mappedFiles(): Set<string> {
  const files = new Set<string>();
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const path = line.split(/\s+/).slice(5).join(' ');
    if (path.startsWith('/')) files.add(path);
  }
  return files;
}
