/**
 * What the operator's token will sign, decoded back from the planned
 * transaction by the server: the call, the operator, the account as the chain
 * has it now, a registration's reference hash (only the hash goes on chain),
 * nonce and fee.
 */
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import { LedgerDeviceReview } from '../../components/LedgerDeviceConfirm.js';
import { ErrorMessage, Panel } from '../../components/Panel.js';
import { NamedAddress, NativeFee } from '../../components/ReviewParts.js';
import type { CustomerPreview } from './CustomerForm.js';

/** The contract function each action calls. */
const functionOf = { register: 'registerAccount', freeze: 'freeze', unfreeze: 'unfreeze' };

export function CustomerReview({
  preview,
  stale,
  onBack,
  onSign,
}: {
  preview: CustomerPreview;
  /** Why this review is shown again: it went stale, nothing was signed. */
  stale?: SerializedError | undefined;
  onBack(): void;
  onSign(): void;
}) {
  const { t, i18n } = useTranslation();
  const { names, standing } = preview;
  const yesNo = (value: boolean) => t(value ? 'common.yes' : 'common.no');
  const title = t('customers.review.title', { action: t(`customers.action.${preview.action}`) });
  return (
    <Panel title={title}>
      {stale ? <ErrorMessage error={stale} /> : null}
      <p>{t('customers.review.intro')}</p>
      <dl className="facts review">
        <dt>{t('customers.review.call')}</dt>
        <dd className="mono strong">{functionOf[preview.action]}</dd>
        <dt>{t('customers.account')}</dt>
        <dd>
          <NamedAddress address={preview.account} names={names} />
        </dd>
        {preview.customerRef ? (
          <>
            <dt>{t('customers.review.customerRef')}</dt>
            <dd className="mono">{preview.customerRef}</dd>
          </>
        ) : null}
        <dt>{t('customers.review.operator')}</dt>
        <dd>
          <NamedAddress address={preview.operator} names={names} />
        </dd>
        <dt>{t('customers.review.contract')}</dt>
        <dd>
          <NamedAddress address={preview.contract} names={names} />
        </dd>
        <dt>{t('customers.review.chain')}</dt>
        <dd>{preview.chainId}</dd>
        <dt>{t('customers.review.now')}</dt>
        <dd>
          {t('customers.review.standingNow', {
            registered: yesNo(standing.registered),
            frozen: yesNo(standing.frozen),
          })}
        </dd>
        <dt>{t('customers.review.nonce')}</dt>
        <dd>{preview.nonce}</dd>
        <dt>{t('customers.review.fee')}</dt>
        <dd>
          <NativeFee fee={preview.fee} locale={i18n.language} />
        </dd>
      </dl>
      {preview.customerRef ? <p className="muted small">{t('customers.review.hashOnly')}</p> : null}
      {preview.deviceConfirm ? <LedgerDeviceReview confirm={preview.deviceConfirm} /> : null}
      <div className="row-actions">
        <button type="button" className="secondary" onClick={onBack}>
          {t('common.back')}
        </button>
        <button type="button" onClick={onSign}>
          {t('customers.review.sign')}
        </button>
      </div>
    </Panel>
  );
}
