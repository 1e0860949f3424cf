/**
 * A P-256 account's signatures on top of a device Signer: whatever holds the
 * key (a SoftHSM2 token, a TPM through tpm2-pkcs11, a smart card) signs a
 * 32-byte EIP-712 digest; the device layer returns only a low-S r‖s that
 * verifies against the key, and the key is checked here to be the account's.
 */
import { type Hex, hashTypedData, hexToBytes, toHex } from 'viem';
import type { Signer } from '../../native/signer.js';
import { SignetError } from '../api/errors.js';
import type { Account } from '../store/accounts.js';
import { type AccountOperation, executeDigest, messageTypedData } from './p256-account.js';

export class P256AccountSigner {
  constructor(
    readonly signer: Signer,
    readonly account: Pick<Account, 'address' | 'publicKey'>,
  ) {
    if (signer.curve !== 'p256') {
      throw new SignetError(
        'CURVE_UNSUPPORTED',
        `a P-256 account needs a P-256 key; ${signer.keyUri} is ${signer.curve}`,
      );
    }
    if (toHex(signer.publicKey).toLowerCase() !== account.publicKey.toLowerCase()) {
      throw new SignetError(
        'KEY_NOT_FOUND',
        `key ${signer.keyUri} is not the key of account ${account.address}`,
      );
    }
  }

  /** Signs one operation of the account on `chainId`: the digest and the signature the contract checks. */
  async signOperation(
    chainId: number,
    operation: AccountOperation,
  ): Promise<{ digest: Hex; r: Hex; s: Hex }> {
    const digest = executeDigest(chainId, this.account.address, operation);
    const { bytes } = await this.signer.sign(hexToBytes(digest));
    return { digest, r: toHex(bytes.subarray(0, 32)), s: toHex(bytes.subarray(32, 64)) };
  }

  /**
   * Vouches for `hash` (a Safe transaction's hash, say) to an EIP-1271 verifier:
   * the key signs the account's `Message(hash)` digest, and the 64-byte r‖s is
   * what the account's isValidSignature takes (a Safe, as its owner's contract
   * signature).
   */
  async signMessageHash(chainId: number, hash: Hex): Promise<{ digest: Hex; signature: Hex }> {
    const digest = hashTypedData(messageTypedData(chainId, this.account.address, hash));
    const { bytes } = await this.signer.sign(hexToBytes(digest));
    return { digest, signature: toHex(bytes.subarray(0, 64)) };
  }

  close(): Promise<void> {
    return this.signer.close();
  }
}
