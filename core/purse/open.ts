/**
 * Opening a purse, the token's and the store's part. The operator certifies
 * only purses already opened on chain, with exactly their on-chain terms, so:
 *
 *   1. createPurse: a fresh purse key for the epoch on the owner's token, the
 *      token's counter object at zero, and the purse row ('opening'; no
 *      certificate yet). The caller then sends approve + open(terms)
 *      (purse-chain.ts's openCalls) through the outbox.
 *   2. once a quorum of nodes shows the open at the confirmation depth
 *      ('certifying'), certifyOpened asks the operator (its collection service,
 *      or a dev key) for the certificate, checks it is exactly the on-chain
 *      terms and that its signer is listed for the operator, and stores it
 *      ('open': the purse pays from now on).
 *
 * If the operator does not answer, the purse stays 'certifying' (opened,
 * awaiting its certificate): it pays nothing, and a refresh or opening again
 * asks once more.
 */
import { type Address, getAddress, type Hex } from 'viem';
import type { PinProvider } from '../../native/pin.js';
import type { ModuleSearch } from '../../native/pkcs11/token-access.js';
import { SignetError } from '../api/errors.js';
import { appendAudit } from '../store/audit-log.js';
import type { Store } from '../store/database.js';
import { certificateDigest } from './eip712.js';
import { addPurse, type PurseRecord, setCertificate } from './purse-store.js';
import { withPurseToken } from './purse-token.js';
import { FIRST_PREV_VOUCHER_HASH, type PurseCertificate, type PurseDomain } from './typed-data.js';
import { recoverSigner } from './verify.js';

export interface PurseTerms {
  owner: Address;
  operator: Address;
  epoch: number;
  locked: bigint;
  cap: bigint;
  maxCount: number;
  validFrom: bigint;
  validUntil: bigint;
}

/**
 * Asks the operator to certify a purse opened on chain (its collection
 * service, or a dev key in tests): `onChain` is the certificate the chain's
 * terms make; the answer must be exactly it (the caller checks again).
 */
export type Certifier = (
  onChain: PurseCertificate,
  domain: PurseDomain,
) => Promise<{ certificate: PurseCertificate; signature: Hex }>;

export function requireTerms(terms: PurseTerms): void {
  const bad = (message: string, field: string) =>
    new SignetError('INVALID_ARGUMENT', message, { details: { field } });
  if (terms.locked <= 0n) throw bad('a purse locks more than zero', 'locked');
  if (terms.cap <= 0n || terms.cap > terms.locked) {
    throw bad('the cap per payment is more than zero and at most the locked amount', 'cap');
  }
  if (terms.maxCount < 1) throw bad('a purse makes at least one payment', 'maxCount');
  if (terms.validUntil <= terms.validFrom)
    throw bad('the validity must end after it starts', 'validitySeconds');
}

/**
 * Checks an operator's certificate signature offline: it must recover to a
 * certificate key the chain lists for the certificate's operator.
 */
export function requireCertified(
  domain: PurseDomain,
  certificate: PurseCertificate,
  signature: Hex,
  keys: ReadonlyMap<Address, Address>,
): Address {
  const signer = recoverSigner(certificateDigest(domain, certificate), signature);
  const operator = signer ? keys.get(getAddress(signer)) : undefined;
  if (!signer || !operator || operator.toLowerCase() !== certificate.operator.toLowerCase()) {
    throw new SignetError(
      'SIGNATURE_INVALID',
      `the purse certificate is not signed by a certificate key of operator ${certificate.operator}`,
      { details: { signer } },
    );
  }
  return signer;
}

