/**
 * What a TPM's lockout state turns into (tpmLockoutFinding). The states a real
 * TPM reaches (no failure, some counted, locked with a recovery time) are read
 * from swtpm in test/doctor-tpm.integration.test.ts; a TPM that forgives nothing
 * by itself and one tpm2-tools cannot read are mapped here.
 */
import { describe, expect, it } from 'vitest';
import type { TpmLockout } from '../../native/tpm/lockout.js';
import { tpmLockoutFinding } from './tpm-findings.js';

const token = { label: 'Vault', module: 'tpm2-pkcs11', uri: 'pkcs11:token=Vault' };
const known = (state: Partial<TpmLockout & { known: true }>): TpmLockout => ({
  known: true,
  failures: 0,
  maxFailures: 32,
  triesLeft: 32,
  intervalSeconds: 7_200,
  locked: false,
  ...state,
});

describe('tpmLockoutFinding', () => {
  it('is ok while the TPM counts no wrong PIN, and says so with the lockout words', () => {
    const f = tpmLockoutFinding(token, known({}));
    expect(f).toMatchObject({
      area: 'tokens',
      status: 'ok',
      code: 'tpm.clear',
      what: 'TPM token “Vault” in tpm2-pkcs11: the TPM counts no wrong PIN; it locks after 32.',
      facts: {
        ...token,
        failures: 0,
        triesLeft: 32,
        minutes: 120,
        words: '32 of 32 tries left before the TPM locks; it forgives one wrong PIN every 2 hours',
      },
    });
    expect(f.fix).toBeUndefined();
  });

  it.each<[Partial<TpmLockout & { known: true }>, string, string]>([
    [{ failures: 2, triesLeft: 30 }, 'tpm.counting', 'warn'],
    [{ failures: 2, triesLeft: 30, intervalSeconds: 0 }, 'tpm.countingForGood', 'warn'],
    [{ failures: 32, triesLeft: 0, locked: true }, 'tpm.locked', 'fail'],
    [{ failures: 32, triesLeft: 0, locked: true, intervalSeconds: 0 }, 'tpm.lockedForGood', 'fail'],
  ])('turns %j into %s (%s), with a fix', (state, code, status) => {
    const f = tpmLockoutFinding(token, known(state));
    expect(f).toMatchObject({ code, status });
    expect(f.fix).toMatch(/^\S.*\.$/);
  });

  it('says a TPM that forgives nothing by itself must have its count cleared by its owner', () => {
    const f = tpmLockoutFinding(
      token,
      known({ failures: 32, triesLeft: 0, locked: true, intervalSeconds: 0 }),
    );
    expect(f.what).toBe(
      'The TPM of token “Vault” is locked after too many wrong PINs and does not unlock by itself: its keys cannot sign.',
    );
    expect(f.fix).toContain('`tpm2_dictionarylockout --clear-lockout`');
    expect(f.facts.words).toMatch(/does not unlock by itself/);
  });

  it('warns when the TPM’s state cannot be read, with the reason and how to read it', () => {
    const f = tpmLockoutFinding(token, {
      known: false,
      reason: 'tpm2-tools is not installed (apt-get install tpm2-tools)',
    });
    expect(f).toMatchObject({
      status: 'warn',
      code: 'tpm.unknown',
      what: 'How many wrong PINs the TPM of token “Vault” has counted cannot be read: tpm2-tools is not installed (apt-get install tpm2-tools).',
      fix: 'Install tpm2-tools (`apt-get install tpm2-tools`) and check that the TPM answers: `tpm2_getcap properties-variable`.',
    });
  });
});
