/**
 * Opening a purse (online): how much to lock, the most one payment may pay,
 * how many payments, for how many days. The operator bank certifies it; the
 * account's token makes the purse key and signs the transactions that lock the
 * money, after the PIN.
 */
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import { MAX_PURSE_COUNT, MAX_PURSE_VALIDITY_SECONDS } from '../../../../core/api/purse.js';
import { call, serialized } from '../../api.js';
import { Panel } from '../../components/Panel.js';
import type { PinRequest } from '../../components/PinDialog.js';
import { formatAmount } from '../../format.js';
import { Refusal } from '../treasury/Refusal.js';
import { purseErrorText, type Said } from './purse-text.js';

const AMOUNT = /^\d{1,60}(\.\d{1,2})?$/;
const DAY = 24 * 3600;
const MAX_DAYS = Math.floor(MAX_PURSE_VALIDITY_SECONDS / DAY);

type Field = 'locked' | 'cap' | 'count' | 'days';

export function OpenPurse({
  accountKey,
  askPin,
  onOpened,
}: {
  /** The owner's key (pkcs11: URI): the purse key is made on its token. */
  accountKey: string;
  askPin(request: PinRequest): void;
  /** Opened: what to tell the holder (this form goes once the purse exists). */
  onOpened(message: Said): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const id = { locked: useId(), cap: useId(), count: useId(), days: useId() };
  const [values, setValues] = useState<Record<Field, string>>({
    locked: '',
    cap: '',
    count: '10',
    days: '7',
  });
  const [invalid, setInvalid] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<SerializedError>();

  const check = (): Partial<Record<Field, string>> => {
    const problems: Partial<Record<Field, string>> = {};
    if (!AMOUNT.test(values.locked.trim())) problems.locked = t('offlineCash.amountInvalid');
    if (!AMOUNT.test(values.cap.trim())) problems.cap = t('offlineCash.amountInvalid');
    const count = Number(values.count);
    if (!Number.isInteger(count) || count < 1 || count > MAX_PURSE_COUNT)
      problems.count = t('offlineCash.open.countInvalid', { max: MAX_PURSE_COUNT });
    const days = Number(values.days);
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS)
      problems.days = t('offlineCash.open.daysInvalid', { max: MAX_DAYS });
    return problems;
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problems = check();
    setInvalid(problems);
    if (Object.keys(problems).length > 0) return;
    const request = {
      account: accountKey,
      locked: values.locked.trim(),
      cap: values.cap.trim(),
      maxCount: Number(values.count),
      validitySeconds: Number(values.days) * DAY,
    };
    askPin({
      title: t('offlineCash.open.pinTitle'),
      description: t('offlineCash.open.pinIntro', {
        amount: formatAmount(request.locked, locale),
      }),
      run: async (pin) => {
        try {
          const result = await call('purse.open', { ...request, ...(pin ? { pin } : {}) });
          setError(undefined);
          // Opened on chain, but the operator's certificate not fetched yet: say so.
          const said =
            result.purse.state === 'awaiting-certificate'
              ? 'offlineCash.open.awaiting'
              : 'offlineCash.open.done';
          onOpened((tr, lng) => tr(said, { amount: formatAmount(result.purse.locked, lng) }));
        } catch (caught) {
          const problem = serialized(caught);
          // A wrong PIN stays in the dialog; any other refusal goes on the form.
          if (problem.code.startsWith('PIN_')) throw caught;
          setError(problem);
        }
      },
    });
  };

  const field = (name: Field, label: string, inputMode: 'decimal' | 'numeric') => (
    <div className="field">
      <label htmlFor={id[name]}>{label}</label>
      <input
        id={id[name]}
        inputMode={inputMode}
        autoComplete="off"
        value={values[name]}
        aria-invalid={invalid[name] ? true : undefined}
        aria-describedby={invalid[name] ? `${id[name]}-error` : undefined}
        onChange={(e) => setValues({ ...values, [name]: e.target.value })}
      />
      {invalid[name] ? (
        <p id={`${id[name]}-error`} className="field-error">
          {invalid[name]}
        </p>
      ) : null}
    </div>
  );

  return (
    <Panel title={t('offlineCash.open.title')}>
      <form className="form" aria-label={t('offlineCash.open.title')} onSubmit={submit} noValidate>
        <p className="muted">{t('offlineCash.open.intro')}</p>
        {field('locked', t('offlineCash.open.locked'), 'decimal')}
        {field('cap', t('offlineCash.open.cap'), 'decimal')}
        {field('count', t('offlineCash.open.count'), 'numeric')}
        {field('days', t('offlineCash.open.days'), 'numeric')}
        <div className="row-actions start">
          <button type="submit" disabled={!accountKey}>
            {t('offlineCash.open.button')}
          </button>
        </div>
        {error ? <Refusal error={error} text={purseErrorText(t, error)} /> : null}
      </form>
    </Panel>
  );
}
