/**
 * At the counter (issue 12 §3): a lost token replaced, a locked PIN reset.
 *
 * Replace, per operation (its journal rows keyed `replace-<operation id>`, the
 * batch's journal, core/store/provisioning-journal.ts, with its `funded` step
 * standing for "the frozen balance and notes recovered"):
 *
 *   lost frozen ─► token-initialised ─► key-generated ─► registered ─► recovered ─► mailer-written
 *
 * Every step is asked of the world before it is done again (the chain says
 * frozen / registered; the outbox holds the recovery), so a run killed anywhere
 * is resumed by running the same command. The steps on the token are the
 * batch's (token-steps.ts); a PIN lives only in this process and its mailer.
 */
import { mkdirSync } from 'node:fs';
import {
  type Address,
  encodeFunctionData,
  getAddress,
  type Hex,
  isAddressEqual,
  parseAbi,
} from 'viem';
import { openModule, type Pkcs11Module } from '../../native/pkcs11/module.js';
import { holdsPublicKeys } from '../../native/pkcs11/public-objects.js';
import { listTokens, type TokenDescription, tokenUri } from '../../native/pkcs11/tokens.js';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../native/pkcs11/uri.js';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import { registryCall } from '../app/customers.js';
import { formatAmount } from '../chain/amount.js';
import { customerRefHash } from '../customers/customer-ref.js';
import type { Standing } from '../customers/registry.js';
import { appendAudit } from '../store/audit-log.js';
import type { Store } from '../store/database.js';
import {
  type JournalRow,
  openJournalRow,
  otherClaims,
  type ProvisionStep,
  provisionSteps,
  recordDone,
  recordIntent,
  recordPinReset,
} from '../store/provisioning-journal.js';
import type { MailerLanguage } from './batch-csv.js';
import type { CustomerChainSteps } from './chain-steps.js';
import { mailerExists, mailerPath, writePinMailer } from './pin-mailer.js';
import {
  customerKey,
  initCustomerToken,
  keyAddress,
  randomPin,
  resetUserPin,
  withConnection,
} from './token-steps.js';

const recoverAbi = parseAbi(['function recoverFrozen(address lost, address replacement)']);

/** What the counter needs of the chain beyond the batch's steps: reads at the pinned head. */
export interface CounterChain extends CustomerChainSteps {
  standing(account: Address): Promise<Standing>;
  /** The reference hash `account` was registered under (the AccountRegistered event), or null. */
  registeredRef(account: Address): Promise<Hex | null>;
}

export interface ReplaceOptions {
  store: Store;
  profile: ChainProfile;
  operationId: string;
  modulePath: string;
  customerRef: string;
  name: string;
  language: MailerLanguage;
  lost: Address;
  /** The new token: its serial, or a pkcs11: URI naming it (serial or token label). */
  token: string;
  soPin: string;
  mailerDir: string;
  chain: CounterChain;
  progress?: (step: string) => void;
  /** FAKE, test only (SIGNET_FAKE_PROVISION_KILL_AT=replace:STEP): SIGKILL itself once that step is recorded. */
  killAt?: string | undefined;
}

export interface ReplaceResult {
  operationId: string;
  customer: string;
  lost: Address;
  replacement: string;
  tokenSerial: string;
  recovered: string;
  /** What this run did, in words (never a PIN). */
  done: string[];
  mailer: string;
}

/**
 * Only its own operator replaces a customer's lost token, and only under the
 * reference it was registered with (the UI's review says so too, core/app/counter.ts).
 */
export function requireOwnCustomer(
  lost: Address,
  customerRef: string,
  operator: Address,
  standing: Standing,
  registeredRef: Hex | null,
): void {
  if (!standing.operator || !isAddressEqual(standing.operator, operator)) {
    throw new SignetError(
      'NOT_ACCOUNT_OPERATOR',
      standing.operator
        ? `account ${lost} is a customer of operator ${standing.operator}, not of ${operator}: only its own operator replaces its token`
        : `account ${lost} is not a customer of any operator bank: there is no lost token of a customer to replace`,
      { details: { field: 'lost', account: lost, operator: standing.operator } },
    );
  }
  if (registeredRef?.toLowerCase() !== customerRefHash(customerRef).toLowerCase()) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `account ${lost} was not registered under customer reference ${customerRef} (its registration records another reference's hash)`,
      { details: { field: 'customer', reason: 'customer-mismatch', account: lost } },
    );
  }
}

