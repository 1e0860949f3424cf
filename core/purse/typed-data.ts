/**
 * The offline purse's two signed messages (issue 13), as EIP-712 typed data:
 * the operator bank's purse certificate and the purse key's voucher. The
 * contract (ledger/contracts/OfflinePurse.sol) hashes the same structs, so the
 * field names, order and types here are the wire format: change them only
 * together with the contract.
 *
 * The domain binds every signature to one chain and one purse contract: a
 * voucher of the business chain is worthless on the supervisory chain.
 * A voucher's hash is its EIP-712 digest (what the purse key signs); the
 * first voucher of a purse names the zero hash as its predecessor.
 */
import { type Address, type Hex, hashTypedData, zeroHash } from 'viem';

export const PURSE_DOMAIN_NAME = 'Signet Offline Purse';
export const PURSE_DOMAIN_VERSION = '1';

export interface PurseDomain {
  chainId: number;
  /** The OfflinePurse contract. */
  verifyingContract: Address;
}

export function purseDomain({ chainId, verifyingContract }: PurseDomain) {
  return {
    name: PURSE_DOMAIN_NAME,
    version: PURSE_DOMAIN_VERSION,
    chainId,
    verifyingContract,
  } as const;
}

export const purseTypes = {
  PurseCertificate: [
    { name: 'purse', type: 'address' },
    { name: 'owner', type: 'address' },
    { name: 'locked', type: 'uint256' },
    { name: 'cap', type: 'uint256' },
    { name: 'maxCount', type: 'uint32' },
    { name: 'validFrom', type: 'uint64' },
    { name: 'validUntil', type: 'uint64' },
    { name: 'operator', type: 'address' },
    { name: 'epoch', type: 'uint32' },
  ],
  Voucher: [
    { name: 'purse', type: 'address' },
    { name: 'epoch', type: 'uint32' },
    { name: 'payee', type: 'address' },
    { name: 'amount', type: 'uint256' },
    { name: 'counter', type: 'uint32' },
    { name: 'cumulative', type: 'uint256' },
    { name: 'prevVoucherHash', type: 'bytes32' },
    { name: 'issuedAt', type: 'uint64' },
  ],
} as const;

/**
 * What the operator bank certifies: the purse key (`purse`, the address of a
 * key generated on the holder's token for this epoch alone), whose account
 * locked how much, the limits of its offline payments, and when it may pay.
 * Amounts in minor units; times in Unix seconds.
 */
export interface PurseCertificate {
  purse: Address;
  owner: Address;
  locked: bigint;
  /** Most one voucher may pay. */
  cap: bigint;
  /** Most vouchers the purse may sign: counters run 1..maxCount. */
  maxCount: number;
  validFrom: bigint;
  validUntil: bigint;
  /** The operator bank that certified it (the owner's operator). */
  operator: Address;
  /** The owner's epoch: a new purse key each. */
  epoch: number;
}

/**
 * One offline payment: it claims the range [cumulative − amount, cumulative)
 * of the purse's locked amount, and names the voucher before it, so a purse's
 * vouchers form one chain.
 */
export interface Voucher {
  purse: Address;
  epoch: number;
  payee: Address;
  amount: bigint;
  /** 1 for the first voucher, one more each. */
  counter: number;
  /** The purse's running total including this voucher. */
  cumulative: bigint;
  /** The previous voucher's hash; zero for counter 1. */
  prevVoucherHash: Hex;
  issuedAt: bigint;
}

export const FIRST_PREV_VOUCHER_HASH: Hex = zeroHash;

/** The digest the operator's certificate key signs. */
export function certificateHash(domain: PurseDomain, certificate: PurseCertificate): Hex {
  return hashTypedData({
    domain: purseDomain(domain),
    types: purseTypes,
    primaryType: 'PurseCertificate',
    message: certificate,
  });
}

/** The digest the purse key signs, which is also the voucher's hash in the chain. */
export function voucherHash(domain: PurseDomain, voucher: Voucher): Hex {
  return hashTypedData({
    domain: purseDomain(domain),
    types: purseTypes,
    primaryType: 'Voucher',
    message: voucher,
  });
}
