/**
 * One treasury: what the wallet stored (owners, threshold) and, online, what
 * the chain says (deployed, owners, threshold, nonce, balance); a payment
 * proposal, a CSV batch (Safe's CSV Airdrop format) checked row by row, and
 * the proposals of TreasuryProposals.tsx (a note operation, an owner change, a
 * cancel). Each proposal opens in the bundle workspace, unsigned: approving follows its
 * review there.
 */
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { addressInputSchema, amountInputSchema } from '../../../../core/api/chain.js';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiResult } from '../../../../core/api/methods.js';
import { call, serialized, subscribe } from '../../api.js';
import { Badge, Panel } from '../../components/Panel.js';
import { formatAmount, formatDay, formatNumber, formatUint } from '../../format.js';
import { useQuery } from '../../hooks.js';
import type { LoadedBundle } from './BundleWorkspace.js';
import { Refusal } from './Refusal.js';
import { CancelProposalForm, NoteProposalForm, OwnersProposalForm } from './TreasuryProposals.js';

type Batch = ApiResult<'treasury.batch'>;

export function TreasuryDetail({
  address,
  offline,
  refreshKey,
  onBundle,
}: {
  address: string;
  offline: boolean;
  refreshKey: number;
  onBundle(loaded: LoadedBundle): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const shown = useQuery('treasury.show', { treasury: address, offline }, refreshKey);
  const accounts = useQuery('accounts.list', {}, refreshKey);
  const ownName = (owner: string) =>
    accounts.data?.find((a) => a.address.toLowerCase() === owner.toLowerCase())?.name;
  const treasury = shown.data?.treasury;
  const chain = shown.data?.chain;
  const synced = shown.data?.synced;
  return (
    <>
      <Panel
        title={treasury ? treasury.name : t('treasury.title')}
        loading={shown.loading}
        error={shown.error}
        onRetry={shown.reload}
        actions={
          <button type="button" className="secondary small" onClick={shown.reload}>
            {t('common.refresh')}
          </button>
        }
      >
        {treasury ? (
          <dl className="facts" data-treasury-facts="">
            <dt>{t('treasury.address')}</dt>
            <dd className="mono">{treasury.address}</dd>
            <dt>{t('treasury.review.chain')}</dt>
            <dd>{treasury.chainId}</dd>
            <dt>{t('treasury.threshold')}</dt>
            <dd>
              {t('treasury.thresholdOf', {
                threshold: formatNumber(chain?.threshold || treasury.threshold, locale),
                owners: formatNumber(chain?.owners.length || treasury.owners.length, locale),
              })}
            </dd>
            <dt>{t('treasury.review.owners')}</dt>
            <dd>
              <ul className="plain-list">
                {(chain?.deployed ? chain.owners : treasury.owners).map((owner) => (
                  <li key={owner}>
                    <span className="mono">{owner}</span>
                    {ownName(owner) ? (
                      <>
                        {' '}
                        <Badge tone="ok">
                          {t('review.name.account', { name: ownName(owner) })}
                        </Badge>
                      </>
                    ) : null}
                  </li>
                ))}
              </ul>
            </dd>
            {chain ? (
              <>
                <dt>{t('treasury.deployed')}</dt>
                <dd>
                  <Badge tone={chain.deployed ? 'ok' : 'warn'}>
                    {chain.deployed ? t('treasury.deployedYes') : t('treasury.deployedNo')}
                  </Badge>
                </dd>
                <dt>{t('treasury.review.nonce')}</dt>
                <dd>{formatUint(chain.nonce, locale)}</dd>
                <dt>{t('treasury.balance')}</dt>
                <dd className="strong">{formatAmount(chain.balance, locale)}</dd>
              </>
            ) : (
              <>
                <dt>{t('treasury.onChain')}</dt>
                <dd className="muted">{t('treasury.notRead')}</dd>
              </>
            )}
            {synced ? (
              <>
                <dt>{t('treasury.synced')}</dt>
                <dd>
                  {t('treasury.syncedAt', {
                    block: formatNumber(synced.block, locale),
                    balance: formatAmount(synced.balance, locale),
                  })}
                </dd>
                <dt>{t('treasury.notes')}</dt>
                <dd>
                  {synced.notes.length === 0 ? (
                    t('treasury.noNotes')
                  ) : (
                    <ul className="plain-list">
                      {synced.notes.map((note) => (
                        <li key={note.tokenId}>
                          {t('treasury.note', {
                            id: formatUint(note.tokenId, locale),
                            value: formatAmount(note.value, locale),
                            maturity: formatDay(note.maturity, locale),
                          })}
                        </li>
                      ))}
                    </ul>
                  )}
                </dd>
              </>
            ) : null}
          </dl>
        ) : null}
      </Panel>
      {treasury ? (
        <>
          <ProposeForm treasury={treasury.address} offline={offline} onBundle={onBundle} />
          <BatchForm treasury={treasury.address} offline={offline} onBundle={onBundle} />
          <NoteProposalForm
            treasury={treasury.address}
            offline={offline}
            notes={synced?.notes ?? []}
            onBundle={onBundle}
          />
          <OwnersProposalForm
            treasury={treasury.address}
            offline={offline}
            owners={chain?.deployed ? chain.owners : treasury.owners}
            threshold={chain?.deployed ? chain.threshold : treasury.threshold}
            onBundle={onBundle}
          />
          <CancelProposalForm
            treasury={treasury.address}
            offline={offline}
            nonce={chain?.nonce}
            onBundle={onBundle}
          />
        </>
      ) : null}
    </>
  );
}

function ProposeForm({
  treasury,
  offline,
  onBundle,
}: {
  treasury: string;
  offline: boolean;
  onBundle(loaded: LoadedBundle): void;
}) {
  const { t } = useTranslation();
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [description, setDescription] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SerializedError>();
  const ids = { to: useId(), amount: useId(), description: useId() };
  const toValid = addressInputSchema.safeParse(to).success;
  const amountValid = amountInputSchema.safeParse(amount).success;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!toValid || !amountValid || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      onBundle(
        await call('treasury.propose', {
          treasury,
          to,
          amount,
          ...(description.trim() ? { description: description.trim() } : {}),
          offline,
        }),
      );
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel title={t('treasury.propose.title')}>
      <form className="form" onSubmit={submit} noValidate aria-label={t('treasury.propose.title')}>
        <div className="field">
          <label htmlFor={ids.to}>{t('treasury.propose.to')}</label>
          <input
            id={ids.to}
            className="mono"
            value={to}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={touched && !toValid ? true : undefined}
            onChange={(e) => setTo(e.target.value.trim())}
          />
          {touched && !toValid ? <p className="field-error">{t('send.invalidTo')}</p> : null}
        </div>
        <div className="field">
          <label htmlFor={ids.amount}>{t('treasury.propose.amount')}</label>
          <input
            id={ids.amount}
            inputMode="decimal"
            value={amount}
            autoComplete="off"
            aria-invalid={touched && !amountValid ? true : undefined}
            onChange={(e) => setAmount(e.target.value.trim())}
          />
          {touched && !amountValid ? (
            <p className="field-error">{t('send.invalidAmount')}</p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={ids.description}>{t('treasury.propose.description')}</label>
          <input
            id={ids.description}
            value={description}
            maxLength={2000}
            autoComplete="off"
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
        <Refusal error={error} />
        <div className="row-actions">
          <button type="submit" disabled={busy}>
            {busy ? t('common.loading') : t('treasury.propose.submit')}
          </button>
        </div>
      </form>
    </Panel>
  );
}

function BatchForm({
  treasury,
  offline,
  onBundle,
}: {
  treasury: string;
  offline: boolean;
  onBundle(loaded: LoadedBundle): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [csv, setCsv] = useState<{ name: string; text: string }>();
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SerializedError>();
  const [result, setResult] = useState<Batch>();
  const ids = { file: useId(), description: useId(), hint: useId() };
  // A large file's rows are checked one by one (a node round trip per payee): the server says how far.
  const [progress, setProgress] = useState<{ checked: number; rows: number }>();
  useEffect(() => {
    if (!busy) return;
    setProgress(undefined);
    return subscribe((event) => {
      if (event.type === 'treasury.batch.progress') setProgress(event.payload);
    });
  }, [busy]);
  const progressText = progress
    ? t('treasury.batch.progress', {
        checked: formatNumber(progress.checked, locale),
        rows: formatNumber(progress.rows, locale),
      })
    : undefined;
  const problems = Array.isArray(error?.details?.problems)
    ? (error.details.problems as unknown[]).map(String)
    : [];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!csv || busy) return;
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(
        await call('treasury.batch', {
          treasury,
          csv: csv.text,
          ...(description.trim() ? { description: description.trim() } : {}),
          offline,
        }),
      );
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel title={t('treasury.batch.title')}>
      <form className="form" onSubmit={submit} noValidate aria-label={t('treasury.batch.title')}>
        <div className="field">
          <label htmlFor={ids.file}>{t('treasury.batch.file')}</label>
          <input
            id={ids.file}
            type="file"
            accept=".csv,text/csv"
            aria-describedby={ids.hint}
            onChange={async (e) => {
              const file = e.target.files?.[0];
              setError(undefined);
              setResult(undefined);
              setCsv(file ? { name: file.name, text: await file.text() } : undefined);
            }}
          />
          <p id={ids.hint} className="muted small">
            {t('treasury.batch.hint')}
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.description}>{t('treasury.propose.description')}</label>
          <input
            id={ids.description}
            value={description}
            maxLength={200}
            autoComplete="off"
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
        {busy ? (
          <div className="sync-progress">
            <div
              className={progress ? 'sync-bar' : 'sync-bar indeterminate'}
              role="progressbar"
              aria-label={t('treasury.batch.checking')}
              aria-valuemin={progress ? 0 : undefined}
              aria-valuemax={progress?.rows}
              aria-valuenow={progress?.checked}
              aria-valuetext={progressText}
            >
              <div
                className="sync-bar-fill"
                style={
                  progress ? { width: `${(100 * progress.checked) / progress.rows}%` } : undefined
                }
              />
            </div>
            {progressText ? <p className="small">{progressText}</p> : null}
          </div>
        ) : null}
        <Refusal error={error} />
        {problems.length > 0 ? (
          <ul className="batch-problems" aria-label={t('treasury.batch.problems')}>
            {problems.map((line) => (
              <li key={line} className="mono small">
                {line}
              </li>
            ))}
          </ul>
        ) : null}
        <div className="row-actions">
          <button type="submit" disabled={busy || !csv}>
            {busy ? t('common.loading') : t('treasury.batch.submit')}
          </button>
        </div>
      </form>
      {result ? (
        <section className="review-item" aria-label={t('treasury.batch.resultTitle')}>
          <h3>{t('treasury.batch.resultTitle')}</h3>
          <p role="status">
            {t('treasury.batch.summary', {
              rows: formatNumber(result.rows, locale),
              total: formatAmount(result.total, locale),
              proposals: formatNumber(result.proposals.length, locale),
            })}
          </p>
          {result.splitReason ? (
            <p className="strong">{t('treasury.batch.split', { reason: result.splitReason })}</p>
          ) : null}
          {result.limits.length > 0 ? (
            <ul className="plain-list muted small">
              {result.limits.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          ) : null}
          <ul className="plain-list">
            {result.proposals.map((proposal) => (
              <li key={proposal.review.safeTxHash}>
                {t('treasury.batch.proposal', {
                  nonce: proposal.review.nonce,
                  description: proposal.review.description,
                })}{' '}
                <button
                  type="button"
                  className="secondary small"
                  onClick={() => onBundle(proposal)}
                  aria-label={t('treasury.batch.openNonce', { nonce: proposal.review.nonce })}
                >
                  {t('treasury.open')}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </Panel>
  );
}
