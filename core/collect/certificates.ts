/**
 * The operator bank certifies a purse (POST /v1/certificates): the owner must
 * be this operator's registered customer on chain and not frozen, the epoch
 * the owner's next one, the purse key unused, and the limits within the
 * service's; then the operator's certificate key (a pkcs11: key, listed on
 * chain for this operator) signs the EIP-712 certificate on its token.
 *
 * Anyone may ask: the certificate is of use only to its owner, since only the
 * owner's account can open the purse with it (OfflinePurse.open checks
 * msg.sender). Every refusal is one line and nothing is signed.
 */
import { type Address, getAddress, type Hex, isAddressEqual, zeroAddress } from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import type { CertificateRequest } from '../api/purse-transit.js';
import type { AccountSigner } from '../chain/account-signer.js';
import { pinnedBlock, readStanding } from '../customers/registry.js';
import { fastCertificateHash } from '../purse/eip712.js';
import { certificateToJson } from '../purse/payment-file.js';
import { type PurseCertificate, purseDomain, purseTypes } from '../purse/typed-data.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import type { Store } from '../store/database.js';
import { certificateKeyOperators, epochOf, purseState } from './chain-reads.js';
import { recordCertificate } from './collect-store.js';

/** The service's limits on what it certifies (minor units, seconds). */
export interface CertificateLimits {
  maxLocked: bigint;
  maxCap: bigint;
  maxCount: number;
  maxValiditySeconds: bigint;
}

export const defaultCertificateLimits: CertificateLimits = {
  maxLocked: 1_000_00n,
  maxCap: 200_00n,
  maxCount: 100,
  maxValiditySeconds: 30n * 24n * 3600n,
};

export interface CertificateContext {
  store: Store;
  profile: ChainProfile;
  purseContract: Address;
  rpc: RpcPool;
  limits: CertificateLimits;
  /** The certificate key's signer, opened for this one signature; closed here. */
  openSigner(): Promise<AccountSigner>;
  /** Unix seconds. */
  now(): bigint;
}

function limit(message: string, field: string): SignetError {
  return new SignetError('PURSE_LIMIT', message, { details: { field } });
}

export function checkLimits(request: CertificateRequest, limits: CertificateLimits, now: bigint) {
  const locked = BigInt(request.locked);
  const cap = BigInt(request.cap);
  const validFrom = BigInt(request.validFrom);
  const validUntil = BigInt(request.validUntil);
  if (locked === 0n || locked > limits.maxLocked)
    throw limit(
      `a purse locks more than 0 and at most ${limits.maxLocked}, not ${locked}`,
      'locked',
    );
  if (cap === 0n || cap > locked || cap > limits.maxCap)
    throw limit(
      `a purse's cap per payment is more than 0 and at most ${limits.maxCap} and its locked amount, not ${cap}`,
      'cap',
    );
  if (request.maxCount < 1 || request.maxCount > limits.maxCount)
    throw limit(
      `a purse makes 1 to ${limits.maxCount} payments, not ${request.maxCount}`,
      'maxCount',
    );
  if (validFrom >= validUntil || validUntil <= now)
    throw limit('the purse must be valid from before until a time still to come', 'validUntil');
  if (validUntil - validFrom > limits.maxValiditySeconds)
    throw limit(
      `a purse is valid for at most ${limits.maxValiditySeconds} seconds, not ${validUntil - validFrom}`,
      'validUntil',
    );
}

export async function issueCertificate(context: CertificateContext, request: CertificateRequest) {
  const { profile, rpc, purseContract } = context;
  checkLimits(request, context.limits, context.now());
  const owner = getAddress(request.owner);
  const purse = getAddress(request.purse);

  const signer = await context.openSigner();
  try {
    const keyOperator = (await certificateKeyOperators(rpc, purseContract, [signer.address])).get(
      signer.address,
    );
    if (!keyOperator) {
      throw new SignetError(
        'NOT_OPERATOR',
        `the certificate key ${signer.address} is not listed on chain for any operator`,
        { details: { key: signer.address } },
      );
    }
    const standing = await readStanding(rpc, profile, owner, await pinnedBlock(rpc));
    if (
      !standing.registered ||
      !standing.operator ||
      !isAddressEqual(standing.operator, keyOperator)
    ) {
      throw new SignetError(
        'NOT_ACCOUNT_OPERATOR',
        `account ${owner} is not a registered customer of operator ${keyOperator}: it certifies only its own customers`,
        { details: { owner, operator: keyOperator } },
      );
    }
    if (standing.frozen) {
      throw new SignetError('ACCOUNT_FROZEN', `account ${owner} is frozen: no purse is certified`, {
        details: { owner },
      });
    }
    const epoch = await epochOf(rpc, purseContract, owner);
    if (epoch === undefined) {
      throw new SignetError('NODE_DISAGREES', 'the ledger nodes do not agree on the owner epoch');
    }
    if (request.epoch !== epoch) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `the owner's next purse epoch is ${epoch}, not ${request.epoch}`,
        { details: { field: 'epoch', expected: epoch } },
      );
    }
    const state = await purseState(rpc, purseContract, purse);
    if (state && !isAddressEqual(state.owner, zeroAddress)) {
      throw new SignetError('INVALID_ARGUMENT', `purse key ${purse} is used already`, {
        details: { field: 'purse' },
      });
    }

    const certificate: PurseCertificate = {
      purse,
      owner,
      locked: BigInt(request.locked),
      cap: BigInt(request.cap),
      maxCount: request.maxCount,
      validFrom: BigInt(request.validFrom),
      validUntil: BigInt(request.validUntil),
      operator: keyOperator,
      epoch: request.epoch,
    };
    const domain = { chainId: profile.chainId, verifyingContract: purseContract };
    const { signature } = await signer.signTypedData({
      domain: purseDomain(domain),
      types: purseTypes,
      primaryType: 'PurseCertificate',
      message: { ...certificate },
    });
    recordCertificate(context.store, {
      hash: fastCertificateHash(domain, certificate),
      chainId: profile.chainId,
      purse,
      owner,
      certificate: certificateToJson(certificate),
      signature,
    });
    return {
      chainId: profile.chainId,
      purseContract,
      certificate: certificateToJson(certificate),
      signature: signature as Hex,
      signer: signer.address,
    };
  } finally {
    await signer.close();
  }
}
