/**
 * Main's side of the IPC seam. `registerApi` is the only place that calls
 * `ipcMain.handle`: every call first proves it comes from the app's own main
 * frame, then its payload is validated here in main (not only in the preload),
 * and only then does it reach `dispatch`. Events go the other way on one channel.
 *
 * Electron is not imported: the members used are typed structurally below.
 */
import { SignetError } from '../core/api/errors.js';
import type { ApiDispatch, ApiEvent, ApiReply } from '../core/api/transport.js';
import { type AppLocation, isAppPageUrl } from './app-location.js';
import {
  apiEventSchema,
  callRequestSchema,
  ipcChannels,
  scanningRequestSchema,
} from './ipc-contract.js';

/** What Electron's `WebFrameMain` offers that the sender check reads. */
export interface SenderFrame {
  readonly url: string;
  readonly parent: SenderFrame | null;
  readonly processId: number;
  readonly routingId: number;
}

export interface InvokeEvent {
  /** Null when the frame has navigated away or been destroyed since it sent. */
  readonly senderFrame: SenderFrame | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface RegisterApiOptions {
  isTrustedSender(frame: SenderFrame | null): boolean;
}

function refuse(error: SignetError): ApiReply {
  return { ok: false, error: error.toJSON() };
}

const untrustedSender = () =>
  refuse(
    new SignetError('INTERNAL', 'call refused: it does not come from the Signet window', {
      details: { reason: 'untrusted-sender' },
    }),
  );

/**
 * Registers `signet:call`. Returns the function that unregisters it (on quit).
 * The handler never throws: every outcome is an ApiReply.
 */
export function registerApi(
  ipcMain: IpcMainLike,
  dispatch: ApiDispatch,
  options: RegisterApiOptions,
): () => void {
  ipcMain.handle(ipcChannels.call, async (event, ...args): Promise<ApiReply> => {
    if (!options.isTrustedSender(event.senderFrame)) return untrustedSender();
    const parsed = args.length === 1 ? callRequestSchema.safeParse(args[0]) : undefined;
    if (!parsed?.success) {
      const issues = parsed?.error.issues.map((issue) => ({
        path: issue.path.join('.'),
        message: issue.message,
      })) ?? [{ path: '', message: 'expected exactly one { method, params } argument' }];
      return refuse(
        new SignetError('INVALID_ARGUMENT', 'malformed call: expected { method, params }', {
          details: { issues },
        }),
      );
    }
    try {
      return await dispatch(parsed.data.method, parsed.data.params);
    } catch (error) {
      // A SignetError is written for people; anything else is a bug whose text
      // (paths, internals) the page must not see.
      return refuse(
        error instanceof SignetError ? error : new SignetError('INTERNAL', 'internal error'),
      );
    }
  });
  return () => ipcMain.removeHandler(ipcChannels.call);
}

/** What `signet:scanning` switches: security.ts's PermissionPolicy satisfies it. */
export interface ScanningSwitch {
  setScanning(active: boolean): void;
}

/**
 * Registers `signet:scanning`: the app's window turns the camera permission on
 * just before it opens the camera for a QR scan, and off when the scan ends.
 * Same sender check as `signet:call`; the one argument must be a boolean.
 * Returns the function that unregisters it. Never throws: every outcome is an ApiReply.
 */
export function registerScanning(
  ipcMain: IpcMainLike,
  permissions: ScanningSwitch,
  options: RegisterApiOptions,
): () => void {
  ipcMain.handle(ipcChannels.scanning, (event, ...args): ApiReply => {
    if (!options.isTrustedSender(event.senderFrame)) return untrustedSender();
    const parsed = args.length === 1 ? scanningRequestSchema.safeParse(args[0]) : undefined;
    if (!parsed?.success) {
      return refuse(
        new SignetError('INVALID_ARGUMENT', 'malformed scanning switch: expected true or false'),
      );
    }
    permissions.setScanning(parsed.data);
    return { ok: true, result: parsed.data };
  });
  return () => ipcMain.removeHandler(ipcChannels.scanning);
}

/**
 * The sender check for the one app window: the frame is still alive, is that
 * window's main frame (not an iframe, not another window), and shows the app's
 * own page.
 */
export function createTrustedSenderCheck(
  location: AppLocation,
  windowMainFrame: () => SenderFrame | undefined,
): (frame: SenderFrame | null) => boolean {
  return (frame) => {
    if (!frame || frame.parent !== null) return false;
    const main = windowMainFrame();
    if (!main || main.processId !== frame.processId || main.routingId !== frame.routingId) {
      return false;
    }
    return isAppPageUrl(frame.url, location);
  };
}

export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

/**
 * Sends ApiEvents to the window on `signet:event`; drops them when there is no
 * window (closed, not yet created) or when an event is not well formed.
 */
export function createEventSender(
  target: () => EventTarget | undefined,
): (event: ApiEvent) => void {
  return (event) => {
    const contents = target();
    if (!contents || contents.isDestroyed()) return;
    const parsed = apiEventSchema.safeParse(event);
    if (parsed.success) contents.send(ipcChannels.event, parsed.data);
  };
}
