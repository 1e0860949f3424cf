/**
 * The batch as Signet will run it, shown before any token is touched: the
 * ledger, the operator, the module, where the sealed PIN mailers go, each
 * customer's row and each refused row with its reason. Provisioning starts
 * only from here, with this review's digest.
 */
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { ProvisionPreview } from '../../../../core/api/provisioning.js';

export function BatchReview({
  review,
  busy,
  onBack,
  onStart,
}: {
  review: ProvisionPreview;
  busy: boolean;
  onBack(): void;
  onStart(): void;
}) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <section className="panel batch-review" aria-labelledby={id}>
      <header className="panel-header">
        <h2 id={id}>{t('provisioning.review.title')}</h2>
      </header>
      <dl className="facts">
        <dt>{t('provisioning.review.chain')}</dt>
        <dd>{review.chainId}</dd>
        <dt>{t('provisioning.review.contract')}</dt>
        <dd className="mono">{review.contract}</dd>
        <dt>{t('provisioning.review.operator')}</dt>
        <dd className="mono">{review.operator}</dd>
        <dt>{t('provisioning.review.module')}</dt>
        <dd className="mono">{review.module}</dd>
        <dt>{t('provisioning.review.mailers')}</dt>
        <dd className="mono">{review.mailerFolder}</dd>
        <dt>{t('provisioning.review.batch')}</dt>
        <dd className="mono">{review.batchId}</dd>
      </dl>
      <p role="status">
        {t('provisioning.review.summary', {
          rows: review.rows.length,
          refused: review.refusals.length,
        })}
      </p>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">{t('provisioning.review.rowsCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('provisioning.review.line')}</th>
              <th scope="col">{t('provisioning.review.customer')}</th>
              <th scope="col">{t('provisioning.review.name')}</th>
              <th scope="col">{t('provisioning.review.token')}</th>
              <th scope="col">{t('provisioning.review.amount')}</th>
              <th scope="col">{t('provisioning.review.language')}</th>
            </tr>
          </thead>
          <tbody>
            {review.rows.map((row) => (
              <tr key={row.line} data-customer={row.customer}>
                <td>{row.line}</td>
                <td className="mono">{row.customer}</td>
                <td>{row.name}</td>
                <td className="mono">{row.token}</td>
                <td className="mono">{row.amount}</td>
                <td>{row.language}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {review.refusals.length > 0 ? (
        <>
          <h3>{t('provisioning.review.refusals')}</h3>
          <ul className="batch-problems">
            {review.refusals.map((r) => (
              <li key={r.line} className="small" data-reason={r.reason}>
                {r.message}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <p className="muted small">{t('provisioning.review.pinNote')}</p>
      <div className="row-actions start">
        <button type="button" className="secondary" onClick={onBack} disabled={busy}>
          {t('common.back')}
        </button>
        <button type="button" onClick={onStart} disabled={busy || review.rows.length === 0}>
          {t('provisioning.review.start', { rows: review.rows.length })}
        </button>
      </div>
    </section>
  );
}
