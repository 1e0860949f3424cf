/**
 * The packaged app, as far as it can be checked without packaging it (no
 * Electron binary can be fetched here): the builder configuration as
 * electron-builder itself reads and validates it, the fuse settings and the
 * afterPack hook that writes them (run on a FAKE binary with a real fuse wire),
 * the native modules rebuilt for Electron's ABI, and which packages are
 * runtime `dependencies` (what the packaged app loads, nothing more).
 */
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, type Stats } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { FuseV1Options } from '@electron/fuses';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainBundleOptions } from '../build/bundle-electron.js';
import { electronFuses } from '../build/electron-fuses.mjs';
import afterPack, { electronBinaryPath, fuseConfig } from '../build/flip-fuses.mjs';
import { nativeModules } from '../build/native-modules.js';
import {
  FUSE_OFF,
  FUSE_ON,
  SHIPPED_FUSES,
  writeFakeElectronBinary,
} from './fakes/fake-electron-binary.js';

const root = resolve(import.meta.dirname, '..');
const configFile = 'build/electron-builder.yml';
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
const runtime = Object.keys(pkg.dependencies);

/**
 * The filter electron-builder copies node_modules through, built from `files`
 * (exported by app-builder-lib but marked internal, so left out of its types).
 */
const { getNodeModuleFileMatcher } = createRequire(import.meta.url)(
  'app-builder-lib/out/fileMatcher.js',
) as {
  getNodeModuleFileMatcher(
    appDir: string,
    destination: string,
    macroExpander: (text: string) => string,
    platformOptions: object,
    packager: { config: object; debugLogger: DebugLogger },
  ): { createFilter(): (file: string, stat: Stats) => boolean };
};
const native = Object.keys(nativeModules);

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'signet-packaging-'));
  dirs.push(dir);
  return dir;
}

describe('the electron-builder configuration', () => {
  // electron-builder's own loader and schema check, as `electron-builder --config` runs them.
  let config: Awaited<ReturnType<typeof getConfig>>;
  beforeAll(async () => {
    config = await getConfig(root, configFile, null);
    await validateConfiguration(config, new DebugLogger(false));
  });

  it('packs the app into one asar', () => {
    expect(config.asar).toBe(true);
    expect(config.extraMetadata).toEqual({ main: pkg.main });
    expect(pkg.main).toBe('dist/electron/main.js');
  });

  it('flips the fuses after packing, with a hook electron-builder can load', () => {
    expect(config.afterPack).toBe('./build/flip-fuses.mjs');
    expect(existsSync(join(root, 'build', 'flip-fuses.mjs'))).toBe(true);
    expect(typeof afterPack).toBe('function');
  });

  it("rebuilds the native modules from source for Electron's ABI", () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(true);
    // The app has no binding.gyp of its own.
    expect(config.nodeGypRebuild).toBe(false);
    expect(existsSync(join(root, 'binding.gyp'))).toBe(false);
    // Unset: @electron/rebuild (sequential), not the legacy app-builder binary.
    expect(config.nativeRebuilder ?? 'sequential').toBe('sequential');
  });

  it('keeps every native module out of app.asar', () => {
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining(['**/*.node', ...native.map((name) => `node_modules/${name}/**`)]),
    );
  });

  it("takes Electron's version from the installed package, the one the lock file pins", () => {
    expect(config.electronVersion).toBeUndefined();
    expect(pkg.devDependencies.electron).toBeDefined();
  });

  it('leaves the test-only anvil binary out of the app, and the runtime packages in', () => {
    expect(Object.keys(pkg.optionalDependencies ?? {})).toEqual(['@foundry-rs/anvil-linux-amd64']);
    const keep = getNodeModuleFileMatcher(
      root,
      '/app',
      (text) => text,
      {},
      {
        config,
        debugLogger: new DebugLogger(false),
      },
    ).createFilter();
    const file = { isDirectory: () => false } as Stats;
    const folder = { isDirectory: () => true } as Stats;
    const at = (path: string) => join(root, path);
    expect(keep(at('node_modules/@foundry-rs'), folder)).toBe(false);
    expect(keep(at('node_modules/@foundry-rs/anvil-linux-amd64/anvil'), file)).toBe(false);
    expect(keep(at('node_modules/better-sqlite3/lib/index.js'), file)).toBe(true);
    expect(keep(at('node_modules/pkcs11js'), folder)).toBe(true);
  });
});

