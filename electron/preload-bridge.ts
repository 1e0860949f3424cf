/**
 * What `window.signet` is, built from the few `ipcRenderer` members it needs so
 * it can be tested without Electron. The preload passes the real ipcRenderer.
 */
import type { ApiEvent, ApiReply } from '../core/api/transport.js';
import { apiEventSchema, apiReplySchema, ipcChannels } from './ipc-contract.js';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** The renderer's whole view of the main process. */
export interface SignetBridge {
  /** Never rejects: failures are `{ ok: false, error }`. */
  call(method: string, params?: unknown): Promise<ApiReply>;
  /** Returns the function that stops listening. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /**
   * Allows the camera (`true`, just before a QR scan opens it) or stops
   * allowing it (`false`, when the scan ends). Never rejects.
   */
  setScanning(active: boolean): Promise<ApiReply>;
}

function internal(message: string): ApiReply {
  return { ok: false, error: { code: 'INTERNAL', message } };
}

export function createSignetBridge(ipcRenderer: IpcRendererLike): SignetBridge {
  return {
    async call(method, params) {
      let raw: unknown;
      try {
        raw = await ipcRenderer.invoke(ipcChannels.call, { method, params });
      } catch (error) {
        // Params that cannot be cloned (functions, DOM nodes) fail here.
        const message = error instanceof Error ? error.message : String(error);
        return {
          ok: false,
          error: { code: 'INVALID_ARGUMENT', message: `call not sent: ${message}` },
        };
      }
      const reply = apiReplySchema.safeParse(raw);
      return reply.success ? reply.data : internal('malformed reply from the main process');
    },
    async setScanning(active) {
      if (typeof active !== 'boolean') return internal('setScanning takes true or false');
      try {
        const reply = apiReplySchema.safeParse(
          await ipcRenderer.invoke(ipcChannels.scanning, active),
        );
        return reply.success ? reply.data : internal('malformed reply from the main process');
      } catch (error) {
        return internal(error instanceof Error ? error.message : String(error));
      }
    },
    onEvent(listener) {
      const forward = (_event: unknown, ...args: unknown[]) => {
        const parsed = apiEventSchema.safeParse(args[0]);
        if (parsed.success) listener(parsed.data);
      };
      ipcRenderer.on(ipcChannels.event, forward);
      return () => {
        ipcRenderer.removeListener(ipcChannels.event, forward);
      };
    },
  };
}
