/**
 * Raw HID I/O: the one seam between Signet and the USB HID stack. Production
 * uses node-hid (loaded on first use, so the UI and CLI start on machines
 * without it); tests and benchmarks pass a fake device with the same surface
 * (test/fakes/fake-ledger-device.ts). Above this seam everything is the real
 * code: @ledgerhq's TransportNodeHid frames APDUs into 64-byte reports over
 * whatever `open` returns.
 */
import { createRequire } from 'node:module';

/** What node-hid's `devices()` reports for one HID interface. */
export interface HidDeviceInfo {
  /** /dev/hidrawN on Linux; an IOService path on macOS; a \\?\hid#… path on Windows. */
  path: string;
  vendorId: number;
  productId: number;
  product?: string | undefined;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  /** USB interface number (-1 when the platform does not say). */
  interface: number;
  usagePage?: number | undefined;
}

/** The part of node-hid's `HID` object @ledgerhq's TransportNodeHid uses. */
export interface HidDeviceHandle {
  /** One output report: the report id (0) then 64 bytes. Returns the bytes written. */
  write(report: number[]): number;
  /** Calls back with the next 64-byte input report, or an error (the device is gone). */
  read(callback: (error: Error | null | undefined, data?: number[] | Buffer) => void): void;
  close(): void;
  getDeviceInfo(): { product?: string; manufacturer?: string; serialNumber?: string };
}

export interface HidBackend {
  /** Every HID interface of the vendor's devices plugged in now. */
  devices(vendorId: number): HidDeviceInfo[];
  /** Opens one interface; throws as node-hid does ("cannot open device …"). */
  open(path: string): HidDeviceHandle;
}

type NodeHid = {
  devices(vendorId: number, productId: number): HidDeviceInfo[];
  HID: new (path: string) => HidDeviceHandle;
};

let loaded: NodeHid | undefined;

function nodeHid(): NodeHid {
  loaded ??= createRequire(import.meta.url)('node-hid') as NodeHid;
  return loaded;
}

/** The real USB HID stack, through node-hid (hidraw on Linux). */
export const nodeHidBackend: HidBackend = {
  devices: (vendorId) => nodeHid().devices(vendorId, 0),
  open: (path) => new (nodeHid().HID)(path),
};
