/** Assertions the UI tests share (vitest's expect; kept out of ui-harness, which the benchmark loads too). */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { axeFindings } from './ui-harness.js';

/** axe-core (injected by openUiPage) really looked at the page and found nothing serious or critical. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const { passes, serious } = await axeFindings(page);
  expect(passes).toBeGreaterThan(10);
  expect(serious, `axe on ${label}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
}
