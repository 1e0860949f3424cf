/**
 * The Electron window's security settings, with FAKE Electron objects (Electron
 * itself cannot run on this machine): webPreferences, the CSP, the navigation,
 * window.open and <webview> guards, the permission policy, and the session's
 * header and request hooks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  META_CONTENT_SECURITY_POLICY,
} from '../core/security/content-security-policy.js';
import {
  type AppLocation,
  devLocation,
  fileLocation,
  isAppPageUrl,
  isAppResourceUrl,
} from '../electron/app-location.js';
import {
  createPermissionPolicy,
  type HardenableSession,
  type HardenableWebContents,
  type HeadersReceivedResponse,
  hardenSession,
  hardenWebContents,
  type NavigationEvent,
  type PermissionCheckHandler,
  type PermissionRequestHandler,
  secureWebPreferences,
  type WindowOpenResponse,
  withCspHeader,
} from '../electron/security.js';

const appFile = fileLocation('/opt/Signet/resources/app.asar/renderer/dist/index.html');
const appUrl = 'file:///opt/Signet/resources/app.asar/renderer/dist/index.html';
const devServer = devLocation('http://localhost:5173');

/** A fake webContents: records the listeners hardenWebContents registers. */
class FakeWebContents implements HardenableWebContents {
  readonly listeners = new Map<string, (event: NavigationEvent, url: string) => void>();
  openHandler: ((details: { url: string }) => WindowOpenResponse) | undefined;

  on(event: string, listener: (event: NavigationEvent, url: string) => void): this {
    this.listeners.set(event, listener);
    return this;
  }

  setWindowOpenHandler(handler: (details: { url: string }) => WindowOpenResponse): void {
    this.openHandler = handler;
  }

  /** Fires `name` and tells whether the listener prevented it. */
  fire(name: string, url = ''): boolean {
    let prevented = false;
    const listener = this.listeners.get(name);
    if (!listener) throw new Error(`no ${name} listener`);
    listener({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

/** A fake session: keeps the handlers so the test can call them as Electron would. */
class FakeSession implements HardenableSession {
  requestHandler: PermissionRequestHandler | null = null;
  checkHandler: PermissionCheckHandler | null = null;
  headersListener:
    | ((
        details: { url: string; responseHeaders?: Record<string, string[] | string> },
        callback: (response: HeadersReceivedResponse) => void,
      ) => void)
    | undefined;
  beforeRequest:
    | ((details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void)
    | undefined;

  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void {
    this.checkHandler = handler;
  }
  webRequest = {
    onHeadersReceived: (listener: NonNullable<FakeSession['headersListener']>) => {
      this.headersListener = listener;
    },
    onBeforeRequest: (listener: NonNullable<FakeSession['beforeRequest']>) => {
      this.beforeRequest = listener;
    },
  };

  request(permission: string, details: Parameters<PermissionRequestHandler>[3]): boolean {
    let granted: boolean | undefined;
    this.requestHandler!({}, permission, (value) => (granted = value), details);
    if (granted === undefined) throw new Error('permission callback not called');
    return granted;
  }
}

describe('webPreferences', () => {
  const prefs = secureWebPreferences('/app/dist/electron/preload.cjs');

  it('isolates, sandboxes and keeps Node out of the renderer', () => {
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
  });

  it('keeps web security on and the rest off', () => {
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.spellcheck).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.experimentalFeatures).toBe(false);
    expect(prefs.navigateOnDragDrop).toBe(false);
    expect(prefs.preload).toBe('/app/dist/electron/preload.cjs');
  });
});

describe('Content-Security-Policy', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((part) => {
      const [name, ...values] = part.trim().split(/\s+/);
      return [name!, values];
    }),
  );

  it('has the required directives', () => {
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('img-src')).toEqual(["'self'", 'data:']);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('allows no eval, no inline code and no other origin', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|unsafe-inline|wasm-unsafe|\*/);
    for (const values of directives.values()) {
      for (const value of values) {
        expect(["'self'", "'none'", 'data:']).toContain(value);
      }
    }
  });

  it('is one policy: the <meta> form is the header without frame-ancestors, which a meta cannot carry', () => {
    const withoutFrameAncestors = CONTENT_SECURITY_POLICY.split('; ')
      .filter((d) => !d.startsWith('frame-ancestors'))
      .join('; ');
    expect(META_CONTENT_SECURITY_POLICY).toBe(withoutFrameAncestors);
    expect(META_CONTENT_SECURITY_POLICY).not.toContain('frame-ancestors');
    // index.html has no policy of its own: the build writes the one above into it.
    const html = readFileSync(new URL('../renderer/index.html', import.meta.url), 'utf8');
    expect(html).not.toMatch(/Content-Security-Policy/i);
  });

  it('is set on every response, replacing a server-sent policy', () => {
    const headers = withCspHeader({
      'content-security-policy': ["default-src *; script-src 'unsafe-eval'"],
      'Content-Type': ['text/html'],
    });
    expect(headers).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
    });
  });
});

