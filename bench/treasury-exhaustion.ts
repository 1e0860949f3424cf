/**
 * Worst-case cost of the treasury methods a hostile page can call (issue 11
 * audit): each call's wall time and heap growth at its caps, through the UI's
 * door (createAppApi().dispatch, origin `ui`). Run: npm run bench:treasury-limits
 * Built from TEST KEYS (test/fixtures/approval-bundles.ts); no node, no token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, stringToBytes } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { MAX_REQUEST_TEXT } from '../core/api/treasury.js';
import { createAppApi } from '../core/app/app-api.js';
import { writeActiveProfile } from '../core/chain/profile-file.js';
import { safeTxTypedData } from '../core/chain/safe.js';
import { openStore } from '../core/store/database.js';
import { addTreasury } from '../core/store/treasuries.js';
import type { ApprovalBundle } from '../core/treasury/approval-bundle.js';
import { encodeBundle } from '../core/treasury/bundle-codec.js';
import { approvalQrEncoder } from '../core/treasury/bundle-qr.js';
import {
  multiSendData,
  paymentTx,
  TEST_CHAIN_ID,
  TEST_SAFE,
  unsignedBundle,
} from '../test/fixtures/approval-bundles.js';
import { closedPortProfile } from '../test/support/store-fixtures.js';

const keys = Array.from({ length: 64 }, (_, i) =>
  privateKeyToAccount(keccak256(stringToBytes(`signet exhaustion TEST KEY ${i}`))),
);

async function largestBundle(): Promise<ApprovalBundle> {
  const base = unsignedBundle({
    owners: keys.map((k) => k.address),
    threshold: 64,
    proposal: {
      tx: paymentTx({ to: TEST_SAFE, operation: 1, data: multiSendData(650) }),
      description: 'x'.repeat(2000),
    },
  });
  const approvals = await Promise.all(
    keys.map(async (k) => ({
      kind: 'ecdsa' as const,
      owner: k.address,
      signature: await k.signTypedData(safeTxTypedData(base.chainId, base.safe, base.proposal.tx)),
    })),
  );
  return { ...base, approvals };
}

async function measure(label: string, work: () => Promise<unknown>): Promise<void> {
  global.gc?.();
  const heap = process.memoryUsage();
  let peak = heap.heapUsed + heap.external;
  const timer = setInterval(() => {}, 1000);
  const started = performance.now();
  const sampler = setInterval(() => {}, 5);
  let outcome: string;
  try {
    const reply = (await work()) as { ok?: boolean; error?: { code: string; message: string } };
    outcome =
      reply && reply.ok === false
        ? `refused ${reply.error!.code}: ${reply.error!.message.slice(0, 80)}`
        : 'ok';
  } catch (error) {
    outcome = `threw ${(error as Error).message.slice(0, 80)}`;
  }
  const ms = performance.now() - started;
  clearInterval(sampler);
  clearInterval(timer);
  const after = process.memoryUsage();
  peak = Math.max(peak, after.heapUsed + after.external);
  const mb = (after.heapUsed + after.external - heap.heapUsed - heap.external) / 2 ** 20;
  console.log(
    `${label}: ${ms.toFixed(0)} ms, heap+external +${mb.toFixed(1)} MB, rss ${(after.rss / 2 ** 20).toFixed(0)} MB — ${outcome}`,
  );
}

const home = mkdtempSync(join(tmpdir(), 'signet-exhaustion-'));
const store = openStore(join(home, 'signet.sqlite'));
addTreasury(store, {
  chainId: TEST_CHAIN_ID,
  address: TEST_SAFE,
  name: 'Vault',
  owners: keys.slice(0, 3).map((k) => k.address),
  threshold: 2,
  saltNonce: 1n,
});
store.close();
writeActiveProfile(
  closedPortProfile({ name: 'test ledger', chainId: TEST_CHAIN_ID, confirmations: 0 }),
  {
    SIGNET_HOME: home,
  },
);
const api = createAppApi({ home, env: {} });
const ui = (method: string, params: unknown) => api.dispatch(method, params);

const bundle = await largestBundle();
const text = await encodeBundle(bundle);
console.log(`largest bundle: ${text.length} characters`);

await measure('treasury.review (largest bundle)', () => ui('treasury.review', { bundle: text }));

// Merge: as many copies of the largest bundle as fit the request cap (each approval a duplicate).
const copies = Math.floor(MAX_REQUEST_TEXT / text.length);
await measure(`treasury.merge (${copies} × largest)`, () =>
  ui('treasury.merge', { bundles: Array(copies).fill(text) }),
);
// Many small bundles at the count cap (50), each with a different approval set.
const small = await encodeBundle(unsignedBundle());
await measure('treasury.merge (50 × small)', () =>
  ui('treasury.merge', { bundles: Array(50).fill(small) }),
);

for (const fragmentBytes of [50, 1000]) {
  const probe = await approvalQrEncoder(bundle, fragmentBytes);
  await measure(
    `treasury.qrParts (largest, fragmentBytes ${fragmentBytes}, ${Math.min(3 * probe.fragments, 600)} frames)`,
    () =>
      ui('treasury.qrParts', {
        bundle: text,
        fragmentBytes,
        count: Math.min(3 * probe.fragments, 600),
      }),
  );
}

// Fountain-mixed parts of the largest bundle: skip the pure fragments, up to the caps.
for (const fragmentBytes of [1000, 200]) {
  const encoder = await approvalQrEncoder(bundle, fragmentBytes);
  for (let i = 0; i < encoder.fragments; i++) encoder.nextPart();
  const parts: string[] = [];
  let total = 0;
  while (parts.length < 600) {
    const part = encoder.nextPart();
    if (total + part.length > MAX_REQUEST_TEXT) break;
    parts.push(part);
    total += part.length;
  }
  await measure(
    `treasury.qrDecode (${parts.length} mixed parts of ${encoder.fragments} fragments, ${fragmentBytes} B, ${total} chars)`,
    () => ui('treasury.qrDecode', { parts }),
  );
}

// A forged sequence header: one frame claiming N fragments, then one mixed frame.
const { UR, UREncoder } = await import('@ngraveio/bc-ur');
const { FountainEncoderPart } = await import('@ngraveio/bc-ur/dist/fountainEncoder.js');
function forged(seqNum: number, seqLength: number): string {
  const part = new FountainEncoderPart(seqNum, seqLength, 16, 1, Buffer.alloc(16, 7));
  const body = UREncoder.encodeSinglePart(new UR(part.cbor(), 'x-signet-approval'))
    .split('/')
    .at(-1);
  return `ur:x-signet-approval/${seqNum}-${seqLength}/${body}`;
}
for (const n of [2_000, 20_000]) {
  await measure(
    `treasury.qrDecode (forged header: 2 frames claiming ${n} fragments, one mixed)`,
    () => ui('treasury.qrDecode', { parts: [forged(1, n), forged(n + 1, n)] }),
  );
}
// At the cap: 600 distinct mixed frames of a sequence claiming 1000 fragments.
await measure('treasury.qrDecode (forged: 1 + 599 mixed frames claiming 600 fragments)', () =>
  ui('treasury.qrDecode', {
    parts: [forged(1, 600), ...Array.from({ length: 599 }, (_, i) => forged(601 + i, 600))],
  }),
);
await measure('treasury.qrDecode (forged header: 1 frame claiming 5,000,000 fragments)', () =>
  ui('treasury.qrDecode', { parts: [forged(1, 5_000_000)] }),
);

// A 1,000,000-character CSV, offline (no node).
const row = (i: number) =>
  `erc20,0x${'c1'.padStart(40, '0')},0x${keccak256(stringToBytes(String(i))).slice(26)},1.00,`;
const lines = ['token_type,token_address,receiver,amount,id'];
let size = lines[0]!.length;
for (let i = 0; size < 999_000; i++) {
  lines.push(row(i));
  size += lines.at(-1)!.length + 1;
}
const csv = lines.join('\n').slice(0, 1_000_000);
await measure(`treasury.batch (${csv.length} chars, ${lines.length - 1} rows, offline)`, () =>
  ui('treasury.batch', { treasury: 'Vault', csv, offline: true }),
);

api.close();
rmSync(home, { recursive: true, force: true });
