/**
 * noteOperations: one history row per note operation, read from the whole
 * transaction, on logs laid out as DigitalNote (ERC-3525) emits them.
 */
import {
  type Address,
  encodeAbiParameters,
  encodeEventTopics,
  getAddress,
  type Hex,
  numberToHex,
} from 'viem';
import { describe, expect, it } from 'vitest';
import { addressTopic, noteEventsAbi, noteOperations, TRANSFER } from './events.js';
import type { RawLog } from './fetch-logs.js';

const address = (byte: string) => getAddress(`0x${byte.repeat(20)}`);
const contracts = { currency: address('cc'), notes: address('dd') };
const alice = address('a1');
const bob = address('b0');
const bank = address('ba');
const zero = '0x0000000000000000000000000000000000000000' as Address;
const txHash = `0x${'77'.repeat(32)}` as Hex;
const blockHash = `0x${'88'.repeat(32)}` as Hex;

type NoteEvent = (typeof noteEventsAbi)[number]['name'];

/** The logs of one transaction, numbered in order. */
function tx(
  ...logs: Array<Omit<RawLog, 'logIndex' | 'blockNumber' | 'blockHash' | 'transactionHash'>>
) {
  return logs.map((log, i) => ({
    ...log,
    logIndex: numberToHex(i),
    blockNumber: '0x10' as Hex,
    blockHash,
    transactionHash: txHash,
  }));
}

function note(eventName: NoteEvent, args: Record<string, unknown>) {
  const item = noteEventsAbi.find((e) => e.name === eventName)!;
  const topics = encodeEventTopics({ abi: [item], eventName, args } as never) as Hex[];
  const unindexed = item.inputs.filter((input) => !('indexed' in input && input.indexed));
  const data = encodeAbiParameters(unindexed, unindexed.map((input) => args[input.name!]) as never);
  return { address: contracts.notes, topics, data };
}

function payment(from: Address, to: Address, value: bigint) {
  return {
    address: contracts.currency,
    topics: [TRANSFER, addressTopic(from), addressTopic(to)],
    data: numberToHex(value, { size: 32 }),
  };
}

const transfer = (from: Address, to: Address, tokenId: bigint) =>
  note('Transfer', { from, to, tokenId });
const value = (fromTokenId: bigint, toTokenId: bigint, amount: bigint) =>
  note('TransferValue', { fromTokenId, toTokenId, value: amount });

const held = new Map<bigint, Address>([[1n, bob]]);
const operations = (logs: RawLog[], sender: Address = bob) =>
  noteOperations(31337, { from: sender.toLowerCase() as Address, logs }, contracts, (id) =>
    held.get(id),
  ).map(({ kind, from, to, amount, tokenId, logIndex, data }) => ({
    kind,
    from,
    to,
    amount,
    tokenId,
    logIndex,
    data,
  }));

describe('noteOperations', () => {
  it('an issue: acceptor to payee, at the NoteIssued log, with its face value', () => {
    const logs = tx(
      transfer(zero, bob, 1n),
      value(0n, 1n, 500n),
      note('NoteIssued', {
        tokenId: 1n,
        acceptor: alice,
        payee: bob,
        slot: 9n,
        faceValue: 500n,
        maturity: 2_000_000_000n,
      }),
    );
    expect(operations(logs, alice)).toEqual([
      {
        kind: 'note-issue',
        from: alice,
        to: bob,
        amount: 500n,
        tokenId: 1n,
        logIndex: 2,
        data: { maturity: 2_000_000_000 },
      },
    ]);
  });

  it('a split: the holder of the old note to the holder of the new one, the value moved', () => {
    const logs = tx(transfer(zero, bank, 2n), value(0n, 2n, 0n), value(1n, 2n, 200n));
    expect(operations(logs)).toEqual([
      {
        kind: 'note-split',
        from: bob,
        to: bank,
        amount: 200n,
        tokenId: 2n,
        logIndex: 2,
        data: { fromTokenId: '1', toTokenId: '2' },
      },
    ]);
    // From a note the wallet never stored: credited to the transaction's sender.
    const unknown = tx(transfer(zero, bob, 6n), value(0n, 6n, 0n), value(5n, 6n, 50n));
    expect(operations(unknown, bank)[0]).toMatchObject({ from: bank, to: bob, tokenId: 6n });
  });

  it('a finance, of part of a note or all of it: one row, holder to bank, the payment aside', () => {
    const financed = { tokenId: 1n, holder: bob, bank, value: 100n, price: 95n };
    const part = tx(
      payment(bank, bob, 95n),
      transfer(zero, bank, 3n),
      value(0n, 3n, 0n),
      value(1n, 3n, 100n),
      note('NoteFinanced', { ...financed, bankTokenId: 3n }),
    );
    expect(operations(part, bank)).toEqual([
      {
        kind: 'note-finance',
        from: bob,
        to: bank,
        amount: 100n,
        tokenId: 1n,
        logIndex: 4,
        data: { bankTokenId: '3', price: '95' },
      },
    ]);
    const whole = tx(
      payment(bank, bob, 95n),
      transfer(bob, bank, 1n),
      note('NoteFinanced', { ...financed, bankTokenId: 1n }),
    );
    expect(operations(whole, bank).map((r) => [r.kind, r.logIndex])).toEqual([['note-finance', 2]]);
  });

  it('an endorsement: holder to holder; it carries no value', () => {
    expect(operations(tx(transfer(bank, bob, 2n)), bank)).toEqual([
      { kind: 'note-endorse', from: bank, to: bob, amount: 0n, tokenId: 2n, logIndex: 0, data: {} },
    ]);
  });

  it('a redemption: the holder presents to the acceptor who paid it; a dishonour names the acceptor', () => {
    const redeemed = tx(
      payment(alice, bob, 200n),
      value(2n, 0n, 200n),
      transfer(bob, zero, 2n),
      note('NoteRedeemed', { tokenId: 2n, holder: bob, value: 200n }),
    );
    expect(operations(redeemed)).toEqual([
      {
        kind: 'note-redeem',
        from: bob,
        to: alice,
        amount: 200n,
        tokenId: 2n,
        logIndex: 3,
        data: {},
      },
    ]);
    const dishonoured = tx(
      note('NoteDishonoured', { tokenId: 4n, acceptor: alice, holder: bob, value: 800n }),
    );
    expect(operations(dishonoured)).toEqual([
      {
        kind: 'note-dishonour',
        from: bob,
        to: alice,
        amount: 800n,
        tokenId: 4n,
        logIndex: 0,
        data: {},
      },
    ]);
  });

  it('ignores logs of other contracts, and a currency transfer alone is no note operation', () => {
    const other = { ...transfer(bank, bob, 2n), address: address('ee') };
    expect(operations(tx(other, payment(bank, bob, 5n)))).toEqual([]);
  });
});
