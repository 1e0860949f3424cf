/**
 * How many animated-QR frames an approval bundle takes: the distinct fragments,
 * and the frames a display must show before a scanner that misses a share of
 * them (at random) has the whole bundle. For bench:treasury and bench/approval-qr.
 */
import type { ApprovalBundle } from '../../core/treasury/approval-bundle.js';
import { ApprovalQrDecoder, approvalQrEncoder } from '../../core/treasury/bundle-qr.js';

export interface QrFrames {
  fragmentLength: number;
  fragments: number;
  /** Frames shown until the scanner completed, averaged over the runs (dropped ones included). */
  shownWithDrops: number;
  /** Of those, the frames the scanner actually read. */
  readWithDrops: number;
  /** shownWithDrops ÷ fragments. */
  overhead: number;
}

/** A small seeded PRNG (mulberry32): the same runs every time. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function measureQrFrames(
  bundle: ApprovalBundle,
  fragmentLength: number,
  dropRate = 0.1,
  runs = 50,
): Promise<QrFrames> {
  const random = mulberry32(0x5161e7);
  let shown = 0;
  let read = 0;
  let fragments = 0;
  for (let run = 0; run < runs; run++) {
    // A display starts at frame 1 and loops: the fragments in order, then fountain mixes.
    const encoder = await approvalQrEncoder(bundle, fragmentLength);
    fragments = encoder.fragments;
    const decoder = new ApprovalQrDecoder();
    for (let frame = 1; ; frame++) {
      const part = encoder.nextPart();
      if (random() < dropRate) continue;
      read += 1;
      if (decoder.receive(part).complete) {
        shown += frame;
        break;
      }
      if (frame > fragments * 20) throw new Error('the scanner never completed');
    }
    await decoder.result();
  }
  const shownWithDrops = shown / runs;
  return {
    fragmentLength,
    fragments,
    shownWithDrops,
    readWithDrops: read / runs,
    overhead: shownWithDrops / fragments,
  };
}
