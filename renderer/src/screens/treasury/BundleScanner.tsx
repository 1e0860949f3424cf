/**
 * Scanning an animated bundle QR code with the camera: every distinct
 * `ur:` part read is kept, and with each new one the whole set goes to
 * treasury.qrDecode (the server keeps nothing between calls), which says how
 * many fragments are in out of how many are needed, and, once complete, the
 * bundle and its review. A code that is not part of a bundle is said in one
 * line and left out; the scan goes on.
 */
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import { call, serialized } from '../../api.js';
import { type CameraProblem, QrScanner } from '../../components/QrScanner.js';
import { formatNumber } from '../../format.js';
import type { TreasuryReview } from './BundleReview.js';
import { Refusal } from './Refusal.js';

/** The most part texts sent in one decode call (the contract's cap). */
const MAX_PARTS = 600;

export function BundleScanner({
  onBundle,
  onCancel,
}: {
  onBundle(bundle: string, review: TreasuryReview): void;
  onCancel(): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const parts = useRef<string[]>([]);
  const [progress, setProgress] = useState<{ received: number; needed: number }>();
  const [error, setError] = useState<SerializedError>();
  const [problem, setProblem] = useState<CameraProblem>();
  // Decodes run one at a time, in the order the parts arrived.
  const queue = useRef<Promise<void>>(Promise.resolve());
  const done = useRef(false);

  const [foreign, setForeign] = useState(false);

  const scanned = (text: string) => {
    if (done.current || parts.current.includes(text)) return;
    // Not a UR part at all (another app's code): no need to ask the server.
    if (!/^ur:/i.test(text)) {
      setError(undefined);
      setForeign(true);
      return;
    }
    setForeign(false);
    queue.current = queue.current.then(async () => {
      if (done.current || parts.current.includes(text)) return;
      const tried = [...parts.current, text].slice(-MAX_PARTS);
      try {
        const decoded = await call('treasury.qrDecode', { parts: tried });
        parts.current = tried;
        setError(undefined);
        setProgress({ received: decoded.received, needed: decoded.needed });
        if (decoded.complete && decoded.bundle && decoded.review) {
          done.current = true;
          onBundle(decoded.bundle, decoded.review);
        }
      } catch (caught) {
        // Not part of this bundle: said once, left out; the parts so far stay.
        setError(serialized(caught));
      }
    });
  };

  const received = progress?.received ?? 0;
  const needed = progress?.needed ?? 0;
  const text = progress
    ? t('treasury.scan.progress', {
        received: formatNumber(received, locale),
        needed: formatNumber(needed, locale),
      })
    : t('treasury.scan.waiting');
  return (
    <section className="review-item" aria-label={t('treasury.scan.title')}>
      <h3>{t('treasury.scan.title')}</h3>
      {problem ? (
        <p className="field-error" role="alert">
          {t(`notes.scan.${problem}`)}
        </p>
      ) : (
        <QrScanner
          label={t('treasury.scan.camera')}
          onText={scanned}
          onProblem={(p) => setProblem(p)}
        />
      )}
      <div className="sync-progress">
        <div
          className="sync-bar"
          role="progressbar"
          aria-label={t('treasury.scan.progressLabel')}
          aria-valuemin={0}
          aria-valuemax={needed || 1}
          aria-valuenow={received}
          aria-valuetext={text}
        >
          <div
            className="sync-bar-fill"
            style={{ width: needed ? `${(100 * Math.min(received, needed)) / needed}%` : '0%' }}
          />
        </div>
        <p className="small" data-scan-progress="">
          {text}
        </p>
      </div>
      {foreign ? <Refusal text={t('treasury.scan.foreign')} /> : <Refusal error={error} />}
      <div className="row-actions start">
        <button type="button" className="secondary" onClick={onCancel}>
          {t('treasury.scan.cancel')}
        </button>
      </div>
    </section>
  );
}
