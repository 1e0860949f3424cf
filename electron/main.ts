/**
 * Signet's Electron main process: one instance, one window, one API seam.
 *
 * The window loads the built renderer (renderer/dist/index.html), or in an
 * unpackaged run the loopback dev server named by SIGNET_DEV_SERVER_URL. Every
 * call from it goes through registerApi (sender frame checked, payload
 * validated) to core/app/app-api.ts's dispatch. Data lives in SIGNET_HOME,
 * else in Electron's userData folder.
 *
 * Bundled to dist/electron/main.js (ESM); the preload to dist/electron/preload.cjs.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, session, type WebContents } from 'electron';
import type { ApiDispatch, ApiEvent } from '../core/api/transport.js';
import { createAppApi } from '../core/app/app-api.js';
import { makePrivateDir } from '../core/config/private-files.js';
import { type AppLocation, devLocation, fileLocation } from './app-location.js';
import {
  createEventSender,
  createTrustedSenderCheck,
  registerApi,
  registerScanning,
} from './ipc.js';
import {
  createPermissionPolicy,
  hardenSession,
  hardenWebContents,
  secureWebPreferences,
} from './security.js';

/** What main needs from the API; createAppApi satisfies it. */
export interface DesktopApi {
  dispatch: ApiDispatch;
  /** Pushes tokens plugged in or pulled out to the window (devices.changed). */
  watchDevices?(): Promise<void>;
  close(): void;
}
/**
 * `onEvent`: where the API sends sync progress and the like (to the window,
 * validated again); `onInternalError`: what the page is told only as "internal
 * error", for the log.
 */
export type DesktopApiFactory = (options: {
  home: string;
  env: NodeJS.ProcessEnv;
  onEvent: (event: ApiEvent) => void;
  onInternalError: (method: string, error: unknown) => void;
}) => DesktopApi;

export function appHome(env: NodeJS.ProcessEnv, userData: () => string): string {
  const home = env.SIGNET_HOME?.trim();
  return home ? home : userData();
}

function rendererLocation(): AppLocation {
  const devServer = process.env.SIGNET_DEV_SERVER_URL;
  if (devServer && !app.isPackaged) return devLocation(devServer);
  return fileLocation(join(app.getAppPath(), 'renderer', 'dist', 'index.html'));
}

export function startDesktop(createApi: DesktopApiFactory): void {
  // Sandbox every renderer, whatever a window's options say.
  app.enableSandbox();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  const location = rendererLocation();
  const permissions = createPermissionPolicy(location);
  let window: BrowserWindow | undefined;
  let api: DesktopApi | undefined;
  let unregister: (() => void) | undefined;
  let unregisterScanning: (() => void) | undefined;

  // Every webContents (the window, devtools, anything created later) gets the guards.
  app.on('web-contents-created', (_event, contents: WebContents) => {
    hardenWebContents(contents, location);
  });

  const createWindow = () => {
    const created = new BrowserWindow({
      title: 'Signet',
      width: 1200,
      height: 800,
      minWidth: 800,
      minHeight: 560,
      show: false,
      autoHideMenuBar: true,
      webPreferences: secureWebPreferences(
        join(app.getAppPath(), 'dist', 'electron', 'preload.cjs'),
      ),
    });
    created.once('ready-to-show', () => created.show());
    created.on('closed', () => {
      if (window === created) window = undefined;
      // A scan cannot outlive its window: the next window starts without the camera.
      permissions.setScanning(false);
    });
    window = created;
    if (location.kind === 'dev') void created.loadURL(location.origin);
    else void created.loadFile(fileURLToPath(location.indexUrl));
  };

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('activate', () => {
    if (!window) createWindow();
  });
  app.on('will-quit', () => {
    unregister?.();
    unregisterScanning?.();
    api?.close();
  });

  void app.whenReady().then(() => {
    hardenSession(session.defaultSession, location, permissions);
    const home = appHome(process.env, () => app.getPath('userData'));
    makePrivateDir(home);
    // Events reach the window only while there is one; each is validated on the way out.
    const send = createEventSender(() =>
      window && !window.isDestroyed() ? window.webContents : undefined,
    );
    api = createApi({
      home,
      env: process.env,
      onEvent: send,
      onInternalError: (method, error) =>
        console.error(`signet: internal error in ${method}:`, error),
    });
    const mainFrame = () =>
      window && !window.isDestroyed() ? window.webContents.mainFrame : undefined;
    api
      .watchDevices?.()
      .catch((error: unknown) => console.error('signet: the device watch did not start:', error));
    const isTrustedSender = createTrustedSenderCheck(location, mainFrame);
    unregister = registerApi(ipcMain, api.dispatch, { isTrustedSender });
    // The camera exception: on only while the window's QR scanner is open.
    unregisterScanning = registerScanning(ipcMain, permissions, { isTrustedSender });
    createWindow();
  });
}

startDesktop(createAppApi);
