/**
 * What the operator bank asks: register an account under a customer reference,
 * or freeze or unfreeze it, with which of its keys. The form checks only the
 * shape of what is typed; the server previews the call (customers.preview),
 * checking the key's operator role and the account on chain, and refuses in one
 * line what it would not sign.
 */
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { addressInputSchema } from '../../../../core/api/chain.js';
import { type CustomerAction, customerActions } from '../../../../core/api/customers.js';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiResult } from '../../../../core/api/methods.js';
import { call, serialized } from '../../api.js';
import { AccountOptions } from '../../components/AccountOptions.js';
import { Panel } from '../../components/Panel.js';
import { useQuery } from '../../hooks.js';
import { CustomerRefusal } from './CustomerRefusal.js';

export type CustomerPreview = ApiResult<'customers.preview'>;

export interface CustomerRequest {
  action: CustomerAction;
  operator: string;
  account: string;
  /** A registration's customer reference only. */
  customer?: string | undefined;
}

export function CustomerForm({
  initial,
  error: given,
  onPreview,
}: {
  initial?: CustomerRequest | undefined;
  /** Why the form is back: what was reviewed can no longer be signed. */
  error?: SerializedError | undefined;
  onPreview(request: CustomerRequest, preview: CustomerPreview): void;
}) {
  const { t } = useTranslation();
  const accounts = useQuery('accounts.list', {});
  // An operator signs its registry calls itself: a P-256 key's account contract is no operator.
  const operators = (accounts.data ?? []).filter((a) => a.curve === 'secp256k1');
  const [action, setAction] = useState<CustomerAction>(initial?.action ?? 'register');
  const [operator, setOperator] = useState(initial?.operator ?? '');
  const [account, setAccount] = useState(initial?.account ?? '');
  const [customer, setCustomer] = useState(initial?.customer ?? '');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SerializedError | undefined>(given);
  const ids = { action: useId(), operator: useId(), account: useId(), customer: useId() };

  const problems = {
    operator: operator ? undefined : t('customers.invalid.operator'),
    account: addressInputSchema.safeParse(account).success
      ? undefined
      : t('customers.invalid.account'),
    customer:
      action !== 'register' || customer.trim() ? undefined : t('customers.invalid.customer'),
  };
  const shown = (field: keyof typeof problems) => (touched ? problems[field] : undefined);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (busy || Object.values(problems).some(Boolean)) return;
    const request: CustomerRequest = {
      action,
      operator,
      account,
      ...(action === 'register' ? { customer } : {}),
    };
    setBusy(true);
    setError(undefined);
    try {
      onPreview(request, await call('customers.preview', request));
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel title={t('customers.form.title')} loading={accounts.loading} error={accounts.error}>
      <p className="muted">{t('customers.form.intro')}</p>
      <form className="form" onSubmit={submit} noValidate aria-label={t('customers.form.title')}>
        <div className="field">
          <label htmlFor={ids.action}>{t('customers.form.action')}</label>
          <select
            id={ids.action}
            value={action}
            onChange={(e) => setAction(e.target.value as CustomerAction)}
          >
            {customerActions.map((a) => (
              <option key={a} value={a}>
                {t(`customers.action.${a}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.operator}>{t('customers.form.operator')}</label>
          <select
            id={ids.operator}
            value={operator}
            aria-invalid={shown('operator') ? true : undefined}
            aria-describedby={shown('operator') ? `${ids.operator}-problem` : undefined}
            onChange={(e) => setOperator(e.target.value)}
          >
            <AccountOptions accounts={operators} />
          </select>
          <Problem id={ids.operator} text={shown('operator')} />
        </div>
        <div className="field">
          <label htmlFor={ids.account}>{t('customers.account')}</label>
          <input
            id={ids.account}
            className="mono"
            value={account}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={shown('account') ? true : undefined}
            aria-describedby={shown('account') ? `${ids.account}-problem` : undefined}
            onChange={(e) => setAccount(e.target.value.trim())}
          />
          <Problem id={ids.account} text={shown('account')} />
        </div>
        {action === 'register' ? (
          <div className="field">
            <label htmlFor={ids.customer}>{t('customers.form.customer')}</label>
            <input
              id={ids.customer}
              value={customer}
              spellCheck={false}
              autoComplete="off"
              aria-invalid={shown('customer') ? true : undefined}
              aria-describedby={`${ids.customer}-hint${shown('customer') ? ` ${ids.customer}-problem` : ''}`}
              onChange={(e) => setCustomer(e.target.value)}
            />
            <p id={`${ids.customer}-hint`} className="muted small">
              {t('customers.form.customerHint')}
            </p>
            <Problem id={ids.customer} text={shown('customer')} />
          </div>
        ) : null}
        <CustomerRefusal error={error} />
        <div className="row-actions">
          <button type="submit" disabled={busy}>
            {busy ? t('common.loading') : t('customers.form.review')}
          </button>
        </div>
      </form>
    </Panel>
  );
}

function Problem({ id, text }: { id: string; text: string | undefined }) {
  return text ? (
    <p id={`${id}-problem`} className="field-error">
      {text}
    </p>
  ) : null;
}
