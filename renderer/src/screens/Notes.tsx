import { useTranslation } from 'react-i18next';
import type { ApiResult } from '../../../core/api/methods.js';
import { Badge, Panel } from '../components/Panel.js';
import {
  formatAmount,
  formatDay,
  formatNumber,
  formatUint,
  shortHex,
  sumAmounts,
} from '../format.js';
import { useQuery } from '../hooks.js';

type Note = ApiResult<'notes.list'>[number];

/** Notes grouped by maturity day, earliest first. */
function byMaturity(notes: readonly Note[]): [string, Note[]][] {
  const groups = new Map<string, Note[]>();
  for (const note of notes) {
    const group = groups.get(note.maturity);
    if (group) group.push(note);
    else groups.set(note.maturity, [note]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function Notes({ refreshKey }: { refreshKey: number }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const notes = useQuery('notes.list', {}, refreshKey);
  return (
    <>
      <h1>{t('notes.title')}</h1>
      <p className="muted">{t('notes.intro')}</p>
      {notes.loading || notes.error || notes.data?.length === 0 ? (
        <Panel
          title={t('notes.title')}
          loading={notes.loading}
          error={notes.error}
          onRetry={notes.reload}
        >
          <p>{t('notes.none')}</p>
        </Panel>
      ) : (
        byMaturity(notes.data ?? []).map(([day, group]) => (
          <Panel
            key={day}
            title={t('notes.maturity', { date: formatDay(day, locale) })}
            actions={
              <span className="muted">
                {t('notes.groupTotal', {
                  n: formatNumber(group.length, locale),
                  total: formatAmount(sumAmounts(group.map((n) => n.value)), locale),
                })}
              </span>
            }
          >
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('notes.tokenId')}</th>
                    <th scope="col">{t('notes.holder')}</th>
                    <th scope="col">{t('notes.acceptor')}</th>
                    <th scope="col" className="num">
                      {t('notes.value')}
                    </th>
                    <th scope="col">{t('notes.status')}</th>
                  </tr>
                </thead>
                <tbody>
                  {group.map((note) => (
                    <tr key={note.tokenId}>
                      <td>{formatUint(note.tokenId, locale)}</td>
                      <td className="mono" title={note.holder}>
                        {shortHex(note.holder)}
                      </td>
                      <td className="mono" title={note.acceptor}>
                        {shortHex(note.acceptor)}
                      </td>
                      <td className="num">{formatAmount(note.value, locale)}</td>
                      <td>
                        <Badge tone={note.status === 'dishonoured' ? 'bad' : 'ok'}>
                          {t(`notes.statusName.${note.status}`)}
                        </Badge>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Panel>
        ))
      )}
    </>
  );
}
