/**
 * A bundle as an animated QR code: the fountain-coded `ur:x-signet-approval`
 * parts the server cuts (treasury.qrParts), shown one after another with the
 * QrCode component. Speed (frames per second) and density (bytes per
 * fragment: fewer, denser codes, or more, easier ones) are the viewer's to set;
 * a scanner needs any `fragments`-odd of the parts, in any order.
 */
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorMessage } from '../../components/Panel.js';
import { QrCode } from '../../components/QrCode.js';
import { formatNumber } from '../../format.js';
import { useQuery } from '../../hooks.js';

export const SPEEDS = [1, 2, 4, 8] as const;
export const DENSITIES = [100, 200, 400, 800] as const;

export function AnimatedQr({ bundle }: { bundle: string }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [fps, setFps] = useState<number>(2);
  const [fragmentBytes, setFragmentBytes] = useState<number>(200);
  const [paused, setPaused] = useState(false);
  const [index, setIndex] = useState(0);
  const ids = { speed: useId(), density: useId() };
  const qr = useQuery('treasury.qrParts', { bundle, fragmentBytes });
  const parts = qr.data?.parts ?? [];

  // A new set of parts starts from its first frame.
  useEffect(() => setIndex(0), [qr.data]);
  useEffect(() => {
    if (paused || parts.length < 2) return;
    const timer = window.setInterval(
      () => setIndex((i) => (i + 1) % parts.length),
      Math.round(1000 / fps),
    );
    return () => window.clearInterval(timer);
  }, [paused, fps, parts.length]);

  const part = parts[index % Math.max(1, parts.length)];
  return (
    <section className="review-item animated-qr" aria-label={t('treasury.qr.title')}>
      <h3>{t('treasury.qr.title')}</h3>
      <p className="muted small">{t('treasury.qr.hint')}</p>
      <div className="toolbar">
        <label htmlFor={ids.speed}>{t('treasury.qr.speed')}</label>
        <select id={ids.speed} value={fps} onChange={(e) => setFps(Number(e.target.value))}>
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {t('treasury.qr.fps', { n: formatNumber(s, locale) })}
            </option>
          ))}
        </select>
        <label htmlFor={ids.density}>{t('treasury.qr.density')}</label>
        <select
          id={ids.density}
          value={fragmentBytes}
          onChange={(e) => setFragmentBytes(Number(e.target.value))}
        >
          {DENSITIES.map((d) => (
            <option key={d} value={d}>
              {t('treasury.qr.bytes', { n: formatNumber(d, locale) })}
            </option>
          ))}
        </select>
        <button type="button" className="secondary small" onClick={() => setPaused(!paused)}>
          {paused ? t('treasury.qr.play') : t('treasury.qr.pause')}
        </button>
      </div>
      {qr.error ? <ErrorMessage error={qr.error} onRetry={qr.reload} /> : null}
      {part && qr.data ? (
        <figure className="offer-qr">
          <QrCode text={part} label={t('treasury.qr.label')} />
          <figcaption className="small">
            <span data-frame={index + 1}>
              {t('treasury.qr.frame', {
                i: formatNumber(index + 1, locale),
                n: formatNumber(parts.length, locale),
              })}
            </span>{' '}
            <span className="muted" data-fragments={qr.data.fragments}>
              {t('treasury.qr.fragments', {
                n: formatNumber(qr.data.fragments, locale),
                bytes: formatNumber(fragmentBytes, locale),
              })}
            </span>
          </figcaption>
        </figure>
      ) : qr.loading ? (
        <p className="muted">{t('common.loading')}</p>
      ) : null}
    </section>
  );
}
