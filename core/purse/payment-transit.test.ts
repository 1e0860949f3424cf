import fc from 'fast-check';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { beforeAll, describe, expect, it } from 'vitest';
import { nextVoucher, payWith, receiveContext, testPurse } from '../../test/support/purse.js';
import { SignetError } from '../api/errors.js';
import {
  decodePaymentFile,
  decodePaymentRequest,
  encodePaymentFile,
  encodePaymentRequest,
  type PaymentRequest,
  type PaymentWithDomain,
} from './payment-file.js';
import {
  decodePaymentQr,
  PaymentQrDecoder,
  paymentQrEncoder,
  paymentRequestQrEncoder,
} from './payment-qr.js';
import {
  decodePaymentImages,
  renderPaymentFrames,
  renderPaymentRequestFrames,
} from './payment-qr-images.js';
import type { PurseDomain } from './typed-data.js';
import { checkPayment } from './verify.js';

const domain: PurseDomain = {
  chainId: 31337,
  verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
};
const operatorKey = privateKeyToAccount(generatePrivateKey());
const payee = privateKeyToAccount(generatePrivateKey()).address;

function refusedWith(action: () => unknown): SignetError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    const refused = error as SignetError;
    expect(refused.code).toBe('VOUCHER_REFUSED');
    expect(refused.details?.reason).toBe('malformed');
    expect(refused.message).not.toContain('\n');
    return refused;
  }
  throw new Error('accepted');
}

let payment: PaymentWithDomain;
let file: string;
const request: PaymentRequest = { domain, payee, amount: 12_34n, memo: 'two coffees, 咖啡' };
let context: ReturnType<typeof receiveContext>;

beforeAll(async () => {
  const purse = await testPurse(domain, operatorKey);
  const first = nextVoucher(purse, null, payee, 12_34n);
  payment = { ...(await payWith(purse, first)), domain };
  file = encodePaymentFile(payment);
  context = receiveContext(purse, { payee });
});

