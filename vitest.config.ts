import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    exclude: ['node_modules/**'],
    // Each test file runs in its own process: PKCS#11 modules are process-global
    // (C_Initialize reads SOFTHSM2_CONF once), so files must not share one.
    pool: 'forks',
    testTimeout: 30_000,
    // .ci/run reads the JSON report to print its "N passed, N failed" line: always written,
    // so the run gives the same result whoever runs it, with or without CI set.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    hookTimeout: 60_000,
  },
});
