/**
 * Treasuries (issue 11): the wallet's Safe treasuries, creating one, one
 * treasury's owners, threshold, nonce and money with its payment and CSV batch
 * proposals, and the bundle workspace where approvals are reviewed, signed,
 * merged, saved, shown or scanned as animated QR codes, and executed.
 *
 * Air-gapped: with no ledger selected, or the screen's switch on, every call
 * goes with `offline: true` (nothing is read from a node) and the screen says
 * so; a machine like that approves bundles and hands them on, nothing more.
 */
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PinRequest } from '../components/PinDialog.js';
import { useQuery } from '../hooks.js';
import { BundleWorkspace, type LoadedBundle } from './treasury/BundleWorkspace.js';
import { TreasuryCreate } from './treasury/TreasuryCreate.js';
import { TreasuryDetail } from './treasury/TreasuryDetail.js';
import { TreasuryList } from './treasury/TreasuryList.js';

type Step =
  | { kind: 'list' }
  | { kind: 'create' }
  | { kind: 'treasury'; address: string }
  /** `key` remounts the workspace for each bundle handed to it. */
  | { kind: 'bundle'; initial: LoadedBundle | null; key: number };

export function Treasury({
  refreshKey,
  askPin,
  onChanged,
}: {
  refreshKey: number;
  askPin(request: PinRequest): void;
  onChanged(): void;
}) {
  const { t } = useTranslation();
  const info = useQuery('app.info', {}, refreshKey);
  const noChain = info.data !== undefined && info.data.ledger === null;
  const [airGapped, setAirGapped] = useState(false);
  const offline = noChain || airGapped;
  const [step, setStep] = useState<Step>({ kind: 'list' });
  const switchId = useId();
  const openBundle = (initial: LoadedBundle | null) =>
    setStep({ kind: 'bundle', initial, key: Date.now() });

  // With no ledger, this machine only works on bundles: there is no treasury list to read.
  const current: Step =
    noChain && step.kind !== 'bundle' ? { kind: 'bundle', initial: null, key: 0 } : step;

  return (
    <>
      <h1>{t('treasury.title')}</h1>
      <div className="toolbar treasury-mode">
        <label className="switch" htmlFor={switchId}>
          <input
            id={switchId}
            type="checkbox"
            role="switch"
            checked={offline}
            aria-checked={offline}
            disabled={noChain}
            onChange={(e) => setAirGapped(e.target.checked)}
          />
          <span>{t('treasury.airGapped.switch')}</span>
        </label>
        <p className={offline ? 'banner banner-air' : 'muted small'} role="status">
          {noChain
            ? t('treasury.airGapped.noChain')
            : offline
              ? t('treasury.airGapped.on')
              : t('treasury.airGapped.off')}
        </p>
      </div>
      {current.kind !== 'list' && !noChain ? (
        <div className="row-actions start">
          <button type="button" className="secondary" onClick={() => setStep({ kind: 'list' })}>
            {t('treasury.backToList')}
          </button>
        </div>
      ) : null}
      {current.kind === 'list' ? (
        <TreasuryList
          refreshKey={refreshKey}
          onOpen={(address) => setStep({ kind: 'treasury', address })}
          onCreate={() => setStep({ kind: 'create' })}
          onBundle={() => openBundle(null)}
        />
      ) : current.kind === 'create' ? (
        <TreasuryCreate
          offline={offline}
          askPin={askPin}
          onCreated={onChanged}
          onOpen={(address) => setStep({ kind: 'treasury', address })}
        />
      ) : current.kind === 'treasury' ? (
        <TreasuryDetail
          address={current.address}
          offline={offline}
          refreshKey={refreshKey}
          onBundle={openBundle}
        />
      ) : (
        <BundleWorkspace
          key={current.key}
          initial={current.initial}
          offline={offline}
          askPin={askPin}
          onChanged={onChanged}
        />
      )}
    </>
  );
}
