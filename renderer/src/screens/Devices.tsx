import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { KeySummary, TokenSummary } from '../../../core/api/devices.js';
import type { SerializedError } from '../../../core/api/errors.js';
import { type DeviceRef, HID_DEVICE_KIND } from '../../../core/api/events.js';
import { call, serialized, subscribe } from '../api.js';
import { DiagnosticsPanel } from '../components/DiagnosticsPanel.js';
import { type InitTarget, InitTokenDialog } from '../components/InitTokenDialog.js';
import { Badge, type BadgeTone, ErrorMessage, Panel } from '../components/Panel.js';
import {
  PinChangeDialog,
  type PinChangeMode,
  type PinChangeTarget,
} from '../components/PinChangeDialog.js';
import type { PinRequest } from '../components/PinDialog.js';
import { shortHex, tpmLockoutWords } from '../format.js';
import { useQuery } from '../hooks.js';
import { LedgerDevicesPanel } from './LedgerDevices.js';
import { CounterPanel } from './provisioning/CounterPanel.js';

type AskPin = (request: PinRequest) => void;

function pinState(flags: TokenSummary['flags']): { key: string; tone: BadgeTone }[] {
  const states: { key: string; tone: BadgeTone }[] = [];
  if (!flags.tokenInitialized) states.push({ key: 'uninitialised', tone: 'bad' });
  else if (flags.userPinLocked) states.push({ key: 'locked', tone: 'bad' });
  else if (!flags.userPinInitialized) states.push({ key: 'noPin', tone: 'warn' });
  else if (flags.userPinFinalTry) states.push({ key: 'finalTry', tone: 'bad' });
  else if (flags.userPinCountLow) states.push({ key: 'countLow', tone: 'warn' });
  else states.push({ key: 'ok', tone: 'ok' });
  if (flags.userPinToBeChanged) states.push({ key: 'toChange', tone: 'warn' });
  if (flags.writeProtected) states.push({ key: 'readOnly', tone: 'info' });
  return states;
}

/** The module path a token URI carries in its `module-path` query attribute (RFC 7512). */
export function modulePathOf(uri: string): string | undefined {
  const query = uri.split('?')[1];
  if (!query) return undefined;
  for (const part of query.split('&')) {
    const [name, value] = part.split('=');
    if (name === 'module-path' && value) return decodeURIComponent(value);
  }
  return undefined;
}

export function Devices({ askPin }: { askPin: AskPin }) {
  const { t } = useTranslation();
  const tokens = useQuery('devices.listTokens', {});
  const [initTarget, setInitTarget] = useState<InitTarget | null>(null);
  const [pinTarget, setPinTarget] = useState<PinChangeTarget | null>(null);
  const [notice, setNotice] = useState('');
  const { reload } = tokens;
  // Tokens plugged in or pulled out (core/devices/device-watch.ts): the list reloads by itself.
  // (Ledgers are the Ledger panel's.)
  useEffect(
    () =>
      subscribe((event) => {
        if (event.type !== 'devices.changed') return;
        const tokensOnly = (devices: DeviceRef[]) =>
          devices.filter((device) => device.kind !== HID_DEVICE_KIND);
        const change = {
          added: tokensOnly(event.payload.added),
          removed: tokensOnly(event.payload.removed),
        };
        if (change.added.length + change.removed.length === 0) return;
        const names = (devices: { label: string }[]) =>
          devices
            .map((device) => device.label.trim())
            .filter(Boolean)
            .map((label) => `“${label}”`)
            .join(', ');
        const added = names(change.added);
        const removed = names(change.removed);
        setNotice(
          [
            added ? t('devices.pluggedIn', { names: added }) : '',
            removed ? t('devices.pulledOut', { names: removed }) : '',
          ]
            .filter(Boolean)
            .join(' ') || t('devices.slotsChanged'),
        );
        reload();
      }),
    [reload, t],
  );
  return (
    <>
      <h1>{t('devices.title')}</h1>
      <p className="muted">{t('devices.intro')}</p>
      <Panel
        title={t('devices.tokens')}
        loading={tokens.loading}
        error={tokens.error}
        onRetry={tokens.reload}
        actions={
          <button type="button" className="secondary" onClick={tokens.reload}>
            {t('common.refresh')}
          </button>
        }
      >
        {tokens.data?.length === 0 ? <p>{t('devices.none')}</p> : null}
        <p className="muted small" role="status">
          {notice}
        </p>
        <ul className="cards">
          {tokens.data?.map((token) => (
            <TokenCard
              key={token.uri}
              token={token}
              askPin={askPin}
              onChanged={tokens.reload}
              onInitialise={(target) => {
                setNotice('');
                setInitTarget(target);
              }}
              onPinChange={(target) => {
                setNotice('');
                setPinTarget(target);
              }}
            />
          ))}
        </ul>
      </Panel>
      <CounterPanel askPin={askPin} tokens={tokens.data} onChanged={tokens.reload} />
      <LedgerDevicesPanel />
      <InitTokenDialog
        target={initTarget}
        onClose={() => setInitTarget(null)}
        onDone={(label) => {
          setNotice(t('init.done', { label }));
          tokens.reload();
        }}
      />
      <DiagnosticsPanel />
      <PinChangeDialog
        target={pinTarget}
        onClose={() => setPinTarget(null)}
        onTried={tokens.reload}
        onDone={(target) => setNotice(t(`pinChange.${target.mode}.done`, { token: target.name }))}
      />
    </>
  );
}

