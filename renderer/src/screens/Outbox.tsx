import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import type { SyncProgress } from '../../../core/api/events.js';
import type { ApiResult } from '../../../core/api/methods.js';
import { call, serialized, subscribe } from '../api.js';
import { Badge, type BadgeTone, ErrorMessage, Panel } from '../components/Panel.js';
import { formatAmount, formatNumber, shortHex } from '../format.js';
import { useQuery } from '../hooks.js';

type NodeState = ApiResult<'ledger.status'>['nodes'][number]['state'];
const nodeTone: Record<NodeState, BadgeTone> = {
  up: 'ok',
  behind: 'warn',
  disagreeing: 'bad',
  'wrong-chain': 'bad',
  down: 'bad',
  unknown: 'neutral',
};
type TxStatus = ApiResult<'outbox.list'>[number]['status'];
const txTone: Record<TxStatus, BadgeTone> = {
  signed: 'info',
  sent: 'info',
  included: 'info',
  confirmed: 'ok',
  failed: 'bad',
  replaced: 'neutral',
};

/** Blocks of the log scan done and in all; undefined before the scan (or without one). */
function scanned(p: SyncProgress): { now: number; max: number } | undefined {
  if (p.fromBlock === null || p.toBlock === null || p.currentBlock === null) return undefined;
  return { now: p.currentBlock - p.fromBlock + 1, max: p.toBlock - p.fromBlock + 1 };
}

