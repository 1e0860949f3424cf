/** signet doctor: what Signet sees of modules, tokens, Ledgers, nodes and its data folder, with fixes. */
import type { Command } from 'commander';
import type { DoctorReport, Finding } from '../../core/api/diagnostics.js';
import type { CliContext } from '../context.js';

export function registerDoctorCommand(program: Command, context: CliContext): void {
  program
    .command('doctor')
    .description(
      'check modules, tokens and their PINs (a TPM token: its TPM lockout), Ledgers over USB and the udev rules, the ledger nodes, the data folder and its locks; changes nothing',
    )
    .option('--json', 'the whole report as JSON, for a support ticket')
    .action(async (flags: { json?: boolean }) => {
      let failed = false;
      await context.run(
        flags,
        async (app) => {
          const report = await app.call('doctor.run', {});
          failed = report.summary.fail > 0;
          return report;
        },
        formatReport,
      );
      // Exit 1 when anything failed (the report is printed either way).
      if (failed && context.exitCode === 0) context.exitCode = 1;
    });
}

const statusWidth = 'fail'.length;
const areaWidth = 'modules'.length;

/** One line per finding, its fix after it; a count last. */
export function formatReport(report: DoctorReport): string {
  const lines = report.findings.map(formatFinding);
  const { ok, warn, fail } = report.summary;
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  lines.push(
    `${plural(ok, 'ok', 'ok')}, ${plural(warn, 'warning', 'warnings')}, ${plural(fail, 'failure', 'failures')}`,
  );
  return lines.join('\n');
}

function formatFinding(finding: Finding): string {
  const head = `${finding.status.padEnd(statusWidth)}  ${finding.area.padEnd(areaWidth)}  ${finding.what}`;
  return finding.fix ? `${head} Fix: ${finding.fix}` : head;
}
