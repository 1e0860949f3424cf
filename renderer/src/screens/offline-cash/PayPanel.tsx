/**
 * Paying offline cash. The payer scans the payee's payment request (or opens
 * its file); the screen shows what the purse would pay (payee, amount, and
 * the payments and amount left after), and only then asks the PIN: the purse
 * key on the token signs the voucher Signet built, naming that review. The
 * payment is shown as a QR code (animated when it needs several frames) and
 * offered as a file, for the payee to scan or load.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiRequest, ApiResult } from '../../../../core/api/methods.js';
import { call, serialized } from '../../api.js';
import { Panel } from '../../components/Panel.js';
import type { PinRequest } from '../../components/PinDialog.js';
import { formatAmount, formatNumber } from '../../format.js';
import { signReviewed } from '../../review.js';
import { Refusal } from '../treasury/Refusal.js';
import { PartsQr } from './PartsQr.js';
import { type Decoded, PartsScanner } from './PartsScanner.js';
import { purseErrorText } from './purse-text.js';
import { OpenFile, SaveLink } from './TransitFile.js';

type RequestInput = ApiRequest<'purse.payPreview'>['request'];
type Preview = Extract<ApiResult<'purse.payPreview'>, { complete: true }>;
type Paid = ApiResult<'purse.pay'>;

type Step =
  | { kind: 'start' }
  | { kind: 'scan' }
  | { kind: 'review'; request: RequestInput; preview: Preview; stale?: SerializedError }
  | { kind: 'paid'; paid: Paid };

export function PayPanel({
  account,
  askPin,
  onChanged,
}: {
  /** The paying account (its open purse). */
  account: string;
  askPin(request: PinRequest): void;
  onChanged(): void;
}) {
  const { t, i18n } = useTranslation();
  const [step, setStep] = useState<Step>({ kind: 'start' });
  const [error, setError] = useState<SerializedError>();
  const payer = account ? { account } : {};

  const preview = async (request: RequestInput) => {
    setError(undefined);
    try {
      const result = await call('purse.payPreview', { request, ...payer });
      if (result.complete) setStep({ kind: 'review', request, preview: result });
    } catch (caught) {
      setError(serialized(caught));
      setStep({ kind: 'start' });
    }
  };

  const decode = async (
    parts: string[],
  ): Promise<Decoded<{ request: RequestInput; preview: Preview }>> => {
    const request = { parts };
    const result = await call('purse.payPreview', { request, ...payer });
    return result.complete ? { complete: true, value: { request, preview: result } } : result;
  };

  const pay = (request: RequestInput, shown: Preview) =>
    askPin({
      title: t('offlineCash.pay.pinTitle'),
      description: t('offlineCash.pay.pinIntro', {
        amount: formatAmount(shown.amount, i18n.language),
        payee: shown.payee,
      }),
      run: async (pin) => {
        let outcome: Awaited<ReturnType<typeof signReviewed<Paid, ApiResult<'purse.payPreview'>>>>;
        try {
          outcome = await signReviewed(
            () =>
              call('purse.pay', {
                request,
                ...payer,
                reviewDigest: shown.reviewDigest,
                ...(pin ? { pin } : {}),
              }),
            () => call('purse.payPreview', { request, ...payer }),
          );
        } catch (caught) {
          const problem = serialized(caught);
          // A wrong PIN stays in the dialog; a refusal (limits, a mismatch) goes on the review.
          if (problem.code.startsWith('PIN_')) throw caught;
          setError(problem);
          return;
        }
        if (outcome.kind === 'signed') {
          setError(undefined);
          setStep({ kind: 'paid', paid: outcome.result });
          onChanged();
        } else if (outcome.kind === 'stale' && outcome.fresh.complete) {
          setStep({ kind: 'review', request, preview: outcome.fresh, stale: outcome.stale });
        } else {
          setError(outcome.kind === 'gone' ? outcome.problem : outcome.stale);
          setStep({ kind: 'start' });
        }
      },
    });

  return (
    <Panel title={t('offlineCash.pay.title')}>
      {step.kind === 'start' || step.kind === 'scan' ? (
        <>
          <p className="muted">{t('offlineCash.pay.intro')}</p>
          {step.kind === 'scan' ? (
            <PartsScanner
              camera={t('offlineCash.pay.camera')}
              foreign={t('offlineCash.scan.foreignRequest')}
              decode={decode}
              onDone={({ request, preview: shown }) =>
                setStep({ kind: 'review', request, preview: shown })
              }
              onRefused={(e) => {
                setError(e);
                setStep({ kind: 'start' });
              }}
              onCancel={() => setStep({ kind: 'start' })}
            />
          ) : (
            <div className="row-actions start">
              <button
                type="button"
                onClick={() => {
                  setError(undefined);
                  setStep({ kind: 'scan' });
                }}
              >
                {t('offlineCash.pay.scan')}
              </button>
            </div>
          )}
          <OpenFile
            label={t('offlineCash.pay.file')}
            accept=".signet-request,application/json"
            onText={(text) => void preview({ text })}
          />
        </>
      ) : step.kind === 'review' ? (
        <PayReview
          preview={step.preview}
          stale={step.stale}
          onBack={() => setStep({ kind: 'start' })}
          onPay={() => pay(step.request, step.preview)}
        />
      ) : (
        <PaidResult paid={step.paid} onDone={() => setStep({ kind: 'start' })} />
      )}
      {error ? <Refusal error={error} text={purseErrorText(t, error)} /> : null}
    </Panel>
  );
}