describe('app location', () => {
  it('file: only the built index.html is the app page, with any route', () => {
    expect(isAppPageUrl(appUrl, appFile)).toBe(true);
    expect(isAppPageUrl(`${appUrl}#/accounts`, appFile)).toBe(true);
    expect(isAppPageUrl('file:///etc/passwd', appFile)).toBe(false);
    expect(
      isAppPageUrl('file:///opt/Signet/resources/app.asar/renderer/dist/x.html', appFile),
    ).toBe(false);
    expect(
      isAppPageUrl(
        'file://evil.example/opt/Signet/resources/app.asar/renderer/dist/index.html',
        appFile,
      ),
    ).toBe(false);
    expect(isAppPageUrl('https://evil.example/', appFile)).toBe(false);
    expect(isAppPageUrl('not a url', appFile)).toBe(false);
  });

  it('dev: exactly the dev server origin, and only loopback dev servers', () => {
    expect(isAppPageUrl('http://localhost:5173/#/send', devServer)).toBe(true);
    expect(isAppPageUrl('http://localhost:5174/', devServer)).toBe(false);
    expect(isAppPageUrl('https://localhost:5173/', devServer)).toBe(false);
    expect(() => devLocation('http://dev.example.com:5173')).toThrow(/loopback/);
    expect(() => devLocation('https://localhost:5173')).toThrow(/loopback/);
  });

  it('resources: files under the renderer folder, data:, the dev server; nothing remote', () => {
    const root = 'file:///opt/Signet/resources/app.asar/renderer/dist';
    expect(isAppResourceUrl(`${root}/assets/index-abc.js`, appFile)).toBe(true);
    expect(isAppResourceUrl('data:image/png;base64,AAAA', appFile)).toBe(true);
    expect(isAppResourceUrl(`${root}/../../secrets.json`, appFile)).toBe(false);
    expect(isAppResourceUrl(`${root}/%2e%2e/%2e%2e/secrets.json`, appFile)).toBe(false);
    expect(isAppResourceUrl('file:///etc/passwd', appFile)).toBe(false);
    expect(isAppResourceUrl('https://cdn.example.com/lib.js', appFile)).toBe(false);
    expect(isAppResourceUrl('http://localhost:5173/src/main.ts', devServer)).toBe(true);
    expect(isAppResourceUrl('ws://localhost:5173/', devServer)).toBe(true);
    expect(isAppResourceUrl('ws://localhost:9999/', devServer)).toBe(false);
    expect(isAppResourceUrl('https://cdn.example.com/lib.js', devServer)).toBe(false);
  });
});

describe('hardenWebContents', () => {
  const harden = (location: AppLocation) => {
    const contents = new FakeWebContents();
    hardenWebContents(contents, location);
    return contents;
  };

  it('prevents navigation to another origin', () => {
    const contents = harden(appFile);
    expect(contents.fire('will-navigate', 'https://evil.example/phish')).toBe(true);
    expect(contents.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(contents.fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(harden(devServer).fire('will-navigate', 'http://localhost:8080/')).toBe(true);
  });

  it("allows navigation to the app's own page", () => {
    expect(harden(appFile).fire('will-navigate', `${appUrl}#/settings`)).toBe(false);
    expect(harden(devServer).fire('will-navigate', 'http://localhost:5173/')).toBe(false);
  });

  it('denies window.open, for our own URL too', () => {
    const contents = harden(appFile);
    expect(contents.openHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: appUrl })).toEqual({ action: 'deny' });
  });

  it('never attaches a <webview>', () => {
    expect(harden(appFile).fire('will-attach-webview')).toBe(true);
  });
});

