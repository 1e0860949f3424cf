/**
 * Beyond single-rule tests: fast-check drives random sequences of currency and
 * note operations (issue, transfer, allowances, permit, EIP-3009, freeze,
 * unfreeze, recover, reassign, note issue/split/endorse/finance/redeem, time
 * passing) against the real contracts on a dev ledger, from every actor
 * (central bank, two operators, five customers, one unregistered stranger),
 * and after every step reads the whole state back from the chain and checks:
 *
 * - total supply = the sum of all balances; supply changes only by issue;
 * - a frozen account's money and notes do not move, except by its recovery
 *   (which moves all of them to the replacement: an active customer of the same
 *   operator, never the operator itself, the central bank or another bank's
 *   customer), and a recovery moves no one else's money;
 * - the value of notes in a slot is conserved by splits, endorsements and
 *   finance: it grows only by issue and shrinks only by redemption;
 * - no note changes hands or value at or after maturity, except by redemption
 *   or recovery;
 * - every note is held by an account registered in its currency; the stranger
 *   holds nothing.
 *
 * Operations pick their targets from the state just read (a held note, a frozen
 * account to recover), so most do something; many are refused, which is fine:
 * the invariants must hold either way. Each sequence starts from the same chain
 * state (evm_snapshot/evm_revert).
 */
