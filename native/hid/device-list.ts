/**
 * The Ledgers plugged in, and for each whether Signet can open it now (and if
 * not, why: permission, another program, gone). With `identify`, also which
 * app is open and the device id (its Ethereum app's first address), which
 * needs the device unlocked with the Ethereum app open; a device that is not
 * says so as its `problem`, in the same words a signing attempt would.
 */
import { type ErrorCode, SignetError } from '../../core/api/errors.js';
import { ledgerDeviceVendorId, openLedgerDeviceTransport } from './device-access.js';
import type { DeviceHolder } from './device-holders.js';
import { type AppAndVersion, LedgerDeviceEthApp } from './eth-app.js';
import { type HidBackend, type HidDeviceInfo, nodeHidBackend } from './hid-backend.js';
import { formatLedgerDeviceUri } from './uri.js';

export interface DeviceProblem {
  code: ErrorCode;
  message: string;
}

export interface LedgerDeviceListing {
  path: string;
  /** "Nano S Plus", "Nano X", … as the device names itself over USB. */
  product: string;
  productId: number;
  /** The HID serial number, when the device reports one (Ledgers report the same on every unit). */
  serial: string | null;
  /** Opening it just now: `ok`, or why it cannot be opened. */
  open: { ok: true } | ({ ok: false; holders: DeviceHolder[] } & DeviceProblem);
}

export interface IdentifiedLedgerDevice extends LedgerDeviceListing {
  /** The app open on it, when it said (null when locked or not openable). */
  app: AppAndVersion | null;
  /** Its Ethereum app's address at m/44'/60'/0'/0/0, the id `ledger:` URIs name it by. */
  deviceId: string | null;
  /** The key URI of account 0 on it, to pass to `signet account add`. */
  uri: string | null;
  /** Why it could not be identified (locked, another app open, busy…); null when it was. */
  problem: DeviceProblem | null;
}

/** The HID interface that speaks APDUs: interface 0 on Linux, usage page 0xffa0 elsewhere. */
const isApduInterface = (device: HidDeviceInfo) =>
  process.platform === 'win32' || process.platform === 'darwin'
    ? device.usagePage === 0xffa0
    : device.interface === 0;

/** Ledger APDU interfaces plugged in now. */
export function ledgerDeviceInterfaces(hid: HidBackend = nodeHidBackend): HidDeviceInfo[] {
  let devices: HidDeviceInfo[];
  try {
    devices = hid.devices(ledgerDeviceVendorId);
  } catch (error) {
    throw new SignetError(
      'DEVICE_ERROR',
      `cannot list USB HID devices: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return devices.filter(
    (device) => device.vendorId === ledgerDeviceVendorId && isApduInterface(device),
  );
}

function problemOf(error: unknown): DeviceProblem {
  if (error instanceof SignetError) return { code: error.code, message: error.message };
  return { code: 'DEVICE_ERROR', message: error instanceof Error ? error.message : String(error) };
}

function holdersOf(error: unknown): DeviceHolder[] {
  const holders = error instanceof SignetError ? error.details?.holders : undefined;
  return Array.isArray(holders) ? (holders as DeviceHolder[]) : [];
}

function listing(device: HidDeviceInfo): Omit<LedgerDeviceListing, 'open'> {
  return {
    path: device.path,
    product: device.product?.trim() || 'Ledger device',
    productId: device.productId,
    serial: device.serialNumber?.trim() || null,
  };
}

/** Every Ledger plugged in, each opened and closed again to see whether it can be. */
export async function listLedgerDevices(
  hid: HidBackend = nodeHidBackend,
): Promise<LedgerDeviceListing[]> {
  const found: LedgerDeviceListing[] = [];
  for (const device of ledgerDeviceInterfaces(hid)) {
    try {
      const transport = await openLedgerDeviceTransport(hid, device.path);
      await transport.close();
      found.push({ ...listing(device), open: { ok: true } });
    } catch (error) {
      found.push({
        ...listing(device),
        open: { ok: false, ...problemOf(error), holders: holdersOf(error) },
      });
    }
  }
  return found;
}

/** listLedgerDevices, plus the app each has open and its device id where it can tell. */
export async function identifyLedgerDevices(
  hid: HidBackend = nodeHidBackend,
): Promise<IdentifiedLedgerDevice[]> {
  const found: IdentifiedLedgerDevice[] = [];
  for (const device of ledgerDeviceInterfaces(hid)) {
    const unknown = { app: null, deviceId: null, uri: null };
    let transport: Awaited<ReturnType<typeof openLedgerDeviceTransport>>;
    try {
      transport = await openLedgerDeviceTransport(hid, device.path);
    } catch (error) {
      const problem = problemOf(error);
      found.push({
        ...listing(device),
        open: { ok: false, ...problem, holders: holdersOf(error) },
        ...unknown,
        problem,
      });
      continue;
    }
    const entry: IdentifiedLedgerDevice = {
      ...listing(device),
      open: { ok: true },
      ...unknown,
      problem: null,
    };
    try {
      const app = new LedgerDeviceEthApp(transport);
      entry.app = await app.appAndVersion();
      await app.requireEthereumApp();
      const { address } = await app.account(0);
      entry.deviceId = address;
      entry.uri = formatLedgerDeviceUri({ device: address, account: 0 });
    } catch (error) {
      entry.problem = problemOf(error);
    } finally {
      await transport.close();
    }
    found.push(entry);
  }
  return found;
}
