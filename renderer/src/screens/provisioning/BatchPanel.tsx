/**
 * The batch's inputs: the CSV (a file picked, or its text pasted), the operator
 * bank's key (a wallet account) and the customers' tokens' module (one Signet
 * lists, or the operator key's). Nothing is sent until "Review".
 */
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { MAX_UI_BATCH_CSV } from '../../../../core/api/provisioning.js';
import { useQuery } from '../../hooks.js';

export interface BatchInput {
  csv: string;
  operator: string;
  module?: string;
}

export function BatchPanel({
  initial,
  busy,
  onReview,
}: {
  initial: BatchInput | null;
  busy: boolean;
  onReview(input: BatchInput): void;
}) {
  const { t } = useTranslation();
  const ids = { file: useId(), csv: useId(), operator: useId(), module: useId(), hint: useId() };
  const accounts = useQuery('accounts.list', {});
  const modules = useQuery('devices.listModules', {});
  const [csv, setCsv] = useState(initial?.csv ?? '');
  const [operator, setOperator] = useState(initial?.operator ?? '');
  const [module, setModule] = useState(initial?.module ?? '');
  const keys = (accounts.data ?? []).filter((a) => a.keyUri.startsWith('pkcs11:'));
  const chosen = operator || keys[0]?.keyUri || '';
  const tooBig = csv.length > MAX_UI_BATCH_CSV;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (busy || !csv.trim() || !chosen || tooBig) return;
    onReview({ csv, operator: chosen, ...(module ? { module } : {}) });
  };

  return (
    <form className="panel batch-panel" onSubmit={submit} aria-labelledby={`${ids.file}-h`}>
      <header className="panel-header">
        <h2 id={`${ids.file}-h`}>{t('provisioning.batch.title')}</h2>
      </header>
      <p className="muted small" id={ids.hint}>
        {t('provisioning.batch.hint')}
      </p>
      <div className="field">
        <label htmlFor={ids.file}>{t('provisioning.batch.file')}</label>
        <input
          id={ids.file}
          type="file"
          accept=".csv,text/csv"
          disabled={busy}
          onChange={async (e) => {
            const file = e.target.files?.[0];
            if (file) setCsv(await file.text());
          }}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.csv}>{t('provisioning.batch.csv')}</label>
        <textarea
          id={ids.csv}
          className="mono"
          rows={8}
          spellCheck={false}
          aria-describedby={ids.hint}
          value={csv}
          disabled={busy}
          onChange={(e) => setCsv(e.target.value)}
        />
        {tooBig ? (
          <p className="error-text" role="alert">
            {t('provisioning.batch.tooBig', { kib: MAX_UI_BATCH_CSV / 1024 })}
          </p>
        ) : null}
      </div>
      <div className="field">
        <label htmlFor={ids.operator}>{t('provisioning.batch.operator')}</label>
        <select
          id={ids.operator}
          value={chosen}
          disabled={busy}
          onChange={(e) => setOperator(e.target.value)}
        >
          {keys.length === 0 ? (
            <option value="">{t('provisioning.batch.noOperator')}</option>
          ) : null}
          {keys.map((a) => (
            <option key={a.keyUri} value={a.keyUri}>
              {`${a.name} · ${a.address}`}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.module}>{t('provisioning.batch.module')}</label>
        <select
          id={ids.module}
          value={module}
          disabled={busy}
          onChange={(e) => setModule(e.target.value)}
        >
          <option value="">{t('provisioning.batch.moduleOfOperator')}</option>
          {(modules.data ?? [])
            .filter((m) => m.loaded)
            .map((m) => (
              <option key={m.path} value={m.path}>
                {`${m.name} (${m.path})`}
              </option>
            ))}
        </select>
      </div>
      <div className="row-actions start">
        <button type="submit" disabled={busy || !csv.trim() || !chosen || tooBig}>
          {busy ? t('provisioning.batch.reviewing') : t('provisioning.batch.review')}
        </button>
      </div>
    </form>
  );
}