function TokenCard({
  token,
  askPin,
  onChanged,
  onInitialise,
  onPinChange,
}: {
  token: TokenSummary;
  askPin: AskPin;
  onChanged(): void;
  onInitialise(target: InitTarget): void;
  onPinChange(target: PinChangeTarget): void;
}) {
  const { t } = useTranslation();
  const [keys, setKeys] = useState<KeySummary[] | null>(null);
  const [error, setError] = useState<SerializedError>();
  const headingId = useId();
  const lockedHintId = useId();
  const needsPin = token.flags.loginRequired;
  const name = token.label.trim() || t('devices.unlabelled', { slot: token.slot });
  const modulePath = modulePathOf(token.uri);
  const { flags } = token;
  // A locked PIN, or one the token says few tries are left for: unblocking comes first.
  const pinTrouble = flags.userPinLocked || flags.userPinFinalTry || flags.userPinCountLow;
  const pinButton = (mode: PinChangeMode, primary: boolean, disabled: boolean) => (
    <button
      type="button"
      className={primary ? undefined : 'secondary'}
      aria-haspopup="dialog"
      aria-describedby={mode === 'unblock' && flags.userPinLocked ? lockedHintId : undefined}
      disabled={disabled}
      onClick={() => onPinChange({ mode, token: token.uri, name })}
    >
      {t(`devices.${mode}Pin`)}
    </button>
  );
  const unblockButton = pinButton('unblock', pinTrouble, flags.soPinLocked || flags.writeProtected);

  const withPin = (title: string, run: (pin: string | undefined) => Promise<void>) => {
    setError(undefined);
    if (!needsPin) {
      run(undefined).catch((caught: unknown) => setError(serialized(caught)));
      return;
    }
    askPin({
      title,
      description: t('pin.forToken', { token: name }),
      run: async (pin) => {
        try {
          await run(pin);
        } finally {
          // A wrong PIN changes the token's retry flags: show the new state.
          onChanged();
        }
      },
    });
  };

  const showKeys = () =>
    withPin(t('devices.showKeys'), async (pin) => {
      setKeys(await call('devices.listKeys', { token: token.uri, ...(pin ? { pin } : {}) }));
    });

  return (
    <li className="card" aria-labelledby={headingId}>
      <div className="card-head">
        <h3 id={headingId}>{name}</h3>
        <div className="badges">
          {pinState(token.flags).map((s) => (
            <Badge key={s.key} tone={s.tone}>
              {t(`devices.state.${s.key}`)}
            </Badge>
          ))}
        </div>
      </div>
      <dl className="facts">
        <dt>{t('devices.model')}</dt>
        <dd>
          {token.manufacturer} {token.model}
        </dd>
        <dt>{t('devices.serial')}</dt>
        <dd className="mono">{token.serial}</dd>
        <dt>{t('devices.slot')}</dt>
        <dd>{token.slot}</dd>
        {token.tpmLockout ? (
          <>
            <dt>{t('devices.tpmLockout')}</dt>
            <dd>
              {token.tpmLockout.known
                ? tpmLockoutWords(t, token.tpmLockout)
                : t('devices.tpmLockoutUnknown')}
            </dd>
          </>
        ) : null}
      </dl>
      <div className="row-actions">
        {!token.flags.tokenInitialized ? (
          <>
            <p className="muted small">{t('devices.initialiseHint')}</p>
            {modulePath ? (
              <button
                type="button"
                aria-haspopup="dialog"
                onClick={() => onInitialise({ module: modulePath, slot: token.slot })}
              >
                {t('devices.initialise')}
              </button>
            ) : null}
          </>
        ) : (
          <>
            {flags.userPinLocked ? (
              <p id={lockedHintId} className="muted small">
                {t('devices.lockedHint')}
              </p>
            ) : null}
            {pinTrouble ? unblockButton : null}
            {keys ? (
              <button type="button" className="secondary" onClick={() => setKeys(null)}>
                {t('devices.hideKeys')}
              </button>
            ) : (
              <button
                type="button"
                className={pinTrouble ? 'secondary' : undefined}
                onClick={showKeys}
                disabled={flags.userPinLocked}
              >
                {t('devices.showKeys')}
              </button>
            )}
            {pinButton(
              'change',
              flags.userPinToBeChanged && !pinTrouble,
              !flags.userPinInitialized || flags.userPinLocked || flags.writeProtected,
            )}
            {pinTrouble ? null : unblockButton}
          </>
        )}
      </div>
      {error ? <ErrorMessage error={error} /> : null}
      {keys ? (
        <>
          <KeyTable name={name} keys={keys} />
          <GenerateKey
            onGenerate={(curve, label) =>
              withPin(t('devices.generateTitle'), async (pin) => {
                const key = await call('devices.generateKey', {
                  token: token.uri,
                  curve,
                  label,
                  ...(pin ? { pin } : {}),
                });
                setKeys((old) => [...(old ?? []), key]);
              })
            }
          />
        </>
      ) : null}
    </li>
  );
}

