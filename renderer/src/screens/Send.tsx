import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { addressInputSchema, amountInputSchema } from '../../../core/api/chain.js';
import type { SerializedError } from '../../../core/api/errors.js';
import type { ApiResult } from '../../../core/api/methods.js';
import { call, serialized } from '../api.js';
import { AccountOptions } from '../components/AccountOptions.js';
import { CarriedFacts } from '../components/CarriedFacts.js';
import { LedgerDeviceReview } from '../components/LedgerDeviceConfirm.js';
import { Badge, ErrorMessage, Panel } from '../components/Panel.js';
import type { PinRequest } from '../components/PinDialog.js';
import { NamedAddress, NativeFee, Was } from '../components/ReviewParts.js';
import { errorText, formatAmount, shortHex } from '../format.js';
import { useQuery } from '../hooks.js';
import { signReviewed } from '../review.js';

type Preview = ApiResult<'wallet.previewSend'>;
type Sent = ApiResult<'wallet.send'>;
interface Draft {
  from: string;
  to: string;
  amount: string;
  /** A P-256 sender's carrier (an account address); empty: Signet's default. */
  carrier: string;
}

/** The request a draft makes: a carrier only when one was chosen. */
function requestOf({ carrier, ...payment }: Draft) {
  return carrier ? { ...payment, carrier } : payment;
}
type Step =
  | { kind: 'form'; error?: SerializedError }
  | {
      kind: 'review';
      preview: Preview;
      draft: Draft;
      /** Why this review is shown again (it went stale), and the one the user had seen. */
      stale?: { error: SerializedError; before: Preview };
    }
  | { kind: 'done'; sent: Sent };

export function Send({ askPin, onSent }: { askPin(request: PinRequest): void; onSent(): void }) {
  const { t } = useTranslation();
  const [step, setStep] = useState<Step>({ kind: 'form' });
  const [draft, setDraft] = useState<Draft>({ from: '', to: '', amount: '', carrier: '' });

  return (
    <>
      <h1>{t('send.title')}</h1>
      {step.kind === 'form' ? (
        <SendForm
          draft={draft}
          error={step.error}
          onChange={setDraft}
          onPreview={(preview) => setStep({ kind: 'review', preview, draft })}
        />
      ) : step.kind === 'review' ? (
        <Review
          preview={step.preview}
          stale={step.stale}
          onBack={() => setStep({ kind: 'form' })}
          onSign={() =>
            askPin({
              title: t('send.signTitle'),
              description: t('send.reviewIntro'),
              // A Ledger account: no PIN, the device confirms (and shows this hash).
              device: step.preview.deviceConfirm,
              // A P-256 sender's carrier on another token: its PIN is asked too.
              carrier: step.preview.carried?.carrierLogin,
              run: async (pin, carrierPin) => {
                const { draft: reviewed, preview } = step;
                const request = requestOf(reviewed);
                const outcome = await signReviewed(
                  // Signs only what this review showed: its digest goes with the request.
                  () =>
                    call('wallet.send', {
                      ...request,
                      pin,
                      ...(carrierPin ? { carrierPin } : {}),
                      reviewDigest: preview.reviewDigest,
                    }),
                  () => call('wallet.previewSend', request),
                );
                if (outcome.kind === 'signed') {
                  setStep({ kind: 'done', sent: outcome.result });
                  onSent();
                } else if (outcome.kind === 'stale') {
                  setStep({
                    ...step,
                    preview: outcome.fresh,
                    stale: { error: outcome.stale, before: preview },
                  });
                } else setStep({ kind: 'form', error: outcome.problem });
              },
            })
          }
        />
      ) : (
        <Result
          sent={step.sent}
          onAgain={() => {
            setDraft({ ...draft, to: '', amount: '' });
            setStep({ kind: 'form' });
          }}
        />
      )}
    </>
  );
}