function PayReview({
  preview,
  stale,
  onBack,
  onPay,
}: {
  preview: Preview;
  stale: SerializedError | undefined;
  onBack(): void;
  onPay(): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const amount = (text: string) => formatAmount(text, locale);
  // The preview's purse is as it will be once this payment is made.
  const { purse } = preview;
  const leftAfter = purse.paymentsLeft;
  return (
    <section className="review-item" aria-label={t('offlineCash.pay.reviewTitle')}>
      <h3>{t('offlineCash.pay.reviewTitle')}</h3>
      <p>{t('offlineCash.pay.reviewIntro')}</p>
      {stale ? (
        <p className="banner" role="status">
          {t('offlineCash.pay.stale')}
        </p>
      ) : null}
      <dl className="facts review" data-review="payment">
        <dt>{t('offlineCash.pay.payee')}</dt>
        <dd className="mono break">{preview.payee}</dd>
        <dt>{t('offlineCash.pay.amount')}</dt>
        <dd className="strong">{amount(preview.amount)}</dd>
        {preview.memo ? (
          <>
            <dt>{t('offlineCash.pay.memo')}</dt>
            <dd>{preview.memo}</dd>
          </>
        ) : null}
        <dt>{t('offlineCash.pay.leftAfter')}</dt>
        <dd>
          {t('offlineCash.purse.paymentsLeftValue', {
            count: leftAfter,
            n: formatNumber(leftAfter, locale),
            amount: amount(purse.amountLeft),
          })}
        </dd>
        <dt>{t('offlineCash.pay.counter')}</dt>
        <dd>
          {t('offlineCash.pay.counterValue', {
            counter: formatNumber(preview.counter, locale),
            max: formatNumber(purse.maxCount, locale),
          })}
        </dd>
        <dt>{t('offlineCash.pay.chain')}</dt>
        <dd>{preview.chainId}</dd>
        <dt>{t('offlineCash.purse.address')}</dt>
        <dd className="mono small break">{purse.purse}</dd>
      </dl>
      <div className="row-actions start">
        <button type="button" className="secondary" onClick={onBack}>
          {t('common.back')}
        </button>
        <button type="button" onClick={onPay}>
          {t('offlineCash.pay.button')}
        </button>
      </div>
    </section>
  );
}

function PaidResult({ paid, onDone }: { paid: Paid; onDone(): void }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const { voucher } = paid;
  return (
    <section className="review-item" aria-label={t('offlineCash.pay.paidTitle')}>
      <h3>{t('offlineCash.pay.paidTitle')}</h3>
      <p className="strong" role="status">
        {t('offlineCash.pay.paid', {
          amount: formatAmount(voucher.amount, locale),
          payee: voucher.payee,
        })}
      </p>
      <p className="muted small">{t('offlineCash.pay.paidHint')}</p>
      <PartsQr parts={paid.payment.parts} label={t('offlineCash.pay.qrLabel')} />
      <div className="row-actions start">
        <SaveLink
          text={paid.payment.text}
          fileName={`${voucher.purse}-${voucher.counter}.signet-payment`}
          label={t('offlineCash.pay.save')}
        />
        <button type="button" className="secondary" onClick={onDone}>
          {t('offlineCash.pay.done')}
        </button>
      </div>
    </section>
  );
}
