/**
 * The key that approves a treasury proposal, whatever its curve: a secp256k1
 * key (token or Ledger) is an owner itself and signs the SafeTx; a P-256 key
 * (a TPM, SoftHSM2) owns through its P256Account, whose address comes from
 * the ledger's account factory and the key, and vouches for the safeTxHash to
 * that account (a contract signature).
 */
import type { Address } from 'viem';
import { toHex } from 'viem';
import { isLedgerDeviceUri } from '../../native/hid/uri.js';
import { openKeySigner } from '../../native/pkcs11/token-access.js';
import { SignetError } from '../api/errors.js';
import { type AccountSigner, type KeySources, openAccountSigner } from '../chain/account-signer.js';
import { ChainSigner } from '../chain/chain-signer.js';
import { p256AccountAddress } from '../chain/p256-account.js';
import { P256AccountSigner } from '../chain/p256-account-signer.js';

/**
 * Gas on top of an execution's budget for each P-256 owner's signature: the
 * Safe calls the account, which verifies P-256 in Solidity where the chain has
 * no RIP-7212 precompile. Measured on the dev ledger: a one-transfer execution
 * with an ECDSA and a P-256 signature uses 361k–366k gas (the Solidity
 * verification varies with the signature)
 * (test/cli-treasury-p256.integration.test.ts prints it).
 */
export const P256_SIGNATURE_GAS = 350_000n;

/**
 * Opens the approver's key. `factory`: the bundle's P-256 account factory,
 * which a P-256 key needs to know its account (refused without one).
 */
export async function openApprover(
  keyUri: string,
  sources: KeySources,
  factory: Address | undefined,
): Promise<AccountSigner | P256AccountSigner> {
  if (isLedgerDeviceUri(keyUri)) return openAccountSigner(keyUri, sources);
  const key = await openKeySigner(keyUri, sources.search, sources.pins);
  try {
    if (key.curve !== 'p256') return new ChainSigner(key);
    if (!factory) {
      throw new SignetError(
        'BUNDLE_INVALID',
        `key ${keyUri} is a P-256 key, and the bundle names no P-256 account factory to find its account by; nothing was signed`,
        { details: { reason: 'p256-factory' } },
      );
    }
    const publicKey = toHex(key.publicKey);
    return new P256AccountSigner(key, {
      address: p256AccountAddress(factory, publicKey),
      publicKey,
    });
  } catch (error) {
    await key.close();
    throw error;
  }
}