function SendForm({
  draft,
  error: initialError,
  onChange,
  onPreview,
}: {
  draft: Draft;
  /** Why the form is back: the payment reviewed can no longer be made. */
  error: SerializedError | undefined;
  onChange(draft: Draft): void;
  onPreview(preview: Preview): void;
}) {
  const { t } = useTranslation();
  const accounts = useQuery('accounts.list', {});
  const [error, setError] = useState<SerializedError | undefined>(initialError);
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);
  const ids = {
    from: useId(),
    to: useId(),
    amount: useId(),
    toHint: useId(),
    amountHint: useId(),
    carrier: useId(),
    carrierHint: useId(),
  };
  const toValid = addressInputSchema.safeParse(draft.to).success;
  const amountValid = amountInputSchema.safeParse(draft.amount).success;
  // A P-256 key cannot sign a ledger transaction: one of the secp256k1 accounts carries it.
  const sender = accounts.data?.find((a) => a.keyUri === draft.from);
  const carriers = (accounts.data ?? []).filter((a) => a.curve === 'secp256k1');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!draft.from || !toValid || !amountValid) return;
    setBusy(true);
    setError(undefined);
    try {
      onPreview(await call('wallet.previewSend', requestOf(draft)));
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel
      title={t('send.title')}
      loading={accounts.loading}
      error={accounts.error}
      onRetry={accounts.reload}
    >
      {accounts.data?.length === 0 ? <p>{t('send.noAccounts')}</p> : null}
      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={ids.from}>{t('send.from')}</label>
          <select
            id={ids.from}
            value={draft.from}
            required
            onChange={(e) => onChange({ ...draft, from: e.target.value, carrier: '' })}
          >
            <AccountOptions accounts={accounts.data} />
          </select>
        </div>
        {sender?.curve === 'p256' ? (
          <div className="field">
            <label htmlFor={ids.carrier}>{t('send.carrier')}</label>
            <select
              id={ids.carrier}
              value={draft.carrier}
              aria-describedby={ids.carrierHint}
              onChange={(e) => onChange({ ...draft, carrier: e.target.value })}
            >
              <option value="">{t('send.carrierDefault')}</option>
              {carriers.map((a) => (
                <option key={a.address} value={a.address}>
                  {a.name} · {shortHex(a.address, 4)}
                </option>
              ))}
            </select>
            <p id={ids.carrierHint} className="muted small">
              {t('send.carrierHint')}
            </p>
          </div>
        ) : null}
        <div className="field">
          <label htmlFor={ids.to}>{t('send.to')}</label>
          <input
            id={ids.to}
            className="mono"
            value={draft.to}
            spellCheck={false}
            autoComplete="off"
            aria-describedby={ids.toHint}
            aria-invalid={touched && !toValid ? true : undefined}
            onChange={(e) => onChange({ ...draft, to: e.target.value.trim() })}
          />
          <p id={ids.toHint} className={touched && !toValid ? 'field-error' : 'muted small'}>
            {touched && !toValid ? t('send.invalidTo') : t('send.toHint')}
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.amount}>{t('send.amount')}</label>
          <input
            id={ids.amount}
            inputMode="decimal"
            value={draft.amount}
            autoComplete="off"
            aria-describedby={ids.amountHint}
            aria-invalid={touched && !amountValid ? true : undefined}
            onChange={(e) => onChange({ ...draft, amount: e.target.value.trim() })}
          />
          <p
            id={ids.amountHint}
            className={touched && !amountValid ? 'field-error' : 'muted small'}
          >
            {touched && !amountValid ? t('send.invalidAmount') : t('send.amountHint')}
          </p>
        </div>
        {error ? <ErrorMessage error={error} /> : null}
        <div className="row-actions">
          <button type="submit" disabled={busy || !draft.from}>
            {busy ? t('common.loading') : t('send.review')}
          </button>
        </div>
      </form>
    </Panel>
  );
}

