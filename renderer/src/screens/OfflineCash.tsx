/**
 * Offline cash (issue 13): digital cash locked in a purse on the holder's
 * token, paid to another holder with no network by QR code or file, and
 * settled on the chain once either side reconnects. The screen shows the
 * chosen account's purse and its income (pending offline income apart from the
 * settled balance), receives (request → scan → verdict), pays (scan → review →
 * PIN → QR), opens a purse, settles and closes.
 */
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call } from '../api.js';
import type { PinRequest } from '../components/PinDialog.js';
import { shortHex } from '../format.js';
import { useQuery } from '../hooks.js';
import { OpenPurse } from './offline-cash/OpenPurse.js';
import { PayPanel } from './offline-cash/PayPanel.js';
import { currentPurse, PurseStatus } from './offline-cash/PurseStatus.js';
import type { Said } from './offline-cash/purse-text.js';
import { ReceivePanel } from './offline-cash/ReceivePanel.js';

export function OfflineCash({
  refreshKey,
  askPin,
  onChanged,
}: {
  refreshKey: number;
  askPin(request: PinRequest): void;
  onChanged(): void;
}) {
  const { t, i18n } = useTranslation();
  const accountId = useId();
  const accounts = useQuery('accounts.list', {}, refreshKey);
  // Purses are secp256k1 keys on a token; its owner account signs the transactions.
  const holders = (accounts.data ?? []).filter((a) => a.curve === 'secp256k1');
  const [chosen, setChosen] = useState('');
  const holder = holders.find((a) => a.address === chosen) ?? holders[0];
  const address = holder?.address ?? '';
  const [tick, setTick] = useState(0);
  const [notice, setNotice] = useState<Said>();
  const changed = () => {
    setTick((n) => n + 1);
    onChanged();
  };
  // What this computer holds shows at once; then, when a node answers, the purses'
  // state on chain (opened, settled, closable) is read and the panel reloads.
  const [fresh, setFresh] = useState(0);
  useEffect(() => {
    let live = true;
    const mine = address ? { account: address } : {};
    call('purse.status', { ...mine, refresh: true }).then(
      () => live && setFresh((n) => n + 1),
      () => {}, // Offline: the stored state stands.
    );
    return () => {
      live = false;
    };
  }, [address, refreshKey, tick]);
  const status = useQuery(
    'purse.status',
    address ? { account: address } : {},
    refreshKey + tick + fresh,
  );
  // purse.status answers PURSE_NOT_FOUND only when the ledger names no purse contract.
  const noPurses = status.error?.code === 'PURSE_NOT_FOUND';
  const purse = currentPurse(status.data);
  const canPay = purse?.state === 'open';
  const canOpen = !purse || ['closed', 'mismatch', 'closable', 'expired'].includes(purse.state);

  return (
    <>
      <h1>{t('offlineCash.title')}</h1>
      <p className="muted">{t('offlineCash.intro')}</p>
      {notice ? (
        <p className="banner banner-ok" role="status">
          {notice(t, i18n.language)}
        </p>
      ) : null}
      {accounts.data && holders.length === 0 ? (
        <p className="banner">{t('offlineCash.noAccount')}</p>
      ) : null}
      {holders.length > 1 ? (
        <div className="field inline">
          <label htmlFor={accountId}>{t('offlineCash.account')}</label>
          <select id={accountId} value={address} onChange={(e) => setChosen(e.target.value)}>
            {holders.map((a) => (
              <option key={a.address} value={a.address}>
                {a.name} · {shortHex(a.address, 4)}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {noPurses ? (
        <p className="banner" role="status">
          {t('offlineCash.noContract')}
        </p>
      ) : (
        <PurseStatus
          status={status.data}
          loading={status.loading}
          error={status.error}
          onRetry={status.reload}
          accountKey={holder?.keyUri ?? ''}
          askPin={askPin}
          onChanged={changed}
        />
      )}
      {holder && !noPurses ? (
        <div className="purse-actions">
          <ReceivePanel key={`receive-${address}`} account={address} onChanged={changed} />
          {canPay ? (
            <PayPanel
              key={`pay-${address}`}
              account={address}
              askPin={askPin}
              onChanged={changed}
            />
          ) : null}
          {canOpen ? (
            <OpenPurse
              key={`open-${address}`}
              accountKey={holder.keyUri}
              askPin={askPin}
              onOpened={(message) => {
                setNotice(() => message);
                changed();
              }}
            />
          ) : null}
        </div>
      ) : null}
    </>
  );
}
