/**
 * Where the renderer is loaded from, and which URLs therefore belong to the app.
 * Packaged and normal runs load one built file (`renderer/dist/index.html`); a
 * development run may load the dev server's origin instead. Every other check
 * (navigation, permissions, the IPC sender frame, outgoing requests) asks this
 * file, so "our origin" means one thing everywhere. No Electron imports.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

export type AppLocation =
  /** The built renderer: one HTML file; its folder holds the bundles it loads. */
  | { kind: 'file'; indexUrl: string; rootUrl: string }
  /** A development server (http://localhost:PORT), never in a packaged app. */
  | { kind: 'dev'; origin: string };

export function fileLocation(indexPath: string): AppLocation {
  const indexUrl = pathToFileURL(indexPath).href;
  return { kind: 'file', indexUrl, rootUrl: new URL('./', indexUrl).href };
}

/** Only loopback http origins: a remote dev server would be remote content. */
export function devLocation(serverUrl: string): AppLocation {
  const url = new URL(serverUrl);
  const loopback = ['localhost', '127.0.0.1', '[::1]'];
  if (url.protocol !== 'http:' || !loopback.includes(url.hostname)) {
    throw new Error(`dev server must be http on loopback, got ${url.origin}`);
  }
  return { kind: 'dev', origin: url.origin };
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * True for the app's own page: the built index.html itself (any hash or query:
 * in-app routes), or any page of the dev server's origin.
 */
export function isAppPageUrl(url: string, location: AppLocation): boolean {
  const parsed = parse(url);
  if (!parsed) return false;
  if (location.kind === 'dev') return parsed.origin === location.origin;
  if (parsed.protocol !== 'file:' || parsed.host !== '') return false;
  return parsed.pathname === new URL(location.indexUrl).pathname;
}

/**
 * True for a resource the page may load: files under the renderer's folder,
 * inline `data:` images, or the dev server (with its websocket for reloads).
 * Everything else is remote content and is cancelled.
 */
export function isAppResourceUrl(url: string, location: AppLocation): boolean {
  const parsed = parse(url);
  if (!parsed) return false;
  if (parsed.protocol === 'data:' || parsed.protocol === 'devtools:') return true;
  if (location.kind === 'dev') {
    if (parsed.protocol === 'ws:') return parsed.host === new URL(location.origin).host;
    return parsed.origin === location.origin;
  }
  if (parsed.protocol !== 'file:' || parsed.host !== '') return false;
  // Compare decoded paths so `%2e%2e` cannot climb out of the folder.
  const root = fileURLToPath(location.rootUrl);
  let path: string;
  try {
    path = fileURLToPath(parsed);
  } catch {
    return false;
  }
  return path.startsWith(root) && !path.slice(root.length).split(/[\\/]/).includes('..');
}
