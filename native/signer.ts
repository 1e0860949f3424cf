/**
 * The interface a token signs through: bytes in, a verified signature out, and
 * an explicit close. A Ledger never signs a bare digest (its Ethereum app signs
 * transactions and EIP-712 hashes), so it has a signer of its own
 * (native/hid/signer.ts); core/chain/account-signer.ts puts both behind one
 * interface for the wallet.
 */
export type SignatureCurve = 'secp256k1' | 'p256' | 'ed25519';

export interface Signature {
  /** 64 bytes: r‖s (low-S) for ECDSA, R‖S for Ed25519. */
  bytes: Uint8Array;
  /** secp256k1 only: the recovery id (0/1) of `bytes`. */
  v?: 0 | 1;
}

export interface Signer {
  /** RFC 7512 URI of the key. */
  readonly keyUri: string;
  readonly curve: SignatureCurve;
  /** SEC1 uncompressed (65 bytes) for ECDSA curves, 32 bytes for Ed25519. */
  readonly publicKey: Uint8Array;
  /**
   * ECDSA: signs a 32-byte digest (hashed by the caller). Ed25519: signs the
   * message itself. Never returns a signature that does not verify.
   */
  sign(data: Uint8Array): Promise<Signature>;
  close(): Promise<void>;
}
