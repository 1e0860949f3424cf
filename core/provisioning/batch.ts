/**
 * A branch's batch of customers' tokens (issue 12 §2), resumable. Per customer:
 *
 *   token-initialised ─► key-generated ─► registered ─► funded ─► mailer-written
 *
 * Every step is written to the journal (core/store/provisioning-journal.ts) as
 * an intent BEFORE its side effect and as done AFTER it (a step's done mark,
 * its audit entry and the next step's intent in one store transaction: fewer
 * synchronous commits, the same order). A run killed anywhere
 * is simply run again with the same CSV: each open intent is settled by asking
 * the world, never by doing it again blindly:
 *  - init: a token carrying this customer's label (the batch wrote the intent)
 *    is not initialised again; one holding any key is never erased;
 *  - key: the token's own key list (a key with our label is used, not remade);
 *  - register / fund: the outbox (a live transaction for that address) and the
 *    chain (registered; a Transfer from the operator to it);
 *  - mailer: a file with the final name is whole (written then renamed) and
 *    holds the token's current PIN.
 *
 * A PIN is never stored, logged, reported or audited: it lives in this process
 * from the moment it is drawn to the moment its mailer is written. So if a run
 * dies after a token's PIN was set but before its mailer exists, that PIN is
 * gone with the run, and the resume sets a FRESH user PIN with the bank's SO
 * PIN (C_InitPIN after an SO login) and writes that one. Nobody can have read
 * the old PIN, since no mailer carried it.
 */
import { mkdirSync } from 'node:fs';
import type { Address } from 'viem';
import type { PinProvider } from '../../native/pin.js';
import { holdsPublicKeys } from '../../native/pkcs11/public-objects.js';
import { type TokenDescription, tokenUri } from '../../native/pkcs11/tokens.js';
import { formatPkcs11Uri } from '../../native/pkcs11/uri.js';
import { SignetError } from '../api/errors.js';
import type { ProvisionProgressStep } from '../api/events.js';
import { formatAmount } from '../chain/amount.js';
import { appendAudit } from '../store/audit-log.js';
import type { Store } from '../store/database.js';
import {
  getJournalRow,
  type JournalRow,
  openJournalRow,
  otherClaims,
  type ProvisionStep,
  provisionSteps,
  recordDone,
  recordIntent,
  recordPinReset,
  rewindJournalRow,
} from '../store/provisioning-journal.js';
import type { ProvisionRow, RowProblem } from './batch-csv.js';
import { tokenRefText } from './batch-csv.js';
import { BatchTokens } from './batch-tokens.js';
import type { CustomerChainSteps, StepDone } from './chain-steps.js';
import { mailerExists, mailerPath, writePinMailer } from './pin-mailer.js';
import {
  customerKey,
  initCustomerToken,
  keyAddress,
  randomPin,
  resetUserPin,
  withConnection,
} from './token-steps.js';

export { CUSTOMER_KEY_LABEL, randomPin } from './token-steps.js';

/** How often a missing token is looked for (SoftHSM2 and most readers have no slot events here). */
const LOOK_EVERY_MS = 500;

export interface BatchOptions {
  store: Store;
  batchId: string;
  modulePath: string;
  rows: ProvisionRow[];
  problems: RowProblem[];
  /** The bank's SO PIN: the tokens' current one (re-initialising needs it) and their new one. */
  soPins: PinProvider;
  mailerDir: string;
  chain: CustomerChainSteps;
  /** How long to wait for a token not inserted (single reader). */
  waitMs: number;
  progress: (p: {
    done: number;
    rows: number;
    step: ProvisionProgressStep;
    customer: string;
  }) => void;
  /** FAKE, test only (SIGNET_FAKE_PROVISION_KILL_AT=CUSTOMER:STEP): SIGKILL itself once that step is recorded. */
  killAt?: string | undefined;
}

export type RowStatus = 'provisioned' | 'failed' | 'refused';

export interface RowReport {
  line: number;
  customer: string;
  status: RowStatus;
  /** What happened, in words (never a PIN). */
  outcome: string;
  /** A stable word for why it failed or was refused; null when provisioned. */
  reason: string | null;
  tokenSerial: string | null;
  address: string | null;
  amount: string;
  registerTx: string | null;
  fundTx: string | null;
  mailer: string | null;
  /** Seconds this run spent on the row, by phase (figures for the benchmark and the report). */
  seconds: Partial<
    Record<'wait' | 'init' | 'pin' | 'keygen' | 'register' | 'fund' | 'mailer', number>
  >;
}

class RowFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export async function runProvisionBatch(options: BatchOptions): Promise<RowReport[]> {
  mkdirSync(options.mailerDir, { recursive: true, mode: 0o700 });
  const total = options.rows.length + options.problems.length;
  const reports: RowReport[] = options.problems.map((problem) => ({
    line: problem.line,
    customer: problem.customerRef,
    status: 'refused',
    outcome: `refused: ${problem.message}`,
    reason: problem.reason,
    tokenSerial: null,
    address: null,
    amount: '0.00',
    registerTx: null,
    fundTx: null,
    mailer: null,
    seconds: {},
  }));
  let done = reports.length;
  const soPin = await options.soPins({ role: 'so', token: 'the batch’s tokens' });
  // One module, one token listing and one operator login for the whole batch.
  const operator = options.chain.holdOperator?.();
  let tokens: BatchTokens | undefined;
  try {
    tokens = new BatchTokens(options.modulePath, {
      beforeReload: async () => await operator?.suspend(),
    });
    for (const row of options.rows) {
      const report = await provisionRow(options, tokens, row, soPin.toString('utf8'), (step) =>
        options.progress({ done, rows: total, step, customer: row.customerRef }),
      );
      reports.push(report);
      done++;
      options.progress({
        done,
        rows: total,
        step: report.status === 'provisioned' ? 'done' : 'failed',
        customer: row.customerRef,
      });
    }
  } finally {
    soPin.fill(0);
    tokens?.close();
    await operator?.end();
  }
  // Follow every transaction the batch queued to its fate, and say it per row.
  const ids = reports
    .flatMap((r) => [r.registerTx, r.fundTx])
    .filter((t): t is string => t !== null);
  if (ids.length > 0) {
    const outboxIds = options.rows
      .map((row) => getJournalRow(options.store, options.batchId, row.customerRef))
      .flatMap((j) => [j?.registerTx, j?.fundTx])
      .filter((id): id is number => typeof id === 'number');
    let settled: Awaited<ReturnType<CustomerChainSteps['settle']>>;
    try {
      settled = await options.chain.settle(outboxIds);
    } catch (error) {
      // The nodes went away: what is queued stays in the outbox, and the next run (or sync) sends it.
      if (!(error instanceof SignetError)) throw error;
      for (const report of reports) {
        if (report.registerTx || report.fundTx)
          report.outcome += `; not yet confirmed on the ledger (${error.message}): run the batch again or \`signet sync\``;
      }
      return reports.sort((a, b) => a.line - b.line);
    }
    for (const report of reports) {
      const journal = getJournalRow(options.store, options.batchId, report.customer);
      for (const [id, what] of [
        [journal?.registerTx, 'registration'],
        [journal?.fundTx, 'funding'],
      ] as const) {
        const tx = id == null ? undefined : settled.get(id);
        if (tx && tx.status !== 'confirmed') {
          report.outcome += `; the ${what} is ${tx.status}${tx.error ? ` (${tx.error})` : ''}`;
          if (tx.status === 'failed' || tx.status === 'replaced') {
            report.status = 'failed';
            report.reason = `${what}-failed`;
          }
        }
      }
    }
  }
  return reports.sort((a, b) => a.line - b.line);
}

