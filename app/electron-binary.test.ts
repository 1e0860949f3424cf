/**
 * Finding Electron's binary and fetching it on the first start. The packages
 * and download scripts here are FAKES made in a temp dir (named fake-*): the
 * real download needs a host this machine cannot reach, and a test must not
 * depend on the network either way. The real install.js is run (against a
 * closed loopback port) by test/start-fallback.integration.test.ts.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chooseElectron,
  type ElectronBinary,
  electronInstallScript,
  fetchElectronBinary,
  fetchFailureReason,
  findElectronBinary,
} from './electron-binary.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'signet-fake-electron-'));
  dirs.push(dir);
  return dir;
}

/** A fake download script: `body` is its CommonJS source. */
function fakeScript(body: string): string {
  const path = join(tempDir(), 'fake-install.js');
  writeFileSync(path, body);
  return path;
}

/** What electron's install.js prints when github.com does not resolve (as here). */
const ENOTFOUND_OUTPUT = `RequestError: getaddrinfo ENOTFOUND github.com
    at ClientRequest.<anonymous> (/x/node_modules/got/dist/source/core/index.js:970:111)
    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26)`;
const failing = () =>
  fakeScript(`console.error(${JSON.stringify(ENOTFOUND_OUTPUT)}); process.exit(1);`);

/** A fake `electron` package under `<dir>/node_modules`, required from `<dir>/from.js`. */
function fakeElectronPackage(indexJs: string): { dir: string; from: string } {
  const dir = tempDir();
  const pkg = join(dir, 'node_modules', 'electron');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), '{"name":"electron","main":"index.js"}');
  writeFileSync(join(pkg, 'index.js'), indexJs);
  writeFileSync(join(pkg, 'install.js'), '');
  return { dir, from: pathToFileURL(join(dir, 'from.js')).href };
}

describe('findElectronBinary', () => {
  it('says the package is not installed when there is none', () => {
    const from = pathToFileURL(join(tempDir(), 'from.js')).href;
    expect(findElectronBinary(from)).toEqual({
      available: false,
      reason: 'the electron package is not installed',
    });
    expect(electronInstallScript(from)).toBeUndefined();
  });

  it('says the binary is missing when the package throws (no download happened)', () => {
    const { dir, from } = fakeElectronPackage(
      "throw new Error('Electron failed to install correctly');",
    );
    expect(findElectronBinary(from)).toEqual({ available: false, reason: 'its binary is missing' });
    expect(electronInstallScript(from)).toBe(join(dir, 'node_modules', 'electron', 'install.js'));
  });

  it('refuses a named binary that is absent or not executable', () => {
    const { dir, from } = fakeElectronPackage(
      `module.exports = require('node:path').join(__dirname, 'dist', 'electron');`,
    );
    const binary = join(dir, 'node_modules', 'electron', 'dist', 'electron');
    expect(findElectronBinary(from)).toEqual({
      available: false,
      reason: `its binary ${binary} is missing or not executable`,
    });
    mkdirSync(join(dir, 'node_modules', 'electron', 'dist'));
    writeFileSync(binary, '');
    chmodSync(binary, 0o644);
    expect(findElectronBinary(from)).toMatchObject({ available: false });
  });

  it('sees a binary fetched after an earlier look found none', () => {
    // Like electron's index.js: it throws until path.txt exists.
    const { dir, from } = fakeElectronPackage(`
      const fs = require('node:fs'); const path = require('node:path');
      const pathFile = path.join(__dirname, 'path.txt');
      if (!fs.existsSync(pathFile)) throw new Error('Electron failed to install correctly');
      module.exports = path.join(__dirname, 'dist', fs.readFileSync(pathFile, 'utf8'));`);
    expect(findElectronBinary(from)).toEqual({ available: false, reason: 'its binary is missing' });
    const pkg = join(dir, 'node_modules', 'electron');
    mkdirSync(join(pkg, 'dist'));
    writeFileSync(join(pkg, 'dist', 'electron'), '#!/bin/sh\n');
    chmodSync(join(pkg, 'dist', 'electron'), 0o755);
    writeFileSync(join(pkg, 'path.txt'), 'electron');
    expect(findElectronBinary(from)).toEqual({
      available: true,
      path: join(pkg, 'dist', 'electron'),
    });
  });
});

