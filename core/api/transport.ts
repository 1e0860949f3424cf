/**
 * How a call crosses a process boundary (Electron IPC, the loopback browser
 * bridge): a method name and raw params in, a result or a serialised error out.
 * Both sides validate with the same zod schemas. No Node imports.
 */
import type { SerializedError } from './errors.js';

export type ApiReply<T = unknown> = { ok: true; result: T } | { ok: false; error: SerializedError };

/** What the main process (or the bridge server) offers: every boundary calls only this. */
export type ApiDispatch = (method: string, params: unknown) => Promise<ApiReply>;

/** Events pushed to the UI (sync progress, node status): see events.ts; validated like replies. */
export type { ApiEvent } from './events.js';
