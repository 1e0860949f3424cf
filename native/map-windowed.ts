/**
 * Maps items through an async function with at most `window` calls in flight,
 * results in input order: how a run of signatures keeps the token busy while
 * the host checks the previous ones.
 */
export async function mapWindowed<T, R>(
  items: readonly T[],
  window: number,
  map: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, worker));
  return results;
}
