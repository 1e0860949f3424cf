import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../api/events.js';
import { progressEvents } from './treasury-batch.js';

describe('batch progress events', () => {
  it('sends one event per whole percent, the last with every row checked', () => {
    const events: ApiEvent[] = [];
    const onRow = progressEvents({ emit: (e) => events.push(e) });
    for (let row = 1; row <= 1_000; row++) onRow(row, 1_000);
    // 0 % (the first row: the bar appears at once) to 100 %.
    expect(events).toHaveLength(101);
    expect(events.at(-1)).toEqual({
      type: 'treasury.batch.progress',
      payload: { checked: 1_000, rows: 1_000 },
    });
    const checked = events.map((e) =>
      e.type === 'treasury.batch.progress' ? e.payload.checked : 0,
    );
    expect(checked).toEqual([...checked].sort((a, b) => a - b));
  });

  it('sends every row of a small file', () => {
    const events: ApiEvent[] = [];
    const onRow = progressEvents({ emit: (e) => events.push(e) });
    for (let row = 1; row <= 3; row++) onRow(row, 3);
    expect(events.map((e) => (e.type === 'treasury.batch.progress' ? e.payload : null))).toEqual([
      { checked: 1, rows: 3 },
      { checked: 2, rows: 3 },
      { checked: 3, rows: 3 },
    ]);
  });
});
