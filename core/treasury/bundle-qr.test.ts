import { deflateRawSync } from 'node:zlib';
import { UR, UREncoder } from '@ngraveio/bc-ur';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  multiSendData,
  paymentTx,
  signedBundle,
  TEST_SAFE,
  unsignedBundle,
} from '../../test/fixtures/approval-bundles.js';
import { SignetError } from '../api/errors.js';
import { verifyBundle } from './approval-bundle.js';
import { encodeBundle } from './bundle-codec.js';
import { APPROVAL_UR_TYPE, ApprovalQrDecoder, approvalQrEncoder } from './bundle-qr.js';

/** A 40-row batch approved by two owners: big enough for dozens of frames, quick to sign. */
const batch = await verifyBundle(
  await signedBundle(
    [0, 1],
    unsignedBundle({
      proposal: {
        tx: paymentTx({ to: TEST_SAFE, operation: 1, data: multiSendData(40) }),
        description: 'Payroll, 40 rows',
      },
    }),
  ),
);

function refusal(run: () => unknown): SignetError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SignetError);
  const error = caught as SignetError;
  expect(error.code).toBe('BUNDLE_INVALID');
  expect(error.message).not.toContain('\n');
  return error;
}

describe('approval bundle as an animated QR (BC-UR)', () => {
  it('frames are ur:x-signet-approval parts; a denser fragment length needs fewer', async () => {
    const small = await approvalQrEncoder(batch, 100);
    const large = await approvalQrEncoder(batch, 400);
    expect(small.fragments).toBeGreaterThan(large.fragments);
    expect(large.fragments).toBeGreaterThan(1);
    expect(small.nextPart()).toMatch(
      new RegExp(`^ur:${APPROVAL_UR_TYPE}/1-${small.fragments}/[a-z]+$`),
    );
  });

  it('reassembles the bundle from its frames in any order, and the file is byte for byte the same', async () => {
    const encoder = await approvalQrEncoder(batch, 200);
    const parts = Array.from({ length: encoder.fragments }, () => encoder.nextPart()).reverse();
    const decoder = new ApprovalQrDecoder();
    for (const part of parts) decoder.receive(part);
    expect(decoder.progress()).toMatchObject({
      complete: true,
      received: encoder.fragments,
      needed: encoder.fragments,
    });
    const bundle = await decoder.result();
    expect(await encodeBundle(bundle)).toBe(await encodeBundle(batch));
  });

  it('decodes with 10% of frames dropped at random, frames in any order (property)', async () => {
    const encoder = await approvalQrEncoder(batch, 200);
    // A display loops forever; 4x the fragments is far more than 10% loss needs.
    const stream = Array.from({ length: encoder.fragments * 4 }, () => encoder.nextPart());
    const expected = await encodeBundle(batch);
    const keep = Math.ceil(stream.length * 0.9);
    await fc.assert(
      // 90% of the frames, in a random order: 10% dropped, the rest scanned as they come.
      fc.asyncProperty(
        fc.shuffledSubarray(stream, { minLength: keep, maxLength: keep }),
        async (kept) => {
          const decoder = new ApprovalQrDecoder();
          for (const part of kept) {
            if (decoder.receive(part).complete) break;
          }
          expect(decoder.progress().complete).toBe(true);
          expect(await encodeBundle(await decoder.result())).toBe(expected);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('half a sequence reports incomplete with its progress, and gives no bundle', async () => {
    const encoder = await approvalQrEncoder(batch, 200);
    const decoder = new ApprovalQrDecoder();
    const half = Math.floor(encoder.fragments / 2);
    for (let i = 0; i < half; i++) decoder.receive(encoder.nextPart());
    const progress = decoder.progress();
    expect(progress).toMatchObject({
      complete: false,
      received: half,
      needed: encoder.fragments,
      frames: half,
    });
    expect(progress.percent).toBeGreaterThan(0);
    expect(progress.percent).toBeLessThan(100);
    const error = await decoder.result().then(
      () => undefined,
      (e: unknown) => e as SignetError,
    );
    expect(error?.code).toBe('BUNDLE_INVALID');
    expect(error?.message).toBe(
      `the QR sequence is incomplete: ${half} of ${encoder.fragments} fragments received`,
    );
  });

  it('ignores a frame seen before (in any letter case)', async () => {
    const encoder = await approvalQrEncoder(batch, 200);
    const decoder = new ApprovalQrDecoder();
    const first = encoder.nextPart();
    decoder.receive(first);
    const again = decoder.receive(first.toUpperCase());
    expect(again).toMatchObject({ frames: 1, received: 1 });
  });

  it('refuses a frame of another UR type, a malformed frame and a frame of another bundle, changing nothing', async () => {
    const encoder = await approvalQrEncoder(batch, 200);
    const decoder = new ApprovalQrDecoder();
    decoder.receive(encoder.nextPart());
    const before = decoder.progress();

    const bytes = new UREncoder(UR.fromBuffer(Buffer.from('not an approval')), 200).nextPart();
    expect(refusal(() => decoder.receive(bytes)).details?.reason).toBe('qr-type');
    expect(refusal(() => decoder.receive('hello')).details?.reason).toBe('qr-part');
    const second = encoder.nextPart();
    const damaged = `${second.slice(0, -6)}${second.slice(-6).split('').reverse().join('')}`;
    expect(refusal(() => decoder.receive(damaged)).details?.reason).toBe('qr-part');

    const other = await approvalQrEncoder(await signedBundle([2]), 200);
    other.nextPart();
    expect(refusal(() => decoder.receive(other.nextPart())).details?.reason).toBe('qr-sequence');
    expect(decoder.progress()).toEqual(before);
  });

  it('decodes a small bundle shown as a single frame', async () => {
    const one = await verifyBundle(await signedBundle([0]));
    const encoder = await approvalQrEncoder(one, 2000);
    expect(encoder.fragments).toBe(1);
    const decoder = new ApprovalQrDecoder();
    expect(decoder.receive(encoder.nextPart()).complete).toBe(true);
    expect(await decoder.result()).toEqual(one);
  });

  it('refuses a payload that is not a compressed approval file, or inflates past the size limit', async () => {
    const frames = (payload: Buffer) => {
      const encoder = new UREncoder(new UR(payload, APPROVAL_UR_TYPE), 2000);
      return Array.from({ length: encoder.fragmentsLength }, () => encoder.nextPart());
    };
    const cases: [Buffer, string][] = [
      // A CBOR text string, not a byte string.
      [Buffer.from([0x63, 0x61, 0x62, 0x63]), 'not a CBOR byte string'],
      // Bytes that are not DEFLATE data.
      [UR.fromBuffer(Buffer.from('plain text, not deflated')).cbor, 'does not inflate'],
      // 9 MiB of zeros deflate to a few kB: a decompression bomb.
      [UR.fromBuffer(deflateRawSync(Buffer.alloc(9 * 1024 * 1024))).cbor, 'does not inflate'],
    ];
    for (const [payload, message] of cases) {
      const decoder = new ApprovalQrDecoder();
      for (const part of frames(payload)) decoder.receive(part);
      expect(decoder.progress().complete).toBe(true);
      const error = await decoder.result().then(
        () => undefined,
        (e: unknown) => e as SignetError,
      );
      expect(error?.details?.reason).toBe('qr-payload');
      expect(error?.message).toContain(message);
    }
  });

  it('refuses a fragment length out of range', async () => {
    const error = await approvalQrEncoder(batch, 5).then(
      () => undefined,
      (e: unknown) => e as SignetError,
    );
    expect(error?.code).toBe('INVALID_ARGUMENT');
  });
});
