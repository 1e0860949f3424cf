/**
 * A one-line progress bar on a terminal's stderr, redrawn in place with a
 * carriage return: `checking rows [#########-----------]  120/500`. Nothing is
 * drawn when stderr is not a terminal (a pipe or a file would keep every frame).
 */
import type { ApiEvent } from '../core/api/events.js';
import type { CliIo } from './io.js';

const WIDTH = 30;

/** The bar's line for `done` of `total` (exported for its test). */
export function progressLine(label: string, done: number, total: number): string {
  const filled = total === 0 ? WIDTH : Math.round((done / total) * WIDTH);
  const count = String(total).length;
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(done).padStart(count)}/${total}`;
}

/** Draws the app's progress events on `io.stderr` when it is a terminal; ignores every other event. */
export function progressSink(io: Pick<CliIo, 'stderr'>): (event: ApiEvent) => void {
  if (io.stderr.isTTY !== true) return () => {};
  return (event) => {
    if (event.type !== 'treasury.batch.progress') return;
    const { checked, rows } = event.payload;
    io.stderr.write(`\r${progressLine('checking rows', checked, rows)}`);
    if (checked === rows) io.stderr.write('\n');
  };
}