/** The purse key, the token's counter at zero, and the purse row 'opening' (no certificate yet). */
export async function createPurse(
  context: { store: Store; search: ModuleSearch; pins: PinProvider },
  domain: PurseDomain,
  ownerKeyUri: string,
  terms: PurseTerms,
): Promise<PurseRecord> {
  requireTerms(terms);
  return withPurseToken(ownerKeyUri, context.search, context.pins, async (token) => {
    const key = await token.generateKey(terms.epoch);
    const certificate: PurseCertificate = {
      purse: key.address,
      owner: getAddress(terms.owner),
      locked: terms.locked,
      cap: terms.cap,
      maxCount: terms.maxCount,
      validFrom: terms.validFrom,
      validUntil: terms.validUntil,
      operator: getAddress(terms.operator),
      epoch: terms.epoch,
    };
    const written = await token.writeState(
      key.address,
      {
        chainId: domain.chainId,
        purse: key.address,
        epoch: terms.epoch,
        counter: 0,
        cumulative: 0n,
        lastVoucherHash: FIRST_PREV_VOUCHER_HASH,
        locked: false,
      },
      null,
    );
    if (!written) {
      await token.deleteKey(key.keyUri);
      throw new SignetError(
        'PURSE_STATE_MISMATCH',
        `the token has a counter for ${key.address} already`,
      );
    }
    const record = {
      chainId: domain.chainId,
      purseContract: domain.verifyingContract,
      certificate,
      certificateSignature: null,
      keyUri: key.keyUri,
      state: 'opening' as const,
      lastVoucherHash: FIRST_PREV_VOUCHER_HASH,
    };
    context.store.transaction(() => {
      addPurse(context.store, record);
      appendAudit(context.store, {
        action: 'generate-key',
        keyUri: key.keyUri,
        subject: {
          purpose: 'offline purse',
          chainId: domain.chainId,
          purse: key.address,
          owner: certificate.owner,
          epoch: certificate.epoch,
          locked: certificate.locked.toString(),
        },
      });
    });
    return {
      ...record,
      counter: 0,
      cumulative: 0n,
      mismatch: false,
      chainPaid: 0n,
      frozen: false,
      closableFrom: null,
      createdAt: context.store.now().toISOString(),
    };
  });
}

/** The on-chain terms as the certificate they make (purseOf at a pinned block). */
export interface OnChainTerms {
  owner: Address;
  operator: Address;
  locked: bigint;
  cap: bigint;
  maxCount: number;
  validFrom: bigint;
  validUntil: bigint;
  epoch: number;
}

export function certificateOf(purse: Address, terms: OnChainTerms): PurseCertificate {
  return {
    purse: getAddress(purse),
    owner: getAddress(terms.owner),
    locked: terms.locked,
    cap: terms.cap,
    maxCount: Number(terms.maxCount),
    validFrom: terms.validFrom,
    validUntil: terms.validUntil,
    operator: getAddress(terms.operator),
    epoch: Number(terms.epoch),
  };
}

const certificateFields = (c: PurseCertificate) =>
  [c.purse, c.owner, c.locked, c.cap, c.maxCount, c.validFrom, c.validUntil, c.operator, c.epoch]
    .map((field) => String(field).toLowerCase())
    .join('|');

export function sameCertificate(a: PurseCertificate, b: PurseCertificate): boolean {
  return certificateFields(a) === certificateFields(b);
}

/**
 * Step 2: the purse opened on chain with `onChain` terms gets the operator's
 * certificate, checked (exactly the on-chain terms, which are the ones this
 * wallet asked for; signer listed for the operator) and stored.
 */
export async function certifyOpened(
  store: Store,
  domain: PurseDomain,
  purse: PurseRecord,
  onChain: PurseCertificate,
  certify: Certifier,
  certificateKeys: ReadonlyMap<Address, Address>,
): Promise<Hex> {
  if (!sameCertificate(purse.certificate, onChain)) {
    throw new SignetError(
      'PURSE_STATE_MISMATCH',
      `the chain shows purse ${onChain.purse} with other terms than this wallet opened it with`,
      { details: { purse: onChain.purse } },
    );
  }
  const answer = await certify(onChain, domain);
  if (!sameCertificate(answer.certificate, onChain)) {
    throw new SignetError(
      'SIGNATURE_INVALID',
      `the operator certified other terms than purse ${onChain.purse} has on chain; nothing was stored`,
      { details: { purse: onChain.purse } },
    );
  }
  requireCertified(domain, onChain, answer.signature, certificateKeys);
  setCertificate(store, domain.chainId, onChain.purse, answer.signature);
  return answer.signature;
}
