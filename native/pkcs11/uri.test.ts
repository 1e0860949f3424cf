import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePkcs11Uri, sameTokenUri } from './uri.js';

const tpm = '/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so';
const hsm = '/usr/lib/softhsm/libsofthsm2.so';
const key = (token: string, object: string, module = tpm, serial = '0000000000000000') =>
  parsePkcs11Uri(
    `pkcs11:token=${token};manufacturer=IBM;serial=${serial};model=SW%20%20%20TPM;object=${object}?module-path=${module}`,
  );

describe('sameTokenUri', () => {
  it('is one token when module and every token attribute agree, whatever the key', () => {
    expect(sameTokenUri(key('alice', 'cash'), key('alice', 'carrier'))).toBe(true);
    expect(
      sameTokenUri(
        key('alice', 'cash'),
        key('alice', 'cash', '/usr/lib/x86_64-linux-gnu/pkcs11/../pkcs11/libtpm2_pkcs11.so'),
      ),
    ).toBe(true);
  });

  it('follows symlinks: a module spelled through a link is the same module', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-module-link-'));
    const library = join(dir, 'libvendor.so');
    writeFileSync(library, '');
    symlinkSync(library, join(dir, 'libvendor-link.so'));
    expect(
      sameTokenUri(
        key('alice', 'cash', library),
        key('alice', 'carrier', join(dir, 'libvendor-link.so')),
      ),
    ).toBe(true);
    expect(
      sameTokenUri(key('alice', 'cash', library), key('alice', 'cash', join(dir, 'missing.so'))),
    ).toBe(false);
  });

  it('tells TPM tokens apart by label although they share a serial, and modules apart', () => {
    expect(sameTokenUri(key('alice', 'cash'), key('bob', 'cash'))).toBe(false);
    expect(sameTokenUri(key('alice', 'cash'), key('alice', 'cash', hsm))).toBe(false);
    expect(sameTokenUri(key('alice', 'cash'), key('alice', 'cash', tpm, '1'))).toBe(false);
  });

  it('never calls two URIs one token when either leaves the module or the token open', () => {
    const noModule = parsePkcs11Uri('pkcs11:token=alice;object=cash');
    expect(sameTokenUri(noModule, noModule)).toBe(false);
    const anyToken = parsePkcs11Uri(`pkcs11:object=cash?module-path=${tpm}`);
    expect(sameTokenUri(anyToken, anyToken)).toBe(false);
  });
});
