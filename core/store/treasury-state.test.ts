import { getAddress } from 'viem';
import { beforeEach, describe, expect, it } from 'vitest';
import { memoryStore, walletAccount } from '../../test/support/store-fixtures.js';
import type { Store } from './database.js';
import { addTreasury } from './treasuries.js';
import { getTreasuryState, type TreasuryState, upsertTreasuryState } from './treasury-state.js';

let store: Store;
const address = getAddress('0x1111111111111111111111111111111111c0ffee');
const owners = [walletAccount(2).address, walletAccount(1).address].map((a) => getAddress(a));
const state: TreasuryState = {
  chainId: 31337,
  address,
  deployed: true,
  owners,
  threshold: 2,
  balance: 2n ** 200n,
  registered: true,
  frozen: false,
  updatedBlock: 12,
};
beforeEach(() => {
  store = memoryStore();
});

describe('treasury state', () => {
  it('keeps the last sync read of a treasury, owners in the Safe order, per chain', () => {
    addTreasury(store, {
      chainId: 31337,
      address,
      name: 'Ops',
      owners,
      threshold: 2,
      saltNonce: 1n,
    });
    expect(getTreasuryState(store, 31337, address)).toBeUndefined();
    upsertTreasuryState(store, state);
    expect(getTreasuryState(store, 31337, address.toLowerCase())).toEqual(state);
    upsertTreasuryState(store, { ...state, frozen: true, balance: 0n, updatedBlock: 13 });
    expect(getTreasuryState(store, 31337, address)).toMatchObject({ frozen: true, balance: 0n });
    expect(getTreasuryState(store, 1, address)).toBeUndefined();
  });

  it('is refused for an address that is not one of the wallet treasuries on that chain', () => {
    expect(() => upsertTreasuryState(store, state)).toThrow(/FOREIGN KEY/);
    expect(getTreasuryState(store, 31337, address)).toBeUndefined();
  });
});
