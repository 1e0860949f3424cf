/**
 * Offline payments and payment requests as QR codes: BC-UR (`ur:signet-payment/…`,
 * `ur:signet-payment-request/…`) whose payload is a CBOR byte string holding the
 * file's JSON bytes (payment-file.ts), so a scanned payment is decoded by the
 * same strict reader as a file. One frame when the payload fits a fragment (a
 * payment request does), otherwise fountain-coded frames (a payment's ~1.2 KB)
 * that a scanner collects in any order, as core/treasury/bundle-qr.ts does.
 *
 * Every refusal (not a UR, another type, a damaged frame, a frame of another
 * sequence, an incomplete or tampered payload) is VOUCHER_REFUSED with reason
 * `malformed` in one line, and `details.qr` says which.
 */
import { UR, URDecoder, UREncoder } from '@ngraveio/bc-ur';
import { SignetError } from '../api/errors.js';
import { MAX_PAYMENT_FILE_BYTES } from '../api/purse-transit.js';
import { maxMixedFrames, sequenceOf } from '../treasury/bundle-qr.js';
import {
  decodePaymentFile,
  decodePaymentRequest,
  encodePaymentFile,
  encodePaymentRequest,
  type PaymentRequest,
  type PaymentWithDomain,
} from './payment-file.js';

export const PAYMENT_UR_TYPE = 'signet-payment';
export const PAYMENT_REQUEST_UR_TYPE = 'signet-payment-request';
export type PaymentQrKind = 'payment' | 'request';

const urTypes: Record<PaymentQrKind, string> = {
  payment: PAYMENT_UR_TYPE,
  request: PAYMENT_REQUEST_UR_TYPE,
};
const names: Record<PaymentQrKind, string> = {
  payment: 'an offline payment',
  request: 'a payment request',
};

/** Payload bytes per frame: a request fits one; a payment takes about six. */
export const DEFAULT_PAYMENT_FRAGMENT_LENGTH = 250;
const MIN_FRAGMENT_LENGTH = 50;
/** A payment file is at most 8 KiB: 170 fragments of 50 bytes. More is a forged frame. */
export const MAX_PAYMENT_QR_FRAGMENTS = Math.ceil(MAX_PAYMENT_FILE_BYTES / MIN_FRAGMENT_LENGTH) + 5;

function refused(qr: string, message: string): SignetError {
  return new SignetError('VOUCHER_REFUSED', message, { details: { reason: 'malformed', qr } });
}

export interface PaymentQrEncoder {
  /** Distinct fragments: the least number of frames a scanner needs (1: a single, still frame). */
  readonly fragments: number;
  /** The next frame's text, upper case for the QR's alphanumeric mode; endless when animated. */
  nextPart(): string;
}

function encoder(kind: PaymentQrKind, json: string, fragmentLength: number): PaymentQrEncoder {
  if (
    !Number.isSafeInteger(fragmentLength) ||
    fragmentLength < MIN_FRAGMENT_LENGTH ||
    fragmentLength > 2000
  ) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `the QR fragment length must be ${MIN_FRAGMENT_LENGTH} to 2000 bytes, not ${fragmentLength}`,
    );
  }
  const ur = new UR(UR.fromBuffer(Buffer.from(json, 'utf8')).cbor, urTypes[kind]);
  const ur_encoder = new UREncoder(ur, fragmentLength);
  return {
    fragments: ur_encoder.fragmentsLength,
    nextPart: () => ur_encoder.nextPart().toUpperCase(),
  };
}

export function paymentQrEncoder(
  payment: PaymentWithDomain,
  fragmentLength = DEFAULT_PAYMENT_FRAGMENT_LENGTH,
): PaymentQrEncoder {
  return encoder('payment', encodePaymentFile(payment), fragmentLength);
}

export function paymentRequestQrEncoder(
  request: PaymentRequest,
  fragmentLength = DEFAULT_PAYMENT_FRAGMENT_LENGTH,
): PaymentQrEncoder {
  return encoder('request', encodePaymentRequest(request), fragmentLength);
}

