/**
 * Device calls on the UI's path (the app API that Electron IPC and the browser
 * bridge both call), over real SoftHSM2 tokens:
 *
 * - Module policy: a module path from the UI (a `module` field, or
 *   `module-path=` in a pkcs11: URI) is used only if Signet lists that module
 *   (config.json or discovery). Anything else is one MODULE_NOT_ALLOWED line,
 *   the same whether or not the file exists, and nothing is loaded. The FAKE
 *   smart card (a real PKCS#11 module at a path nothing lists) shows both sides:
 *   refused to the UI, open to the CLI's operator, and to the UI once listed.
 * - Audit: token init, PIN change and unblock, key generation and deletion from
 *   the UI each leave an entry with what was done to what; refusals leave none;
 *   no PIN is in the store or the CSV export.
 */
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiReply } from '../core/api/transport.js';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { exportAuditCsv, listAudit } from '../core/store/audit-log.js';
import { openStore } from '../core/store/database.js';
import { listOutbox } from '../core/store/outbox.js';
import { discoverModules } from '../native/pkcs11/discovery.js';
import { buildFakeSmartcard, type FakeSmartcard } from './fakes/fake-smartcard.js';
import { pinFile, signet } from './support/cli.js';
import {
  type ForeignLibraries,
  foreignLibraries,
  mappedFiles,
} from './support/foreign-libraries.js';
import {
  OFFLINE_CHAIN_ID,
  PAYEE,
  seedSyncedAccount,
  selectOfflineChain,
} from './support/offline-wallet.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';

const PIN = '2718-card-pin';
const tokens = createSoftHsmStore('signet-app-devices-');
const dir = mkdtempSync(join(tmpdir(), 'signet-app-devices-'));
let card: FakeSmartcard;
let foreign: ForeignLibraries;

beforeAll(() => {
  tokens.initToken('Card', PIN);
  card = buildFakeSmartcard({ softhsmConf: tokens.conf, dir: join(tokens.dir, 'fake') });
  card.activate();
  foreign = foreignLibraries(dir);
});
afterAll(() => {
  tokens.remove();
  rmSync(dir, { recursive: true, force: true });
});

/** The reply's error, or a failure if the call succeeded. */
function refusal(reply: ApiReply) {
  if (reply.ok) throw new Error(`expected a refusal, got ${JSON.stringify(reply.result)}`);
  return reply.error;
}

const notAllowed = (path: string) => ({
  code: 'MODULE_NOT_ALLOWED',
  message: `module ${JSON.stringify(path)} is not one Signet knows; add it to "modules" in config.json`,
  details: { path, reason: 'not-listed' },
});

