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
  const tty = io.stderr.isTTY === true;
  return (event) => {
    if (event.type === 'provision.progress') return provisionProgress(io, tty, event.payload);
    if (!tty || event.type !== 'treasury.batch.progress') return;
    const { checked, rows } = event.payload;
    io.stderr.write(`\r${progressLine('checking rows', checked, rows)}`);
    if (checked === rows) io.stderr.write('\n');
  };
}

/**
 * A provisioning batch: the bar with the customer and the step on a terminal;
 * waiting for a token is said on a line of its own everywhere (a pipe too), so
 * whoever feeds the single reader knows which customer's token to insert.
 */
function provisionProgress(
  io: Pick<CliIo, 'stderr'>,
  tty: boolean,
  { done, rows, step, customer }: Extract<ApiEvent, { type: 'provision.progress' }>['payload'],
): void {
  if (step === 'waiting-for-token') {
    io.stderr.write(
      `${tty ? '\r\x1b[K' : ''}waiting for the token of customer ${customer}: insert it\n`,
    );
  }
  if (!tty) return;
  const line = progressLine('provisioning', done, rows);
  io.stderr.write(`\r\x1b[K${line} ${customer}: ${step}`);
  if (done === rows && (step === 'done' || step === 'failed')) io.stderr.write('\n');
}
