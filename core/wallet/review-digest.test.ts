import {
  type Address,
  encodeAbiParameters,
  hashTypedData,
  keccak256,
  serializeTransaction,
  type TransactionSerializable,
} from 'viem';
import { describe, expect, it } from 'vitest';
import { financeOfferTypes } from '../chain/abi.js';
import { reviewDigest } from './review-digest.js';

const signer: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const tx: TransactionSerializable = {
  type: 'eip1559',
  chainId: 31337,
  nonce: 3,
  to: '0x00000000000000000000000000000000000000c1',
  data: '0xa9059cbb',
  value: 0n,
  gas: 120_000n,
  maxFeePerGas: 3_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
};
const legacy: TransactionSerializable = {
  type: 'legacy',
  chainId: 31337,
  nonce: 3,
  to: tx.to,
  data: tx.data,
  value: 0n,
  gas: 120_000n,
  gasPrice: 2_500_000_000n,
};
const offer = {
  domain: {
    name: 'Signet Digital Note',
    version: '1',
    chainId: 31337,
    verifyingContract: '0x00000000000000000000000000000000000000c2' as Address,
  },
  types: financeOfferTypes,
  primaryType: 'FinanceOffer' as const,
  message: {
    tokenId: 7n,
    value: 50_000n,
    bank: signer,
    price: 49_000n,
    deadline: 1_900_000_000n,
    nonce: `0x${'11'.repeat(32)}` as const,
  },
};

const ofTxs = (txs: TransactionSerializable[], op = 'send', who = signer) =>
  reviewDigest(op, who, { kind: 'transactions', txs });
const ofOffer = (typedData: typeof offer, who = signer) =>
  reviewDigest('finance-offer', who, { kind: 'typed-data', typedData });

describe('the review digest', () => {
  it('is the same for the same plan, and a 32-byte keccak', () => {
    expect(ofTxs([tx])).toBe(ofTxs([{ ...tx }]));
    expect(ofTxs([tx])).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('moves with every field the token signs: chain id, nonce, fees, gas, contract, calldata', () => {
    const changes: Partial<TransactionSerializable>[] = [
      { chainId: 1 },
      { nonce: 4 },
      { maxFeePerGas: 3_000_000_001n },
      { maxPriorityFeePerGas: 2n },
      { gas: 120_001n },
      { to: '0x00000000000000000000000000000000000000c3' },
      { data: '0xa9059cbc' },
      { value: 1n },
    ];
    const digests = new Set([ofTxs([tx])]);
    for (const change of changes) {
      digests.add(ofTxs([{ ...tx, ...change } as TransactionSerializable]));
    }
    expect(digests.size).toBe(changes.length + 1);
    expect(ofTxs([legacy])).not.toBe(ofTxs([{ ...legacy, gasPrice: 2_500_000_001n }]));
    expect(ofTxs([legacy])).not.toBe(ofTxs([{ ...legacy, chainId: 1 }]));
  });

  it('moves with the order and number of transactions, the operation and the signer', () => {
    const second = { ...tx, nonce: 4 };
    const digests = [
      ofTxs([tx, second]),
      ofTxs([second, tx]),
      ofTxs([tx]),
      ofTxs([tx, second, second]),
      ofTxs([tx], 'note-redeem'),
      ofTxs([tx], 'send', '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'),
    ];
    expect(new Set(digests).size).toBe(digests.length);
  });

  it("covers a typed message's every field and its domain: chain and contract", () => {
    const digests = [
      ofOffer(offer),
      ofOffer({ ...offer, message: { ...offer.message, nonce: `0x${'12'.repeat(32)}` } }),
      ofOffer({ ...offer, message: { ...offer.message, price: 48_999n } }),
      ofOffer({ ...offer, domain: { ...offer.domain, chainId: 1 } }),
      ofOffer({
        ...offer,
        domain: {
          ...offer.domain,
          verifyingContract: '0x00000000000000000000000000000000000000c3',
        },
      }),
    ];
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('is made of what the token signs: the unsigned transactions, or the EIP-712 hash', () => {
    const layout = [
      { type: 'string' },
      { type: 'string' },
      { type: 'string' },
      { type: 'address' },
      { type: 'bytes[]' },
    ] as const;
    // Rebuilt from its parts: each transaction as hashed for its signature, or the typed data's hash.
    const unsigned = serializeTransaction(tx);
    expect(
      keccak256(
        encodeAbiParameters(layout, [
          'signet-review-1',
          'transactions',
          'send',
          signer,
          [unsigned],
        ]),
      ),
    ).toBe(ofTxs([tx]));
    expect(
      keccak256(
        encodeAbiParameters(layout, [
          'signet-review-1',
          'typed-data',
          'finance-offer',
          signer,
          [hashTypedData(offer)],
        ]),
      ),
    ).toBe(ofOffer(offer));
  });

  describe('of operations a P-256 account signs and a carrier carries', () => {
    const account: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
    const operation = `0x${'aa'.repeat(32)}` as const;
    const ofCarried = (
      over: {
        carrier?: Address;
        operations?: `0x${string}`[];
        txs?: TransactionSerializable[];
      } = {},
      who = account,
    ) =>
      reviewDigest('send', who, {
        kind: 'carried',
        carrier: over.carrier ?? signer,
        operations: over.operations ?? [operation],
        txs: over.txs ?? [tx],
      });

    it('moves with what the P-256 key signs, the carrier’s transaction, the carrier and the account', () => {
      const digests = [
        ofCarried(),
        ofCarried({ operations: [`0x${'ab'.repeat(32)}`] }),
        ofCarried({ txs: [{ ...tx, nonce: 4 }] }),
        ofCarried({ txs: [{ ...tx, maxFeePerGas: 3_000_000_001n }] }),
        ofCarried({ carrier: '0x90F79bf6EB2c4f870365E785982E1f101E93b906' }),
        ofCarried({}, '0x90F79bf6EB2c4f870365E785982E1f101E93b906'),
        // The same transactions, not carried: another digest.
        ofTxs([tx], 'send', account),
      ];
      expect(new Set(digests).size).toBe(digests.length);
    });

    it('is made of each operation’s digest, then its carrier transaction, and the carrier', () => {
      const layout = [
        { type: 'string' },
        { type: 'string' },
        { type: 'string' },
        { type: 'address' },
        { type: 'address' },
        { type: 'bytes[]' },
      ] as const;
      const second = { ...tx, nonce: 4 };
      const op2 = `0x${'bb'.repeat(32)}` as const;
      expect(
        keccak256(
          encodeAbiParameters(layout, [
            'signet-review-1',
            'carried',
            'send',
            account,
            signer,
            [operation, serializeTransaction(tx), op2, serializeTransaction(second)],
          ]),
        ),
      ).toBe(ofCarried({ operations: [operation, op2], txs: [tx, second] }));
    });
  });
});
