import { getAddress } from 'viem';
import { beforeEach, describe, expect, it } from 'vitest';
import { memoryStore, walletAccount } from '../../test/support/store-fixtures.js';
import type { Store } from './database.js';
import {
  addTreasury,
  listTreasuries,
  recordChainNonce,
  recordChainState,
  recordProposal,
  requireTreasury,
} from './treasuries.js';

let store: Store;
const owners = [walletAccount(1).address, walletAccount(2).address].map((a) => getAddress(a));
const ops = {
  chainId: 31337,
  address: getAddress('0x1111111111111111111111111111111111c0ffee'),
  name: 'Ops',
  owners,
  threshold: 2,
  saltNonce: 2n ** 100n,
};
beforeEach(() => {
  store = memoryStore();
});

describe('treasuries', () => {
  it('keeps what fixes the address, per chain, found by name (any case) or address', () => {
    const added = addTreasury(store, ops);
    expect(added).toMatchObject({ ...ops, chainNonce: 0n, nextProposal: 0n });
    expect(requireTreasury(store, 31337, 'ops')).toEqual(added);
    expect(requireTreasury(store, 31337, ops.address.toLowerCase())).toEqual(added);
    expect(listTreasuries(store, 31337)).toEqual([added]);
    expect(listTreasuries(store, 1)).toEqual([]);
    expect(() => requireTreasury(store, 1, 'Ops')).toThrow(/no treasury Ops on chain 1/);
  });

  it('refuses a second treasury with the name (any case) or the address, and writes nothing', () => {
    addTreasury(store, ops);
    expect(() => addTreasury(store, { ...ops, name: 'OPS', address: owners[0]! })).toThrow(
      /a treasury named Ops exists already/,
    );
    expect(() => addTreasury(store, { ...ops, name: 'Payroll' })).toThrow(
      /exists already \(named Ops\)/,
    );
    expect(listTreasuries(store, 31337)).toHaveLength(1);
    // Another chain is another namespace.
    expect(addTreasury(store, { ...ops, chainId: 1 }).chainId).toBe(1);
  });

  it('moves the nonces forward only', () => {
    const t = addTreasury(store, ops);
    recordChainNonce(store, t, 3n);
    recordChainNonce(store, t, 1n);
    recordProposal(store, t, 4n);
    recordProposal(store, t, 0n);
    expect(requireTreasury(store, 31337, 'Ops')).toMatchObject({
      chainNonce: 3n,
      nextProposal: 5n,
    });
  });

  it("follows the chain's owners (in getOwners() order) and threshold after an owner change", () => {
    const t = addTreasury(store, ops);
    const same = recordChainState(store, t, { owners, threshold: 2, nonce: 1n });
    expect(same.changed).toBe(false);
    expect(same.treasury).toMatchObject({ owners, threshold: 2, chainNonce: 1n });
    const added = getAddress(walletAccount(3).address);
    const after = recordChainState(store, t, {
      owners: [added, ...owners],
      threshold: 3,
      nonce: 2n,
    });
    expect(after.changed).toBe(true);
    expect(requireTreasury(store, 31337, 'Ops')).toMatchObject({
      owners: [added, ...owners],
      threshold: 3,
      chainNonce: 2n,
      saltNonce: ops.saltNonce,
    });
    // The order alone is a change too: offline owner changes rely on it.
    const reordered = recordChainState(store, after.treasury, {
      owners: [owners[0]!, added, owners[1]!],
      threshold: 3,
      nonce: 2n,
    });
    expect(reordered.changed).toBe(true);
    expect(reordered.treasury.owners).toEqual([owners[0]!, added, owners[1]!]);
  });
});
