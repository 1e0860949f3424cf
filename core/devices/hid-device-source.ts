/**
 * The Ledgers plugged in, for the hot-plug watcher (device-watch.ts): their
 * APDU interfaces as the HID stack lists them (native/hid/device-list.ts),
 * each named by its path and USB product. Listing is cheap (no device is
 * opened, nothing is sent to one), so it is polled with the other sources.
 *
 * A Ledger that opens or quits an app may re-enumerate under another product
 * id and path: that shows as one device going and another coming, which is
 * what the UI needs to look at it again.
 */
import { ledgerDeviceInterfaces } from '../../native/hid/device-list.js';
import { type HidBackend, nodeHidBackend } from '../../native/hid/hid-backend.js';
import { type DeviceRef, HID_DEVICE_KIND } from '../api/events.js';
import type { DeviceSource } from './device-watch.js';

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export class HidDeviceSource implements DeviceSource {
  readonly name = 'hid';
  readonly #hid: HidBackend;

  constructor(hid: HidBackend = nodeHidBackend) {
    this.#hid = hid;
  }

  /** Throws when HID devices cannot be listed (node-hid missing): the watcher keeps the last set. */
  scan(): DeviceRef[] {
    return ledgerDeviceInterfaces(this.#hid).map((device) => ({
      id: `${HID_DEVICE_KIND} ${hex4(device.vendorId)}:${hex4(device.productId)} ${device.path}`,
      kind: HID_DEVICE_KIND,
      label: (device.product?.trim() || 'Ledger').slice(0, 64),
    }));
  }
}
