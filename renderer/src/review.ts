/**
 * Signing what was reviewed. The server signs only the plan whose digest the
 * review showed; if the ledger moved since (another payment took the nonce, a
 * sync changed the fee), it signs nothing and answers REVIEW_STALE. Then the
 * user gets the review again, as it would be signed now, instead of an error.
 */
import type { SerializedError } from '../../core/api/errors.js';
import { ApiError, serialized } from './api.js';

export type Reviewed<R, P> =
  | { kind: 'signed'; result: R }
  /** Nothing was signed; `fresh` is the review to show instead. */
  | { kind: 'stale'; stale: SerializedError; fresh: P }
  /** Nothing was signed, and what was asked can no longer be reviewed (e.g. the funds went). */
  | { kind: 'gone'; stale: SerializedError; problem: SerializedError };

export async function signReviewed<R, P>(
  sign: () => Promise<R>,
  reviewAgain: () => Promise<P>,
): Promise<Reviewed<R, P>> {
  try {
    return { kind: 'signed', result: await sign() };
  } catch (caught) {
    if (!(caught instanceof ApiError) || caught.code !== 'REVIEW_STALE') throw caught;
    try {
      return { kind: 'stale', stale: caught.error, fresh: await reviewAgain() };
    } catch (problem) {
      return { kind: 'gone', stale: caught.error, problem: serialized(problem) };
    }
  }
}
