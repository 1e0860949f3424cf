/**
 * Bundles the Electron shell for electron-builder (build/electron-builder.yml):
 *   electron/main.ts    → dist/electron/main.js     ESM, Node platform
 *   electron/preload.ts → dist/electron/preload.cjs one CommonJS file, no imports
 *                                                    but 'electron' (a sandboxed
 *                                                    preload can load nothing else)
 * Every package stays external and loads from node_modules at run time, so
 * package.json's "dependencies" must hold each one the main process imports
 * (test/electron-packaging.test.ts checks); native modules (build/native-modules.ts)
 * are rebuilt there by electron-builder for Electron's ABI.
 *
 *   tsx build/bundle-electron.ts [outdir]
 */
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { nativeModules } from './native-modules.js';

/** The main process: our code bundled, every package loaded from node_modules. */
export function mainBundleOptions(outdir: string): BuildOptions {
  return {
    entryPoints: { main: 'electron/main.ts' },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // Dependencies load from node_modules at run time; only our own code is bundled.
    packages: 'external',
    external: ['electron', ...Object.keys(nativeModules)],
    sourcemap: true,
    outExtension: { '.js': '.js' },
  };
}

/** The sandboxed preload: one file that loads nothing but 'electron'. */
export function preloadBundleOptions(outdir: string): BuildOptions {
  return {
    entryPoints: { preload: 'electron/preload.ts' },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'cjs',
    target: 'chrome140',
    external: ['electron'],
    sourcemap: true,
    outExtension: { '.js': '.cjs' },
  };
}

// Run as a script (not imported by a test): build both.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outdir = process.argv[2] ?? 'dist/electron';
  await build(mainBundleOptions(outdir));
  await build(preloadBundleOptions(outdir));
}
