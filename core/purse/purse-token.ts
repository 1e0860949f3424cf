/**
 * The purse on the holder's token: its key (a fresh secp256k1 key per epoch,
 * made on the token, sensitive and never extractable, labelled
 * `signet-purse-<epoch>`) and its counter object (a private CKO_DATA object,
 * application "signet-purse", label the purse address) holding the last
 * counter, running total and voucher hash the token agreed to sign, and a
 * `locked` flag set after any disagreement with a host. One login covers both.
 */
import { type Address, getAddress, type Hex, toHex } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import type { PinProvider } from '../../native/pin.js';
import { TokenConnection } from '../../native/pkcs11/connection.js';
import {
  type DataObjectName,
  readDataObject,
  writeDataObject,
} from '../../native/pkcs11/data-objects.js';
import { deleteKey, findKey, generateKeyPair } from '../../native/pkcs11/keys.js';
import { Pkcs11Signer } from '../../native/pkcs11/signer.js';
import { locateToken, type ModuleSearch } from '../../native/pkcs11/token-access.js';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../native/pkcs11/uri.js';
import { SignetError } from '../api/errors.js';

export const PURSE_APPLICATION = 'signet-purse';
export const purseKeyLabel = (epoch: number) => `signet-purse-${epoch}`;

/** What the token's counter object holds. */
export interface TokenPurseState {
  chainId: number;
  purse: Address;
  epoch: number;
  counter: number;
  cumulative: bigint;
  lastVoucherHash: Hex;
  /** Set after a disagreement: this purse signs no more. */
  locked: boolean;
}

export function encodeTokenState(state: TokenPurseState): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      v: 1,
      chainId: state.chainId,
      purse: getAddress(state.purse),
      epoch: state.epoch,
      counter: state.counter,
      cumulative: state.cumulative.toString(),
      lastVoucherHash: state.lastVoucherHash,
      locked: state.locked,
    }),
  );
}

export function decodeTokenState(bytes: Uint8Array): TokenPurseState {
  try {
    const raw = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (raw.v !== 1) throw new Error('version');
    return {
      chainId: Number(raw.chainId),
      purse: getAddress(String(raw.purse)),
      epoch: Number(raw.epoch),
      counter: Number(raw.counter),
      cumulative: BigInt(String(raw.cumulative)),
      lastVoucherHash: String(raw.lastVoucherHash).toLowerCase() as Hex,
      locked: raw.locked === true,
    };
  } catch {
    throw new SignetError(
      'PURSE_STATE_MISMATCH',
      'the purse counter on the token is unreadable; this purse pays offline no more',
    );
  }
}

export const counterObject = (purse: Address): DataObjectName => ({
  application: PURSE_APPLICATION,
  label: getAddress(purse),
});

/**
 * One logged-in, read-write connection to the token a key URI names, for the
 * length of `work`; closed after (no session or login outlives the call).
 */
export async function withPurseToken<T>(
  keyUri: string,
  search: ModuleSearch,
  pins: PinProvider,
  work: (token: PurseToken) => Promise<T>,
): Promise<T> {
  const uri = parsePkcs11Uri(keyUri);
  const { module, token } = locateToken(uri, search);
  const connection = new TokenConnection(module, token, { write: true });
  try {
    if (token.flags.loginRequired) await connection.logIn('user', pins);
    return await work(new PurseToken(connection));
  } finally {
    connection.close();
    module.close();
  }
}

export class PurseToken {
  constructor(readonly connection: TokenConnection) {}

  /** A fresh purse key for `epoch`, on this token; its URI and address. */
  async generateKey(epoch: number): Promise<{ keyUri: string; address: Address }> {
    const key = await generateKeyPair(this.connection, 'secp256k1', purseKeyLabel(epoch));
    return {
      keyUri: formatPkcs11Uri(key.uri),
      address: publicKeyToAddress(toHex(key.publicKey)),
    };
  }

  /** Removes a purse key this connection made (an open that was not certified). */
  async deleteKey(keyUri: string): Promise<void> {
    await deleteKey(this.connection, await findKey(this.connection, parsePkcs11Uri(keyUri)));
  }

  async readState(
    purse: Address,
  ): Promise<{ state: TokenPurseState | null; raw: Uint8Array | null }> {
    const raw = (await readDataObject(this.connection, counterObject(purse))) ?? null;
    return { state: raw === null ? null : decodeTokenState(raw), raw };
  }

  /** Writes `next` only if the object still holds `expected` (null: none). */
  writeState(purse: Address, next: TokenPurseState, expected: Uint8Array | null): Promise<boolean> {
    return writeDataObject(this.connection, counterObject(purse), encodeTokenState(next), expected);
  }

  /** Signs a 32-byte digest with the purse key: 65-byte r‖s‖v (v 27/28), low s, checked. */
  async signDigest(keyUri: string, purse: Address, digest: Hex): Promise<Hex> {
    const key = await findKey(this.connection, parsePkcs11Uri(keyUri));
    const signer = new Pkcs11Signer(this.connection, key, undefined, { borrowed: true });
    if (publicKeyToAddress(toHex(key.publicKey)).toLowerCase() !== purse.toLowerCase()) {
      throw new SignetError('KEY_NOT_FOUND', `key ${keyUri} is not the key of purse ${purse}`);
    }
    const { bytes, v } = await signer.sign(Buffer.from(digest.slice(2), 'hex'));
    if (v === undefined) throw new SignetError('INTERNAL', 'the token returned no recovery id');
    return `${toHex(bytes)}${(27 + v).toString(16)}` as Hex;
  }
}
