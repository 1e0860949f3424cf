/**
 * Signing with a key on a PKCS#11 token. The token signs on a worker thread
 * (C_SignAsync) while the main thread checks the previous signature, and with
 * several sessions the token signs several digests at once; the check itself
 * (low-S, recovery id, verification against the key) is never skipped.
 */
import { SignetError } from '../../core/api/errors.js';
import { verifyEd25519 } from '../ecdsa/ed25519.js';
import { normaliseEcdsaSignature } from '../ecdsa/normalise.js';
import { mapWindowed } from '../map-windowed.js';
import type { Signature, Signer } from '../signer.js';
import type { TokenConnection } from './connection.js';
import { curveSpec } from './curves.js';
import { findKey, findPrivateHandle, type TokenKey } from './keys.js';
import { sameModulePath } from './module.js';
import { fromPkcs11Error } from './return-codes.js';
import { formatPkcs11Uri, matchesToken, type Pkcs11Uri } from './uri.js';

/**
 * Sessions for a run of signatures. SoftHSM2 signs on several sessions at once,
 * and the check of one signature overlaps the token's work on the next; measured
 * with 2,000 secp256k1 signatures (npm run bench:sign), against a bare synchronous
 * pkcs11js loop: 1 session 0.61, 2 sessions 0.90, 4 sessions 1.12 of the bare rate.
 */
export const SIGNING_SESSIONS = 4;

/** Enough for any signature Signet uses (DER P-256 is at most 72 bytes). */
const SIGNATURE_BUFFER = 160;

export class Pkcs11Signer implements Signer {
  readonly keyUri: string;
  readonly curve: TokenKey['curve'];
  readonly publicKey: Uint8Array;
  private readonly mechanism: number;
  private handle: TokenKey['privateHandle'];
  private handleEpoch: number;

  /**
   * Takes ownership of the connection: close() closes it, then runs `onClose`;
   * unless `borrowed` (a second key on the token of another signer, which owns
   * the connection: see keyBeside).
   */
  constructor(
    private readonly connection: TokenConnection,
    private readonly key: TokenKey,
    private readonly onClose?: () => void,
    private readonly options: { borrowed?: boolean } = {},
  ) {
    this.keyUri = formatPkcs11Uri(key.uri);
    this.curve = key.curve;
    this.publicKey = key.publicKey;
    this.mechanism = curveSpec(key.curve).sign;
    this.handle = key.privateHandle;
    this.handleEpoch = connection.loginEpoch;
  }

  async sign(data: Uint8Array): Promise<Signature> {
    if (this.curve !== 'ed25519' && data.length !== 32) {
      throw new SignetError(
        'DIGEST_INVALID',
        `a ${this.curve} digest must be 32 bytes, not ${data.length}`,
      );
    }
    const output = await this.connection.withSession(async (session) => {
      const api = this.connection.module.api;
      try {
        if (this.handleEpoch !== this.connection.loginEpoch) {
          this.handle = findPrivateHandle(this.connection, session, this.key.id);
          this.handleEpoch = this.connection.loginEpoch;
        }
        api.C_SignInit(session, { mechanism: this.mechanism }, this.handle);
        return await api.C_SignAsync(session, Buffer.from(data), Buffer.alloc(SIGNATURE_BUFFER));
      } catch (error) {
        throw fromPkcs11Error(error, `signing with key "${this.key.label}"`);
      }
    });
    if (this.curve === 'ed25519') {
      verifyEd25519(data, output, this.publicKey);
      return { bytes: new Uint8Array(output) };
    }
    const normalised = normaliseEcdsaSignature(this.curve, data, output, this.publicKey);
    return normalised.v === undefined
      ? { bytes: normalised.signature }
      : { bytes: normalised.signature, v: normalised.v };
  }

  /**
   * Signs many digests, keeping `window` requests in flight so the token is
   * never idle while a signature is being checked. Results are in input order.
   */
  async signMany(items: Uint8Array[], window = 8): Promise<Signature[]> {
    return mapWindowed(items, window, (item) => this.sign(item));
  }

  /**
   * Another key on this signer's token, if `uri` names this token (its module
   * path, and its label or serial): on this connection, under its one login. A
   * token's login belongs to the whole process, so a second connection to the
   * same token would only ask for the PIN again, and log this one out when it
   * closed. The signer returned borrows the connection: its close() leaves it
   * open for this one to close. Undefined when the URI names another token (or
   * names its token too loosely to tell), which the caller opens on its own.
   */
  async keyBeside(uri: Pkcs11Uri): Promise<Pkcs11Signer | undefined> {
    const { module, token } = this.connection;
    const names = uri.token !== undefined || uri.serial !== undefined;
    if (!names || !uri.modulePath || !sameModulePath(uri.modulePath, module.path)) return undefined;
    if (uri.slotId !== undefined && uri.slotId !== token.slot) return undefined;
    if (!matchesToken(uri, token)) return undefined;
    const key = await findKey(this.connection, uri);
    return new Pkcs11Signer(this.connection, key, undefined, { borrowed: true });
  }

  async close(): Promise<void> {
    if (this.options.borrowed) return;
    this.connection.close();
    this.onClose?.();
  }
}
