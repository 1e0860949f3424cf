import { describe, expect, it } from 'vitest';
import { duration, lockoutWords, parseTpmLockout, readTpmLockout } from './lockout.js';

/** `tpm2_getcap properties-variable` from tpm2-tools 5.4 on swtpm 0.7, after one wrong PIN. */
const afterOneWrongPin = `TPM2_PT_PERMANENT:
  ownerAuthSet:              0
  endorsementAuthSet:        0
  lockoutAuthSet:            0
  reserved1:                 0
  disableClear:              0
  inLockout:                 0
  tpmGeneratedEPS:           1
  reserved2:                 0
TPM2_PT_STARTUP_CLEAR:
  phEnable:                  1
  shEnable:                  1
  ehEnable:                  1
  phEnableNV:                1
  reserved1:                 0
  orderly:                   1
TPM2_PT_HR_NV_INDEX: 0x0
TPM2_PT_LOADED_CURVES: 0x8
TPM2_PT_LOCKOUT_COUNTER: 0x1
TPM2_PT_MAX_AUTH_FAIL: 0x3
TPM2_PT_LOCKOUT_INTERVAL: 0x258
TPM2_PT_LOCKOUT_RECOVERY: 0x258
TPM2_PT_NV_WRITE_RECOVERY: 0x0
`;

describe('parseTpmLockout', () => {
  it('reads the counter, the limit, the interval and inLockout', () => {
    expect(parseTpmLockout(afterOneWrongPin)).toEqual({
      known: true,
      failures: 1,
      maxFailures: 3,
      triesLeft: 2,
      intervalSeconds: 600,
      locked: false,
    });
  });

  it('a TPM in lockout has no tries left', () => {
    const locked = afterOneWrongPin
      .replace('inLockout:                 0', 'inLockout:                 1')
      .replace('LOCKOUT_COUNTER: 0x1', 'LOCKOUT_COUNTER: 0x3');
    expect(parseTpmLockout(locked)).toMatchObject({ locked: true, failures: 3, triesLeft: 0 });
  });

  it('reads the value on the next line ("raw:") as some tpm2-tools versions print it', () => {
    const nested = afterOneWrongPin.replace(
      'TPM2_PT_MAX_AUTH_FAIL: 0x3',
      'TPM2_PT_MAX_AUTH_FAIL:\n  raw: 0x20',
    );
    expect(parseTpmLockout(nested)).toMatchObject({ maxFailures: 32, triesLeft: 31 });
  });

  it('refuses output without the lockout fields, naming the one missing', () => {
    expect(() =>
      parseTpmLockout(afterOneWrongPin.replace(/TPM2_PT_LOCKOUT_COUNTER.*\n/, '')),
    ).toThrow('tpm2_getcap did not report TPM2_PT_LOCKOUT_COUNTER');
    expect(() => parseTpmLockout(afterOneWrongPin.replace(/ +inLockout.*\n/, ''))).toThrow(
      'inLockout',
    );
  });
});

describe('lockoutWords', () => {
  const open = parseTpmLockout(afterOneWrongPin);

  it('says the tries left and how often the TPM forgives one', () => {
    expect(lockoutWords(open)).toBe(
      '2 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 minutes',
    );
    expect(lockoutWords({ ...open, failures: 2, triesLeft: 1 })).toBe(
      '1 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 minutes',
    );
  });

  it('says how long a lockout lasts at most, or that only the owner can clear it', () => {
    expect(lockoutWords({ ...open, locked: true, triesLeft: 0, intervalSeconds: 7200 })).toBe(
      'the TPM is locked after too many wrong PINs: try again in at most 2 hours',
    );
    expect(lockoutWords({ ...open, locked: true, triesLeft: 0, intervalSeconds: 0 })).toMatch(
      /does not unlock by itself: its owner must clear the lockout/,
    );
    expect(lockoutWords({ ...open, intervalSeconds: 0 })).toMatch(
      /it does not forgive wrong PINs by itself$/,
    );
  });

  it('says why the state is unknown', () => {
    expect(lockoutWords({ known: false, reason: 'tpm2-tools is not installed' })).toBe(
      "the TPM's lockout state is unknown: tpm2-tools is not installed",
    );
  });

  it('rounds durations up to whole minutes and hours', () => {
    expect(duration(1)).toBe('1 second');
    expect(duration(90)).toBe('90 seconds');
    expect(duration(1000)).toBe('17 minutes');
    expect(duration(60 * 60)).toBe('60 minutes');
    expect(duration(86_400)).toBe('24 hours');
  });
});

describe('readTpmLockout without a TPM to ask', () => {
  it('is unknown, saying tpm2-tools is missing, when tpm2_getcap is not installed', async () => {
    await expect(readTpmLockout({ getcap: '/nonexistent/tpm2_getcap' })).resolves.toEqual({
      known: false,
      reason: 'tpm2-tools is not installed (apt-get install tpm2-tools)',
    });
  });

  it('is unknown, with the exit status, when tpm2_getcap fails', async () => {
    await expect(readTpmLockout({ getcap: '/bin/false' })).resolves.toEqual({
      known: false,
      reason: 'tpm2_getcap failed: exit 1',
    });
  });
});
