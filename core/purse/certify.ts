/**
 * Where a holder's purse certificate comes from: the operator bank's
 * collection service (`POST /v1/certificates`, core/collect), or on a dev
 * ledger with no service configured, the dev profile's operator key (a
 * well-known test key: dev ledgers only). Whatever answers, the caller checks
 * the certificate (fields as asked, signer listed on chain) before using it.
 */
import { getAddress, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import type { Certifier } from './open.js';
import { type PurseCertificate, purseDomain, purseTypes } from './typed-data.js';

const SERVICE_TIMEOUT_MS = 15_000;

/** Asks the collection service at `url` to certify; its answer's certificate must be the one asked for. */
export function serviceCertifier(url: string): Certifier {
  return async (certificate) => {
    const endpoint = new URL('v1/certificates', url.endsWith('/') ? url : `${url}/`);
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          owner: certificate.owner,
          purse: certificate.purse,
          locked: certificate.locked.toString(),
          cap: certificate.cap.toString(),
          maxCount: certificate.maxCount,
          validFrom: certificate.validFrom.toString(),
          validUntil: certificate.validUntil.toString(),
          epoch: certificate.epoch,
        }),
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
    requireSameCertificate(certificate, body.certificate);
    if (!/^0x[0-9a-fA-F]{130}$/.test(body.signature)) {
      throw new SignetError(
        'SIGNATURE_INVALID',
        'the collection service answered a malformed signature',
      );
    }
    return body.signature as Hex;
  };
}

/** The dev ledger's operator key signs (dev profiles only). */
export function devCertifier(profile: ChainProfile): Certifier | null {
  if (!profile.dev || !profile.devOperatorKey) return null;
  const key = privateKeyToAccount(profile.devOperatorKey as Hex);
  return (certificate, domain) =>
    key.signTypedData({
      domain: purseDomain(domain),
      types: purseTypes,
      primaryType: 'PurseCertificate',
      message: certificate,
    });
}

function requireSameCertificate(asked: PurseCertificate, got: Record<string, unknown>): void {
  const text = (value: unknown) => String(value);
  const same =
    getAddress(text(got.purse)) === getAddress(asked.purse) &&
    getAddress(text(got.owner)) === getAddress(asked.owner) &&
    getAddress(text(got.operator)) === getAddress(asked.operator) &&
    text(got.locked) === asked.locked.toString() &&
    text(got.cap) === asked.cap.toString() &&
    Number(got.maxCount) === asked.maxCount &&
    text(got.validFrom) === asked.validFrom.toString() &&
    text(got.validUntil) === asked.validUntil.toString() &&
    Number(got.epoch) === asked.epoch;
  if (!same) {
    throw new SignetError(
      'SIGNATURE_INVALID',
      'the collection service certified other terms than the ones asked for; nothing was opened',
    );
  }
}
