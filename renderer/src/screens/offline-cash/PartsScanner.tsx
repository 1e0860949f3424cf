/**
 * The camera reading a payment or a payment request, one frame or an animated
 * BC-UR sequence: every distinct `ur:` text read is kept, and with each new
 * one the whole set goes to `decode` (the server keeps nothing between calls),
 * which says how many fragments are in, or gives what the frames make once
 * whole. A code that is not a UR is said in one line and the scan goes on; a
 * refusal of the whole (damaged, tampered) goes to `onRefused` and the scan ends.
 */
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import { serialized } from '../../api.js';
import { type CameraProblem, QrScanner } from '../../components/QrScanner.js';
import { formatNumber } from '../../format.js';
import { Refusal } from '../treasury/Refusal.js';

/** The most part texts sent in one decode call. */
const MAX_PARTS = 600;

export type Decoded<T> =
  | { complete: false; received: number; needed: number }
  | { complete: true; value: T };

export function PartsScanner<T>({
  camera,
  foreign,
  decode,
  onDone,
  onRefused,
  onCancel,
}: {
  /** The video's accessible name: what to hold up to the camera. */
  camera: string;
  /** The line for a QR code that is not a UR at all. */
  foreign: string;
  decode(parts: string[]): Promise<Decoded<T>>;
  onDone(value: T): void;
  onRefused(error: SerializedError): void;
  onCancel(): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const parts = useRef<string[]>([]);
  const [progress, setProgress] = useState<{ received: number; needed: number }>();
  const [notUr, setNotUr] = useState(false);
  const [problem, setProblem] = useState<CameraProblem>();
  // Decodes run one at a time, in the order the parts arrived.
  const queue = useRef<Promise<void>>(Promise.resolve());
  const done = useRef(false);

  const scanned = (text: string) => {
    if (done.current || parts.current.includes(text)) return;
    if (!/^ur:/i.test(text)) {
      setNotUr(true);
      return;
    }
    setNotUr(false);
    queue.current = queue.current.then(async () => {
      if (done.current || parts.current.includes(text)) return;
      const tried = [...parts.current, text].slice(-MAX_PARTS);
      try {
        const decoded = await decode(tried);
        parts.current = tried;
        if (decoded.complete) {
          done.current = true;
          onDone(decoded.value);
        } else setProgress({ received: decoded.received, needed: decoded.needed });
      } catch (caught) {
        // Damaged, tampered or not acceptable: refused whole, the scan ends (nothing was stored).
        done.current = true;
        onRefused(serialized(caught));
      }
    });
  };

  const received = progress?.received ?? 0;
  const needed = progress?.needed ?? 0;
  const text = progress
    ? t('offlineCash.scan.progress', {
        received: formatNumber(received, locale),
        needed: formatNumber(needed, locale),
      })
    : t('offlineCash.scan.waiting');
  return (
    <section className="review-item" aria-label={t('offlineCash.scan.title')}>
      <h3>{t('offlineCash.scan.title')}</h3>
      {problem ? (
        <p className="field-error" role="alert">
          {t(`offlineCash.scan.${problem}`)}
        </p>
      ) : (
        <QrScanner label={camera} onText={scanned} onProblem={(p) => setProblem(p)} />
      )}
      <div className="sync-progress">
        <div
          className="sync-bar"
          role="progressbar"
          aria-label={t('offlineCash.scan.progressLabel')}
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
      {notUr ? <Refusal text={foreign} /> : null}
      <div className="row-actions start">
        <button type="button" className="secondary" onClick={onCancel}>
          {t('offlineCash.scan.cancel')}
        </button>
      </div>
    </section>
  );
}
