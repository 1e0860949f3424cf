/**
 * `provision.batch` (issue 12 §2): checks the CSV, then runs the resumable
 * batch (core/provisioning/batch.ts) with the operator bank's key for the
 * ledger steps, progress out as `provision.progress` events.
 */
import { createHash } from 'node:crypto';
import { admitModule } from '../../native/pkcs11/token-access.js';
import { parsePkcs11Uri } from '../../native/pkcs11/uri.js';
import { SignetError } from '../api/errors.js';
import { runProvisionBatch } from '../provisioning/batch.js';
import { parseProvisionCsv } from '../provisioning/batch-csv.js';
import { outboxChainSteps } from '../provisioning/chain-steps.js';
import type { AppContext } from './app-context.js';
import type { Handlers } from './dispatcher.js';
import type { SyncDriver } from './sync-driver.js';

export function provisionHandlers(
  context: AppContext,
  sync: SyncDriver,
): Pick<Handlers, 'provision.batch'> {
  return {
    'provision.batch': async (request, caller) => {
      const started = performance.now();
      const { rows, problems } = parseProvisionCsv(request.csv);
      const modulePath = request.module ?? parsePkcs11Uri(request.operator).modulePath;
      if (!modulePath) {
        throw new SignetError(
          'INVALID_ARGUMENT',
          "name the customers' tokens' module: --module PATH, or module-path= in the operator key's URI",
        );
      }
      const profile = context.profile();
      const chain = await outboxChainSteps(context, sync, profile, caller, request.operator);
      const batchId =
        request.batchId ?? createHash('sha256').update(request.csv).digest('hex').slice(0, 32);
      const reports = await runProvisionBatch({
        store: context.store(),
        batchId,
        modulePath: admitModule(modulePath, context.search(caller)),
        rows,
        problems,
        soPins: caller.pins,
        mailerDir: request.mailers,
        chain,
        waitMs: request.waitMs,
        progress: (payload) => context.emit({ type: 'provision.progress', payload }),
        killAt: context.env.SIGNET_FAKE_PROVISION_KILL_AT,
      });
      const count = (status: string) => reports.filter((r) => r.status === status).length;
      return {
        batchId,
        rows: reports,
        provisioned: count('provisioned'),
        failed: count('failed'),
        refused: count('refused'),
        seconds: (performance.now() - started) / 1000,
      };
    },
  };
}