describe('permissions', () => {
  const setup = () => {
    const fake = new FakeSession();
    const policy = createPermissionPolicy(appFile);
    hardenSession(fake, appFile, policy);
    return { fake, policy };
  };
  const camera = { requestingUrl: appUrl, mediaTypes: ['video'] as const };

  it('denies the camera unless a scan is active', () => {
    const { fake, policy } = setup();
    expect(fake.request('media', camera)).toBe(false);
    policy.setScanning(true);
    expect(policy.isScanning()).toBe(true);
    expect(fake.request('media', camera)).toBe(true);
    policy.setScanning(false);
    expect(fake.request('media', camera)).toBe(false);
  });

  it('denies the microphone, other pages and every other permission, even while scanning', () => {
    const { fake, policy } = setup();
    policy.setScanning(true);
    expect(fake.request('media', { requestingUrl: appUrl, mediaTypes: ['audio'] })).toBe(false);
    expect(fake.request('media', { requestingUrl: appUrl, mediaTypes: ['video', 'audio'] })).toBe(
      false,
    );
    expect(fake.request('media', { requestingUrl: appUrl, mediaTypes: [] })).toBe(false);
    expect(fake.request('media', { requestingUrl: appUrl })).toBe(false);
    expect(fake.request('media', { ...camera, requestingUrl: 'https://evil.example/' })).toBe(
      false,
    );
    for (const permission of [
      'geolocation',
      'notifications',
      'clipboard-read',
      'clipboard-sanitized-write',
      'hid',
      'serial',
      'usb',
      'midi',
      'openExternal',
      'fullscreen',
      'pointerLock',
      'display-capture',
      'unknown',
    ]) {
      expect(fake.request(permission, camera), permission).toBe(false);
    }
  });

  it('the permission check handler follows the same rule', () => {
    const { fake, policy } = setup();
    const check = (permission: string, details: Parameters<PermissionCheckHandler>[3]) =>
      fake.checkHandler!(null, permission, 'file:///', details);
    const video = { requestingUrl: appUrl, mediaType: 'video' as const };
    expect(check('media', video)).toBe(false);
    policy.setScanning(true);
    expect(check('media', video)).toBe(true);
    expect(check('media', { ...video, mediaType: 'audio' })).toBe(false);
    expect(check('media', { ...video, requestingUrl: 'https://evil.example/' })).toBe(false);
    expect(check('geolocation', video)).toBe(false);
    expect(check('hid', video)).toBe(false);
    policy.setScanning(false);
    expect(check('media', video)).toBe(false);
  });
});

describe('hardenSession', () => {
  it('injects the CSP header into responses', () => {
    const fake = new FakeSession();
    hardenSession(fake, devServer, createPermissionPolicy(devServer));
    let response: HeadersReceivedResponse | undefined;
    fake.headersListener!(
      { url: 'http://localhost:5173/', responseHeaders: { 'Content-Type': ['text/html'] } },
      (value) => (response = value),
    );
    expect(response?.responseHeaders?.['Content-Security-Policy']).toEqual([
      CONTENT_SECURITY_POLICY,
    ]);
    expect(response?.cancel).toBeUndefined();
  });

  it('cancels requests for remote content', () => {
    const fake = new FakeSession();
    hardenSession(fake, appFile, createPermissionPolicy(appFile));
    const cancelled = (url: string) => {
      let cancel: boolean | undefined;
      fake.beforeRequest!({ url }, (response) => (cancel = response.cancel));
      return cancel;
    };
    expect(cancelled('https://cdn.example.com/x.js')).toBe(true);
    expect(cancelled('http://127.0.0.1:8545/')).toBe(true);
    expect(cancelled(appUrl)).toBe(false);
  });
});
