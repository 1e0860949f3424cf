/**
 * Words for the Offline cash screen that depend on the server's answer: a
 * refusal in one line (a voucher refused offline says which check failed, in
 * the reader's language), and a purse's state.
 */
import type { TFunction } from 'i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import { errorText } from '../../format.js';

/** The reasons core/purse/verify.ts and the transit decoders give (details.reason). */
export const voucherReasons = [
  'malformed',
  'wrong-chain',
  'unknown-operator',
  'certificate-signature',
  'certificate-expired',
  'voucher-signature',
  'wrong-purse',
  'over-cap',
  'over-count',
  'over-locked',
  'bad-range',
  'not-payee',
  'double-spend',
  'fork',
  'already-held',
  'receive-limit',
] as const;
export type VoucherReason = (typeof voucherReasons)[number];

/** The refused check, when the error is a VOUCHER_REFUSED this screen has words for. */
export function voucherReason(error: SerializedError): VoucherReason | undefined {
  const reason = error.code === 'VOUCHER_REFUSED' ? error.details?.reason : undefined;
  return voucherReasons.find((r) => r === reason);
}

/** Why the purse cannot pay or close (PURSE_LIMIT's details.reason, core/purse/pay.ts). */
export const limitReasons = [
  'over-cap',
  'over-count',
  'over-locked',
  'bad-amount',
  'expired',
  'opening',
  'awaiting-certificate',
  'frozen',
  'closed',
  'not-thawed',
  'outside-policy',
] as const;

/** One line for a refusal: the failed check's sentence for a voucher or a limit, else the error's. */
export function purseErrorText(t: TFunction, error: SerializedError): string {
  const reason = voucherReason(error);
  if (reason) return t(`offlineCash.reason.${reason}`);
  const limit =
    error.code === 'PURSE_LIMIT'
      ? limitReasons.find((r) => r === error.details?.reason)
      : undefined;
  return limit ? t(`offlineCash.limit.${limit}`) : errorText(t, error);
}

/**
 * A message kept in state and worded at render time, so it follows a change of
 * language (a sentence kept as text would stay in the language it was made in).
 */
export type Said = (t: TFunction, locale: string) => string;
