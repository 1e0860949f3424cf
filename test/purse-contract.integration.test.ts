/**
 * The offline purse contract's rules (ledger/contracts/OfflinePurse.sol), each with a
 * test that fails without it. On a real dev node; each test reverts the chain to the
 * state after the shared setup.
 */
import { type Address, type Hex, keccak256 } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { devKeys, devOperatorGuarantee } from '../ledger/deploy.js';
import { chainContracts } from './support/chain-contracts.js';
import { useDevChain } from './support/dev-chain.js';
import { purseChain } from './support/purse-chain.js';

const ledger = useDevChain();
const { send } = chainContracts(ledger);
const purse = purseChain(ledger);

const operator = privateKeyToAccount(devKeys.operator).address;
const START = 10_000_00n;

/** A new customer of the dev operator with `funds` and gas money. */
async function customer(funds = START) {
  const key = generatePrivateKey();
  const address = privateKeyToAccount(key).address;
  if (funds > 0n) await ledger.fund(address, funds);
  else {
    await send(devKeys.operator, 'currency', 'registerAccount', [address, keccak256(address)]);
    await ledger.setBalance(address, 10n ** 18n);
  }
  return { key, address };
}

let alice: { key: Hex; address: Address };
let bob: { key: Hex; address: Address };

beforeAll(async () => {
  alice = await customer();
  bob = await customer(0n);
});

let snapshot: string;
beforeEach(async () => {
  snapshot = await ledger.snapshot();
});
afterEach(async () => {
  await ledger.revert(snapshot);
});

describe('deployment', () => {
  it('lists the dev operator key and seeds its guarantee pool', async () => {
    expect(await purse.read('certificateKeyOperator', [operator])).toBe(operator);
    expect(await purse.read('guaranteeOf', [operator])).toBe(devOperatorGuarantee);
    expect(await purse.balance(purse.address())).toBe(devOperatorGuarantee);
  });
});

describe('settle', () => {
  it('pays a voucher exactly once', async () => {
    const { purseKey, certificate } = await purse.certificateFor(alice.address, operator);
    await purse.openPurse(alice.key, devKeys.operator, certificate);
    const chain = purse.voucherChain(purseKey, certificate);
    const v1 = await chain.pay(bob.address, 10_00n);
    const receipt = await purse.settle(devKeys.operator, [v1]);
    expect(purse.events(receipt, 'VoucherSettled')).toHaveLength(1);
    expect(await purse.balance(bob.address)).toBe(10_00n);
    await purse.settle(devKeys.operator, [v1]);
    expect(await purse.balance(bob.address)).toBe(10_00n);
    expect(await purse.read('isSettled', [v1.voucher])).toBe(true);
  });
});
