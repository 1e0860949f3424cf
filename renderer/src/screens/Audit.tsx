import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import type { ApiResult } from '../../../core/api/methods.js';
import { call, serialized } from '../api.js';
import { ErrorMessage, Panel } from '../components/Panel.js';
import { formatDateTime, formatNumber, shortHex } from '../format.js';
import { useQuery } from '../hooks.js';

type Entry = ApiResult<'audit.list'>['entries'][number];
const PAGE = 100;

export function Audit({ refreshKey }: { refreshKey: number }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const verify = useQuery('audit.verify', {}, refreshKey);
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [entries, setEntries] = useState<Entry[]>([]);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<SerializedError>();
  const searchId = useId();

  // Debounce typing: one request per pause, not per key.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);

  const load = async (offset: number, live: () => boolean = () => true) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await call('audit.list', {
        limit: PAGE,
        offset,
        ...(query ? { search: query } : {}),
      });
      if (!live()) return;
      setEntries((old) => (offset === 0 ? page.entries : [...old, ...page.entries]));
      setMore(page.entries.length === PAGE);
    } catch (caught) {
      if (live()) setError(serialized(caught));
    } finally {
      if (live()) setLoading(false);
    }
  };
  useEffect(() => {
    let live = true;
    void load(0, () => live);
    return () => {
      live = false;
    };
  }, [query, refreshKey]);

  return (
    <>
      <h1>{t('audit.title')}</h1>
      {verify.error ? <ErrorMessage error={verify.error} onRetry={verify.reload} /> : null}
      {verify.data ? (
        <div className={`banner ${verify.data.intact ? 'banner-ok' : 'banner-bad'}`} role="status">
          {verify.data.intact
            ? t('audit.intact', { n: formatNumber(verify.data.entries, locale) })
            : verify.data.firstBadSeq !== undefined
              ? t('audit.broken', { seq: verify.data.firstBadSeq })
              : t('audit.brokenNoSeq')}
        </div>
      ) : null}
      <Panel title={t('audit.entries')} error={error} onRetry={() => void load(0)}>
        <search className="field">
          <label htmlFor={searchId}>{t('audit.search')}</label>
          <input
            id={searchId}
            type="search"
            value={search}
            placeholder={t('audit.searchPlaceholder')}
            onChange={(e) => setSearch(e.target.value)}
          />
        </search>
        {!loading && entries.length === 0 ? <p>{t('audit.none')}</p> : null}
        {entries.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    {t('audit.seq')}
                  </th>
                  <th scope="col">{t('audit.at')}</th>
                  <th scope="col">{t('audit.action')}</th>
                  <th scope="col">{t('audit.key')}</th>
                  <th scope="col">{t('audit.txHash')}</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((entry) => (
                  <tr key={entry.seq}>
                    <td className="num">{entry.seq}</td>
                    <td>{formatDateTime(entry.at, locale)}</td>
                    <td>{entry.action}</td>
                    <td className="mono small break">{entry.keyUri ?? t('common.none')}</td>
                    <td className="mono" title={entry.txHash ?? undefined}>
                      {entry.txHash ? shortHex(entry.txHash) : t('common.none')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {loading ? <p className="muted">{t('common.loading')}</p> : null}
        {more && !loading ? (
          <button type="button" className="secondary" onClick={() => void load(entries.length)}>
            {t('audit.more')}
          </button>
        ) : null}
      </Panel>
    </>
  );
}
