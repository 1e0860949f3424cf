/**
 * Ethereum signing on top of a device Signer: hash on the host (keccak-256),
 * sign the digest on the token, assemble the signed transaction. The device
 * layer verifies every signature against the key (recovering it is how it
 * finds v), and the key's address is checked against the account here, so a
 * signature that does not recover to the account's address is never returned.
 */
import {
  type Address,
  type Hex,
  hashTypedData,
  keccak256,
  serializeTransaction,
  type TransactionSerializable,
  type TypedDataDefinition,
  toHex,
} from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import type { Signer } from '../../native/signer.js';
import { SignetError } from '../api/errors.js';
import type { AccountSigner, TypedDataSignature } from './account-signer.js';

export class ChainSigner implements AccountSigner {
  readonly address: Address;

  constructor(
    readonly signer: Signer,
    expected?: Address,
  ) {
    if (signer.curve !== 'secp256k1') {
      throw new SignetError(
        'CURVE_UNSUPPORTED',
        `ledger accounts need a secp256k1 key; ${signer.keyUri} is ${signer.curve}`,
      );
    }
    this.address = publicKeyToAddress(toHex(signer.publicKey));
    if (expected && expected.toLowerCase() !== this.address.toLowerCase()) {
      throw new SignetError(
        'KEY_NOT_FOUND',
        `key ${signer.keyUri} is account ${this.address}, not ${expected}`,
      );
    }
  }

  get keyUri(): string {
    return this.signer.keyUri;
  }

  get publicKey(): Uint8Array {
    return this.signer.publicKey;
  }

  /** The signed transaction, ready for eth_sendRawTransaction (its hash is the outbox's to compute). */
  async signTransaction(tx: TransactionSerializable): Promise<Hex> {
    if (!tx.chainId)
      throw new SignetError('INTERNAL', 'refusing to sign a transaction without a chain id');
    const digest = keccak256(serializeTransaction(tx));
    const { r, s, yParity } = await this.signDigest(digest);
    // Legacy envelopes take v (viem turns 27/28 into EIP-155's chainId·2+35+y).
    return serializeTransaction(tx, { r, s, yParity, v: BigInt(27 + yParity) });
  }

  async signTypedData(definition: TypedDataDefinition): Promise<TypedDataSignature> {
    const { r, s, yParity } = await this.signDigest(hashTypedData(definition));
    const v = yParity === 0 ? 27 : 28;
    return { signature: `${r}${s.slice(2)}${v.toString(16)}` as Hex, v, r, s };
  }

  private async signDigest(digest: Hex): Promise<{ r: Hex; s: Hex; yParity: 0 | 1 }> {
    const { bytes, v } = await this.signer.sign(Buffer.from(digest.slice(2), 'hex'));
    if (v === undefined) throw new SignetError('INTERNAL', 'the signer returned no recovery id');
    return { r: toHex(bytes.subarray(0, 32)), s: toHex(bytes.subarray(32)), yParity: v };
  }

  close(): Promise<void> {
    return this.signer.close();
  }
}
