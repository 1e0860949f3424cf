/**
 * An account's standing in the currency's registry, read from the chain at one
 * block (customers.show): registered, frozen, its operator bank, whether it is
 * itself an operator, the customer reference hash its registration recorded.
 */
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { addressInputSchema } from '../../../../core/api/chain.js';
import { Badge, Panel } from '../../components/Panel.js';
import { formatAmount, formatNumber } from '../../format.js';
import { useQuery } from '../../hooks.js';
import { CustomerRefusal } from './CustomerRefusal.js';

export function StandingPanel({
  refreshKey,
  account: asked,
}: {
  refreshKey: number;
  /** An account to look up from outside (the one just signed for). */
  account?: string | undefined;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const [account, setAccount] = useState<string>();
  const [invalid, setInvalid] = useState(false);
  /** Bumped by Look up: the same account is read again. */
  const [tick, setTick] = useState(0);
  const inputId = useId();

  useEffect(() => {
    if (asked) {
      setTyped(asked);
      setAccount(asked);
    }
  }, [asked]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const ok = addressInputSchema.safeParse(typed).success;
    setInvalid(!ok);
    if (!ok) return;
    setAccount(typed);
    setTick((n) => n + 1);
  };

  return (
    <Panel title={t('customers.standing.title')}>
      <form
        className="form customer-lookup"
        onSubmit={submit}
        noValidate
        aria-label={t('customers.standing.title')}
      >
        <div className="field">
          <label htmlFor={inputId}>{t('customers.account')}</label>
          <input
            id={inputId}
            className="mono"
            value={typed}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={invalid ? true : undefined}
            aria-describedby={invalid ? `${inputId}-problem` : undefined}
            onChange={(e) => setTyped(e.target.value.trim())}
          />
          {invalid ? (
            <p id={`${inputId}-problem`} className="field-error">
              {t('customers.invalid.account')}
            </p>
          ) : null}
        </div>
        <div className="row-actions">
          <button type="submit" className="secondary">
            {t('customers.standing.lookUp')}
          </button>
        </div>
      </form>
      {account && !invalid ? (
        <StandingFacts account={account} refreshKey={refreshKey + tick} />
      ) : null}
    </Panel>
  );
}

/** The standing as the chain has it, read again whenever the ledger moved (refreshKey). */
function StandingFacts({ account, refreshKey }: { account: string; refreshKey: number }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const standing = useQuery('customers.show', { account }, refreshKey);
  const yesNo = (value: boolean) => t(value ? 'common.yes' : 'common.no');
  const s = standing.data;
  if (standing.error) return <CustomerRefusal error={standing.error} />;
  if (!s)
    return (
      <p className="muted" aria-busy="true">
        {t('common.loading')}
      </p>
    );
  return (
    <dl className="facts" data-standing={s.account}>
      <dt>{t('customers.account')}</dt>
      <dd className="mono">{s.account}</dd>
      <dt>{t('customers.standing.registered')}</dt>
      <dd>
        <Badge tone={s.registered ? 'ok' : 'neutral'}>{yesNo(s.registered)}</Badge>
      </dd>
      <dt>{t('customers.standing.frozen')}</dt>
      <dd>
        <Badge tone={s.frozen ? 'bad' : 'neutral'}>{yesNo(s.frozen)}</Badge>
      </dd>
      <dt>{t('customers.standing.operator')}</dt>
      <dd className="mono">{s.operator ?? t('common.none')}</dd>
      <dt>{t('customers.standing.isOperator')}</dt>
      <dd>{yesNo(s.isOperator)}</dd>
      <dt>{t('customers.standing.customerRef')}</dt>
      <dd className="mono">{s.customerRef ?? t('common.none')}</dd>
      <dt>{t('customers.standing.balance')}</dt>
      <dd>{formatAmount(s.balance, locale)}</dd>
      <dt>{t('customers.standing.block')}</dt>
      <dd>{formatNumber(s.block, locale)}</dd>
    </dl>
  );
}
