/**
 * Vitest global setup: compiles the ledger contracts once, before any test file
 * runs, so parallel test processes find the cache warm instead of each running solc.
 * It also gives tpm2-pkcs11 a throwaway store: tests that list every module found
 * load it, and its default store is the user's own `~/.tpm2_pkcs11`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../ledger/compile.js';

export default async function setup(): Promise<() => void> {
  const tpmStore = mkdtempSync(join(tmpdir(), 'signet-tpm2-store-'));
  // Set before the test processes fork, so each one inherits it (the TPM harness sets its own).
  process.env.TPM2_PKCS11_STORE = tpmStore;
  const result = await build();
  if (!result.cached) {
    console.log(
      `ledger contracts compiled in ${Math.round(result.ms)} ms (solc ${result.solcVersion})`,
    );
  }
  return () => rmSync(tpmStore, { recursive: true, force: true });
}
