/**
 * A TPM's dictionary-attack (DA) lockout state, read with tpm2-tools and said in
 * words. Every wrong PIN on a TPM-backed token (tpm2-pkcs11) is a failed
 * authorisation the TPM counts; after TPM2_PT_MAX_AUTH_FAIL of them it refuses
 * every PIN until it forgives one (one every TPM2_PT_LOCKOUT_INTERVAL seconds).
 * tpm2-pkcs11 reports none of this in the PKCS#11 PIN flags, so Signet asks the
 * TPM. The counter is the whole TPM's: wrong PINs on any of its tokens, or in any
 * other program using it, count together.
 *
 * tpm2_getcap runs with an argument list (no shell). Without tpm2-tools, or when
 * the TPM does not answer, the state is "unknown" with the reason, never a guess.
 */
import { type ExecFileException, execFile } from 'node:child_process';

export interface TpmLockoutKnown {
  known: true;
  /** Failed authorisations the TPM holds against DA-protected objects (TPM2_PT_LOCKOUT_COUNTER). */
  failures: number;
  /** Failures that put the TPM in lockout (TPM2_PT_MAX_AUTH_FAIL). */
  maxFailures: number;
  /** Wrong PINs the TPM still takes before it locks. */
  triesLeft: number;
  /** Seconds after which the TPM forgives one failure; 0: never by itself (TPM2_PT_LOCKOUT_INTERVAL). */
  intervalSeconds: number;
  /** The TPM refuses every PIN now (TPM2_PT_PERMANENT inLockout). */
  locked: boolean;
}

export interface TpmLockoutUnknown {
  known: false;
  /** Why the state could not be read, one line. */
  reason: string;
}

export type TpmLockout = TpmLockoutKnown | TpmLockoutUnknown;

export interface ReadLockoutOptions {
  /** Environment for tpm2_getcap (the TCTI and bus to reach the TPM); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** The tpm2_getcap binary; found on PATH by default. */
  getcap?: string;
  timeoutMs?: number;
}

/**
 * Reads the DA state of the TPM tpm2-pkcs11 uses: the TCTI it is told to use
 * (TPM2_PKCS11_TCTI), else tpm2-tools' own (TPM2TOOLS_TCTI), else the system's
 * default TPM, as tpm2-pkcs11 itself would pick.
 */
export function readTpmLockout(options: ReadLockoutOptions = {}): Promise<TpmLockout> {
  const base = options.env ?? process.env;
  const tcti = base.TPM2_PKCS11_TCTI ?? base.TPM2TOOLS_TCTI;
  const env = tcti ? { ...base, TPM2TOOLS_TCTI: tcti } : base;
  return new Promise((resolve) => {
    execFile(
      options.getcap ?? 'tpm2_getcap',
      ['properties-variable'],
      { env, encoding: 'utf8', timeout: options.timeoutMs ?? 5_000 },
      (error, stdout, stderr) => {
        if (error) {
          resolve({ known: false, reason: getcapFailure(error, stderr) });
          return;
        }
        try {
          resolve(parseTpmLockout(stdout));
        } catch (parseError) {
          resolve({ known: false, reason: (parseError as Error).message });
        }
      },
    );
  });
}

function getcapFailure(error: ExecFileException, stderr: string): string {
  if (error.code === 'ENOENT') return 'tpm2-tools is not installed (apt-get install tpm2-tools)';
  if (error.killed) return 'the TPM did not answer tpm2_getcap in time';
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return `tpm2_getcap failed: ${line ?? `exit ${error.code ?? error.signal}`}`;
}

/** The DA state in `tpm2_getcap properties-variable` output (tpm2-tools 4 and 5). */
export function parseTpmLockout(text: string): TpmLockoutKnown {
  const failures = property(text, 'TPM2_PT_LOCKOUT_COUNTER');
  const maxFailures = property(text, 'TPM2_PT_MAX_AUTH_FAIL');
  const intervalSeconds = property(text, 'TPM2_PT_LOCKOUT_INTERVAL');
  const inLockout = /^\s+inLockout:\s*(\d+)\s*$/m.exec(text)?.[1];
  if (inLockout === undefined) {
    throw new Error('tpm2_getcap did not report inLockout (TPM2_PT_PERMANENT)');
  }
  // A TPM in lockout takes no tries whatever its counter says.
  const locked = inLockout !== '0';
  return {
    known: true,
    failures,
    maxFailures,
    triesLeft: locked ? 0 : Math.max(0, maxFailures - failures),
    intervalSeconds,
    locked,
  };
}

function property(text: string, name: string): number {
  // `NAME: 0x3`, or (some tpm2-tools versions) `NAME:` then `  raw: 0x3` on the next line.
  const match = new RegExp(`^${name}:\\s*(?:raw:\\s*)?(0x[0-9a-f]+|\\d+)\\s*$`, 'im').exec(text);
  if (!match) throw new Error(`tpm2_getcap did not report ${name}`);
  return Number(match[1]);
}

/**
 * The state in one sentence for people, e.g. "2 of 3 tries left before the TPM
 * locks; it forgives one wrong PIN every 10 minutes".
 */
export function lockoutWords(state: TpmLockout): string {
  if (!state.known) return `the TPM's lockout state is unknown: ${state.reason}`;
  if (state.locked) {
    return state.intervalSeconds > 0
      ? `the TPM is locked after too many wrong PINs: try again in at most ${duration(state.intervalSeconds)}`
      : 'the TPM is locked after too many wrong PINs and does not unlock by itself: its owner must clear the lockout (tpm2_dictionarylockout --clear-lockout)';
  }
  const forgives =
    state.intervalSeconds > 0
      ? `it forgives one wrong PIN every ${duration(state.intervalSeconds)}`
      : 'it does not forgive wrong PINs by itself';
  return `${state.triesLeft} of ${state.maxFailures} tries left before the TPM locks; ${forgives}`;
}

/** Whole seconds in words, rounded up to whole minutes from two minutes on, to hours from two hours. */
export function duration(seconds: number): string {
  const unit = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  if (seconds < 120) return unit(seconds, 'second');
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return unit(minutes, 'minute');
  return unit(Math.ceil(minutes / 60), 'hour');
}
