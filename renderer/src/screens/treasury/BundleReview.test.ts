/**
 * The bundle review shows every call kind the review schema has (a note
 * operation in words with its money formatted and an unverified contract warned
 * of; an owner change with the owners before and after), and a kind added later
 * field by field, with each address's name beside it: nothing an approver signs
 * is left off the screen.
 */
import { createInstance } from 'i18next';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../i18n/en.js';
import { zhCN } from '../../i18n/zh-CN.js';
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
        kind: 'vote',
        add: [BOB],
        remove: ALICE,
        threshold: 1,
        detail: { reason: 'rotation' },
      }),
    );
    expect(text).toContain('What it does vote');
    expect(text).toContain(`add ${BOB} bob (address book)`);
    expect(text).toContain(`remove ${ALICE} alice (your account)`);
    expect(text).toContain('threshold 1');
    expect(text).toContain('detail {"reason":"rotation"}');
  });

  const NOTES = '0x4444444444444444444444444444444444444444';
  const CURRENCY = '0x5555555555555555555555555555555555555555';
  const note = (fields: Record<string, unknown>) => ({
    kind: 'note',
    notes: NOTES,
    verified: true,
    tokenId: null,
    to: null,
    faceValue: null,
    value: null,
    price: null,
    maturity: null,
    currency: null,
    deadline: null,
    allowance: null,
    ...fields,
  });

  it('shows a note issue in words: payee, face value as money, maturity, currency, the allowance', () => {
    const text = shown(
      review(
        note({
          op: 'issue',
          to: BOB,
          faceValue: '1234505',
          maturity: '2028-03-31',
          currency: CURRENCY,
          allowance: { token: CURRENCY, spender: NOTES, amount: 'unlimited' },
        }),
      ),
    );
    expect(text).toContain('What it does Note operation');
    expect(text).toContain('Note operation Issue a new note, payable by the treasury');
    expect(text).toContain(`Note contract ${NOTES} Payee ${BOB} bob (address book)`);
    expect(text).toContain('Face value 12,345.05');
    expect(text).toContain('Maturity March 31, 2028');
    expect(text).toContain(`Currency ${CURRENCY}`);
    expect(text).toContain(
      `Allowance granted Unlimited · may be pulled by ${NOTES} · currency ${CURRENCY}`,
    );
    expect(text).not.toContain('Not verified');
    expect(text).not.toContain('Note id');
  });

  it('warns when the note contract is not verified (an air-gapped approver), and shows a split and a finance', () => {
    const split = shown(
      review(note({ op: 'split', verified: false, tokenId: '12', to: ALICE, value: '5' })),
    );
    expect(split).toContain('Split part of a note off to a recipient');
    expect(split).toContain(
      'Not verified No ledger is selected on this machine, so this contract is not known to be the ledger’s note contract',
    );
    expect(split).toContain('Note id 12');
    expect(split).toContain(`Recipient ${ALICE} alice (your account)`);
    expect(split).toContain('Value moved 0.05');
    expect(split).toContain('Allowance granted None');

    const finance = shown(
      review(
        note({
          op: 'finance-accept',
          tokenId: '3',
          to: null,
          value: '100000',
          price: '98000',
          deadline: '2027-01-02T03:04:05.000Z',
          currency: CURRENCY,
          allowance: { token: CURRENCY, spender: NOTES, amount: '98000' },
        }),
      ),
    );
    expect(finance).toContain('Finance a note: the treasury buys it at the offer’s price');
    expect(finance).toContain('Holder paid Unknown: the offer’s signature names no key');
    expect(finance).toContain('Value bought 1,000.00');
    expect(finance).toContain('Price paid 980.00');
    expect(finance).toMatch(/Offer valid until Jan 2, 2027/);
    expect(finance).toContain(`Allowance granted 980.00 · may be pulled by ${NOTES}`);
  });

  it('shows an owner change: the change, owners before and after with names, the threshold move', () => {
    const CAROL = '0x6666666666666666666666666666666666666666';
    const text = shown(
      review({
        kind: 'owners',
        to: SAFE,
        change: 'swap',
        owner: BOB,
        newOwner: CAROL,
        ownersBefore: [ALICE, BOB],
        ownersAfter: [ALICE, CAROL],
        thresholdBefore: 2,
        thresholdAfter: 2,
        words: 'swap',
      }),
    );
    expect(text).toContain('What it does Owner or threshold change');
    expect(text).toContain('Change Replace an owner');
    expect(text).toContain(`Owner removed ${BOB} bob (address book)`);
    expect(text).toContain(`Owner added ${CAROL}`);
    expect(text).toContain(
      `Owners before ${ALICE} alice (your account) ${BOB} bob (address book) removed`,
    );
    expect(text).toContain(`Owners after ${ALICE} alice (your account) ${CAROL} added`);
    expect(text).toContain('Approvals needed 2 of 2 → 2 of 2');

    const lower = shown(
      review({
        kind: 'owners',
        to: SAFE,
        change: 'threshold',
        owner: null,
        newOwner: null,
        ownersBefore: [ALICE, BOB],
        ownersAfter: [ALICE, BOB],
        thresholdBefore: 2,
        thresholdAfter: 1,
        words: 'threshold',
      }),
    );
    expect(lower).toContain('Change Change the approvals needed');
    expect(lower).not.toContain('Owner added');
    expect(lower).not.toContain('removed');
    expect(lower).toContain('Approvals needed 2 of 2 → 1 of 2');
  });

  it('shows the note and owner reviews in Chinese too, every key translated', async () => {
    const zh = createInstance();
    await zh.use(initReactI18next).init({
      resources: { 'zh-CN': { translation: zhCN } },
      lng: 'zh-CN',
      interpolation: { escapeValue: false },
    });
    const render = (r: TreasuryReview) =>
      renderToStaticMarkup(
        createElement(I18nextProvider, { i18n: zh }, createElement(BundleReview, { review: r })),
      );
    const issue = render(
      review(
        note({ op: 'issue', verified: false, to: BOB, faceValue: '100', maturity: '2028-03-31' }),
      ),
    );
    expect(issue).toContain('签发一张新票据');
    expect(issue).toContain('未验证');
    expect(issue).not.toMatch(/treasury\./);
    const owners = render(
      review({
        kind: 'owners',
        to: SAFE,
        change: 'add',
        owner: BOB,
        newOwner: null,
        ownersBefore: [ALICE],
        ownersAfter: [ALICE, BOB],
        thresholdBefore: 1,
        thresholdAfter: 2,
        words: 'add',
      }),
    );
    expect(owners).toContain('添加一位所有者');
    expect(owners).not.toMatch(/treasury\./);
  });

  it('counts the threshold as met only with enough approvals', () => {
    expect(thresholdMet(review({ kind: 'cancel', to: SAFE }, [ALICE]))).toBe(false);
    expect(thresholdMet(review({ kind: 'cancel', to: SAFE }, [ALICE, BOB]))).toBe(true);
  });
});
