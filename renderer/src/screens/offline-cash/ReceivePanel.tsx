/**
 * Receiving offline cash. The payee types an amount: the screen shows the
 * payment request as a QR code (and a file) for the payer to scan. Then the
 * payer's payment comes in by the camera or as a file, and the screen says at
 * once, in a live region, whether the voucher is good: accepted (pending
 * income until settled), or refused with the one check that failed, in which
 * case nothing was stored.
 */
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiResult } from '../../../../core/api/methods.js';
import { call, serialized } from '../../api.js';
import { Panel } from '../../components/Panel.js';
import { formatAmount } from '../../format.js';
import { Refusal } from '../treasury/Refusal.js';
import { PartsQr } from './PartsQr.js';
import { type Decoded, PartsScanner } from './PartsScanner.js';
import { purseErrorText } from './purse-text.js';
import { OpenFile, SaveLink } from './TransitFile.js';

type Requested = ApiResult<'purse.request'>;
type Received = Extract<ApiResult<'purse.receive'>, { complete: true }>;
type Verdict =
  | { kind: 'accepted'; received: Received }
  | { kind: 'refused'; error: SerializedError };

const AMOUNT = /^\d{1,60}(\.\d{1,2})?$/;

export function ReceivePanel({ account, onChanged }: { account: string; onChanged(): void }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const ids = { amount: useId(), memo: useId(), amountError: useId() };
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const [invalid, setInvalid] = useState(false);
  const [requested, setRequested] = useState<Requested>();
  const [error, setError] = useState<SerializedError>();
  const [scanning, setScanning] = useState(false);
  const [verdict, setVerdict] = useState<Verdict>();
  const [busy, setBusy] = useState(false);

  const ask = async (event: FormEvent) => {
    event.preventDefault();
    if (!AMOUNT.test(amount.trim())) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    setBusy(true);
    setError(undefined);
    setVerdict(undefined);
    try {
      setRequested(
        await call('purse.request', {
          account,
          amount: amount.trim(),
          ...(memo.trim() ? { memo: memo.trim() } : {}),
        }),
      );
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  const judged = (next: Verdict) => {
    setScanning(false);
    setVerdict(next);
    if (next.kind === 'accepted') onChanged();
  };

  const decode = async (parts: string[]): Promise<Decoded<Received>> => {
    const result = await call('purse.receive', { payment: { parts } });
    return result.complete ? { complete: true, value: result } : result;
  };

  const fromFile = async (text: string) => {
    setScanning(false);
    setVerdict(undefined);
    try {
      const result = await call('purse.receive', { payment: { text } });
      if (result.complete) judged({ kind: 'accepted', received: result });
    } catch (caught) {
      judged({ kind: 'refused', error: serialized(caught) });
    }
  };

  const again = () => {
    setRequested(undefined);
    setVerdict(undefined);
    setScanning(false);
    setAmount('');
    setMemo('');
  };

  return (
    <Panel title={t('offlineCash.receive.title')}>
      {!requested ? (
        <form
          className="form"
          aria-label={t('offlineCash.receive.formLabel')}
          onSubmit={ask}
          noValidate
        >
          <p className="muted">{t('offlineCash.receive.intro')}</p>
          <div className="field">
            <label htmlFor={ids.amount}>{t('offlineCash.receive.amount')}</label>
            <input
              id={ids.amount}
              inputMode="decimal"
              autoComplete="off"
              value={amount}
              aria-invalid={invalid || undefined}
              aria-describedby={invalid ? ids.amountError : undefined}
              onChange={(e) => setAmount(e.target.value)}
            />
            {invalid ? (
              <p id={ids.amountError} className="field-error">
                {t('offlineCash.amountInvalid')}
              </p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor={ids.memo}>{t('offlineCash.receive.memo')}</label>
            <input
              id={ids.memo}
              maxLength={140}
              autoComplete="off"
              value={memo}
              onChange={(e) => setMemo(e.target.value)}
            />
          </div>
          <div className="row-actions start">
            <button type="submit" disabled={busy || !account}>
              {t('offlineCash.receive.ask')}
            </button>
          </div>
          {error ? <Refusal error={error} text={purseErrorText(t, error)} /> : null}
        </form>
      ) : (
        <>
          <section className="review-item" aria-label={t('offlineCash.receive.requestTitle')}>
            <h3>{t('offlineCash.receive.requestTitle')}</h3>
            <p data-request-amount={requested.amount}>
              {t('offlineCash.receive.requestFor', {
                amount: formatAmount(requested.amount, locale),
                payee: requested.payee,
              })}
            </p>
            <PartsQr parts={requested.parts} label={t('offlineCash.receive.qrLabel')} />
            <div className="row-actions start">
              <SaveLink
                text={requested.text}
                fileName={`${requested.payee}-${requested.amount}.signet-request`}
                label={t('offlineCash.receive.save')}
              />
            </div>
          </section>
          <section className="review-item" aria-label={t('offlineCash.receive.paymentTitle')}>
            <h3>{t('offlineCash.receive.paymentTitle')}</h3>
            {scanning ? (
              <PartsScanner
                camera={t('offlineCash.receive.camera')}
                foreign={t('offlineCash.scan.foreignPayment')}
                decode={decode}
                onDone={(received) => judged({ kind: 'accepted', received })}
                onRefused={(e) => judged({ kind: 'refused', error: e })}
                onCancel={() => setScanning(false)}
              />
            ) : (
              <div className="row-actions start">
                <button
                  type="button"
                  onClick={() => {
                    setVerdict(undefined);
                    setScanning(true);
                  }}
                >
                  {t('offlineCash.receive.scan')}
                </button>
              </div>
            )}
            <OpenFile
              label={t('offlineCash.receive.file')}
              accept=".signet-payment,application/json"
              onText={(text) => void fromFile(text)}
            />
            <VerdictLine verdict={verdict} />
            <div className="row-actions start">
              <button type="button" className="secondary" onClick={again}>
                {t('offlineCash.receive.another')}
              </button>
            </div>
          </section>
        </>
      )}
    </Panel>
  );
}

/** The live region that says whether the payment was taken: always there, so it is announced. */
function VerdictLine({ verdict }: { verdict: Verdict | undefined }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  let text = '';
  if (verdict?.kind === 'accepted') {
    const { voucher, alreadyHeld, pendingIncome } = verdict.received;
    text = alreadyHeld
      ? t('offlineCash.receive.alreadyHeld', { amount: formatAmount(voucher.amount, locale) })
      : t('offlineCash.receive.accepted', {
          amount: formatAmount(voucher.amount, locale),
          pending: formatAmount(pendingIncome, locale),
        });
  } else if (verdict?.kind === 'refused') {
    text = t('offlineCash.receive.refused', { reason: purseErrorText(t, verdict.error) });
  }
  return (
    <p
      className={verdict?.kind === 'refused' ? 'field-error verdict' : 'strong verdict'}
      role="status"
      aria-live="polite"
      data-verdict={verdict?.kind ?? ''}
      title={verdict?.kind === 'refused' ? verdict.error.message : undefined}
    >
      {text}
    </p>
  );
}
