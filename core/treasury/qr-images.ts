/**
 * An approval bundle's animated QR as image files, and back: each frame is a
 * PNG (qrcode, error correction M), and a scanned PNG is decoded with a real QR
 * decoder (jsQR over the pixels pngjs reads). The frames are bundle-qr.ts's
 * BC-UR parts, upper-cased so the QR uses its denser alphanumeric mode.
 */
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { SignetError } from '../api/errors.js';
import type { ApprovalBundle } from './approval-bundle.js';
import { approvalQrEncoder, DEFAULT_FRAGMENT_LENGTH } from './bundle-qr.js';

// jsqr is CommonJS typed as an ES module: under NodeNext its function is the default's `default`.
const jsQR = jsqr.default;

/** M: 15% of a frame can be unreadable; L would be a little denser but fragile on screens. */
export const QR_ERROR_CORRECTION = 'M';

export interface ApprovalFrames {
  /** Distinct fragments: the least number of frames a scanner needs. */
  fragments: number;
  fragmentLength: number;
  /** One PNG per frame, in display order. */
  images: Buffer[];
}

/**
 * The frames to show in a loop. With more than one fragment the default is three
 * times the fragments: the first are the fragments themselves, the rest fountain
 * mixes, so a scanner that misses some frames still completes in one loop. With a
 * tenth of the frames missed, twice the fragments left 1 to 2% of sequences
 * incomplete (1000 random 600-3000 byte payloads each); three times, 1 in 3000.
 */
export async function renderApprovalFrames(
  bundle: ApprovalBundle,
  options: { fragmentLength?: number; frames?: number } = {},
): Promise<ApprovalFrames> {
  const fragmentLength = options.fragmentLength ?? DEFAULT_FRAGMENT_LENGTH;
  const encoder = await approvalQrEncoder(bundle, fragmentLength);
  const count = options.frames ?? (encoder.fragments === 1 ? 1 : encoder.fragments * 3);
  if (!Number.isSafeInteger(count) || count < encoder.fragments || count > 10_000) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `the frames must be at least the ${encoder.fragments} fragments and at most 10000, not ${count}`,
    );
  }
  const images: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    images.push(
      await QRCode.toBuffer(encoder.nextPart().toUpperCase(), {
        type: 'png',
        errorCorrectionLevel: QR_ERROR_CORRECTION,
        margin: 4,
        scale: 4,
      }),
    );
  }
  return { fragments: encoder.fragments, fragmentLength, images };
}

/** The text of the QR code in a PNG image; refused in one line when it is no PNG or holds no QR code. */
export function readQrImage(png: Buffer, name: string): string {
  let image: { width: number; height: number; data: Buffer };
  try {
    image = PNG.sync.read(png);
  } catch {
    throw new SignetError('FILE_INVALID', `${name} is not a PNG image`);
  }
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length);
  const code = jsQR(pixels, image.width, image.height);
  if (!code) throw new SignetError('FILE_INVALID', `${name} holds no QR code that can be read`);
  return code.data;
}
