/**
 * electron-api.d.ts — a minimal LOCAL declaration of exactly the Electron APIs
 * that electron/main.ts and electron/preload.ts use, copied (narrowed) from
 * Electron 41's electron.d.ts.
 *
 * Why it exists: Electron's npm package downloads its binary in a postinstall
 * that cannot reach its host on this project's machines, and npm then drops
 * the whole optional package, types included. This file lets the shell
 * typecheck without the package. Everything else in electron/ takes structural
 * types and never imports 'electron'.
 *
 * If `electron` ever installs with its types,
 * delete this file: the real electron.d.ts is a superset of it.
 */
declare module 'electron' {
  // ---- main process --------------------------------------------------------

  interface WebFrameMain {
    readonly url: string;
    readonly parent: WebFrameMain | null;
    readonly processId: number;
    readonly routingId: number;
  }

  interface IpcMainInvokeEvent {
    readonly senderFrame: WebFrameMain | null;
  }

  interface IpcMain {
    handle(
      channel: string,
      listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown,
    ): void;
    removeHandler(channel: string): void;
  }

  interface Event {
    preventDefault(): void;
  }

  interface HandlerDetails {
    url: string;
  }

  type WindowOpenHandlerResponse = { action: 'deny' } | { action: 'allow' };

  interface WebContents {
    readonly mainFrame: WebFrameMain;
    isDestroyed(): boolean;
    send(channel: string, ...args: unknown[]): void;
    on(event: 'will-navigate', listener: (event: Event, url: string) => void): this;
    on(event: 'will-redirect', listener: (event: Event, url: string) => void): this;
    on(event: 'will-attach-webview', listener: (event: Event) => void): this;
    setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void;
  }

  interface PermissionRequestHandlerHandlerDetails {
    requestingUrl?: string;
    mediaTypes?: Array<'video' | 'audio'>;
  }

  interface PermissionCheckHandlerHandlerDetails {
    requestingUrl?: string;
    mediaType?: 'video' | 'audio' | 'unknown';
  }

  interface OnHeadersReceivedListenerDetails {
    url: string;
    responseHeaders?: Record<string, string[]>;
  }

  interface HeadersReceivedResponse {
    cancel?: boolean;
    responseHeaders?: Record<string, string[] | string>;
  }

  interface OnBeforeRequestListenerDetails {
    url: string;
  }

  interface CallbackResponse {
    cancel?: boolean;
  }

  interface WebRequest {
    onHeadersReceived(
      listener:
        | ((
            details: OnHeadersReceivedListenerDetails,
            callback: (headersReceivedResponse: HeadersReceivedResponse) => void,
          ) => void)
        | null,
    ): void;
    onBeforeRequest(
      listener:
        | ((
            details: OnBeforeRequestListenerDetails,
            callback: (response: CallbackResponse) => void,
          ) => void)
        | null,
    ): void;
  }

  class Session {
    static readonly defaultSession: Session;
    readonly webRequest: WebRequest;
    setPermissionRequestHandler(
      handler:
        | ((
            webContents: WebContents,
            permission: string,
            callback: (permissionGranted: boolean) => void,
            details: PermissionRequestHandlerHandlerDetails,
          ) => void)
        | null,
    ): void;
    setPermissionCheckHandler(
      handler:
        | ((
            webContents: WebContents | null,
            permission: string,
            requestingOrigin: string,
            details: PermissionCheckHandlerHandlerDetails,
          ) => boolean)
        | null,
    ): void;
  }

  interface WebPreferences {
    preload?: string;
    contextIsolation?: boolean;
    sandbox?: boolean;
    nodeIntegration?: boolean;
    nodeIntegrationInWorker?: boolean;
    nodeIntegrationInSubFrames?: boolean;
    webSecurity?: boolean;
    allowRunningInsecureContent?: boolean;
    webviewTag?: boolean;
    experimentalFeatures?: boolean;
    navigateOnDragDrop?: boolean;
    safeDialogs?: boolean;
    spellcheck?: boolean;
  }

  interface BrowserWindowConstructorOptions {
    width?: number;
    height?: number;
    minWidth?: number;
    minHeight?: number;
    show?: boolean;
    title?: string;
    backgroundColor?: string;
    autoHideMenuBar?: boolean;
    webPreferences?: WebPreferences;
  }

  class BrowserWindow {
    constructor(options?: BrowserWindowConstructorOptions);
    static getAllWindows(): BrowserWindow[];
    readonly webContents: WebContents;
    loadFile(filePath: string): Promise<void>;
    loadURL(url: string): Promise<void>;
    show(): void;
    focus(): void;
    restore(): void;
    isMinimized(): boolean;
    isDestroyed(): boolean;
    once(event: 'ready-to-show', listener: () => void): this;
    on(event: 'closed', listener: () => void): this;
  }

  interface App {
    readonly isPackaged: boolean;
    enableSandbox(): void;
    requestSingleInstanceLock(): boolean;
    quit(): void;
    whenReady(): Promise<void>;
    getPath(name: 'userData'): string;
    getAppPath(): string;
    on(event: 'second-instance', listener: () => void): this;
    on(event: 'window-all-closed', listener: () => void): this;
    on(event: 'activate', listener: () => void): this;
    on(event: 'will-quit', listener: () => void): this;
    on(
      event: 'web-contents-created',
      listener: (event: Event, webContents: WebContents) => void,
    ): this;
  }

  const app: App;
  const ipcMain: IpcMain;
  const session: typeof Session;

  // ---- preload -------------------------------------------------------------

  interface IpcRendererEvent {
    readonly senderId: number;
  }

  interface IpcRenderer {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): this;
    removeListener(
      channel: string,
      listener: (event: IpcRendererEvent, ...args: unknown[]) => void,
    ): this;
  }

  interface ContextBridge {
    exposeInMainWorld(apiKey: string, api: unknown): void;
  }

  const contextBridge: ContextBridge;
  const ipcRenderer: IpcRenderer;
}