async function provisionRow(
  options: BatchOptions,
  tokens: BatchTokens,
  row: ProvisionRow,
  soPin: string,
  step: (s: ProvisionProgressStep) => void,
): Promise<RowReport> {
  const { store, batchId } = options;
  const seconds: RowReport['seconds'] = {};
  const timed = async <T>(phase: keyof RowReport['seconds'], work: () => Promise<T> | T) => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      seconds[phase] = (seconds[phase] ?? 0) + (performance.now() - started) / 1000;
    }
  };
  let journal = openJournalRow(store, {
    batchId,
    customerRef: row.customerRef,
    line: row.line,
    amount: row.amount,
  });
  const did: string[] = [];
  const report = (status: RowStatus, outcome: string, reason: string | null): RowReport => ({
    line: row.line,
    customer: row.customerRef,
    status,
    outcome,
    reason,
    tokenSerial: journal.tokenSerial,
    address: journal.address,
    amount: formatAmount(row.amount),
    registerTx: txText(store, journal.registerTx),
    fundTx: txText(store, journal.fundTx),
    mailer:
      journal.step === 'mailer-written' ? mailerPath(options.mailerDir, row.customerRef) : null,
    seconds,
  });
  // A registration or payment that failed on the ledger is done again (the chain asked first).
  const failedTx = (id: number | null) => {
    const status = outboxStatus(store, id);
    return status === 'failed' || status === 'replaced';
  };
  if (failedTx(journal.registerTx)) journal = rewindJournalRow(store, journal, 'key-generated');
  else if (failedTx(journal.fundTx)) journal = rewindJournalRow(store, journal, 'registered');
  if (journal.step === 'mailer-written') {
    return report('provisioned', 'already provisioned by an earlier run of this batch', null);
  }
  try {
    const claims = otherClaims(
      store,
      batchId,
      row.customerRef,
      journal.tokenSerial ?? serialOf(row),
    );
    const claim = claims[0];
    if (claim) {
      throw claim.customerRef === row.customerRef
        ? new RowFailure(
            'customer-provisioned',
            `customer ${row.customerRef} was provisioned in another batch (${claim.batchId.slice(0, 12)})`,
          )
        : new RowFailure(
            'token-provisioned',
            `token ${claim.tokenSerial} is already provisioned for customer ${claim.customerRef}`,
          );
    }
    let token = await timed('wait', () =>
      waitForToken(options, tokens, row, journal, () => step('waiting-for-token')),
    );
    const module = tokens.module;

    // 1. The token: initialised once, with the customer's reference as its label.
    let pin: string | undefined;
    const ours =
      token.flags.tokenInitialized &&
      token.label === row.customerRef &&
      (journal.step !== 'pending' || journal.intent === 'token-initialised');
    if (!ours) {
      if (journal.step !== 'pending') {
        throw new RowFailure(
          'token-changed',
          `token ${tokenRefText(row.token)} no longer carries customer ${row.customerRef}'s label (it says "${token.label}")`,
        );
      }
      if (token.flags.tokenInitialized) {
        if (token.label === row.customerRef) {
          throw new RowFailure(
            'token-provisioned',
            `token ${token.serial} already carries customer ${row.customerRef}'s label, but no batch here made it: not erased`,
          );
        }
        if (await withConnection(module, token, (c) => holdsPublicKeys(c))) {
          throw new RowFailure(
            'token-provisioned',
            `token ${token.serial} ("${token.label}") already holds keys: it is someone's, and is not erased`,
          );
        }
      }
      step('token-initialised');
      journal = recordIntent(store, journal, 'token-initialised', {
        tokenSerial: token.serial || undefined,
      });
      pin = randomPin(token);
      const userPin = pin;
      const initialised = await timed('init', () =>
        initCustomerToken(module, token, row.customerRef, soPin, userPin),
      );
      token = initialised;
      tokens.remember(token);
      killIfAsked(options, row, 'token-initialised+');
      // Audit, done and the key's intent (next, with a PIN in hand): one write.
      journal = store.transaction(() => {
        appendAudit(store, {
          action: 'init-token',
          keyUri: formatPkcs11Uri(tokenUri(token)),
          subject: {
            label: token.label,
            serial: token.serial,
            batch: batchId,
            customer: row.customerRef,
          },
        });
        const recorded = recordDone(store, journal, 'token-initialised', {
          tokenSerial: token.serial,
        });
        return recordIntent(store, recorded, 'key-generated');
      });
      did.push('token initialised');
      killIfAsked(options, row, 'token-initialised');
    } else if (journal.step === 'pending') {
      // The init happened, and the run died before recording it.
      journal = recordDone(store, journal, 'token-initialised', { tokenSerial: token.serial });
    }

    // A mailer with the final name is whole and holds the token's PIN: mark it, never rewrite it.
    const mailerWritten = mailerExists(options.mailerDir, row.customerRef);
    if (pin === undefined && !mailerWritten) {
      // The PIN the dead run chose is gone with it (never stored): set a fresh one with the SO PIN.
      step('pin-reset');
      journal = recordIntent(store, journal, 'pin-reset');
      const fresh = randomPin(token);
      await timed('pin', () => resetUserPin(module, token, soPin, fresh));
      pin = fresh;
      journal = store.transaction(() => {
        appendAudit(store, {
          action: 'unblock-pin',
          keyUri: formatPkcs11Uri(tokenUri(token)),
          subject: {
            token: token.label,
            serial: token.serial,
            batch: batchId,
            reason: 'provisioning resumed: fresh PIN',
          },
        });
        return recordPinReset(store, journal);
      });
      did.push('fresh PIN set (the interrupted run’s PIN was never written down)');
    }

    // 2. The key: made on the token, once.
    // Made by this run: no run of this batch can have registered or funded its address
    // (those steps start only once the key is recorded), so the outbox and the chain are
    // not asked about it (the funding check reads the chain's Transfer logs from block 0).
    let keyMadeHere = false;
    if (before(journal.step, 'key-generated')) {
      if (pin === undefined) throw new RowFailure('internal', 'no PIN to log in with');
      step('key-generated');
      if (journal.intent !== 'key-generated')
        journal = recordIntent(store, journal, 'key-generated');
      const userPin = pin;
      const key = await timed('keygen', () => customerKey(module, token, userPin));
      const address = keyAddress(key);
      const keyUri = formatPkcs11Uri(key.uri);
      // Audit, done and the registration's intent: one write (a resume asks the ledger anyway).
      journal = store.transaction(() => {
        appendAudit(store, {
          action: 'generate-key',
          keyUri,
          subject: {
            curve: key.curve,
            label: key.label,
            address,
            token: token.label,
            serial: token.serial,
            batch: batchId,
          },
        });
        const generated = recordDone(store, journal, 'key-generated', { keyUri, address });
        return recordIntent(store, generated, 'registered');
      });
      did.push('key generated on the token');
      keyMadeHere = true;
      killIfAsked(options, row, 'key-generated');
    }
    const address = journal.address as Address;

    // 3. Registered by the operator bank, once.
    if (before(journal.step, 'registered')) {
      step('registered');
      const done = await timed('register', async () => {
        const already = keyMadeHere ? undefined : await options.chain.registered(address);
        if (already) return already;
        if (journal.intent !== 'registered') journal = recordIntent(store, journal, 'registered');
        return options.chain.register(address, row.customerRef);
      });
      killIfAsked(options, row, 'registered+');
      journal = store.transaction(() => {
        const registered = recordDone(
          store,
          journal,
          'registered',
          outboxFacts('registerTx', done),
        );
        return row.amount > 0n ? recordIntent(store, registered, 'funded') : registered;
      });
      did.push('onChain' in done ? 'already registered on the ledger' : 'registration queued');
      killIfAsked(options, row, 'registered');
    }

    // 4. Funded from the operator's account, once (nothing to do for 0).
    if (before(journal.step, 'funded')) {
      step('funded');
      let done: StepDone | undefined;
      if (row.amount > 0n) {
        done = await timed('fund', async () => {
          const already = keyMadeHere ? undefined : await options.chain.funded(address, row.amount);
          if (already) return already;
          if (journal.intent !== 'funded') journal = recordIntent(store, journal, 'funded');
          return options.chain.fund(address, row.amount);
        });
        killIfAsked(options, row, 'funded+');
        did.push(
          'onChain' in done
            ? 'already funded on the ledger'
            : `${formatAmount(row.amount)} queued to it`,
        );
      }
      const fundTx = done ? outboxFacts('fundTx', done) : {};
      journal = store.transaction(() => {
        const funded = recordDone(store, journal, 'funded', fundTx);
        return mailerWritten ? funded : recordIntent(store, funded, 'mailer-written');
      });
      killIfAsked(options, row, 'funded');
    }

    // 5. The sealed PIN mailer, last.
    if (!mailerWritten) {
      if (pin === undefined) throw new RowFailure('internal', 'no PIN for the mailer');
      step('mailer-written');
      if (journal.intent !== 'mailer-written')
        journal = recordIntent(store, journal, 'mailer-written');
      const userPin = pin;
      await timed('mailer', () =>
        writePinMailer(
          options.mailerDir,
          {
            customerRef: row.customerRef,
            name: row.name,
            tokenSerial: token.serial,
            language: row.language,
          },
          userPin,
        ),
      );
      killIfAsked(options, row, 'mailer-written+');
      did.push('PIN mailer written');
    }
    journal = recordDone(store, journal, 'mailer-written');
    killIfAsked(options, row, 'mailer-written');
    return report('provisioned', did.length > 0 ? did.join(', ') : 'already provisioned', null);
  } catch (error) {
    if (error instanceof RowFailure)
      return report(
        journal.step === 'pending' ? 'refused' : 'failed',
        `${error.message}${progressWords(journal)}`,
        error.reason,
      );
    // A wrong or locked PIN would be tried again on every row: each try counts on the
    // token (real cards lock after a few). Stop the batch; it resumes once fixed.
    if (
      error instanceof SignetError &&
      (error.code === 'PIN_INCORRECT' || error.code === 'PIN_LOCKED')
    ) {
      throw new SignetError(
        error.code,
        `customer ${row.customerRef}: ${error.message}; the batch stopped here (run it again once the PIN is right)`,
        { details: error.details, cause: error },
      );
    }
    if (error instanceof SignetError) {
      return report(
        'failed',
        `${error.message}${progressWords(journal)}`,
        error.code.toLowerCase().replaceAll('_', '-'),
      );
    }
    throw error;
  }
}