describe('fetchElectronBinary', () => {
  it('reports the first error of a failing download script in a few words', async () => {
    expect(await fetchElectronBinary({ script: failing(), env: {} })).toEqual({
      fetched: false,
      reason: 'getaddrinfo ENOTFOUND github.com',
    });
  });

  it('reports an exit code when the script says nothing', async () => {
    const script = fakeScript('process.exit(3);');
    expect(await fetchElectronBinary({ script, env: {} })).toEqual({
      fetched: false,
      reason: 'its download script exited with code 3',
    });
  });

  it('reports a script that is not there', async () => {
    const script = join(tempDir(), 'fake-missing-install.js');
    const outcome = await fetchElectronBinary({ script, env: {} });
    expect(outcome).toEqual({
      fetched: false,
      reason: expect.stringMatching(/^Cannot find module '.*fake-missing-install\.js'/),
    });
  });

  it('stops a download that takes longer than its time', async () => {
    const marker = join(tempDir(), 'still-running');
    const script = fakeScript(
      `setTimeout(() => require('node:fs').writeFileSync(${JSON.stringify(marker)}, ''), 3000);`,
    );
    const started = Date.now();
    expect(await fetchElectronBinary({ script, env: {}, timeoutMs: 200 })).toEqual({
      fetched: false,
      reason: 'no download within 0.2 s',
    });
    expect(Date.now() - started).toBeLessThan(2_500);
    await new Promise((wait) => setTimeout(wait, 3_300));
    expect(existsSync(marker)).toBe(false);
  });

  it('passes its environment to the script (ELECTRON_MIRROR, caches, proxies)', async () => {
    const script = fakeScript("process.exit(process.env.ELECTRON_MIRROR === 'http://m/' ? 0 : 1);");
    expect(await fetchElectronBinary({ script, env: { ELECTRON_MIRROR: 'http://m/' } })).toEqual({
      fetched: true,
    });
  });
});

describe('fetchFailureReason', () => {
  it('takes the first error line, shortened', () => {
    expect(fetchFailureReason(`noise\nHTTPError: Response code 404 (Not Found)\n  at x`, 1)).toBe(
      'Response code 404 (Not Found)',
    );
    expect(fetchFailureReason(`Error: ${'x'.repeat(200)}`, 1)).toBe(`${'x'.repeat(117)}...`);
    expect(fetchFailureReason('', null)).toBe('its download script was stopped');
  });
});

describe('chooseElectron', () => {
  const INSTEAD = 'serving the same UI in your browser instead.';
  const missing = (): ElectronBinary => ({ available: false, reason: 'its binary is missing' });

  /** A fake script that records that it ran. */
  function recordingScript(exitCode: number): { script: string; ran: () => boolean } {
    const marker = join(tempDir(), 'ran');
    const script = fakeScript(
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, ''); process.exit(${exitCode});`,
    );
    return { script, ran: () => existsSync(marker) };
  }

  it('launches a binary that is there, without fetching', async () => {
    const { script, ran } = recordingScript(0);
    let fetching = false;
    const choice = await chooseElectron({
      env: {},
      find: () => ({ available: true, path: '/opt/electron' }),
      script,
      onFetch: () => {
        fetching = true;
      },
    });
    expect(choice).toEqual({ launch: true, path: '/opt/electron', fetched: false });
    expect(fetching).toBe(false);
    expect(ran()).toBe(false);
  });

  it('serves the browser when SIGNET_UI=browser, without looking or fetching', async () => {
    const { script, ran } = recordingScript(0);
    const choice = await chooseElectron({
      env: { SIGNET_UI: 'browser' },
      find: () => {
        throw new Error('not asked');
      },
      script,
    });
    expect(choice).toEqual({
      launch: false,
      line: 'Serving the UI in your browser (SIGNET_UI=browser).',
    });
    expect(ran()).toBe(false);
  });

  it('does not fetch under ELECTRON_SKIP_BINARY_DOWNLOAD, and says so in one line', async () => {
    const { script, ran } = recordingScript(0);
    const choice = await chooseElectron({
      env: { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
      find: missing,
      script,
    });
    expect(choice).toEqual({
      launch: false,
      line: `Electron's binary is not installed and was not fetched (ELECTRON_SKIP_BINARY_DOWNLOAD is set); ${INSTEAD}`,
    });
    expect(ran()).toBe(false);
  });

  it('says in one line why a failed fetch leaves the browser', async () => {
    let fetching = 0;
    const choice = await chooseElectron({
      env: {},
      find: missing,
      script: failing(),
      onFetch: () => {
        fetching += 1;
      },
    });
    expect(choice).toEqual({
      launch: false,
      line: `Electron's binary could not be fetched (getaddrinfo ENOTFOUND github.com); ${INSTEAD}`,
    });
    expect(fetching).toBe(1);
  });

  it('launches the binary a fetch brought', async () => {
    const { script, ran } = recordingScript(0);
    const choice = await chooseElectron({
      env: {},
      find: () => (ran() ? { available: true, path: '/fetched/electron' } : missing()),
      script,
    });
    expect(choice).toEqual({ launch: true, path: '/fetched/electron', fetched: true });
  });

  it('does not launch when the script succeeds but no binary is there', async () => {
    const { script } = recordingScript(0);
    const choice = await chooseElectron({ env: {}, find: missing, script });
    expect(choice).toEqual({
      launch: false,
      line: `Electron's binary could not be fetched (its download script finished but its binary is missing); ${INSTEAD}`,
    });
  });

  it('says so when the electron package itself is not installed', async () => {
    const choice = await chooseElectron({
      env: {},
      find: () => ({ available: false, reason: 'the electron package is not installed' }),
      script: undefined,
    });
    expect(choice).toEqual({
      launch: false,
      line: `Electron cannot run here (the electron package is not installed); ${INSTEAD}`,
    });
  });
});
