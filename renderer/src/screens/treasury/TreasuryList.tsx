/** The wallet's treasuries on the selected ledger, and the ways in: create one, or open a bundle. */
import { useTranslation } from 'react-i18next';
import { Panel } from '../../components/Panel.js';
import { formatNumber } from '../../format.js';
import { useQuery } from '../../hooks.js';

export function TreasuryList({
  refreshKey,
  onOpen,
  onCreate,
  onBundle,
}: {
  refreshKey: number;
  onOpen(address: string): void;
  onCreate(): void;
  onBundle(): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const list = useQuery('treasury.list', {}, refreshKey);
  return (
    <>
      <p className="muted">{t('treasury.intro')}</p>
      <div className="row-actions start">
        <button type="button" onClick={onCreate}>
          {t('treasury.create.button')}
        </button>
        <button type="button" className="secondary" onClick={onBundle}>
          {t('treasury.bundle.open')}
        </button>
      </div>
      <Panel
        title={t('treasury.listTitle')}
        loading={list.loading}
        error={list.error}
        onRetry={list.reload}
      >
        {list.data?.length === 0 ? <p>{t('treasury.none')}</p> : null}
        {list.data && list.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('treasury.name')}</th>
                  <th scope="col">{t('treasury.address')}</th>
                  <th scope="col">{t('treasury.threshold')}</th>
                  <th scope="col">{t('treasury.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((treasury) => (
                  <tr key={treasury.address} data-treasury={treasury.address}>
                    <td>{treasury.name}</td>
                    <td className="mono">{treasury.address}</td>
                    <td>
                      {t('treasury.thresholdOf', {
                        threshold: formatNumber(treasury.threshold, locale),
                        owners: formatNumber(treasury.owners.length, locale),
                      })}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="secondary small"
                        aria-label={t('treasury.openNamed', { name: treasury.name })}
                        onClick={() => onOpen(treasury.address)}
                      >
                        {t('treasury.open')}
                      </button>
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
