import { type Address, encodeFunctionData, getAddress, type Hex, maxUint256 } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi, financeOfferTypes, notesAbi } from '../chain/abi.js';
import { safeBatch, safeCall } from '../chain/safe.js';
import { decodeNoteCall, noteExecutionGas } from './treasury-note-review.js';

const address = (n: number) => getAddress(`0x${n.toString(16).padStart(40, '0')}`);
const safe = address(0x5afe);
const notes = address(0xaa01);
const currency = address(0xaa02);
const multiSend = address(0xaa03);
const payee = address(0xbeef);
const profile = {
  chainId: 31337,
  contracts: { notes, currency, multiSendCallOnly: multiSend },
} as unknown as ChainProfile;
const bundle = { chainId: 31337, safe };

const noteData = (functionName: string, args: readonly unknown[]) =>
  encodeFunctionData({ abi: notesAbi, functionName, args } as never) as Hex;
const approve = (spender: Address, amount = maxUint256) =>
  encodeFunctionData({ abi: currencyAbi, functionName: 'approve', args: [spender, amount] });
const issueBatch = (noteContract = notes, spender = notes) =>
  safeBatch(
    multiSend,
    [
      { to: noteContract, data: noteData('issue', [payee, 10_000n, currency, 1_900_000_000n]) },
      { to: currency, data: approve(spender) },
    ],
    0n,
  );

describe('decodeNoteCall', () => {
  it('reads an issue and its allowance from the MultiSend, verified against the ledger', () => {
    const call = decodeNoteCall(profile, bundle, issueBatch());
    expect(call).toEqual({
      kind: 'note',
      op: 'issue',
      notes,
      verified: true,
      tokenId: null,
      to: payee,
      faceValue: '10000',
      value: null,
      price: null,
      maturity: '2030-03-17',
      currency,
      deadline: null,
      allowance: { token: currency, spender: notes, amount: 'unlimited' },
    });
    expect(noteExecutionGas(call!)).toBe(300_000n + 400_000n + 80_000n);
  });

  it('with no ledger, reads any contract by the DigitalNote ABI and says it is not verified', () => {
    const elsewhere = address(0xdead);
    expect(decodeNoteCall(undefined, bundle, issueBatch(elsewhere, elsewhere))).toMatchObject({
      op: 'issue',
      notes: elsewhere,
      verified: false,
    });
    // With the ledger selected, the same bytes are not its notes: shown raw.
    expect(decodeNoteCall(profile, bundle, issueBatch(elsewhere, elsewhere))).toBeUndefined();
  });

  it('reads an endorse, a split and a redeem as one direct call', () => {
    const direct = (data: Hex) => safeCall({ to: notes, data }, 3n);
    expect(
      decodeNoteCall(profile, bundle, direct(noteData('transferFrom', [safe, payee, 7n]))),
    ).toMatchObject({ op: 'endorse', tokenId: '7', to: payee, allowance: null });
    expect(
      decodeNoteCall(profile, bundle, direct(noteData('transferFrom', [7n, payee, 2_500n]))),
    ).toMatchObject({ op: 'split', tokenId: '7', to: payee, value: '2500' });
    expect(decodeNoteCall(profile, bundle, direct(noteData('redeem', [7n])))).toMatchObject({
      op: 'redeem',
      tokenId: '7',
    });
  });

  it('recovers the holder a finance pays from the offer signature', async () => {
    const holder = privateKeyToAccount(`0x${'11'.repeat(32)}`);
    const offer = {
      tokenId: 7n,
      value: 5_000n,
      bank: safe,
      price: 4_900n,
      deadline: 1_900_000_000n,
      nonce: `0x${'22'.repeat(32)}` as Hex,
    };
    const signature = await holder.signTypedData({
      domain: {
        name: 'Signet Digital Note',
        version: '1',
        chainId: 31337,
        verifyingContract: notes,
      },
      types: financeOfferTypes,
      primaryType: 'FinanceOffer',
      message: offer,
    });
    const tx = safeBatch(
      multiSend,
      [
        { to: currency, data: approve(notes) },
        { to: notes, data: noteData('finance', [offer, signature]) },
      ],
      0n,
    );
    expect(decodeNoteCall(profile, bundle, tx)).toMatchObject({
      op: 'finance-accept',
      tokenId: '7',
      to: holder.address,
      value: '5000',
      price: '4900',
      deadline: '2030-03-17T17:46:40.000Z',
    });
    // Signed over another chain's domain, it recovers someone else: the review shows who.
    expect(decodeNoteCall(profile, { ...bundle, chainId: 1 }, tx)?.to).not.toBe(holder.address);
  });

  it('leaves anything else raw: a transfer from another holder, two note calls, a stray allowance', () => {
    const direct = (data: Hex) => safeCall({ to: notes, data }, 0n);
    expect(
      decodeNoteCall(profile, bundle, direct(noteData('transferFrom', [payee, safe, 7n]))),
    ).toBeUndefined();
    const twice = safeBatch(
      multiSend,
      [
        { to: notes, data: noteData('redeem', [1n]) },
        { to: notes, data: noteData('redeem', [2n]) },
      ],
      0n,
    );
    expect(decodeNoteCall(profile, bundle, twice)).toBeUndefined();
    expect(decodeNoteCall(profile, bundle, issueBatch(notes, payee))).toBeUndefined();
    expect(
      decodeNoteCall(profile, bundle, safeCall({ to: currency, data: approve(notes) }, 0n)),
    ).toBeUndefined();
  });
});
