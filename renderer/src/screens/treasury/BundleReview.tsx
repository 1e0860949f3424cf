/**
 * An approval bundle decoded in full, as every approver reads it before
 * signing: the treasury (owners, threshold), the proposal's nonce and
 * description, what the call does (a payment, a batch, a cancel, a raw call,
 * or any kind added later, shown field by field), the safeTxHash each owner's
 * key signs, and who has approved so far. Every address with its name beside it.
 */
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import type { treasuryReviewSchema } from '../../../../core/api/treasury.js';
import { Badge } from '../../components/Panel.js';
import { type AddressNames, NamedAddress } from '../../components/ReviewParts.js';
import { formatAmount, formatNumber, formatUint } from '../../format.js';

export type TreasuryReview = z.infer<typeof treasuryReviewSchema>;
type Call = TreasuryReview['call'];

export function thresholdMet(review: TreasuryReview): boolean {
  return review.approvals.length >= review.threshold;
}

const isAddress = (value: string) => /^0x[0-9a-fA-F]{40}$/.test(value);

export function BundleReview({ review }: { review: TreasuryReview }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const names = review.names;
  const named = (address: string) => <NamedAddress address={address} names={names} />;
  const approved = (owner: string) =>
    review.approvals.some((a) => a.toLowerCase() === owner.toLowerCase());
  return (
    <>
      <dl className="facts review" data-review="proposal">
        <dt>{t('treasury.review.treasury')}</dt>
        <dd>
          {named(review.safe)}
          {review.safeName ? (
            <>
              {' '}
              <Badge tone="ok">{review.safeName}</Badge>
            </>
          ) : null}
        </dd>
        <dt>{t('treasury.review.chain')}</dt>
        <dd>{review.chainId}</dd>
        <dt>{t('treasury.review.nonce')}</dt>
        <dd>{formatUint(review.nonce, locale)}</dd>
        <dt>{t('treasury.review.description')}</dt>
        <dd>{review.description}</dd>
        <dt>{t('treasury.review.kind')}</dt>
        <dd className="strong">
          {t(`treasury.kind.${review.call.kind}`, { defaultValue: review.call.kind })}
        </dd>
        <CallFacts call={review.call} names={names} />
        <dt>{t('treasury.review.safeTxHash')}</dt>
        <dd className="mono break">{review.safeTxHash}</dd>
        <dt>{t('treasury.review.approvals')}</dt>
        <dd className="strong">
          {t('treasury.review.approvalsOf', {
            n: formatNumber(review.approvals.length, locale),
            threshold: formatNumber(review.threshold, locale),
          })}
        </dd>
      </dl>
      <section className="review-item" aria-label={t('treasury.review.owners')}>
        <h3>{t('treasury.review.owners')}</h3>
        <ul className="plain-list">
          {review.owners.map((owner) => (
            <li key={owner} data-owner={owner}>
              {named(owner)}{' '}
              {approved(owner) ? (
                <Badge tone="ok">{t('treasury.review.hasApproved')}</Badge>
              ) : (
                <Badge tone="neutral">{t('treasury.review.notYet')}</Badge>
              )}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

/** The call's own facts, by kind; a kind this screen does not know yet, field by field. */
function CallFacts({ call, names }: { call: Call; names: AddressNames }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const named = (address: string) => <NamedAddress address={address} names={names} />;
  switch (call.kind) {
    case 'payment':
      return (
        <>
          <dt>{t('treasury.review.to')}</dt>
          <dd>{named(call.to)}</dd>
          <dt>{t('treasury.review.amount')}</dt>
          <dd className="strong">{formatAmount(call.amount, locale)}</dd>
          <dt>{t('treasury.review.currency')}</dt>
          <dd>{named(call.currency)}</dd>
        </>
      );
    case 'cancel':
      return (
        <>
          <dt>{t('treasury.review.cancelTo')}</dt>
          <dd>{named(call.to)}</dd>
        </>
      );
    case 'batch':
      return (
        <>
          <dt>{t('treasury.review.currency')}</dt>
          <dd>{named(call.currency)}</dd>
          <dt>{t('treasury.review.payments')}</dt>
          <dd>{formatNumber(call.count, locale)}</dd>
          <dt>{t('treasury.review.total')}</dt>
          <dd className="strong">{formatAmount(call.total, locale)}</dd>
          <dt>{t('treasury.review.payees')}</dt>
          <dd>
            <ul className="plain-list">
              {call.payees.map((payee, i) => (
                <li key={`${payee.to}-${i}`}>
                  {named(payee.to)} · {formatAmount(payee.amount, locale)}
                </li>
              ))}
            </ul>
            {call.count > call.payees.length ? (
              <span className="muted small">
                {t('treasury.review.morePayees', {
                  n: formatNumber(call.count - call.payees.length, locale),
                })}
              </span>
            ) : null}
          </dd>
        </>
      );
    case 'call':
      return (
        <>
          <dt>{t('treasury.review.to')}</dt>
          <dd>{named(call.to)}</dd>
          <dt>{t('treasury.review.value')}</dt>
          <dd>{formatUint(call.value, locale)}</dd>
          <dt>{t('treasury.review.operation')}</dt>
          <dd>{call.operation}</dd>
          <dt>{t('treasury.review.data')}</dt>
          <dd className="mono break">{call.data}</dd>
        </>
      );
    default:
      return <GenericFacts call={call as Record<string, unknown>} names={names} />;
  }
}

/** A kind added after this screen (a note operation, an owner change): its fields under their names. */
function GenericFacts({ call, names }: { call: Record<string, unknown>; names: AddressNames }) {
  return (
    <>
      {Object.entries(call)
        .filter(([name]) => name !== 'kind')
        .map(([name, value]) => (
          <GenericValue key={name} name={name} value={value} names={names} />
        ))}
    </>
  );
}

function GenericValue({
  name,
  value,
  names,
}: {
  name: string;
  value: unknown;
  names: AddressNames;
}) {
  const shown =
    typeof value === 'string' && isAddress(value) ? (
      <NamedAddress address={value} names={names} />
    ) : Array.isArray(value) && value.every((v) => typeof v === 'string') ? (
      <ul className="plain-list">
        {(value as string[]).map((v, i) => (
          <li key={`${v}-${i}`}>{isAddress(v) ? <NamedAddress address={v} names={names} /> : v}</li>
        ))}
      </ul>
    ) : typeof value === 'object' && value !== null ? (
      <span className="mono break">{JSON.stringify(value)}</span>
    ) : (
      <span className="mono break">{String(value)}</span>
    );
  return (
    <>
      <dt className="mono">{name}</dt>
      <dd>{shown}</dd>
    </>
  );
}
