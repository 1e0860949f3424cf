/**
 * `signet doctor` and the Devices screen's Diagnostics panel: every check in
 * turn, their findings in one report (core/api/diagnostics.ts). A check that
 * throws becomes one failed finding of its own; the others still run. Checks
 * run one after another, so the report's order is the list's.
 */
import type { DoctorReport, Finding } from '../api/diagnostics.js';
import { chainCheck } from './chain-check.js';
import {
  createDoctorContext,
  type DiagnosticCheck,
  type DoctorContext,
  type DoctorContextOptions,
  finding,
  firstLine,
} from './check.js';
import { dataCheck } from './data-check.js';
import { hidCheck } from './hid-check.js';
import { locksCheck } from './locks-check.js';
import { pkcs11Check } from './pkcs11-check.js';

/** The checks `signet doctor` runs, in the order its report lists them. */
export const defaultChecks: readonly DiagnosticCheck[] = [
  pkcs11Check,
  hidCheck,
  chainCheck,
  dataCheck,
  locksCheck,
];

export async function runDoctor(
  options: DoctorContextOptions,
  checks: readonly DiagnosticCheck[] = defaultChecks,
): Promise<DoctorReport> {
  const context: DoctorContext = createDoctorContext(options);
  const started = performance.now();
  const createdAt = context.now().toISOString();
  const findings: Finding[] = [];
  for (const check of checks) {
    try {
      findings.push(...(await check.run(context)));
    } catch (error) {
      findings.push(
        finding(check.area, 'fail', 'check.crashed', {
          check: check.name,
          reason: firstLine(error),
        }),
      );
    }
  }
  const count = (status: Finding['status']) => findings.filter((f) => f.status === status).length;
  return {
    format: 1,
    createdAt,
    durationMs: Math.round(performance.now() - started),
    home: context.home,
    platform: { os: process.platform, arch: process.arch, node: process.versions.node },
    summary: { ok: count('ok'), warn: count('warn'), fail: count('fail') },
    findings,
  };
}
