/**
 * The operator bank certifies an opened purse (POST /v1/certificates, body
 * `{purse}`): it reads the purse from the chain (a quorum of nodes, at the
 * profile's confirmation depth) and refuses unless the purse exists, is of this
 * service's operator, and is neither frozen, closed nor expired; then the
 * operator's certificate key (a pkcs11: key, listed on chain for this operator)
 * signs the EIP-712 certificate of exactly the on-chain terms.
 *
 * So the operator never certifies money that is not locked: a purse opens only
 * on terms within the operator's on-chain purse policy (OfflinePurse.open), and
 * the request chooses no term. Asking again answers the certificate issued
 * before (same terms, same signature, the token untouched). Anyone may ask: the
 * certificate only lets the purse key's holder pay from money already locked.
 * Every refusal is one line and nothing is signed or stored.
 */
import { type Address, getAddress, type Hex, isAddressEqual, zeroAddress } from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import type { CertificateRequest } from '../api/purse-transit.js';
import type { AccountSigner } from '../chain/account-signer.js';
import { certificateDigest, fastCertificateHash } from '../purse/eip712.js';
import { certificateToJson } from '../purse/payment-file.js';
import { type PurseCertificate, purseDomain, purseTypes } from '../purse/typed-data.js';
import { recoverSigner } from '../purse/verify.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import type { Store } from '../store/database.js';
import { freeingDepth } from '../sync/depth.js';
import { certificateKeyOperators, purseState } from './chain-reads.js';
import { issuedCertificate, recordCertificate } from './collect-store.js';

export interface CertificateContext {
  store: Store;
  profile: ChainProfile;
  purseContract: Address;
  rpc: RpcPool;
  /** The certificate key's signer, opened for this one signature; closed here. */
  openSigner(): Promise<AccountSigner>;
  /** Unix seconds. */
  now(): bigint;
}

export interface IssuedCertificate {
  chainId: number;
  purseContract: Address;
  certificate: ReturnType<typeof certificateToJson>;
  signature: Hex;
  signer: Address;
}

function refuse(code: 'PURSE_NOT_FOUND' | 'PURSE_LIMIT', message: string, purse: Address) {
  return new SignetError(code, message, { details: { purse } });
}

/** The purse as the chain holds it, checked certifiable; throws a one-line refusal. */
async function certifiableTerms(
  context: CertificateContext,
  purse: Address,
  operator: Address,
): Promise<PurseCertificate> {
  const { rpc, profile, purseContract } = context;
  // Deep enough that a reorg will not undo the open under the certificate.
  const { pinned } = await rpc.heads();
  const atBlock = Math.max(0, pinned - freeingDepth(profile.confirmations) + 1);
  const state = await purseState(rpc, purseContract, purse, atBlock);
  if (state === undefined) {
    throw new SignetError(
      'NODE_DISAGREES',
      'the ledger nodes do not agree on the purse: try again',
    );
  }
  if (isAddressEqual(state.owner, zeroAddress)) {
    throw refuse(
      'PURSE_NOT_FOUND',
      `purse ${purse} is not opened on chain (or its open is not ${profile.confirmations} block(s) deep yet)`,
      purse,
    );
  }
  if (!isAddressEqual(state.operator, operator)) {
    throw new SignetError(
      'NOT_ACCOUNT_OPERATOR',
      `purse ${purse} is of operator ${state.operator}, not ${operator}: it certifies only its own customers' purses`,
      { details: { purse, operator: state.operator } },
    );
  }
  if (state.frozen) throw refuse('PURSE_LIMIT', `purse ${purse} is frozen for fraud`, purse);
  if (state.closed) throw refuse('PURSE_LIMIT', `purse ${purse} is closed`, purse);
  if (state.validUntil <= context.now()) {
    throw refuse(
      'PURSE_LIMIT',
      `purse ${purse} has expired (valid until ${state.validUntil})`,
      purse,
    );
  }
  return {
    purse,
    owner: getAddress(state.owner),
    locked: state.locked,
    cap: state.cap,
    maxCount: state.maxCount,
    validFrom: state.validFrom,
    validUntil: state.validUntil,
    operator: getAddress(state.operator),
    epoch: state.epoch,
  };
}

export async function issueCertificate(
  context: CertificateContext,
  request: CertificateRequest,
): Promise<IssuedCertificate> {
  const { profile, rpc, purseContract } = context;
  const purse = getAddress(request.purse);
  const domain = { chainId: profile.chainId, verifyingContract: purseContract };

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
    const certificate = await certifiableTerms(context, purse, keyOperator);
    const hash = fastCertificateHash(domain, certificate);
    const answer = (signature: Hex): IssuedCertificate => ({
      chainId: profile.chainId,
      purseContract,
      certificate: certificateToJson(certificate),
      signature,
      signer: signer.address,
    });
    // Idempotent: a purse's terms never change, so neither does its certificate (unless
    // the operator has moved to another certificate key since).
    const before = issuedCertificate(context.store, hash);
    if (
      before &&
      same(recoverSigner(certificateDigest(domain, certificate), before), signer.address)
    ) {
      return answer(before);
    }

    const { signature } = await signer.signTypedData({
      domain: purseDomain(domain),
      types: purseTypes,
      primaryType: 'PurseCertificate',
      message: { ...certificate },
    });
    recordCertificate(context.store, {
      hash,
      chainId: profile.chainId,
      purse,
      owner: certificate.owner,
      certificate: certificateToJson(certificate),
      signature,
    });
    return answer(signature as Hex);
  } finally {
    await signer.close();
  }
}

const same = (a: string | null, b: string) => a !== null && a.toLowerCase() === b.toLowerCase();
