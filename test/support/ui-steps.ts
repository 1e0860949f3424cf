/**
 * Steps the UI journeys share, as a user takes them: reading a list of facts,
 * the notes portfolio, signing with the PIN, pressing Sync now. English labels.
 */
import type { Locator, Page } from 'playwright-core';
import { openScreen, settle } from './ui-harness.js';

/** A <dl> as shown: label → value, in order. */
export function factsOf(dl: Locator): Promise<Record<string, string>> {
  return dl.evaluate((list) => {
    const facts: Record<string, string> = {};
    for (const dt of list.querySelectorAll('dt'))
      facts[dt.textContent ?? ''] = dt.nextElementSibling?.textContent ?? '';
    return facts;
  });
}

/** The notes on the Notes screen: [holder address, value] per row, in order. */
export async function notePortfolio(page: Page): Promise<Array<[string, string]>> {
  await openScreen(page, 'notes', 'Notes');
  return page.locator('tr[data-note]').evaluateAll((rows) =>
    rows.map((row) => {
      const cells = row.querySelectorAll('td');
      return [cells[1]?.getAttribute('title') ?? '', cells[3]?.textContent ?? ''] as [
        string,
        string,
      ];
    }),
  );
}

/** Presses Sign on the review, types the PIN in the dialog, and waits for the result panel. */
export async function signWithPin(
  page: Page,
  pin: string,
  dialogName: string,
  resultHeading: string,
): Promise<void> {
  await page.getByRole('button', { name: 'Sign', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: dialogName });
  await dialog.waitFor();
  await dialog.getByLabel('PIN', { exact: true }).fill(pin);
  await dialog.getByRole('button', { name: 'Unlock' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.getByRole('heading', { level: 2, name: resultHeading }).waitFor();
}

/** Presses Sync now on the Outbox screen and waits for its outcome. */
export async function syncNow(page: Page): Promise<void> {
  await openScreen(page, 'outbox', 'Outbox & Sync');
  await page.getByRole('button', { name: 'Sync now' }).click();
  await page.getByRole('button', { name: 'Sync now' }).waitFor();
  await settle(page);
}
