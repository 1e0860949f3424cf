// Prints "N passed, N failed" from Vitest's JSON report. A test file that failed
// before running any test (import error, crash) counts as one failure; a missing
// report is a failure too.
import { readFileSync } from 'node:fs';

try {
  const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const crashedFiles = report.testResults.filter(
    (file) => file.status === 'failed' && file.assertionResults.length === 0,
  ).length;
  const failed = report.numFailedTests + crashedFiles;
  console.log(`${report.numPassedTests} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
} catch (error) {
  console.log(`test report unreadable (${error.message})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
