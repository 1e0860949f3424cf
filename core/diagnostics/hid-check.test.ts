/**
 * The doctor's Ledger check on FAKE Ledgers (test/fakes/fake-ledger-device.ts:
 * there is no USB here) under the real TransportNodeHid and hw-app-eth: each
 * state a device can be in gives its finding, a device held by another process
 * is named from /proc (a real process holding a file, as Ledger Live holds
 * /dev/hidrawN), the udev rules are looked for in folders the test makes, and
 * the check asks the user nothing on a device and leaves none open.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  openLedgerDeviceTransport,
  UDEV_RULES_APPLY,
  UDEV_RULES_FILE,
} from '../../native/hid/device-access.js';
import { COMMON_HOLDERS } from '../../native/hid/device-holders.js';
import type { HidBackend } from '../../native/hid/hid-backend.js';
import { formatLedgerDeviceUri } from '../../native/hid/uri.js';
import { FakeLedgerDevice, fakeHidBackend } from '../../test/fakes/fake-ledger-device.js';
import type { Finding } from '../api/diagnostics.js';
import { createDoctorContext, type DoctorContextOptions } from './check.js';
import { hidCheck } from './hid-check.js';

let root: string;
/** A folder with Signet's rules in it, and one without. */
let withRules: string;
let withoutRules: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'signet-hid-check-'));
  withRules = mkdtempSync(join(root, 'rules-'));
  withoutRules = mkdtempSync(join(root, 'empty-'));
  writeFileSync(join(withRules, UDEV_RULES_FILE), '# Signet\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/**
 * The HID backend with every handle it opens counted until closed: the check
 * must leave none open.
 */
function counting(hid: HidBackend): HidBackend & { open_: () => number } {
  let open = 0;
  return {
    devices: (vendorId) => hid.devices(vendorId),
    open: (path) => {
      const handle = hid.open(path);
      open++;
      const close = handle.close.bind(handle);
      handle.close = () => {
        open--;
        close();
      };
      return handle;
    },
    open_: () => open,
  };
}

function look(
  devices: FakeLedgerDevice[],
  options: Partial<DoctorContextOptions> & { rules?: boolean } = {},
) {
  const hid = counting(fakeHidBackend(devices));
  const context = createDoctorContext({
    home: root,
    env: {},
    hid,
    udevRulesDirs: [options.rules ? withRules : withoutRules],
    platform: 'linux',
    ...options,
  });
  return { hid, findings: hidCheck.run(context) };
}

const codes = (findings: Finding[]) => findings.map((f) => `${f.code} ${f.status}`);

describe('the Ledger check', () => {
  it('with no Ledger and no udev rules: a gentle warning with the command that installs them', async () => {
    const findings = await look([]).findings;
    expect(codes(findings)).toEqual(['hid.none ok', 'hid.noUdevRules warn']);
    expect(findings[0]).toMatchObject({ area: 'hid', what: 'No Ledger is plugged in.' });
    expect(findings[1]?.what).toBe(
      'Signet’s udev rules (60-signet-hid.rules) are not installed: without them (or Ledger’s own), only root may open a Ledger on Linux.',
    );
    expect(findings[1]?.fix).toMatch(
      /^Install them: `sudo cp \S+\/build\/linux\/60-signet-hid\.rules \/etc\/udev\/rules\.d\/ && sudo udevadm control --reload-rules && sudo udevadm trigger`\.$/,
    );
  });

  it('with no Ledger and the rules installed: nothing to do', async () => {
    const findings = await look([], { rules: true }).findings;
    expect(codes(findings)).toEqual(['hid.none ok', 'hid.udevRules ok']);
    expect(findings[1]?.facts.path).toBe(join(withRules, UDEV_RULES_FILE));
    expect(findings.every((f) => f.fix === undefined)).toBe(true);
  });

  it('says nothing of udev off Linux', async () => {
    expect(codes(await look([], { platform: 'darwin' }).findings)).toEqual(['hid.none ok']);
  });

  it('names a Ledger ready to use by its app and device id, without asking anything on it, and closes it', async () => {
    const device = new FakeLedgerDevice();
    const { hid, findings } = look([device]);
    const [ready, rules] = await findings;
    expect(ready).toMatchObject({
      area: 'hid',
      status: 'ok',
      code: 'hid.ready',
      what: `Nano S Plus at fake-hid:ledger-0: the Ethereum app 1.10.3 is open, device id ${device.address(0)}.`,
      facts: {
        product: 'Nano S Plus',
        path: 'fake-hid:ledger-0',
        productId: '0x5011',
        serial: '0001',
        app: 'Ethereum',
        version: '1.10.3',
        deviceId: device.address(0),
        uri: formatLedgerDeviceUri({ device: device.address(0), account: 0 }),
      },
    });
    expect(ready?.fix).toBeUndefined();
    // Opened without Signet's rules: this user needs none.
    expect(codes([rules!])).toEqual(['hid.udevRulesNotNeeded ok']);
    // Nothing on the device's screen: the address is read with "display" off (P1 = 0).
    expect(device.screens).toEqual([]);
    const getAddress = device.apdus.filter((apdu) => apdu.cla === 0xe0 && apdu.ins === 0x02);
    expect(getAddress).toHaveLength(1);
    expect(getAddress[0]?.p1).toBe(0x00);
    // Only reads were sent: which app (B0 01), and the address (E0 02).
    expect(device.apdus.map((a) => `${a.cla.toString(16)} ${a.ins.toString(16)}`)).toEqual([
      'b0 1',
      'b0 1',
      'e0 2',
    ]);
    expect(hid.open_()).toBe(0);
    // And nothing of Signet's holds it: it opens again at once.
    await (await openLedgerDeviceTransport(hid, device.path)).close();
  });

  it('warns of a locked Ledger, one on its dashboard and one in another app, each with what to do', async () => {
    const locked = new FakeLedgerDevice({ path: 'fake-hid:1', locked: true });
    const dashboard = new FakeLedgerDevice({ path: 'fake-hid:2', app: 'BOLOS', product: 'Nano X' });
    const bitcoin = new FakeLedgerDevice({ path: 'fake-hid:3', app: 'Bitcoin' });
    const { hid, findings } = look([locked, dashboard, bitcoin], { rules: true });
    const found = await findings;
    expect(codes(found)).toEqual([
      'hid.deviceLocked warn',
      'hid.dashboard warn',
      'hid.otherApp warn',
      'hid.udevRules ok',
    ]);
    expect(found[0]).toMatchObject({
      what: 'Nano S Plus at fake-hid:1 is locked: the app open on it and its device id cannot be read.',
      fix: 'Unlock it with its PIN on the device, then open its Ethereum app.',
      facts: { app: null, reason: expect.stringMatching(/^the Ledger is locked/) },
    });
    expect(found[1]).toMatchObject({
      what: 'Nano X at fake-hid:2 shows its dashboard: no app is open, so its device id cannot be read.',
      fix: 'Open the Ethereum app on the device.',
    });
    expect(found[2]).toMatchObject({
      what: 'Nano S Plus at fake-hid:3 has the Bitcoin app open, not the Ethereum app.',
      fix: 'Quit Bitcoin on the device and open the Ethereum app.',
    });
    for (const device of [locked, dashboard, bitcoin]) expect(device.screens).toEqual([]);
    expect(hid.open_()).toBe(0);
  });

  it('fails a Ledger it may not open (EACCES) with the rules to install, or to apply when installed', async () => {
    const device = new FakeLedgerDevice();
    device.openError = Object.assign(
      new Error(`EACCES: permission denied, open '${device.path}'`),
      { code: 'EACCES' },
    );
    const missing = await look([device]).findings;
    expect(codes(missing)).toEqual(['hid.accessDenied fail', 'hid.noUdevRules warn']);
    expect(missing[0]?.what).toBe(
      'Signet may not open Nano S Plus at fake-hid:ledger-0 (permission denied).',
    );
    expect(missing[0]?.fix).toMatch(
      /^Install Signet’s udev rules: `sudo cp \S+\/60-signet-hid\.rules \/etc\/udev\/rules\.d\/ && sudo udevadm control --reload-rules && sudo udevadm trigger`, then plug the Ledger in again\.$/,
    );

    const installed = await look([device], { rules: true }).findings;
    expect(codes(installed)).toEqual(['hid.accessDeniedRulesInstalled fail', 'hid.udevRules ok']);
    expect(installed[0]?.facts.rules).toBe(join(withRules, UDEV_RULES_FILE));
    expect(installed[0]?.fix).toBe(
      `Apply them with \`${UDEV_RULES_APPLY}\` and plug the Ledger in again (over SSH, the rules give access only to the user at the machine’s screen).`,
    );
    expect(device.apdus).toEqual([]);
  });

  describe('a Ledger another program holds', () => {
    let holder: ChildProcess | undefined;
    afterEach(() => {
      holder?.kill('SIGKILL');
      holder = undefined;
    });

    it('names the process holding it, where /proc says', async () => {
      const node = join(root, 'hidraw5');
      writeFileSync(node, '');
      holder = spawn('sh', ['-c', `exec 3<>"${node}"; echo ready; exec sleep 30`], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise((resolve) => holder!.stdout!.once('data', resolve));
      const device = new FakeLedgerDevice({ path: node });
      const [busy] = await look([device], { rules: true }).findings;
      expect(busy).toMatchObject({
        status: 'warn',
        code: 'hid.busy',
        what: `Nano S Plus at ${node} is busy: it is open in sleep (pid ${holder.pid}).`,
        fix: 'Close it there (or quit that program), then try again.',
        facts: { holders: `sleep (pid ${holder.pid})`, pids: String(holder.pid) },
      });
      expect(device.apdus).toEqual([]);
    });

    it('names the usual suspects where the system cannot say', async () => {
      const device = new FakeLedgerDevice();
      device.openError = new TypeError(`cannot open device with path ${device.path}`);
      const [busy] = await look([device], { rules: true }).findings;
      expect(busy).toMatchObject({
        code: 'hid.busyUnknown',
        status: 'warn',
        fix: `Close the program using it (often ${COMMON_HOLDERS}), then try again.`,
      });
    });

    it('says when it is Signet itself, waiting for an answer on the device', async () => {
      const device = new FakeLedgerDevice();
      const hid = fakeHidBackend([device]);
      const pending = await openLedgerDeviceTransport(hid, device.path);
      try {
        const [busy] = await look([device], { rules: true }).findings;
        expect(busy).toMatchObject({
          code: 'hid.busyHere',
          fix: 'Approve or refuse the request on the device.',
        });
      } finally {
        await pending.close();
      }
    });
  });

  it('warns, and sees no Ledger, where USB HID devices cannot be listed', async () => {
    const broken: HidBackend = {
      devices: () => {
        throw new Error("Cannot find module 'node-hid'");
      },
      open: () => {
        throw new Error('unreachable');
      },
    };
    const context = createDoctorContext({ home: root, env: {}, hid: broken, platform: 'linux' });
    const findings = await hidCheck.run(context);
    expect(codes(findings)).toEqual(['hid.unavailable warn']);
    expect(findings[0]?.what).toBe(
      "USB HID devices cannot be listed, so no Ledger can be seen: cannot list USB HID devices: Cannot find module 'node-hid'.",
    );
  });

  it('says a Ledger pulled out between the listing and the opening is gone', async () => {
    const device = new FakeLedgerDevice({ path: join(root, 'hidraw-gone') });
    const hid = fakeHidBackend([device]);
    // Listed (the backend still reports it), but its node is gone when opened.
    const listed = device.info;
    device.unplug();
    const racing: HidBackend = { devices: () => [listed], open: (path) => hid.open(path) };
    const context = createDoctorContext({
      home: root,
      env: {},
      hid: racing,
      platform: 'linux',
      udevRulesDirs: [withRules],
    });
    const [gone] = await hidCheck.run(context);
    expect(gone).toMatchObject({
      code: 'hid.gone',
      status: 'warn',
      fix: 'Plug it in again and run the doctor again.',
    });
  });
});