export function Outbox({ refreshKey, onSynced }: { refreshKey: number; onSynced(): void }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [tick, setTick] = useState(0);
  const status = useQuery('ledger.status', {}, refreshKey + tick);
  const outbox = useQuery('outbox.list', {}, refreshKey + tick);
  const [syncing, setSyncing] = useState(false);
  const [report, setReport] = useState<ApiResult<'sync.run'>>();
  const [syncError, setSyncError] = useState<SerializedError>();
  /** The last sync.progress event: whoever started the sync (this button, a payment, another window). */
  const [progress, setProgress] = useState<SyncProgress>();
  /** True while this screen's own Sync call runs: its reply, not the events, reports the outcome. */
  const ownSync = useRef(false);

  useEffect(
    () =>
      subscribe((event) => {
        if (event.type !== 'sync.progress') return;
        const { phase } = event.payload;
        if (!ownSync.current) {
          // A sync started elsewhere: the last report no longer holds. (Its end reloads
          // every panel: App bumps refreshKey on the ledger.nodes event that follows.)
          if (phase === 'sending') {
            setReport(undefined);
            setSyncError(undefined);
          }
        }
        setProgress(event.payload);
      }),
    [],
  );

  const sync = async () => {
    ownSync.current = true;
    setSyncing(true);
    setSyncError(undefined);
    setReport(undefined);
    setProgress(undefined);
    try {
      setReport(await call('sync.run', {}));
      onSynced();
    } catch (caught) {
      setSyncError(serialized(caught));
    } finally {
      ownSync.current = false;
      setSyncing(false);
      setTick((n) => n + 1);
    }
  };
  const num = (n: number | null) => (n === null ? t('common.unknown') : formatNumber(n, locale));

  const running = progress && progress.phase !== 'done' && progress.phase !== 'failed';
  const bar = progress ? scanned(progress) : undefined;
  const progressText = (p: SyncProgress): string => {
    switch (p.phase) {
      case 'sending':
        return t('outbox.progressSending');
      case 'receipts':
        return t('outbox.progressReceipts', { head: num(p.toBlock) });
      case 'logs':
        return p.currentBlock !== null && p.fromBlock !== null && p.currentBlock >= p.fromBlock
          ? t('outbox.progressLogs', {
              from: num(p.fromBlock),
              current: num(p.currentBlock),
              to: num(p.toBlock),
            })
          : t('outbox.progressLogsStart', { from: num(p.fromBlock), to: num(p.toBlock) });
      case 'state':
        return t('outbox.progressState', { head: num(p.toBlock) });
      case 'done':
        return t('outbox.progressDone', { head: num(p.toBlock) });
      case 'failed':
        return t('outbox.progressFailed', { error: p.error ?? '' });
    }
  };

  return (
    <>
      <h1>{t('outbox.title')}</h1>
      <div className="toolbar">
        <button type="button" onClick={sync} disabled={syncing}>
          {syncing ? t('outbox.syncing') : t('outbox.sync')}
        </button>
        <div aria-live="polite" className="toolbar-status">
          {report ? (
            <span role="status">
              {t('outbox.syncDone', {
                head: num(report.head),
                events: num(report.events),
                confirmed: num(report.confirmed),
              })}
              {report.failed > 0
                ? ` ${t('outbox.syncFailed', { failed: num(report.failed) })}`
                : null}
              {report.unconfirmed > 0
                ? ` ${t('outbox.syncUnconfirmed', { unconfirmed: num(report.unconfirmed) })}`
                : null}
            </span>
          ) : null}
        </div>
      </div>
      {progress && running ? (
        <div className="sync-progress">
          <div
            className={bar ? 'sync-bar' : 'sync-bar indeterminate'}
            role="progressbar"
            aria-label={t('outbox.progressLabel')}
            aria-valuemin={bar ? 0 : undefined}
            aria-valuemax={bar?.max}
            aria-valuenow={bar?.now}
            aria-valuetext={progressText(progress)}
          >
            <div
              className="sync-bar-fill"
              style={bar ? { width: `${(100 * bar.now) / bar.max}%` } : undefined}
            />
          </div>
          <p className="small">{progressText(progress)}</p>
        </div>
      ) : null}
      {progress?.phase === 'done' && !report && !syncing ? (
        <div className="sync-progress">
          <p className="small muted" role="status">
            {progressText(progress)}
          </p>
        </div>
      ) : null}
      {progress?.phase === 'failed' && !syncError && !syncing ? (
        <div className="sync-progress">
          <p className="sync-failed" role="alert">
            {progressText(progress)}
          </p>
        </div>
      ) : null}
      {syncError ? <ErrorMessage error={syncError} /> : null}
      <Panel
        title={t('outbox.nodes')}
        loading={status.loading}
        error={status.error}
        onRetry={status.reload}
      >
        {status.data ? (
          <>
            <p className="muted">
              {t('outbox.chainHead', {
                head: num(status.data.head),
                synced: num(status.data.syncedBlock),
              })}
            </p>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('outbox.node')}</th>
                    <th scope="col">{t('outbox.status')}</th>
                    <th scope="col" className="num">
                      {t('outbox.head')}
                    </th>
                    <th scope="col" className="num">
                      {t('outbox.latency')}
                    </th>
                    <th scope="col">{t('outbox.lastError')}</th>
                  </tr>
                </thead>
                <tbody>
                  {status.data.nodes.map((node) => (
                    <tr key={node.url}>
                      <td className="mono">{node.url}</td>
                      <td>
                        <Badge tone={nodeTone[node.state]}>
                          {t(`outbox.nodeState.${node.state}`)}
                        </Badge>
                      </td>
                      <td className="num">
                        {node.head === undefined ? t('common.none') : num(node.head)}
                      </td>
                      <td className="num">
                        {node.latencyMs === undefined
                          ? t('common.none')
                          : t('outbox.latencyMs', {
                              ms: formatNumber(Math.round(node.latencyMs), locale),
                            })}
                      </td>
                      <td className="small">{node.lastError ?? t('common.none')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ) : null}
      </Panel>
      <Panel
        title={t('outbox.transactions')}
        loading={outbox.loading}
        error={outbox.error}
        onRetry={outbox.reload}
      >
        {outbox.data?.length === 0 ? <p>{t('outbox.empty')}</p> : null}
        {outbox.data && outbox.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('outbox.txHash')}</th>
                  <th scope="col">{t('outbox.kind')}</th>
                  <th scope="col" className="num">
                    {t('outbox.nonce')}
                  </th>
                  <th scope="col" className="num">
                    {t('outbox.amount')}
                  </th>
                  <th scope="col">{t('outbox.status')}</th>
                </tr>
              </thead>
              <tbody>
                {outbox.data.map((tx) => (
                  <tr key={tx.txHash}>
                    <td className="mono" title={tx.txHash}>
                      {shortHex(tx.txHash)}
                    </td>
                    <td>{t(`outbox.kindName.${tx.kind}`, { defaultValue: tx.kind })}</td>
                    <td className="num">{tx.nonce}</td>
                    <td className="num">{formatAmount(tx.amount, locale)}</td>
                    <td>
                      <Badge tone={txTone[tx.status]}>{t(`outbox.txStatus.${tx.status}`)}</Badge>
                      {tx.error ? <span className="small muted"> {tx.error}</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Panel>
    </>
  );
}