/** Where a failed row stands, for its report line. */
function progressWords(journal: JournalRow): string {
  return journal.step === 'pending'
    ? ''
    : ` (done so far: ${journal.step}; run the batch again to go on)`;
}

function before(step: ProvisionStep, target: ProvisionStep): boolean {
  return provisionSteps.indexOf(step) < provisionSteps.indexOf(target);
}

function serialOf(row: ProvisionRow): string | null {
  return 'serial' in row.token ? row.token.serial : null;
}

function outboxFacts(field: 'registerTx' | 'fundTx', done: StepDone) {
  return 'outboxId' in done ? { [field]: done.outboxId } : {};
}

function outboxStatus(store: Store, outboxId: number | null): string | undefined {
  if (outboxId === null) return undefined;
  const row = store.db.prepare('SELECT status FROM outbox WHERE id = ?').get(outboxId) as
    | { status: string }
    | undefined;
  return row?.status;
}

function txText(store: Store, outboxId: number | null): string | null {
  if (outboxId === null) return null;
  const row = store.db.prepare('SELECT tx_hash FROM outbox WHERE id = ?').get(outboxId) as
    | { tx_hash: string }
    | undefined;
  return row?.tx_hash ?? null;
}

/**
 * The row's token: by serial (or the serial the journal learnt at init), or by
 * slot, in the batch's listing. Not there: the module is opened and listed
 * afresh (SoftHSM2 reads its tokens only then), every LOOK_EVERY_MS until
 * `waitMs`, saying whom it waits for.
 */
