/**
 * Bundles the Electron shell for electron-builder (build/electron-builder.yml):
 *   electron/main.ts    → dist/electron/main.js     ESM, Node platform
 *   electron/preload.ts → dist/electron/preload.cjs one CommonJS file, no imports
 *                                                    but 'electron' (a sandboxed
 *                                                    preload can load nothing else)
 * Native modules stay external: electron-builder rebuilds them for Electron's ABI.
 *
 *   tsx build/bundle-electron.ts [outdir]
 */
import { build } from 'esbuild';

const outdir = process.argv[2] ?? 'dist/electron';
const native = ['electron', 'pkcs11js', 'better-sqlite3', 'secp256k1', 'node-hid'];

await build({
  entryPoints: { main: 'electron/main.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Dependencies load from node_modules at run time; only our own code is bundled.
  packages: 'external',
  external: native,
  sourcemap: true,
  outExtension: { '.js': '.js' },
});

await build({
  entryPoints: { preload: 'electron/preload.ts' },
  outdir,
  bundle: true,
  platform: 'browser',
  format: 'cjs',
  target: 'chrome140',
  external: ['electron'],
  sourcemap: true,
  outExtension: { '.js': '.cjs' },
});
