/**
 * Hot-plug on real SoftHSM2 tokens and on the FAKE smart card (test/fakes), as the
 * watcher (core/devices) sees them.
 *
 * What SoftHSM2 can show, and what it cannot:
 * - It has no slot events: a blocking C_WaitForSlotEvent is CKR_FUNCTION_NOT_SUPPORTED
 *   (and CKF_DONT_BLOCK answers CKR_NO_EVENT whatever happens), so the watcher polls it.
 * - It reads its token folder at C_Initialize only: while a process keeps it
 *   initialised, a token another process makes (softhsm2-util) or deletes is not seen.
 *   The watcher opens it per look, as every Signet call does, so a look after it was
 *   finalised reads the folder again: tokens made and deleted by another process come
 *   and go as events.
 * - Signet's own C_InitToken on the free slot shows up at the next look too (SoftHSM2
 *   moves the new token to a slot of its own and adds a free one).
 * Cards put in and pulled out of a reader, and a module that reports them through
 * C_WaitForSlotEvent, are what SoftHSM2 cannot produce: the FAKE card does (it wraps
 * these SoftHSM2 tokens), and the watcher, its polling turned off, sees them as events.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiEvent, apiEventSchema, type DevicesChanged } from '../core/api/events.js';
import { createAppApi } from '../core/app/app-api.js';
import { DeviceWatcher } from '../core/devices/device-watch.js';
import { Pkcs11DeviceSource } from '../core/devices/pkcs11-device-source.js';
import { openModule } from '../native/pkcs11/module.js';
import { pkcs11js } from '../native/pkcs11/pkcs11js.js';
import { initToken } from '../native/pkcs11/provision.js';
import { presentTokens } from '../native/pkcs11/slot-events.js';
import { listTokens, slotNumber } from '../native/pkcs11/tokens.js';
import { buildFakeSmartcard, type FakeSmartcard } from './fakes/fake-smartcard.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';

const store = createSoftHsmStore('signet-hotplug-');
const PIN = '1357-hotplug';
let first: string;

beforeAll(() => {
  first = store.initToken('First', PIN);
  store.activate();
});
afterAll(() => store.remove());

/**
 * Resolves with the first change `changes` gets after now that names an initialised
 * token (fails after `ms`). A look may catch softhsm2-util halfway, when only the
 * free slot has moved: such a change is no answer yet.
 */
function nextChange(changes: DevicesChanged[], ms = 10_000): Promise<DevicesChanged> {
  let seen = changes.length;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      for (; seen < changes.length; seen++) {
        const change = changes[seen]!;
        if (labels(change.added).length + labels(change.removed).length === 0) continue;
        clearInterval(timer);
        return resolve(change);
      }
      if (Date.now() - started > ms) {
        clearInterval(timer);
        reject(new Error(`no devices.changed within ${ms} ms`));
      }
    }, 20);
  });
}

const serialOf = (id: string) => /serial=(\S+)$/.exec(id)?.[1];
/** The labels of the initialised tokens among `refs` (SoftHSM2's free slot, unlabelled, moves about). */
const labels = (refs: { id: string; label: string }[]) =>
  refs
    .filter((r) => serialOf(r.id))
    .map((r) => r.label)
    .sort();

/** A token made by another process: softhsm2-util, into the same token folder. */
function initElsewhere(label: string): void {
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--so-pin', '87654321', '--pin', PIN],
    { env: store.env, stdio: 'pipe' },
  );
}

/** Deletes the token folder of the token with this label (its token.object names it). */
function deleteElsewhere(label: string): void {
  const tokens = join(store.dir, 'tokens');
  for (const dir of readdirSync(tokens)) {
    const object = readFileSync(join(tokens, dir, 'token.object'));
    if (object.includes(Buffer.from(label.padEnd(32, ' ')))) {
      rmSync(join(tokens, dir), { recursive: true });
      return;
    }
  }
  throw new Error(`no token folder for ${label}`);
}