import fc from 'fast-check';
import {
  type Abi,
  type Address,
  decodeErrorResult,
  encodeFunctionData,
  type Hex,
  keccak256,
  maxUint256,
  parseEventLogs,
  parseGwei,
  type TransactionReceipt,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { devKeys } from '../ledger/deploy.js';
import { artifacts, chainContracts, DAY, type Target } from './support/chain-contracts.js';
import { useDevChain } from './support/dev-chain.js';

const ledger = useDevChain();
const helpers = chainContracts(ledger);

/** Sequences and their length: about 40 s on two shared cores. Override with PROPERTY_RUNS. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);
const SEED = Number(process.env.PROPERTY_SEED ?? Date.now() % 2 ** 31);
const MAX_STEPS = 40;

// ------------------------------------------------------------------------------------
// Actors
// ------------------------------------------------------------------------------------

const operator2Key: Hex = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
const customerKeys = Array.from({ length: 5 }, () => generatePrivateKey());
const strangerKey = generatePrivateKey();

interface Actor {
  name: string;
  key: Hex;
  address: Address;
}
const actor = (name: string, key: Hex): Actor => ({
  name,
  key,
  address: privateKeyToAccount(key).address,
});
const centralBank = actor('central bank', devKeys.centralBank);
const operators = [actor('operator A', devKeys.operator), actor('operator B', operator2Key)];
/** c0–c2 are operator A's customers, c3–c4 operator B's; c4 never approves paying its notes. */
const customers = customerKeys.map((key, i) => actor(`c${i}`, key));
const stranger = actor('stranger', strangerKey);
const everyone = [centralBank, ...operators, ...customers, stranger];
/** Who may hold or issue notes, pay and be paid (the central bank only issues to operators). */
const parties = [...operators, ...customers, stranger];
const nameOf = (address: string) =>
  everyone.find((a) => a.address.toLowerCase() === address.toLowerCase())?.name ?? address;

// ------------------------------------------------------------------------------------
// Reading the whole state at one block
// ------------------------------------------------------------------------------------

interface NoteState {
  owner: Address;
  value: bigint;
  slot: bigint;
}
interface ChainState {
  block: bigint;
  timestamp: bigint;
  totalSupply: bigint;
  /** What the offline purse contract holds (the dev operator's guarantee pool; no actor uses purses here). */
  purseHeld: bigint;
  balance: Map<Address, bigint>;
  frozen: Map<Address, boolean>;
  registered: Map<Address, boolean>;
  /** The operator that registered a customer; zero for everyone else. */
  operatorOf: Map<Address, Address>;
  notes: Map<bigint, NoteState>;
}

const slotMaturity = new Map<bigint, bigint>();
const slotAcceptor = new Map<bigint, Address>();
const currencyContract = () => ({
  address: ledger.profile.contracts.currency as Address,
  abi: artifacts.DigitalCurrency.abi as Abi,
});
const notesContract = () => ({
  address: ledger.profile.contracts.notes as Address,
  abi: artifacts.DigitalNote.abi as Abi,
});

/** Every read in one deployless multicall (one eth_call) at `blockNumber`. */
async function multicall(
  blockNumber: bigint,
  calls: { contract: ReturnType<typeof notesContract>; functionName: string; args: unknown[] }[],
): Promise<unknown[]> {
  if (calls.length === 0) return [];
  return ledger.publicClient.multicall({
    contracts: calls.map(({ contract, functionName, args }) => ({
      ...contract,
      functionName,
      args,
    })),
    allowFailure: false,
    deployless: true,
    batchSize: 0,
    blockNumber,
  }) as Promise<unknown[]>;
}

async function readState(): Promise<ChainState> {
  const head = await ledger.publicClient.getBlock();
  const at = head.number;
  const currency = currencyContract();
  const notes = notesContract();
  const perActor = everyone.flatMap((a) =>
    ['balanceOf', 'isFrozen', 'isRegistered', 'operatorOf'].map((functionName) => ({
      contract: currency,
      functionName,
      args: [a.address],
    })),
  );
  const first = await multicall(at, [
    ...perActor,
    { contract: currency, functionName: 'totalSupply', args: [] },
    { contract: notes, functionName: 'totalSupply', args: [] },
    {
      contract: currency,
      functionName: 'balanceOf',
      args: [ledger.profile.contracts.offlinePurse],
    },
  ]);
  const state: ChainState = {
    block: at,
    timestamp: head.timestamp,
    totalSupply: first[perActor.length] as bigint,
    purseHeld: first[perActor.length + 2] as bigint,
    balance: new Map(),
    frozen: new Map(),
    registered: new Map(),
    operatorOf: new Map(),
    notes: new Map(),
  };
  everyone.forEach((a, i) => {
    state.balance.set(a.address, first[4 * i] as bigint);
    state.frozen.set(a.address, first[4 * i + 1] as boolean);
    state.registered.set(a.address, first[4 * i + 2] as boolean);
    state.operatorOf.set(a.address, first[4 * i + 3] as Address);
  });
  const count = Number(first[perActor.length + 1] as bigint);
  const ids = (await multicall(
    at,
    Array.from({ length: count }, (_, i) => ({
      contract: notes,
      functionName: 'tokenByIndex',
      args: [BigInt(i)],
    })),
  )) as bigint[];
  const facts = await multicall(
    at,
    ids.flatMap((id) =>
      ['ownerOf', 'balanceOf', 'slotOf'].map((functionName) => ({
        contract: notes,
        functionName,
        args: [id],
      })),
    ),
  );
  ids.forEach((id, i) => {
    state.notes.set(id, {
      owner: facts[3 * i] as Address,
      value: facts[3 * i + 1] as bigint,
      slot: facts[3 * i + 2] as bigint,
    });
  });
  const unknownSlots = [...new Set([...state.notes.values()].map((n) => n.slot))].filter(
    (slot) => !slotMaturity.has(slot),
  );
  const infos = (await multicall(
    at,
    unknownSlots.map((slot) => ({ contract: notes, functionName: 'slotInfo', args: [slot] })),
  )) as [Address, Address, bigint][];
  for (const [i, slot] of unknownSlots.entries()) {
    slotAcceptor.set(slot, infos[i]![0]);
    slotMaturity.set(slot, infos[i]![2]);
  }
  return state;
}

const notesOf = (state: ChainState, owner: Address) =>
  [...state.notes].filter(([, n]) => n.owner === owner).sort(([a], [b]) => (a < b ? -1 : 1));
const slotTotals = (state: ChainState) => {
  const totals = new Map<bigint, bigint>();
  for (const n of state.notes.values()) totals.set(n.slot, (totals.get(n.slot) ?? 0n) + n.value);
  return totals;
};

// ------------------------------------------------------------------------------------
// Sending: signed locally, gas and fees fixed, so a refused call is mined as a failure
// ------------------------------------------------------------------------------------

const nonces = new Map<Address, number>();
const allErrors = [...artifacts.DigitalCurrency.abi, ...artifacts.DigitalNote.abi].filter(
  (item) => item.type === 'error',
) as Abi;

/** 'ok', or the name of the custom error (or reason) the call was refused with. */
async function submit(
  who: Actor,
  target: Target,
  functionName: string,
  args: readonly unknown[],
  gas = 4_000_000n,
): Promise<string> {
  return (await submitted(who, target, functionName, args, gas)).result;
}

async function submitted(
  who: Actor,
  target: Target,
  functionName: string,
  args: readonly unknown[],
  gas = 4_000_000n,
): Promise<{ result: string; receipt?: TransactionReceipt }> {
  const to = (target === 'currency' ? currencyContract() : notesContract()).address;
  const abi = (target === 'currency' ? currencyContract() : notesContract()).abi;
  let nonce = nonces.get(who.address);
  if (nonce === undefined) {
    nonce = await ledger.publicClient.getTransactionCount({ address: who.address });
  }
  const raw = await privateKeyToAccount(who.key).signTransaction({
    type: 'eip1559',
    chainId: ledger.profile.chainId,
    to,
    data: encodeFunctionData({ abi, functionName, args }),
    gas,
    nonce,
    maxFeePerGas: parseGwei('50'),
    maxPriorityFeePerGas: 0n,
  });
  nonces.set(who.address, nonce + 1); // mined either way: a revert uses the nonce too
  try {
    const hash = await ledger.publicClient.request({
      method: 'eth_sendRawTransaction',
      params: [raw],
    });
    const receipt = await ledger.publicClient.getTransactionReceipt({ hash });
    return { result: receipt.status === 'success' ? 'ok' : 'reverted', receipt };
  } catch (error) {
    // Hardhat answers a reverted transaction with an error (it is still mined).
    const data = /return data: (0x[0-9a-f]+)/.exec(String(error))?.[1] as Hex | undefined;
    if (data) {
      try {
        return { result: decodeErrorResult({ abi: allErrors, data }).errorName };
      } catch {}
    }
    const reason = /reverted with reason string '([^']+)'/.exec(String(error))?.[1];
    if (reason) return { result: reason };
    if (/revert|VM Exception/.test(String(error))) return { result: 'reverted' };
    nonces.delete(who.address); // not sent: ask the chain again next time
    throw error;
  }
}

