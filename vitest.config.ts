import { defineConfig } from 'vitest/config';
import { findAnvilBinary } from './ledger/anvil-node.js';

/**
 * The files that run a second time on anvil (Foundry), an independent node
 * implementation: offline send (from a P-256 account too), sync, quorum and reorg, kill -9,
 * and treasury Safes. Their dev ledgers start on the engine SIGNET_TEST_ENGINE names
 * (test/support/dev-chain.ts).
 */
const onAnvil = [
  'test/wallet-send.integration.test.ts',
  'test/sync-nodes.integration.test.ts',
  'core/sync/sync-engine.test.ts',
  'test/sync-crash.integration.test.ts',
  'test/sync-quorum.integration.test.ts',
  'test/wallet-p256.integration.test.ts',
  'test/safe-account.integration.test.ts',
];
/** Runs instead of them where anvil is not installed: shows why they did not run. */
const anvilMissing = 'test/anvil-missing.test.ts';

const anvil = findAnvilBinary();
// Vitest evaluates this file once for the root and once per project: say it once.
const said = globalThis as { signetAnvilNoticeShown?: boolean };
if ('missing' in anvil && !said.signetAnvilNoticeShown) {
  said.signetAnvilNoticeShown = true;
  console.warn(`vitest: the anvil project is skipped: ${anvil.missing}`);
}

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Each test file runs in its own process: PKCS#11 modules are process-global
    // (C_Initialize reads SOFTHSM2_CONF once), so files must not share one.
    pool: 'forks',
    testTimeout: 30_000,
    // .ci/run reads the JSON report to print its "N passed, N failed" line: always written,
    // so the run gives the same result whoever runs it, with or without CI set. It holds
    // both projects' tests.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    hookTimeout: 60_000,
    // `--project hardhat` or `--project anvil` runs one of them.
    projects: [
      {
        extends: true,
        test: {
          name: 'hardhat',
          include: ['**/*.test.ts'],
          exclude: ['node_modules/**', anvilMissing],
        },
      },
      {
        extends: true,
        test: {
          name: 'anvil',
          include: 'missing' in anvil ? [anvilMissing] : onAnvil,
          exclude: ['node_modules/**'],
          env: { SIGNET_TEST_ENGINE: 'anvil' },
        },
      },
    ],
  },
});
