/**
 * A provisioned TPM token for tests: a fresh TPM stack (test/support/tpm-stack.ts)
 * with one tpm2-pkcs11 token, initialised and given a P-256 key through Signet's
 * own provisioning code, exactly as `signet token init` and `signet key generate`
 * do it. The module is closed again afterwards, so the caller's process (or a CLI
 * child with `env`) opens it fresh.
 */
import { TokenConnection } from '../../native/pkcs11/connection.js';
import { generateKeyPair } from '../../native/pkcs11/keys.js';
import { openModule } from '../../native/pkcs11/module.js';
import { initToken } from '../../native/pkcs11/provision.js';
import { listTokens, tokenUri } from '../../native/pkcs11/tokens.js';
import { formatPkcs11Uri } from '../../native/pkcs11/uri.js';
import { startTpmStack, type TpmStack } from './tpm-stack.js';

export interface TpmToken {
  stack: TpmStack;
  modulePath: string;
  /** process.env plus what reaches this TPM: for CLI child processes. */
  env: NodeJS.ProcessEnv;
  tokenLabel: string;
  /** pkcs11: URI of the token (with module-path). */
  tokenUri: string;
  soPin: string;
  userPin: string;
  /** pkcs11: URI of the P-256 private key (with module-path). */
  keyUri: string;
  /** The key's public key, SEC1 uncompressed (65 bytes). */
  publicKey: Uint8Array;
  stop(): Promise<void>;
}

export interface TpmTokenOptions {
  tokenLabel?: string;
  keyLabel?: string;
  soPin?: string;
  userPin?: string;
}

/**
 * Starts a TPM stack, points this process at it (activate), and provisions a token
 * with one P-256 key. Call before anything else in the process opens tpm2-pkcs11.
 */
export async function startTpmToken(options: TpmTokenOptions = {}): Promise<TpmToken> {
  const tokenLabel = options.tokenLabel ?? 'signet-tpm';
  const keyLabel = options.keyLabel ?? 'tpm-key';
  const soPin = options.soPin ?? 'tpm-so-pin-1234';
  const userPin = options.userPin ?? 'tpm-user-pin-1234';
  const stack = await startTpmStack();
  try {
    stack.activate();
    const module = openModule(stack.modulePath);
    try {
      const free = listTokens(module).find((t) => !t.flags.tokenInitialized);
      if (!free) throw new Error('tpm2-pkcs11 offered no free slot');
      const pins = async (request: { role: string }) =>
        Buffer.from(request.role.endsWith('so') ? soPin : userPin);
      const token = await initToken(module, free.slotHandle, { label: tokenLabel }, pins);
      const connection = new TokenConnection(module, token, { write: true });
      try {
        await connection.logIn('user', pins);
        const key = await generateKeyPair(connection, 'p256', keyLabel);
        return {
          stack,
          modulePath: stack.modulePath,
          env: stack.env,
          tokenLabel,
          tokenUri: formatPkcs11Uri(tokenUri(token)),
          soPin,
          userPin,
          keyUri: formatPkcs11Uri(key.uri),
          publicKey: key.publicKey,
          stop: () => stack.stop(),
        };
      } finally {
        connection.close();
      }
    } finally {
      module.close();
    }
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