export async function replaceLostToken(options: ReplaceOptions): Promise<ReplaceResult> {
  const { store, chain, customerRef, lost } = options;
  const batchId = `replace-${options.operationId}`;
  const refHash = customerRefHash(customerRef);
  const did: string[] = [];
  const kill = (step: string) => {
    if (options.killAt === `replace:${step}`) process.kill(process.pid, 'SIGKILL');
  };

  // Refusals first, before anything is signed or a token touched.
  const standing = await chain.standing(lost);
  requireOwnCustomer(lost, customerRef, chain.operator, standing, await chain.registeredRef(lost));

  let journal = openJournalRow(store, { batchId, customerRef, line: 1, amount: 0n });
  const audit = (what: string, extra: Record<string, unknown> = {}) =>
    appendAudit(store, {
      action: 'counter-replace',
      subject: {
        step: what,
        operation: options.operationId,
        customer: customerRef,
        lost,
        ...extra,
      },
    });
  if (journal.step === 'mailer-written') {
    return result(options, journal, ['already done by an earlier run of this operation']);
  }

  let module: Pkcs11Module | undefined;
  try {
    const found = findToken(options, journal.tokenSerial);
    module = found.module;
    let token = found.token;
    const claim = otherClaims(store, batchId, customerRef, token.serial).find(
      (c) => c.tokenSerial === token.serial,
    );
    if (claim) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `token ${token.serial} is already provisioned for customer ${claim.customerRef}`,
        { details: { field: 'token', reason: 'token-provisioned' } },
      );
    }

    // Before anything is signed: a new token holding a key is someone's, never erased.
    if (
      journal.step === 'pending' &&
      journal.intent === null &&
      token.flags.tokenInitialized &&
      (await withConnection(module, token, (c) => holdsPublicKeys(c)))
    ) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `token ${token.serial} ("${token.label}") already holds a key: it is someone's, and is not erased`,
        { details: { field: 'token', reason: 'token-has-keys' } },
      );
    }

    if (journal.step === 'pending' && journal.intent === null) audit('started');

    // 1. The lost account frozen (the chain says whether it is already).
    if (!standing.frozen) {
      options.progress?.('freezing the lost account');
      const queued = chain.queued('customer-freeze', lost);
      const done = queued ? { outboxId: queued.id } : await chain.queue(freezeCall(options));
      await settle(chain, done.outboxId, 'freeze of the lost account');
      audit('lost account frozen');
      did.push('lost account frozen');
      kill('frozen');
    }

    // 2. The new token, initialised once with the customer's reference as its label.
    let pin: string | undefined;
    const ours =
      token.flags.tokenInitialized &&
      token.label === customerRef &&
      (journal.step !== 'pending' || journal.intent === 'token-initialised');
    if (!ours) {
      if (journal.step !== 'pending') {
        throw new SignetError(
          'INVALID_ARGUMENT',
          `token ${token.serial} no longer carries customer ${customerRef}'s label (it says "${token.label}")`,
          { details: { field: 'token', reason: 'token-changed' } },
        );
      }
      options.progress?.('initialising the new token');
      journal = recordIntent(store, journal, 'token-initialised', { tokenSerial: token.serial });
      pin = randomPin(token);
      token = await initCustomerToken(module, token, customerRef, options.soPin, pin);
      appendAudit(store, {
        action: 'init-token',
        keyUri: formatPkcs11Uri(tokenUri(token)),
        subject: { label: token.label, serial: token.serial, operation: options.operationId },
      });
      journal = recordDone(store, journal, 'token-initialised', { tokenSerial: token.serial });
      did.push('new token initialised');
      kill('token-initialised');
    } else if (journal.step === 'pending') {
      journal = recordDone(store, journal, 'token-initialised', { tokenSerial: token.serial });
    }

    const stem = mailerStem(options);
    const mailerWritten = mailerExists(options.mailerDir, stem);
    if (pin === undefined && !mailerWritten) {
      // The PIN the dead run drew is gone with it (never stored): a fresh one with the SO PIN.
      journal = recordIntent(store, journal, 'pin-reset');
      pin = randomPin(token);
      await resetUserPin(module, token, options.soPin, pin);
      appendAudit(store, {
        action: 'unblock-pin',
        keyUri: formatPkcs11Uri(tokenUri(token)),
        subject: { serial: token.serial, reason: 'replacement resumed: fresh PIN' },
      });
      journal = recordPinReset(store, journal);
      did.push('fresh PIN set (the interrupted run’s PIN was never written down)');
    }

    // 3. The key, made on the token once.
    if (before(journal.step, 'key-generated')) {
      if (pin === undefined) throw new SignetError('INTERNAL', 'no PIN to log in with');
      options.progress?.('generating the key');
      journal = recordIntent(store, journal, 'key-generated');
      const key = await customerKey(module, token, pin);
      const address = keyAddress(key);
      const keyUri = formatPkcs11Uri(key.uri);
      appendAudit(store, {
        action: 'generate-key',
        keyUri,
        subject: { curve: key.curve, label: key.label, address, serial: token.serial },
      });
      journal = recordDone(store, journal, 'key-generated', { keyUri, address });
      did.push('key generated on the new token');
      kill('key-generated');
    }
    const replacement = getAddress(journal.address!);

    // 4. The new account registered under the same reference.
    if (before(journal.step, 'registered')) {
      options.progress?.('registering the new account');
      let done = await chain.registered(replacement);
      if (!done) {
        journal = recordIntent(store, journal, 'registered');
        done = await chain.register(replacement, customerRef);
      }
      if ('outboxId' in done) await settle(chain, done.outboxId, 'registration');
      journal = recordDone(
        store,
        journal,
        'registered',
        'outboxId' in done ? { registerTx: done.outboxId } : {},
      );
      audit('new account registered', { replacement, customerRefHash: refHash });
      did.push('new account registered');
      kill('registered');
    }

    // 5. recoverFrozen(lost, new): money and notes (the journal's `funded` step).
    if (before(journal.step, 'funded')) {
      options.progress?.('moving the money and notes');
      const queued = chain.queued('customer-recover', lost);
      let outboxId = queued?.id;
      if (outboxId === undefined) {
        journal = recordIntent(store, journal, 'funded');
        kill('recover-intent');
        outboxId = (await chain.queue(recoverCall(options, replacement))).outboxId;
      }
      await settle(chain, outboxId, 'recovery of the frozen balance and notes');
      journal = recordDone(store, journal, 'funded', { fundTx: outboxId });
      audit('money and notes recovered', {
        replacement,
        amount: formatAmount(standing.balance),
      });
      did.push(`${formatAmount(standing.balance)} and the notes moved to the new account`);
      kill('recovered');
    }

    // 6. The new sealed PIN mailer, last.
    if (!mailerWritten) {
      if (pin === undefined) throw new SignetError('INTERNAL', 'no PIN for the mailer');
      journal = recordIntent(store, journal, 'mailer-written');
      mkdirSync(options.mailerDir, { recursive: true, mode: 0o700 });
      writePinMailer(
        options.mailerDir,
        {
          customerRef,
          name: options.name,
          tokenSerial: token.serial,
          language: options.language,
        },
        pin,
        stem,
      );
      did.push('new PIN mailer written');
    }
    journal = recordDone(store, journal, 'mailer-written');
    audit('done', { replacement, serial: token.serial });
    return result(options, journal, did);
  } finally {
    module?.close();
  }
}

