import { sha256, stringToBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import { approvalBy, signedBundle, unsignedBundle } from '../../test/fixtures/approval-bundles.js';
import { SignetError } from '../api/errors.js';
import { canonicalJson } from '../store/canonical-json.js';
import { verifyBundle } from './approval-bundle.js';
import { decodeBundle, encodeBundle } from './bundle-codec.js';

async function refusal(input: string | Uint8Array): Promise<SignetError> {
  const error = await decodeBundle(input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SignetError);
  const signet = error as SignetError;
  expect(signet.code).toBe('BUNDLE_INVALID');
  expect(signet.message).not.toContain('\n');
  return signet;
}

/** The file with its body changed by `edit` and the checksum made right again, as a careful forger would. */
function reforged(file: string, edit: (body: Record<string, unknown>) => void): string {
  const parsed = JSON.parse(file) as { body: Record<string, unknown>; checksum: string };
  edit(parsed.body);
  parsed.checksum = `sha256:${sha256(stringToBytes(canonicalJson(parsed.body))).slice(2)}`;
  return canonicalJson(parsed);
}

describe('.signet-approval file', () => {
  it('round-trips a bundle exactly, bigints and all, as self-describing canonical JSON', async () => {
    const bundle = await signedBundle([0, 2], unsignedBundle());
    const file = await encodeBundle(bundle);
    expect(file.endsWith('\n')).toBe(true);
    expect(file).toMatch(
      /^\{"body":\{.*\},"checksum":"sha256:[0-9a-f]{64}","type":"signet-approval","version":1\}\n$/,
    );
    expect(file).toContain('"nonce":"7"');
    const decoded = await decodeBundle(file);
    expect(decoded).toEqual(await verifyBundle(bundle));
    expect(await encodeBundle(decoded)).toBe(file);
    expect(await decodeBundle(new TextEncoder().encode(file))).toEqual(decoded);
  });

  it('refuses a truncated file at every cut', async () => {
    const file = await encodeBundle(await signedBundle([0]));
    for (const cut of [1, 10, Math.floor(file.length / 2), file.length - 3]) {
      expect((await refusal(file.slice(0, cut))).details?.reason).toBe('truncated');
    }
  });

  it('refuses a changed byte inside the body: the checksum no longer matches', async () => {
    const file = await encodeBundle(await signedBundle([0]));
    const corrupted = file.replace('"nonce":"7"', '"nonce":"8"');
    expect(corrupted).not.toBe(file);
    expect((await refusal(corrupted)).details?.reason).toBe('checksum');
  });

  it('refuses a changed proposal even with the checksum made right: the stated safeTxHash or the signatures give it away', async () => {
    const file = await encodeBundle(await signedBundle([0]));
    const nonce = reforged(file, (body) => {
      (body.proposal as { tx: { nonce: string } }).tx.nonce = '8';
    });
    expect((await refusal(nonce)).details?.reason).toBe('safe-tx-hash');
  });

  it('refuses a wrong type tag or version, an unknown field, and non-UTF-8 bytes', async () => {
    const file = await encodeBundle(await signedBundle([0]));
    const parsed = JSON.parse(file) as Record<string, unknown>;
    expect((await refusal(canonicalJson({ ...parsed, type: 'signet-offer' }))).message).toContain(
      'type',
    );
    expect((await refusal(canonicalJson({ ...parsed, version: 2 }))).details?.reason).toBe(
      'format',
    );
    expect((await refusal(canonicalJson({ ...parsed, extra: 1 }))).details?.reason).toBe('format');
    const extraField = reforged(file, (body) => {
      body.note = 'hi';
    });
    expect((await refusal(extraField)).message).toContain('body');
    expect((await refusal(new Uint8Array([0x7b, 0xff, 0xfe]))).details?.reason).toBe('encoding');
  });

  const fieldCases: [string, (body: Record<string, unknown>) => void, string][] = [
    [
      'a bad address checksum',
      (b) => (b.safe = (b.safe as string).replace(/[a-f]/, (c) => c.toUpperCase())),
      'safe',
    ],
    [
      'a short signature',
      (b) => ((b.approvals as { signature: string }[])[0]!.signature = '0x1234'),
      'signature',
    ],
    [
      'a value with a leading zero',
      (b) => ((b.proposal as { tx: { value: string } }).tx.value = '01'),
      'value',
    ],
    [
      'a negative value',
      (b) => ((b.proposal as { tx: { value: string } }).tx.value = '-1'),
      'value',
    ],
    [
      'a value over 2^256-1',
      (b) => ((b.proposal as { tx: { value: string } }).tx.value = (2n ** 256n).toString()),
      'value',
    ],
    [
      'a value as a float',
      (b) => ((b.proposal as { tx: { value: unknown } }).tx.value = 1.5),
      'value',
    ],
    [
      'odd-length data',
      (b) => ((b.proposal as { tx: { data: string } }).tx.data = '0xabc'),
      'data',
    ],
    [
      'operation 2',
      (b) => ((b.proposal as { tx: { operation: number } }).tx.operation = 2),
      'operation',
    ],
    [
      'a signature kind Signet does not know',
      (b) => ((b.approvals as { kind: string }[])[0]!.kind = 'eth_sign'),
      'kind',
    ],
    ['another Safe version', (b) => (b.safeVersion = '1.3.0'), 'safeVersion'],
    ['a fractional chain id', (b) => (b.chainId = 1.5), 'chainId'],
  ];
  for (const [what, edit, field] of fieldCases) {
    it(`refuses ${what}, naming the field`, async () => {
      const file = await encodeBundle(await signedBundle([0]));
      const error = await refusal(reforged(file, edit));
      expect(error.details?.reason).toBe('format');
      expect(error.message).toContain(field);
    });
  }

  it('refuses a threshold above the owners and duplicate owners even when well-formed', async () => {
    const file = await encodeBundle(await signedBundle([0]));
    expect((await refusal(reforged(file, (b) => (b.threshold = 4)))).details?.reason).toBe(
      'threshold',
    );
    const duplicate = reforged(file, (b) => {
      const owners = b.owners as string[];
      b.owners = [...owners, owners[0]];
    });
    expect((await refusal(duplicate)).details?.reason).toBe('owners');
  });

  it('refuses a well-formed file whose approval is by a key that is not an owner', async () => {
    const base = unsignedBundle();
    const outsider = await approvalBy(3, base);
    const file = await encodeBundle(base);
    const error = await refusal(
      reforged(file, (b) => {
        b.approvals = [{ ...outsider, signature: outsider.signature.toLowerCase() }];
      }),
    );
    expect(error.details?.reason).toBe('not-owner');
  });

  it('refuses an oversized input before parsing it', async () => {
    expect((await refusal(' '.repeat(8 * 1024 * 1024 + 1))).details?.reason).toBe('size');
  });
});