describe('the fuse settings', () => {
  it('turn off RunAsNode, NODE_OPTIONS and --inspect; turn on cookie encryption, asar only and asar integrity', () => {
    expect(electronFuses).toEqual({
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      LoadBrowserProcessSpecificV8Snapshot: false,
      // On while the UI loads from file:// inside app.asar (see build/electron-fuses.mjs).
      GrantFileProtocolExtraPrivileges: true,
    });
    expect(Object.isFrozen(electronFuses)).toBe(true);
  });

  it('name every fuse @electron/fuses knows, and only those', () => {
    const known = Object.keys(FuseV1Options).filter((key) => Number.isNaN(Number(key)));
    expect(Object.keys(electronFuses).sort()).toEqual(known.sort());
  });

  it('become @electron/fuses config, re-signing ad hoc only for macOS on arm64', () => {
    const linux = fuseConfig('linux', 'x64');
    expect(linux).toMatchObject({ version: '1', resetAdHocDarwinSignature: false });
    for (const [name, on] of Object.entries(electronFuses)) {
      expect(linux[FuseV1Options[name as keyof typeof FuseV1Options]]).toBe(on);
    }
    expect(fuseConfig('darwin', 'arm64').resetAdHocDarwinSignature).toBe(true);
    expect(fuseConfig('mas', 'arm64').resetAdHocDarwinSignature).toBe(true);
    expect(fuseConfig('darwin', 'universal').resetAdHocDarwinSignature).toBe(true);
    expect(fuseConfig('darwin', 'x64').resetAdHocDarwinSignature).toBe(false);
    expect(fuseConfig('win32', 'arm64').resetAdHocDarwinSignature).toBe(false);
  });

  it('are written into the binary each platform packs', () => {
    const packager = { appInfo: { productFilename: 'Signet' }, executableName: 'signet' };
    const at = (electronPlatformName: string) =>
      electronBinaryPath({ appOutDir: '/out', electronPlatformName, arch: 1, packager });
    expect(at('linux')).toBe('/out/signet');
    expect(at('win32')).toBe('/out/Signet.exe');
    // @electron/fuses finds the framework binary inside the .app.
    expect(at('darwin')).toBe('/out/Signet.app');
    expect(at('mas')).toBe('/out/Signet.app');
  });
});

describe('the afterPack hook on a fake Electron binary', () => {
  const linuxContext = (appOutDir: string) => ({
    appOutDir,
    electronPlatformName: 'linux',
    arch: 1, // x64
    packager: { appInfo: { productFilename: 'Signet' }, executableName: 'signet' },
  });

  it('flips each fuse as set, leaves an unknown fuse and every other byte as they were', async () => {
    const out = tempDir();
    const binary = join(out, 'signet');
    const fake = writeFakeElectronBinary(binary);
    await afterPack(linuxContext(out));
    const after = readFileSync(binary);
    const wire = [...after.subarray(fake.wireStart, fake.wireStart + SHIPPED_FUSES.length)];
    expect(wire).toEqual([
      FUSE_OFF, // RunAsNode
      FUSE_ON, // EnableCookieEncryption
      FUSE_OFF, // EnableNodeOptionsEnvironmentVariable
      FUSE_OFF, // EnableNodeCliInspectArguments
      FUSE_ON, // EnableEmbeddedAsarIntegrityValidation
      FUSE_ON, // OnlyLoadAppFromAsar
      FUSE_OFF, // LoadBrowserProcessSpecificV8Snapshot
      FUSE_ON, // GrantFileProtocolExtraPrivileges
      FUSE_ON, // unknown to @electron/fuses 1.8: untouched
    ]);
    const changed = [...after.keys()].filter((i) => after[i] !== fake.bytes[i]);
    expect(changed).toEqual([0, 1, 2, 3, 4, 5].map((i) => fake.wireStart + i));
  });

  it('fails the build on a binary without a fuse wire', async () => {
    const out = tempDir();
    writeFakeElectronBinary(join(out, 'signet'), null);
    await expect(afterPack(linuxContext(out))).rejects.toThrow(/Could not find sentinel/);
  });

  it('fails the build on a wire too short for the fuses it must set', async () => {
    const out = tempDir();
    writeFakeElectronBinary(join(out, 'signet'), SHIPPED_FUSES.slice(0, 5));
    await expect(afterPack(linuxContext(out))).rejects.toThrow(/not long enough/);
  });

  it('fails the build when the packed binary is missing', async () => {
    await expect(afterPack(linuxContext(tempDir()))).rejects.toThrow(/ENOENT/);
  });
});

