/**
 * A TPM token's PIN state: tpm2-pkcs11 never raises the PKCS#11 PIN flags, so
 * what counts is the TPM's dictionary-attack lockout (native/tpm/lockout.ts),
 * the same for all its tokens: ok while no wrong PIN is counted, a warning once
 * some are, a failure when the TPM is locked. The facts carry the numbers (the
 * sentences in every language are made from them) and the English words
 * (`words`) `signet token init` and PIN errors use.
 */
import { lockoutWords, type TpmLockout } from '../../native/tpm/lockout.js';
import type { Finding, FindingFacts } from '../api/diagnostics.js';
import { finding } from './check.js';

/** `token`: the token's facts (label, module, uri…) as its other findings carry them. */
export function tpmLockoutFinding(token: FindingFacts, lockout: TpmLockout): Finding {
  const words = lockoutWords(lockout);
  if (!lockout.known) {
    return finding('tokens', 'warn', 'tpm.unknown', { ...token, reason: lockout.reason, words });
  }
  const facts: FindingFacts = {
    ...token,
    failures: lockout.failures,
    maxFailures: lockout.maxFailures,
    triesLeft: lockout.triesLeft,
    intervalSeconds: lockout.intervalSeconds,
    // As the Devices screen says it: whole minutes, at least one.
    minutes: Math.max(1, Math.ceil(lockout.intervalSeconds / 60)),
    locked: lockout.locked,
    words,
  };
  const forgives = lockout.intervalSeconds > 0;
  if (lockout.locked) {
    return finding('tokens', 'fail', forgives ? 'tpm.locked' : 'tpm.lockedForGood', facts);
  }
  if (lockout.failures > 0) {
    return finding('tokens', 'warn', forgives ? 'tpm.counting' : 'tpm.countingForGood', facts);
  }
  return finding('tokens', 'ok', 'tpm.clear', facts);
}
