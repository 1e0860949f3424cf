/**
 * `provision.batch` (issue 12 §2): checks the CSV, then runs the resumable
 * batch (core/provisioning/batch.ts) with the operator bank's key for the
 * ledger steps, progress out as `provision.progress` events.
 */
import { createHash } from 'node:crypto';
import type { PinProvider, PinRole } from '../../native/pin.js';
import { admitModule } from '../../native/pkcs11/token-access.js';
import { parsePkcs11Uri } from '../../native/pkcs11/uri.js';
import { SignetError } from '../api/errors.js';
import type { AppResult } from '../api/methods.js';
import { parseAddress } from '../chain/address.js';
import { normaliseCustomerRef } from '../customers/customer-ref.js';
import { pinnedBlock, readStanding, registeredCustomerRef } from '../customers/registry.js';
import { runProvisionBatch } from '../provisioning/batch.js';
import { parseProvisionCsv } from '../provisioning/batch-csv.js';
import { outboxChainSteps } from '../provisioning/chain-steps.js';
import { replaceLostToken, resetPinAtCounter } from '../provisioning/counter.js';
import type { AppContext } from './app-context.js';
import type { Caller, Handlers } from './dispatcher.js';
import type { SyncDriver } from './sync-driver.js';

export function provisionHandlers(
  context: AppContext,
  sync: SyncDriver,
): Pick<Handlers, 'provision.batch' | 'provision.replace' | 'provision.unblock'> {
  /** The customers' tokens' module: named, or the operator key's (or token URI's) module-path. */
  const moduleOf = (caller: Caller, ...candidates: (string | undefined)[]) => {
    const path = candidates.find((c) => c !== undefined);
    if (!path) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        "name the customers' tokens' module: --module PATH, or module-path= in a pkcs11: URI",
      );
    }
    return admitModule(path, context.search(caller));
  };
  const uriModule = (text: string) =>
    text.startsWith('pkcs11:') ? parsePkcs11Uri(text).modulePath : undefined;
  return {
    'provision.replace': async (request, caller) => {
      const customerRef = normaliseCustomerRef(request.customer);
      const lost = parseAddress(request.lost, 'lost');
      const modulePath = moduleOf(
        caller,
        request.module,
        uriModule(request.token),
        parsePkcs11Uri(request.operator).modulePath,
      );
      const profile = context.profile();
      const pins = oncePerRole(caller.pins);
      try {
        // Asked in this order (--pin-stdin: one line each): the operator's, then the SO PIN.
        (await pins.provider({ role: 'user', token: 'the operator key' })).fill(0);
        const so = await pins.provider({ role: 'so', token: "the customer's new token" });
        const soPin = so.toString('utf8');
        so.fill(0);
        const steps = await outboxChainSteps(
          context,
          sync,
          profile,
          { ...caller, pins: pins.provider },
          request.operator,
        );
        const rpc = context.rpc(profile);
        const operationId =
          request.operationId ??
          createHash('sha256')
            .update(`${customerRef}\n${lost.toLowerCase()}`)
            .digest('hex')
            .slice(0, 32);
        return await replaceLostToken({
          store: context.store(),
          profile,
          operationId,
          modulePath,
          customerRef,
          name: request.name ?? customerRef,
          language: request.language,
          lost,
          token: request.token,
          soPin,
          mailerDir: request.mailers,
          chain: {
            ...steps,
            standing: async (account) =>
              readStanding(rpc, profile, account, await pinnedBlock(rpc)),
            registeredRef: async (account) =>
              registeredCustomerRef(rpc, profile, account, await pinnedBlock(rpc)),
          },
          killAt: context.env.SIGNET_FAKE_PROVISION_KILL_AT,
        });
      } finally {
        pins.wipe();
      }
    },
    'provision.unblock': async (request, caller) => {
      const customerRef = normaliseCustomerRef(request.customer);
      const modulePath = moduleOf(caller, request.module, uriModule(request.token));
      const so = await caller.pins({ role: 'so', token: `customer ${customerRef}'s token` });
      try {
        return await resetPinAtCounter({
          store: context.store(),
          modulePath,
          token: request.token,
          customerRef,
          name: request.name ?? customerRef,
          language: request.language,
          soPin: so.toString('utf8'),
          mailerDir: request.mailers,
        });
      } finally {
        so.fill(0);
      }
    },
    'provision.batch': async (request, caller) => {
      const modulePath = request.module ?? parsePkcs11Uri(request.operator).modulePath;
      if (!modulePath) {
        throw new SignetError(
          'INVALID_ARGUMENT',
          "name the customers' tokens' module: --module PATH, or module-path= in the operator key's URI",
        );
      }
      const batchId = request.batchId ?? csvBatchId(request.csv);
      return runBatch(context, sync, caller, {
        ...request,
        batchId,
        modulePath: admitModule(modulePath, context.search(caller)),
        parsed: parseProvisionCsv(request.csv),
      });
    },
  };
}

