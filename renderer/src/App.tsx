import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { subscribe } from './api.js';
import { PinDialog, type PinRequest } from './components/PinDialog.js';
import { useQuery } from './hooks.js';
import { type Language, languages, setLanguage } from './i18n/index.js';
import { Accounts } from './screens/Accounts.js';
import { Audit } from './screens/Audit.js';
import { Customers } from './screens/Customers.js';
import { Devices } from './screens/Devices.js';
import { Notes } from './screens/Notes.js';
import { OfflineCash } from './screens/OfflineCash.js';
import { Outbox } from './screens/Outbox.js';
import { Provisioning } from './screens/Provisioning.js';
import { Send } from './screens/Send.js';
import { Treasury } from './screens/Treasury.js';

const screens = [
  'devices',
  'provisioning',
  'accounts',
  'send',
  'cash',
  'notes',
  'treasury',
  'outbox',
  'audit',
  'customers',
] as const;
type Screen = (typeof screens)[number];

const icons: Record<Screen, string> = {
  devices: '⌁',
  provisioning: '⊕',
  accounts: '≡',
  send: '↗',
  cash: '¤',
  notes: '▤',
  treasury: '⛁',
  outbox: '⇅',
  audit: '✓',
  customers: '⚑',
};

export function App() {
  const { t, i18n } = useTranslation();
  const [screen, setScreen] = useState<Screen>('devices');
  const [pinRequest, setPinRequest] = useState<PinRequest | null>(null);
  // Bumped by server events and by actions that change ledger data: panels reload.
  const [refreshKey, setRefreshKey] = useState(0);
  const info = useQuery('app.info', {}, refreshKey);
  const bump = () => setRefreshKey((n) => n + 1);

  useEffect(
    () =>
      subscribe((event) => {
        // Panels reload once a sync has ended (its nodes' state comes last), not at every step.
        if (event.type === 'ledger.nodes') setRefreshKey((n) => n + 1);
      }),
    [],
  );

  useEffect(() => {
    document.title = `${t(`nav.${screen}`)} · ${t('app.name')}`;
  }, [screen, t]);

  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          <span className="brand-name">{t('app.name')}</span>
          <span className="brand-tagline muted small">{t('app.tagline')}</span>
        </div>
        <div className="topbar-right">
          <span className="ledger small" role="status">
            {info.data?.ledger
              ? `${t('app.ledger', { name: info.data.ledger.name, chainId: info.data.ledger.chainId })}${
                  info.data.ledger.dev ? ` · ${t('app.chainDev')}` : ''
                }`
              : info.data
                ? t('app.noChain')
                : ''}
          </span>
          <label className="lang">
            <span>{t('app.language')}</span>
            <select
              value={i18n.language}
              onChange={(e) => void setLanguage(e.target.value as Language)}
            >
              {languages.map((l) => (
                <option key={l.code} value={l.code} lang={l.code}>
                  {l.name}
                </option>
              ))}
            </select>
          </label>
        </div>
      </header>
      <nav className="sidebar" aria-label={t('nav.label')}>
        <ul>
          {screens.map((s) => (
            <li key={s}>
              <button
                type="button"
                className="nav-item"
                aria-current={screen === s ? 'page' : undefined}
                onClick={() => setScreen(s)}
                data-screen={s}
              >
                <span className="nav-icon" aria-hidden="true">
                  {icons[s]}
                </span>
                {t(`nav.${s}`)}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" id="main">
        {screen === 'devices' ? <Devices askPin={setPinRequest} /> : null}
        {screen === 'provisioning' ? (
          <Provisioning askPin={setPinRequest} onChanged={bump} />
        ) : null}
        {screen === 'accounts' ? <Accounts refreshKey={refreshKey} /> : null}
        {screen === 'send' ? <Send askPin={setPinRequest} onSent={bump} /> : null}
        {screen === 'cash' ? (
          <OfflineCash refreshKey={refreshKey} askPin={setPinRequest} onChanged={bump} />
        ) : null}
        {screen === 'notes' ? (
          <Notes refreshKey={refreshKey} askPin={setPinRequest} onSigned={bump} />
        ) : null}
        {screen === 'treasury' ? (
          <Treasury refreshKey={refreshKey} askPin={setPinRequest} onChanged={bump} />
        ) : null}
        {screen === 'outbox' ? <Outbox refreshKey={refreshKey} onSynced={bump} /> : null}
        {screen === 'audit' ? <Audit refreshKey={refreshKey} /> : null}
        {screen === 'customers' ? (
          <Customers refreshKey={refreshKey} askPin={setPinRequest} onChanged={bump} />
        ) : null}
      </main>
      <PinDialog request={pinRequest} onClose={() => setPinRequest(null)} />
    </div>
  );
}
