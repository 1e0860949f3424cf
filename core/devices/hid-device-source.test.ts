/**
 * Ledgers plugged in and pulled out, as the hot-plug watcher sees them through
 * the HID source, on FAKE Ledgers (test/fakes/fake-ledger-device.ts: there is
 * no USB here). Listing opens nothing: no device gets a byte.
 */
import { describe, expect, it } from 'vitest';
import type { HidBackend } from '../../native/hid/hid-backend.js';
import { FakeLedgerDevice, fakeHidBackend } from '../../test/fakes/fake-ledger-device.js';
import type { DevicesChanged } from '../api/events.js';
import { DeviceWatcher } from './device-watch.js';
import { HidDeviceSource } from './hid-device-source.js';

function watch(hid: HidBackend) {
  const changes: DevicesChanged[] = [];
  const errors: string[] = [];
  const watcher = new DeviceWatcher({
    sources: [new HidDeviceSource(hid)],
    onChange: (change) => changes.push(change),
    onError: (source, error) => errors.push(`${source}: ${(error as Error).message}`),
    intervalMs: 3_600_000, // the tests look when they say so
  });
  return { watcher, changes, errors };
}

const ref = (device: FakeLedgerDevice, label = device.product) => ({
  id: `hid-device 2c97:${device.productId.toString(16)} ${device.path}`,
  kind: 'hid-device',
  label,
});

describe('the HID device source', () => {
  it('lists each Ledger by its USB product and path, without opening it', () => {
    const nano = new FakeLedgerDevice();
    const other = new FakeLedgerDevice({
      path: 'fake-hid:2',
      product: ' Nano X ',
      productId: 0x4011,
    });
    expect(new HidDeviceSource(fakeHidBackend([nano, other])).scan()).toEqual([
      ref(nano),
      { ...ref(other), label: 'Nano X' },
    ]);
    expect([...nano.apdus, ...other.apdus]).toEqual([]);
    expect([...nano.reports, ...other.reports]).toEqual([]);
  });

  it('tells the watcher when a Ledger is plugged in and pulled out', async () => {
    const nano = new FakeLedgerDevice();
    nano.unplug();
    const hid = fakeHidBackend([nano]);
    const { watcher, changes } = watch(hid);
    await watcher.start();
    expect(changes).toEqual([]);

    nano.plugIn();
    await watcher.scanNow();
    expect(changes).toEqual([{ added: [ref(nano)], removed: [] }]);

    // A second one beside it: only it is new.
    const second = new FakeLedgerDevice({ path: 'fake-hid:ledger-1' });
    hid.devicesPlugged.push(second);
    await watcher.scanNow();
    expect(changes[1]).toEqual({ added: [ref(second)], removed: [] });

    nano.unplug();
    await watcher.scanNow();
    expect(changes[2]).toEqual({ added: [], removed: [ref(nano)] });
    await watcher.scanNow();
    expect(changes).toHaveLength(3);
    watcher.stop();
  });

  it('keeps the Ledgers it last saw while HID devices cannot be listed', async () => {
    const nano = new FakeLedgerDevice();
    let broken = false;
    const hid = fakeHidBackend([nano]);
    const flaky: HidBackend = {
      devices: (vendorId) => {
        if (broken) throw new Error('hid_enumerate failed');
        return hid.devices(vendorId);
      },
      open: hid.open,
    };
    const { watcher, changes, errors } = watch(flaky);
    await watcher.start();
    broken = true;
    await watcher.scanNow();
    expect(changes).toEqual([]);
    expect(errors).toEqual(['hid: cannot list USB HID devices: hid_enumerate failed']);
    broken = false;
    nano.unplug();
    await watcher.scanNow();
    expect(changes).toEqual([{ added: [], removed: [ref(nano)] }]);
    watcher.stop();
  });
});
