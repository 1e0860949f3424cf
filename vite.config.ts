/**
 * Builds the renderer (renderer/ → renderer/dist) for both ways it is loaded:
 * from file:// by Electron and from the loopback bridge. Relative asset URLs
 * (base './'), no inline scripts or styles (the CSP is script-src 'self',
 * style-src 'self'), nothing fetched from the network.
 *
 * The renderer may import the API contract (core/api/*) and nothing else of
 * core/: the guard below fails the build on any other import from the backend.
 */
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { META_CONTENT_SECURITY_POLICY } from './core/security/content-security-policy.js';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = resolve(here, 'renderer');
const allowedBackend = resolve(here, 'core', 'api');
const backendDirs = ['core', 'native', 'cli', 'electron', 'ledger', 'bin', 'build'].map((d) =>
  resolve(here, d),
);

function backendImportGuard(): Plugin {
  return {
    name: 'signet-backend-import-guard',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!importer?.startsWith(rendererDir + sep)) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!resolved) return null;
      const id = resolved.id.split('?')[0] ?? resolved.id;
      const inBackend = backendDirs.some((d) => id.startsWith(d + sep));
      if (inBackend && !id.startsWith(allowedBackend + sep)) {
        this.error(
          `the renderer may import only core/api/* from the backend; ${relative(here, importer)} imports ${relative(here, id)}`,
        );
      }
      return resolved;
    },
  };
}

/** The UI's one CSP (core/security) as index.html's first <meta>, for pages loaded from file://. */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'signet-csp-meta',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: META_CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export default defineConfig({
  root: rendererDir,
  base: './',
  publicDir: false,
  plugins: [backendImportGuard(), contentSecurityPolicyMeta()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: resolve(rendererDir, 'dist'),
    emptyOutDir: true,
    target: 'chrome120',
    // Never inline assets as data: URLs into scripts or styles; keep files.
    assetsInlineLimit: 0,
    // The polyfill is not needed by Chromium/Electron and would be one more script.
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: { host: '127.0.0.1', strictPort: true },
});