function Review({
  preview,
  stale,
  onBack,
  onSign,
}: {
  preview: Preview;
  stale: { error: SerializedError; before: Preview } | undefined;
  onBack(): void;
  onSign(): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const named = (address: string) => <NamedAddress address={address} names={preview.names} />;
  const before = stale?.before;
  const fee = (p: Preview) =>
    t('review.fee', { amount: formatAmount(p.fee.max, locale), symbol: p.fee.symbol });
  return (
    <Panel title={t('send.reviewTitle')}>
      {stale ? <ErrorMessage error={stale.error} /> : null}
      <p>{t('send.reviewIntro')}</p>
      <dl className="facts review">
        <dt>{t('send.from')}</dt>
        <dd>{named(preview.from)}</dd>
        <dt>{t('send.to')}</dt>
        <dd>{named(preview.to)}</dd>
        <dt>{t('send.amount')}</dt>
        <dd className="strong">{formatAmount(preview.amount, locale)}</dd>
        <dt>{t('send.fee')}</dt>
        <dd>
          <NativeFee fee={preview.fee} locale={locale} />
          <Was now={fee(preview)} before={before && fee(before)} />
        </dd>
        <dt>{t('send.chain')}</dt>
        <dd>
          {preview.chainId}
          <Was now={String(preview.chainId)} before={before && String(before.chainId)} />
        </dd>
        <dt>{t(preview.carried ? 'send.carrierNonce' : 'send.nonce')}</dt>
        <dd>
          {preview.nonce}
          <Was now={String(preview.nonce)} before={before && String(before.nonce)} />
        </dd>
        <dt>{t('send.txType')}</dt>
        <dd>{preview.type}</dd>
        <dt>{t('send.contract')}</dt>
        <dd>
          {named(preview.contract)}
          <Was now={preview.contract} before={before?.contract} />
        </dd>
        {preview.carried ? (
          <CarriedFacts carried={preview.carried} before={before?.carried} names={preview.names} />
        ) : null}
        <dt>{t('send.availableAfter')}</dt>
        <dd>
          {formatAmount(preview.availableAfter, locale)}
          <Was
            now={formatAmount(preview.availableAfter, locale)}
            before={before && formatAmount(before.availableAfter, locale)}
          />
        </dd>
      </dl>
      {preview.deviceConfirm ? <LedgerDeviceReview confirm={preview.deviceConfirm} /> : null}
      <div className="row-actions">
        <button type="button" className="secondary" onClick={onBack}>
          {t('common.back')}
        </button>
        <button type="button" onClick={onSign}>
          {t('send.sign')}
        </button>
      </div>
    </Panel>
  );
}

function Result({ sent, onAgain }: { sent: Sent; onAgain(): void }) {
  const { t, i18n } = useTranslation();
  const tx = sent.transactions.at(-1);
  const status = tx?.status ?? 'signed';
  const message =
    status === 'confirmed' || status === 'included'
      ? t('send.confirmed')
      : status === 'sent'
        ? t('send.sent')
        : status === 'failed' || status === 'replaced'
          ? t('send.failed')
          : t('send.queued');
  return (
    <Panel title={t('send.resultTitle')}>
      <p role="status" className="strong">
        <Badge tone={status === 'failed' ? 'bad' : status === 'confirmed' ? 'ok' : 'info'}>
          {t(`outbox.txStatus.${status}`)}
        </Badge>{' '}
        {message}
      </p>
      {sent.sync && 'error' in sent.sync ? (
        <p className="muted">
          {t('send.syncError', {
            error: errorText(t, { code: sent.sync.code, message: sent.sync.error }),
          })}
        </p>
      ) : null}
      {tx ? (
        <dl className="facts">
          <dt>{t('send.txHash')}</dt>
          <dd className="mono">{tx.txHash}</dd>
          <dt>{t('send.amount')}</dt>
          <dd>{formatAmount(tx.amount, i18n.language)}</dd>
          <dt>{t('send.nonce')}</dt>
          <dd>{tx.nonce}</dd>
        </dl>
      ) : null}
      <div className="row-actions">
        <button type="button" onClick={onAgain}>
          {t('send.another')}
        </button>
      </div>
    </Panel>
  );
}
