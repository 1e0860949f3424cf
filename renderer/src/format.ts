/**
 * Locale formatting without floats: amounts arrive as decimal strings
 * ("-1234567.89"); the integer part is grouped by Intl as a BigInt, the
 * fraction is kept digit for digit.
 */
import type { TFunction } from 'i18next';
import type { SerializedError } from '../../core/api/errors.js';

const numberFormats = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string): Intl.NumberFormat {
  let format = numberFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale, { useGrouping: true });
    numberFormats.set(locale, format);
  }
  return format;
}

function symbols(locale: string): { decimal: string; minus: string } {
  const parts = numberFormat(locale).formatToParts(-1.5);
  return {
    decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.',
    minus: parts.find((p) => p.type === 'minusSign')?.value ?? '-',
  };
}

/** "1234567.80" → "1,234,567.80" (en), keeping every digit; anything else is returned as is. */
export function formatAmount(text: string, locale: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, integer = '0', fraction] = match;
  const { decimal, minus } = symbols(locale);
  const grouped = numberFormat(locale).format(BigInt(integer));
  return `${sign ? minus : ''}${grouped}${fraction ? decimal + fraction : ''}`;
}

/** A non-negative decimal integer string (wei, ids) grouped per locale. */
export function formatUint(text: string, locale: string): string {
  return /^\d+$/.test(text) ? numberFormat(locale).format(BigInt(text)) : text;
}

export function formatNumber(value: number, locale: string): string {
  return numberFormat(locale).format(value);
}

/** Unix seconds or an ISO timestamp → date and time in the locale. */
export function formatDateTime(value: number | string, locale: string): string {
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** "YYYY-MM-DD" (a calendar day, no time zone) → a date in the locale. */
export function formatDay(day: string, locale: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
}

/** 0x1234…abcd for long hex strings in narrow places (the full text goes in a title). */
export function shortHex(text: string, keep = 6): string {
  return text.length > keep * 2 + 3 ? `${text.slice(0, keep + 2)}…${text.slice(-keep)}` : text;
}

/** Sums "12.34" amounts exactly (two decimals, as the contract prints them). */
export function sumAmounts(amounts: readonly string[]): string {
  let cents = 0n;
  for (const a of amounts) {
    const match = /^(-?)(\d+)\.(\d{2})$/.exec(a);
    if (!match) continue;
    const value = BigInt(match[2]!) * 100n + BigInt(match[3]!);
    cents += match[1] ? -value : value;
  }
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/**
 * An error for people: the translated sentence for its code (with the PIN's
 * retry state where the token gave one), else the server's one-line message.
 */
export function errorText(t: TFunction, error: SerializedError): string {
  const key = `errors.${error.code}`;
  const sentence = t(key, { defaultValue: '' });
  if (!sentence) return error.message;
  const tpm = tpmLockoutText(t, error);
  if (tpm) return error.code === 'PIN_INCORRECT' ? `${sentence} ${tpm}` : tpm;
  if (error.code === 'PIN_INCORRECT') {
    const state = error.details?.retryState;
    const retry =
      state === 'final-try' || state === 'count-low' || state === 'unknown'
        ? t(`errors.retry.${state}`)
        : t('errors.retry.unknown');
    return `${sentence} ${retry}`;
  }
  return sentence;
}

/**
 * A wrong or locked PIN on a TPM token: the TPM's own count of wrong PINs and when
 * it forgives one (the PIN flags, and the SO PIN, do not help there); undefined
 * for any other error.
 */
export function tpmLockoutText(t: TFunction, error: SerializedError): string | undefined {
  if (error.code !== 'PIN_INCORRECT' && error.code !== 'PIN_LOCKED') return undefined;
  const lockout = error.details?.tpmLockout as
    | {
        known?: unknown;
        locked?: unknown;
        triesLeft?: unknown;
        maxFailures?: unknown;
        intervalSeconds?: unknown;
      }
    | undefined;
  if (lockout?.known !== true) return undefined;
  const { triesLeft, maxFailures, intervalSeconds } = lockout;
  if (typeof triesLeft !== 'number' || typeof intervalSeconds !== 'number') return undefined;
  return tpmLockoutWords(t, {
    triesLeft,
    maxFailures: typeof maxFailures === 'number' ? maxFailures : triesLeft,
    intervalSeconds,
    locked: lockout.locked === true || error.code === 'PIN_LOCKED',
  });
}

/** A TPM's lockout state in the reader's language (the Devices card, PIN errors). */
export function tpmLockoutWords(
  t: TFunction,
  lockout: { triesLeft: number; maxFailures: number; intervalSeconds: number; locked: boolean },
): string {
  const { triesLeft, maxFailures, intervalSeconds } = lockout;
  const minutes = Math.max(1, Math.ceil(intervalSeconds / 60));
  if (lockout.locked) {
    return intervalSeconds > 0
      ? t('errors.tpm.locked', { minutes })
      : t('errors.tpm.lockedForGood');
  }
  return t('errors.tpm.left', { n: triesLeft, max: maxFailures, minutes });
}
