/**
 * Ethereum signing on a Ledger: the transaction or typed data built here, the
 * device's Ethereum app signs it (native/hid/signer.ts verifies each signature
 * against the account's key), and the signed transaction is assembled here.
 * Also what the device shows when it blind-signs, for reviews to show beside it.
 */
import {
  type Address,
  getAddress,
  getTypesForEIP712Domain,
  type Hex,
  hashDomain,
  hashStruct,
  keccak256,
  serializeTransaction,
  type TransactionSerializable,
  type TypedDataDefinition,
  toHex,
} from 'viem';
import type { LedgerDeviceSigner } from '../../native/hid/signer.js';
import { SignetError } from '../api/errors.js';
import type { AccountSigner, TypedDataSignature } from './account-signer.js';

const bytes = (hex: Hex) => Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));

/** The hash a Ledger shows for a transaction it blind-signs: keccak-256 of the unsigned transaction. */
export function ledgerDeviceTransactionHash(tx: TransactionSerializable): Hex {
  return keccak256(serializeTransaction(tx));
}

/** EIP-712's two hashes, as the device shows them: the domain separator and hashStruct(message). */
export function ledgerDeviceTypedDataHashes(definition: TypedDataDefinition): {
  domainHash: Hex;
  messageHash: Hex;
} {
  const {
    domain = {},
    message,
    primaryType,
  } = definition as TypedDataDefinition & {
    domain?: Record<string, unknown>;
    message: Record<string, unknown>;
  };
  const types = {
    EIP712Domain: getTypesForEIP712Domain({ domain }),
    ...(definition.types as Record<string, unknown>),
  } as Parameters<typeof hashStruct>[0]['types'];
  return {
    domainHash: hashDomain({ domain, types } as Parameters<typeof hashDomain>[0]),
    messageHash: hashStruct({ data: message, primaryType: primaryType as string, types }),
  };
}

export class LedgerDeviceChainSigner implements AccountSigner {
  readonly address: Address;
  readonly keyUri: string;
  readonly publicKey: Uint8Array;

  constructor(
    private readonly device: LedgerDeviceSigner,
    expected?: Address,
  ) {
    this.address = getAddress(device.address);
    this.keyUri = device.keyUri;
    this.publicKey = device.publicKey;
    if (expected && expected.toLowerCase() !== this.address.toLowerCase()) {
      throw new SignetError(
        'KEY_NOT_FOUND',
        `the Ledger key ${device.keyUri} is account ${this.address}, not ${expected}`,
      );
    }
  }

  async signTransaction(tx: TransactionSerializable): Promise<Hex> {
    if (!tx.chainId)
      throw new SignetError('INTERNAL', 'refusing to sign a transaction without a chain id');
    const { signature, yParity } = await this.device.signTransaction(
      bytes(serializeTransaction(tx)),
    );
    return serializeTransaction(tx, {
      r: toHex(signature.subarray(0, 32)),
      s: toHex(signature.subarray(32)),
      yParity,
      // Legacy envelopes take v (viem turns 27/28 into EIP-155's chainId·2+35+y).
      v: BigInt(27 + yParity),
    });
  }

  async signTypedData(definition: TypedDataDefinition): Promise<TypedDataSignature> {
    const { domainHash, messageHash } = ledgerDeviceTypedDataHashes(definition);
    const { signature, yParity } = await this.device.signTypedDataHashes(
      bytes(domainHash),
      bytes(messageHash),
    );
    const r = toHex(signature.subarray(0, 32));
    const s = toHex(signature.subarray(32));
    const v = yParity === 0 ? 27 : 28;
    return { signature: `${r}${s.slice(2)}${v.toString(16)}` as Hex, v, r, s };
  }

  close(): Promise<void> {
    return this.device.close();
  }
}
