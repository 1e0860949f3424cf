/**
 * Syncing as a user would until nothing in the outbox is in flight.
 *
 * A node may answer a broadcast before it has mined it: anvil's automine mines
 * on a task of its own, so under load the sync that sent a transaction can pin
 * a head from before the transaction's block and report it sent, not yet
 * confirmed; the next sync confirms it (Hardhat mines before it answers). The
 * engine is right to say so (a real chain never confirms in the sync that
 * sends), so a test that means "sent once, then confirmed" syncs until settled
 * and asserts on the sum, and on the report of the sync that settled it.
 */
import type { WalletFixture } from './wallet-fixture.js';

/** Outbox states a later sync may still move on. */
const IN_FLIGHT = ['signed', 'sent', 'included'];

/** One `signet sync --json` report, as far as these tests read it. */
export interface SyncReport {
  sent: number;
  confirmed: number;
  failed: number;
  unconfirmed: number;
  head: number;
  nodes: Array<{ state: string; disagreement?: { method: string } }>;
  [field: string]: unknown;
}

export interface SettledSyncs {
  /** Summed over every sync it ran. */
  sent: number;
  confirmed: number;
  failed: number;
  unconfirmed: number;
  /** The sync after which nothing was in flight: the one that settled the last transaction. */
  last: SyncReport;
  /** Every report, oldest first. */
  reports: SyncReport[];
}

/**
 * Runs `signet sync` (at most `rounds` times, 100 ms apart) until no outbox row is
 * signed, sent or included; throws if it does not settle.
 */
export async function syncSettled(
  wallet: Pick<WalletFixture, 'json'>,
  rounds = 20,
): Promise<SettledSyncs> {
  const reports: SyncReport[] = [];
  for (let round = 0; round < rounds; round++) {
    reports.push(await wallet.json(['sync']));
    const outbox: Array<{ status: string }> = await wallet.json(['outbox']);
    if (!outbox.some((t) => IN_FLIGHT.includes(t.status))) {
      const sum = (field: 'sent' | 'confirmed' | 'failed' | 'unconfirmed') =>
        reports.reduce((total, report) => total + report[field], 0);
      return {
        sent: sum('sent'),
        confirmed: sum('confirmed'),
        failed: sum('failed'),
        unconfirmed: sum('unconfirmed'),
        last: reports.at(-1)!,
        reports,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the outbox did not settle in ${rounds} syncs`);
}
