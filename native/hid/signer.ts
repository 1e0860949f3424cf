/**
 * Signing with a key on a Ledger, through its Ethereum app. The device signs
 * what the app understands (an unsigned transaction, or EIP-712's two hashes),
 * never a bare digest, so this is not a native Signer over bytes. Every
 * signature is checked on the host before it is returned: normalised to low-S,
 * and recovered with the key the device derived for the account, which also
 * gives the parity (v) from the signature itself rather than from the device's
 * encoding of it. One request at a time: the device shows one thing to confirm.
 *
 * What the device shows when it cannot decode what it signs (blind signing):
 * a transaction's hash (keccak-256 of the unsigned transaction) or, for
 * EIP-712, the domain hash and the message hash. Signet shows the same so the
 * user can compare (ledgerDeviceShownHashes).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { SignetError } from '../../core/api/errors.js';
import { normaliseEcdsaSignature } from '../ecdsa/normalise.js';
import { type LedgerDeviceTransport, openLedgerDeviceTransport } from './device-access.js';
import { ledgerDeviceInterfaces } from './device-list.js';
import { type DeviceSignature, LedgerDeviceEthApp } from './eth-app.js';
import type { HidBackend } from './hid-backend.js';
import { disconnected } from './status-words.js';
import { formatLedgerDeviceUri, type LedgerDeviceUri, parseLedgerDeviceUri } from './uri.js';

export interface LedgerDeviceSignature {
  /** r‖s, 64 bytes, low-S, verified against the account's key. */
  signature: Uint8Array;
  /** The recovery parity of `signature`: 0 or 1. */
  yParity: 0 | 1;
}

/** keccak-256 of the unsigned transaction: what the device shows when it blind-signs one. */
export function ledgerDeviceTransactionHash(unsignedTx: Uint8Array): Uint8Array {
  return keccak_256(unsignedTx);
}

/** EIP-712's digest: keccak-256(0x19 0x01 ‖ domain hash ‖ message hash). */
function typedDataDigest(domainHash: Uint8Array, messageHash: Uint8Array): Uint8Array {
  const payload = new Uint8Array(66);
  payload.set([0x19, 0x01], 0);
  payload.set(domainHash, 2);
  payload.set(messageHash, 34);
  return keccak_256(payload);
}

export class LedgerDeviceSigner {
  readonly keyUri: string;
  private queue: Promise<unknown> = Promise.resolve();
  private unplugged = false;
  private closed = false;

  private constructor(
    private readonly transport: LedgerDeviceTransport,
    private readonly app: LedgerDeviceEthApp,
    readonly uri: LedgerDeviceUri,
    /** SEC1 uncompressed, 65 bytes, as the device derived it. */
    readonly publicKey: Uint8Array,
    /** EIP-55 checksummed. */
    readonly address: string,
    /** The HID path it was found at (for messages). */
    readonly path: string,
  ) {
    this.keyUri = formatLedgerDeviceUri(uri);
    transport.on('disconnect', () => {
      this.unplugged = true;
    });
  }

  /**
   * Finds the Ledger the URI names among those plugged in (by its device id),
   * checks that the Ethereum app is open, and derives the account's key. The
   * caller closes the signer.
   */
  static async open(keyUri: string, hid: HidBackend): Promise<LedgerDeviceSigner> {
    const uri = parseLedgerDeviceUri(keyUri);
    const { transport, app, path } = await findLedgerDevice(hid, uri.device);
    try {
      const { publicKey, address } = await app.account(uri.account);
      return new LedgerDeviceSigner(transport, app, uri, publicKey, address, path);
    } catch (error) {
      await transport.close();
      throw error;
    }
  }

  /** Signs an unsigned serialised transaction; its hash is what the device shows. */
  signTransaction(unsignedTx: Uint8Array): Promise<LedgerDeviceSignature> {
    return this.one('sign the transaction', async () => {
      const digest = ledgerDeviceTransactionHash(unsignedTx);
      return this.verified(digest, await this.app.signTransaction(this.uri.account, unsignedTx));
    });
  }

