/**
 * Ledgers in `signet doctor` and in the app's hot-plug events, on FAKE Ledgers
 * (test/fakes/fake-ledger-device.ts: there is no USB here) plugged into the
 * app's HID seam, under the real TransportNodeHid and hw-app-eth:
 *
 * - The doctor, through the UI's door (doctor.run via dispatch) and `signet doctor
 *   --json`: one Ledger ready (its app and device id), one locked, one this user
 *   may not open (EACCES: the udev rules to install), one held by another process
 *   (a real process holding its node, named from /proc); and a machine with none.
 *   The report validates against the contract; nothing is asked on any device,
 *   none is left open, and the failure makes the command exit 1.
 * - Hot-plug: AppApi.watchDevices pushes `devices.changed` when a Ledger is plugged
 *   in and when it is pulled out, beside the PKCS#11 tokens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoctorReport, doctorReportSchema, type Finding } from '../core/api/diagnostics.js';
import { type ApiEvent, apiEventSchema } from '../core/api/events.js';
import { createAppApi } from '../core/app/app-api.js';
import { installedUdevRules, openLedgerDeviceTransport } from '../native/hid/device-access.js';
import { FakeLedgerDevice, fakeHidBackend } from './fakes/fake-ledger-device.js';
import { signet } from './support/cli.js';

const home = mkdtempSync(join(tmpdir(), 'signet-doctor-hid-'));
const env = { ...process.env, SIGNET_HOME: home };

const ready = new FakeLedgerDevice({ path: 'fake-hid:ready' });
const locked = new FakeLedgerDevice({ path: 'fake-hid:locked', locked: true, product: 'Nano X' });
const denied = new FakeLedgerDevice({ path: 'fake-hid:denied' });
denied.openError = Object.assign(new Error("EACCES: permission denied, open 'fake-hid:denied'"), {
  code: 'EACCES',
});
/** Its "device node" is a file a real process keeps open, as Ledger Live keeps /dev/hidrawN. */
const heldNode = join(home, 'hidraw4');
let held: FakeLedgerDevice;
let holder: ChildProcess;
const all = () => [ready, locked, denied, held];

