/**
 * What the batch did, per row, in words: provisioned, failed or refused, why,
 * and the name of the customer's sealed PIN mailer (never its contents: the
 * PIN is only in that file). Downloadable as CSV and JSON.
 */
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiResult } from '../../../../core/api/methods.js';
import { provisionReportCsv } from '../../../../core/api/provisioning.js';
import { Badge, type BadgeTone } from '../../components/Panel.js';

type Result = ApiResult<'provision.start'>;

const tones: Record<Result['rows'][number]['status'], BadgeTone> = {
  provisioned: 'ok',
  failed: 'bad',
  refused: 'warn',
};

const dataUrl = (type: string, text: string) =>
  `data:${type};charset=utf-8,${encodeURIComponent(text)}`;

export function BatchReport({ result, onAgain }: { result: Result; onAgain(): void }) {
  const { t } = useTranslation();
  const id = useId();
  const json = JSON.stringify({ ...result, review: undefined }, null, 2);
  const stem = `provisioning-${result.batchId.slice(0, 12)}`;
  return (
    <section className="panel batch-report" aria-labelledby={id}>
      <header className="panel-header">
        <h2 id={id}>{t('provisioning.report.title')}</h2>
      </header>
      <p role="status">
        {t('provisioning.report.summary', {
          provisioned: result.provisioned,
          failed: result.failed,
          refused: result.refused,
        })}
      </p>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">{t('provisioning.report.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('provisioning.review.line')}</th>
              <th scope="col">{t('provisioning.review.customer')}</th>
              <th scope="col">{t('provisioning.report.status')}</th>
              <th scope="col">{t('provisioning.report.outcome')}</th>
              <th scope="col">{t('provisioning.report.mailer')}</th>
            </tr>
          </thead>
          <tbody>
            {result.rows.map((row) => (
              <tr key={row.line} data-customer={row.customer} data-status={row.status}>
                <td>{row.line}</td>
                <td className="mono">{row.customer}</td>
                <td>
                  <Badge tone={tones[row.status]}>{t(`provisioning.status.${row.status}`)}</Badge>
                </td>
                <td className="small">{row.outcome}</td>
                <td className="mono small">{row.mailer ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">{t('provisioning.report.mailerNote')}</p>
      <div className="row-actions start">
        <a
          className="button secondary"
          href={dataUrl('text/csv', provisionReportCsv(result.rows))}
          download={`${stem}.csv`}
        >
          {t('provisioning.report.csv')}
        </a>
        <a
          className="button secondary"
          href={dataUrl('application/json', json)}
          download={`${stem}.json`}
        >
          {t('provisioning.report.json')}
        </a>
        <button type="button" onClick={onAgain}>
          {t('provisioning.report.again')}
        </button>
      </div>
    </section>
  );
}