/** A batch's default name: the CSV's SHA-256 (the same file resumes the same journal). */
export function csvBatchId(csv: string): string {
  return createHash('sha256').update(csv).digest('hex').slice(0, 32);
}

export interface BatchRun {
  operator: string;
  /** Admitted already (the caller's module policy). */
  modulePath: string;
  mailers: string;
  batchId: string;
  waitMs: number;
  parsed: ReturnType<typeof parseProvisionCsv>;
}

/**
 * The one batch run, the CLI's `provision.batch` and the UI's `provision.start`
 * alike: the operator's key for the ledger steps, progress out as
 * `provision.progress` events, the report per row.
 */
export async function runBatch(
  context: AppContext,
  sync: SyncDriver,
  caller: Caller,
  run: BatchRun,
): Promise<AppResult<'provision.batch'>> {
  // One batch at a time per app: a second start (a double click, or a page calling
  // twice) would race the first over the same tokens and journal rows.
  const running = runningBatches.get(context);
  if (running !== undefined) {
    throw new SignetError(
      'DEVICE_BUSY',
      `batch ${running} is still running; wait for it to end, then run this one (a re-run resumes it)`,
    );
  }
  runningBatches.set(context, run.batchId);
  try {
    return await runBatchAlone(context, sync, caller, run);
  } finally {
    runningBatches.delete(context);
  }
}

/** The batch each app context is running now, if any. */
const runningBatches = new WeakMap<AppContext, string>();

async function runBatchAlone(
  context: AppContext,
  sync: SyncDriver,
  caller: Caller,
  run: BatchRun,
): Promise<AppResult<'provision.batch'>> {
  const started = performance.now();
  const { rows, problems } = run.parsed;
  const profile = context.profile();
  // The operator's PIN signs every row's transactions and the SO PIN opens every
  // token: each is asked once (a prompt, a file or a line of stdin) and kept in
  // this call's memory only, wiped when the batch ends.
  const pins = oncePerRole(caller.pins);
  const batchCaller: Caller = { ...caller, pins: pins.provider };
  try {
    // Asked in this order whatever the run finds (--pin-stdin: one line each).
    (await pins.provider({ role: 'user', token: 'the operator key' })).fill(0);
    (await pins.provider({ role: 'so', token: "the customers' tokens" })).fill(0);
    const chain = await outboxChainSteps(context, sync, profile, batchCaller, run.operator);
    const reports = await runProvisionBatch({
      store: context.store(),
      batchId: run.batchId,
      modulePath: run.modulePath,
      rows,
      problems,
      soPins: pins.provider,
      mailerDir: run.mailers,
      chain,
      waitMs: run.waitMs,
      progress: (payload) => context.emit({ type: 'provision.progress', payload }),
      killAt: context.env.SIGNET_FAKE_PROVISION_KILL_AT,
    });
    const count = (status: string) => reports.filter((r) => r.status === status).length;
    return {
      batchId: run.batchId,
      rows: reports,
      provisioned: count('provisioned'),
      failed: count('failed'),
      refused: count('refused'),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    pins.wipe();
  }
}

/** Asks `pins` once per role; later asks get a copy (each caller wipes its own). */
function oncePerRole(pins: PinProvider): { provider: PinProvider; wipe(): void } {
  const kept = new Map<PinRole, Promise<Buffer>>();
  return {
    provider: async (ask) => {
      let pin = kept.get(ask.role);
      if (!pin) {
        pin = pins(ask);
        kept.set(ask.role, pin);
        pin.catch(() => kept.delete(ask.role));
      }
      return Buffer.from(await pin);
    },
    wipe() {
      for (const pin of kept.values())
        pin.then(
          (b) => b.fill(0),
          () => {},
        );
      kept.clear();
    },
  };
}
