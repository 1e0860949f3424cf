/**
 * The sandboxed preload: exposes exactly one global, `window.signet`, with three
 * functions (call, onEvent, setScanning). The renderer never gets `ipcRenderer`, a channel name or an event
 * object. Replies and events are validated here too, so a bad message from main
 * becomes an INTERNAL error reply instead of an odd object in the UI.
 *
 * Bundled to one CommonJS file (sandboxed preloads cannot load modules).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createSignetBridge } from './preload-bridge.js';

contextBridge.exposeInMainWorld('signet', createSignetBridge(ipcRenderer));
