/**
 * A payment or a payment request as a QR code: one frame when it fits, else
 * the BC-UR parts the server cut, shown one after another (a scanner needs
 * any enough of them, in any order). The frame caption and a pause button
 * appear only when there are several.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { QrCode } from '../../components/QrCode.js';
import { formatNumber } from '../../format.js';

/** Frames per second: what phone cameras and jsQR at ~8 decodes a second keep up with. */
const FPS = 3;

export function PartsQr({ parts, label }: { parts: readonly string[]; label: string }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [index, setIndex] = useState(0);
  const [paused, setPaused] = useState(false);
  const animated = parts.length > 1;

  // New parts start from their first frame.
  useEffect(() => setIndex(0), [parts]);
  useEffect(() => {
    if (paused || !animated) return;
    const timer = window.setInterval(
      () => setIndex((i) => (i + 1) % parts.length),
      Math.round(1000 / FPS),
    );
    return () => window.clearInterval(timer);
  }, [paused, animated, parts.length]);

  const part = parts[index % Math.max(1, parts.length)];
  if (!part) return null;
  return (
    <figure className="offer-qr" data-qr-frames={parts.length}>
      <QrCode text={part} label={label} />
      {animated ? (
        <figcaption className="small toolbar">
          <span data-frame={index + 1}>
            {t('offlineCash.qr.frame', {
              i: formatNumber(index + 1, locale),
              n: formatNumber(parts.length, locale),
            })}
          </span>
          <button type="button" className="secondary small" onClick={() => setPaused(!paused)}>
            {paused ? t('offlineCash.qr.play') : t('offlineCash.qr.pause')}
          </button>
        </figcaption>
      ) : null}
    </figure>
  );
}
