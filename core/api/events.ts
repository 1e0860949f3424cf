/**
 * The events Signet pushes to the UI, the other way from calls: sync progress,
 * the ledger nodes' state, devices plugged in or pulled out, and a treasury
 * batch's rows checked. One
 * discriminated union on `type`, each with its own payload schema. Whoever sends an event (the app API, Electron main, the
 * browser bridge) validates it against this schema first, and whoever receives
 * one (the preload, the renderer's bridge client) validates it again and drops
 * what does not match. Pure zod, no Node imports.
 */
import { z } from 'zod';
import { nodeStatusSchema } from './chain.js';

const blockSchema = z.number().int().nonnegative();
const countSchema = z.number().int().nonnegative();

/**
 * A sync's steps, in the order it takes them: broadcast the outbox, read the
 * head and follow receipts, scan the logs, read balances and notes; then done
 * or failed (which may come from any step).
 */
export const syncPhases = ['sending', 'receipts', 'logs', 'state', 'done', 'failed'] as const;
export const syncPhaseSchema = z.enum(syncPhases);
export type SyncPhase = z.infer<typeof syncPhaseSchema>;

/** Longest error line an event carries. */
export const MAX_EVENT_ERROR = 1_000;

export const syncProgressSchema = z
  .object({
    phase: syncPhaseSchema,
    /** First block of this sync's log scan; null until the scan starts (or when there is none). */
    fromBlock: blockSchema.nullable(),
    /** The head this sync goes to; null until it is read. */
    toBlock: blockSchema.nullable(),
    /** The last block scanned (fromBlock - 1 when the scan starts); null before the scan. */
    currentBlock: blockSchema.nullable(),
    /** Transactions this sync broadcast. */
    sent: countSchema,
    /** Transactions this sync saw reach their confirmations. */
    confirmed: countSchema,
    /** History events indexed so far. */
    events: countSchema,
    /** Why the sync failed, one line; only with phase 'failed'. */
    error: z.string().min(1).max(MAX_EVENT_ERROR).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if ((p.phase === 'failed') !== (p.error !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['error'],
        message: "an error goes with 'failed' only",
      });
    if (p.fromBlock === null) return;
    if (p.toBlock === null || p.currentBlock === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['toBlock'],
        message: 'a scan has an end and a position',
      });
      return;
    }
    if (p.fromBlock > p.toBlock || p.currentBlock < p.fromBlock - 1 || p.currentBlock > p.toBlock)
      ctx.addIssue({
        code: 'custom',
        path: ['currentBlock'],
        message: 'fromBlock - 1 <= currentBlock <= toBlock and fromBlock <= toBlock',
      });
  });
export type SyncProgress = z.infer<typeof syncProgressSchema>;

export const chainNodesSchema = z.object({ nodes: z.array(nodeStatusSchema).max(256) }).strict();

/**
 * A device as the hot-plug watcher sees it (core/devices/device-watch.ts): a
 * PKCS#11 token ('pkcs11-token'), or whatever other kind a device source adds.
 * `id` is stable while the device stays put; `label` is for people ('' if none).
 */
export const deviceRefSchema = z
  .object({
    id: z.string().min(1).max(4_400),
    kind: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a lowercase kind like pkcs11-token'),
    label: z.string().max(64),
  })
  .strict();
export type DeviceRef = z.infer<typeof deviceRefSchema>;

/** The kind of a Ledger's ref (core/devices/hid-device-source.ts): the UI's Ledger panel reloads on it. */
export const HID_DEVICE_KIND = 'hid-device';

/** Devices that appeared and disappeared since the last event (at least one of either). */
export const devicesChangedSchema = z
  .object({
    added: z.array(deviceRefSchema).max(256),
    removed: z.array(deviceRefSchema).max(256),
  })
  .strict()
  .refine((p) => p.added.length + p.removed.length > 0, 'a change adds or removes a device');
export type DevicesChanged = z.infer<typeof devicesChangedSchema>;

/** A treasury batch's rows checked so far (a large CSV takes a node round trip per payee). */
export const batchProgressSchema = z
  .object({ checked: countSchema, rows: z.number().int().positive() })
  .strict()
  .refine((p) => p.checked <= p.rows, 'no more rows checked than the file has');
export type BatchProgress = z.infer<typeof batchProgressSchema>;

/**
 * A provisioning batch's progress (issue 12): rows finished out of rows, and
 * what it does now for which customer. `waiting-for-token`: the customer's
 * token is not inserted (a single reader), and the batch waits for it.
 */
export const provisionProgressSteps = [
  'waiting-for-token',
  'token-initialised',
  'pin-reset',
  'key-generated',
  'registered',
  'funded',
  'mailer-written',
  'done',
  'failed',
] as const;
export type ProvisionProgressStep = (typeof provisionProgressSteps)[number];
export const provisionProgressSchema = z
  .object({
    done: countSchema,
    rows: z.number().int().positive(),
    step: z.enum(provisionProgressSteps),
    customer: z.string().min(1).max(64),
  })
  .strict()
  .refine((p) => p.done <= p.rows, 'no more rows done than the batch has');
export type ProvisionProgress = z.infer<typeof provisionProgressSchema>;

export const apiEventSchema = z.discriminatedUnion('type', [
  /** The bridge's greeting on a new event stream. */
  z
    .object({
      type: z.literal('hello'),
      payload: z.object({ server: z.string().max(64) }).strict(),
    })
    .strict(),
  z.object({ type: z.literal('sync.progress'), payload: syncProgressSchema }).strict(),
  /** The nodes' state after a sync (up, down, behind, disagreeing…). */
  z.object({ type: z.literal('ledger.nodes'), payload: chainNodesSchema }).strict(),
  /** Tokens (and other devices) plugged in or pulled out: the Devices screen reloads. */
  z.object({ type: z.literal('devices.changed'), payload: devicesChangedSchema }).strict(),
  /** `treasury.batch` checking its rows: the CLI's and the UI's progress bar. */
  z.object({ type: z.literal('treasury.batch.progress'), payload: batchProgressSchema }).strict(),
  /** `provision.batch` working through its customers: the CLI's (and later the UI's) progress bar. */
  z.object({ type: z.literal('provision.progress'), payload: provisionProgressSchema }).strict(),
]);

/** One event from the server to the UI. */
export type ApiEvent = z.infer<typeof apiEventSchema>;
export type ApiEventType = ApiEvent['type'];