beforeAll(async () => {
  writeFileSync(heldNode, '');
  held = new FakeLedgerDevice({ path: heldNode, product: 'Nano S' });
  holder = spawn('sh', ['-c', `exec 3<>"${heldNode}"; echo ready; exec sleep 120`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => holder.stdout!.once('data', resolve));
});

afterAll(() => {
  holder?.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

const hidFindings = (report: DoctorReport) => report.findings.filter((f) => f.area === 'hid');
const codes = (findings: Finding[]) => findings.map((f) => `${f.code} ${f.status}`);
/** This machine's udev finding when not every Ledger opens: the rules are a file here or not. */
const udevRules = () => (installedUdevRules() ? 'hid.udevRules ok' : 'hid.noUdevRules warn');

function expectFourDevices(report: DoctorReport): void {
  const found = hidFindings(report);
  expect(codes(found)).toEqual([
    'hid.ready ok',
    'hid.deviceLocked warn',
    'hid.accessDenied fail',
    'hid.busy warn',
    udevRules(),
  ]);
  expect(found[0]).toMatchObject({
    what: `Nano S Plus at fake-hid:ready: the Ethereum app 1.10.3 is open, device id ${ready.address(0)}.`,
    facts: { deviceId: ready.address(0) },
  });
  expect(found[1]?.fix).toBe('Unlock it with its PIN on the device, then open its Ethereum app.');
  expect(found[2]?.fix).toMatch(
    /^Install Signet’s udev rules: `sudo cp \S+60-signet-hid\.rules \/etc\/udev\/rules\.d\/ && sudo udevadm control --reload-rules && sudo udevadm trigger`, then plug the Ledger in again\.$/,
  );
  expect(found[3]).toMatchObject({
    what: `Nano S at ${heldNode} is busy: it is open in sleep (pid ${holder.pid}).`,
    fix: 'Close it there (or quit that program), then try again.',
  });
}

async function expectLeftAlone(): Promise<void> {
  // Nothing was shown on a screen, and only reads were sent.
  for (const device of all()) expect(device.screens).toEqual([]);
  const sent = all().flatMap((d) =>
    d.apdus.map((a) => `${a.cla.toString(16)} ${a.ins.toString(16)} ${a.p1}`),
  );
  expect(new Set(sent)).toEqual(new Set(['b0 1 0', 'e0 2 0']));
  // Nothing of Signet's holds them: each openable one opens again at once.
  const hid = fakeHidBackend(all());
  for (const device of [ready, locked]) {
    await (await openLedgerDeviceTransport(hid, device.path)).close();
  }
}

describe('signet doctor with Ledgers plugged in', () => {
  it('answers the UI’s door with each Ledger’s state', async () => {
    const api = createAppApi({ home, env, hid: fakeHidBackend(all()) });
    try {
      const reply = await api.dispatch('doctor.run', {});
      expect(reply.ok).toBe(true);
      if (!reply.ok) return;
      const report = doctorReportSchema.parse(reply.result);
      expectFourDevices(report);
      expect(report.summary.fail).toBeGreaterThan(0);
    } finally {
      api.close();
    }
    await expectLeftAlone();
  });

  it('prints the same in --json and exits 1 for the Ledger it may not open', async () => {
    const json = await signet(['doctor', '--json'], { env, hid: fakeHidBackend(all()) });
    expect(json.code).toBe(1);
    const report = doctorReportSchema.parse(json.json);
    expectFourDevices(report);
    const text = await signet(['doctor'], { env, hid: fakeHidBackend(all()) });
    expect(text.stdout).toContain(
      `ok    hid      Nano S Plus at fake-hid:ready: the Ethereum app 1.10.3 is open, device id ${ready.address(0)}.\n`,
    );
    expect(text.stdout).toMatch(
      /^fail {2}hid {6}Signet may not open Nano S Plus at fake-hid:denied \(permission denied\)\. Fix: Install Signet’s udev rules: `sudo cp /m,
    );
    await expectLeftAlone();
  });

  it('with no Ledger plugged in, says so, and fails nothing for it', async () => {
    const json = await signet(['doctor', '--json'], { env, hid: fakeHidBackend([]) });
    const found = hidFindings(doctorReportSchema.parse(json.json));
    expect(codes(found)).toEqual(['hid.none ok', udevRules()]);
    expect(found.every((f) => f.status !== 'fail')).toBe(true);
  });
});

describe('hot-plug of Ledgers', () => {
  it('pushes devices.changed when a Ledger is plugged in and pulled out', async () => {
    const nano = new FakeLedgerDevice({ path: 'fake-hid:hotplug' });
    nano.unplug();
    const events: ApiEvent[] = [];
    const api = createAppApi({
      home,
      env,
      hid: fakeHidBackend([nano]),
      onEvent: (event) => events.push(apiEventSchema.parse(event)),
    });
    const next = async () => {
      const seen = events.length;
      await expect
        .poll(() => events.length, { timeout: 5_000, interval: 20 })
        .toBeGreaterThan(seen);
      return events[seen];
    };
    try {
      await api.watchDevices({ intervalMs: 50 });
      expect(events).toEqual([]);
      const ref = {
        id: 'hid-device 2c97:5011 fake-hid:hotplug',
        kind: 'hid-device',
        label: 'Nano S Plus',
      };
      nano.plugIn();
      expect(await next()).toEqual({
        type: 'devices.changed',
        payload: { added: [ref], removed: [] },
      });
      nano.unplug();
      expect(await next()).toEqual({
        type: 'devices.changed',
        payload: { added: [], removed: [ref] },
      });
      expect(nano.apdus).toEqual([]);
    } finally {
      api.close();
    }
  });
});
