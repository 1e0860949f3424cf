import { type Address, getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../api/errors.js';
import { CertificateKeyCache } from './chain-reads.js';

const key = getAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79c8');
const other = getAddress('0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc');
const operator = getAddress('0x90f79bf6eb2c4f870365e785982e1f101e93b906');

/**
 * FAKE chain reads: the cache's own logic (when to ask, what to keep when the
 * nodes cannot answer) is under test; the real reads are in
 * test/collect-service.integration.test.ts.
 */
function fakeChain() {
  const asked: Address[][] = [];
  let down = false;
  return {
    asked,
    setDown: (value: boolean) => {
      down = value;
    },
    read: async (keys: Address[]) => {
      asked.push(keys);
      if (down) throw new SignetError('NODE_UNREACHABLE', 'no node answered');
      return new Map(keys.map((k) => [k, k === key ? operator : null]));
    },
  };
}

describe('CertificateKeyCache', () => {
  it('asks only for keys not read lately, in checksummed form', async () => {
    let now = 0;
    const chain = fakeChain();
    const cache = new CertificateKeyCache(chain.read, 1_000, () => now);
    expect(await cache.lookup([key.toLowerCase() as Address])).toEqual(new Map([[key, operator]]));
    expect(await cache.lookup([key, other])).toEqual(
      new Map([
        [key, operator],
        [other, null],
      ]),
    );
    expect(chain.asked).toEqual([[key], [other]]);
    now = 1_001;
    await cache.lookup([key]);
    expect(chain.asked).toHaveLength(3);
  });

  it('with the nodes down, keys read before stand; a key never read is refused', async () => {
    let now = 0;
    const chain = fakeChain();
    const cache = new CertificateKeyCache(chain.read, 1_000, () => now);
    await cache.lookup([key]);
    chain.setDown(true);
    now = 10_000;
    expect(await cache.lookup([key])).toEqual(new Map([[key, operator]]));
    await expect(cache.lookup([key, other])).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
  });
});
