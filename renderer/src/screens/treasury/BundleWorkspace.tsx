/**
 * One approval bundle at work: loaded from a `.signet-approval` file or
 * scanned from an animated QR code, reviewed in full, approved with one of the
 * wallet's owner keys (after the review, its digest sent with the approval),
 * checked against a `.signet-policy` file on an air-gapped machine (what the
 * check counted is shown), merged with another approver's bundle (a file or
 * its scanned QR code), saved as a file or shown as an
 * animated QR code, and, once enough owners approved and a node is reachable,
 * executed through the outbox.
 */
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiResult } from '../../../../core/api/methods.js';
import { call, serialized } from '../../api.js';
import { Badge, Panel } from '../../components/Panel.js';
import type { PinRequest } from '../../components/PinDialog.js';
import { formatAmount, formatNumber } from '../../format.js';
import { useQuery } from '../../hooks.js';
import { AnimatedQr } from './AnimatedQr.js';
import { BundleReview, type TreasuryReview, thresholdMet } from './BundleReview.js';
import { BundleScanner } from './BundleScanner.js';
import { Refusal } from './Refusal.js';
import { withPin } from './with-pin.js';

export interface LoadedBundle {
  bundle: string;
  review: TreasuryReview;
}

type Executed = ApiResult<'treasury.execute'>;
type PolicyCheck = NonNullable<ApiResult<'treasury.approve'>['policy']>;

/** `<safe>-<nonce>.signet-approval`: the name a saved bundle gets. */
export function bundleFileName(review: TreasuryReview): string {
  return `${review.safe}-${review.nonce}.signet-approval`;
}

export function BundleWorkspace({
  initial,
  offline,
  askPin,
  onChanged,
}: {
  initial: LoadedBundle | null;
  offline: boolean;
  askPin(request: PinRequest): void;
  onChanged(): void;
}) {
  const { t } = useTranslation();
  const [loaded, setLoaded] = useState<LoadedBundle | null>(initial);
  const [note, setNote] = useState<string>();
  const [scanning, setScanning] = useState(false);
  const [showQr, setShowQr] = useState(false);
  const [error, setError] = useState<SerializedError>();
  const [executed, setExecuted] = useState<Executed>();
  const fileId = useId();

  const show = (next: LoadedBundle, message?: string) => {
    setLoaded(next);
    setError(undefined);
    setNote(message);
    setScanning(false);
  };

  const openFile = async (file: File | undefined) => {
    if (!file) return;
    setError(undefined);
    try {
      const bundle = await file.text();
      show(await call('treasury.review', { bundle }), t('treasury.bundle.loaded'));
    } catch (caught) {
      setError(serialized(caught));
    }
  };

  return (
    <Panel title={t('treasury.bundle.title')}>
      {!loaded || scanning ? (
        <>
          <p className="muted">{t('treasury.bundle.intro')}</p>
          <div className="field">
            <label htmlFor={fileId}>{t('treasury.bundle.file')}</label>
            <input
              id={fileId}
              type="file"
              accept=".signet-approval"
              onChange={(e) => void openFile(e.target.files?.[0])}
            />
          </div>
          {scanning ? (
            <BundleScanner
              onBundle={(bundle, review) => show({ bundle, review }, t('treasury.scan.done'))}
              onCancel={() => setScanning(false)}
            />
          ) : (
            <div className="row-actions start">
              <button type="button" className="secondary" onClick={() => setScanning(true)}>
                {t('treasury.scan.button')}
              </button>
            </div>
          )}
          <Refusal error={error} />
        </>
      ) : null}
      {loaded && !scanning ? (
        <Loaded
          loaded={loaded}
          offline={offline}
          askPin={askPin}
          note={note}
          error={error}
          showQr={showQr}
          executed={executed}
          onShowQr={() => setShowQr(!showQr)}
          onChange={(next, message) => {
            show(next, message);
            onChanged();
          }}
          onError={(e) => {
            setNote(undefined);
            setError(e);
          }}
          onExecuted={(result) => {
            setExecuted(result);
            setLoaded({ bundle: loaded.bundle, review: result.review });
            onChanged();
          }}
          onOther={() => {
            setLoaded(null);
            setExecuted(undefined);
            setShowQr(false);
            setNote(undefined);
            setError(undefined);
          }}
        />
      ) : null}
    </Panel>
  );
}