describe('SoftHSM2, polled', () => {
  it('has no slot events: CKF_DONT_BLOCK says "no event", a blocking wait is not supported', () => {
    const module = openModule(softhsmModule);
    try {
      expect(module.api.C_WaitForSlotEvent(pkcs11js().CKF_DONT_BLOCK)).toBeNull();
      expect(() => module.api.C_WaitForSlotEvent(0)).toThrow('CKR_FUNCTION_NOT_SUPPORTED');
    } finally {
      module.close();
    }
  });

  it('does not see a token another process makes while it stays initialised', () => {
    const held = openModule(softhsmModule);
    try {
      initElsewhere('Unseen');
      expect(presentTokens(held).map((t) => t.label)).not.toContain('Unseen');
    } finally {
      held.close();
    }
    // Finalised and opened again: the token folder is read afresh.
    const again = openModule(softhsmModule);
    try {
      expect(presentTokens(again).map((t) => t.label)).toContain('Unseen');
    } finally {
      again.close();
    }
    deleteElsewhere('Unseen');
  });

  it('reports tokens another process makes and deletes, and Signet’s own initialisation', async () => {
    const changes: DevicesChanged[] = [];
    const polling: string[] = [];
    const watcher = new DeviceWatcher({
      sources: [
        new Pkcs11DeviceSource({
          modules: () => [softhsmModule],
          onPolling: (path, reason) => polling.push(`${path} ${reason}`),
        }),
      ],
      onChange: (change) => changes.push(change),
      intervalMs: 100,
    });
    try {
      await watcher.start();
      await expect
        .poll(() => polling, { timeout: 5_000 })
        .toEqual([`${softhsmModule} CKR_FUNCTION_NOT_SUPPORTED`]);
      expect(changes).toEqual([]); // what was there at the start is no event

      let change = nextChange(changes);
      initElsewhere('Plugged');
      const added = await change;
      expect(labels(added.added)).toEqual(['Plugged']);
      expect(labels(added.removed)).toEqual([]);
      expect(added.added.every((d) => d.kind === 'pkcs11-token')).toBe(true);

      change = nextChange(changes);
      deleteElsewhere('Plugged');
      const removed = await change;
      expect(labels(removed.removed)).toEqual(['Plugged']);
      expect(labels(removed.added)).toEqual([]);

      // Signet's own C_InitToken on the free slot, as `signet token init --free` does it.
      change = nextChange(changes);
      const module = openModule(softhsmModule);
      try {
        const free = listTokens(module).find((t) => !t.flags.tokenInitialized)!;
        await initToken(module, free.slotHandle, { label: 'Ours' }, async ({ role }) =>
          Buffer.from(role === 'new-so' ? '87654321' : PIN),
        );
      } finally {
        module.close();
      }
      const ours = await change;
      expect(labels(ours.added)).toEqual(['Ours']);
      // The free slot moved: the old one went, a new one came (both unlabelled).
      expect(ours.removed.map((d) => d.label)).toEqual(['']);
      for (const event of changes)
        expect(apiEventSchema.safeParse({ type: 'devices.changed', payload: event }).success).toBe(
          true,
        );
      // The first token never moved.
      const ids = changes.flatMap((c) => [...c.added, ...c.removed]).map((d) => serialOf(d.id));
      expect(ids).not.toContain(first);
    } finally {
      watcher.stop();
    }
  });

  it('sends devices.changed through the app API once asked to watch, and stops at close', async () => {
    const home = mkdtempSync(join(tmpdir(), 'signet-hotplug-home-'));
    const events: ApiEvent[] = [];
    const api = createAppApi({ home, env: {}, onEvent: (event) => events.push(event) });
    try {
      await api.watchDevices({ intervalMs: 100 });
      initElsewhere('Appears');
      await expect
        .poll(() => events.filter((e) => e.type === 'devices.changed').length, { timeout: 10_000 })
        .toBeGreaterThan(0);
      const [event] = events.filter((e) => e.type === 'devices.changed');
      expect(apiEventSchema.parse(event)).toEqual(event);
      expect(event).toMatchObject({
        type: 'devices.changed',
        payload: { added: expect.arrayContaining([expect.objectContaining({ label: 'Appears' })]) },
      });
    } finally {
      api.close();
      rmSync(home, { recursive: true, force: true });
    }
    // Closed: no look any more, no event.
    const before = events.length;
    deleteElsewhere('Appears');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(events.length).toBe(before);
  });
});