function result(options: ReplaceOptions, journal: JournalRow, done: string[]): ReplaceResult {
  return {
    operationId: options.operationId,
    customer: options.customerRef,
    lost: options.lost,
    replacement: journal.address ?? '',
    tokenSerial: journal.tokenSerial ?? '',
    recovered: journal.fundTx === null ? 'no' : 'yes',
    done,
    mailer: mailerPath(options.mailerDir, mailerStem(options)),
  };
}

function mailerStem(options: { customerRef: string; operationId: string }): string {
  return `${options.customerRef}.replace-${options.operationId.slice(0, 12)}`;
}

function before(step: ProvisionStep, target: ProvisionStep): boolean {
  return provisionSteps.indexOf(step) < provisionSteps.indexOf(target);
}

function freezeCall(options: ReplaceOptions) {
  return registryCall(options.profile, 'freeze', options.lost, null);
}

function recoverCall(options: ReplaceOptions, replacement: Address) {
  return {
    to: options.profile.contracts.currency,
    data: encodeFunctionData({
      abi: recoverAbi,
      functionName: 'recoverFrozen',
      args: [options.lost, replacement],
    }),
    kind: 'customer-recover' as const,
    summary: { account: options.lost, replacement },
    asset: 'currency' as const,
    amount: 0n,
  };
}

