/**
 * The review step of a note operation: every transaction the token will sign,
 * decoded back from its calldata (or, for a finance offer, the typed data),
 * then what signing it did.
 */
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiResult } from '../../../../core/api/methods.js';
import { CarriedFacts } from '../../components/CarriedFacts.js';
import { LedgerDeviceReview } from '../../components/LedgerDeviceConfirm.js';
import { Badge, ErrorMessage, Panel } from '../../components/Panel.js';
import { QrCode } from '../../components/QrCode.js';
import {
  type AddressNames,
  NamedAddress,
  NativeFee,
  nameOf,
  Was,
} from '../../components/ReviewParts.js';
import {
  errorText,
  formatAmount,
  formatDateTime,
  formatDay,
  formatNumber,
  formatUint,
} from '../../format.js';
import type { NotePreview } from './NoteForm.js';

type Executed = ApiResult<'notes.execute'>;

export function NoteReview({
  title,
  preview,
  stale,
  onBack,
  onSign,
}: {
  title: string;
  preview: NotePreview;
  /** Why this review is shown again (it went stale: nothing was signed), and the one seen. */
  stale?: { error: SerializedError; before: NotePreview } | undefined;
  onBack(): void;
  onSign(): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const count = preview.transactions.length;
  const names = preview.names;
  const before = stale?.before;
  const fee = (f: { max: string; symbol: string } | null | undefined) =>
    f ? t('review.fee', { amount: formatAmount(f.max, locale), symbol: f.symbol }) : undefined;
  const amount = (text: string | null | undefined) =>
    text === null || text === undefined ? undefined : formatAmount(text, locale);
  return (
    <Panel title={t('notes.reviewTitle', { op: title })}>
      {stale ? <ErrorMessage error={stale.error} /> : null}
      <p>{t('notes.reviewIntro')}</p>
      <dl className="facts review">
        <dt>{t('notes.from')}</dt>
        <dd>
          <NamedAddress address={preview.from} names={names} />
        </dd>
        <dt>{t('notes.chain')}</dt>
        <dd>{preview.chainId}</dd>
        {preview.fee !== null && count > 1 ? (
          <>
            <dt>{t('notes.totalFee')}</dt>
            <dd>
              <NativeFee fee={preview.fee} locale={locale} />
              <Was now={fee(preview.fee) ?? ''} before={before && fee(before.fee)} />
            </dd>
          </>
        ) : null}
        {preview.availableAfter !== null ? (
          <>
            <dt>{t('notes.availableAfter')}</dt>
            <dd>
              {formatAmount(preview.availableAfter, locale)}
              <Was
                now={formatAmount(preview.availableAfter, locale)}
                before={amount(before?.availableAfter)}
              />
            </dd>
          </>
        ) : null}
      </dl>
      {preview.note ? <NoteFacts note={preview.note} /> : null}
      {preview.transactions.map((tx, i) => (
        <section
          className="review-item"
          key={tx.nonce}
          aria-label={t('notes.transaction', { n: i + 1, count })}
        >
          <h3>{t('notes.transaction', { n: i + 1, count })}</h3>
          <dl className="facts review">
            <dt>{t('notes.call')}</dt>
            <dd className="mono strong">{tx.function}</dd>
            {Object.entries(tx.args).map(([name, value]) => (
              <Arg key={name} name={name} value={value} names={names} />
            ))}
            <dt>{t('notes.contract')}</dt>
            <dd>
              <NamedAddress address={tx.contract} names={names} />
            </dd>
            {tx.carried ? (
              <CarriedFacts
                carried={tx.carried}
                before={before?.transactions[i]?.carried}
                names={names}
              />
            ) : null}
            <dt>{t(tx.carried ? 'send.carrierNonce' : 'notes.nonce')}</dt>
            <dd>
              {tx.nonce}
              <Was
                now={String(tx.nonce)}
                before={before?.transactions[i] && String(before.transactions[i].nonce)}
              />
            </dd>
            <dt>{t('notes.fee')}</dt>
            <dd>
              <NativeFee fee={tx.fee} locale={locale} />
              <Was now={fee(tx.fee) ?? ''} before={fee(before?.transactions[i]?.fee)} />
            </dd>
          </dl>
        </section>
      ))}
      {preview.typedData ? (
        <section
          className="review-item"
          aria-label={t('notes.typedData', { type: preview.typedData.primaryType })}
        >
          <h3>{t('notes.typedData', { type: preview.typedData.primaryType })}</h3>
          <dl className="facts review">
            {Object.entries(preview.typedData.message).map(([name, value]) => (
              <Arg key={name} name={name} value={value} names={names} />
            ))}
            {Object.entries(preview.typedData.domain).map(([name, value]) => (
              <Arg key={`domain.${name}`} name={`domain.${name}`} value={value} names={names} />
            ))}
          </dl>
        </section>
      ) : null}
      {preview.deviceConfirm ? <LedgerDeviceReview confirm={preview.deviceConfirm} /> : null}
      <div className="row-actions">
        <button type="button" className="secondary" onClick={onBack}>
          {t('common.back')}
        </button>
        <button type="button" onClick={onSign}>
          {t('notes.sign')}
        </button>
      </div>
    </Panel>
  );
}

/** The note the operation acts on: who pays it, in which currency, when, and what it holds. */
function NoteFacts({ note }: { note: NonNullable<NotePreview['note']> }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const title = t('notes.reviewNote', { id: formatUint(note.tokenId, locale) });
  return (
    <section className="review-item" aria-label={title}>
      <h3>{title}</h3>
      <dl className="facts review">
        <dt>{t('notes.acceptor')}</dt>
        <dd className="mono">{note.acceptor}</dd>
        <dt>{t('notes.currency')}</dt>
        <dd>
          {note.currencyKnown ? (
            <>
              {t('notes.currencyOwn')} <span className="mono muted">{note.currency}</span>
            </>
          ) : (
            <>
              <Badge tone="warn">{t('notes.currencyUnknown')}</Badge>{' '}
              <span className="mono">{note.currency}</span>
            </>
          )}
        </dd>
        <dt>{t('notes.maturityDate')}</dt>
        <dd>{formatDay(note.maturity, locale)}</dd>
        <dt>{t('notes.value')}</dt>
        <dd>{formatAmount(note.value, locale)}</dd>
        <dt>{t('notes.holder')}</dt>
        <dd className="mono">{note.holder}</dd>
        <dt>{t('notes.asOf')}</dt>
        <dd>
          {t(note.source === 'chain' ? 'notes.asOfChain' : 'notes.asOfStore', {
            block: formatNumber(note.asOfBlock, locale),
          })}
        </dd>
      </dl>
    </section>
  );
}

const MAX_UINT256 = (2n ** 256n - 1n).toString();
const minorUnitArgs = new Set(['faceValue', 'value', 'price', 'amount']);
const timeArgs = new Set(['maturity', 'deadline']);

/**
 * One decoded argument under the contract's own name, exactly as signed, with
 * what it means for people beside it: an address's name, minor units as an
 * amount, unix seconds as a date, the largest uint256 as "unlimited". A
 * struct's field (`offer.price`) reads by its own name.
 */
function Arg({ name, value, names }: { name: string; value: string; names: AddressNames }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const field = name.slice(name.lastIndexOf('.') + 1);
  if (nameOf(names, value)) {
    return (
      <>
        <dt className="mono">{name}</dt>
        <dd>
          <NamedAddress address={value} names={names} />
        </dd>
      </>
    );
  }
  let meaning: string | null = null;
  if (value === MAX_UINT256) meaning = t('notes.unlimited');
  else if (/^\d+$/.test(value) && minorUnitArgs.has(field)) {
    const cents = BigInt(value);
    meaning = formatAmount(`${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`, locale);
  } else if (/^\d+$/.test(value) && timeArgs.has(field)) {
    meaning = formatDateTime(Number(value), locale);
  }
  return (
    <>
      <dt className="mono">{name}</dt>
      <dd>
        <span className="mono">{value}</span>
        {meaning ? <span className="muted"> ({meaning})</span> : null}
      </dd>
    </>
  );
}

export function NoteResult({ result, onDone }: { result: Executed; onDone(): void }) {
  const { t, i18n } = useTranslation();
  if (result.offer) {
    const text = `${JSON.stringify(result.offer, null, 2)}\n`;
    const href = `data:application/json;charset=utf-8,${encodeURIComponent(text)}`;
    return (
      <Panel title={t('notes.offerTitle')}>
        <p role="status">{t('notes.offerIntro')}</p>
        <textarea
          className="mono"
          readOnly
          rows={14}
          value={text}
          aria-label={t('notes.offerTitle')}
        />
        {/* The same text as the file, for a bank that scans it (from an air-gapped machine too). */}
        <figure className="offer-qr">
          <QrCode text={text} label={t('notes.offerQr')} />
          <figcaption className="muted small">{t('notes.offerQrHint')}</figcaption>
        </figure>
        <div className="row-actions">
          <a
            className="button secondary"
            href={href}
            download={`finance-offer-note-${result.offer.offer.tokenId}.json`}
          >
            {t('notes.offerDownload')}
          </a>
          <button type="button" onClick={onDone}>
            {t('notes.done')}
          </button>
        </div>
      </Panel>
    );
  }
  const statuses = result.transactions.map((tx) => tx.status);
  const worst =
    statuses.find((s) => s === 'failed' || s === 'replaced') ??
    statuses.find((s) => s === 'signed') ??
    statuses.find((s) => s === 'sent') ??
    statuses[0] ??
    'signed';
  const message =
    worst === 'confirmed' || worst === 'included'
      ? t('notes.confirmed')
      : worst === 'sent'
        ? t('notes.sent')
        : worst === 'failed' || worst === 'replaced'
          ? t('notes.failed')
          : t('notes.queued');
  return (
    <Panel title={t('notes.resultTitle')}>
      <p role="status" className="strong">
        <Badge tone={worst === 'failed' ? 'bad' : worst === 'confirmed' ? 'ok' : 'info'}>
          {t(`outbox.txStatus.${worst}`)}
        </Badge>{' '}
        {message}
      </p>
      {result.sync && 'error' in result.sync ? (
        <p className="muted">
          {t('notes.syncError', {
            error: errorText(t, { code: result.sync.code, message: result.sync.error }),
          })}
        </p>
      ) : null}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('outbox.kind')}</th>
              <th scope="col">{t('notes.nonce')}</th>
              <th scope="col">{t('outbox.status')}</th>
              <th scope="col">{t('send.txHash')}</th>
            </tr>
          </thead>
          <tbody>
            {result.transactions.map((tx) => (
              <tr key={tx.txHash}>
                <td>{t(`outbox.kindName.${tx.kind}`, { defaultValue: tx.kind })}</td>
                <td>{formatUint(String(tx.nonce), i18n.language)}</td>
                <td>{t(`outbox.txStatus.${tx.status}`)}</td>
                <td className="mono">{tx.txHash}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="row-actions">
        <button type="button" onClick={onDone}>
          {t('notes.done')}
        </button>
      </div>
    </Panel>
  );
}
