/**
 * Where a holder's purse certificate comes from, once the purse is opened on
 * chain: the operator bank's collection service (`POST /v1/certificates` with
 * `{purse}`: the service reads the terms from the chain itself), or on a dev
 * ledger with no service configured, the dev profile's operator key (a
 * well-known test key: dev ledgers only). Whatever answers, the caller checks
 * the certificate (exactly the on-chain terms, signer listed on chain) before
 * storing it.
 */
import { type Address, getAddress, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import type { Certifier } from './open.js';
import { type PurseCertificate, purseDomain, purseTypes } from './typed-data.js';

const SERVICE_TIMEOUT_MS = 15_000;

/** Asks the collection service at `url` to certify the opened purse. */
export function serviceCertifier(url: string): Certifier {
  return async (onChain) => {
    const endpoint = new URL('v1/certificates', url.endsWith('/') ? url : `${url}/`);
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ purse: onChain.purse }),
        signal: AbortSignal.timeout(SERVICE_TIMEOUT_MS),
      });
    } catch (error) {
      throw new SignetError(
        'NODE_UNREACHABLE',
        `the operator's collection service at ${endpoint.origin} did not answer`,
        { cause: error },
      );
    }
    const body = (await response.json().catch(() => null)) as {
      certificate?: Record<string, unknown>;
      signature?: string;
      error?: { message?: string };
      message?: string;
    } | null;
    if (!response.ok || !body?.signature || !body.certificate) {
      const said = body?.error?.message ?? body?.message ?? `HTTP ${response.status}`;
      throw new SignetError(
        'INVALID_ARGUMENT',
        `the operator's collection service refused the certificate: ${String(said).split('\n')[0]}`,
      );
    }
    if (!/^0x[0-9a-fA-F]{130}$/.test(body.signature)) {
      throw new SignetError(
        'SIGNATURE_INVALID',
        'the collection service answered a malformed signature',
      );
    }
    return { certificate: parseCertificate(body.certificate), signature: body.signature as Hex };
  };
}

/** The dev ledger's operator key signs the on-chain terms (dev profiles only). */
export function devCertifier(profile: ChainProfile): Certifier | null {
  if (!profile.dev || !profile.devOperatorKey) return null;
  const key = privateKeyToAccount(profile.devOperatorKey as Hex);
  return async (onChain, domain) => ({
    certificate: onChain,
    signature: await key.signTypedData({
      domain: purseDomain(domain),
      types: purseTypes,
      primaryType: 'PurseCertificate',
      message: onChain,
    }),
  });
}

/** The service's certificate (decimal strings for amounts); malformed → SIGNATURE_INVALID. */
function parseCertificate(got: Record<string, unknown>): PurseCertificate {
  try {
    const text = (value: unknown) => {
      if (typeof value !== 'string' && typeof value !== 'number') throw new Error('field');
      return String(value);
    };
    return {
      purse: getAddress(text(got.purse)) as Address,
      owner: getAddress(text(got.owner)),
      locked: BigInt(text(got.locked)),
      cap: BigInt(text(got.cap)),
      maxCount: Number(text(got.maxCount)),
      validFrom: BigInt(text(got.validFrom)),
      validUntil: BigInt(text(got.validUntil)),
      operator: getAddress(text(got.operator)),
      epoch: Number(text(got.epoch)),
    };
  } catch {
    throw new SignetError(
      'SIGNATURE_INVALID',
      'the collection service answered a malformed certificate',
    );
  }
}
