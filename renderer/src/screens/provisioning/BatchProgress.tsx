/**
 * The running batch: rows done out of rows as a progress bar, what it does now
 * for which customer, and, when a customer's token is not inserted, whose token
 * to insert (a single reader takes them one after another).
 */
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { ProvisionProgress } from '../../../../core/api/events.js';

export function BatchProgress({
  progress,
  rows,
}: {
  progress: ProvisionProgress | null;
  rows: number;
}) {
  const { t } = useTranslation();
  const id = useId();
  const done = progress?.done ?? 0;
  const total = progress?.rows ?? rows;
  const text = t('provisioning.progress.rows', { done, rows: total });
  const waiting = progress?.step === 'waiting-for-token';
  return (
    <section className="panel batch-progress" aria-labelledby={id}>
      <h2 id={id}>{t('provisioning.progress.title')}</h2>
      <div className="sync-progress">
        <div
          className="sync-bar"
          role="progressbar"
          aria-label={t('provisioning.progress.title')}
          aria-valuemin={0}
          aria-valuemax={total}
          aria-valuenow={done}
          aria-valuetext={text}
        >
          <div
            className="sync-bar-fill"
            style={{ width: `${(100 * done) / Math.max(total, 1)}%` }}
          />
        </div>
        <p className="small">{text}</p>
      </div>
      <p className="small" aria-live="polite">
        {progress && !waiting
          ? t('provisioning.progress.step', {
              customer: progress.customer,
              step: t(`provisioning.steps.${progress.step}`),
            })
          : ''}
      </p>
      <p className={waiting ? 'banner strong' : 'visually-hidden'} role="status">
        {waiting ? t('provisioning.progress.insert', { customer: progress.customer }) : ''}
      </p>
    </section>
  );
}
