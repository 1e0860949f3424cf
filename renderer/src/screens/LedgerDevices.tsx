/**
 * The Devices screen's Ledgers: each one plugged in, whether Signet can use it
 * now (and if not, why, in words), and a form to add one of its accounts by
 * index. The page names the device by the id Signet listed and an index; the
 * server builds the `ledger:` URI, reads the account's key and signs nothing.
 */
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { HidDeviceSummary } from '../../../core/api/devices.js';
import type { SerializedError } from '../../../core/api/errors.js';
import { type DeviceRef, HID_DEVICE_KIND } from '../../../core/api/events.js';
import { call, serialized, subscribe } from '../api.js';
import { Badge, ErrorMessage, Panel } from '../components/Panel.js';
import { errorText } from '../format.js';
import { useQuery } from '../hooks.js';

const MAX_ACCOUNT = 0x7fffffff;

export function LedgerDevicesPanel({ onAdded }: { onAdded?: () => void }) {
  const { t } = useTranslation();
  const devices = useQuery('devices.listHid', {});
  const [notice, setNotice] = useState('');
  const { reload } = devices;
  // Ledgers plugged in or pulled out (core/devices/hid-device-source.ts): the list reloads by itself.
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type !== 'devices.changed') return;
        const names = (refs: DeviceRef[]) =>
          refs
            .filter((ref) => ref.kind === HID_DEVICE_KIND)
            .map((ref) => `“${ref.label.trim() || 'Ledger'}”`)
            .join(', ');
        const added = names(event.payload.added);
        const removed = names(event.payload.removed);
        if (!added && !removed) return;
        setNotice(
          [
            added ? t('devices.pluggedIn', { names: added }) : '',
            removed ? t('devices.pulledOut', { names: removed }) : '',
          ]
            .filter(Boolean)
            .join(' '),
        );
        reload();
      }),
    [reload, t],
  );
  return (
    <Panel
      title={t('ledgerDevice.title')}
      loading={devices.loading}
      error={devices.error}
      onRetry={devices.reload}
      actions={
        <button type="button" className="secondary" onClick={devices.reload}>
          {t('ledgerDevice.refresh')}
        </button>
      }
    >
      <p className="muted">{t('ledgerDevice.intro')}</p>
      {devices.data?.length === 0 ? <p>{t('ledgerDevice.none')}</p> : null}
      <p className="muted small" role="status">
        {notice}
      </p>
      <ul className="cards">
        {devices.data?.map((device) => (
          <LedgerDeviceCard key={device.path} device={device} onAdded={onAdded} />
        ))}
      </ul>
    </Panel>
  );
}

function LedgerDeviceCard({
  device,
  onAdded,
}: {
  device: HidDeviceSummary;
  onAdded: (() => void) | undefined;
}) {
  const { t } = useTranslation();
  const headingId = useId();
  const problem = device.problem;
  const holders = device.open.ok ? [] : device.open.holders;
  return (
    <li className="card" aria-labelledby={headingId}>
      <div className="card-head">
        <h3 id={headingId}>{device.product}</h3>
        <div className="badges">
          {problem ? (
            <Badge tone="bad">{errorText(t, problem)}</Badge>
          ) : (
            <Badge tone="ok">{`${device.app?.name} ${device.app?.version}`}</Badge>
          )}
        </div>
      </div>
      <dl className="facts">
        <dt>{t('ledgerDevice.path')}</dt>
        <dd className="mono">{device.path}</dd>
        {device.app ? (
          <>
            <dt>{t('ledgerDevice.app')}</dt>
            <dd>{`${device.app.name} ${device.app.version}`}</dd>
          </>
        ) : null}
        {device.deviceId ? (
          <>
            <dt>{t('ledgerDevice.deviceId')}</dt>
            <dd className="mono">{device.deviceId}</dd>
          </>
        ) : null}
      </dl>
      {holders.length > 0 ? (
        <p className="muted small">
          {t('ledgerDevice.heldBy', {
            holders: holders.map((h) => `${h.name} (pid ${h.pid})`).join(', '),
          })}
        </p>
      ) : null}
      {problem ? <ErrorMessage error={problem} /> : null}
      {device.deviceId ? <AddAccount deviceId={device.deviceId} onAdded={onAdded} /> : null}
    </li>
  );
}

function AddAccount({
  deviceId,
  onAdded,
}: {
  deviceId: string;
  onAdded: (() => void) | undefined;
}) {
  const { t } = useTranslation();
  const [account, setAccount] = useState('0');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SerializedError>();
  const [notice, setNotice] = useState('');
  const ids = { account: useId(), hint: useId(), name: useId(), heading: useId() };
  const index = /^\d{1,10}$/.test(account) ? Number(account) : Number.NaN;
  const valid = Number.isInteger(index) && index >= 0 && index <= MAX_ACCOUNT;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!valid || busy) return;
    setBusy(true);
    setError(undefined);
    setNotice('');
    try {
      const added = await call('accounts.addLedgerDevice', {
        device: deviceId,
        account: index,
        ...(name.trim() ? { name: name.trim() } : {}),
      });
      setNotice(t('ledgerDevice.added', { address: added.address }));
      onAdded?.();
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="inline-form" onSubmit={submit} aria-labelledby={ids.heading} noValidate>
      <h4 id={ids.heading}>{t('ledgerDevice.add')}</h4>
      <div className="field">
        <label htmlFor={ids.account}>{t('ledgerDevice.account')}</label>
        <input
          id={ids.account}
          inputMode="numeric"
          value={account}
          aria-describedby={ids.hint}
          aria-invalid={valid ? undefined : true}
          onChange={(e) => setAccount(e.target.value.trim())}
        />
        <p id={ids.hint} className="muted small">
          {t('ledgerDevice.accountHint')}
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.name}>{t('ledgerDevice.name')}</label>
        <input
          id={ids.name}
          value={name}
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <button type="submit" disabled={busy || !valid}>
        {busy ? t('common.loading') : t('ledgerDevice.add')}
      </button>
      <p className="muted small" role="status">
        {notice}
      </p>
      {error ? <ErrorMessage error={error} /> : null}
    </form>
  );
}
