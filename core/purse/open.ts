/**
 * Opening a purse, the token's and the store's part: a fresh purse key for the
 * epoch on the owner's token, the certificate the operator signs for it
 * (checked here: fields as asked, signer listed on chain for the operator),
 * the token's counter object at zero, and the purse row ('opening' until the
 * chain shows it open). The transactions (approve + open) are open-calls.ts's.
 */
import { type Address, getAddress, type Hex } from 'viem';
import type { PinProvider } from '../../native/pin.js';
import type { ModuleSearch } from '../../native/pkcs11/token-access.js';
import { SignetError } from '../api/errors.js';
import { appendAudit } from '../store/audit-log.js';
import type { Store } from '../store/database.js';
import { certificateDigest } from './eip712.js';
import { addPurse, type PurseRecord } from './purse-store.js';
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

/** Asks the operator to sign the certificate (its collection service, or a dev key in tests). */
export type Certifier = (certificate: PurseCertificate, domain: PurseDomain) => Promise<Hex>;

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

export async function createPurse(
  context: { store: Store; search: ModuleSearch; pins: PinProvider },
  domain: PurseDomain,
  ownerKeyUri: string,
  terms: PurseTerms,
  certify: Certifier,
  certificateKeys: ReadonlyMap<Address, Address>,
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
    let signature: Hex;
    try {
      signature = await certify(certificate, domain);
      requireCertified(domain, certificate, signature, certificateKeys);
    } catch (error) {
      // Not certified: the fresh key is of no use; nothing of the purse is left behind.
      await token.deleteKey(key.keyUri);
      throw error;
    }
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
      throw new SignetError(
        'PURSE_STATE_MISMATCH',
        `the token has a counter for ${key.address} already`,
      );
    }
    const record = {
      chainId: domain.chainId,
      purseContract: domain.verifyingContract,
      certificate,
      certificateSignature: signature,
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