describe('module policy: a module path from the UI must be one Signet lists', () => {
  const home = join(dir, 'policy-home');
  let app: AppApi;
  let cardKeyUri: string;
  let cardKeyAddress: `0x${string}`;
  const env = () => ({ ...card.env, SIGNET_HOME: home });
  const call = (method: string, params: unknown) => app.dispatch(method, params);
  /** A payment as the page makes it: the review first, then signing that review. */
  const pay = async (payment: { from: string; to: string; amount: string }) => {
    const review = await call('wallet.previewSend', payment);
    if (!review.ok) return review;
    const { reviewDigest } = review.result as { reviewDigest: string };
    return call('wallet.send', { ...payment, reviewDigest, pin: PIN, offline: true });
  };

  beforeAll(async () => {
    app = createAppApi({ home, env: env() });
  });
  afterAll(() => app.close());

  /** What a hostile caller might name, each with its own refusal. */
  const foreignPaths = () =>
    [
      foreign.canary,
      ...foreign.unlistedModules,
      ...(foreign.otherLibrary ? [foreign.otherLibrary] : []),
      foreign.missing,
      card.modulePath,
      '/etc/passwd',
      'libsofthsm2-not-here.so',
    ] as string[];

  it('precondition: none of those is listed or loaded yet', () => {
    const listed = new Set(
      discoverModules().map((m) => (existsSync(m.path) ? realpathSync(m.path) : m.path)),
    );
    const mapped = mappedFiles();
    for (const path of foreignPaths()) {
      const real = existsSync(path) ? realpathSync(path) : path;
      expect(listed.has(real), path).toBe(false);
      expect(mapped.has(real), path).toBe(false);
    }
    expect(foreign.unlistedModules.length).toBeGreaterThan(0);
  });

  it('refuses a foreign module in listTokens and initToken, the same whether or not the file exists', async () => {
    const before = await call('devices.listTokens', {});
    for (const path of foreignPaths()) {
      expect(refusal(await call('devices.listTokens', { module: path })), path).toEqual(
        notAllowed(path),
      );
      expect(
        refusal(
          await call('devices.initToken', {
            module: path,
            free: true,
            label: 'Mallory',
            soPin: '11112222',
            newPin: '33334444',
            confirmErase: true,
          }),
        ),
        path,
      ).toEqual(notAllowed(path));
    }
    // Existing and missing files: one message, but for the path the caller gave.
    const same = (path: string) =>
      call('devices.listTokens', { module: path }).then((r) =>
        JSON.stringify(refusal(r)).replaceAll(JSON.stringify(path).slice(1, -1), 'X'),
      );
    expect(await same(foreign.canary)).toBe(await same(foreign.missing));
    expect(await call('devices.listTokens', {})).toEqual(before);
  });

  it('refuses module-path= naming a foreign module in every URI the UI sends', async () => {
    for (const path of foreignPaths()) {
      const token = `pkcs11:token=Card?module-path=${encodeURIComponent(path)}`;
      const key = `pkcs11:token=Card;object=k?module-path=${encodeURIComponent(path)}`;
      const calls: Array<[string, Record<string, unknown>]> = [
        ['devices.listKeys', { token, pin: PIN }],
        ['devices.changePin', { token, pin: PIN, newPin: '99998888' }],
        ['devices.unblockPin', { token, soPin: '87654321', newPin: '99998888' }],
        ['devices.generateKey', { token, curve: 'secp256k1', label: 'evil', pin: PIN }],
        ['devices.deleteKey', { key, confirm: true, pin: PIN }],
      ];
      for (const [method, params] of calls) {
        expect(refusal(await call(method, params)), `${method} ${path}`).toEqual(notAllowed(path));
      }
    }
  });

  it('loaded none of them: the canary never fired, no module is mapped into this process', () => {
    expect(foreign.canaryFired()).toBe(false);
    const mapped = mappedFiles();
    // libz is left out: OpenSC's module, which discovery lists, links it.
    for (const path of [foreign.canary, ...foreign.unlistedModules, card.modulePath]) {
      expect(mapped.has(realpathSync(path)), path).toBe(false);
    }
  });

  it('admits a listed module by another spelling of its path (a symlink), opening the listed one', async () => {
    const listed = discoverModules().find(
      (m) => existsSync(m.path) && realpathSync(m.path) === realpathSync(softhsmModule),
    );
    expect(listed).toBeDefined();
    const reply = await call('devices.listTokens', { module: softhsmModule });
    expect(reply.ok).toBe(true);
    const found = (reply.ok ? (reply.result as Array<{ label: string; uri: string }>) : []).find(
      (t) => t.label === 'Card',
    );
    expect(found?.uri).toContain(`module-path=${listed!.path}`);
  });

  it('the CLI operator may name the unlisted card module; the UI may not use a key on it', async () => {
    const cli = (args: string[]) => signet(args, { env: env() });
    const tokenUri = (await cli(['tokens', '--module', card.modulePath, '--json'])).json.find(
      (t: { label: string }) => t.label === 'Card',
    ).uri;
    const key = await cli([
      'key',
      'generate',
      '--token',
      tokenUri,
      '--curve',
      'secp256k1',
      '--label',
      'card key',
      '--pin-file',
      pinFile(PIN),
      '--json',
    ]);
    expect(key.stderr).toBe('');
    cardKeyUri = key.json.uri;
    cardKeyAddress = key.json.address;
    selectOfflineChain(home);
    const added = await cli(['account', 'add', '--key', cardKeyUri, '--pin-file', pinFile(PIN)]);
    expect(added.stderr).toBe('');
    seedSyncedAccount(home, cardKeyAddress);

    // The account is the operator's, but its module is not listed: the UI cannot sign with it.
    const payment = { from: cardKeyUri, to: PAYEE, amount: '1.00' };
    expect(refusal(await pay(payment))).toEqual(notAllowed(card.modulePath));
    expect(refusal(await call('devices.listKeys', { token: tokenUri, pin: PIN }))).toEqual(
      notAllowed(card.modulePath),
    );
    const store = openStore(join(home, 'signet.sqlite'));
    try {
      expect(listOutbox(store, OFFLINE_CHAIN_ID)).toEqual([]);
      expect(listAudit(store, { limit: 50 }).map((e) => e.action)).toEqual(['generate-key']);
    } finally {
      store.close();
    }
  });

  it('once config.json lists the card, the UI uses it', async () => {
    writeFileSync(join(home, 'config.json'), JSON.stringify({ modules: [card.modulePath] }));
    const sent = await pay({ from: cardKeyUri, to: PAYEE, amount: '1.00' });
    expect(sent.ok).toBe(true);
    const listed = await call('devices.listTokens', { module: card.modulePath });
    expect(listed.ok).toBe(true);
  });
});

