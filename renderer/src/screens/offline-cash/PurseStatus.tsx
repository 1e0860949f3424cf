/**
 * One account's offline cash: its purse (balance = locked less paid offline,
 * payments left in count and amount, validity, state) and its income, the
 * pending offline income (vouchers received and not yet settled on chain)
 * apart from the settled balance. Settle sends the held vouchers to the chain
 * (the account's own transaction, with the PIN) or to the bank's collection
 * service (no PIN); Close refunds the purse once its thaw is over.
 */
import type { TFunction } from 'i18next';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiResult } from '../../../../core/api/methods.js';
import { call, serialized } from '../../api.js';
import { Badge, type BadgeTone, Panel } from '../../components/Panel.js';
import type { PinRequest } from '../../components/PinDialog.js';
import { formatAmount, formatDateTime, formatNumber, sumAmounts } from '../../format.js';
import { Refusal } from '../treasury/Refusal.js';
import { withPin } from '../treasury/with-pin.js';
import { purseErrorText, type Said } from './purse-text.js';

export type PurseStatusResult = ApiResult<'purse.status'>;
export type PurseSummary = PurseStatusResult['purses'][number];

const stateTone: Record<PurseSummary['state'], BadgeTone> = {
  opening: 'info',
  'awaiting-certificate': 'info',
  open: 'ok',
  mismatch: 'bad',
  expired: 'warn',
  closable: 'warn',
  frozen: 'bad',
  closed: 'neutral',
};

/** The purse the screen is about: the newest one not closed, else the newest. */
export function currentPurse(status: PurseStatusResult | undefined): PurseSummary | undefined {
  const purses = [...(status?.purses ?? [])].sort((a, b) => b.epoch - a.epoch);
  return purses.find((p) => p.state !== 'closed') ?? purses[0];
}

