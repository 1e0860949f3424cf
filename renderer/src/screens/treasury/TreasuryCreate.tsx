/**
 * Creating a treasury: its name, its owners (the wallet's own accounts ticked,
 * and anyone else's address typed), how many of them must approve, and the
 * account that sends the deployment. As the form is filled, the server predicts
 * the treasury offline (`treasury.predict`: CREATE2 through Safe's proxy
 * factory, under a salt nonce it picks once) and the form shows it before
 * Create: the address, the owners as the Safe will store them, named, and M of
 * N. Create names that prediction's salt and review digest, so the server
 * creates exactly the treasury shown or nothing (REVIEW_STALE).
 */
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { addressInputSchema } from '../../../../core/api/chain.js';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiResult } from '../../../../core/api/methods.js';
import { call, serialized } from '../../api.js';
import { AccountOptions } from '../../components/AccountOptions.js';
import { Badge, Panel } from '../../components/Panel.js';
import type { PinRequest } from '../../components/PinDialog.js';
import { NamedAddress } from '../../components/ReviewParts.js';
import { useQuery } from '../../hooks.js';
import { Refusal } from './Refusal.js';
import { withPin } from './with-pin.js';

type Created = ApiResult<'treasury.create'>;
type Predicted = ApiResult<'treasury.predict'>;

/** How long the form rests before it asks for a prediction (ms). */
const PREDICT_DELAY = 250;

