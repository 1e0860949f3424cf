/**
 * An approval bundle decoded in full, as every approver reads it before
 * signing: the treasury (owners, threshold), the proposal's nonce and
 * description, what the call does (a payment, a batch, a cancel, a note
 * operation, an owner or threshold change, a raw call, or any kind added later,
 * shown field by field), the safeTxHash each owner's
 * key signs, and who has approved so far. Every address with its name beside it.
 */
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import type { treasuryReviewSchema } from '../../../../core/api/treasury.js';
import { Badge } from '../../components/Panel.js';
import { type AddressNames, NamedAddress } from '../../components/ReviewParts.js';
import { formatAmount, formatDateTime, formatDay, formatNumber, formatUint } from '../../format.js';

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
    case 'note':
      return <NoteFacts call={call} names={names} />;
    case 'owners':
      return <OwnersFacts call={call} names={names} />;
    default:
      return <GenericFacts call={call as Record<string, unknown>} names={names} />;
  }
}

type NoteCall = Extract<Call, { kind: 'note' }>;
type OwnersCall = Extract<Call, { kind: 'owners' }>;

/** Minor units ("12345", cents) as the currency's amount ("123.45"): the contract's 2 decimals. */
export function minorUnits(minor: string): string {
  if (!/^\d+$/.test(minor)) return minor;
  const padded = minor.padStart(3, '0');
  return `${BigInt(padded.slice(0, -2))}.${padded.slice(-2)}`;
}

/** Who `to` is depends on the operation: an issue's payee, a finance's holder paid, … */
const NOTE_TO_LABEL: Record<NoteCall['op'], string> = {
  issue: 'treasury.noteOp.payee',
  endorse: 'treasury.noteOp.newHolder',
  split: 'treasury.noteOp.recipient',
  redeem: 'treasury.noteOp.payee',
  'finance-accept': 'treasury.noteOp.holderPaid',
};

/**
 * A note operation: what it does in words, then every figure the calldata holds
 * (money in the currency's units), the allowance it grants the note contract, and
 * whether that contract is known to be the ledger's: on an air-gapped machine it
 * is not, and the approver is told so before signing.
 */
function NoteFacts({ call, names }: { call: NoteCall; names: AddressNames }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const named = (address: string) => <NamedAddress address={address} names={names} />;
  const money = (minor: string) => formatAmount(minorUnits(minor), locale);
  return (
    <>
      <dt>{t('treasury.noteOp.op')}</dt>
      <dd className="strong" data-note-op={call.op}>
        {t(`treasury.noteOp.ops.${call.op}`)}
      </dd>
      <dt>{t('treasury.noteOp.contract')}</dt>
      <dd>
        {named(call.notes)}
        {call.verified ? null : (
          <p className="field-error" data-note-unverified="">
            <Badge tone="warn">{t('treasury.noteOp.unverifiedBadge')}</Badge>{' '}
            {t('treasury.noteOp.unverified')}
          </p>
        )}
      </dd>
      {call.tokenId !== null ? (
        <>
          <dt>{t('treasury.noteOp.tokenId')}</dt>
          <dd>{formatUint(call.tokenId, locale)}</dd>
        </>
      ) : null}
      {call.op === 'finance-accept' || call.to !== null ? (
        <>
          <dt>{t(NOTE_TO_LABEL[call.op])}</dt>
          <dd>{call.to ? named(call.to) : t('treasury.noteOp.noSigner')}</dd>
        </>
      ) : null}
      {call.faceValue !== null ? (
        <>
          <dt>{t('treasury.noteOp.faceValue')}</dt>
          <dd className="strong">{money(call.faceValue)}</dd>
        </>
      ) : null}
      {call.value !== null ? (
        <>
          <dt>
            {call.op === 'finance-accept'
              ? t('treasury.noteOp.valueBought')
              : t('treasury.noteOp.value')}
          </dt>
          <dd className="strong">{money(call.value)}</dd>
        </>
      ) : null}
      {call.price !== null ? (
        <>
          <dt>{t('treasury.noteOp.price')}</dt>
          <dd className="strong">{money(call.price)}</dd>
        </>
      ) : null}
      {call.maturity !== null ? (
        <>
          <dt>{t('treasury.noteOp.maturity')}</dt>
          <dd>{formatDay(call.maturity, locale)}</dd>
        </>
      ) : null}
      {call.currency !== null ? (
        <>
          <dt>{t('treasury.review.currency')}</dt>
          <dd>{named(call.currency)}</dd>
        </>
      ) : null}
      {call.deadline !== null ? (
        <>
          <dt>{t('treasury.noteOp.deadline')}</dt>
          <dd>{formatDateTime(call.deadline, locale)}</dd>
        </>
      ) : null}
      <dt>{t('treasury.noteOp.allowance')}</dt>
      <dd>
        {call.allowance ? (
          <>
            {t('treasury.noteOp.allowanceAmount', {
              amount:
                call.allowance.amount === 'unlimited'
                  ? t('treasury.noteOp.unlimited')
                  : money(call.allowance.amount),
            })}{' '}
            · {t('treasury.noteOp.allowanceSpender')} {named(call.allowance.spender)} ·{' '}
            {t('treasury.noteOp.allowanceToken')} {named(call.allowance.token)}
          </>
        ) : (
          t('treasury.noteOp.noAllowance')
        )}
      </dd>
    </>
  );
}

