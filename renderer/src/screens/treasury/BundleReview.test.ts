/**
 * The bundle review shows every call kind the review schema has, and a kind
 * added later (a note operation, an owner change) field by field, with each
 * address's name beside it: nothing an approver signs is left off the screen.
 */
import { createInstance } from 'i18next';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../i18n/en.js';
import { BundleReview, type TreasuryReview, thresholdMet } from './BundleReview.js';

const i18n = createInstance();
beforeAll(async () => {
  await i18n.use(initReactI18next).init({
    resources: { en: { translation: en } },
    lng: 'en',
    interpolation: { escapeValue: false },
  });
});

const SAFE = '0x1111111111111111111111111111111111111111';
const ALICE = '0x2222222222222222222222222222222222222222';
const BOB = '0x3333333333333333333333333333333333333333';
const HASH = `0x${'ab'.repeat(32)}`;

function review(call: unknown, approvals: string[] = []): TreasuryReview {
  return {
    chainId: 31337,
    safe: SAFE,
    safeName: 'ops',
    owners: [ALICE, BOB],
    threshold: 2,
    nonce: '7',
    description: 'Quarterly payment',
    call: call as TreasuryReview['call'],
    safeTxHash: HASH,
    reviewDigest: HASH,
    approvals,
    names: [
      { address: ALICE, kind: 'account', name: 'alice' },
      { address: BOB, kind: 'address-book', name: 'bob' },
    ],
  };
}

/** The page's text, tags dropped. */
const shown = (r: TreasuryReview) =>
  renderToStaticMarkup(
    createElement(I18nextProvider, { i18n }, createElement(BundleReview, { review: r })),
  )
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('the bundle review', () => {
  it('shows a payment: payee with its name, amount, nonce, the hash signed, approvals so far', () => {
    const text = shown(
      review({ kind: 'payment', currency: SAFE, to: BOB, amount: '1234.50' }, [ALICE]),
    );
    expect(text).toContain('What it does Payment');
    expect(text).toContain(`To ${BOB} bob (address book)`);
    expect(text).toContain('Amount 1,234.50');
    expect(text).toContain('Nonce 7');
    expect(text).toContain(`Hash the keys sign (safeTxHash) ${HASH}`);
    expect(text).toContain('Approvals 1 of 2 needed');
    expect(text).toContain(`${ALICE} alice (your account) approved`);
    expect(text).toContain(`${BOB} bob (address book) not yet`);
  });

  it('shows a batch with its payees and how many more there are', () => {
    const text = shown(
      review({
        kind: 'batch',
        currency: SAFE,
        count: 5,
        total: '50.00',
        payees: [{ to: BOB, amount: '10.00' }],
      }),
    );
    expect(text).toContain('What it does Batch of payments');
    expect(text).toContain('Payments 5');
    expect(text).toContain('Total 50.00');
    expect(text).toContain(`${BOB} bob (address book) · 10.00`);
    expect(text).toContain('and 4 more');
  });

  it('shows a cancel and a raw call in full', () => {
    expect(shown(review({ kind: 'cancel', to: SAFE }))).toContain(
      `What it does Cancel (a call that does nothing) Called (does nothing) ${SAFE}`,
    );
    const text = shown(
      review({
        kind: 'call',
        to: BOB,
        value: '1000',
        data: '0xdeadbeef',
        operation: 'delegatecall',
      }),
    );
    expect(text).toContain('What it does Contract call');
    expect(text).toContain('Value (wei) 1,000');
    expect(text).toContain('Operation delegatecall');
    expect(text).toContain('Call data 0xdeadbeef');
  });

  it('shows a kind it does not know yet field by field, addresses named', () => {
    const text = shown(
      review({
        kind: 'owners',
        add: [BOB],
        remove: ALICE,
        threshold: 1,
        detail: { reason: 'rotation' },
      }),
    );
    expect(text).toContain('What it does owners');
    expect(text).toContain(`add ${BOB} bob (address book)`);
    expect(text).toContain(`remove ${ALICE} alice (your account)`);
    expect(text).toContain('threshold 1');
    expect(text).toContain('detail {"reason":"rotation"}');
  });

  it('counts the threshold as met only with enough approvals', () => {
    expect(thresholdMet(review({ kind: 'cancel', to: SAFE }, [ALICE]))).toBe(false);
    expect(thresholdMet(review({ kind: 'cancel', to: SAFE }, [ALICE, BOB]))).toBe(true);
  });
});
