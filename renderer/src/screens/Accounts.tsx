import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import type { ApiResult } from '../../../core/api/methods.js';
import { call, serialized } from '../api.js';
import { NoteCurrency } from '../components/NoteCurrency.js';
import { Badge, ErrorMessage, Panel } from '../components/Panel.js';
import {
  formatAmount,
  formatDateTime,
  formatDay,
  formatNumber,
  shortHex,
  sumAmounts,
} from '../format.js';
import { useQuery } from '../hooks.js';
import { AddressBook } from './AddressBook.js';

type HistoryRow = ApiResult<'history.page'>['rows'][number];
type Cursor = ApiResult<'history.page'>['next'];

const PAGE_SIZE = 500;
const ROW_HEIGHT = 56;
/** Start the next page this many rows before the end, so scrolling rarely waits. */
const PREFETCH_ROWS = 100;

export function Accounts({ refreshKey }: { refreshKey: number }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const balances = useQuery('accounts.balances', {}, refreshKey);
  const [address, setAddress] = useState('');
  const selectId = useId();
  const ours = new Set((balances.data ?? []).map((b) => b.address));

  return (
    <>
      <h1>{t('accounts.title')}</h1>
      <Panel
        title={t('accounts.balances')}
        loading={balances.loading}
        error={balances.error}
        onRetry={balances.reload}
      >
        {balances.data?.length === 0 ? <p>{t('common.empty')}</p> : null}
        {balances.data && balances.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('accounts.name')}</th>
                  <th scope="col">{t('accounts.address')}</th>
                  <th scope="col" className="num">
                    {t('accounts.balance')}
                  </th>
                  <th scope="col" className="num">
                    {t('accounts.pending')}
                  </th>
                  <th scope="col" className="num">
                    {t('accounts.available')}
                  </th>
                  <th scope="col">{t('accounts.status')}</th>
                </tr>
              </thead>
              <tbody>
                {balances.data.map((b) => (
                  <tr key={b.address}>
                    <td>{b.name}</td>
                    <td className="mono" title={b.address}>
                      {shortHex(b.address)}
                    </td>
                    <td className="num">{formatAmount(b.balance, locale)}</td>
                    <td className="num">{formatAmount(b.pending, locale)}</td>
                    <td className="num strong">{formatAmount(b.available, locale)}</td>
                    <td>
                      {b.frozen ? (
                        <Badge tone="bad">{t('accounts.frozen')}</Badge>
                      ) : b.registered ? (
                        <Badge tone="ok">{t('accounts.registered')}</Badge>
                      ) : (
                        <Badge tone="neutral">{t('accounts.unregistered')}</Badge>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Panel>
      <NotesHeld accounts={balances.data ?? []} refreshKey={refreshKey} />
      <Panel
        title={t('accounts.history')}
        actions={
          <div className="field inline">
            <label htmlFor={selectId}>{t('accounts.historyFor')}</label>
            <select id={selectId} value={address} onChange={(e) => setAddress(e.target.value)}>
              <option value="">{t('accounts.allAccounts')}</option>
              {(balances.data ?? []).map((b) => (
                <option key={b.address} value={b.address}>
                  {b.name}
                </option>
              ))}
            </select>
          </div>
        }
      >
        <HistoryList address={address} ours={ours} refreshKey={refreshKey} />
      </Panel>
      <AddressBook />
    </>
  );
}

/**
 * Per account: how many notes it holds, their total value in the ledger's own
 * currency (notes in an unknown currency are not money: left out, and said so),
 * who pays them, in which currencies, and the next maturity.
 */
function NotesHeld({
  accounts,
  refreshKey,
}: {
  accounts: ApiResult<'accounts.balances'>;
  refreshKey: number;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const notes = useQuery('notes.list', {}, refreshKey);
  const rows = accounts
    .map((account) => {
      const held = (notes.data ?? []).filter((n) => n.holder === account.address);
      const next = held.map((n) => n.maturity).sort()[0];
      const acceptors = [...new Set(held.map((n) => n.acceptor))];
      const foreign = [...new Set(held.filter((n) => !n.currencyKnown).map((n) => n.currency))];
      return { account, held, next, acceptors, foreign };
    })
    .filter((row) => row.held.length > 0);
  return (
    <Panel
      title={t('accounts.notesHeld')}
      loading={notes.loading}
      error={notes.error}
      onRetry={notes.reload}
    >
      {rows.length === 0 ? (
        <p>{t('accounts.noNotes')}</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('accounts.name')}</th>
                <th scope="col" className="num">
                  {t('accounts.notesCount')}
                </th>
                <th scope="col" className="num">
                  {t('accounts.notesValue')}
                </th>
                <th scope="col">{t('notes.acceptor')}</th>
                <th scope="col">{t('notes.currency')}</th>
                <th scope="col">{t('accounts.nextMaturity')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ account, held, next, acceptors, foreign }) => {
                const counted = held.filter((n) => n.currencyKnown);
                const left = held.length - counted.length;
                return (
                  <tr key={account.address}>
                    <td>{account.name}</td>
                    <td className="num">{formatNumber(held.length, locale)}</td>
                    <td className="num">
                      {formatAmount(sumAmounts(counted.map((n) => n.value)), locale)}
                      {left > 0 ? (
                        <span className="muted small">
                          {' '}
                          {t('accounts.notesNotCounted', { n: formatNumber(left, locale) })}
                        </span>
                      ) : null}
                    </td>
                    <td className="mono">
                      {acceptors.map((a, i) => (
                        <span key={a} title={a}>
                          {i > 0 ? ', ' : ''}
                          {shortHex(a)}
                        </span>
                      ))}
                    </td>
                    <td>
                      {counted.length > 0 ? t('notes.currencyOwn') : null}
                      {foreign.map((currency, i) => (
                        <span key={currency}>
                          {counted.length > 0 || i > 0 ? ', ' : ''}
                          <NoteCurrency note={{ currency, currencyKnown: false }} />
                        </span>
                      ))}
                    </td>
                    <td>{next ? formatDay(next, locale) : t('common.none')}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

/**
 * The history as a virtualised list: only the rows in view are in the DOM;
 * older pages are fetched with the `next` cursor as the end comes near.
 */
function HistoryList({
  address,
  ours,
  refreshKey,
}: {
  address: string;
  ours: Set<string>;
  refreshKey: number;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const rows = useRef<HistoryRow[]>([]);
  const next = useRef<Cursor | undefined>(undefined);
  const loading = useRef(false);
  const generation = useRef(0);
  const [count, setCount] = useState(0);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SerializedError>();
  const scrollRef = useRef<HTMLElement>(null);

  const loadMore = useCallback(async () => {
    if (loading.current || next.current === null) return;
    loading.current = true;
    setBusy(true);
    const mine = generation.current;
    try {
      const page = await call('history.page', {
        limit: PAGE_SIZE,
        ...(address ? { address } : {}),
        ...(next.current ? { before: next.current } : {}),
      });
      if (mine !== generation.current) return;
      for (const row of page.rows) rows.current.push(row);
      next.current = page.next;
      setCount(rows.current.length);
      setDone(page.next === null);
    } catch (caught) {
      if (mine === generation.current) setError(serialized(caught));
    } finally {
      if (mine === generation.current) {
        loading.current = false;
        setBusy(false);
      }
    }
  }, [address]);
  useEffect(() => {
    generation.current++;
    rows.current = [];
    next.current = undefined;
    loading.current = false;
    setCount(0);
    setDone(false);
    setError(undefined);
    scrollRef.current?.scrollTo({ top: 0 });
    void loadMore();
  }, [loadMore, refreshKey]);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;

  useEffect(() => {
    if (!done && !error && count > 0 && lastIndex >= count - PREFETCH_ROWS) void loadMore();
  }, [lastIndex, count, done, error, loadMore]);

  if (error && count === 0) {
    return (
      <ErrorMessage
        error={error}
        onRetry={() => {
          setError(undefined);
          void loadMore();
        }}
      />
    );
  }
  if (done && count === 0) return <p>{t('accounts.noHistory')}</p>;

  const sign = (row: HistoryRow): '' | '-' | '+' => {
    const from = row.from !== null && ours.has(row.from);
    const to = row.to !== null && ours.has(row.to);
    if (from && !to) return '-';
    if (to && !from) return '+';
    return '';
  };

  return (
    <>
      <p className="muted small" aria-live="polite">
        {done
          ? t('accounts.loadedAll', { count, n: formatNumber(count, locale) })
          : busy
            ? t('accounts.loadingMore')
            : t('accounts.loaded', { count, n: formatNumber(count, locale) })}
      </p>
      {error ? <ErrorMessage error={error} onRetry={() => setError(undefined)} /> : null}
      <section
        ref={scrollRef}
        className="history-scroll"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard.
        tabIndex={0}
        aria-label={t('accounts.historyList')}
      >
        <ul className="history" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rows.current[item.index];
            if (!row) return null;
            const s = sign(row);
            const kindKey = `accounts.kind.${row.kind}`;
            return (
              <li
                key={item.key}
                className="history-row"
                data-index={item.index}
                aria-posinset={item.index + 1}
                aria-setsize={done ? count : -1}
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              >
                <span className="history-kind">
                  {i18n.exists(kindKey) ? t(kindKey) : t('accounts.kind.other', { kind: row.kind })}
                </span>
                <span className="history-when muted small">
                  {row.timestamp !== null
                    ? formatDateTime(row.timestamp, locale)
                    : t('accounts.block', { block: formatNumber(row.blockNumber, locale) })}
                </span>
                <span className="history-parties mono small">
                  {t('accounts.fromTo', {
                    from: row.from ? shortHex(row.from, 4) : t('common.none'),
                    to: row.to ? shortHex(row.to, 4) : t('common.none'),
                  })}
                </span>
                <span className={`history-amount num ${s === '-' ? 'out' : s === '+' ? 'in' : ''}`}>
                  {s}
                  {formatAmount(row.amount, locale)}
                </span>
              </li>
            );
          })}
        </ul>
      </section>
    </>
  );
}
