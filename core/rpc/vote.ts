/**
 * Cross-check arithmetic: comparable keys for answers, and the majority rule.
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
