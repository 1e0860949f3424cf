/**
 * Provisioning (issue 12): a branch's batch of customers' tokens from a CSV,
 * reviewed before any token is touched, run with the operator's PIN and the
 * bank's SO PIN, its progress shown row by row, and its report in words.
 *
 * The screen is a list of sections: the batch is one; the counter's work
 * (a lost token replaced, a locked PIN reset) joins it as another.
 */
import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import type { ProvisionProgress } from '../../../core/api/events.js';
import type { ApiResult } from '../../../core/api/methods.js';
import type { ProvisionPreview } from '../../../core/api/provisioning.js';
import { call, serialized, subscribe } from '../api.js';
import { ErrorMessage } from '../components/Panel.js';
import type { PinRequest } from '../components/PinDialog.js';
import { type BatchInput, BatchPanel } from './provisioning/BatchPanel.js';
import { BatchPinDialog } from './provisioning/BatchPinDialog.js';
import { BatchProgress } from './provisioning/BatchProgress.js';
import { BatchReport } from './provisioning/BatchReport.js';
import { BatchReview } from './provisioning/BatchReview.js';
import { CounterPanelWithTokens } from './provisioning/CounterPanel.js';

export function Provisioning({
  askPin,
  onChanged,
}: {
  askPin: (request: PinRequest) => void;
  onChanged(): void;
}) {
  const { t } = useTranslation();
  const sections: Array<{ key: string; node: ReactNode }> = [
    { key: 'batch', node: <BatchSection onChanged={onChanged} /> },
    { key: 'counter', node: <CounterPanelWithTokens askPin={askPin} /> },
  ];
  return (
    <>
      <h1>{t('provisioning.title')}</h1>
      {sections.map((s) => (
        <div key={s.key} className="provisioning-section">
          {s.node}
        </div>
      ))}
    </>
  );
}

type Step =
  | { kind: 'input' }
  | { kind: 'review'; review: ProvisionPreview }
  | { kind: 'running'; review: ProvisionPreview }
  | { kind: 'report'; result: ApiResult<'provision.start'> };

function BatchSection({ onChanged }: { onChanged(): void }) {
  const [input, setInput] = useState<BatchInput | null>(null);
  const [step, setStep] = useState<Step>({ kind: 'input' });
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SerializedError>();
  const [progress, setProgress] = useState<ProvisionProgress | null>(null);

  useEffect(
    () =>
      subscribe((event) => {
        // Never backwards: a late event cannot move the bar back.
        if (event.type === 'provision.progress')
          setProgress((p) => (p && p.done > event.payload.done ? p : event.payload));
      }),
    [],
  );

  const review = async (next: BatchInput) => {
    setInput(next);
    setBusy(true);
    setError(undefined);
    try {
      setStep({ kind: 'review', review: await call('provision.preview', next) });
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  const start = async (shown: ProvisionPreview, pin: string, soPin: string) => {
    if (!input) return;
    setAsking(false);
    setError(undefined);
    setProgress(null);
    setStep({ kind: 'running', review: shown });
    try {
      const result = await call('provision.start', {
        ...input,
        reviewDigest: shown.reviewDigest,
        pin,
        soPin,
      });
      setStep({ kind: 'report', result });
      onChanged();
    } catch (caught) {
      setError(serialized(caught));
      // The batch moved since it was shown (its file, the ledger): show it as it is now.
      const fresh =
        serialized(caught).code === 'REVIEW_STALE'
          ? await call('provision.preview', input).catch(() => shown)
          : shown;
      setStep({ kind: 'review', review: fresh });
    }
  };

  return (
    <>
      {error ? <ErrorMessage error={error} /> : null}
      {step.kind === 'input' ? <BatchPanel initial={input} busy={busy} onReview={review} /> : null}
      {step.kind === 'review' ? (
        <>
          <BatchReview
            review={step.review}
            busy={busy}
            onBack={() => {
              setError(undefined);
              setStep({ kind: 'input' });
            }}
            onStart={() => setAsking(true)}
          />
          <BatchPinDialog
            open={asking}
            rows={step.review.rows.length}
            onCancel={() => setAsking(false)}
            onSubmit={(pin, soPin) => void start(step.review, pin, soPin)}
          />
        </>
      ) : null}
      {step.kind === 'running' ? (
        <BatchProgress
          progress={progress}
          rows={step.review.rows.length + step.review.refusals.length}
        />
      ) : null}
      {step.kind === 'report' ? (
        <BatchReport
          result={step.result}
          onAgain={() => {
            setInput(null);
            setStep({ kind: 'input' });
          }}
        />
      ) : null}
    </>
  );
}