describe('payment file', () => {
  it('round-trips, and the decoded payment passes the offline checks', () => {
    const decoded = decodePaymentFile(file);
    expect(decoded).toEqual(payment);
    expect(decodePaymentFile(new TextEncoder().encode(file))).toEqual(payment);
    expect(() => checkPayment(decoded, context)).not.toThrow();
    const json = JSON.parse(file);
    expect(json).toMatchObject({ signet: 'offline-payment', version: 1, chainId: 31337 });
    expect(json.voucher.amount).toBe('1234');
  });

  it('refuses every truncation in one line', () => {
    for (let cut = 0; cut < file.length; cut += 7)
      refusedWith(() => decodePaymentFile(file.slice(0, cut)));
  });

  it('refuses wrong fields: unknown, missing, numbers not strings, leading zeros, bad kind', () => {
    const json = () => JSON.parse(file);
    const cases: ((j: any) => void)[] = [
      (j) => {
        j.extra = 1;
      },
      (j) => {
        j.voucher.extra = 1;
      },
      (j) => {
        delete j.voucherSignature;
      },
      (j) => {
        j.voucher.amount = 1234;
      },
      (j) => {
        j.voucher.amount = '01234';
      },
      (j) => {
        j.voucher.amount = '-5';
      },
      (j) => {
        j.voucher.counter = 1.5;
      },
      (j) => {
        j.certificate.validUntil = (1n << 64n).toString();
      },
      (j) => {
        j.signet = 'payment-request';
      },
      (j) => {
        j.version = 2;
      },
      (j) => {
        j.voucherSignature = `${j.voucherSignature.slice(0, -2)}00`;
      },
      (j) => {
        j.voucher.payee = j.voucher.payee.slice(0, 41);
      },
      // A mixed-case address whose checksum is wrong.
      (j) => {
        const a: string = j.voucher.payee;
        const flip = a.slice(2).search(/[a-fA-F]/) + 2;
        const c = a[flip]!;
        j.voucher.payee =
          a.slice(0, flip) +
          (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) +
          a.slice(flip + 1);
      },
    ];
    for (const change of cases) {
      const j = json();
      change(j);
      refusedWith(() => decodePaymentFile(JSON.stringify(j)));
    }
    refusedWith(() => decodePaymentFile('x'.repeat(9000)));
    refusedWith(() => decodePaymentFile(new Uint8Array([0xff, 0xfe, 0x7b])));
  });

  it('a tampered value keeps the form but fails the signatures', () => {
    const j = JSON.parse(file);
    j.voucher.amount = '9999';
    j.voucher.cumulative = '9999';
    const tampered = decodePaymentFile(JSON.stringify(j));
    expect(() => checkPayment(tampered, context)).toThrow(
      expect.objectContaining({ details: { reason: 'voucher-signature' } }),
    );
  });

  it('any flipped character is refused by the reader or by the checks (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(file.length - 1),
        fc.constantFrom(...'0123456789abcdefABCDEF"{}:,x '),
        (i, c) => {
          if (file[i] === c) return;
          const tampered = file.slice(0, i) + c + file.slice(i + 1);
          let decoded: PaymentWithDomain;
          try {
            decoded = decodePaymentFile(tampered);
          } catch (error) {
            expect((error as SignetError).code).toBe('VOUCHER_REFUSED');
            return;
          }
          // Accepted by the reader: either the same payment (a letter's case in a
          // hex field), or refused by the checks.
          if (encodePaymentFile(decoded) === file) return;
          expect(() => checkPayment(decoded, context)).toThrow(SignetError);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('payment request round-trips and refuses malformed ones', () => {
    const text = encodePaymentRequest(request);
    expect(decodePaymentRequest(text)).toEqual(request);
    const { memo: _, ...noMemo } = request;
    expect(decodePaymentRequest(encodePaymentRequest(noMemo))).toEqual(noMemo);
    const j = JSON.parse(text);
    for (const bad of [
      { ...j, amount: '0' },
      { ...j, amount: '1.5' },
      { ...j, memo: 'a\nb' },
      { ...j, memo: 'm'.repeat(141) },
      { ...j, payee: '0x12' },
      { ...j, signet: 'offline-payment' },
      { ...j, chainId: 0 },
      { ...j, other: true },
    ]) {
      refusedWith(() => decodePaymentRequest(JSON.stringify(bad)));
    }
    refusedWith(() => decodePaymentRequest(text.slice(0, -3)));
  });
});

describe('payment QR', () => {
  it('a request is one frame; a payment is animated; both round-trip through PNG and jsQR', async () => {
    const requestFrames = await renderPaymentRequestFrames(request);
    expect(requestFrames.fragments).toBe(1);
    expect(requestFrames.images).toHaveLength(1);
    expect(decodePaymentImages('request', requestFrames.images)).toEqual(request);

    const frames = await renderPaymentFrames(payment);
    expect(frames.fragments).toBeGreaterThan(1);
    expect(frames.images).toHaveLength(frames.fragments * 3);
    const decoded = decodePaymentImages('payment', frames.images);
    expect(decoded).toEqual(payment);
    expect(() => checkPayment(decoded, context)).not.toThrow();
  }, 60_000);

  it('one frame when the fragment is large enough', () => {
    const encoder = paymentQrEncoder(payment, 2000);
    expect(encoder.fragments).toBe(1);
    const part = encoder.nextPart();
    expect(part).toMatch(/^UR:SIGNET-PAYMENT\/[A-Z]+$/);
    expect(decodePaymentQr('payment', [part])).toEqual(payment);
  });

  it('frames in any order, with repeats, some missed: still decodes', () => {
    const encoder = paymentQrEncoder(payment);
    const parts = Array.from({ length: encoder.fragments * 3 }, () => encoder.nextPart());
    const shuffled = [...parts.slice(1).reverse(), parts[2]!];
    expect(decodePaymentQr('payment', shuffled)).toEqual(payment);
  });

  it('refuses: incomplete, truncated frame, tampered byte, wrong type, another sequence, not UR', () => {
    const encoder = paymentQrEncoder(payment);
    const parts = Array.from({ length: encoder.fragments }, () => encoder.nextPart());
    const decoder = new PaymentQrDecoder('payment');
    decoder.receive(parts[0]!);
    const before = decoder.progress();
    expect(refusedWith(() => decoder.result()).details?.qr).toBe('incomplete');

    const truncated = parts[1]!.slice(0, -6);
    expect(refusedWith(() => decoder.receive(truncated)).details?.qr).toBe('damaged');
    const p = parts[1]!;
    const i = p.length - 12;
    const tampered = p.slice(0, i) + (p[i] === 'A' ? 'B' : 'A') + p.slice(i + 1);
    expect(refusedWith(() => decoder.receive(tampered)).details?.qr).toBe('damaged');

    const requestPart = paymentRequestQrEncoder(request).nextPart();
    const wrongType = refusedWith(() => decoder.receive(requestPart));
    expect(wrongType.details?.qr).toBe('wrong-type');
    expect(wrongType.message).toContain('payment request');
    expect(refusedWith(() => decoder.receive('hello')).details?.qr).toBe('not-ur');

    // The refused frames changed nothing.
    expect(decoder.progress()).toEqual(before);
    for (const part of parts.slice(1)) decoder.receive(part);
    expect(decoder.result()).toEqual(payment);
  });

  it('a forged frame claiming a huge sequence is refused at once', () => {
    const part = paymentQrEncoder(payment).nextPart().toLowerCase();
    const forged = part.replace(/\/\d+-\d+\//, '/1-100000/');
    expect(refusedWith(() => new PaymentQrDecoder('payment').receive(forged)).details?.qr).toBe(
      'too-long',
    );
  });

  it('a valid UR whose payload is not a payment file is refused by the file reader', async () => {
    const { UR, UREncoder } = await import('@ngraveio/bc-ur');
    const ur = new UR(
      UR.fromBuffer(Buffer.from('{"signet":"offline-payment"}')).cbor,
      'signet-payment',
    );
    const part = new UREncoder(ur, 2000).nextPart();
    refusedWith(() => decodePaymentQr('payment', [part]));
  });
});
