/**
 * An approval bundle as an animated QR code: BC-UR (`ur:x-signet-approval/…`)
 * with fountain-coded fragments (@ngraveio/bc-ur), so a scanner that misses
 * frames needs only a few more, in any order.
 *
 * The UR payload is a CBOR byte string holding the `.signet-approval` file's
 * bytes compressed with raw DEFLATE: the file is hex-heavy JSON, and a batch's
 * MultiSend data repeats itself, so this cuts the frames to scan several times.
 * Inflating gives back the file byte for byte, which decodeBundle checks in full.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { UR, URDecoder, UREncoder } from '@ngraveio/bc-ur';
import { SignetError } from '../api/errors.js';
import type { ApprovalBundle } from './approval-bundle.js';
import { decodeBundle, encodeBundle, MAX_APPROVAL_FILE_BYTES } from './bundle-codec.js';

export const APPROVAL_UR_TYPE = 'x-signet-approval';
/** Bytes of payload per frame: 200 suits phone cameras and small screens. */
export const DEFAULT_FRAGMENT_LENGTH = 200;
/**
 * Fragments a sequence may have: as many as the frames one decode takes
 * (treasury.qrDecode's 600). bc-ur's decoder allocates an array of the fragment
 * count a frame claims and shuffles one that long (in quadratic time) for every
 * fountain-mixed frame: a forged frame claiming millions would block the app, or
 * exhaust its memory, before any checksum could refuse it. Signet's largest
 * bundle at 50-byte fragments is about 520.
 */
export const MAX_QR_FRAGMENTS = 600;
/**
 * Fountain-mixed frames one decoder reduces for a sequence of `fragments`; later
 * ones are skipped (a display that loops shows the pure frames again). bc-ur
 * reduces each mixed frame against every other, at a cost that grows with the
 * square of their number times their mean degree (about n / ln n fragments
 * each): 600 forged mixed frames of a 1000-fragment sequence blocked the app for
 * 11 s. The budget keeps a decode near half a second and leaves a scanner that
 * missed a tenth of a large bundle's frames twice the mixes it needs.
 */
export function maxMixedFrames(fragments: number): number {
  const meanDegree = fragments / Math.log(fragments + 1);
  return Math.max(50, Math.floor(10_000 / meanDegree));
}

function invalid(reason: string, message: string): SignetError {
  return new SignetError('BUNDLE_INVALID', message, { details: { reason } });
}

export interface ApprovalQrEncoder {
  /** Distinct fragments: the least number of frames a scanner needs. */
  readonly fragments: number;
  /** The next frame's text (`ur:x-signet-approval/N-M/…`); endless: after the fragments come fountain mixes. */
  nextPart(): string;
}

/** The bundle's frames; `maxFragmentLength` (bytes, 10 to 2000) sets the QR density. */
export async function approvalQrEncoder(
  bundle: ApprovalBundle,
  maxFragmentLength = DEFAULT_FRAGMENT_LENGTH,
): Promise<ApprovalQrEncoder> {
  if (
    !Number.isSafeInteger(maxFragmentLength) ||
    maxFragmentLength < 10 ||
    maxFragmentLength > 2000
  ) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `the QR fragment length must be 10 to 2000 bytes, not ${maxFragmentLength}`,
    );
  }
  const file = Buffer.from(await encodeBundle(bundle), 'utf8');
  const ur = new UR(UR.fromBuffer(deflateRawSync(file, { level: 9 })).cbor, APPROVAL_UR_TYPE);
  const encoder = new UREncoder(ur, maxFragmentLength);
  if (encoder.fragmentsLength > MAX_QR_FRAGMENTS) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `at ${maxFragmentLength} bytes a fragment this bundle is ${encoder.fragmentsLength} fragments; a scanner takes at most ${MAX_QR_FRAGMENTS}: choose larger fragments`,
      { details: { field: 'fragmentBytes', reason: 'too-many-fragments' } },
    );
  }
  return { fragments: encoder.fragmentsLength, nextPart: () => encoder.nextPart() };
}

export interface QrProgress {
  /** Distinct fragments recovered so far. */
  received: number;
  /** Fragments the sequence has (0 before the first frame). */
  needed: number;
  /** bc-ur's estimate, 0 to 100. */
  percent: number;
  /** Frames accepted (duplicates not counted). */
  frames: number;
  complete: boolean;
}