/** The typed addresses: one per line (commas and spaces also separate them). */
function typedOwners(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function TreasuryCreate({
  offline,
  askPin,
  onCreated,
  onOpen,
}: {
  offline: boolean;
  askPin(request: PinRequest): void;
  onCreated(): void;
  onOpen(address: string): void;
}) {
  const { t } = useTranslation();
  const accounts = useQuery('accounts.list', {});
  const own = (accounts.data ?? []).filter((a) => a.curve === 'secp256k1');
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [typed, setTyped] = useState('');
  const [threshold, setThreshold] = useState('1');
  const [from, setFrom] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SerializedError>();
  const [created, setCreated] = useState<Created>();
  /** The prediction, and the form it was made for (`key`): Create sends only a current one. */
  const [predicted, setPredicted] = useState<{ key: string; result: Predicted }>();
  const [predictError, setPredictError] = useState<SerializedError>();
  /** The salt nonce the first prediction picked: kept, so only the form moves the address. */
  const salt = useRef<string | undefined>(undefined);
  const ids = {
    name: useId(),
    typed: useId(),
    typedHint: useId(),
    threshold: useId(),
    from: useId(),
    legend: useId(),
  };

  const others = typedOwners(typed);
  const badTyped = others.filter((a) => !addressInputSchema.safeParse(a).success);
  const owners = [...picked, ...others];
  const n = Number(threshold);
  const thresholdValid = Number.isInteger(n) && n >= 1 && n <= Math.max(1, owners.length);
  const valid =
    name.trim().length > 0 &&
    owners.length > 0 &&
    badTyped.length === 0 &&
    thresholdValid &&
    !!from;
  const request = { name: name.trim(), owners, threshold: n, from };
  const key = JSON.stringify(request);
  const current = valid && predicted?.key === key ? predicted.result : undefined;

  // Predicts once the form rests; an answer for a form since changed is dropped.
  useEffect(() => {
    if (!valid) {
      setPredictError(undefined);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      const params = JSON.parse(key) as typeof request;
      call('treasury.predict', { ...params, ...(salt.current ? { saltNonce: salt.current } : {}) })
        .then((result) => {
          if (!live) return;
          salt.current = result.saltNonce;
          setPredicted({ key, result });
          setPredictError(undefined);
        })
        .catch((caught: unknown) => {
          if (live) setPredictError(serialized(caught));
        });
    }, PREDICT_DELAY);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, valid]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!valid || busy || !current) return;
    setBusy(true);
    setError(undefined);
    try {
      await withPin(
        askPin,
        { title: t('treasury.create.pinTitle'), description: t('treasury.create.pinIntro') },
        (pin) =>
          call('treasury.create', {
            ...request,
            saltNonce: current.saltNonce,
            reviewDigest: current.reviewDigest,
            offline,
            ...(pin ? { pin } : {}),
          }),
        (result) => {
          setCreated(result);
          onCreated();
        },
      );
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    const tx = created.transactions.at(-1);
    return (
      <Panel title={t('treasury.create.resultTitle')}>
        <p role="status" className="strong">
          <Badge tone={tx?.status === 'failed' ? 'bad' : 'info'}>
            {t(`outbox.txStatus.${tx?.status ?? 'signed'}`)}
          </Badge>{' '}
          {t('treasury.create.done', { name: created.treasury.name })}
        </p>
        <dl className="facts">
          <dt>{t('treasury.create.predicted')}</dt>
          <dd className="mono" data-predicted={created.treasury.address}>
            {created.treasury.address}
          </dd>
          <dt>{t('treasury.threshold')}</dt>
          <dd>
            {t('treasury.thresholdOf', {
              threshold: created.treasury.threshold,
              owners: created.treasury.owners.length,
            })}
          </dd>
          {tx ? (
            <>
              <dt>{t('send.txHash')}</dt>
              <dd className="mono">{tx.txHash}</dd>
            </>
          ) : null}
        </dl>
        <p className="muted small">{t('treasury.create.predictedHint')}</p>
        <div className="row-actions">
          <button type="button" onClick={() => onOpen(created.treasury.address)}>
            {t('treasury.openNamed', { name: created.treasury.name })}
          </button>
        </div>
      </Panel>
    );
  }

  return (
    <Panel
      title={t('treasury.create.title')}
      loading={accounts.loading}
      error={accounts.error}
      onRetry={accounts.reload}
    >
      <form className="form" onSubmit={submit} noValidate aria-label={t('treasury.create.title')}>
        <div className="field">
          <label htmlFor={ids.name}>{t('treasury.name')}</label>
          <input
            id={ids.name}
            value={name}
            maxLength={64}
            autoComplete="off"
            aria-invalid={touched && !name.trim() ? true : undefined}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <fieldset className="field owners" aria-describedby={ids.legend}>
          <legend>{t('treasury.create.owners')}</legend>
          <p id={ids.legend} className="muted small">
            {t('treasury.create.ownersHint')}
          </p>
          {own.map((a) => (
            <label key={a.keyUri} className="check">
              <input
                type="checkbox"
                checked={picked.includes(a.keyUri)}
                onChange={(e) =>
                  setPicked(
                    e.target.checked
                      ? [...picked, a.keyUri]
                      : picked.filter((uri) => uri !== a.keyUri),
                  )
                }
              />
              <span>
                {a.name} · <span className="mono">{a.address}</span>
              </span>
            </label>
          ))}
          <label htmlFor={ids.typed}>{t('treasury.create.typed')}</label>
          <textarea
            id={ids.typed}
            className="mono"
            rows={3}
            spellCheck={false}
            value={typed}
            aria-describedby={ids.typedHint}
            aria-invalid={badTyped.length > 0 ? true : undefined}
            onChange={(e) => setTyped(e.target.value)}
          />
          <p id={ids.typedHint} className={badTyped.length > 0 ? 'field-error' : 'muted small'}>
            {badTyped.length > 0
              ? t('treasury.create.badTyped', { address: badTyped[0] })
              : t('treasury.create.typedHint')}
          </p>
          {touched && owners.length === 0 ? (
            <p className="field-error">{t('treasury.create.noOwners')}</p>
          ) : null}
        </fieldset>
        <div className="field">
          <label htmlFor={ids.threshold}>{t('treasury.create.threshold')}</label>
          <input
            id={ids.threshold}
            type="number"
            min={1}
            max={Math.max(1, owners.length)}
            value={threshold}
            aria-invalid={touched && !thresholdValid ? true : undefined}
            onChange={(e) => setThreshold(e.target.value)}
          />
          <p className={touched && !thresholdValid ? 'field-error' : 'muted small'}>
            {t('treasury.create.thresholdHint', { owners: owners.length })}
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.from}>{t('treasury.create.from')}</label>
          <select id={ids.from} value={from} onChange={(e) => setFrom(e.target.value)}>
            <AccountOptions accounts={own} />
          </select>
        </div>
        <section aria-label={t('treasury.create.previewTitle')} aria-live="polite">
          <h3>{t('treasury.create.previewTitle')}</h3>
          {current ? (
            <>
              <dl className="facts" data-prediction>
                <dt>{t('treasury.create.predicted')}</dt>
                <dd className="mono" data-predicted-before={current.address}>
                  {current.address}
                </dd>
                <dt>{t('treasury.create.storedOwners')}</dt>
                <dd>
                  <ol className="plain-list">
                    {current.owners.map((owner) => (
                      <li key={owner}>
                        <NamedAddress address={owner} names={current.names} />
                      </li>
                    ))}
                  </ol>
                </dd>
                <dt>{t('treasury.threshold')}</dt>
                <dd>
                  {t('treasury.thresholdOf', {
                    threshold: current.threshold,
                    owners: current.owners.length,
                  })}
                </dd>
                <dt>{t('treasury.create.sender')}</dt>
                <dd>
                  <NamedAddress address={current.sender} names={current.names} />
                </dd>
                <dt>{t('treasury.create.salt')}</dt>
                <dd className="mono">{current.saltNonce}</dd>
              </dl>
              <p className="muted small">{t('treasury.create.previewHint')}</p>
            </>
          ) : predictError ? (
            <Refusal error={predictError} />
          ) : (
            <p className="muted small">
              {valid ? t('treasury.create.predicting') : t('treasury.create.previewPending')}
            </p>
          )}
        </section>
        <Refusal error={error} />
        <div className="row-actions">
          <button type="submit" disabled={busy || (valid && !current)}>
            {busy ? t('common.loading') : t('treasury.create.submit')}
          </button>
        </div>
      </form>
    </Panel>
  );
}
