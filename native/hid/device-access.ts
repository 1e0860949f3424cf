/**
 * Opening a Ledger's HID interface as an APDU transport, and saying in words
 * why it cannot be opened: no permission (Linux without the udev rules: which
 * file to install, and how), held by another program (which one, where the
 * system can say), or gone. The transport is @ledgerhq's own TransportNodeHid
 * over the handle the HID backend opened, so its framing and exchange code is
 * what runs, with node-hid here and with a fake device in tests.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SignetError } from '../../core/api/errors.js';
import { describeHolders, findDeviceHolders } from './device-holders.js';
import type { HidBackend, HidDeviceHandle } from './hid-backend.js';

/** Ledger's USB vendor id. */
export const ledgerDeviceVendorId = 0x2c97;

/** The udev rules Signet ships (build/linux/), and where a system keeps installed ones. */
export const UDEV_RULES_FILE = '60-signet-hid.rules';
export const UDEV_RULES_DIRS: readonly string[] = [
  '/etc/udev/rules.d',
  '/usr/lib/udev/rules.d',
  '/lib/udev/rules.d',
];

/** The rules file in this checkout if it is there, else its path in Signet's sources. */
function shippedRules(): string {
  const inCheckout = fileURLToPath(
    new URL(`../../build/linux/${UDEV_RULES_FILE}`, import.meta.url),
  );
  return existsSync(inCheckout) ? inCheckout : `build/linux/${UDEV_RULES_FILE}`;
}

/** Where Signet's udev rules are installed, if they are (`dirs`: where to look, tests only). */
export function installedUdevRules(dirs: readonly string[] = UDEV_RULES_DIRS): string | undefined {
  return dirs.map((dir) => `${dir}/${UDEV_RULES_FILE}`).find((path) => existsSync(path));
}

/** The command that makes udev apply its rules files again. */
export const UDEV_RULES_APPLY = 'sudo udevadm control --reload-rules && sudo udevadm trigger';

/** The command that installs Signet's udev rules and applies them. */
export function udevRulesInstallCommand(): string {
  return `sudo cp ${shippedRules()} /etc/udev/rules.d/ && ${UDEV_RULES_APPLY}`;
}

/** The one sentence that fixes an EACCES on a hidraw node. */
export function udevRulesFix(): string {
  const installed = installedUdevRules();
  if (installed) {
    return `Signet's udev rules are installed (${installed}) but not applied to this device: run \`${UDEV_RULES_APPLY}\` and plug it in again (over SSH, the rules give access only to the user at the machine's screen)`;
  }
  return `install Signet's udev rules: \`${udevRulesInstallCommand()}\`, then plug the Ledger in again`;
}

function accessDenied(path: string, cause?: unknown): SignetError {
  return new SignetError(
    'DEVICE_ACCESS_DENIED',
    `Signet may not open the Ledger at ${path} (permission denied): ${udevRulesFix()}`,
    { details: { path, rules: UDEV_RULES_FILE }, cause },
  );
}

function busy(path: string, cause?: unknown): SignetError {
  const holders = existsSync(path) ? findDeviceHolders(path) : [];
  return new SignetError(
    'DEVICE_BUSY',
    `the Ledger at ${path} is busy: ${describeHolders(holders)}; close it there and try again`,
    { details: { path, holders }, cause },
  );
}

function gone(path: string, cause?: unknown): SignetError {
  return new SignetError('DEVICE_NOT_FOUND', `the Ledger at ${path} was unplugged`, {
    details: { path },
    cause,
  });
}

const isPermission = (error: unknown) => {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'EACCES' ||
    code === 'EPERM' ||
    (typeof message === 'string' && /permission denied|access denied/i.test(message))
  );
};

/** A device node on this machine's file system (Linux's /dev/hidrawN), as opposed to a platform path. */
const isDeviceNode = (path: string) => path.startsWith('/') && existsSync(path);

/** Device paths this process has open: one operation per device at a time. */
const openHere = new Set<string>();

/** The transport a Ledger speaks APDUs over (@ledgerhq's Transport). */
export type LedgerDeviceTransport = import('@ledgerhq/hw-transport').default;
type Transport = LedgerDeviceTransport;

type TransportNodeHidClass = new (device: HidDeviceHandle) => Transport;
let transportClass: TransportNodeHidClass | undefined;

function transportNodeHid(): TransportNodeHidClass {
  transportClass ??= (
    createRequire(import.meta.url)('@ledgerhq/hw-transport-node-hid') as {
      default: TransportNodeHidClass;
    }
  ).default;
  return transportClass;
}

/**
 * Opens the Ledger at `path`. Refuses, before touching the device, a node this
 * user may not open (EACCES) and one another program holds (Linux). The
 * caller closes the transport (which releases the path for the next caller).
 */
export async function openLedgerDeviceTransport(
  hid: HidBackend,
  path: string,
): Promise<LedgerDeviceTransport> {
  if (openHere.has(path)) {
    throw new SignetError(
      'DEVICE_BUSY',
      `Signet is already using the Ledger at ${path} (another request waits for an answer on the device); answer it there, then try again`,
      { details: { path, holders: [{ pid: process.pid, name: 'Signet' }] } },
    );
  }
  if (isDeviceNode(path)) {
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch (error) {
      if (isPermission(error)) throw accessDenied(path, error);
    }
    // hidraw lets two programs open one device, and then each reads the other's answers.
    if (findDeviceHolders(path).length > 0) throw busy(path);
  }
  let handle: HidDeviceHandle;
  try {
    handle = hid.open(path);
  } catch (error) {
    if (isPermission(error)) throw accessDenied(path, error);
    if (path.startsWith('/') && !existsSync(path)) throw gone(path, error);
    throw busy(path, error);
  }
  let transport: Transport;
  try {
    transport = new (transportNodeHid())(handle);
  } catch (error) {
    handle.close();
    throw error;
  }
  openHere.add(path);
  const close = transport.close.bind(transport);
  transport.close = async () => {
    try {
      await close();
    } catch {
      // Closing a device that was unplugged fails; it is closed either way.
    } finally {
      openHere.delete(path);
    }
  };
  return transport;
}