/**
 * Takes scanned frames in any order, ignores repeats, reports progress, and gives
 * the checked bundle once complete. A frame of another UR type, of another
 * sequence, or malformed is refused in one line and changes nothing.
 */
export class ApprovalQrDecoder {
  private readonly decoder = new URDecoder(undefined, APPROVAL_UR_TYPE);
  private readonly seen = new Set<string>();
  private frames = 0;
  private mixed = 0;

  receive(part: string): QrProgress {
    const text = part.trim().toLowerCase();
    let type: string;
    try {
      [type] = URDecoder.parse(text);
    } catch {
      throw invalid(
        'qr-part',
        `this QR frame is not a UR (ur:${APPROVAL_UR_TYPE}/…): ${clip(text)}`,
      );
    }
    if (type !== APPROVAL_UR_TYPE) {
      throw invalid(
        'qr-type',
        `this QR frame is a ${type}, not an approval bundle (${APPROVAL_UR_TYPE})`,
      );
    }
    if (this.seen.has(text) || this.decoder.isComplete()) return this.progress();
    const sequence = sequenceOf(text);
    if (sequence.length > MAX_QR_FRAGMENTS) {
      throw invalid(
        'qr-too-long',
        `this QR frame claims a sequence of ${sequence.length} fragments; an approval bundle has at most ${MAX_QR_FRAGMENTS}`,
      );
    }
    const mixed = sequence.number > sequence.length;
    if (mixed && this.mixed >= maxMixedFrames(sequence.length)) return this.progress();
    let accepted: boolean;
    try {
      accepted = this.decoder.receivePart(text);
    } catch {
      throw invalid(
        'qr-part',
        `this QR frame is damaged (its bytewords or checksum do not check out): ${clip(text)}`,
      );
    }
    if (!accepted) {
      throw invalid(
        'qr-sequence',
        'this QR frame belongs to another approval bundle than the frames before it',
      );
    }
    if (this.decoder.isError()) {
      throw invalid(
        'qr-checksum',
        'the QR frames reassemble into a message whose checksum is wrong: scan again',
      );
    }
    this.seen.add(text);
    this.frames += 1;
    if (mixed) this.mixed += 1;
    return this.progress();
  }

  progress(): QrProgress {
    const complete = Boolean(this.decoder.isSuccess());
    return {
      received: complete
        ? this.decoder.expectedPartCount()
        : this.decoder.receivedPartIndexes().length,
      needed: this.decoder.expectedPartCount(),
      percent: Math.round(this.decoder.estimatedPercentComplete() * 100),
      frames: this.frames,
      complete,
    };
  }

  /** The bundle, checked in full (decodeBundle); refused until every fragment is in. */
  async result(): Promise<ApprovalBundle> {
    const { received, needed, complete } = this.progress();
    if (!complete) {
      throw invalid(
        'qr-incomplete',
        `the QR sequence is incomplete: ${received} of ${needed || '?'} fragments received`,
      );
    }
    let payload: unknown;
    try {
      payload = this.decoder.resultUR().decodeCBOR();
    } catch {
      throw invalid('qr-payload', 'the QR payload is not CBOR');
    }
    if (!Buffer.isBuffer(payload))
      throw invalid('qr-payload', 'the QR payload is not a CBOR byte string');
    let file: Buffer;
    try {
      file = inflateRawSync(payload, { maxOutputLength: MAX_APPROVAL_FILE_BYTES });
    } catch {
      throw invalid(
        'qr-payload',
        'the QR payload does not inflate to an approval file (damaged, or too large)',
      );
    }
    return decodeBundle(new Uint8Array(file));
  }
}

/**
 * A frame's `N-M` sequence component (bc-ur checks it equals its CBOR's): frame
 * N of M fragments, mixed past M. A single-part UR is frame 1 of 1. Payment QR
 * codes (core/purse/payment-qr.ts) read their frames with it too.
 */
export function sequenceOf(text: string): { number: number; length: number } {
  const components = text.split('/');
  if (components.length !== 3) return { number: 1, length: 1 };
  const [number, length] = components[1]!.split('-').map(Number);
  // Anything not a number is left to bc-ur, which refuses it as damaged.
  return Number.isFinite(number) && Number.isFinite(length)
    ? { number: number!, length: length! }
    : { number: 1, length: 1 };
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
