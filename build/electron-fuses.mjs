/**
 * Electron's fuses in packaged builds: the one list. The afterPack hook
 * (build/flip-fuses.mjs) writes it into the packaged binary and
 * test/electron-packaging.test.ts checks it. Keys are @electron/fuses'
 * FuseV1Options names; true turns a fuse on. Plain JavaScript: electron-builder
 * loads the hook, and this file with it, without a TypeScript loader.
 */
export const electronFuses = Object.freeze({
  // ELECTRON_RUN_AS_NODE would turn the app's binary into a plain Node that runs any script.
  RunAsNode: false,
  // Cookies and local storage on disk are encrypted with the OS keystore's key.
  EnableCookieEncryption: true,
  // NODE_OPTIONS could preload any code into the main process.
  EnableNodeOptionsEnvironmentVariable: false,
  // --inspect and --inspect-brk would open a debugger on the main process.
  EnableNodeCliInspectArguments: false,
  // app.asar must match the hash electron-builder embeds (checked on macOS and Windows).
  EnableEmbeddedAsarIntegrityValidation: true,
  // The app loads only from app.asar, never from a loose app/ folder beside it.
  OnlyLoadAppFromAsar: true,
  // One V8 snapshot for every process, as Electron ships it.
  LoadBrowserProcessSpecificV8Snapshot: false,
  // Stays ON while the window loads renderer/dist/index.html from file:// inside
  // app.asar: with it off, Electron drops its asar-aware file:// loader and
  // file-from-file access, so the page and its module scripts would not load.
  // What it would guard against (a page reading other files) is closed by the
  // session: every file:// request outside renderer/dist is cancelled
  // (electron/security.ts, hardenSession). Turning it off means serving the UI
  // from a custom protocol first.
  GrantFileProtocolExtraPrivileges: true,
});
