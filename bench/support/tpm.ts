/**
 * P-256 signing on a TPM token for benchmarks: a provisioned swtpm + tpm2-abrmd +
 * tpm2-pkcs11 token (test/support/tpm-token.ts), and the two ways to sign on it
 * that a benchmark compares: Signet's signer (low-S, verified against the key)
 * and a bare pkcs11js loop (C_SignInit + C_Sign on one logged-in session, nothing
 * checked). Where the TPM packages are missing, `missing` says why in one line.
 */
import { TokenConnection } from '../../native/pkcs11/connection.js';
import { findKey, type TokenKey } from '../../native/pkcs11/keys.js';
import { openModule } from '../../native/pkcs11/module.js';
import { pkcs11js } from '../../native/pkcs11/pkcs11js.js';
import { Pkcs11Signer, SIGNING_SESSIONS } from '../../native/pkcs11/signer.js';
import { findToken } from '../../native/pkcs11/tokens.js';
import { parsePkcs11Uri } from '../../native/pkcs11/uri.js';
import { findTpmTools } from '../../test/support/tpm-stack.js';
import { startTpmToken } from '../../test/support/tpm-token.js';

export interface TpmBenchKey {
  connection: TokenConnection;
  key: TokenKey;
  signer: Pkcs11Signer;
  /** Logs out, closes the module and stops the TPM stack. */
  close(): Promise<void>;
}

/** Why the TPM benchmark cannot run here, or undefined if it can. */
export function tpmBenchMissing(): string | undefined {
  const tools = findTpmTools();
  return 'missing' in tools ? tools.missing : undefined;
}

/** A logged-in P-256 key on a fresh TPM token, with `sessions` signing sessions. */
export async function openTpmBenchKey(sessions = SIGNING_SESSIONS): Promise<TpmBenchKey> {
  const tpm = await startTpmToken({ tokenLabel: 'bench-tpm', keyLabel: 'bench-p256' });
  const module = openModule(tpm.modulePath);
  try {
    const uri = parsePkcs11Uri(tpm.keyUri);
    // One connection per token per process: the login belongs to the application.
    const connection = new TokenConnection(module, findToken(module, uri), { sessions });
    await connection.logIn('user', async () => Buffer.from(tpm.userPin));
    const key = await findKey(connection, uri);
    const signer = new Pkcs11Signer(connection, key);
    return {
      connection,
      key,
      signer,
      async close() {
        await signer.close();
        module.close();
        await tpm.stop();
      },
    };
  } catch (error) {
    module.close();
    await tpm.stop();
    throw error;
  }
}

/** Signatures per second of a bare synchronous pkcs11js loop (no checks). */
export function bareSignRate(bench: TpmBenchKey, digests: Uint8Array[]): Promise<number> {
  const { CKM_ECDSA } = pkcs11js();
  const api = bench.connection.module.api;
  return bench.connection.withSession((session) => {
    const out = Buffer.alloc(128);
    const start = performance.now();
    for (const digest of digests) {
      api.C_SignInit(session, { mechanism: CKM_ECDSA }, bench.key.privateHandle);
      api.C_Sign(session, Buffer.from(digest), out);
    }
    return (digests.length / (performance.now() - start)) * 1000;
  });
}

/** Signatures per second through Signet's signer (every signature low-S and verified). */
export async function signetSignRate(bench: TpmBenchKey, digests: Uint8Array[]): Promise<number> {
  const start = performance.now();
  const signatures = await bench.signer.signMany(digests);
  const rate = (digests.length / (performance.now() - start)) * 1000;
  if (signatures.length !== digests.length) throw new Error('missing signatures');
  return rate;
}
