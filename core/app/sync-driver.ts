/**
 * The one way Signet syncs, for the UI and the CLI alike: one sync per app at a
 * time (a second caller shares the one running), one process per data folder
 * at a time (the `sync` process lock: never two processes broadcasting or
 * indexing at once; the other waits, then says who holds it), progress out as
 * sync.progress events and the nodes' state after it as ledger.nodes.
 */
import { type ErrorCode, SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { listOutbox, type OutboxTx } from '../store/outbox.js';
import { withProcessLock } from '../store/process-lock.js';
import { SyncEngine, type SyncReport } from '../sync/sync-engine.js';
import type { AppContext } from './app-context.js';
import { outboxRow } from './views.js';

/** How long a sync waits for another process's before saying who holds it. */
export const SYNC_WAIT_MS = 15_000;

export type SyncAfterSigning = SyncReport | { error: string; code: ErrorCode } | null;

export class SyncDriver {
  #running: Promise<SyncReport> | undefined;

  constructor(
    private readonly context: AppContext,
    private readonly waitMs = SYNC_WAIT_MS,
  ) {}

  /**
   * Every sync through here is one a user asked for (Sync, sending, the
   * command), so nodes in a back-off are tried now.
   */
  syncOnce(profile: ChainProfile): Promise<SyncReport> {
    if (!this.#running) {
      const context = this.context;
      const nodes = context.rpc(profile);
      this.#running = withProcessLock(
        context.store(),
        'sync',
        { purpose: context.purpose, waitMs: this.waitMs },
        () => {
          nodes.retryNow();
          return new SyncEngine(context.store(), nodes, profile, (progress) =>
            context.emit({ type: 'sync.progress', payload: progress }),
          ).syncOnce();
        },
      ).finally(() => {
        this.#running = undefined;
        context.emit({ type: 'ledger.nodes', payload: { nodes: nodes.status() } });
      });
    }
    return this.#running;
  }

  /**
   * Sign-then-sync: tries to send what was just signed (unless offline); a
   * failed sync leaves it queued and says why. Returns the transactions as
   * they stand afterwards.
   */
  async afterSigning(profile: ChainProfile, queued: OutboxTx[], offline?: boolean) {
    let sync: SyncAfterSigning = null;
    if (!offline) {
      try {
        sync = await this.syncOnce(profile);
      } catch (error) {
        sync =
          error instanceof SignetError
            ? { error: error.message, code: error.code }
            : { error: 'the sync failed (internal error)', code: 'INTERNAL' };
        if (!(error instanceof SignetError)) this.context.internalError('sync', error);
      }
    }
    const now = new Map(
      listOutbox(this.context.store(), profile.chainId).map((t) => [t.txHash, t]),
    );
    return { transactions: queued.map((t) => outboxRow(now.get(t.txHash) ?? t)), sync };
  }
}
