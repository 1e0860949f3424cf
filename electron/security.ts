/**
 * The window's security settings and the handlers that harden its webContents
 * and session: no navigation away from the app, no new windows, no <webview>,
 * no remote content, a strict Content-Security-Policy, and no permission at all
 * except the camera while a QR scan is running.
 *
 * Electron is not imported: every function takes the few members it uses
 * (structural types below), which the real objects satisfy and the tests fake.
 */
import { CONTENT_SECURITY_POLICY } from '../core/security/content-security-policy.js';
import { type AppLocation, isAppPageUrl, isAppResourceUrl } from './app-location.js';

/** The BrowserWindow `webPreferences` for the one app window. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  } as const;
}

// --- the members of Electron's objects these functions use -----------------

export interface NavigationEvent {
  preventDefault(): void;
}
export type WindowOpenResponse = { action: 'deny' } | { action: 'allow' };

export interface HardenableWebContents {
  on(event: 'will-navigate', listener: (event: NavigationEvent, url: string) => void): unknown;
  on(event: 'will-redirect', listener: (event: NavigationEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: NavigationEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => WindowOpenResponse): void;
}

export interface PermissionRequestDetails {
  requestingUrl?: string;
  mediaTypes?: ReadonlyArray<'video' | 'audio'>;
}
export interface PermissionCheckDetails {
  requestingUrl?: string;
  mediaType?: 'video' | 'audio' | 'unknown';
}
export type PermissionRequestHandler = (
  webContents: unknown,
  permission: string,
  callback: (granted: boolean) => void,
  details: PermissionRequestDetails,
) => void;
export type PermissionCheckHandler = (
  webContents: unknown,
  permission: string,
  requestingOrigin: string,
  details: PermissionCheckDetails,
) => boolean;

export interface HeadersReceivedDetails {
  url: string;
  responseHeaders?: Record<string, string[] | string>;
}
export interface HeadersReceivedResponse {
  cancel?: boolean;
  responseHeaders?: Record<string, string[] | string>;
}
export interface HardenableSession {
  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void;
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void;
  webRequest: {
    onHeadersReceived(
      listener: (
        details: HeadersReceivedDetails,
        callback: (response: HeadersReceivedResponse) => void,
      ) => void,
    ): void;
    onBeforeRequest(
      listener: (
        details: { url: string },
        callback: (response: { cancel?: boolean }) => void,
      ) => void,
    ): void;
  };
}

// --- webContents ------------------------------------------------------------

/**
 * Keeps a webContents on the app: navigation and redirects anywhere else are
 * prevented, `window.open` is denied, `<webview>` never attaches. Links to the
 * outside world are not opened in a browser either: a wallet shows addresses,
 * it does not follow links.
 */
export function hardenWebContents(contents: HardenableWebContents, location: AppLocation): void {
  const keepOnApp = (event: NavigationEvent, url: string) => {
    if (!isAppPageUrl(url, location)) event.preventDefault();
  };
  contents.on('will-navigate', keepOnApp);
  contents.on('will-redirect', keepOnApp);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

// --- permissions --------------------------------------------------------------

/**
 * Every permission is denied, except `media` with video only (the camera, for
 * scanning a QR code), asked by the app's own page, and only between
 * `setScanning(true)` and `setScanning(false)`.
 */
export interface PermissionPolicy {
  setScanning(active: boolean): void;
  isScanning(): boolean;
  readonly onRequest: PermissionRequestHandler;
  readonly onCheck: PermissionCheckHandler;
}

export function createPermissionPolicy(location: AppLocation): PermissionPolicy {
  let scanning = false;
  const fromApp = (url: string | undefined) => url !== undefined && isAppPageUrl(url, location);
  return {
    setScanning(active) {
      scanning = active;
    },
    isScanning: () => scanning,
    onRequest(_webContents, permission, callback, details) {
      const types = details.mediaTypes ?? [];
      const cameraOnly = types.length > 0 && types.every((type) => type === 'video');
      callback(scanning && permission === 'media' && cameraOnly && fromApp(details.requestingUrl));
    },
    onCheck(_webContents, permission, _requestingOrigin, details) {
      return (
        scanning &&
        permission === 'media' &&
        details.mediaType === 'video' &&
        fromApp(details.requestingUrl)
      );
    },
  };
}

// --- session ------------------------------------------------------------------

/** Sets the CSP header on every response, replacing any the server sent. */
export function withCspHeader(
  headers: Record<string, string[] | string> | undefined,
): Record<string, string[] | string> {
  const kept = Object.fromEntries(
    Object.entries(headers ?? {}).filter(
      ([name]) => name.toLowerCase() !== 'content-security-policy',
    ),
  );
  return { ...kept, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] };
}

/**
 * Hardens the app's session: the permission policy, the CSP header on every
 * HTTP response (the dev server; a `file://` page carries the same policy in
 * its `<meta http-equiv>`), and every request outside the app cancelled.
 */
export function hardenSession(
  session: HardenableSession,
  location: AppLocation,
  permissions: PermissionPolicy,
): void {
  session.setPermissionRequestHandler(permissions.onRequest);
  session.setPermissionCheckHandler(permissions.onCheck);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCspHeader(details.responseHeaders) });
  });
  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAppResourceUrl(details.url, location) });
  });
}
