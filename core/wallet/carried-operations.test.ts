import { decodeFunctionData, type Hex, zeroHash } from 'viem';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  closedPortProfile,
  memoryStore,
  walletAccount,
} from '../../test/support/store-fixtures.js';
import type { ChainProfile } from '../api/profile.js';
import { carriedCallData, p256AccountFactoryAbi } from '../chain/p256-account.js';
import { type Account, addAccount } from '../store/accounts.js';
import { setChainMeta } from '../store/chain-meta.js';
import { upsertAccountState } from '../store/chain-state.js';
import type { Store } from '../store/database.js';
import { addSigned, markFailed } from '../store/outbox.js';
import { CARRY_GAS, operationDeadline, planCarried, resolveCarrier } from './carried-operations.js';
import { paymentCall } from './payment.js';
import { gasBudget } from './transaction-plan.js';

const FACTORY = '0x00000000000000000000000000000000000000f1';
const profile: ChainProfile = {
  ...closedPortProfile({ name: 'test', chainId: 4242, confirmations: 1 }),
  contracts: {
    ...closedPortProfile({ name: 'test', chainId: 4242, confirmations: 1 }).contracts,
    p256AccountFactory: FACTORY,
  },
};
/**
 * The ledger's clock at the last sync: 10 hours ahead of ours (the memory
 * store's clock syncs at 2026-01-01T00:00:0xZ).
 */
const HEAD_TIME = Date.parse('2026-01-01T10:00:00Z') / 1000;
const PUBLIC_KEY: Hex = `0x04${'22'.repeat(64)}`;

let store: Store;
let tpm: Account;
let oldest: Account;
let newer: Account;

function synced(address: `0x${string}`, chainNonce = 0) {
  upsertAccountState(store, {
    chainId: profile.chainId,
    address,
    balance: 100_00n,
    registered: true,
    frozen: false,
    chainNonce,
    updatedBlock: 10,
  });
}

beforeEach(() => {
  store = memoryStore();
  tpm = addAccount(store, {
    address: walletAccount(9).address,
    publicKey: PUBLIC_KEY,
    keyUri: 'pkcs11:token=TPM;object=tpm-key;type=private',
    name: 'TPM',
    curve: 'p256',
  });
  oldest = addAccount(store, walletAccount(1));
  newer = addAccount(store, walletAccount(2));
  synced(tpm.address, 3);
  setChainMeta(store, {
    chainId: profile.chainId,
    head: 10,
    headTime: HEAD_TIME,
    baseFee: 10n ** 9n,
    gasPrice: 2n * 10n ** 9n,
  });
});

/** An operation of the TPM account carried by `carrier`, as the outbox holds it. */
function carriedTx(id: number, carrier: Account, accountNonce: number) {
  return addSigned(store, {
    chainId: profile.chainId,
    from: carrier.address,
    nonce: id,
    raw: `0x02f8${id.toString(16).padStart(4, '0')}`,
    kind: 'transfer',
    summary: {},
    asset: 'currency',
    amount: 1n,
    carried: { account: tpm.address, nonce: accountNonce },
  });
}

describe('the carrier', () => {
  it('is by default the oldest secp256k1 account synced on this ledger', () => {
    expect(() => resolveCarrier(store, profile, tpm)).toThrow(/none is synced on this ledger/);
    synced(newer.address);
    expect(resolveCarrier(store, profile, tpm).address).toBe(newer.address);
    synced(oldest.address);
    expect(resolveCarrier(store, profile, tpm).address).toBe(oldest.address);
  });

  it('is by default the carrier of an operation still in flight, so operations keep their order', () => {
    synced(oldest.address);
    synced(newer.address);
    const tx = carriedTx(1, newer, 3);
    expect(resolveCarrier(store, profile, tpm).address).toBe(newer.address);
    markFailed(store, tx.txHash, 'refused');
    expect(resolveCarrier(store, profile, tpm).address).toBe(oldest.address);
  });

  it('may be named by address or key URI, and must be a synced secp256k1 account of the wallet', () => {
    synced(newer.address);
    expect(resolveCarrier(store, profile, tpm, newer.address.toLowerCase()).address).toBe(
      newer.address,
    );
    expect(resolveCarrier(store, profile, tpm, 'pkcs11:token=Signet;object=key-2').address).toBe(
      newer.address,
    );
    expect(() => resolveCarrier(store, profile, tpm, oldest.address)).toThrow(/never been synced/);
    expect(() => resolveCarrier(store, profile, tpm, tpm.address)).toThrow(
      /carrier TPM is a p256 account/,
    );
    expect(() => resolveCarrier(store, profile, tpm, walletAccount(7).address)).toThrow(
      /is not one of this wallet's accounts/,
    );
    expect(() => resolveCarrier(store, profile, tpm, '0x1234')).toThrow(/not a 0x-prefixed/);
  });
});

describe('the deadline', () => {
  it('is the end of the UTC day a week after the ledger’s now, the same all that day', () => {
    const expected = BigInt(Date.parse('2026-01-08T23:59:59Z') / 1000);
    // The ledger's clock counts: ours says 1 January 00:10, the ledger's 10:10.
    expect(operationDeadline(store, profile, new Date('2026-01-01T00:10:00Z'))).toBe(expected);
    expect(operationDeadline(store, profile, new Date('2026-01-01T13:59:00Z'))).toBe(expected);
    // Past the ledger's midnight: the next day's.
    expect(operationDeadline(store, profile, new Date('2026-01-01T14:01:00Z'))).toBe(
      expected + 86_400n,
    );
  });
});

describe('planning carried operations', () => {
  it('takes the account’s nonces from the last sync and the outbox, and the carrier’s for its transactions', () => {
    synced(oldest.address, 7);
    carriedTx(7, oldest, 3);
    const calls = [
      paymentCall(profile, newer.address, 1_00n),
      paymentCall(profile, newer.address, 2_00n),
    ];
    const now = new Date('2026-01-01T00:10:00Z');
    const { operations, txs } = planCarried(store, profile, tpm, oldest, calls, now);
    expect(operations.map((op) => op.nonce)).toEqual([4n, 5n]);
    expect(operations[0]).toMatchObject({
      target: profile.contracts.currency,
      value: 0n,
      data: calls[0]!.data,
      deadline: operationDeadline(store, profile, now),
    });
    expect(txs.map((tx) => tx.nonce)).toEqual([8, 9]);
    for (const [i, tx] of txs.entries()) {
      expect(tx).toMatchObject({ to: FACTORY, gas: gasBudget.transfer + CARRY_GAS, value: 0n });
      // The factory call with the operation and a zero signature, which the key's replaces.
      expect(tx.data).toBe(carriedCallData(PUBLIC_KEY, operations[i]!));
      const { args } = decodeFunctionData({ abi: p256AccountFactoryAbi, data: tx.data! });
      expect(args.slice(-2)).toEqual([zeroHash, zeroHash]);
    }
  });

  it('needs the ledger’s P-256 account factory', () => {
    synced(oldest.address);
    const { p256AccountFactory: _, ...contracts } = profile.contracts;
    const without = { ...profile, contracts };
    expect(() =>
      planCarried(
        store,
        without,
        tpm,
        oldest,
        [paymentCall(profile, newer.address, 1n)],
        new Date(),
      ),
    ).toThrow(/has no P-256 account factory/);
  });
});