  /** Signs EIP-712 typed data given its domain hash and message hash (hashStruct). */
  signTypedDataHashes(
    domainHash: Uint8Array,
    messageHash: Uint8Array,
  ): Promise<LedgerDeviceSignature> {
    return this.one('sign the typed data', async () => {
      if (domainHash.length !== 32 || messageHash.length !== 32) {
        throw new SignetError(
          'DIGEST_INVALID',
          'EIP-712 domain and message hashes are 32 bytes each',
        );
      }
      const digest = typedDataDigest(domainHash, messageHash);
      return this.verified(
        digest,
        await this.app.signTypedDataHashes(this.uri.account, domainHash, messageHash),
      );
    });
  }

  /** Low-S, and recovers to the account's key under one parity: that parity, or SIGNATURE_INVALID. */
  private verified(digest: Uint8Array, answer: DeviceSignature): LedgerDeviceSignature {
    const rs = new Uint8Array(64);
    rs.set(answer.r, 0);
    rs.set(answer.s, 32);
    try {
      const { signature, v } = normaliseEcdsaSignature('secp256k1', digest, rs, this.publicKey);
      return { signature, yParity: v! };
    } catch (error) {
      if (error instanceof SignetError && error.code === 'SIGNATURE_INVALID') {
        throw new SignetError(
          'SIGNATURE_INVALID',
          `the Ledger's signature does not recover to account ${this.address}: nothing was signed or stored`,
          { details: { address: this.address }, cause: error },
        );
      }
      throw error;
    }
  }

  /** One request at a time, in order; a device unplugged says so before and after. */
  private one<T>(doing: string, work: () => Promise<T>): Promise<T> {
    const run = async () => {
      if (this.closed) throw new SignetError('INTERNAL', 'the Ledger signer is closed');
      if (this.unplugged) throw disconnected(doing);
      try {
        return await work();
      } catch (error) {
        const gone = error instanceof SignetError && error.code === 'DEVICE_DISCONNECTED';
        if (gone || this.unplugged) {
          // Let go of the device at once: plugged back in, it opens afresh.
          this.unplugged = true;
          await this.transport.close();
          throw gone ? error : disconnected(doing, error);
        }
        throw error;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.transport.close();
  }
}

/**
 * Opens each Ledger plugged in until one has the device id asked for (its
 * Ethereum app's first address). With one Ledger plugged in, its own state
 * (locked, another app open, busy…) is the error; with none, or only others,
 * DEVICE_NOT_FOUND says so.
 */
export async function findLedgerDevice(
  hid: HidBackend,
  deviceId: string,
): Promise<{ transport: LedgerDeviceTransport; app: LedgerDeviceEthApp; path: string }> {
  const interfaces = ledgerDeviceInterfaces(hid);
  if (interfaces.length === 0) {
    throw new SignetError(
      'DEVICE_NOT_FOUND',
      `no Ledger is plugged in: plug in Ledger ${deviceId}, unlock it and open its Ethereum app`,
      { details: { device: deviceId } },
    );
  }
  const problems: SignetError[] = [];
  for (const { path } of interfaces) {
    let transport: LedgerDeviceTransport;
    try {
      transport = await openLedgerDeviceTransport(hid, path);
    } catch (error) {
      problems.push(asSignetError(error));
      continue;
    }
    try {
      const app = new LedgerDeviceEthApp(transport);
      await app.requireEthereumApp();
      const { address } = await app.account(0);
      if (address === deviceId) return { transport, app, path };
      problems.push(
        new SignetError(
          'DEVICE_NOT_FOUND',
          `the Ledger plugged in is device ${address}, not ${deviceId} (it holds another recovery phrase)`,
          { details: { device: deviceId, found: address, path } },
        ),
      );
    } catch (error) {
      problems.push(asSignetError(error));
    }
    await transport.close();
  }
  const other = problems.find((problem) => problem.code !== 'DEVICE_NOT_FOUND');
  if (problems.length === 1 || other) throw other ?? problems[0]!;
  throw new SignetError(
    'DEVICE_NOT_FOUND',
    `none of the ${problems.length} Ledgers plugged in is device ${deviceId} (each holds another recovery phrase)`,
    { details: { device: deviceId } },
  );
}

function asSignetError(error: unknown): SignetError {
  return error instanceof SignetError
    ? error
    : new SignetError('DEVICE_ERROR', error instanceof Error ? error.message : String(error), {
        cause: error,
      });
}
