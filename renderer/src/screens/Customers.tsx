/**
 * Customers (issue 12 §1): the operator bank's registry. Look up an account's
 * standing; register an account under a customer reference (only its hash goes
 * on chain), freeze or unfreeze it, each as form → review of exactly what the
 * operator's token signs → PIN → result. Signing names the review's digest, so
 * the token signs what was reviewed or nothing (REVIEW_STALE: reviewed again).
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import { call } from '../api.js';
import type { PinRequest } from '../components/PinDialog.js';
import { signReviewed } from '../review.js';
import {
  CustomerForm,
  type CustomerPreview,
  type CustomerRequest,
} from './customers/CustomerForm.js';
import { CustomerResult, type CustomerSigned } from './customers/CustomerResult.js';
import { CustomerReview } from './customers/CustomerReview.js';
import { StandingPanel } from './customers/StandingPanel.js';

type Step =
  | { kind: 'form'; request?: CustomerRequest; error?: SerializedError }
  | { kind: 'review'; request: CustomerRequest; preview: CustomerPreview; stale?: SerializedError }
  | { kind: 'done'; result: CustomerSigned };

/** The signing call of each action, with the PIN and the reviewed digest. */
function signCall(request: CustomerRequest, reviewDigest: string, pin: string | undefined) {
  const { action, operator, account, customer } = request;
  const common = { operator, account, reviewDigest, ...(pin ? { pin } : {}) };
  return action === 'register'
    ? call('customers.register', { ...common, customer: customer ?? '' })
    : call(`customers.${action}`, common);
}

export function Customers({
  refreshKey,
  askPin,
  onChanged,
}: {
  refreshKey: number;
  askPin(request: PinRequest): void;
  onChanged(): void;
}) {
  const { t } = useTranslation();
  const [step, setStep] = useState<Step>({ kind: 'form' });
  const [looked, setLooked] = useState<string>();

  const sign = (request: CustomerRequest, preview: CustomerPreview) =>
    askPin({
      title: t('customers.review.pinTitle', { action: t(`customers.action.${request.action}`) }),
      description: t('customers.review.intro'),
      // A Ledger operator key: no PIN, the device confirms.
      device: preview.deviceConfirm,
      run: async (pin) => {
        const outcome = await signReviewed(
          () => signCall(request, preview.reviewDigest, pin),
          () => call('customers.preview', request),
        );
        if (outcome.kind === 'signed') {
          setStep({ kind: 'done', result: outcome.result });
          setLooked(outcome.result.review.account);
          onChanged();
        } else if (outcome.kind === 'stale') {
          setStep({ kind: 'review', request, preview: outcome.fresh, stale: outcome.stale });
        } else setStep({ kind: 'form', request, error: outcome.problem });
      },
    });

  return (
    <>
      <h1>{t('customers.title')}</h1>
      <p className="muted">{t('customers.intro')}</p>
      {step.kind === 'form' ? (
        <CustomerForm
          initial={step.request}
          error={step.error}
          onPreview={(request, preview) => setStep({ kind: 'review', request, preview })}
        />
      ) : step.kind === 'review' ? (
        <CustomerReview
          preview={step.preview}
          stale={step.stale}
          onBack={() => setStep({ kind: 'form', request: step.request })}
          onSign={() => sign(step.request, step.preview)}
        />
      ) : (
        <CustomerResult result={step.result} onDone={() => setStep({ kind: 'form' })} />
      )}
      <StandingPanel refreshKey={refreshKey} account={looked} />
    </>
  );
}
