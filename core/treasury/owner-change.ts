/**
 * An owner or threshold change read back from a proposal (what every approver
 * sees before signing one): the Safe calling itself with addOwnerWithThreshold,
 * removeOwner, swapOwner or changeThreshold (core/chain/safe.ts ownerChangeCall
 * builds them). Only a plain call by the Safe to itself, with no value, counts;
 * a change Safe would refuse (an owner that is not one, a threshold out of
 * range) is not decoded, so it is shown as the raw call it is.
 *
 * Pure: the owners a bundle carries are sorted by address, not in Safe's
 * linked-list order, so the prevOwner argument is checked here only as "the
 * sentinel or an owner"; `requireOwnerChangeFits` checks it against the
 * chain's getOwners() order before an online approval and before execution.
 */
import { type Address, decodeFunctionData, getAddress, isAddressEqual } from 'viem';
import { SignetError } from '../api/errors.js';
import { checkOwners, type SafeTx, SENTINEL_OWNERS, safeAbi } from '../chain/safe.js';

export type DecodedOwnerChange =
  | { change: 'add'; owner: Address; newOwner: null; prevOwner: null }
  | { change: 'remove'; owner: Address; newOwner: null; prevOwner: Address }
  | { change: 'swap'; owner: Address; newOwner: Address; prevOwner: Address }
  | { change: 'threshold'; owner: null; newOwner: null; prevOwner: null };

export type OwnerChangeReview = DecodedOwnerChange & {
  ownersBefore: Address[];
  ownersAfter: Address[];
  thresholdBefore: number;
  thresholdAfter: number;
  /** The change in words, e.g. "add 0x… with threshold 2 of 4". */
  words: string;
};

const byAddress = (a: Address, b: Address) => (BigInt(a) < BigInt(b) ? -1 : 1);

/**
 * The change `tx` makes to `safe`'s owners (`owners`, `threshold`: before it),
 * or undefined when `tx` is not one Safe would carry out.
 */
export function decodeOwnerChange(
  safe: Address,
  current: { owners: readonly Address[]; threshold: number },
  tx: Pick<SafeTx, 'to' | 'value' | 'data' | 'operation'>,
): OwnerChangeReview | undefined {
  if (!isAddressEqual(tx.to, safe) || tx.operation !== 0 || tx.value !== 0n) return undefined;
  let call: ReturnType<typeof decodeFunctionData<typeof safeAbi>>;
  try {
    call = decodeFunctionData({ abi: safeAbi, data: tx.data });
  } catch {
    return undefined;
  }
  const before = current.owners.map((o) => getAddress(o)).sort(byAddress);
  const isOwner = (a: Address) => before.some((o) => isAddressEqual(o, a));
  const isPrev = (a: Address) => isAddressEqual(a, SENTINEL_OWNERS) || isOwner(a);
  const result = (
    decoded: DecodedOwnerChange,
    after: Address[],
    threshold: bigint,
  ): OwnerChangeReview | undefined => {
    if (threshold > BigInt(after.length)) return undefined;
    try {
      checkOwners(after, Number(threshold));
    } catch {
      return undefined; // Safe would refuse it: shown raw
    }
    const ownersAfter = after.map((o) => getAddress(o)).sort(byAddress);
    const review = {
      ...decoded,
      ownersBefore: before,
      ownersAfter,
      thresholdBefore: current.threshold,
      thresholdAfter: Number(threshold),
    };
    return { ...review, words: ownerChangeWords(review) };
  };
  switch (call.functionName) {
    case 'addOwnerWithThreshold': {
      const [owner, threshold] = call.args;
      if (isOwner(owner) || isAddressEqual(owner, safe)) return undefined;
      return result(
        { change: 'add', owner: getAddress(owner), newOwner: null, prevOwner: null },
        [...before, getAddress(owner)],
        threshold,
      );
    }
    case 'removeOwner': {
      const [prevOwner, owner, threshold] = call.args;
      if (!isOwner(owner) || !isPrev(prevOwner)) return undefined;
      return result(
        { change: 'remove', owner: getAddress(owner), newOwner: null, prevOwner },
        before.filter((o) => !isAddressEqual(o, owner)),
        threshold,
      );
    }
    case 'swapOwner': {
      const [prevOwner, oldOwner, newOwner] = call.args;
      if (!isOwner(oldOwner) || !isPrev(prevOwner)) return undefined;
      if (isOwner(newOwner) || isAddressEqual(newOwner, safe)) return undefined;
      return result(
        {
          change: 'swap',
          owner: getAddress(oldOwner),
          newOwner: getAddress(newOwner),
          prevOwner,
        },
        before.map((o) => (isAddressEqual(o, oldOwner) ? getAddress(newOwner) : o)),
        BigInt(current.threshold),
      );
    }
    case 'changeThreshold': {
      const [threshold] = call.args;
      return result(
        { change: 'threshold', owner: null, newOwner: null, prevOwner: null },
        before,
        threshold,
      );
    }
    default:
      return undefined;
  }
}

/** "add X with threshold N of M", "remove Y, threshold N of M", "swap A → B", "threshold N of M". */
export function ownerChangeWords(
  review: DecodedOwnerChange & { ownersAfter: readonly Address[]; thresholdAfter: number },
  name: (address: Address) => string = (a) => a,
): string {
  const of = `${review.thresholdAfter} of ${review.ownersAfter.length}`;
  switch (review.change) {
    case 'add':
      return `add owner ${name(review.owner)} with threshold ${of}`;
    case 'remove':
      return `remove owner ${name(review.owner)}, threshold ${of}`;
    case 'swap':
      return `swap owner ${name(review.owner)} → ${name(review.newOwner)} (threshold ${of})`;
    case 'threshold':
      return `threshold ${of}`;
  }
}

/**
 * removeOwner and swapOwner name the owner before the one they change in Safe's
 * linked list (getOwners() order, the sentinel for the first): refused, before an
 * approval or execution, when the chain's list says otherwise (Safe would revert).
 */
export function requireOwnerChangeFits(
  chainOwners: readonly Address[],
  change: OwnerChangeReview | undefined,
): void {
  if (!change || change.prevOwner === null) return;
  const index = chainOwners.findIndex((o) => isAddressEqual(o, change.owner));
  const expected = index <= 0 ? getAddress(SENTINEL_OWNERS) : getAddress(chainOwners[index - 1]!);
  if (index < 0 || !isAddressEqual(expected, change.prevOwner)) {
    throw new SignetError(
      'BUNDLE_MISMATCH',
      `the proposal names ${change.prevOwner} as the owner before ${change.owner}; the treasury's getOwners() order on chain has ${expected}: propose the change again`,
      { details: { reason: 'owners-order' } },
    );
  }
}
