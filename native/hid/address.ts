/**
 * The Ethereum app's address format, on the host: keccak-256 of the public key
 * point, last 20 bytes, EIP-55 checksummed. (No chain library in native/: this
 * is what the app on the device computes and shows.)
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** EIP-55: a hex letter is upper case where the same nibble of keccak(lowercase hex) is ≥ 8. */
export function checksumAddress(hex40: string): string {
  const lower = hex40.toLowerCase();
  const hash = bytesToHex(keccak_256(new TextEncoder().encode(lower)));
  let out = '0x';
  for (let i = 0; i < lower.length; i++) {
    out += Number.parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out;
}

/** The address of a SEC1 uncompressed secp256k1 public key (65 bytes, 0x04 ‖ x ‖ y). */
export function addressOfPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) {
    throw new Error(`not an uncompressed public key (${publicKey.length} bytes)`);
  }
  return checksumAddress(bytesToHex(keccak_256(publicKey.subarray(1)).subarray(12)));
}