export function PurseStatus({
  status,
  loading,
  error,
  onRetry,
  accountKey,
  askPin,
  onChanged,
}: {
  status: PurseStatusResult | undefined;
  loading: boolean;
  error: SerializedError | undefined;
  onRetry(): void;
  /** The chosen account's key: it signs a settlement through the own account. */
  accountKey: string;
  askPin(request: PinRequest): void;
  onChanged(): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const purse = currentPurse(status);
  const [via, setVia] = useState<'own' | 'service'>('own');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Said>();
  const [problem, setProblem] = useState<SerializedError>();
  const viaId = useId();
  const amount = (text: string) => formatAmount(text, locale);
  const pendingCount = (status?.vouchers ?? []).filter(
    (v) => v.direction === 'received' && v.status === 'pending',
  ).length;

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setNote(undefined);
    setProblem(undefined);
    try {
      await work();
    } catch (caught) {
      setProblem(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  const settle = () =>
    run(() =>
      withPin(
        askPin,
        { title: t('offlineCash.settle.pinTitle'), description: t('offlineCash.settle.pinIntro') },
        (pin) =>
          call('purse.settle', {
            via,
            ...(via === 'own' && accountKey ? { submitter: accountKey } : {}),
            ...(pin ? { pin } : {}),
          }),
        (result) => {
          setNote(
            () => (tr: TFunction, lng: string) =>
              tr('offlineCash.settle.done', {
                submitted: formatNumber(result.submitted, lng),
                settled: formatNumber(result.alreadySettled, lng),
              }),
          );
          onChanged();
        },
      ),
    );

  const close = (address: string) =>
    askPin({
      title: t('offlineCash.close.pinTitle'),
      description: t('offlineCash.close.pinIntro'),
      run: async (pin) => {
        const result = await call('purse.close', { purse: address, ...(pin ? { pin } : {}) });
        setProblem(undefined);
        setNote(
          () => (tr: TFunction, lng: string) =>
            tr('offlineCash.close.done', { amount: formatAmount(result.purse.amountLeft, lng) }),
        );
        onChanged();
      },
    });

  return (
    <>
      <Panel title={t('offlineCash.purse.title')} loading={loading} error={error} onRetry={onRetry}>
        {!status ? null : !purse ? (
          <p className="muted">{t('offlineCash.purse.none')}</p>
        ) : (
          <dl className="facts" data-purse={purse.purse}>
            <dt>{t('offlineCash.purse.balance')}</dt>
            <dd className="strong">
              {amount(sumAmounts([purse.locked, `-${purse.paidOffline}`]))}
            </dd>
            <dt>{t('offlineCash.purse.paymentsLeft')}</dt>
            <dd>
              {t('offlineCash.purse.paymentsLeftValue', {
                count: purse.paymentsLeft,
                n: formatNumber(purse.paymentsLeft, locale),
                amount: amount(purse.amountLeft),
              })}
            </dd>
            <dt>{t('offlineCash.purse.cap')}</dt>
            <dd>{amount(purse.cap)}</dd>
            <dt>{t('offlineCash.purse.locked')}</dt>
            <dd>{amount(purse.locked)}</dd>
            <dt>{t('offlineCash.purse.valid')}</dt>
            <dd>
              {t('offlineCash.purse.validValue', {
                from: formatDateTime(purse.validFrom, locale),
                until: formatDateTime(purse.validUntil, locale),
              })}
            </dd>
            <dt>{t('offlineCash.purse.state')}</dt>
            <dd>
              <Badge tone={stateTone[purse.state]}>{t(`offlineCash.state.${purse.state}`)}</Badge>{' '}
              <span className="muted small">{t(`offlineCash.stateHint.${purse.state}`)}</span>
            </dd>
            <dt>{t('offlineCash.purse.address')}</dt>
            <dd className="mono small break">{purse.purse}</dd>
          </dl>
        )}
        {purse?.state === 'closable' ? (
          <div className="row-actions start">
            <button type="button" disabled={busy} onClick={() => close(purse.purse)}>
              {t('offlineCash.close.button')}
            </button>
          </div>
        ) : purse && purse.closableFrom !== null && purse.state !== 'closed' ? (
          <p className="muted small">
            {t('offlineCash.close.from', { when: formatDateTime(purse.closableFrom, locale) })}
          </p>
        ) : null}
      </Panel>
      {error && !status ? null : (
        <Panel title={t('offlineCash.income.title')} loading={loading && !status}>
          {status ? (
            <>
              <dl className="facts" data-income="">
                <dt>{t('offlineCash.income.settled')}</dt>
                <dd className="strong">{amount(status.settledBalance)}</dd>
                <dt>{t('offlineCash.income.pending')}</dt>
                <dd>
                  {t('offlineCash.income.pendingValue', {
                    count: pendingCount,
                    n: formatNumber(pendingCount, locale),
                    amount: amount(status.pendingIncome),
                  })}
                </dd>
                {status.receiveLimit !== null ? (
                  <>
                    <dt>{t('offlineCash.income.limit')}</dt>
                    <dd>{amount(status.receiveLimit)}</dd>
                  </>
                ) : null}
              </dl>
              <p className="muted small">{t('offlineCash.income.hint')}</p>
              <div className="inline-form">
                <div className="field">
                  <label htmlFor={viaId}>{t('offlineCash.settle.via')}</label>
                  <select
                    id={viaId}
                    value={via}
                    onChange={(e) => setVia(e.target.value === 'service' ? 'service' : 'own')}
                  >
                    <option value="own">{t('offlineCash.settle.own')}</option>
                    <option value="service">{t('offlineCash.settle.service')}</option>
                  </select>
                </div>
                <button type="button" disabled={busy} onClick={() => void settle()}>
                  {t('offlineCash.settle.button')}
                </button>
              </div>
            </>
          ) : null}
          {note ? (
            <p className="strong" role="status">
              {note(t, locale)}
            </p>
          ) : null}
          {problem ? <Refusal error={problem} text={purseErrorText(t, problem)} /> : null}
        </Panel>
      )}
    </>
  );
}
