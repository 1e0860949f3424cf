/**
 * A QR code of `text`, drawn as an SVG from `qrcode`'s module matrix: black
 * modules on white with the standard four-module quiet zone, whatever the
 * theme. An inline <svg> (role img, named by `label`) rather than an <img> of
 * a data: URL: the browser bridge's Content-Security-Policy allows images from
 * 'self' only, and this needs no URL, no inline style and no innerHTML.
 */
import { create } from 'qrcode';
import { useMemo } from 'react';

const QUIET = 4;

/** One path of unit squares, one per dark module, row by row. */
export function qrPath(text: string): { size: number; d: string } {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const parts: string[] = [];
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) parts.push(`M${col} ${row}h1v1h-1z`);
    }
  }
  return { size: modules.size, d: parts.join('') };
}

export function QrCode({ text, label }: { text: string; label: string }) {
  const { size, d } = useMemo(() => qrPath(text), [text]);
  const box = size + 2 * QUIET;
  return (
    <svg
      className="qr-code"
      role="img"
      aria-label={label}
      viewBox={`${-QUIET} ${-QUIET} ${box} ${box}`}
      shapeRendering="crispEdges"
      xmlns="http://www.w3.org/2000/svg"
    >
      <rect x={-QUIET} y={-QUIET} width={box} height={box} fill="#ffffff" />
      <path d={d} fill="#000000" />
    </svg>
  );
}