// ------------------------------------------------------------------------------------
// Operations: what fast-check generates, resolved against the state just read
// ------------------------------------------------------------------------------------

const pick = <T>(list: readonly T[], n: number): T | undefined =>
  list.length === 0 ? undefined : list[n % list.length];
const party = fc.nat({ max: parties.length - 1 });
const customer = fc.nat({ max: customers.length - 1 });
/** A share of what the payer has, in percent; above 100 asks for too much. */
const share = fc.integer({ min: 1, max: 120 });
const pickN = fc.nat();
/** An operation of kind `kind` with these fields, chosen `weight` times as often as a weight-1 one. */
function w<K extends string, F extends Record<string, fc.Arbitrary<unknown>>>(
  weight: number,
  kind: K,
  fields: F,
): { weight: number; arbitrary: fc.Arbitrary<{ kind: K } & { [P in keyof F]: Generated<F[P]> }> } {
  return { weight, arbitrary: fc.record({ kind: fc.constant(kind), ...fields }) as never };
}
type Generated<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** Weighted towards what exercises the rules: freezes, recoveries and note movements. */
const opArb = fc.oneof(
  w(1, 'issue', { op: fc.nat({ max: 1 }), amount: fc.bigInt(1n, 10_000_00n) }),
  w(3, 'transfer', { from: party, to: party, share }),
  w(1, 'approve', { owner: party, spender: party }),
  w(2, 'transferFrom', { spender: party, owner: party, to: party, share }),
  w(1, 'permit', { owner: party, spender: party, submitter: party }),
  w(2, 'authorization', { from: party, to: party, submitter: party, share }),
  w(3, 'freeze', { account: customer, byOwnOperator: fc.boolean() }),
  w(1, 'unfreeze', { pick: pickN }),
  // Half the time a customer of the same bank; otherwise anyone (most must be refused).
  w(2, 'recover', { pick: pickN, sameBank: fc.boolean(), replacement: fc.nat() }),
  w(1, 'reassign', { account: customer, op: fc.nat({ max: 1 }) }),
  w(3, 'noteIssue', {
    acceptor: party,
    payee: party,
    face: fc.bigInt(1n, 5_000_00n),
    days: fc.integer({ min: 1, max: 45 }),
  }),
  w(3, 'noteSplit', { note: pickN, to: party, share, byOwner: fc.boolean() }),
  w(3, 'noteEndorse', { note: pickN, to: party }),
  w(2, 'noteMerge', { note: pickN, into: pickN, share }),
  w(3, 'noteFinance', { note: pickN, bank: party, share }),
  w(3, 'noteRedeem', { note: pickN }),
  w(2, 'time', { days: fc.integer({ min: 1, max: 30 }) }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** What a step did, for the invariants: which op, and whether the chain accepted it. */
interface Outcome {
  kind: Op['kind'];
  result: string;
  /** A successful recovery: who lost, who replaced. */
  recovered?: { lost: Address; replacement: Address };
  /** A successful note issue: its face value (the new note is the one not there before). */
  issuedFace?: bigint;
  /** A paid redemption: which note, who was paid, who paid. */
  redeemed?: { id: bigint; holder: Address; acceptor: Address };
  /** A successful currency issue: how much was created. */
  minted?: bigint;
}

const amountOf = (state: ChainState, who: Actor, percent: number) =>
  (state.balance.get(who.address)! * BigInt(percent)) / 100n || 1n;
const operatorOf = (c: number) => operators[c < 3 ? 0 : 1]!;

async function run(op: Op, state: ChainState): Promise<Outcome> {
  const done = (result: string, extra: Partial<Outcome> = {}): Outcome => ({
    kind: op.kind,
    result,
    ...extra,
  });
  const liveNotes = [...state.notes.keys()].sort((a, b) => (a < b ? -1 : 1));
  const holderOf = (id: bigint) => everyone.find((a) => a.address === state.notes.get(id)!.owner)!;
  switch (op.kind) {
    case 'issue': {
      const amount = op.amount;
      const r = await submit(centralBank, 'currency', 'issue', [operators[op.op]!.address, amount]);
      return done(r, r === 'ok' ? { minted: amount } : {});
    }
    case 'transfer': {
      const from = parties[op.from]!;
      const amount = amountOf(state, from, op.share);
      return done(await submit(from, 'currency', 'transfer', [parties[op.to]!.address, amount]));
    }
    case 'approve': {
      const owner = parties[op.owner]!;
      return done(
        await submit(owner, 'currency', 'approve', [parties[op.spender]!.address, maxUint256]),
      );
    }
    case 'transferFrom': {
      // Customers gave every party 5,000.00 in the setup.
      const owner = parties[op.owner]!;
      const amount = (5_000_00n * BigInt(op.share)) / 100n;
      const args = [owner.address, parties[op.to]!.address, amount];
      return done(await submit(parties[op.spender]!, 'currency', 'transferFrom', args));
    }
    case 'permit': {
      const args = await helpers.permit(
        parties[op.owner]!.key,
        parties[op.spender]!.address,
        1_000_00n,
      );
      return done(await submit(parties[op.submitter]!, 'currency', 'permit', args));
    }
    case 'authorization': {
      const from = parties[op.from]!;
      const auth = await helpers.authorization(
        from.key,
        'TransferWithAuthorization',
        parties[op.to]!.address,
        amountOf(state, from, op.share),
      );
      return done(
        await submit(parties[op.submitter]!, 'currency', 'transferWithAuthorization', auth.args),
      );
    }
    case 'freeze': {
      // Mostly its own operator; otherwise the other one, which must be refused.
      const c = customers[op.account]!;
      const own = operatorByAccount.get(c.address);
      const by = operators.find((o) => (o.address === own) === op.byOwnOperator)!;
      return done(await submit(by, 'currency', 'freeze', [c.address]));
    }
    case 'unfreeze': {
      const frozen = customers.filter((c) => state.frozen.get(c.address));
      const c = pick(frozen, op.pick) ?? pick(customers, op.pick)!;
      const by = operators.find((o) => o.address === operatorByAccount.get(c.address))!;
      return done(await submit(by, 'currency', 'unfreeze', [c.address]));
    }
    case 'recover': {
      const frozen = customers.filter((c) => state.frozen.get(c.address));
      const lost = pick(frozen, op.pick) ?? pick(customers, op.pick)!;
      const bank = operatorByAccount.get(lost.address);
      const sameBank = customers.filter(
        (c) => c !== lost && operatorByAccount.get(c.address) === bank,
      );
      const replacement =
        (op.sameBank ? pick(sameBank, op.replacement) : undefined) ??
        pick(everyone, op.replacement)!;
      const by = operators.find((o) => o.address === bank)!;
      const r = await submit(
        by,
        'currency',
        'recoverFrozen',
        [lost.address, replacement.address],
        20_000_000n,
      );
      if (r === 'ok') stats.notesRecovered += notesOf(state, lost.address).length;
      return done(
        r,
        r === 'ok' ? { recovered: { lost: lost.address, replacement: replacement.address } } : {},
      );
    }
    case 'reassign': {
      const c = customers[op.account]!;
      const to = operators[op.op]!;
      const r = await submit(centralBank, 'currency', 'reassignAccount', [c.address, to.address]);
      if (r === 'ok') operatorByAccount.set(c.address, to.address);
      return done(r);
    }
    case 'noteIssue': {
      const maturity = state.timestamp + BigInt(op.days) * DAY;
      const args = [parties[op.payee]!.address, op.face, currencyContract().address, maturity];
      const r = await submit(parties[op.acceptor]!, 'notes', 'issue', args);
      return done(r, r === 'ok' ? { issuedFace: op.face } : {});
    }
    case 'noteSplit': {
      const id = pick(liveNotes, op.note);
      if (id === undefined) return done('skipped');
      const holder = holderOf(id);
      const sender = op.byOwner ? holder : pick(parties, op.note + 1)!;
      const value = (state.notes.get(id)!.value * BigInt(op.share)) / 100n || 1n;
      return done(
        await submit(sender, 'notes', 'transferFrom', [id, parties[op.to]!.address, value]),
      );
    }
    case 'noteEndorse': {
      const id = pick(liveNotes, op.note);
      if (id === undefined) return done('skipped');
      const holder = holderOf(id);
      const args = [holder.address, parties[op.to]!.address, id];
      return done(await submit(holder, 'notes', 'transferFrom', args));
    }
    case 'noteMerge': {
      const id = pick(liveNotes, op.note);
      if (id === undefined) return done('skipped');
      // Into another note of the same slot (ERC-3525 value transfer between notes).
      const sameSlot = liveNotes.filter(
        (other) => other !== id && state.notes.get(other)!.slot === state.notes.get(id)!.slot,
      );
      const into = pick(sameSlot, op.into);
      if (into === undefined) return done('skipped');
      const value = (state.notes.get(id)!.value * BigInt(op.share)) / 100n || 1n;
      return done(await submit(holderOf(id), 'notes', 'transferFrom', [id, into, value]));
    }
    case 'noteFinance': {
      const id = pick(liveNotes, op.note);
      if (id === undefined) return done('skipped');
      const holder = holderOf(id);
      const bank = parties[op.bank]!;
      const value = (state.notes.get(id)!.value * BigInt(Math.min(op.share, 100))) / 100n || 1n;
      const offer = await helpers.financeOffer(holder.key, {
        tokenId: id,
        value,
        bank: bank.address,
        price: (value * 95n) / 100n,
      });
      return done(await submit(bank, 'notes', 'finance', [offer.message, offer.signature]));
    }
    case 'noteRedeem': {
      // A matured note if there is one.
      const matured = liveNotes.filter(
        (id) => slotMaturity.get(state.notes.get(id)!.slot)! <= state.timestamp,
      );
      const id = pick(matured, op.note) ?? pick(liveNotes, op.note);
      if (id === undefined) return done('skipped');
      const holder = holderOf(id);
      const { result, receipt } = await submitted(holder, 'notes', 'redeem', [id]);
      if (result !== 'ok') return done(result);
      // A redemption the acceptor does not pay succeeds too, as a recorded dishonour.
      const paid = parseEventLogs({
        abi: notesContract().abi,
        logs: receipt!.logs,
        eventName: 'NoteRedeemed',
      });
      if (paid.length === 0) return done('dishonoured');
      const acceptor = slotAcceptor.get(state.notes.get(id)!.slot)!;
      return done('paid', { redeemed: { id, holder: holder.address, acceptor } });
    }
    case 'time': {
      await ledger.increaseTime(BigInt(op.days) * DAY);
      await ledger.mine();
      return done('ok');
    }
  }
}

/** Each customer's operator as this sequence has it (reassign changes it). */
const operatorByAccount = new Map<Address, Address>();

// ------------------------------------------------------------------------------------
// The invariants, between the state before a step and the state after it
// ------------------------------------------------------------------------------------

function checkInvariants(before: ChainState, after: ChainState, outcome: Outcome): void {
  const where = `after ${outcome.kind} (${outcome.result}) at block ${after.block}`;

  // Total supply equals the sum of all balances (every holder of money is an actor here, or
  // the offline purse contract, whose holding never moves in these sequences), and changes
  // only by issue.
  expect(after.purseHeld, `offline purse contract's money ${where}`).toBe(before.purseHeld);
  const sum = [...after.balance.values()].reduce((a, b) => a + b, after.purseHeld);
  expect(sum, `sum of balances ${where}`).toBe(after.totalSupply);
  expect(after.totalSupply, `supply ${where}`).toBe(before.totalSupply + (outcome.minted ?? 0n));

  // Nobody unregistered holds money or notes.
  for (const [address, registered] of after.registered) {
    if (registered) continue;
    expect(after.balance.get(address), `money of unregistered ${nameOf(address)} ${where}`).toBe(
      0n,
    );
    expect(notesOf(after, address), `notes of unregistered ${nameOf(address)} ${where}`).toEqual(
      [],
    );
  }
  for (const [id, note] of after.notes) {
    expect(after.registered.get(note.owner), `holder of note ${id} ${where}`).toBe(true);
  }

  // A frozen account's money and notes do not move, except by its recovery.
  for (const [address, wasFrozen] of before.frozen) {
    if (!wasFrozen) continue;
    const recovered = outcome.recovered;
    if (recovered?.lost === address) {
      // The same customer's new account at the same bank, able to receive.
      const { replacement } = recovered;
      expect(before.operatorOf.get(replacement), `bank of replacement ${where}`).toBe(
        before.operatorOf.get(address),
      );
      expect(before.frozen.get(replacement), `replacement frozen ${where}`).toBe(false);
      for (const [other, was] of before.balance) {
        if (other === address || other === replacement) continue;
        expect(after.balance.get(other), `balance of ${nameOf(other)} ${where}`).toBe(was);
      }
      expect(after.balance.get(address), `recovered balance ${where}`).toBe(0n);
      expect(notesOf(after, address), `recovered notes ${where}`).toEqual([]);
      for (const [id, note] of notesOf(before, address)) {
        expect(after.notes.get(id), `recovered note ${id} ${where}`).toEqual({
          ...note,
          owner: recovered.replacement,
        });
      }
      expect(after.balance.get(recovered.replacement)).toBe(
        before.balance.get(recovered.replacement)! + before.balance.get(address)!,
      );
      continue;
    }
    expect(after.balance.get(address), `balance of frozen ${nameOf(address)} ${where}`).toBe(
      before.balance.get(address),
    );
    expect(notesOf(after, address), `notes of frozen ${nameOf(address)} ${where}`).toEqual(
      notesOf(before, address),
    );
  }

  // Note value per slot: conserved, except by issue (+face) and redemption (−value).
  const was = slotTotals(before);
  const now = slotTotals(after);
  const expected = new Map(was);
  if (outcome.issuedFace !== undefined) {
    const created = [...after.notes.keys()].filter((id) => !before.notes.has(id));
    expect(created, `one new note ${where}`).toHaveLength(1);
    const slot = after.notes.get(created[0]!)!.slot;
    expected.set(slot, (expected.get(slot) ?? 0n) + outcome.issuedFace);
  }
  if (outcome.redeemed !== undefined) {
    // Paid: the note is gone, and its value went from the acceptor to the holder.
    const { id, holder, acceptor } = outcome.redeemed;
    const note = before.notes.get(id)!;
    expect(after.notes.has(id), `redeemed note ${id} ${where}`).toBe(false);
    expected.set(note.slot, expected.get(note.slot)! - note.value);
    if (holder !== acceptor) {
      expect(after.balance.get(holder), `holder paid ${where}`).toBe(
        before.balance.get(holder)! + note.value,
      );
      expect(after.balance.get(acceptor), `acceptor paid ${where}`).toBe(
        before.balance.get(acceptor)! - note.value,
      );
    }
  }
  for (const slot of new Set([...expected.keys(), ...now.keys()])) {
    expect(now.get(slot) ?? 0n, `value of slot ${slot} ${where}`).toBe(expected.get(slot) ?? 0n);
  }

  // No note moves, or changes value, at or after maturity, except by redemption or recovery.
  for (const [id, note] of before.notes) {
    if (slotMaturity.get(note.slot)! > after.timestamp) continue;
    if (outcome.redeemed?.id === id) continue;
    if (outcome.recovered?.lost === note.owner) continue;
    expect(after.notes.get(id), `matured note ${id} ${where}`).toEqual(note);
  }
  for (const [id, note] of after.notes) {
    if (before.notes.has(id) || outcome.issuedFace !== undefined) continue;
    // A new note not made by issue is a split (or finance) off an existing one.
    expect(
      slotMaturity.get(note.slot)! > after.timestamp,
      `note ${id} split off after maturity ${where}`,
    ).toBe(true);
  }
}

// ------------------------------------------------------------------------------------
// Setup, the property, and what it ran
// ------------------------------------------------------------------------------------

let start: string;
const stats = {
  sequences: 0,
  steps: 0,
  notesRecovered: 0,
  byOp: new Map<string, Map<string, number>>(),
};

beforeAll(async () => {
  const { send, role } = helpers;
  await send(devKeys.centralBank, 'currency', 'grantRole', [
    await role('OPERATOR_ROLE'),
    operators[1]!.address,
  ]);
  await send(devKeys.centralBank, 'currency', 'issue', [operators[1]!.address, 1_000_000_00n]);
  for (const [i, c] of customers.entries()) {
    const op = operatorOf(i);
    await send(op.key, 'currency', 'registerAccount', [c.address, keccak256(c.address)]);
    await send(op.key, 'currency', 'transfer', [c.address, 50_000_00n]);
    operatorByAccount.set(c.address, op.address);
  }
  for (const a of [...customers, stranger]) {
    await ledger.wallet(devKeys.centralBank).sendTransaction({ to: a.address, value: 10n ** 20n });
  }
  // Acceptors and banks let the note contract collect (c4 never does: its notes dishonour).
  for (const a of [...operators, ...customers.slice(0, 4)]) {
    await send(a.key, 'currency', 'approve', [ledger.profile.contracts.notes, maxUint256]);
  }
  // Every customer has given every other party an allowance: transferFrom has spenders of
  // every kind (active, frozen later, unregistered) to try.
  for (const c of customers) {
    for (const spender of parties.filter((p) => p !== c)) {
      await send(c.key, 'currency', 'approve', [spender.address, 5_000_00n]);
    }
  }
  // Notes to start from, maturing between 3 and 60 days from now.
  const now = await ledger.now();
  for (const [i, days] of [3n, 10n, 20n, 30n, 45n, 60n].entries()) {
    const acceptor = [...customers, operators[0]!][i]!;
    const payee = customers[(i + 1) % customers.length]!;
    await send(acceptor.key, 'notes', 'issue', [
      payee.address,
      1_000_00n * BigInt(i + 1),
      ledger.profile.contracts.currency,
      now + days * DAY,
    ]);
  }
  start = await ledger.snapshot();
}, 120_000);

afterAll(() => {
  const lines = [...stats.byOp]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([op, results]) => {
      const parts = [...results].sort(([, a], [, b]) => b - a).map(([r, n]) => `${r} ${n}`);
      return `  ${op}: ${parts.join(', ')}`;
    });
  console.log(
    `ledger invariants: ${stats.sequences} sequences, ${stats.steps} steps (seed ${SEED}); recoveries moved ${stats.notesRecovered} notes\n${lines.join('\n')}`,
  );
});

it('keeps its invariants over random sequences of operations', async () => {
  const initialOperators = new Map(operatorByAccount);
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { minLength: 1, maxLength: MAX_STEPS, size: 'max' }),
      async (ops) => {
        await ledger.revert(start);
        start = await ledger.snapshot();
        nonces.clear();
        operatorByAccount.clear();
        for (const [k, v] of initialOperators) operatorByAccount.set(k, v);
        stats.sequences++;
        let before = await readState();
        for (const op of ops) {
          const outcome = await run(op, before);
          const after = await readState();
          checkInvariants(before, after, outcome);
          stats.steps++;
          const results = stats.byOp.get(op.kind) ?? new Map<string, number>();
          results.set(outcome.result, (results.get(outcome.result) ?? 0) + 1);
          stats.byOp.set(op.kind, results);
          before = after;
        }
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
  // Not vacuous: every kind of operation went through at least once.
  for (const kind of [
    'issue',
    'transfer',
    'transferFrom',
    'permit',
    'authorization',
    'freeze',
    'unfreeze',
    'recover',
    'noteIssue',
    'noteSplit',
    'noteEndorse',
    'noteFinance',
    'noteRedeem',
  ]) {
    const ok = kind === 'noteRedeem' ? 'paid' : 'ok';
    expect(stats.byOp.get(kind)?.get(ok) ?? 0, `${kind} never succeeded`).toBeGreaterThan(0);
  }
  expect(stats.notesRecovered, 'no recovery moved a note').toBeGreaterThan(0);
}, 600_000);