function KeyTable({ name, keys }: { name: string; keys: KeySummary[] }) {
  const { t } = useTranslation();
  if (keys.length === 0) return <p>{t('devices.noKeys')}</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption>{t('devices.keysTitle', { token: name })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('devices.keyLabel')}</th>
            <th scope="col">{t('devices.curve')}</th>
            <th scope="col">{t('devices.address')}</th>
            <th scope="col">{t('devices.protection')}</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.uri}>
              <td>{key.label}</td>
              <td>{key.curve}</td>
              <td className="mono" title={key.address ?? key.publicKey}>
                {key.address ?? shortHex(key.publicKey)}
              </td>
              <td>
                {key.protection.extractable ? (
                  <Badge tone="warn">{t('devices.extractable')}</Badge>
                ) : (
                  <Badge tone="ok">{t('devices.hardware')}</Badge>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const curves = ['secp256k1', 'p256', 'ed25519'] as const;

function GenerateKey({ onGenerate }: { onGenerate(curve: string, label: string): void }) {
  const { t } = useTranslation();
  const [curve, setCurve] = useState<string>('secp256k1');
  const [label, setLabel] = useState('');
  const curveId = useId();
  const labelId = useId();
  const headingId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (label.trim()) onGenerate(curve, label.trim());
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-labelledby={headingId}>
      <h4 id={headingId}>{t('devices.generateTitle')}</h4>
      <div className="field">
        <label htmlFor={curveId}>{t('devices.curve')}</label>
        <select id={curveId} value={curve} onChange={(e) => setCurve(e.target.value)}>
          {curves.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={labelId}>{t('devices.newLabel')}</label>
        <input
          id={labelId}
          value={label}
          onChange={(e) => setLabel(e.target.value)}
          maxLength={64}
          required
        />
      </div>
      <button type="submit">{t('devices.generate')}</button>
    </form>
  );
}
