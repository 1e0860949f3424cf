/**
 * Ledgers over USB HID: each one plugged in, whether Signet can open it (and if
 * not, why: permission, another program, gone), the app open on it and its
 * device id where that can be read without asking the user anything, and on
 * Linux whether Signet's udev rules are installed.
 *
 * Read-only and quick: identifyLedgerDevices (native/hid/device-list.ts) asks
 * each device which app is open (B0 01) and its Ethereum app's account 0 with
 * the "show on the device" flag off (E0 02, P1 = 0), so nothing appears on the
 * device's screen and nothing waits for a button; each device is closed again
 * before the next is opened.
 */

import {
  installedUdevRules,
  UDEV_RULES_APPLY,
  UDEV_RULES_FILE,
  udevRulesInstallCommand,
} from '../../native/hid/device-access.js';
import { COMMON_HOLDERS, type DeviceHolder } from '../../native/hid/device-holders.js';
import {
  type IdentifiedLedgerDevice,
  identifyLedgerDevices,
} from '../../native/hid/device-list.js';
import type { Finding, FindingFacts } from '../api/diagnostics.js';
import { type DiagnosticCheck, type DoctorContext, finding, firstLine } from './check.js';

/** The name the dashboard reports for itself (native/hid/eth-app.ts). */
const DASHBOARD = 'BOLOS';

export const hidCheck: DiagnosticCheck = {
  name: 'Ledger (USB HID)',
  area: 'hid',
  async run(context) {
    let devices: IdentifiedLedgerDevice[];
    try {
      devices = await identifyLedgerDevices(context.hid);
    } catch (error) {
      // node-hid missing or built for another Node: the rest of Signet works without it.
      return [finding('hid', 'warn', 'hid.unavailable', { reason: firstLine(error) })];
    }
    const findings: Finding[] =
      devices.length === 0
        ? [finding('hid', 'ok', 'hid.none')]
        : devices.map((device) => deviceFinding(device, context));
    const rules = udevFinding(devices, context);
    if (rules) findings.push(rules);
    return findings;
  },
};

/** What one device is and whether it can be used, in one finding. */
export function deviceFinding(device: IdentifiedLedgerDevice, context: DoctorContext): Finding {
  const facts: FindingFacts = {
    product: device.product,
    path: device.path,
    productId: `0x${device.productId.toString(16).padStart(4, '0')}`,
    serial: device.serial,
  };
  if (!device.open.ok) {
    const { code, message, holders } = device.open;
    const seen = { ...facts, reason: message };
    switch (code) {
      case 'DEVICE_ACCESS_DENIED': {
        const rules = installedUdevRules(context.udevRulesDirs);
        return rules
          ? finding('hid', 'fail', 'hid.accessDeniedRulesInstalled', {
              ...seen,
              rules,
              command: UDEV_RULES_APPLY,
            })
          : finding('hid', 'fail', 'hid.accessDenied', {
              ...seen,
              command: udevRulesInstallCommand(),
            });
      }
      case 'DEVICE_BUSY':
        return busyFinding(seen, holders);
      case 'DEVICE_NOT_FOUND':
        return finding('hid', 'warn', 'hid.gone', seen);
      default:
        return finding('hid', 'fail', 'hid.openFailed', seen);
    }
  }
  const app: FindingFacts = device.app
    ? { app: device.app.name, version: device.app.version }
    : { app: null, version: null };
  if (!device.problem) {
    return finding('hid', 'ok', 'hid.ready', {
      ...facts,
      ...app,
      deviceId: device.deviceId,
      uri: device.uri,
    });
  }
  const seen = { ...facts, ...app, reason: device.problem.message };
  switch (device.problem.code) {
    case 'DEVICE_LOCKED':
      return finding('hid', 'warn', 'hid.deviceLocked', seen);
    case 'DEVICE_APP_NOT_OPEN':
      if (device.app?.name === DASHBOARD) return finding('hid', 'warn', 'hid.dashboard', seen);
      if (device.app) return finding('hid', 'warn', 'hid.otherApp', seen);
      return finding('hid', 'warn', 'hid.unidentified', seen);
    case 'DEVICE_BUSY':
      return busyFinding(seen, []);
    case 'DEVICE_DISCONNECTED':
    case 'DEVICE_NOT_FOUND':
      return finding('hid', 'warn', 'hid.gone', seen);
    default:
      return finding('hid', 'warn', 'hid.unidentified', seen);
  }
}

function busyFinding(facts: FindingFacts, holders: DeviceHolder[]): Finding {
  // Signet's own pending request (a signature waiting for the user's button).
  if (holders.some((holder) => holder.pid === process.pid)) {
    return finding('hid', 'warn', 'hid.busyHere', facts);
  }
  if (holders.length === 0) {
    return finding('hid', 'warn', 'hid.busyUnknown', { ...facts, suspects: COMMON_HOLDERS });
  }
  return finding('hid', 'warn', 'hid.busy', {
    ...facts,
    holders: holders.map((holder) => `${holder.name} (pid ${holder.pid})`).join(', '),
    pids: holders.map((holder) => holder.pid).join(','),
  });
}

/**
 * Linux only: whether Signet's udev rules are installed. Missing rules are a
 * warning (not a failure: many users have no Ledger), and fine when every
 * Ledger plugged in opens anyway (Ledger's own rules, or root).
 */
function udevFinding(devices: IdentifiedLedgerDevice[], context: DoctorContext): Finding | null {
  if (context.platform !== 'linux') return null;
  const path = installedUdevRules(context.udevRulesDirs);
  if (path) return finding('hid', 'ok', 'hid.udevRules', { path, file: UDEV_RULES_FILE });
  const facts = { file: UDEV_RULES_FILE, command: udevRulesInstallCommand() };
  const allOpen = devices.length > 0 && devices.every((device) => device.open.ok);
  return allOpen
    ? finding('hid', 'ok', 'hid.udevRulesNotNeeded', facts)
    : finding('hid', 'warn', 'hid.noUdevRules', facts);
}
