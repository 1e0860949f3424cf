/**
 * Currency amounts: decimal strings for people ("12.34"), integers in minor
 * units (cents, 2 decimals) everywhere inside. Never a float.
 */
import { SignetError } from '../api/errors.js';

export const CURRENCY_DECIMALS = 2;

export function parseAmount(text: string): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) {
    throw new SignetError(
      'AMOUNT_INVALID',
      `"${text}" is not an amount (use digits and at most one ".", like 12.34)`,
    );
  }
  const [, whole, fraction = ''] = match;
  if (fraction.length > CURRENCY_DECIMALS) {
    throw new SignetError(
      'AMOUNT_INVALID',
      `"${text}" has more than ${CURRENCY_DECIMALS} decimals`,
    );
  }
  const minor =
    BigInt(whole!) * 10n ** BigInt(CURRENCY_DECIMALS) +
    BigInt(fraction.padEnd(CURRENCY_DECIMALS, '0') || '0');
  if (minor === 0n) throw new SignetError('AMOUNT_INVALID', 'the amount must be more than zero');
  return minor;
}

export function formatAmount(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const abs = minor < 0n ? -minor : minor;
  const unit = 10n ** BigInt(CURRENCY_DECIMALS);
  return `${sign}${abs / unit}.${(abs % unit).toString().padStart(CURRENCY_DECIMALS, '0')}`;
}
