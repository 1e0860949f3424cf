/**
 * Parts of a review. An address with who it is beside the hex: the server
 * names every address a preview shows (core/app/address-names.ts); this shows
 * that name and where it comes from, so an address book name never passes for
 * one of the wallet's own accounts, and an address nobody named says so. A fee
 * in the chain's coin. And, on a review shown again because the ledger moved,
 * what a value was in the review the user had seen.
 */
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { AddressName } from '../../../core/api/chain.js';
import { formatAmount, formatUint } from '../format.js';
import { Badge, type BadgeTone } from './Panel.js';

export type AddressNames = readonly AddressName[];

/** The name the preview gave `address` (any case), if it is an address. */
export function nameOf(names: AddressNames, address: string): AddressName | undefined {
  const key = address.toLowerCase();
  return names.find((n) => n.address.toLowerCase() === key);
}

export function nameText(t: TFunction, name: AddressName): string {
  switch (name.kind) {
    case 'account':
      return t('review.name.account', { name: name.name });
    case 'address-book':
      return t('review.name.addressBook', { name: name.name });
    case 'contract':
      return t(`review.contract.${name.role}`);
    case 'unknown':
      return t('review.name.unknown');
  }
}

const tones: Record<AddressName['kind'], BadgeTone> = {
  account: 'ok',
  'address-book': 'info',
  contract: 'neutral',
  unknown: 'warn',
};

/** The hex exactly as signed, then the name in a badge toned by where the name comes from. */
export function NamedAddress({ address, names }: { address: string; names: AddressNames }) {
  const { t } = useTranslation();
  const name = nameOf(names, address);
  return (
    <>
      <span className="mono">{address}</span>
      {name ? (
        <>
          {' '}
          <Badge tone={tones[name.kind]}>{nameText(t, name)}</Badge>
        </>
      ) : null}
    </>
  );
}

/** A network fee: in the chain's coin, then the wei figure for experts. */
export function NativeFee({
  fee,
  locale,
}: {
  fee: { maxWei: string; max: string; symbol: string };
  locale: string;
}) {
  const { t } = useTranslation();
  return (
    <>
      <span className="strong">
        {t('review.fee', { amount: formatAmount(fee.max, locale), symbol: fee.symbol })}
      </span>{' '}
      <span className="muted">
        {t('review.feeWei', { amount: formatUint(fee.maxWei, locale) })}
      </span>
    </>
  );
}

/**
 * Beside a value of a review shown again after it went stale: what it was in
 * the review the user had seen, when that differs (nothing when it did not).
 */
export function Was({ now, before }: { now: string; before: string | undefined }) {
  const { t } = useTranslation();
  if (before === undefined || before === now) return null;
  return (
    <>
      {' '}
      <Badge tone="warn">{t('review.was', { value: before })}</Badge>
    </>
  );
}