async function waitForToken(
  options: BatchOptions,
  tokens: BatchTokens,
  row: ProvisionRow,
  journal: JournalRow,
  /** Told once, when the first look does not find it. */
  onWait: () => void,
): Promise<TokenDescription> {
  const serial = journal.tokenSerial ?? serialOf(row);
  const ref = serial !== null ? { serial } : row.token;
  const deadline = Date.now() + options.waitMs;
  let token = tokens.find(ref);
  let told = false;
  while (!token) {
    await tokens.reload();
    token = tokens.find(ref);
    if (token) break;
    if (!told) onWait();
    told = true;
    if (Date.now() >= deadline) {
      throw new RowFailure(
        'token-absent',
        `no token with ${serial !== null ? `serial ${serial}` : tokenRefText(row.token)} for customer ${row.customerRef} was inserted within ${Math.round(options.waitMs / 1000)} s (unknown serial, or pulled out)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY_MS));
  }
  return token;
}

/**
 * FAKE, test only: dies like kill -9 right after `step` of the customer is
 * recorded done, or with `step+`, right after its side effect and before the
 * journal says it is done (the window a resume must settle by asking the world).
 */
function killIfAsked(
  options: BatchOptions,
  row: ProvisionRow,
  step: ProvisionStep | `${ProvisionStep}+`,
): void {
  if (options.killAt === `${row.customerRef}:${step}`) process.kill(process.pid, 'SIGKILL');
}
