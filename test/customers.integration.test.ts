/**
 * The operator bank's registry through the real `signet customer` command and
 * the browser bridge, against the dev ledger, with the operator's key on a
 * SoftHSM2 token (appointed an operator by the dev central bank):
 * a customer's account and a treasury registered, read back over raw JSON-RPC
 * (registered; the reference's hash on chain, never its text); the refusals
 * (a key that is no operator, an account registered already, another
 * operator's customer, a wrong chain profile, a bad address, a reference empty
 * or too long), each one line with nothing signed or queued; a freeze and
 * unfreeze round trip checked on chain; the audit log; and from the UI's
 * bridge, nothing signed without the digest of the review the page showed.
 */
import { join } from 'node:path';
import {
  type Address,
  decodeFunctionResult,
  encodeFunctionData,
  getAddress,
  type Hex,
  keccak256,
  stringToBytes,
  stringToHex,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { type Bridge, startBridge } from '../core/bridge/bridge-server.js';
import { currencyAbi } from '../core/chain/abi.js';
import { customerRefHash } from '../core/customers/customer-ref.js';
import { listAudit } from '../core/store/audit-log.js';
import { openStore } from '../core/store/database.js';
import { listOutbox } from '../core/store/outbox.js';
import { grantOperator } from './support/operator-bank.js';
import { softhsmModule } from './support/softhsm.js';
import { syncSettled } from './support/sync-settled.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['bank', 'alice', 'bob', 'mallory']);
/** The dev ledger's seeded operator bank (ledger/deploy.ts), a software key: another bank. */
const DEV_OPERATOR = getAddress('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
const REFERENCE = 'CUST-00042 Zoë';
const STALE = `0x${'ab'.repeat(32)}`;

async function rpc<T>(method: string, params: unknown[]): Promise<T> {
  const response = await fetch(w.ledger.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const reply = (await response.json()) as { result?: T; error?: unknown };
  if (reply.error) throw new Error(`${method}: ${JSON.stringify(reply.error)}`);
  return reply.result as T;
}

/** A currency view read over raw JSON-RPC at the latest block. */
async function currency<T>(
  functionName: 'isRegistered' | 'isFrozen' | 'operatorOf',
  account: Address,
) {
  const data = encodeFunctionData({ abi: currencyAbi, functionName, args: [account] });
  const raw = await rpc<Hex>('eth_call', [
    { to: w.ledger.profile.contracts.currency, data },
    'latest',
  ]);
  return decodeFunctionResult({ abi: currencyAbi, functionName, data: raw }) as T;
}

interface RawLog {
  topics: Hex[];
  data: Hex;
  transactionHash: Hex;
}

/** The AccountRegistered logs of `account`, over raw JSON-RPC. */
async function registrations(account: Address): Promise<RawLog[]> {
  const topic0 = keccak256(stringToBytes('AccountRegistered(address,address,bytes32)'));
  return rpc<RawLog[]>('eth_getLogs', [
    {
      fromBlock: '0x0',
      toBlock: 'latest',
      address: w.ledger.profile.contracts.currency,
      topics: [topic0, `0x${account.slice(2).toLowerCase().padStart(64, '0')}`],
    },
  ]);
}

function store() {
  return openStore(join(w.home, 'signet.sqlite'));
}

/** Outbox rows and audit entries: what a refusal must leave as it was. */
function signedSoFar(): { outbox: number; audit: number } {
  const s = store();
  try {
    return {
      outbox: listOutbox(s, w.ledger.profile.chainId).length,
      audit: listAudit(s, { limit: 10_000 }).length,
    };
  } finally {
    s.close();
  }
}

/** A `signet` command that must fail: its one stderr line, with nothing signed or queued. */
async function refused(args: string[], exitCode = 1): Promise<string> {
  const before = signedSoFar();
  const run = await w.cli(args);
  expect(run.code, run.stdout + run.stderr).toBe(exitCode);
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(run.stderr).not.toContain(PIN);
  expect(signedSoFar()).toEqual(before);
  return lines[0]!;
}

const bank = () => w.keys.bank!;
const register = (account: string, customer: string, key = bank().uri) => [
  ...['customer', 'register', '--operator', key, '--account', account],
  ...['--customer', customer, '--pin-file', w.pin],
];
const freezeArgs = (action: 'freeze' | 'unfreeze', account: string, key = bank().uri) => [
  ...['customer', action, '--operator', key, '--account', account, '--pin-file', w.pin],
];

/** Gas each registry call used on chain, for the budgets in core/wallet/transaction-plan.ts. */
const gasUsed: Record<string, bigint> = {};
async function recordGas(kind: string, txHash: Hex) {
  const receipt = await rpc<{ gasUsed: Hex; status: Hex }>('eth_getTransactionReceipt', [txHash]);
  expect(receipt.status).toBe('0x1');
  gasUsed[kind] = BigInt(receipt.gasUsed);
}

beforeAll(async () => {
  await grantOperator(w.ledger, bank().address);
  await w.json(['sync']);
});
afterAll(() => {
  console.log(
    `registry gas used: ${Object.entries(gasUsed)
      .map(([kind, gas]) => `${kind} ${gas}`)
      .join(', ')}`,
  );
});

describe('signet customer: the operator bank registers accounts', () => {
  it('refuses a key that is not an operator of the currency, before its token signs', async () => {
    const mallory = w.keys.mallory!;
    const line = await refused(register(w.keys.alice!.address, REFERENCE, mallory.uri));
    expect(line).toBe(
      `signet: the key ${mallory.uri} (${mallory.address}) is not an operator of the currency on chain ${w.ledger.profile.chainId}`,
    );
    const json = await w.cli([
      ...register(w.keys.alice!.address, REFERENCE, mallory.uri),
      '--json',
    ]);
    expect(json.json.error).toMatchObject({ code: 'NOT_OPERATOR' });
    expect(await currency<boolean>('isRegistered', w.keys.alice!.address)).toBe(false);
  });

  it('refuses a P-256 key as the operator: its account is a contract, no operator', async () => {
    const token = (await w.json(['tokens', '--module', softhsmModule])).find(
      (t: { label: string }) => t.label === 'Wallet',
    ).uri;
    const key = await w.json([
      ...['key', 'generate', '--token', token, '--curve', 'p256', '--label', 'teller'],
      ...['--pin-file', w.pin],
    ]);
    await w.json(['account', 'add', '--key', key.uri, '--name', 'teller', '--pin-file', w.pin]);
    expect(await refused(register(w.keys.alice!.address, REFERENCE, key.uri))).toBe(
      `signet: an operator signs its registry transactions with a secp256k1 key; ${key.uri} is p256`,
    );
  });

  it("registers a customer's account: registered on chain under the reference's hash, not its text", async () => {
    const alice = w.keys.alice!.address;
    const signed = await w.json(register(alice, REFERENCE));
    const hash = customerRefHash(REFERENCE);
    expect(signed.review).toMatchObject({
      action: 'register',
      chainId: w.ledger.profile.chainId,
      contract: w.ledger.profile.contracts.currency,
      operator: bank().address,
      account: alice,
      customerRef: hash,
      standing: { registered: false, frozen: false, operator: null },
    });
    expect(signed.transactions).toMatchObject([{ kind: 'customer-register' }]);
    await syncSettled(w);
    await recordGas('register', signed.transactions[0].txHash);
    expect(await currency<boolean>('isRegistered', alice)).toBe(true);
    expect(await currency<Address>('operatorOf', alice)).toBe(bank().address);
    const logs = await registrations(alice);
    expect(logs).toHaveLength(1);
    expect(logs[0]!.data).toBe(hash);
    expect(logs[0]!.data).not.toBe(keccak256(stringToBytes(REFERENCE)));
    // The text is nowhere in the transaction the operator signed.
    const tx = await rpc<{ input: Hex }>('eth_getTransactionByHash', [logs[0]!.transactionHash]);
    expect(tx.input.toLowerCase()).toContain(hash.slice(2));
    expect(tx.input.toLowerCase()).not.toContain(stringToHex('CUST-00042').slice(2));

    const shown = await w.json(['customer', 'show', alice]);
    expect(shown).toMatchObject({
      account: alice,
      registered: true,
      frozen: false,
      operator: bank().address,
      isOperator: false,
      customerRef: hash,
      balance: '0.00',
    });
    const human = await w.cli(['customer', 'show', alice]);
    expect(human.stdout).toContain(`${alice}  customer of operator ${bank().address}`);
    expect(human.stdout).toContain(`customer reference hash ${hash}`);
  });

  it('refuses to register an account twice, an operator bank, or with a reference empty or too long', async () => {
    const alice = w.keys.alice!.address;
    expect(await refused(register(alice, 'CUST-OTHER'))).toBe(
      `signet: account ${alice} is registered already (by operator ${bank().address})`,
    );
    expect(await refused(register(DEV_OPERATOR, 'CUST-BANK'))).toBe(
      `signet: account ${DEV_OPERATOR} is registered already (as an operator bank)`,
    );
    const bob = w.keys.bob!.address;
    expect(await refused(register(bob, '   '))).toBe('signet: the customer reference is empty');
    expect(await refused(register(bob, ''))).toMatch(
      /^signet: invalid customers\.register request: customer: /,
    );
    expect(await refused(register(bob, 'x'.repeat(129)))).toBe(
      'signet: the customer reference has 129 characters; at most 128',
    );
    expect(await refused(register(bob, 'CUST\n1'))).toBe(
      'signet: the customer reference contains a control character',
    );
    expect(await currency<boolean>('isRegistered', bob)).toBe(false);
  });

  it('refuses a bad address', async () => {
    expect(await refused(register('0x1234', REFERENCE))).toBe(
      'signet: the account "0x1234" is not a 0x-prefixed 20-byte address',
    );
    // The dev operator's address with two letters' case flipped: its EIP-55 checksum is wrong.
    const wrongCase = DEV_OPERATOR.replace('dc3A', 'DC3A');
    expect(await refused(register(wrongCase, REFERENCE))).toBe(
      `signet: the account ${wrongCase} has a wrong checksum (mistyped?); expected ${DEV_OPERATOR}`,
    );
    expect(await refused(['customer', 'show', 'not-an-address'])).toBe(
      'signet: the account "not-an-address" is not a 0x-prefixed 20-byte address',
    );
  });

  it("registers a treasury like any customer's account", async () => {
    const created = await w.json([
      ...['treasury', 'create', '--name', 'Ops', '--owner', w.keys.alice!.address],
      ...['--owner', w.keys.bob!.address, '--threshold', '1'],
      ...['--from', bank().uri, '--pin-file', w.pin],
    ]);
    const treasury = getAddress(created.treasury.address);
    await syncSettled(w);
    expect(await currency<boolean>('isRegistered', treasury)).toBe(false);
    const signed = await w.json(register(treasury, 'TREASURY-OPS'));
    expect(signed.review).toMatchObject({
      account: treasury,
      customerRef: customerRefHash('TREASURY-OPS'),
    });
    await syncSettled(w);
    expect(await currency<boolean>('isRegistered', treasury)).toBe(true);
    expect((await registrations(treasury))[0]!.data).toBe(customerRefHash('TREASURY-OPS'));
    // The wallet's own sync sees it registered too (the treasury's standing).
    expect((await w.json(['treasury', 'show', 'Ops', '--offline'])).synced).toMatchObject({
      registered: true,
      frozen: false,
    });
  });

  it('freezes and unfreezes its customer, checked on chain, and refuses what the contract would', async () => {
    const alice = w.keys.alice!.address;
    const frozen = await w.json(freezeArgs('freeze', alice));
    expect(frozen.review).toMatchObject({ action: 'freeze', account: alice, customerRef: null });
    await syncSettled(w);
    await recordGas('freeze', frozen.transactions[0].txHash);
    expect(await currency<boolean>('isFrozen', alice)).toBe(true);
    expect((await w.json(['customer', 'show', alice])).frozen).toBe(true);
    expect(await refused(freezeArgs('freeze', alice))).toBe(
      `signet: account ${alice} is frozen already`,
    );

    const unfrozen = await w.json(freezeArgs('unfreeze', alice));
    await syncSettled(w);
    await recordGas('unfreeze', unfrozen.transactions[0].txHash);
    expect(await currency<boolean>('isFrozen', alice)).toBe(false);
    expect(await refused(freezeArgs('unfreeze', alice))).toBe(
      `signet: account ${alice} is not frozen`,
    );
  });

  it("refuses to freeze another operator's customer, an operator, or an unregistered account", async () => {
    const bob = w.keys.bob!.address;
    // The dev faucet registers bob with the dev ledger's seeded operator, another bank.
    await w.json(['ledger', 'fund', '--account', bob, '--amount', '1.00']);
    expect(await refused(freezeArgs('freeze', bob))).toBe(
      `signet: account ${bob} is a customer of operator ${DEV_OPERATOR}, not of ${bank().address}: only its own operator may freeze it`,
    );
    expect(await refused(freezeArgs('unfreeze', DEV_OPERATOR))).toBe(
      `signet: account ${DEV_OPERATOR} is an operator bank or the central bank, not a customer: no operator unfreezes it`,
    );
    const nobody = getAddress('0x2222222222222222222222222222222222c0ffee');
    expect(await refused(freezeArgs('freeze', nobody))).toBe(
      `signet: account ${nobody} is not a customer of any operator bank: there is nothing to freeze`,
    );
    expect(await currency<boolean>('isFrozen', bob)).toBe(false);
  });

  it('records each registration, freeze and unfreeze in the audit log: the hash, never the reference', async () => {
    const result = await w.json(['audit', '--search', 'customer-', '--limit', '50']);
    expect(result.chain.intact).toBe(true);
    const entries = (
      result.entries as Array<{ action: string; keyUri: string; subject: Record<string, unknown> }>
    )
      .filter(
        (e) => e.action === 'sign-transaction' && String(e.subject.kind).startsWith('customer-'),
      )
      .reverse();
    expect(entries.map((e) => [e.subject.kind, e.subject.account])).toEqual([
      ['customer-register', w.keys.alice!.address],
      ['customer-register', expect.any(String)],
      ['customer-freeze', w.keys.alice!.address],
      ['customer-unfreeze', w.keys.alice!.address],
    ]);
    expect(entries[0]!).toMatchObject({
      keyUri: bank().uri,
      subject: {
        chainId: w.ledger.profile.chainId,
        from: bank().address,
        customerRef: customerRefHash(REFERENCE),
      },
    });
    const text = JSON.stringify(result);
    expect(text).not.toContain('CUST-00042');
    expect(text).not.toContain(PIN);
  });

  it('signs one registry transaction per account at a time: a second waits for the first (PIN from stdin)', async () => {
    const carol = getAddress('0x4444444444444444444444444444444444c0ffee');
    // The node holds what it is sent without mining it: the registration stays in flight.
    await rpc('evm_setAutomine', [false]);
    try {
      const args = register(carol, 'CUST-CAROL').filter((a) => a !== '--pin-file' && a !== w.pin);
      const run = await w.cli([...args, '--pin-stdin', '--json'], { stdin: `${PIN}\n` });
      expect(run.code, run.stderr).toBe(0);
      const [queued] = run.json.transactions;
      expect(queued).toMatchObject({ kind: 'customer-register', status: 'sent' });
      expect(await refused(register(carol, 'CUST-CAROL'))).toBe(
        `signet: a register of account ${carol} is in the outbox already (transaction ${queued.txHash}); \`signet sync\` sends it`,
      );
      expect(await refused(freezeArgs('freeze', carol))).toBe(
        `signet: a register of account ${carol} is in the outbox already (transaction ${queued.txHash}); \`signet sync\` sends it`,
      );
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
    await w.ledger.mine();
    await syncSettled(w);
    expect(await currency<boolean>('isRegistered', carol)).toBe(true);
  });

  it('refuses on a wrong chain profile: nothing signed', async () => {
    const { profile } = w.ledger;
    // The same node under another chain id: the wallet never synced such a chain, and the nodes are not on it.
    w.useProfile({ ...profile, name: 'elsewhere', chainId: profile.chainId + 1 });
    try {
      // Signing plans offline first: the operator's nonce on that chain is unknown.
      expect(await refused(register(w.keys.bob!.address, REFERENCE))).toBe(
        `signet: account ${bank().address} has never been synced; run \`signet sync\` once while online`,
      );
      // Reading asks the node, which is on another chain.
      expect(await refused(['customer', 'show', w.keys.bob!.address], 2)).toBe(
        `signet: node ${w.ledger.url} is on chain ${profile.chainId}, the profile expects ${profile.chainId + 1}`,
      );
    } finally {
      w.useProfile(profile);
    }
  });
});

describe('customers through the bridge: the UI signs only what it reviewed', () => {
  let app: AppApi;
  let bridge: Bridge;

  beforeAll(async () => {
    app = createAppApi({ home: w.home, env: w.env });
    bridge = await startBridge({ dispatch: app.dispatch });
  });
  afterAll(async () => {
    await bridge?.close();
    app?.close();
  });

  async function call(method: string, params: unknown) {
    const res = await fetch(`http://127.0.0.1:${bridge.port}/api/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(params),
    });
    expect(res.status).toBe(200);
    return JSON.parse(await res.text());
  }
  async function refusal(method: string, params: unknown) {
    const before = signedSoFar();
    const reply = await call(method, params);
    expect(reply.ok, JSON.stringify(reply).slice(0, 300)).toBe(false);
    expect(JSON.stringify(reply)).not.toContain(PIN);
    expect(signedSoFar()).toEqual(before);
    return reply.error as { code: string; message: string; details?: Record<string, unknown> };
  }

  const account = getAddress('0x3333333333333333333333333333333333c0ffee');
  const request = () => ({ operator: bank().uri, account, customer: 'CUST-UI-1' });

  it('registers from the UI only with the digest of the preview shown', async () => {
    const preview = await call('customers.preview', { action: 'register', ...request() });
    expect(preview.ok, JSON.stringify(preview)).toBe(true);
    expect(preview.result).toMatchObject({
      action: 'register',
      operator: bank().address,
      account,
      customerRef: customerRefHash('CUST-UI-1'),
      standing: { registered: false },
      names: expect.arrayContaining([
        { address: bank().address, kind: 'account', name: 'bank' },
        { address: w.ledger.profile.contracts.currency, kind: 'contract', role: 'currency' },
      ]),
    });
    const { reviewDigest } = preview.result;
    expect(
      await refusal('customers.preview', { action: 'register', operator: bank().uri, account }),
    ).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'a registration needs the customer reference',
    });

    expect(await refusal('customers.register', { ...request(), pin: PIN })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message:
        'nothing is signed from the UI without the review digest of the preview the user saw',
      details: { field: 'reviewDigest', reason: 'review-missing' },
    });
    expect(
      await refusal('customers.register', { ...request(), pin: PIN, reviewDigest: STALE }),
    ).toMatchObject({
      code: 'REVIEW_STALE',
    });
    // The digest of this review does not stretch to another customer reference.
    expect(
      await refusal('customers.register', {
        ...request(),
        customer: 'CUST-UI-2',
        pin: PIN,
        reviewDigest,
      }),
    ).toMatchObject({ code: 'REVIEW_STALE' });
    expect(await refusal('customers.register', { ...request(), reviewDigest })).toMatchObject({
      code: 'PIN_REQUIRED',
    });

    const signed = await call('customers.register', { ...request(), pin: PIN, reviewDigest });
    expect(signed.ok, JSON.stringify(signed)).toBe(true);
    await syncSettled(w);
    expect(await currency<boolean>('isRegistered', account)).toBe(true);
    // The audit entry names the review the UI showed.
    const s = store();
    try {
      const entry = listAudit(s, { search: signed.result.transactions[0].txHash, limit: 5 })[0];
      expect(entry?.subject).toMatchObject({ kind: 'customer-register', reviewDigest });
    } finally {
      s.close();
    }
  });

  it('freezes from the UI only with the digest; a preview refuses what the contract would', async () => {
    const freeze = { operator: bank().uri, account };
    expect(await refusal('customers.freeze', { ...freeze, pin: PIN })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { reason: 'review-missing' },
    });
    const preview = await call('customers.preview', { action: 'freeze', ...freeze });
    expect(preview.ok, JSON.stringify(preview)).toBe(true);
    const signed = await call('customers.freeze', {
      ...freeze,
      pin: PIN,
      reviewDigest: preview.result.reviewDigest,
    });
    expect(signed.ok, JSON.stringify(signed)).toBe(true);
    await syncSettled(w);
    expect(await currency<boolean>('isFrozen', account)).toBe(true);
    expect(await refusal('customers.preview', { action: 'freeze', ...freeze })).toMatchObject({
      code: 'ACCOUNT_FROZEN',
    });
    expect(
      await refusal('customers.preview', {
        action: 'unfreeze',
        operator: w.keys.mallory!.uri,
        account,
      }),
    ).toMatchObject({ code: 'NOT_OPERATOR' });
    expect(await refusal('customers.preview', { action: 'register', ...request() })).toMatchObject({
      code: 'ALREADY_REGISTERED',
    });
    const shown = await call('customers.show', { account });
    expect(shown.result).toMatchObject({
      registered: true,
      frozen: true,
      operator: bank().address,
    });
  });

  it('previews a freeze after an unconfirmed registration as queued, not as unregistered', async () => {
    const dave = getAddress('0x5555555555555555555555555555555555c0ffee');
    const registerDave = { operator: bank().uri, account: dave, customer: 'CUST-DAVE' };
    // The node holds what it is sent without mining it: the registration stays in flight.
    await rpc('evm_setAutomine', [false]);
    try {
      const preview = await call('customers.preview', { action: 'register', ...registerDave });
      const signed = await call('customers.register', {
        ...registerDave,
        pin: PIN,
        reviewDigest: preview.result.reviewDigest,
      });
      expect(signed.ok, JSON.stringify(signed)).toBe(true);
      const { txHash } = signed.result.transactions[0];
      const queued = {
        code: 'INVALID_ARGUMENT',
        message: `a register of account ${dave} is in the outbox already (transaction ${txHash}); \`signet sync\` sends it`,
        details: { field: 'account', reason: 'queued', txHash },
      };
      expect(
        await refusal('customers.preview', {
          action: 'freeze',
          operator: bank().uri,
          account: dave,
        }),
      ).toMatchObject(queued);
      expect(
        await refusal('customers.preview', { action: 'register', ...registerDave }),
      ).toMatchObject(queued);
    } finally {
      await rpc('evm_setAutomine', [true]);
    }
    await w.ledger.mine();
    await syncSettled(w);
    expect(await currency<boolean>('isRegistered', dave)).toBe(true);
    // Once confirmed, the freeze previews as the chain has it.
    const freeze = await call('customers.preview', {
      action: 'freeze',
      operator: bank().uri,
      account: dave,
    });
    expect(freeze.result).toMatchObject({
      action: 'freeze',
      standing: { registered: true, frozen: false },
    });
  });
});
