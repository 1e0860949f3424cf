/**
 * The Provisioning screen's batch (issue 12 §2, UI): `provision.preview` and
 * `provision.start` over the CLI's one batch run (`runBatch`, provisioning.ts).
 *
 * What the page may not choose, it does not: the mailer folder is
 * `<data dir>/pin-mailers/<batchId>/`, the batch is the CSV's SHA-256 (as the
 * CLI's default, so the same file resumes from either), the module one Signet
 * lists, the operator a wallet account already. The review digest covers all
 * of it and every row and refusal: the batch starts only if what would run now
 * is exactly what the page showed (REVIEW_STALE otherwise), checked before any
 * PIN is touched or token opened.
 */
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { getAddress, type Hex } from 'viem';
import { admitModule } from '../../native/pkcs11/token-access.js';
import { parsePkcs11Uri } from '../../native/pkcs11/uri.js';
import { SignetError } from '../api/errors.js';
import type { ProvisionPreview } from '../api/provisioning.js';
import { formatAmount } from '../chain/amount.js';
import { parseProvisionCsv, tokenRefText } from '../provisioning/batch-csv.js';
import { findAccount } from '../wallet/find-account.js';
import type { AppContext } from './app-context.js';
import type { Caller, Handlers } from './dispatcher.js';
import { csvBatchId, runBatch } from './provisioning.js';
import type { SyncDriver } from './sync-driver.js';

interface UiBatchRequest {
  csv: string;
  operator: string;
  module?: string | undefined;
}

/** The batch's review, planned offline: nothing is opened, asked or written. */
function planBatch(context: AppContext, caller: Caller, request: UiBatchRequest) {
  const named =
    request.module ??
    (request.operator.startsWith('pkcs11:')
      ? parsePkcs11Uri(request.operator).modulePath
      : undefined);
  if (!named) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      "choose the customers' tokens' module (the operator key's URI names none)",
      { details: { field: 'module', reason: 'module-missing' } },
    );
  }
  const modulePath = admitModule(named, context.search(caller));
  const profile = context.profile();
  const operator = findAccount(context.store(), request.operator);
  const parsed = parseProvisionCsv(request.csv);
  const batchId = csvBatchId(request.csv);
  const mailers = join(context.home, 'pin-mailers', batchId);
  const review: Omit<ProvisionPreview, 'reviewDigest'> = {
    batchId,
    chainId: profile.chainId,
    contract: getAddress(profile.contracts.currency),
    operator: getAddress(operator.address),
    operatorKeyUri: request.operator,
    module: modulePath,
    mailerFolder: mailers,
    rows: parsed.rows.map((row) => ({
      line: row.line,
      customer: row.customerRef,
      name: row.name,
      token: tokenRefText(row.token),
      amount: formatAmount(row.amount),
      language: row.language,
    })),
    refusals: parsed.problems.map((p) => ({
      line: p.line,
      customer: p.customerRef,
      reason: p.reason,
      message: p.message,
    })),
  };
  const reviewDigest = batchDigest(review);
  return { review: { ...review, reviewDigest }, parsed, modulePath, mailers, batchId };
}

/** SHA-256 over the review's JSON (its keys in one fixed order, every value a string or number). */
export function batchDigest(review: Omit<ProvisionPreview, 'reviewDigest'>): Hex {
  const body = JSON.stringify({ tag: 'signet-provision-batch-1', ...review });
  return `0x${createHash('sha256').update(body).digest('hex')}`;
}

export function provisionUiHandlers(
  context: AppContext,
  sync: SyncDriver,
): Pick<Handlers, 'provision.preview' | 'provision.start'> {
  return {
    'provision.preview': async (request, caller) => planBatch(context, caller, request).review,
    'provision.start': async (request, caller) => {
      const plan = planBatch(context, caller, request);
      // Before any PIN is used or token opened: only the batch the page showed runs.
      if (request.reviewDigest.toLowerCase() !== plan.review.reviewDigest) {
        throw new SignetError(
          'REVIEW_STALE',
          'the batch changed since you reviewed it (its file, operator, module or ledger); review again',
          {
            details: {
              reviewed: request.reviewDigest.toLowerCase(),
              current: plan.review.reviewDigest,
            },
          },
        );
      }
      const result = await runBatch(context, sync, caller, {
        operator: request.operator,
        modulePath: plan.modulePath,
        mailers: plan.mailers,
        batchId: plan.batchId,
        waitMs: 120_000,
        parsed: plan.parsed,
      });
      return {
        ...result,
        // The page is told each mailer's file name, never where else it lives or what it holds.
        rows: result.rows.map((row) => ({
          ...row,
          mailer: row.mailer === null ? null : basename(row.mailer),
        })),
        review: plan.review,
      };
    },
  };
}
