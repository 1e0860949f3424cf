import { type Address, encodeFunctionData, getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { ownerChangeCall, type SafeTx, SENTINEL_OWNERS, safeAbi, safeCall } from '../chain/safe.js';
import { decodeOwnerChange, requireOwnerChangeFits } from './owner-change.js';

const safe = getAddress('0x1111111111111111111111111111111111c0ffee');
const [a, b, c, d] = ['0xa1', '0xb2', '0xc3', '0xd4'].map((p) =>
  getAddress(`${p}${'00'.repeat(19)}`),
) as [Address, Address, Address, Address];
/** getOwners() order: not sorted, as a Safe set up with c, a, b lists them. */
const current = { owners: [c, a, b], threshold: 2 };
const sorted = (list: Address[]) => [...list].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));

describe('decodeOwnerChange', () => {
  it('reads back each change ownerChangeCall builds, with the owners before and after, sorted', () => {
    const add = ownerChangeCall(safe, current, { kind: 'add', owner: d, threshold: 3 }, 0n);
    expect(decodeOwnerChange(safe, current, add.tx)).toEqual({
      change: 'add',
      owner: d,
      newOwner: null,
      prevOwner: null,
      ownersBefore: [a, b, c],
      ownersAfter: [a, b, c, d],
      thresholdBefore: 2,
      thresholdAfter: 3,
      words: `add owner ${d} with threshold 3 of 4`,
    });
    const remove = ownerChangeCall(safe, current, { kind: 'remove', owner: a, threshold: 1 }, 0n);
    expect(decodeOwnerChange(safe, current, remove.tx)).toMatchObject({
      change: 'remove',
      owner: a,
      prevOwner: c, // the owner before it in getOwners() order
      ownersAfter: sorted([b, c]),
      words: `remove owner ${a}, threshold 1 of 2`,
    });
    const swap = ownerChangeCall(safe, current, { kind: 'swap', oldOwner: c, newOwner: d }, 0n);
    expect(decodeOwnerChange(safe, current, swap.tx)).toMatchObject({
      change: 'swap',
      owner: c,
      newOwner: d,
      prevOwner: getAddress(SENTINEL_OWNERS), // c is first
      ownersAfter: [a, b, d],
      thresholdAfter: 2,
      words: `swap owner ${c} → ${d} (threshold 2 of 3)`,
    });
    const threshold = ownerChangeCall(safe, current, { kind: 'threshold', threshold: 3 }, 0n);
    expect(decodeOwnerChange(safe, current, threshold.tx)).toMatchObject({
      change: 'threshold',
      owner: null,
      ownersAfter: [a, b, c],
      words: 'threshold 3 of 3',
    });
  });

  const call = (data: `0x${string}`, over: Partial<SafeTx> = {}): SafeTx => ({
    ...safeCall({ to: safe, data }, 0n),
    ...over,
  });
  const changeThreshold = (n: bigint) =>
    encodeFunctionData({ abi: safeAbi, functionName: 'changeThreshold', args: [n] });

  it.each([
    ['to another contract', call(changeThreshold(1n), { to: a })],
    ['as a delegatecall', call(changeThreshold(1n), { operation: 1 })],
    ['with value', call(changeThreshold(1n), { value: 1n })],
    ['a threshold of 0', call(changeThreshold(0n))],
    ['a threshold above the owners', call(changeThreshold(4n))],
    [
      'adding an owner twice',
      call(
        encodeFunctionData({
          abi: safeAbi,
          functionName: 'addOwnerWithThreshold',
          args: [a, 2n],
        }),
      ),
    ],
    [
      'removing a non-owner',
      call(encodeFunctionData({ abi: safeAbi, functionName: 'removeOwner', args: [a, d, 1n] })),
    ],
    [
      'a prevOwner that is no owner',
      call(encodeFunctionData({ abi: safeAbi, functionName: 'removeOwner', args: [d, a, 1n] })),
    ],
    [
      'swapping to an owner',
      call(encodeFunctionData({ abi: safeAbi, functionName: 'swapOwner', args: [c, a, b] })),
    ],
    ['not a Safe call at all', call('0xdeadbeef')],
  ])('leaves the call raw when it is %s', (_, tx) => {
    expect(decodeOwnerChange(safe, current, tx)).toBeUndefined();
  });
});

describe('requireOwnerChangeFits', () => {
  it("accepts the chain's own prevOwner and refuses another, with a reason", () => {
    const remove = ownerChangeCall(safe, current, { kind: 'remove', owner: b, threshold: 1 }, 0n);
    const decoded = decodeOwnerChange(safe, current, remove.tx);
    expect(() => requireOwnerChangeFits(current.owners, decoded)).not.toThrow();
    // The same owners, listed by the chain in another order: removeOwner(a, b) would revert.
    let refusal: unknown;
    try {
      requireOwnerChangeFits([b, a, c], decoded);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({
      code: 'BUNDLE_MISMATCH',
      message: `the proposal names ${a} as the owner before ${b}; the treasury's getOwners() order on chain has ${getAddress(SENTINEL_OWNERS)}: propose the change again`,
      details: { reason: 'owners-order' },
    });
    // Adds and threshold changes name no neighbour.
    const add = ownerChangeCall(safe, current, { kind: 'add', owner: d, threshold: 2 }, 0n);
    expect(() =>
      requireOwnerChangeFits([b, a, c], decodeOwnerChange(safe, current, add.tx)),
    ).not.toThrow();
  });
});
