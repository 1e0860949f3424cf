/** Signet's config file names extra PKCS#11 modules; a broken one is one clear line. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signet } from './support/cli.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';

const store = createSoftHsmStore();
store.activate();
afterAll(() => store.remove());

function home(config: string): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'signet-home-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), config);
  return { ...process.env, SIGNET_HOME: dir };
}

describe('config.json in the data directory', () => {
  it('adds the modules it lists, and says which ones do not load', async () => {
    const env = home(JSON.stringify({ modules: [softhsmModule, '/opt/missing/libvendor.so'] }));
    const run = await signet(['modules', '--json'], { env });
    expect(run.code).toBe(0);
    expect(run.json[0]).toMatchObject({
      path: softhsmModule,
      source: 'config',
      loaded: true,
      manufacturer: 'SoftHSM',
    });
    expect(run.json[1]).toMatchObject({
      path: '/opt/missing/libvendor.so',
      source: 'config',
      loaded: false,
      error: 'PKCS#11 module not found: /opt/missing/libvendor.so',
    });
  });

  it('finds a token through a configured module when the URI names none', async () => {
    store.initToken('Configured', '1234');
    const env = home(JSON.stringify({ modules: [softhsmModule] }));
    const run = await signet(
      ['keys', '--token', 'pkcs11:token=Configured', '--pin-stdin', '--json'],
      { env, stdin: '1234\n' },
    );
    expect(run.stderr).toBe('');
    expect(run.json).toEqual([]);
  });

  it('rejects a malformed config file in one line', async () => {
    const broken = await signet(['modules'], { env: home('{"modules": ') });
    expect(broken.code).toBe(1);
    expect(broken.stderr.trim()).toMatch(/^signet: config file .*config\.json is not valid JSON$/);
    const wrongShape = await signet(['modules'], { env: home('{"modules": "/usr/lib/x.so"}') });
    expect(wrongShape.code).toBe(1);
    expect(wrongShape.stderr.trim()).toMatch(
      /^signet: config file .*config\.json is malformed: modules: /,
    );
  });
});
