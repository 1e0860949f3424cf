/**
 * Offline purse test helpers: certificates and vouchers signed with viem local
 * accounts (software keys), so the offline checks, the file and QR formats and
 * the collection service can be tested without a token. Signet itself signs
 * vouchers on the token (core/purse/*) and certificates with the operator's
 * pkcs11: key; these are test-only signers, never production.
 */
import type { Address, Hex, LocalAccount } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  FIRST_PREV_VOUCHER_HASH,
  type PurseCertificate,
  type PurseDomain,
  purseDomain,
  purseTypes,
  type Voucher,
  voucherHash,
} from '../../core/purse/typed-data.js';
import type { ReceiveContext } from '../../core/purse/verify.js';

export function signCertificate(
  operatorKey: LocalAccount,
  domain: PurseDomain,
  certificate: PurseCertificate,
): Promise<Hex> {
  return operatorKey.signTypedData({
    domain: purseDomain(domain),
    types: purseTypes,
    primaryType: 'PurseCertificate',
    message: certificate,
  });
}

export function signVoucher(
  purseKey: LocalAccount,
  domain: PurseDomain,
  voucher: Voucher,
): Promise<Hex> {
  return purseKey.signTypedData({
    domain: purseDomain(domain),
    types: purseTypes,
    primaryType: 'Voucher',
    message: voucher,
  });
}

export interface TestPurse {
  domain: PurseDomain;
  purseKey: LocalAccount;
  operatorKey: LocalAccount;
  certificate: PurseCertificate;
  certificateSignature: Hex;
}

/** A purse with a fresh software purse key, certified by `operatorKey`. */
export async function testPurse(
  domain: PurseDomain,
  operatorKey: LocalAccount,
  overrides: Partial<PurseCertificate> & { purseKey?: LocalAccount } = {},
): Promise<TestPurse> {
  const { purseKey = privateKeyToAccount(generatePrivateKey()), ...fields } = overrides;
  const certificate: PurseCertificate = {
    purse: purseKey.address,
    owner: privateKeyToAccount(generatePrivateKey()).address,
    locked: 1_000_00n,
    cap: 200_00n,
    maxCount: 10,
    validFrom: 1_700_000_000n,
    validUntil: 1_900_000_000n,
    operator: operatorKey.address,
    epoch: 1,
    ...fields,
  };
  return {
    domain,
    purseKey,
    operatorKey,
    certificate,
    certificateSignature: await signCertificate(operatorKey, domain, certificate),
  };
}

/** The next voucher in the purse's chain after `previous` (or its first). */
export function nextVoucher(
  purse: TestPurse,
  previous: Voucher | null,
  payee: Address,
  amount: bigint,
  issuedAt = purse.certificate.validFrom + 60n,
): Voucher {
  return {
    purse: purse.certificate.purse,
    epoch: purse.certificate.epoch,
    payee,
    amount,
    counter: (previous?.counter ?? 0) + 1,
    cumulative: (previous?.cumulative ?? 0n) + amount,
    prevVoucherHash: previous ? voucherHash(purse.domain, previous) : FIRST_PREV_VOUCHER_HASH,
    issuedAt,
  };
}

/** A signed offline payment of `voucher` from `purse`. */
export async function payWith(purse: TestPurse, voucher: Voucher) {
  return {
    certificate: purse.certificate,
    certificateSignature: purse.certificateSignature,
    voucher,
    voucherSignature: await signVoucher(purse.purseKey, purse.domain, voucher),
  };
}

/** A checker's context that trusts `purse`'s operator key and holds nothing. */
export function receiveContext(
  purse: TestPurse,
  overrides: Partial<ReceiveContext> = {},
): ReceiveContext {
  return {
    domain: purse.domain,
    certificateKeys: new Map([[purse.operatorKey.address, purse.certificate.operator]]),
    now: purse.certificate.validFrom + 120n,
    payee: null,
    held: [],
    receiveLimit: null,
    pendingTotal: 0n,
    ...overrides,
  };
}