/** An owner or threshold change: the change in words, the owners before and after, the threshold's move. */
function OwnersFacts({ call, names }: { call: OwnersCall; names: AddressNames }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const named = (address: string) => <NamedAddress address={address} names={names} />;
  const has = (list: string[], address: string) =>
    list.some((a) => a.toLowerCase() === address.toLowerCase());
  const list = (owners: string[], other: string[], mark: 'added' | 'removed', data: string) => (
    <ul className="plain-list" data-owners={data}>
      {owners.map((owner) => (
        <li key={owner}>
          {named(owner)}
          {has(other, owner) ? null : (
            <>
              {' '}
              <Badge tone={mark === 'added' ? 'info' : 'warn'}>
                {t(`treasury.ownersChange.${mark}`)}
              </Badge>
            </>
          )}
        </li>
      ))}
    </ul>
  );
  return (
    <>
      <dt>{t('treasury.ownersChange.change')}</dt>
      <dd className="strong" data-owners-change={call.change}>
        {t(`treasury.ownersChange.changes.${call.change}`)}
      </dd>
      {call.owner !== null ? (
        <>
          <dt>
            {call.change === 'add'
              ? t('treasury.ownersChange.ownerAdded')
              : t('treasury.ownersChange.ownerRemoved')}
          </dt>
          <dd>{named(call.owner)}</dd>
        </>
      ) : null}
      {call.newOwner !== null ? (
        <>
          <dt>{t('treasury.ownersChange.ownerAdded')}</dt>
          <dd>{named(call.newOwner)}</dd>
        </>
      ) : null}
      <dt>{t('treasury.ownersChange.before')}</dt>
      <dd>{list(call.ownersBefore, call.ownersAfter, 'removed', 'before')}</dd>
      <dt>{t('treasury.ownersChange.after')}</dt>
      <dd>{list(call.ownersAfter, call.ownersBefore, 'added', 'after')}</dd>
      <dt>{t('treasury.ownersChange.threshold')}</dt>
      <dd className="strong">
        {t('treasury.ownersChange.thresholdMove', {
          before: formatNumber(call.thresholdBefore, locale),
          after: formatNumber(call.thresholdAfter, locale),
          ownersBefore: formatNumber(call.ownersBefore.length, locale),
          ownersAfter: formatNumber(call.ownersAfter.length, locale),
        })}
      </dd>
    </>
  );
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
