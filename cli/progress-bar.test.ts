import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../core/api/events.js';
import { progressLine, progressSink } from './progress-bar.js';

const batch = (checked: number, rows: number): ApiEvent => ({
  type: 'treasury.batch.progress',
  payload: { checked, rows },
});

function stderr(isTTY: boolean) {
  const stream = { isTTY, text: '', write: (t: string) => (stream.text += t) };
  return stream;
}

describe('the CLI progress bar', () => {
  it('fills in proportion and pads the count', () => {
    expect(progressLine('checking rows', 0, 500)).toBe(`checking rows [${'-'.repeat(30)}]   0/500`);
    expect(progressLine('checking rows', 250, 500)).toBe(
      `checking rows [${'#'.repeat(15)}${'-'.repeat(15)}] 250/500`,
    );
    expect(progressLine('checking rows', 500, 500)).toBe(
      `checking rows [${'#'.repeat(30)}] 500/500`,
    );
  });

  it('redraws in place on a terminal and ends the line when every row is checked', () => {
    const io = { stderr: stderr(true) };
    const sink = progressSink(io);
    sink(batch(1, 4));
    sink({ type: 'hello', payload: { server: 'x' } });
    sink(batch(4, 4));
    expect(io.stderr.text).toBe(
      `\r${progressLine('checking rows', 1, 4)}\r${progressLine('checking rows', 4, 4)}\n`,
    );
  });

  it('draws nothing into a pipe or a file', () => {
    const io = { stderr: stderr(false) };
    const sink = progressSink(io);
    sink(batch(1, 4));
    sink(batch(4, 4));
    expect(io.stderr.text).toBe('');
  });

  it('a provisioning batch: the bar with customer and step on a terminal; waiting for a token said on a line of its own everywhere', () => {
    const provision = (done: number, step: string, customer: string): ApiEvent =>
      ({ type: 'provision.progress', payload: { done, rows: 2, step, customer } }) as ApiEvent;
    const tty = { stderr: stderr(true) };
    const pipe = { stderr: stderr(false) };
    for (const io of [tty, pipe]) {
      const sink = progressSink(io);
      sink(provision(0, 'key-generated', 'C-1'));
      sink(provision(1, 'waiting-for-token', 'C-2'));
      sink(provision(2, 'done', 'C-2'));
    }
    expect(tty.stderr.text).toBe(
      `\r\x1b[K${progressLine('provisioning', 0, 2)} C-1: key-generated` +
        '\r\x1b[Kwaiting for the token of customer C-2: insert it\n' +
        `\r\x1b[K${progressLine('provisioning', 1, 2)} C-2: waiting-for-token` +
        `\r\x1b[K${progressLine('provisioning', 2, 2)} C-2: done\n`,
    );
    expect(pipe.stderr.text).toBe('waiting for the token of customer C-2: insert it\n');
  });
});
