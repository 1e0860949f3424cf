/**
 * The anvil project's stand-in where anvil is not installed (vitest.config.ts
 * picks it instead of the files that run on anvil): the run shows why those did
 * not run, as a skipped test, rather than dropping them without a word.
 */
import { describe, expect, it } from 'vitest';
import { findAnvilBinary } from '../ledger/anvil-node.js';
import { startDevChain } from '../ledger/dev-chain.js';

const anvil = findAnvilBinary();
const reason = 'missing' in anvil ? anvil.missing : undefined;

describe('the anvil engine on this machine', () => {
  it.skipIf(reason === undefined)(
    'starting the dev ledger on anvil fails in one line that says how to install it',
    async () => {
      await expect(startDevChain({ engine: 'anvil' })).rejects.toMatchObject({
        code: 'DEV_ENGINE_MISSING',
        message: reason,
      });
    },
  );

  it.skip(`offline send, sync, reorg and kill -9 did not run on anvil: ${reason ?? 'anvil is installed'}`, () => {});
});