export interface PaymentQrProgress {
  received: number;
  /** Fragments the sequence has (0 before the first frame). */
  needed: number;
  complete: boolean;
}

/**
 * Collects the frames of one payment (or one request) in any order, ignoring
 * repeats. A refused frame changes nothing: the frames before it still count.
 */
export class PaymentQrDecoder<K extends PaymentQrKind> {
  private readonly decoder: URDecoder;
  private readonly seen = new Set<string>();
  private mixed = 0;

  constructor(readonly kind: K) {
    this.decoder = new URDecoder(undefined, urTypes[kind]);
  }

  receive(part: string): PaymentQrProgress {
    const text = part.trim().toLowerCase();
    const expected = urTypes[this.kind];
    let type: string;
    try {
      [type] = URDecoder.parse(text);
    } catch {
      throw refused('not-ur', `This QR code is not ${names[this.kind]} (ur:${expected}/…).`);
    }
    if (type !== expected) {
      const other = (Object.keys(urTypes) as PaymentQrKind[]).find((k) => urTypes[k] === type);
      throw refused(
        'wrong-type',
        `This QR code is ${other ? names[other] : `a ${type}`}, not ${names[this.kind]}.`,
      );
    }
    if (this.seen.has(text) || this.decoder.isComplete()) return this.progress();
    const sequence = sequenceOf(text);
    if (sequence.length > MAX_PAYMENT_QR_FRAGMENTS) {
      throw refused(
        'too-long',
        `This QR frame claims ${sequence.length} fragments; ${names[this.kind]} has at most ${MAX_PAYMENT_QR_FRAGMENTS}.`,
      );
    }
    const isMixed = sequence.number > sequence.length;
    if (isMixed && this.mixed >= maxMixedFrames(sequence.length)) return this.progress();
    let accepted: boolean;
    try {
      accepted = this.decoder.receivePart(text);
    } catch {
      throw refused('damaged', 'This QR frame is damaged (its checksum does not check out).');
    }
    if (!accepted) {
      throw refused(
        'other-sequence',
        `This QR frame belongs to another ${names[this.kind].slice(2)}.`,
      );
    }
    if (this.decoder.isError()) {
      throw refused('checksum', 'The QR frames reassemble into a damaged message: scan again.');
    }
    this.seen.add(text);
    if (isMixed) this.mixed += 1;
    return this.progress();
  }

  progress(): PaymentQrProgress {
    const complete = Boolean(this.decoder.isSuccess());
    const needed = complete
      ? Math.max(1, this.decoder.expectedPartCount())
      : this.decoder.expectedPartCount();
    return {
      received: complete ? needed : this.decoder.receivedPartIndexes().length,
      needed,
      complete,
    };
  }

  /** The payload's JSON bytes, once every fragment is in. */
  private payload(): Uint8Array {
    const { received, needed, complete } = this.progress();
    if (!complete) {
      throw refused(
        'incomplete',
        `The QR code is incomplete: ${received} of ${needed || '?'} fragments scanned.`,
      );
    }
    let payload: unknown;
    try {
      payload = this.decoder.resultUR().decodeCBOR();
    } catch {
      throw refused('payload', 'The QR payload is not CBOR.');
    }
    if (!Buffer.isBuffer(payload)) throw refused('payload', 'The QR payload is not a byte string.');
    return new Uint8Array(payload);
  }

  /** The payment or request, decoded strictly as its file would be. */
  result(): K extends 'payment' ? PaymentWithDomain : PaymentRequest {
    const bytes = this.payload();
    return (
      this.kind === 'payment' ? decodePaymentFile(bytes) : decodePaymentRequest(bytes)
    ) as K extends 'payment' ? PaymentWithDomain : PaymentRequest;
  }
}

/** Decodes a whole set of scanned frames (e.g. from images) at once. */
export function decodePaymentQr<K extends PaymentQrKind>(kind: K, parts: readonly string[]) {
  const decoder = new PaymentQrDecoder(kind);
  for (const part of parts) {
    decoder.receive(part);
    if (decoder.progress().complete) break;
  }
  return decoder.result();
}
