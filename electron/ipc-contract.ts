/**
 * The one IPC contract between the preload and main, imported by both: three
 * channel names and the zod schemas of what crosses them. The renderer never
 * sees these names; it sees `window.signet` (see preload.ts). No Node or
 * Electron imports: the sandboxed preload bundles this file.
 */
import { z } from 'zod';
import { errorCodes } from '../core/api/errors.js';
import type { ApiReply } from '../core/api/transport.js';

/** The events' contract (a union on `type`, each with its payload's schema), checked on both sides. */
export { apiEventSchema } from '../core/api/events.js';

export const ipcChannels = {
  /** invoke: `{ method, params }` → ApiReply. */
  call: 'signet:call',
  /** main → renderer: ApiEvent. */
  event: 'signet:event',
  /** invoke: `true` | `false` → ApiReply. Turns the camera permission on for a QR scan, then off. */
  scanning: 'signet:scanning',
} as const;

/** `namespace.method` in camelCase, as in core/api/methods.ts; nothing else gets near dispatch. */
export const methodNamePattern = /^[a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)+$/;

export const callRequestSchema = z
  .object({
    method: z.string().max(64).regex(methodNamePattern, 'a method name like "accounts.list"'),
    /** Left out or undefined when a method takes none. */
    params: z.unknown().optional(),
  })
  .strict();
export type CallRequest = z.infer<typeof callRequestSchema>;

/** The one argument of `signet:scanning`: a boolean, nothing else (not "true", not 1). */
export const scanningRequestSchema = z.boolean();

const errorCodeSchema = z.enum(Object.keys(errorCodes) as [keyof typeof errorCodes]);

export const serializedErrorSchema = z
  .object({
    code: errorCodeSchema,
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const apiReplySchema: z.ZodType<ApiReply> = z.discriminatedUnion('ok', [
  // A method with nothing to return may leave `result` out; it arrives as undefined.
  z
    .object({ ok: z.literal(true), result: z.unknown().optional() })
    .strict()
    .transform((reply) => ({ ok: true as const, result: reply.result })),
  z.object({ ok: z.literal(false), error: serializedErrorSchema }).strict(),
]);
