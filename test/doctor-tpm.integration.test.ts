/**
 * A TPM token in `signet doctor`, for real: swtpm + tpm2-abrmd + tpm2-pkcs11 started
 * in a temp dir (test/support/tpm-stack.ts: 3 tries, one forgiven every 10 minutes),
 * a token provisioned through Signet's own code. Its PIN state is the TPM's lockout
 * counter, read with tpm2_getcap: ok with no wrong PIN counted, a warning once one
 * is, a failure (exit 1) when the TPM is locked; each with the lockout words and a
 * fix. The doctor logs in nowhere: its runs change no count. Where the packages are
 * missing the file is skipped, and says why in one line.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DoctorReport, doctorReportSchema, type Finding } from '../core/api/diagnostics.js';
import { signet } from './support/cli.js';
import { findTpmTools } from './support/tpm-stack.js';
import { startTpmToken, type TpmToken } from './support/tpm-token.js';

const tools = findTpmTools();
const missing = 'missing' in tools ? tools.missing : undefined;
if (missing) console.warn(`TPM doctor tests skipped: ${missing}`);

const LABEL = 'doctor-tpm';

describe.skipIf(missing !== undefined)('signet doctor on a TPM token', () => {
  let tpm: TpmToken;
  const home = mkdtempSync(join(tmpdir(), 'signet-doctor-tpm-'));
  const env = () => ({ ...process.env, SIGNET_HOME: home });

  beforeAll(async () => {
    tpm = await startTpmToken({ tokenLabel: LABEL });
  }, 120_000);
  afterAll(async () => {
    await tpm?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  async function doctor(): Promise<{ code: number; report: DoctorReport }> {
    const run = await signet(['doctor', '--json'], { env: env() });
    return { code: run.code, report: doctorReportSchema.parse(run.json) };
  }

  /** The findings about this TPM's token (the p11-kit entry may list the same module). */
  const ofToken = (report: DoctorReport): Finding[] =>
    report.findings.filter(
      (f) =>
        f.area === 'tokens' &&
        f.facts.label === LABEL &&
        realpathSync(String(f.facts.modulePath)) === realpathSync(tpm.modulePath),
    );
  const codes = (findings: Finding[]) => [...new Set(findings.map((f) => `${f.code} ${f.status}`))];

  const wrongPin = async (pin: string) => {
    const run = await signet(['keys', '--token', tpm.tokenUri, '--pin-stdin', '--json'], {
      stdin: `${pin}\n`,
      env: env(),
    });
    expect(run.code).toBe(1);
  };

  it('says a TPM token with no wrong PIN counted is fine, in the TPM’s own words', async () => {
    await tpm.stack.clearLockout();
    const { report } = await doctor();
    const found = ofToken(report);
    // Its PIN flags say nothing on a TPM token: no "no failed PIN tries" from them.
    expect(codes(found)).toEqual(['tpm.clear ok']);
    expect(found[0]).toMatchObject({
      what: `TPM token “${LABEL}” in ${found[0]?.facts.module}: the TPM counts no wrong PIN; it locks after 3.`,
      facts: {
        failures: 0,
        maxFailures: 3,
        triesLeft: 3,
        intervalSeconds: 600,
        minutes: 10,
        locked: false,
        words: '3 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 minutes',
      },
    });
    expect(found[0]?.fix).toBeUndefined();
  });

  it('warns once the TPM counts a wrong PIN, and the doctor’s own look counts none', async () => {
    await tpm.stack.clearLockout();
    await wrongPin('wrong-1');
    const first = await doctor();
    const again = await doctor();
    for (const { report, code } of [first, again]) {
      const [counting] = ofToken(report);
      expect(counting).toMatchObject({
        status: 'warn',
        code: 'tpm.counting',
        what: `The TPM of token “${LABEL}” has counted 1 wrong PIN(s): 2 of 3 tries left before it locks; it forgives one every 10 min.`,
        fix: 'Type a PIN only when you are sure of it: wrong PINs on any of this TPM’s tokens count together.',
        facts: {
          failures: 1,
          triesLeft: 2,
          words:
            '2 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 minutes',
        },
      });
      expect(code).toBe(0);
    }
  });

  it('fails a locked TPM, says how long it stays locked, and exits 1', async () => {
    await tpm.stack.clearLockout();
    for (const pin of ['wrong-1', 'wrong-2', 'wrong-3']) await wrongPin(pin);
    const { code, report } = await doctor();
    const [lockedOut] = ofToken(report);
    expect(lockedOut).toMatchObject({
      status: 'fail',
      code: 'tpm.locked',
      what: `The TPM of token “${LABEL}” is locked after too many wrong PINs: it tries no PIN, so its keys cannot sign.`,
      fix: 'Wait at most 10 min, then type the right PIN once; the TPM’s owner can end the lockout at once with `tpm2_dictionarylockout --clear-lockout`.',
      facts: {
        locked: true,
        triesLeft: 0,
        words: 'the TPM is locked after too many wrong PINs: try again in at most 10 minutes',
      },
    });
    expect(code).toBe(1);
    await tpm.stack.clearLockout();
    expect(codes(ofToken((await doctor()).report))).toEqual(['tpm.clear ok']);
  });
});
