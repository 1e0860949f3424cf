/**
 * The rules the ledger contracts hold beyond single operations, each with a test
 * that fails without it: notes respect freezes; recovery moves notes with the
 * money, in one transaction, only to the same bank's customer, examining a
 * bounded number of notes per call; a system contract that fails holds back only
 * its own notes; operator powers end with the role and the central bank
 * reassigns customers; nobody frozen or unregistered spends on another's behalf;
 * notes only in currencies the central bank accepts. On a real Hardhat node;
 * each test reverts the chain to the state after the shared setup.
 */
import {
  type Address,
  encodeDeployData,
  getAddress,
  type Hex,
  keccak256,
  toFunctionSelector,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { devKeys } from '../ledger/deploy.js';
import { artifacts, chainContracts, DAY } from './support/chain-contracts.js';
import { useDevChain } from './support/dev-chain.js';

const ledger = useDevChain();
const {
  contract,
  read,
  send,
  events,
  balance,
  permit,
  authorization,
  financeOffer,
  role,
  deployCurrency,
} = chainContracts(ledger);

const operator = privateKeyToAccount(devKeys.operator);
const centralBank = privateKeyToAccount(devKeys.centralBank);
/** Hardhat account 2: a second operator bank, appointed in the setup. */
const operator2Key: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
const operator2 = privateKeyToAccount(operator2Key);
const keys = {
  alice: generatePrivateKey(),
  bob: generatePrivateKey(),
  carol: generatePrivateKey(),
  /** A customer of operator 2. */
  dave: generatePrivateKey(),
  /** Has ether for gas but was never registered. */
  stranger: generatePrivateKey(),
};
const alice = privateKeyToAccount(keys.alice).address;
const bob = privateKeyToAccount(keys.bob).address;
const carol = privateKeyToAccount(keys.carol).address;
const dave = privateKeyToAccount(keys.dave).address;
const stranger = privateKeyToAccount(keys.stranger).address;

const START = 10_000_00n;
const FACE = 1_000_00n;

const notes = () => ledger.profile.contracts.notes as Address;
const currency = () => ledger.profile.contracts.currency as Address;
const owner = (tokenId: bigint) => read<Address>('notes', 'ownerOf', [tokenId]);
const noteValue = (tokenId: bigint) => read<bigint>('notes', 'balanceOf', [tokenId]);
const frozen = (account: Address) => read<boolean>('currency', 'isFrozen', [account]);

async function gasMoney(to: Address) {
  await ledger.wallet(devKeys.centralBank).sendTransaction({ to, value: 10n ** 18n });
}

/** A new account registered by `operatorKey` (gas money, no currency). */
async function newCustomer(operatorKey: Hex = devKeys.operator) {
  const key = generatePrivateKey();
  const address = privateKeyToAccount(key).address;
  await send(operatorKey, 'currency', 'registerAccount', [address, keccak256(address)]);
  await gasMoney(address);
  return { key, address };
}

/** `acceptorKey` issues a note to `payee`, maturing in `days` (30 by default) or at `maturity`. */
async function issueNote(acceptorKey: Hex, payee: Address, days = 30n, face = FACE, at?: bigint) {
  const maturity = at ?? (await ledger.now()) + days * DAY;
  const receipt = await send(acceptorKey, 'notes', 'issue', [payee, face, currency(), maturity]);
  const [issued] = events(receipt, 'notes', 'NoteIssued');
  return { tokenId: issued!.tokenId as bigint, maturity };
}

/** A second currency the note contract accepts, where alice and bob are the operator's customers too. */
async function acceptedForeignCurrency() {
  const other = await deployCurrency();
  await send(devKeys.centralBank, 'notes', 'setCurrencyAccepted', [other.address, true]);
  await other.send(devKeys.operator, 'registerAccount', [alice, keccak256(alice)]);
  await other.send(devKeys.operator, 'registerAccount', [bob, keccak256(bob)]);
  return other;
}

async function passMaturity(maturity: bigint) {
  await ledger.increaseTime(maturity - (await ledger.now()));
  await ledger.mine();
}

beforeAll(async () => {
  await send(devKeys.centralBank, 'currency', 'grantRole', [
    await role('OPERATOR_ROLE'),
    operator2.address,
  ]);
  await send(devKeys.centralBank, 'currency', 'issue', [operator2.address, 100_000_00n]);
  for (const account of [alice, bob, carol]) await ledger.fund(account, START);
  await send(operator2Key, 'currency', 'registerAccount', [dave, keccak256(dave)]);
  await send(operator2Key, 'currency', 'transfer', [dave, START]);
  await gasMoney(dave);
  await gasMoney(stranger);
  // Acceptors approve the note contract to pay their notes at maturity; the bank to pay prices.
  for (const key of [keys.alice, keys.bob, keys.dave, devKeys.operator]) {
    await send(key, 'currency', 'approve', [notes(), 2n ** 256n - 1n]);
  }
});

let snapshot: string;
beforeEach(async () => {
  snapshot = await ledger.snapshot();
});
afterEach(async () => {
  await ledger.revert(snapshot);
});

describe('notes respect freezes', () => {
  it('a frozen holder cannot endorse, split or merge a note, even through an approved party', async () => {
    const { tokenId, maturity } = await issueNote(keys.alice, bob);
    const other = await issueNote(keys.alice, carol, 0n, FACE, maturity);
    await send(keys.bob, 'notes', 'setApprovalForAll', [carol, true]);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    await expect(send(keys.bob, 'notes', 'transferFrom', [bob, carol, tokenId])).rejects.toThrow(
      /AccountIsFrozen/,
    );
    await expect(send(keys.bob, 'notes', 'transferFrom', [tokenId, carol, 1n])).rejects.toThrow(
      /AccountIsFrozen/,
    );
    await expect(
      send(keys.bob, 'notes', 'transferFrom', [tokenId, other.tokenId, 1n]),
    ).rejects.toThrow(/AccountIsFrozen/);
    await expect(send(keys.carol, 'notes', 'transferFrom', [bob, carol, tokenId])).rejects.toThrow(
      /AccountIsFrozen/,
    );
    expect(await owner(tokenId)).toBe(bob);
    expect(await noteValue(tokenId)).toBe(FACE);
  });

  it('a frozen account cannot receive a note: by issue, endorsement, split or merge', async () => {
    const { tokenId, maturity: due } = await issueNote(keys.alice, bob);
    const carols = await issueNote(keys.alice, carol, 0n, FACE, due); // same slot as tokenId
    await send(devKeys.operator, 'currency', 'freeze', [carol]);
    const maturity = (await ledger.now()) + DAY;
    await expect(
      send(keys.alice, 'notes', 'issue', [carol, FACE, currency(), maturity]),
    ).rejects.toThrow(/AccountIsFrozen/);
    await expect(send(keys.bob, 'notes', 'transferFrom', [bob, carol, tokenId])).rejects.toThrow(
      /AccountIsFrozen/,
    );
    await expect(send(keys.bob, 'notes', 'transferFrom', [tokenId, carol, 1n])).rejects.toThrow(
      /AccountIsFrozen/,
    );
    await expect(
      send(keys.bob, 'notes', 'transferFrom', [tokenId, carols.tokenId, 1n]),
    ).rejects.toThrow(/AccountIsFrozen/);
    expect(await noteValue(carols.tokenId)).toBe(FACE);
  });

  it('a frozen acceptor cannot issue notes', async () => {
    await send(devKeys.operator, 'currency', 'freeze', [alice]);
    await expect(issueNote(keys.alice, bob)).rejects.toThrow(/AccountIsFrozen/);
  });

  it('a frozen holder cannot sell a note to a bank, nor a frozen bank buy one', async () => {
    const { tokenId } = await issueNote(keys.alice, bob);
    const offer = await financeOffer(keys.bob, {
      tokenId,
      value: 100_00n,
      bank: operator.address,
      price: 99_00n,
    });
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    await expect(
      send(devKeys.operator, 'notes', 'finance', [offer.message, offer.signature]),
    ).rejects.toThrow(/AccountIsFrozen/);
    await send(devKeys.operator, 'currency', 'unfreeze', [bob]);

    // A customer account acting as the bank, frozen: neither leg happens.
    await send(keys.carol, 'currency', 'approve', [notes(), FACE]);
    const toCarol = await financeOffer(keys.bob, {
      tokenId,
      value: 100_00n,
      bank: carol,
      price: 99_00n,
    });
    await send(devKeys.operator, 'currency', 'freeze', [carol]);
    await expect(
      send(keys.carol, 'notes', 'finance', [toCarol.message, toCarol.signature]),
    ).rejects.toThrow(/AccountIsFrozen/);
    expect(await owner(tokenId)).toBe(bob);
    expect(await balance(bob)).toBe(START);
  });

  it('a frozen or unregistered party cannot move a note it was approved for', async () => {
    const { tokenId } = await issueNote(keys.alice, bob);
    await send(keys.bob, 'notes', 'approve', [carol, tokenId]);
    await send(devKeys.operator, 'currency', 'freeze', [carol]);
    await expect(send(keys.carol, 'notes', 'transferFrom', [bob, alice, tokenId])).rejects.toThrow(
      /AccountIsFrozen/,
    );
    await send(keys.bob, 'notes', 'approve', [stranger, tokenId]);
    await expect(
      send(keys.stranger, 'notes', 'transferFrom', [bob, alice, tokenId]),
    ).rejects.toThrow(/NotRegistered/);
    await send(keys.bob, 'notes', 'approve', [tokenId, stranger, 1_00n]);
    await expect(
      send(keys.stranger, 'notes', 'transferFrom', [tokenId, alice, 1_00n]),
    ).rejects.toThrow(/NotRegistered/);
    expect(await owner(tokenId)).toBe(bob);
  });

  it('a frozen holder cannot redeem, and the acceptor is not dishonoured for it', async () => {
    const { tokenId, maturity } = await issueNote(keys.alice, bob);
    await passMaturity(maturity);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    await expect(send(keys.bob, 'notes', 'redeem', [tokenId])).rejects.toThrow(
      /HolderCannotReceive/,
    );
    expect(await read('notes', 'isDishonoured', [tokenId])).toBe(false);
    expect(await owner(tokenId)).toBe(bob);
  });
});

describe('recovering a lost account moves its notes with its money', () => {
  it('moves the balance and every note, matured or not, in one transaction', async () => {
    const replacement = await newCustomer();
    const near = await issueNote(keys.alice, bob, 1n);
    const far = await issueNote(keys.dave, bob, 60n);
    const owed = await issueNote(keys.bob, carol, 30n); // bob as acceptor: his debt stays his
    await passMaturity(near.maturity);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    const receipt = await send(devKeys.operator, 'currency', 'recoverFrozen', [
      bob,
      replacement.address,
    ]);
    console.log(`recoverFrozen with 2 notes: ${receipt.gasUsed} gas`);
    expect(events(receipt, 'currency', 'FundsRecovered')).toEqual([
      { lost: bob, replacement: replacement.address, amount: START },
    ]);
    expect(events(receipt, 'notes', 'NotesRecovered')).toEqual([
      {
        currency: currency(),
        lost: bob,
        replacement: replacement.address,
        moved: 2n,
        complete: true,
      },
    ]);
    expect(await owner(near.tokenId)).toBe(replacement.address);
    expect(await owner(far.tokenId)).toBe(replacement.address);
    expect(await noteValue(far.tokenId)).toBe(FACE);
    expect(await owner(owed.tokenId)).toBe(carol);
    expect(await read('notes', 'balanceOf', [bob])).toBe(0n);
    expect(await balance(bob)).toBe(0n);
    expect(await balance(replacement.address)).toBe(START);

    // The replacement holds the notes as the owner did: redeems the matured one.
    await send(replacement.key, 'notes', 'redeem', [near.tokenId]);
    expect(await balance(replacement.address)).toBe(START + FACE);
  });

  it('clears approvals a thief may have set on the lost account’s notes', async () => {
    const replacement = await newCustomer();
    const { tokenId } = await issueNote(keys.alice, bob);
    await send(keys.bob, 'notes', 'approve', [carol, tokenId]);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    await send(devKeys.operator, 'currency', 'recoverFrozen', [bob, replacement.address]);
    expect(await read('notes', 'getApproved', [tokenId])).toBe(
      '0x0000000000000000000000000000000000000000',
    );
    await expect(
      send(keys.carol, 'notes', 'transferFrom', [replacement.address, carol, tokenId]),
    ).rejects.toThrow(/not owner nor approved/);
  });

  it('moves at most MAX_NOTES_PER_RECOVERY notes per call, and the rest on the next call', async () => {
    const max = await read<bigint>('notes', 'MAX_NOTES_PER_RECOVERY');
    const replacement = await newCustomer();
    // Bob is sent max + 1 notes (a split each): too many for one call.
    const { tokenId } = await issueNote(keys.alice, carol, 30n, 100_000n);
    for (let i = 0n; i <= max; i++) {
      await send(keys.carol, 'notes', 'transferFrom', [tokenId, bob, 1n]);
    }
    expect(await read('notes', 'balanceOf', [bob])).toBe(max + 1n);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    const first = await send(devKeys.operator, 'currency', 'recoverFrozen', [
      bob,
      replacement.address,
    ]);
    console.log(`recoverFrozen with ${max} notes (one call's most): ${first.gasUsed} gas`);
    expect(events(first, 'notes', 'NotesRecovered')[0]).toMatchObject({
      moved: max,
      complete: false,
    });
    const second = await send(devKeys.operator, 'currency', 'recoverFrozen', [
      bob,
      replacement.address,
    ]);
    expect(events(second, 'notes', 'NotesRecovered')[0]).toMatchObject({
      moved: 1n,
      complete: true,
    });
    expect(await read('notes', 'balanceOf', [bob])).toBe(0n);
    expect(await read('notes', 'balanceOf', [replacement.address])).toBe(max + 1n);
  });

  it('recovers only to a customer account of the same operator, not frozen', async () => {
    const { tokenId } = await issueNote(keys.alice, bob);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    await send(devKeys.operator, 'currency', 'freeze', [carol]);
    // Not the operator itself, another operator, the central bank, another bank's
    // customer or an unknown address: a lost token's replacement is the same customer's
    // new account at the same bank.
    for (const replacement of [operator.address, operator2.address, centralBank.address, dave]) {
      await expect(
        send(devKeys.operator, 'currency', 'recoverFrozen', [bob, replacement]),
      ).rejects.toThrow(/ReplacementNotCustomer/);
    }
    await expect(
      send(devKeys.operator, 'currency', 'recoverFrozen', [bob, stranger]),
    ).rejects.toThrow(/ReplacementNotCustomer/);
    for (const replacement of [carol, bob]) {
      await expect(
        send(devKeys.operator, 'currency', 'recoverFrozen', [bob, replacement]),
      ).rejects.toThrow(/AccountIsFrozen/);
    }
    expect(await balance(bob)).toBe(START);
    expect(await owner(tokenId)).toBe(bob);

    const replacement = await newCustomer();
    await send(devKeys.operator, 'currency', 'recoverFrozen', [bob, replacement.address]);
    expect(await balance(replacement.address)).toBe(START);
    expect(await owner(tokenId)).toBe(replacement.address);
  });

  it('moves only notes in the recovering currency', async () => {
    const other = await acceptedForeignCurrency();
    const maturity = (await ledger.now()) + 30n * DAY;
    const foreign = await send(keys.alice, 'notes', 'issue', [bob, FACE, other.address, maturity]);
    const foreignId = events(foreign, 'notes', 'NoteIssued')[0]!.tokenId as bigint;
    const home = await issueNote(keys.alice, bob);

    const replacement = await newCustomer();
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    const receipt = await send(devKeys.operator, 'currency', 'recoverFrozen', [
      bob,
      replacement.address,
    ]);
    expect(events(receipt, 'notes', 'NotesRecovered')[0]).toMatchObject({ moved: 1n });
    expect(await owner(home.tokenId)).toBe(replacement.address);
    expect(await owner(foreignId)).toBe(bob);
  });

  it('is the currency’s alone: nobody else may call recoverNotes', async () => {
    const { tokenId } = await issueNote(keys.alice, bob);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    for (const key of [devKeys.operator, devKeys.centralBank]) {
      await expect(send(key, 'notes', 'recoverNotes', [bob, carol])).rejects.toThrow(
        /CurrencyNotAccepted/,
      );
    }
    expect(await owner(tokenId)).toBe(bob);
  });
});

describe('recovery examines a bounded number of notes per call, in any currency', () => {
  const recover = async (replacement: Address) => {
    const receipt = await send(devKeys.operator, 'currency', 'recoverFrozen', [bob, replacement]);
    return { receipt, notes: events(receipt, 'notes', 'NotesRecovered')[0]! };
  };

  /** `count` notes of 0.01 from alice to bob, in `currencyAddress` (the home currency by default). */
  async function notesToBob(count: bigint, currencyAddress = currency()) {
    const maturity = (await ledger.now()) + 30n * DAY;
    const tokenIds: bigint[] = [];
    for (let i = 0n; i < count; i++) {
      const receipt = await send(keys.alice, 'notes', 'issue', [
        bob,
        1n,
        currencyAddress,
        maturity,
      ]);
      tokenIds.push(events(receipt, 'notes', 'NoteIssued')[0]!.tokenId as bigint);
    }
    return tokenIds;
  }

  /**
   * Bob is flooded with MAX_NOTES_PER_RECOVERY + 20 notes in another currency, between two
   * home-currency notes issued before and three after, then frozen (in the home currency only).
   */
  async function floodedAndFrozen() {
    const max = await read<bigint>('notes', 'MAX_NOTES_PER_RECOVERY');
    const other = await acceptedForeignCurrency();
    const foreign = max + 20n;
    const home = await notesToBob(2n);
    await notesToBob(foreign, other.address);
    home.push(...(await notesToBob(3n)));
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    return { max, foreign, home, replacement: (await newCustomer()).address };
  }

  it('counts notes in other currencies toward the cap, and finishes over several calls', async () => {
    const { max, foreign, home, replacement } = await floodedAndFrozen();
    // From the end of bob's list: the 3 newest home notes, then 97 foreign ones make 100.
    const first = await recover(replacement);
    console.log(
      `recoverFrozen examining ${max} notes, ${max - 3n} of them in another currency: ${first.receipt.gasUsed} gas`,
    );
    expect(first.notes).toMatchObject({ moved: 3n, complete: false });
    expect((await recover(replacement)).notes).toMatchObject({ moved: 2n, complete: true });
    for (const tokenId of home) expect(await owner(tokenId)).toBe(replacement);
    expect(await read('notes', 'balanceOf', [bob])).toBe(foreign);
    // A new recovery starts again from the end, finds nothing to move, and ends.
    expect((await recover(replacement)).notes).toMatchObject({ moved: 0n, complete: false });
    expect((await recover(replacement)).notes).toMatchObject({ moved: 0n, complete: true });
  });

  it('resumes where it stopped when notes leave the account between calls', async () => {
    const max = await read<bigint>('notes', 'MAX_NOTES_PER_RECOVERY');
    const other = await acceptedForeignCurrency();
    const front = await notesToBob(2n);
    const foreign = await notesToBob(3n, other.address);
    const back = await notesToBob(max - 2n);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    const replacement = (await newCustomer()).address;
    // From the end: the 98 newest home notes and 2 foreign ones make the first call's 100.
    expect((await recover(replacement)).notes).toMatchObject({ moved: max - 2n, complete: false });
    // Bob is not frozen in the other currency: whoever holds his key endorses his foreign
    // notes away (one the recovery has not examined, two it has), each swapping his last note
    // into its place, until his list is shorter than where the recovery stopped.
    for (const tokenId of foreign)
      await send(keys.bob, 'notes', 'transferFrom', [bob, alice, tokenId]);
    expect((await recover(replacement)).notes).toMatchObject({ moved: 2n, complete: true });
    for (const tokenId of [...front, ...back]) expect(await owner(tokenId)).toBe(replacement);
    expect(await read('notes', 'balanceOf', [bob])).toBe(0n);
  });

  it('starts again from the end when a note in the currency arrives between calls', async () => {
    const { home, replacement } = await floodedAndFrozen();
    expect((await recover(replacement)).notes).toMatchObject({ moved: 3n, complete: false });
    // The bank lets bob receive for a moment: a note lands at the end of his list, behind
    // where the recovery stopped.
    await send(devKeys.operator, 'currency', 'unfreeze', [bob]);
    const late = await issueNote(keys.alice, bob);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    let calls = 0;
    for (let done = false; !done && calls < 5; calls++) {
      done = (await recover(replacement)).notes.complete as boolean;
    }
    expect(calls).toBe(2);
    for (const tokenId of [...home, late.tokenId]) expect(await owner(tokenId)).toBe(replacement);
  });
});

describe('a system contract that fails holds back only its own notes', () => {
  it('the note contract refusing: the money moves, an event names it, and a later call moves the notes', async () => {
    const replacement = await newCustomer();
    const { tokenId } = await issueNote(keys.alice, bob);
    // The central bank takes the home currency off the note contract's list.
    await send(devKeys.centralBank, 'notes', 'setCurrencyAccepted', [currency(), false]);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    const receipt = await send(devKeys.operator, 'currency', 'recoverFrozen', [
      bob,
      replacement.address,
    ]);
    expect(events(receipt, 'currency', 'FundsRecovered')).toEqual([
      { lost: bob, replacement: replacement.address, amount: START },
    ]);
    expect(events(receipt, 'currency', 'NotesNotRecovered')).toEqual([
      {
        systemContract: notes(),
        lost: bob,
        replacement: replacement.address,
        reason: toFunctionSelector('CurrencyNotAccepted(address)'),
      },
    ]);
    expect(await balance(replacement.address)).toBe(START);
    expect(await owner(tokenId)).toBe(bob);

    await send(devKeys.centralBank, 'notes', 'setCurrencyAccepted', [currency(), true]);
    const again = await send(devKeys.operator, 'currency', 'recoverFrozen', [
      bob,
      replacement.address,
    ]);
    expect(events(again, 'currency', 'FundsRecovered')).toMatchObject([{ amount: 0n }]);
    expect(events(again, 'currency', 'NotesNotRecovered')).toEqual([]);
    expect(await owner(tokenId)).toBe(replacement.address);
  });

  it('one that is no contract, or uses up its gas: the money and the note contract’s notes still move', async () => {
    const systemRole = await role('SYSTEM_CONTRACT_ROLE');
    // Runtime code INVALID (0xfe): every call to it uses up all the gas it was given.
    const deployed = await ledger.publicClient.waitForTransactionReceipt({
      hash: await ledger
        .wallet(devKeys.centralBank)
        .deployContract({ abi: [], bytecode: '0x60fe5f5360015ff3' }),
    });
    const gasEater = getAddress(deployed.contractAddress!);
    expect(await ledger.publicClient.getCode({ address: gasEater })).toBe('0xfe');
    // The central bank appoints an account without code (a relayer, by mistake) and the eater.
    await send(devKeys.centralBank, 'currency', 'grantRole', [systemRole, stranger]);
    await send(devKeys.centralBank, 'currency', 'grantRole', [systemRole, gasEater]);
    const replacement = await newCustomer();
    const { tokenId } = await issueNote(keys.alice, bob);
    await send(devKeys.operator, 'currency', 'freeze', [bob]);

    // Too little gas to give the eater its whole share: not its failure to record.
    await expect(
      send(devKeys.operator, 'currency', 'recoverFrozen', [bob, replacement.address], {
        gas: 5_000_000n,
      }),
    ).rejects.toThrow(/RecoveryOutOfGas/);
    expect(await balance(bob)).toBe(START);

    const receipt = await send(devKeys.operator, 'currency', 'recoverFrozen', [
      bob,
      replacement.address,
    ]);
    console.log(
      `recoverFrozen past a system contract that uses up its gas: ${receipt.gasUsed} gas`,
    );
    const failed = { lost: bob, replacement: replacement.address, reason: '0x00000000' };
    expect(events(receipt, 'currency', 'NotesNotRecovered')).toEqual([
      { systemContract: stranger, ...failed },
      { systemContract: gasEater, ...failed },
    ]);
    expect(events(receipt, 'notes', 'NotesRecovered')).toMatchObject([{ moved: 1n }]);
    expect(await balance(replacement.address)).toBe(START);
    expect(await owner(tokenId)).toBe(replacement.address);
  });

  it('a recovery starved of gas fails whole instead of leaving the notes behind', async () => {
    for (let i = 0; i < 10; i++) await issueNote(keys.alice, bob);
    const replacement = await newCustomer();
    await send(devKeys.operator, 'currency', 'freeze', [bob]);
    const args = [bob, replacement.address] as const;
    const gas = await ledger.publicClient.estimateContractGas({
      ...contract('currency'),
      functionName: 'recoverFrozen',
      args,
      account: operator.address,
    });
    // Enough to move the money, not the notes.
    await expect(
      send(devKeys.operator, 'currency', 'recoverFrozen', args, { gas: (gas * 6n) / 10n }),
    ).rejects.toThrow(/RecoveryOutOfGas/);
    expect(await balance(bob)).toBe(START);
    expect(await read('notes', 'balanceOf', [bob])).toBe(10n);

    // The estimate itself is enough for everything.
    const receipt = await send(devKeys.operator, 'currency', 'recoverFrozen', args, { gas });
    console.log(`recoverFrozen with 10 notes: ${receipt.gasUsed} gas (estimated ${gas})`);
    expect(events(receipt, 'notes', 'NotesRecovered')).toMatchObject([
      { moved: 10n, complete: true },
    ]);
    expect(events(receipt, 'currency', 'NotesNotRecovered')).toEqual([]);
    expect(await balance(replacement.address)).toBe(START);
  });
});

describe('operator powers end with the role', () => {
  it('a revoked operator can no longer freeze, unfreeze or recover its former customers', async () => {
    const replacement = await newCustomer(operator2Key);
    const erin = await newCustomer(operator2Key);
    await send(operator2Key, 'currency', 'freeze', [dave]);
    await send(devKeys.centralBank, 'currency', 'revokeRole', [
      await role('OPERATOR_ROLE'),
      operator2.address,
    ]);
    await expect(send(operator2Key, 'currency', 'freeze', [erin.address])).rejects.toThrow(
      /NotAnOperator/,
    );
    await expect(send(operator2Key, 'currency', 'unfreeze', [dave])).rejects.toThrow(
      /NotAnOperator/,
    );
    await expect(
      send(operator2Key, 'currency', 'recoverFrozen', [dave, replacement.address]),
    ).rejects.toThrow(/NotAnOperator/);
    expect(await frozen(dave)).toBe(true);
    expect(await frozen(erin.address)).toBe(false);
    expect(await balance(dave)).toBe(START);
  });

  it('the central bank moves a customer to another operator, who then acts on it alone', async () => {
    await send(operator2Key, 'currency', 'freeze', [dave]);
    await expect(
      send(devKeys.operator, 'currency', 'reassignAccount', [dave, operator.address]),
    ).rejects.toThrow(/AccessControlUnauthorizedAccount/);
    await expect(
      send(devKeys.centralBank, 'currency', 'reassignAccount', [dave, carol]),
    ).rejects.toThrow(/NotAnOperator/);
    await expect(
      send(devKeys.centralBank, 'currency', 'reassignAccount', [stranger, operator.address]),
    ).rejects.toThrow(/NotRegistered/);

    const receipt = await send(devKeys.centralBank, 'currency', 'reassignAccount', [
      dave,
      operator.address,
    ]);
    expect(events(receipt, 'currency', 'AccountReassigned')).toEqual([
      { account: dave, from: operator2.address, to: operator.address },
    ]);
    expect(await read('currency', 'operatorOf', [dave])).toBe(operator.address);
    expect(await frozen(dave)).toBe(true); // the freeze goes with the account
    await expect(send(operator2Key, 'currency', 'unfreeze', [dave])).rejects.toThrow(
      /NotAccountOperator/,
    );
    await send(devKeys.operator, 'currency', 'unfreeze', [dave]);
    await send(keys.dave, 'currency', 'transfer', [alice, 1n]);
  });

  it('an operator cannot take over an address another has registered, even a revoked one', async () => {
    await expect(
      send(devKeys.operator, 'currency', 'registerAccount', [dave, keccak256(dave)]),
    ).rejects.toThrow(/AlreadyRegistered/);
    await send(devKeys.centralBank, 'currency', 'revokeRole', [
      await role('OPERATOR_ROLE'),
      operator2.address,
    ]);
    await expect(
      send(devKeys.operator, 'currency', 'registerAccount', [dave, keccak256(dave)]),
    ).rejects.toThrow(/AlreadyRegistered/);
    expect(await read('currency', 'operatorOf', [dave])).toBe(operator2.address);
  });

  it('an operator whose role was revoked cannot pass on notes it holds', async () => {
    const { tokenId } = await issueNote(keys.alice, operator2.address);
    await send(devKeys.centralBank, 'currency', 'revokeRole', [
      await role('OPERATOR_ROLE'),
      operator2.address,
    ]);
    await expect(
      send(operator2Key, 'notes', 'transferFrom', [operator2.address, bob, tokenId]),
    ).rejects.toThrow(/NotRegistered/);
  });
});

describe('nobody frozen or unregistered spends on another’s behalf', () => {
  it('transferFrom: a frozen or unregistered spender cannot use its allowance', async () => {
    await send(keys.alice, 'currency', 'approve', [carol, 100_00n]);
    await send(keys.alice, 'currency', 'approve', [stranger, 100_00n]);
    await send(devKeys.operator, 'currency', 'freeze', [carol]);
    await expect(send(keys.carol, 'currency', 'transferFrom', [alice, bob, 1_00n])).rejects.toThrow(
      /AccountIsFrozen/,
    );
    await expect(
      send(keys.stranger, 'currency', 'transferFrom', [alice, bob, 1_00n]),
    ).rejects.toThrow(/NotRegistered/);
    expect(await balance(alice)).toBe(START);
    await send(devKeys.operator, 'currency', 'unfreeze', [carol]);
    await send(keys.carol, 'currency', 'transferFrom', [alice, bob, 1_00n]);
    expect(await balance(bob)).toBe(START + 1_00n);
  });

  it('permit: refused for a frozen or unregistered owner or spender; a system contract may be the spender', async () => {
    await send(devKeys.operator, 'currency', 'freeze', [carol]);
    await expect(
      send(keys.bob, 'currency', 'permit', await permit(keys.carol, bob, 1n)),
    ).rejects.toThrow(/AccountIsFrozen/);
    await expect(
      send(keys.bob, 'currency', 'permit', await permit(keys.alice, carol, 1n)),
    ).rejects.toThrow(/AccountIsFrozen/);
    await expect(
      send(keys.bob, 'currency', 'permit', await permit(keys.stranger, bob, 1n)),
    ).rejects.toThrow(/NotRegistered/);
    await expect(
      send(keys.bob, 'currency', 'permit', await permit(keys.alice, stranger, 1n)),
    ).rejects.toThrow(/NotRegistered/);
    await send(keys.bob, 'currency', 'permit', await permit(keys.alice, notes(), 5n));
    expect(await read('currency', 'allowance', [alice, notes()])).toBe(5n);
  });

  it('EIP-3009: a third party submitting an authorisation must be active', async () => {
    const byStranger = await authorization(keys.alice, 'TransferWithAuthorization', bob, 1_00n);
    await expect(
      send(keys.stranger, 'currency', 'transferWithAuthorization', byStranger.args),
    ).rejects.toThrow(/NotRegistered/);
    await send(devKeys.operator, 'currency', 'freeze', [carol]);
    await expect(
      send(keys.carol, 'currency', 'transferWithAuthorization', byStranger.args),
    ).rejects.toThrow(/AccountIsFrozen/);
    expect(await read('currency', 'authorizationState', [alice, byStranger.nonce])).toBe(false);
    // The payer itself, or an active payee, may submit it.
    await send(keys.alice, 'currency', 'transferWithAuthorization', byStranger.args);
    const byPayee = await authorization(keys.alice, 'TransferWithAuthorization', bob, 2_00n);
    await send(keys.bob, 'currency', 'transferWithAuthorization', byPayee.args);
    expect(await balance(bob)).toBe(START + 3_00n);
  });

  it('the note contract collects only while it is a system contract, which only the central bank decides', async () => {
    const systemRole = await role('SYSTEM_CONTRACT_ROLE');
    expect(await read('currency', 'getRoleMembers', [systemRole])).toEqual([
      notes(),
      ledger.profile.contracts.offlinePurse,
    ]);
    expect(await read('currency', 'getRoleAdmin', [systemRole])).toBe(
      await role('CENTRAL_BANK_ROLE'),
    );
    await expect(
      send(devKeys.operator, 'currency', 'grantRole', [systemRole, stranger]),
    ).rejects.toThrow(/AccessControlUnauthorizedAccount/);

    const { tokenId, maturity } = await issueNote(keys.alice, bob);
    const offer = await financeOffer(keys.bob, {
      tokenId,
      value: 100_00n,
      bank: operator.address,
      price: 99_00n,
    });
    await send(devKeys.centralBank, 'currency', 'revokeRole', [systemRole, notes()]);
    // Not a system contract: it is an unregistered spender like any other.
    await expect(
      send(devKeys.operator, 'notes', 'finance', [offer.message, offer.signature]),
    ).rejects.toThrow(/NotRegistered/);
    await passMaturity(maturity);
    // And a redemption it cannot collect is refused, not recorded as the acceptor's default.
    await expect(send(keys.bob, 'notes', 'redeem', [tokenId])).rejects.toThrow(/NotSystemContract/);
    expect(await read('notes', 'isDishonoured', [tokenId])).toBe(false);
  });
});

describe('notes only in accepted currencies', () => {
  it('refuses a currency the central bank has not accepted', async () => {
    expect(await read('notes', 'homeCurrency')).toBe(currency());
    expect(await read('notes', 'isCurrencyAccepted', [currency()])).toBe(true);
    const other = await deployCurrency();
    await other.send(devKeys.operator, 'registerAccount', [alice, keccak256(alice)]);
    await other.send(devKeys.operator, 'registerAccount', [bob, keccak256(bob)]);
    const maturity = (await ledger.now()) + 30n * DAY;
    const args = [bob, FACE, other.address, maturity];
    await expect(send(keys.alice, 'notes', 'issue', args)).rejects.toThrow(/CurrencyNotAccepted/);

    const accepted = await send(devKeys.centralBank, 'notes', 'setCurrencyAccepted', [
      other.address,
      true,
    ]);
    expect(events(accepted, 'notes', 'CurrencyAcceptanceChanged')).toEqual([
      { currency: other.address, accepted: true },
    ]);
    await send(keys.alice, 'notes', 'issue', args);

    await send(devKeys.centralBank, 'notes', 'setCurrencyAccepted', [other.address, false]);
    await expect(send(keys.alice, 'notes', 'issue', args)).rejects.toThrow(/CurrencyNotAccepted/);
  });

  it('lets only the central bank change the list', async () => {
    for (const key of [devKeys.operator, keys.alice]) {
      await expect(send(key, 'notes', 'setCurrencyAccepted', [stranger, true])).rejects.toThrow(
        /NotCentralBank/,
      );
    }
    await expect(
      send(devKeys.centralBank, 'notes', 'setCurrencyAccepted', [
        '0x0000000000000000000000000000000000000000',
        true,
      ]),
    ).rejects.toThrow(/ZeroAddress/);
  });

  it('is deployed for one currency, never none', async () => {
    const data = encodeDeployData({
      abi: artifacts.DigitalNote.abi,
      bytecode: artifacts.DigitalNote.bytecode,
      args: ['0x0000000000000000000000000000000000000000'],
    });
    // Hardhat reports a constructor's custom error only by its data, in the message.
    await expect(
      ledger.publicClient.call({ account: privateKeyToAccount(devKeys.centralBank).address, data }),
    ).rejects.toThrow(toFunctionSelector('ZeroAddress()'));
  });
});
