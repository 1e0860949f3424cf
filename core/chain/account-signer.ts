/**
 * The one way the wallet signs for an account, whatever holds its key: a
 * PKCS#11 token (`pkcs11:` URIs: the host hashes, the token signs the digest)
 * or a Ledger (`ledger:` URIs: the device's Ethereum app signs the transaction
 * or typed data itself). Every signature is verified against the account's key
 * before it is returned, and the key's address against the account's.
 */
import type { Address, Hex, TransactionSerializable, TypedDataDefinition } from 'viem';
import type { HidBackend } from '../../native/hid/hid-backend.js';
import { LedgerDeviceSigner } from '../../native/hid/signer.js';
import { isLedgerDeviceUri } from '../../native/hid/uri.js';
import type { PinProvider } from '../../native/pin.js';
import { type ModuleSearch, openKeySigner } from '../../native/pkcs11/token-access.js';
import { ChainSigner } from './chain-signer.js';
import { LedgerDeviceChainSigner } from './ledger-device-chain-signer.js';

export interface TypedDataSignature {
  signature: Hex;
  v: 27 | 28;
  r: Hex;
  s: Hex;
}

export interface AccountSigner {
  /** The key's URI in its canonical form (what the account stores). */
  readonly keyUri: string;
  /** EIP-55 checksummed. */
  readonly address: Address;
  /** SEC1 uncompressed secp256k1 public key, 65 bytes. */
  readonly publicKey: Uint8Array;
  /** The signed transaction, ready for eth_sendRawTransaction. */
  signTransaction(tx: TransactionSerializable): Promise<Hex>;
  signTypedData(definition: TypedDataDefinition): Promise<TypedDataSignature>;
  close(): Promise<void>;
}

/** Where keys are found: PKCS#11 modules (and the PIN for a token login), and the HID stack. */
export interface KeySources {
  search: ModuleSearch;
  pins: PinProvider;
  /** node-hid in production; a fake device in tests and benchmarks. */
  hid: HidBackend;
}

/**
 * Opens the key a URI names, by its scheme. `expected`: the account it must be
 * (else KEY_NOT_FOUND, and nothing is signed). `sessions`: token sessions for a
 * run of signatures (a Ledger signs one thing at a time, whatever it is asked).
 */
export async function openAccountSigner(
  keyUri: string,
  sources: KeySources,
  options: { expected?: Address; sessions?: number } = {},
): Promise<AccountSigner> {
  if (isLedgerDeviceUri(keyUri)) {
    const device = await LedgerDeviceSigner.open(keyUri, sources.hid);
    return closingOnError(device, () => new LedgerDeviceChainSigner(device, options.expected));
  }
  const token = await openKeySigner(keyUri, sources.search, sources.pins, options.sessions ?? 1);
  return closingOnError(token, () => new ChainSigner(token, options.expected));
}

async function closingOnError<T>(opened: { close(): Promise<void> }, wrap: () => T): Promise<T> {
  try {
    return wrap();
  } catch (error) {
    await opened.close();
    throw error;
  }
}
