/**
 * The one rule for "deep enough" (the profile's `confirmations`): a block is at
 * depth `c` under head `head` when `c` blocks stand from it to the head, itself
 * included, i.e. head − block + 1 ≥ c. Every outcome of the outbox is decided by
 * it (outbox-sender.ts):
 *
 * - confirmed: the receipt's block at depth `confirmations`;
 * - failed, reverted: the receipt's block at depth `freeingDepth`;
 * - replaced: the account's nonce past the transaction's at the newest block at
 *   depth `freeingDepth` (deepestAt), with no receipt of it;
 * - failed, dropped: the first block built while no node knew the transaction
 *   and its nonce was free (the block after the one it was first seen missing
 *   at) at depth `freeingDepth`, missing at every sync in between.
 *
 * The last three free the transaction's nonce and amount, so the user may sign
 * the payment again: they need at least one block even with `confirmations` 0,
 * which otherwise would call a transaction dropped at the first sync that does
 * not see it (see core/api/profile.ts).
 */

/** Whether `block` has `confirmations` blocks on it, itself included, under `head`. */
export function atDepth(head: number, block: number, confirmations: number): boolean {
  return head - block + 1 >= confirmations;
}

/** The newest block at depth `depth` (≥ 1) under `head`, never below block 0: atDepth holds for it. */
export function deepestAt(head: number, depth: number): number {
  if (depth < 1) throw new RangeError(`a block's own depth is at least 1, not ${depth}`);
  return Math.max(0, head - depth + 1);
}

/** The depth an outcome that frees a nonce and an amount needs: `confirmations`, at least 1. */
export function freeingDepth(confirmations: number): number {
  return Math.max(1, confirmations);
}
