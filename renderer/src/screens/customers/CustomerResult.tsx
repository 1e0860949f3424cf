/** What signing a registry call did: the transaction, and whether the chain has it yet. */
import { useTranslation } from 'react-i18next';
import type { ApiResult } from '../../../../core/api/methods.js';
import { Badge, Panel } from '../../components/Panel.js';

export type CustomerSigned = ApiResult<'customers.register'>;

export function CustomerResult({ result, onDone }: { result: CustomerSigned; onDone(): void }) {
  const { t } = useTranslation();
  const tx = result.transactions.at(-1);
  const status = tx?.status ?? 'signed';
  const syncError = result.sync && 'error' in result.sync ? result.sync : undefined;
  return (
    <Panel title={t('customers.result.title')}>
      <p role="status" className="strong">
        <Badge tone={status === 'failed' ? 'bad' : status === 'confirmed' ? 'ok' : 'info'}>
          {t(`outbox.txStatus.${status}`)}
        </Badge>{' '}
        {t(`customers.result.${result.review.action}`, { account: result.review.account })}
      </p>
      <dl className="facts">
        <dt>{t('customers.account')}</dt>
        <dd className="mono">{result.review.account}</dd>
        {tx ? (
          <>
            <dt>{t('send.txHash')}</dt>
            <dd className="mono">{tx.txHash}</dd>
          </>
        ) : null}
      </dl>
      {syncError ? (
        <p className="muted small">{t('customers.result.notSent')}</p>
      ) : status !== 'confirmed' ? (
        <p className="muted small">{t('customers.result.pending')}</p>
      ) : null}
      <div className="row-actions">
        <button type="button" onClick={onDone}>
          {t('customers.result.again')}
        </button>
      </div>
    </Panel>
  );
}
