/**
 * Where PKCS#11 modules are found: paths the user configured, the p11-kit
 * convention (`*.module` files naming a library), and the usual install
 * locations of the modules Signet is tested with.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';

export type ModuleSource = 'config' | 'p11-kit' | 'well-known';

export interface ModuleCandidate {
  path: string;
  name: string;
  source: ModuleSource;
}

export interface DiscoveryOptions {
  configured?: string[];
  /** Folders of p11-kit `*.module` files; system defaults when omitted. */
  p11kitConfigDirs?: string[];
  /** Folders a bare `module:` name is resolved against. */
  p11kitModuleDirs?: string[];
  wellKnown?: string[];
}

/** Where Linux distributions install shared libraries (and PKCS#11 modules below them). */
export const libDirs = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
];

const defaults = {
  p11kitConfigDirs: ['/etc/pkcs11/modules', '/usr/share/p11-kit/modules'],
  p11kitModuleDirs: libDirs.map((dir) => join(dir, 'pkcs11')),
  wellKnown: libDirs.flatMap((dir) => [
    join(dir, 'softhsm/libsofthsm2.so'),
    join(dir, 'opensc-pkcs11.so'),
    join(dir, 'pkcs11/opensc-pkcs11.so'),
    join(dir, 'pkcs11/libtpm2_pkcs11.so'),
    join(dir, 'libtpm2_pkcs11.so'),
  ]),
};

export function discoverModules(options: DiscoveryOptions = {}): ModuleCandidate[] {
  const found: ModuleCandidate[] = [
    ...(options.configured ?? []).map((path) => ({
      path,
      name: basename(path),
      source: 'config' as const,
    })),
    ...fromP11kit(
      options.p11kitConfigDirs ?? defaults.p11kitConfigDirs,
      options.p11kitModuleDirs ?? defaults.p11kitModuleDirs,
    ),
    ...(options.wellKnown ?? defaults.wellKnown)
      .filter((path) => existsSync(path))
      .map((path) => ({ path, name: basename(path), source: 'well-known' as const })),
  ];
  // The same library is often reachable by several names (symlinks): list it once,
  // under the first source that named it. Configured paths are kept even if missing
  // so that `signet modules` can say they are.
  const seen = new Set<string>();
  return found.filter((candidate) => {
    const key = existsSync(candidate.path) ? realpathSync(candidate.path) : candidate.path;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function fromP11kit(configDirs: string[], moduleDirs: string[]): ModuleCandidate[] {
  const candidates: ModuleCandidate[] = [];
  // A module file in an earlier folder overrides one of the same name in a later one.
  const names = new Set<string>();
  for (const dir of configDirs) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.module') || names.has(file)) continue;
      names.add(file);
      const config = parseModuleFile(readFileSync(join(dir, file), 'utf8'));
      if (!config.module || !isUsable(config)) continue;
      const path = isAbsolute(config.module)
        ? config.module
        : (moduleDirs.map((d) => join(d, config.module!)).find((p) => existsSync(p)) ??
          config.module);
      candidates.push({ path, name: file.replace(/\.module$/, ''), source: 'p11-kit' });
    }
  }
  return candidates;
}

/** p11-kit module files are `key: value` lines with `#` comments. */
export function parseModuleFile(text: string): Record<string, string> {
  const config: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([\w-]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (match && !line.trimStart().startsWith('#')) config[match[1]!] = match[2]!;
  }
  return config;
}

function isUsable(config: Record<string, string>): boolean {
  const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim());
  if (config['enable-in'] && !list(config['enable-in']).includes('signet')) return false;
  if (list(config['disable-in']).includes('signet')) return false;
  // Trust-policy modules (p11-kit-trust) hold CA certificates, never keys.
  return config['trust-policy'] !== 'yes';
}
