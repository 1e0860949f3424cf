import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SignetError } from '../../core/api/errors.js';
import { tempDir } from '../../test/support/store-fixtures.js';
import type { ModuleCandidate } from './discovery.js';
import { anyModule, listedModulesOnly } from './module-policy.js';

const temp = tempDir();
afterAll(() => temp.remove());
const lib = join(temp.dir, 'lib');
mkdirSync(lib);
const listedPath = join(lib, 'libvendor-pkcs11.so');
const otherPath = join(lib, 'libother.so');
writeFileSync(listedPath, 'not really a library');
writeFileSync(otherPath, 'not really a library either');
const link = join(temp.dir, 'link-to-listed.so');
symlinkSync(listedPath, link);
const linkToOther = join(temp.dir, 'link-to-other.so');
symlinkSync(otherPath, linkToOther);
const missingListed = join(lib, 'configured-but-missing.so');

const listed = (): ModuleCandidate[] => [
  { path: listedPath, name: 'vendor', source: 'config' },
  { path: missingListed, name: 'missing', source: 'config' },
];

function refusal(path: string): SignetError {
  try {
    listedModulesOnly.admit(path, listed);
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
  throw new Error(`${path} was admitted`);
}

describe('listedModulesOnly (what the UI may name)', () => {
  it('admits a listed module, by its own path, a symlink or a relative path, and opens the listed path', () => {
    expect(listedModulesOnly.admit(listedPath, listed)).toBe(listedPath);
    expect(listedModulesOnly.admit(link, listed)).toBe(listedPath);
    expect(listedModulesOnly.admit(relative(process.cwd(), listedPath), listed)).toBe(listedPath);
    expect(listedModulesOnly.admit(`${lib}/../lib/libvendor-pkcs11.so`, listed)).toBe(listedPath);
  });

  it('admits a configured path even while its file is missing (opening it then says so)', () => {
    expect(listedModulesOnly.admit(missingListed, listed)).toBe(missingListed);
  });

  it('refuses anything else in one line, the same whether or not the file exists', () => {
    const cases = [otherPath, linkToOther, join(lib, 'no-such-lib.so'), '/nonexistent/libevil.so'];
    for (const path of cases) {
      const error = refusal(path);
      expect(error.code).toBe('MODULE_NOT_ALLOWED');
      expect(error.message).toBe(
        `module ${JSON.stringify(path)} is not one Signet knows; add it to "modules" in config.json`,
      );
      expect(error.details).toEqual({ path, reason: 'not-listed' });
    }
  });

  it('keeps a hostile path to one line and 200 characters', () => {
    const error = refusal(`/tmp/${'a'.repeat(5000)}\nINJECTED\0.so`);
    expect(error.message).not.toContain('\n');
    expect(error.message.length).toBeLessThan(300);
    expect(refusal('').code).toBe('MODULE_NOT_ALLOWED');
  });
});

describe('anyModule (the CLI operator)', () => {
  it('opens whatever path the operator names, without asking discovery', () => {
    const never = () => {
      throw new Error('discovery asked');
    };
    expect(anyModule.admit(otherPath, never)).toBe(otherPath);
    expect(anyModule.admit('/nonexistent/libevil.so', never)).toBe('/nonexistent/libevil.so');
  });
});
