/**
 * Vitest global setup: compiles the ledger contracts once, before any test file
 * runs, so parallel test processes find the cache warm instead of each running solc.
 */
import { build } from '../ledger/compile.js';

export default async function setup(): Promise<void> {
  const result = await build();
  if (!result.cached) {
    console.log(
      `ledger contracts compiled in ${Math.round(result.ms)} ms (solc ${result.solcVersion})`,
    );
  }
}
