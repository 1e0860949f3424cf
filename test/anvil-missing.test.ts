/**
 * The anvil project's stand-in where anvil is not installed (vitest.config.ts
 * picks it instead of the files that run on anvil, and says so in a warning):
 * the run shows that starting the dev ledger on anvil fails in one line saying
 * how to install it, rather than dropping those files without a word.
 */
import { describe, expect, it } from 'vitest';
import { findAnvilBinary } from '../ledger/anvil-node.js';
import { startDevChain } from '../ledger/dev-chain.js';

describe('the anvil engine on this machine', () => {
  it('is missing, and starting the dev ledger on it fails in one line that says how to install it', async () => {
    const anvil = findAnvilBinary();
    // vitest.config.ts runs this file only where anvil is missing.
    expect(anvil).toHaveProperty('missing');
    const reason = (anvil as { missing: string }).missing;
    await expect(startDevChain({ engine: 'anvil' })).rejects.toMatchObject({
      code: 'DEV_ENGINE_MISSING',
      message: reason,
    });
  });
});
