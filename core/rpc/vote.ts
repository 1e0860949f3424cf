/**
 * Cross-check arithmetic: comparable keys for answers, the majority rule (of
 * the nodes that answered) and the quorum rule (of the nodes configured).
 */

/**
 * A key equal for equal answers: JSON with object keys sorted and hex strings
 * lower-cased (nodes differ in key order and sometimes in hex case; neither is
 * a disagreement).
 */
export function answerKey(value: unknown): string {
  return JSON.stringify(normalise(value)) ?? 'undefined';
}

function normalise(value: unknown): unknown {
  if (typeof value === 'string')
    return /^0x[0-9a-fA-F]*$/.test(value) ? value.toLowerCase() : value;
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, normalise((value as Record<string, unknown>)[key])]),
  );
}

/**
 * The key held by a strict majority (more than half) of the answers, or undefined.
 * Ties and pluralities have no winner: who is right among two nodes that disagree
 * is not something more answers from the same two can settle.
 */
export function majority(keys: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const [key, count] of counts) if (count * 2 > keys.length) return key;
  return undefined;
}

/**
 * How many of the profile's `configured` nodes must say the same for Signet to
 * believe a transaction's fate: more than half of them, whether or not they
 * answered. Then two quorums always share a node, so no two answers can both
 * reach it, and nodes that are down count against belief, never for it.
 */
export function quorumOf(configured: number): number {
  if (!Number.isSafeInteger(configured) || configured < 1)
    throw new RangeError(`a quorum needs at least one configured node, not ${configured}`);
  return Math.floor(configured / 2) + 1;
}

/** The key at least a quorum of the `configured` nodes gave, or undefined. */
export function quorumKey(keys: readonly string[], configured: number): string | undefined {
  const needed = quorumOf(configured);
  const counts = new Map<string, number>();
  for (const key of keys) {
    const count = (counts.get(key) ?? 0) + 1;
    if (count >= needed) return key;
    counts.set(key, count);
  }
  return undefined;
}

/**
 * The head a quorum of the `configured` nodes has reached (the quorum-th highest
 * head; the lowest of them all when fewer answered): one node claiming a huge
 * head cannot move it, since a quorum must have reached it. Where reads pin
 * (pinnedHead) and what a node is 'behind' (RpcPool.heads) measure from here.
 */
export function quorumAnchor(heads: readonly number[], configured: number): number {
  if (heads.length === 0) throw new RangeError('no head to anchor to');
  const sorted = [...heads].sort((a, b) => b - a);
  return sorted[Math.min(quorumOf(configured), sorted.length) - 1]!;
}

/**
 * The block reads are pinned to, from the heads the nodes reported: the newest
 * block that every node near the quorum's head (quorumAnchor) has. Nodes more
 * than `maxLag` below the anchor are left out (they are 'behind' and cannot vote
 * on a block they do not have), the rest pin it to the lowest of their heads,
 * so an honest node one block behind is asked only about blocks it has.
 */
export function pinnedHead(heads: readonly number[], configured: number, maxLag: number): number {
  const anchor = quorumAnchor(heads, configured);
  return Math.min(...heads.filter((head) => head >= anchor - maxLag));
}

/**
 * The lower median of what the nodes said, for a figure honest nodes need not
 * agree on exactly (eth_gasPrice comes from each node's own fee oracle and
 * mempool). While liars are fewer than half of the values, it lies between two
 * honest values; with an even count the lower middle is taken: a fee read too
 * low only makes a transaction wait, one read too high spends the user's money.
 */
export function lowerMedian(values: readonly bigint[]): bigint {
  if (values.length === 0) throw new RangeError('no value to take the median of');
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