function Loaded({
  loaded,
  offline,
  askPin,
  note,
  error,
  showQr,
  executed,
  onShowQr,
  onChange,
  onError,
  onExecuted,
  onOther,
}: {
  loaded: LoadedBundle;
  offline: boolean;
  askPin(request: PinRequest): void;
  note: string | undefined;
  error: SerializedError | undefined;
  showQr: boolean;
  executed: Executed | undefined;
  onShowQr(): void;
  onChange(next: LoadedBundle, message: string): void;
  onError(error: SerializedError | undefined): void;
  onExecuted(result: Executed): void;
  onOther(): void;
}) {
  const { t } = useTranslation();
  const { bundle, review } = loaded;
  const accounts = useQuery('accounts.list', {});
  const ids = { key: useId(), from: useId(), merge: useId(), policy: useId(), policyHint: useId() };
  const approvedAlready = (address: string) =>
    review.approvals.some((a) => a.toLowerCase() === address.toLowerCase());
  // The wallet's accounts that own this treasury and have not approved yet (a P-256
  // account approves through its account contract, whose address is the owner).
  const ownerKeys = (accounts.data ?? []).filter(
    (a) =>
      a.curve !== 'ed25519' &&
      review.owners.some((o) => o.toLowerCase() === a.address.toLowerCase()) &&
      !approvedAlready(a.address),
  );
  const senders = (accounts.data ?? []).filter((a) => a.curve === 'secp256k1');
  const [key, setKey] = useState('');
  const [from, setFrom] = useState('');
  const [busy, setBusy] = useState(false);
  // An air-gapped approver's `.signet-policy` file, checked instead of a stored policy.
  const [policy, setPolicy] = useState<{ name: string; text: string }>();
  const [policyCheck, setPolicyCheck] = useState<PolicyCheck>();
  const [scanningMerge, setScanningMerge] = useState(false);
  const chosenKey = ownerKeys.some((a) => a.keyUri === key) ? key : (ownerKeys[0]?.keyUri ?? '');
  const chosenFrom = senders.some((a) => a.keyUri === from) ? from : (senders[0]?.keyUri ?? '');
  const met = thresholdMet(review);
  const href = `data:application/octet-stream;charset=utf-8,${encodeURIComponent(bundle)}`;

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    onError(undefined);
    try {
      await work();
    } catch (caught) {
      onError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  const approve = () =>
    run(() =>
      withPin(
        askPin,
        { title: t('treasury.approve.pinTitle'), description: t('treasury.approve.pinIntro') },
        (pin) =>
          call('treasury.approve', {
            bundle,
            key: chosenKey,
            offline,
            reviewDigest: review.reviewDigest,
            ...(policy ? { policy: policy.text } : {}),
            ...(pin ? { pin } : {}),
          }),
        (result) => {
          setPolicyCheck(result.policy ?? undefined);
          onChange(
            { bundle: result.bundle, review: result.review },
            t('treasury.approve.done', { owner: result.approvedBy }),
          );
        },
      ),
    );

  const mergeText = (other: string) =>
    run(async () => {
      const merged = await call('treasury.merge', { bundles: [bundle, other] });
      onChange(merged, t('treasury.merge.done'));
    });
  const merge = async (file: File | undefined) => {
    if (!file) return;
    await mergeText(await file.text());
  };

  const execute = () =>
    run(() =>
      withPin(
        askPin,
        { title: t('treasury.execute.pinTitle'), description: t('treasury.execute.pinIntro') },
        (pin) =>
          call('treasury.execute', {
            bundle,
            from: chosenFrom,
            reviewDigest: review.reviewDigest,
            ...(pin ? { pin } : {}),
          }),
        onExecuted,
      ),
    );

  const tx = executed?.transactions.at(-1);
  return (
    <>
      <p>{t('treasury.bundle.reviewIntro')}</p>
      <BundleReview review={review} />
      {note ? (
        <p className="strong" role="status">
          {note}
        </p>
      ) : null}
      <Refusal error={error} />

      {executed ? (
        <section className="review-item" aria-label={t('treasury.execute.resultTitle')}>
          <h3>{t('treasury.execute.resultTitle')}</h3>
          <p role="status" className="strong">
            <Badge tone={tx?.status === 'failed' ? 'bad' : 'info'}>
              {t(`outbox.txStatus.${tx?.status ?? 'signed'}`)}
            </Badge>{' '}
            {t('treasury.execute.done')}
          </p>
          {tx ? <p className="mono small">{tx.txHash}</p> : null}
        </section>
      ) : (
        <>
          <section className="review-item" aria-label={t('treasury.approve.title')}>
            <h3>{t('treasury.approve.title')}</h3>
            {ownerKeys.length === 0 ? (
              <p className="muted">{t('treasury.approve.noKey')}</p>
            ) : (
              <div className="inline-form">
                <div className="field">
                  <label htmlFor={ids.key}>{t('treasury.approve.key')}</label>
                  <select id={ids.key} value={chosenKey} onChange={(e) => setKey(e.target.value)}>
                    {ownerKeys.map((a) => (
                      <option key={a.keyUri} value={a.keyUri}>
                        {a.name} · {a.address}
                      </option>
                    ))}
                  </select>
                </div>
                <button type="button" disabled={busy || !chosenKey} onClick={() => void approve()}>
                  {t('treasury.approve.button')}
                </button>
              </div>
            )}
            {offline ? <p className="muted small">{t('treasury.approve.offlineHint')}</p> : null}
            {offline ? (
              <div className="field">
                <label htmlFor={ids.policy}>{t('treasury.policy.file')}</label>
                <input
                  id={ids.policy}
                  type="file"
                  accept=".signet-policy"
                  aria-describedby={ids.policyHint}
                  disabled={busy}
                  onChange={async (e) => {
                    const file = e.target.files?.[0];
                    setPolicy(file ? { name: file.name, text: await file.text() } : undefined);
                  }}
                />
                <p id={ids.policyHint} className="muted small">
                  {policy
                    ? t('treasury.policy.chosen', { name: policy.name })
                    : t('treasury.policy.hint')}
                </p>
              </div>
            ) : null}
            {policyCheck ? <PolicyChecked check={policyCheck} /> : null}
          </section>

          <section className="review-item" aria-label={t('treasury.execute.title')}>
            <h3>{t('treasury.execute.title')}</h3>
            {!met ? (
              <p className="muted">
                {t('treasury.execute.notYet', {
                  n: review.approvals.length,
                  threshold: review.threshold,
                })}
              </p>
            ) : offline ? (
              <p className="muted">{t('treasury.execute.offline')}</p>
            ) : senders.length === 0 ? (
              <p className="muted">{t('send.noAccounts')}</p>
            ) : (
              <div className="inline-form">
                <div className="field">
                  <label htmlFor={ids.from}>{t('treasury.execute.from')}</label>
                  <select
                    id={ids.from}
                    value={chosenFrom}
                    onChange={(e) => setFrom(e.target.value)}
                  >
                    {senders.map((a) => (
                      <option key={a.keyUri} value={a.keyUri}>
                        {a.name} · {a.address}
                      </option>
                    ))}
                  </select>
                </div>
                <button type="button" disabled={busy} onClick={() => void execute()}>
                  {t('treasury.execute.button')}
                </button>
              </div>
            )}
          </section>
        </>
      )}

      <section className="review-item" aria-label={t('treasury.merge.title')}>
        <h3>{t('treasury.merge.title')}</h3>
        <div className="field">
          <label htmlFor={ids.merge}>{t('treasury.merge.file')}</label>
          <input
            id={ids.merge}
            type="file"
            accept=".signet-approval"
            disabled={busy}
            onChange={(e) => {
              void merge(e.target.files?.[0]);
              e.target.value = '';
            }}
          />
        </div>
        {scanningMerge ? (
          <BundleScanner
            onBundle={(other) => {
              setScanningMerge(false);
              void mergeText(other);
            }}
            onCancel={() => setScanningMerge(false)}
          />
        ) : (
          <div className="row-actions start">
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => setScanningMerge(true)}
            >
              {t('treasury.merge.scan')}
            </button>
          </div>
        )}
      </section>

      <div className="row-actions start">
        <a className="button secondary" href={href} download={bundleFileName(review)}>
          {t('treasury.bundle.save')}
        </a>
        <button type="button" className="secondary" onClick={onShowQr}>
          {showQr ? t('treasury.qr.hide') : t('treasury.qr.show')}
        </button>
        <button type="button" className="secondary" onClick={onOther}>
          {t('treasury.bundle.other')}
        </button>
      </div>
      {showQr ? <AnimatedQr bundle={bundle} /> : null}
    </>
  );
}

/** What the policy check counted before the key signed: its version, today's spending, the approvals it asks for. */
function PolicyChecked({ check }: { check: PolicyCheck }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  return (
    <dl className="facts" data-policy-check="" aria-label={t('treasury.policy.checked')}>
      <dt>{t('treasury.policy.version')}</dt>
      <dd>{formatNumber(check.version, locale)}</dd>
      <dt>{t('treasury.policy.spentToday', { day: check.day })}</dt>
      <dd>
        {check.spentToday.length === 0
          ? formatAmount('0.00', locale)
          : check.spentToday.map((spent) => formatAmount(spent.amount, locale)).join(' + ')}
        <span className="muted small"> ({check.counted})</span>
      </dd>
      <dt>{t('treasury.policy.required')}</dt>
      <dd className="strong">{formatNumber(check.requiredThreshold, locale)}</dd>
    </dl>
  );
}