/** Sends and follows one queued transaction; a revert or a lost nonce is one line. */
async function settle(chain: CustomerChainSteps, outboxId: number, what: string): Promise<void> {
  const tx = (await chain.settle([outboxId])).get(outboxId);
  if (tx?.status === 'confirmed') return;
  throw new SignetError(
    tx?.status === 'failed' || tx?.status === 'replaced' ? 'TX_REVERTED' : 'NODE_UNREACHABLE',
    `the ${what} is ${tx?.status ?? 'unknown'}${tx?.error ? ` (${tx.error})` : ''}: run the same command again`,
  );
}

/** The token by serial (the journal's once it knows it), or by the URI's serial or label. */
function findToken(
  options: { modulePath: string; token: string },
  /** The serial the journal learnt at init, if it did. */
  known: string | null,
): { module: Pkcs11Module; token: TokenDescription } {
  const uri = options.token.startsWith('pkcs11:') ? parsePkcs11Uri(options.token) : undefined;
  const serial = known ?? (uri ? uri.serial : options.token);
  const module = openModule(options.modulePath);
  const token = listTokens(module).find((t) =>
    serial ? t.serial === serial : uri?.token !== undefined && t.label === uri.token,
  );
  if (!token) {
    module.close();
    throw new SignetError('TOKEN_NOT_FOUND', `no token ${options.token} is inserted`, {
      details: { field: 'token' },
    });
  }
  return { module, token };
}

export interface UnblockOptions {
  store: Store;
  modulePath: string;
  token: string;
  customerRef: string;
  name: string;
  language: MailerLanguage;
  soPin: string;
  mailerDir: string;
}

/**
 * A locked (or forgotten) user PIN reset with the SO PIN to a fresh random
 * PIN, written only to a new mailer; the token must carry the customer's label.
 */
export async function resetPinAtCounter(
  options: UnblockOptions,
): Promise<{ tokenSerial: string; mailer: string }> {
  const found = findToken(options, null);
  const { module, token } = found;
  try {
    if (token.label !== options.customerRef) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `token ${token.serial} carries "${token.label}", not customer ${options.customerRef}'s label`,
        { details: { field: 'customer', reason: 'customer-mismatch' } },
      );
    }
    const pin = randomPin(token);
    await resetUserPin(module, token, options.soPin, pin);
    appendAudit(options.store, {
      action: 'unblock-pin',
      keyUri: formatPkcs11Uri(tokenUri(token)),
      subject: { serial: token.serial, customer: options.customerRef, reason: 'at the counter' },
    });
    mkdirSync(options.mailerDir, { recursive: true, mode: 0o700 });
    const stem = `${options.customerRef}.unblock-${new Date().toISOString().replace(/[:.]/g, '')}`;
    const mailer = writePinMailer(
      options.mailerDir,
      {
        customerRef: options.customerRef,
        name: options.name,
        tokenSerial: token.serial,
        language: options.language,
      },
      pin,
      stem,
    );
    return { tokenSerial: token.serial, mailer };
  } finally {
    module.close();
  }
}