describe('the FAKE smart card, through its slot events', () => {
  let card: FakeSmartcard;
  let serial: string;

  beforeAll(() => {
    serial = store.initToken('Card', PIN);
    card = buildFakeSmartcard({ softhsmConf: store.conf, dir: join(store.dir, 'fake') });
    card.activate();
  });

  it('reports a card pulled out and put back as they happen, with polling off', async () => {
    const changes: DevicesChanged[] = [];
    const polling: string[] = [];
    const watcher = new DeviceWatcher({
      sources: [
        new Pkcs11DeviceSource({
          modules: () => [card.modulePath],
          onPolling: (path, reason) => polling.push(`${path} ${reason}`),
        }),
      ],
      onChange: (change) => changes.push(change),
      // No tick in this test: only the module's slot events make the watcher look.
      intervalMs: 3_600_000,
    });
    try {
      await watcher.start();
      let change = nextChange(changes, 5_000);
      card.remove(serial);
      const removed = await change;
      expect(removed.added).toEqual([]);
      expect(removed.removed).toEqual([
        {
          id: `pkcs11-token ${card.modulePath} serial=${serial}`,
          kind: 'pkcs11-token',
          label: 'Card',
        },
      ]);

      change = nextChange(changes, 5_000);
      card.insert(serial);
      const back = await change;
      expect(back.added.map((d) => serialOf(d.id))).toEqual([serial]);
      expect(back.removed).toEqual([]);
      expect(polling).toEqual([]); // the module has slot events: it was never polled
    } finally {
      watcher.stop();
    }
    // Stopped: the module was finalised, which ended the wait; nothing more is reported.
    card.remove(serial);
    await new Promise((resolve) => setTimeout(resolve, 300));
    card.insert(serial);
    expect(changes).toHaveLength(2);
  });

  it('reports each card movement once, to a CKF_DONT_BLOCK wait as well', () => {
    const module = openModule(card.modulePath);
    const { CKF_DONT_BLOCK } = pkcs11js();
    try {
      expect(module.api.C_WaitForSlotEvent(CKF_DONT_BLOCK)).toBeNull();
      const slot = listTokens(module).find((t) => t.serial === serial)!.slot;
      card.remove(serial);
      const event = module.api.C_WaitForSlotEvent(CKF_DONT_BLOCK);
      expect(event && slotNumber(event)).toBe(slot);
      expect(module.api.C_WaitForSlotEvent(CKF_DONT_BLOCK)).toBeNull(); // told once
      card.insert(serial);
      const back = module.api.C_WaitForSlotEvent(CKF_DONT_BLOCK);
      expect(back && slotNumber(back)).toBe(slot);
      expect(module.api.C_WaitForSlotEvent(CKF_DONT_BLOCK)).toBeNull();
    } finally {
      card.insert(serial);
      module.close();
    }
  });

  it('ends a blocked wait with CKR_CRYPTOKI_NOT_INITIALIZED when the module is finalised', async () => {
    const module = openModule(card.modulePath);
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { PKCS11 } = require(workerData.pkcs11js);
       const api = new PKCS11(); api.load(workerData.path);
       try { api.C_WaitForSlotEvent(0); parentPort.postMessage('event'); }
       catch (e) { parentPort.postMessage(e.message); }`,
      {
        eval: true,
        workerData: {
          pkcs11js: createRequire(import.meta.url).resolve('pkcs11js'),
          path: card.modulePath,
        },
      },
    );
    const answer = new Promise((resolve) => worker.once('message', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200)); // blocked by now
    module.close(); // the last user: C_Finalize
    await expect(answer).resolves.toBe('CKR_CRYPTOKI_NOT_INITIALIZED');
    await worker.terminate();
  });
});