describe('audit: provisioning from the UI leaves an entry per step, never a PIN', () => {
  const home = join(dir, 'audit-home');
  const SO = 'so-7730-branch';
  const USER = 'user-4411-branch';
  const CHANGED = 'changed-2299-branch';
  const UNBLOCKED = 'unblocked-6655-branch';
  const WRONG = 'wrong-0000-branch';
  let app: AppApi;
  const ok = async (method: string, params: unknown) => {
    const reply = await app.dispatch(method, params);
    if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
    return reply.result as any;
  };
  const actions = async () =>
    ((await ok('audit.list', {})).entries as Array<{ action: string }>).map((e) => e.action);

  beforeAll(() => {
    app = createAppApi({ home, env: { SIGNET_HOME: home } });
  });
  afterAll(() => app.close());

  it('records init, PIN change, unblock, key generation and deletion; refusals add nothing', async () => {
    const free = (await ok('devices.listTokens', { module: softhsmModule })).find(
      (t: { flags: { tokenInitialized: boolean } }) => !t.flags.tokenInitialized,
    );
    const { uri: token } = await ok('devices.initToken', {
      module: softhsmModule,
      slot: free.slot,
      label: 'Branch 9',
      soPin: SO,
      newPin: USER,
    });
    await ok('devices.changePin', { token, pin: USER, newPin: CHANGED });
    await ok('devices.unblockPin', { token, soPin: SO, newPin: UNBLOCKED });
    const key = await ok('devices.generateKey', {
      token,
      curve: 'p256',
      label: 'teller',
      pin: UNBLOCKED,
    });
    await ok('devices.deleteKey', { key: key.uri, confirm: true, pin: UNBLOCKED });
    const done = await actions();
    expect(done).toEqual(['delete-key', 'generate-key', 'unblock-pin', 'change-pin', 'init-token']);

    // Refused: a wrong PIN, a wrong SO PIN, a delete not confirmed. None is recorded.
    for (const [method, params] of [
      ['devices.generateKey', { token, curve: 'secp256k1', label: 'x', pin: WRONG }],
      ['devices.changePin', { token, pin: WRONG, newPin: '12341234' }],
      ['devices.unblockPin', { token, soPin: WRONG, newPin: '12341234' }],
      ['devices.deleteKey', { key: key.uri, confirm: false, pin: UNBLOCKED }],
    ] as const) {
      expect((await app.dispatch(method, params)).ok, method).toBe(false);
    }
    expect(await actions()).toEqual(done);

    const entries = (await ok('audit.list', {})).entries;
    expect(entries.at(-1)).toMatchObject({
      action: 'init-token',
      keyUri: token,
      subject: {
        label: 'Branch 9',
        serial: expect.stringMatching(/^[0-9a-f]{16}$/),
        erased: false,
      },
    });
    expect(token).toContain(`serial=${entries.at(-1).subject.serial}`);
    expect(entries[1]).toMatchObject({
      action: 'generate-key',
      keyUri: key.uri,
      subject: { curve: 'p256', label: 'teller', publicKey: key.publicKey, token: 'Branch 9' },
    });
    expect(entries[0]).toMatchObject({
      action: 'delete-key',
      keyUri: key.uri,
      subject: { curve: 'p256', label: 'teller', publicKey: key.publicKey },
    });
  });

  it('holds no PIN: not in the store files, not in the CSV export', () => {
    const path = join(home, 'signet.sqlite');
    const store = openStore(path);
    let csv: string;
    try {
      csv = exportAuditCsv(store);
    } finally {
      store.close();
    }
    const all = Buffer.concat([
      ...[path, `${path}-wal`, `${path}-shm`]
        .filter((p) => existsSync(p))
        .map((p) => readFileSync(p)),
      Buffer.from(csv),
    ]);
    expect(all.includes('Branch 9')).toBe(true);
    for (const pin of [SO, USER, CHANGED, UNBLOCKED, WRONG]) {
      for (const form of [
        pin,
        Buffer.from(pin).toString('hex'),
        Buffer.from(pin).toString('base64'),
      ]) {
        expect(all.includes(form), pin).toBe(false);
      }
    }
  });
});
