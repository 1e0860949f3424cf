/**
 * The watcher's bookkeeping (what changed between two looks), with sources that
 * are plain lists here: the devices themselves are test/device-watch.integration.test.ts's.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceRef, DevicesChanged } from '../api/events.js';
import { type DeviceSource, DeviceWatcher } from './device-watch.js';

const token = (id: string, label = id): DeviceRef => ({ id, kind: 'pkcs11-token', label });

/** A source whose devices the test sets; `fail` makes its next looks throw. */
function listSource(name: string, devices: DeviceRef[] = []) {
  const state = { devices, fail: false, looks: 0, stopped: false, changed: () => {} };
  const source: DeviceSource = {
    name,
    scan: () => {
      state.looks++;
      if (state.fail) throw new Error(`${name} cannot look`);
      return [...state.devices];
    },
    start: (changed) => {
      state.changed = changed;
    },
    stop: () => {
      state.stopped = true;
    },
  };
  return { source, state };
}

function watch(sources: DeviceSource[]) {
  const changes: DevicesChanged[] = [];
  const errors: string[] = [];
  const watcher = new DeviceWatcher({
    sources,
    onChange: (change) => changes.push(change),
    onError: (source, error) => errors.push(`${source}: ${(error as Error).message}`),
    intervalMs: 3_600_000, // the tests look when they say so
  });
  return { watcher, changes, errors };
}

describe('DeviceWatcher', () => {
  it('says nothing of what is there at the first look, then what came and went', async () => {
    const a = listSource('a', [token('1'), token('2')]);
    const b = listSource('b', [token('x')]);
    const { watcher, changes } = watch([a.source, b.source]);
    await watcher.start();
    expect(changes).toEqual([]);

    a.state.devices = [token('2'), token('3')];
    b.state.devices = [];
    await watcher.scanNow();
    expect(changes).toEqual([{ added: [token('3')], removed: [token('1'), token('x')] }]);

    await watcher.scanNow(); // nothing moved: no event
    expect(changes).toHaveLength(1);
    watcher.stop();
  });

  it('keeps the last set of a source that cannot look: a failed look is no removal', async () => {
    const a = listSource('a', [token('1')]);
    const { watcher, changes, errors } = watch([a.source]);
    await watcher.start();
    a.state.fail = true;
    await watcher.scanNow();
    expect(changes).toEqual([]);
    expect(errors).toEqual(['a: a cannot look']);
    a.state.fail = false;
    a.state.devices = [];
    await watcher.scanNow();
    expect(changes).toEqual([{ added: [], removed: [token('1')] }]);
    watcher.stop();
  });

  it('looks again at once when a source with events asks, never two looks at a time', async () => {
    const a = listSource('a');
    const { watcher, changes } = watch([a.source]);
    await watcher.start();
    expect(a.state.looks).toBe(1);
    a.state.devices = [token('1')];
    const one = watcher.scanNow();
    // Asked during a look: one more look after it, none in parallel.
    a.state.changed();
    a.state.changed();
    await one;
    expect(a.state.looks).toBe(3);
    expect(changes).toEqual([{ added: [token('1')], removed: [] }]);
    watcher.stop();
  });

  it('stops its sources and looks no more once stopped', async () => {
    const a = listSource('a');
    const { watcher, changes } = watch([a.source]);
    await watcher.start();
    watcher.stop();
    expect(a.state.stopped).toBe(true);
    a.state.devices = [token('1')];
    await watcher.scanNow();
    expect(a.state.looks).toBe(1);
    expect(changes).toEqual([]);
  });

  it('names at most 256 devices of each side in one event', async () => {
    const a = listSource('a');
    const { watcher, changes } = watch([a.source]);
    await watcher.start();
    a.state.devices = Array.from({ length: 300 }, (_, i) => token(String(i)));
    await watcher.scanNow();
    expect(changes[0]?.added).toHaveLength(256);
    watcher.stop();
  });
});