/** `viem/accounts` → `viem`, `@noble/curves/utils.js` → `@noble/curves`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

describe('runtime dependencies', () => {
  // What the packaged main process loads: the packages its bundle leaves external
  // (build/bundle-electron.ts's own options), plus those its files load with createRequire.
  let loaded: Set<string>;
  let bundledFiles: string[];
  beforeAll(async () => {
    const result = await build({
      ...mainBundleOptions(tempDir()),
      absWorkingDir: root,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    bundledFiles = Object.keys(result.metafile.inputs);
    loaded = new Set<string>();
    const builtins = new Set(builtinModules);
    for (const [file, input] of Object.entries(result.metafile.inputs)) {
      for (const { path, external } of input.imports) {
        if (external && !path.startsWith('node:') && !builtins.has(path))
          loaded.add(packageOf(path));
      }
      const source = readFileSync(join(root, file), 'utf8');
      for (const match of source.matchAll(/createRequire\([^)]*\)\(\s*'([^']+)'/g)) {
        loaded.add(packageOf(match[1]!));
      }
    }
  });

  it('the main process bundles none of the dev ledger, compiler or start script', () => {
    expect(bundledFiles.filter((file) => /^(ledger|app|cli|test|bench)\//.test(file))).toEqual([]);
    for (const tool of ['hardhat', 'solc', 'tsx', 'commander']) expect(loaded).not.toContain(tool);
  });

  it('hold every package the main process loads (Electron itself comes with the app)', () => {
    expect(loaded).toContain('pkcs11js'); // through createRequire
    expect(loaded).toContain('secp256k1');
    loaded.delete('electron');
    expect([...loaded].filter((name) => !runtime.includes(name))).toEqual([]);
  });

  it('hold nothing else: the renderer is bundled by vite, tools are dev dependencies', () => {
    // The Ledger transport loads these lazily, when a HID device is used.
    const ledgerDevice = [
      '@ledgerhq/errors',
      '@ledgerhq/hw-app-eth',
      '@ledgerhq/hw-transport',
      '@ledgerhq/hw-transport-node-hid',
      'node-hid',
    ];
    const unused = runtime.filter((name) => !loaded.has(name) && !ledgerDevice.includes(name));
    expect(unused).toEqual([]);
  });

  it('exclude the dev ledger, the compiler, tsx and the test tools; include the native modules', () => {
    for (const dev of [
      'hardhat',
      'solc',
      'tsx',
      'vitest',
      'playwright-core',
      'electron',
      'electron-builder',
      '@electron/fuses',
      'react',
      'vite',
    ]) {
      expect(runtime).not.toContain(dev);
    }
    // electron-builder refuses an electron that is not a dev dependency.
    expect(pkg.devDependencies).toHaveProperty('electron');
    for (const needed of [
      'pkcs11js',
      'better-sqlite3',
      'secp256k1',
      'node-hid',
      '@ledgerhq/hw-transport-node-hid',
    ]) {
      expect(runtime).toContain(needed);
    }
  });

  it('reach exactly the native modules build/native-modules.ts lists (what @electron/rebuild rebuilds)', () => {
    // The production tree as electron-builder collects it: dependencies and
    // optional dependencies, followed through node_modules.
    const found = new Set<string>();
    const seen = new Set<string>();
    // Node's lookup: node_modules/<name> here, then in each folder above.
    const locate = (name: string, from: string): string | undefined => {
      for (let dir = from; ; dir = dirname(dir)) {
        const manifest = join(dir, 'node_modules', name, 'package.json');
        if (existsSync(manifest)) return manifest;
        if (dirname(dir) === dir) return undefined;
      }
    };
    const walk = (name: string, from: string) => {
      const manifest = locate(name, from);
      if (!manifest) return; // an optional dependency for another platform
      const dir = realpathSync(dirname(manifest));
      if (seen.has(dir)) return;
      seen.add(dir);
      if (existsSync(join(dir, 'binding.gyp'))) found.add(name);
      const meta = JSON.parse(readFileSync(manifest, 'utf8'));
      for (const dep of Object.keys({ ...meta.dependencies, ...meta.optionalDependencies })) {
        walk(dep, dir);
      }
    };
    for (const dep of [...runtime, ...Object.keys(pkg.optionalDependencies ?? {})]) walk(dep, root);
    expect(seen.size).toBeGreaterThan(50);
    expect([...found].sort()).toEqual([...native].sort());
  });
});
