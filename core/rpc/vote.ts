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
 * The block reads are pinned to, from the heads the nodes reported: the newest
 * block that every node near the quorum's head has. The anchor is the head a
 * quorum of the configured nodes has reached (all that answered, when fewer
 * did), so one node claiming a huge head cannot move it; nodes more than
 * `maxLag` below the anchor are left out (they are 'behind' and cannot vote
 * on a block they do not have), the rest pin it to the lowest of their heads,
 * so an honest node one block behind is asked only about blocks it has.
 */
export function pinnedHead(heads: readonly number[], configured: number, maxLag: number): number {
  if (heads.length === 0) throw new RangeError('no head to pin to');
  const sorted = [...heads].sort((a, b) => b - a);
  const anchor = sorted[Math.min(quorumOf(configured), sorted.length) - 1]!;
  return Math.min(...sorted.filter((head) => head >= anchor - maxLag));
}
