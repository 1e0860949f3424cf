/**
 * npx tsx bench/approval-qr.bench.ts — the animated QR of a typical batch
 * approval: a 500-row MultiSend proposal approved by 3 of 5 owners (TEST KEYS).
 * Prints the file size, its compressed size, the fragments at 200 and 400 bytes
 * per fragment (and what they would be uncompressed), and the frames a scanner
 * that misses 10% of them at random needs, averaged over 50 seeded runs.
 * Rows are ERC-20 transfers (153 bytes each, how a currency batch is paid) and
 * plain value transfers (85 bytes each).
 */
import { deflateRawSync } from 'node:zlib';
import { UR, UREncoder } from '@ngraveio/bc-ur';
import { verifyBundle } from '../core/treasury/approval-bundle.js';
import { encodeBundle } from '../core/treasury/bundle-codec.js';
import {
  multiSendData,
  paymentTx,
  signedBundle,
  TEST_SAFE,
  testAccounts,
  unsignedBundle,
} from '../test/fixtures/approval-bundles.js';
import { measureQrFrames } from './support/qr-frames.js';

const ROWS = 500;

for (const erc20 of [true, false]) {
  const data = multiSendData(ROWS, erc20);
  const base = unsignedBundle({
    owners: testAccounts.map((a) => a.address),
    threshold: 3,
    proposal: {
      tx: paymentTx({ to: TEST_SAFE, operation: 1, data }),
      description: `Payroll December 2026: ${ROWS} payments`,
    },
  });
  const bundle = await verifyBundle(await signedBundle([0, 1, 2], base));
  const file = Buffer.from(await encodeBundle(bundle), 'utf8');
  const deflated = deflateRawSync(file, { level: 9 });
  const rowBytes = erc20 ? 153 : 85;
  console.log(
    `${ROWS} rows of ${rowBytes} bytes (${erc20 ? 'ERC-20 transfers' : 'value transfers'}), 3 approvals: data ${(data.length - 2) / 2} bytes, file ${file.length} bytes, deflated ${deflated.length} bytes`,
  );
  for (const fragmentLength of [200, 400]) {
    const raw = new UREncoder(new UR(UR.fromBuffer(file).cbor, 'x-signet-approval'), fragmentLength)
      .fragmentsLength;
    const m = await measureQrFrames(bundle, fragmentLength, 0.1, 50);
    console.log(
      `  ${fragmentLength} bytes/fragment: ${m.fragments} fragments (uncompressed: ${raw}); 10% dropped: ${m.shownWithDrops.toFixed(1)} frames shown, ${m.readWithDrops.toFixed(1)} read; qr-overhead: ${m.overhead.toFixed(2)}`,
    );
  }
}
