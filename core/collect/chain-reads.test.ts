import { type Address, getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../api/errors.js';
import { CertificateKeyCache, PurseCache } from './chain-reads.js';

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

describe('PurseCache', () => {
  const opened = getAddress('0x90f79bf6eb2c4f870365e785982e1f101e93b906');
  const unopened = getAddress('0x15d34aaf54267db7d7c367839aaf71a00a2c6a65');
  /** FAKE purseOf reads: `opened` has an owner, `unopened` the zero address until it opens. */
  function fakePurses() {
    const asked: Address[][] = [];
    let opensLater = false;
    const state = (owner: Address) =>
      ({
        owner,
        operator,
        locked: 1n,
        cap: 1n,
        maxCount: 1,
        validFrom: 0n,
        validUntil: 1n,
        epoch: 0,
        paid: 0n,
        fromGuarantee: 0n,
        frozen: false,
        closed: false,
      }) as const;
    return {
      asked,
      open: () => {
        opensLater = true;
      },
      read: async (purses: Address[]) => {
        asked.push(purses);
        return new Map(
          purses.map((p) => [
            p,
            state(p === opened || opensLater ? key : '0x0000000000000000000000000000000000000000'),
          ]),
        );
      },
    };
  }

  it('reads an opened purse once; asks about an unopened one again once stale', async () => {
    let now = 0;
    const chain = fakePurses();
    const cache = new PurseCache(chain.read, 1_000, () => now);
    const first = await cache.lookup([opened, unopened]);
    expect(first.get(opened)?.owner).toBe(key);
    expect(first.get(unopened)).toBeNull();
    await cache.lookup([opened, unopened]);
    expect(chain.asked).toEqual([[opened, unopened]]);
    chain.open();
    now = 1_001;
    expect((await cache.lookup([opened, unopened])).get(unopened)?.owner).toBe(key);
    expect(chain.asked).toEqual([[opened, unopened], [unopened]]);
  });
});
