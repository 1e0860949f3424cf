/**
 * `treasury.qrParts` and `treasury.qrDecode`: a bundle as animated QR frames
 * and back (core/treasury/bundle-qr.ts), for the UI's screens. Stateless: the
 * frames are computed and forgotten, and a decode starts a fresh decoder each
 * call from every distinct frame the page has scanned so far, so no page can
 * pile up sessions in the app.
 */
import { SignetError } from '../api/errors.js';
import { MAX_QR_PARTS } from '../api/treasury.js';
import { decodeBundle, encodeBundle } from '../treasury/bundle-codec.js';
import { ApprovalQrDecoder, approvalQrEncoder } from '../treasury/bundle-qr.js';
import type { AppContext } from './app-context.js';
import type { Handlers } from './dispatcher.js';
import { selectedProfile } from './treasury.js';
import { reviewOf } from './treasury-review.js';

/** Frames returned per fragment at most: enough for a scanner that misses some. */
export const QR_PARTS_PER_FRAGMENT = 3;

export function treasuryQrHandlers(
  context: AppContext,
): Pick<Handlers, 'treasury.qrParts' | 'treasury.qrDecode'> {
  return {
    'treasury.qrParts': async (request) => {
      const encoder = await approvalQrEncoder(
        await decodeBundle(request.bundle),
        request.fragmentBytes,
      );
      // Past the fragments, each frame is a fountain mix costing milliseconds on a large bundle.
      const most = Math.min(QR_PARTS_PER_FRAGMENT * encoder.fragments, MAX_QR_PARTS);
      const count = request.count ?? most;
      if (count > most) {
        throw new SignetError(
          'INVALID_ARGUMENT',
          `at most ${most} frames for ${encoder.fragments} fragments (${QR_PARTS_PER_FRAGMENT} each, ${MAX_QR_PARTS} in all), not ${count}`,
          { details: { field: 'count', reason: 'too-many' } },
        );
      }
      return {
        fragments: encoder.fragments,
        parts: Array.from({ length: count }, () => encoder.nextPart()),
      };
    },

    'treasury.qrDecode': async (request) => {
      const decoder = new ApprovalQrDecoder();
      let progress = decoder.progress();
      for (const part of request.parts) progress = decoder.receive(part);
      const { received, needed, frames, complete } = progress;
      if (!complete) return { received, needed, frames, complete, bundle: null, review: null };
      const bundle = await decoder.result();
      return {
        received,
        needed,
        frames,
        complete,
        bundle: await encodeBundle(bundle),
        review: reviewOf(context.store(), selectedProfile(context), bundle),
      };
    },
  };
}
