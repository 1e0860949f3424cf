/**
 * A payment's (or request's) QR frames as PNG images, and back: qrcode renders
 * each frame (error correction M, as core/treasury/qr-images.ts), and a scanned
 * PNG is read with a real decoder (jsQR over pngjs's pixels).
 */
import QRCode from 'qrcode';
import { SignetError } from '../api/errors.js';
import { QR_ERROR_CORRECTION, readQrImage } from '../treasury/qr-images.js';
import type { PaymentRequest, PaymentWithDomain } from './payment-file.js';
import {
  DEFAULT_PAYMENT_FRAGMENT_LENGTH,
  decodePaymentQr,
  type PaymentQrEncoder,
  type PaymentQrKind,
  paymentQrEncoder,
  paymentRequestQrEncoder,
} from './payment-qr.js';

export { readQrImage };

export interface PaymentFrames {
  fragments: number;
  /** One PNG per frame, in display order (one: a still QR code). */
  images: Buffer[];
}

/**
 * The frames to show: one when it fits, else three times the fragments (the
 * fragments, then fountain mixes) so a scanner that misses some still
 * completes in one loop.
 */
async function render(encoder: PaymentQrEncoder, frames?: number): Promise<PaymentFrames> {
  const count = frames ?? (encoder.fragments === 1 ? 1 : encoder.fragments * 3);
  if (!Number.isSafeInteger(count) || count < encoder.fragments || count > 1000) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `the frames must be at least the ${encoder.fragments} fragments and at most 1000, not ${count}`,
    );
  }
  const images: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    images.push(
      await QRCode.toBuffer(encoder.nextPart(), {
        type: 'png',
        errorCorrectionLevel: QR_ERROR_CORRECTION,
        margin: 4,
        scale: 4,
      }),
    );
  }
  return { fragments: encoder.fragments, images };
}

export function renderPaymentFrames(
  payment: PaymentWithDomain,
  options: { fragmentLength?: number; frames?: number } = {},
): Promise<PaymentFrames> {
  const encoder = paymentQrEncoder(
    payment,
    options.fragmentLength ?? DEFAULT_PAYMENT_FRAGMENT_LENGTH,
  );
  return render(encoder, options.frames);
}

export function renderPaymentRequestFrames(
  request: PaymentRequest,
  options: { fragmentLength?: number; frames?: number } = {},
): Promise<PaymentFrames> {
  const encoder = paymentRequestQrEncoder(
    request,
    options.fragmentLength ?? DEFAULT_PAYMENT_FRAGMENT_LENGTH,
  );
  return render(encoder, options.frames);
}

/** Reads every image's QR code and decodes the payment or request they carry. */
export function decodePaymentImages<K extends PaymentQrKind>(kind: K, images: readonly Buffer[]) {
  return decodePaymentQr(
    kind,
    images.map((png, i) => readQrImage(png, `QR image ${i + 1}`)),
  );
}
