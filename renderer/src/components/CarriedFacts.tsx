/**
 * A P-256 account's operation on a review (Send and Notes): which of the
 * wallet's accounts carries it through which contract, and what the P-256 key
 * signs (the operation's own nonce, until when it is valid, its EIP-712 digest).
 * The nonce and fee beside it are the carrier's transaction. Rows of a <dl>.
 */
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import type { carriedOperationSchema } from '../../../core/api/chain.js';
import { formatDateTime } from '../format.js';
import { type AddressNames, NamedAddress, Was } from './ReviewParts.js';

type Carried = z.infer<typeof carriedOperationSchema>;

export function CarriedFacts({
  carried,
  before,
  names,
}: {
  carried: Carried;
  /** The same operation on the review the user saw before it went stale. */
  before: Carried | null | undefined;
  names: AddressNames;
}) {
  const { t, i18n } = useTranslation();
  return (
    <>
      <dt>{t('send.carrier')}</dt>
      <dd>
        <NamedAddress address={carried.carrier} names={names} />
        <Was now={carried.carrier} before={before?.carrier} />
      </dd>
      <dt>{t('send.via')}</dt>
      <dd>
        <NamedAddress address={carried.via} names={names} />
      </dd>
      <dt>{t('send.accountNonce')}</dt>
      <dd>
        {carried.accountNonce}
        <Was now={carried.accountNonce} before={before?.accountNonce} />
      </dd>
      <dt>{t('send.validUntil')}</dt>
      <dd>{formatDateTime(carried.deadline, i18n.language)}</dd>
      <dt>{t('send.p256Digest')}</dt>
      <dd className="mono">
        {carried.digest}
        <Was now={carried.digest} before={before?.digest} />
      </dd>
    </>
  );
}
