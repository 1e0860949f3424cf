/**
 * Creating a treasury: its name, its owners (the wallet's own accounts ticked,
 * and anyone else's address typed), how many of them must approve, and the
 * account that sends the deployment. The server predicts the address offline
 * (CREATE2 through Safe's proxy factory) and queues the deployment; the result
 * shows that address, where the deployed treasury then stands.
 */
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { addressInputSchema } from '../../../../core/api/chain.js';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiResult } from '../../../../core/api/methods.js';
import { call, serialized } from '../../api.js';
import { AccountOptions } from '../../components/AccountOptions.js';
import { Badge, Panel } from '../../components/Panel.js';
import type { PinRequest } from '../../components/PinDialog.js';
import { useQuery } from '../../hooks.js';
import { Refusal } from './Refusal.js';
import { withPin } from './with-pin.js';

type Created = ApiResult<'treasury.create'>;

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

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!valid || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await withPin(
        askPin,
        { title: t('treasury.create.pinTitle'), description: t('treasury.create.pinIntro') },
        (pin) =>
          call('treasury.create', {
            name: name.trim(),
            owners,
            threshold: n,
            from,
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
        <Refusal error={error} />
        <div className="row-actions">
          <button type="submit" disabled={busy}>
            {busy ? t('common.loading') : t('treasury.create.submit')}
          </button>
        </div>
      </form>
    </Panel>
  );
}
