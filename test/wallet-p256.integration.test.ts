/**
 * A P-256 key pays on the dev ledger: the key is on a SoftHSM2 token (a TPM
 * token through tpm2-pkcs11 is the same to Signet: a PKCS#11 key that signs
 * P-256), its account is the P256Account contract the factory will deploy at
 * the address Signet predicts offline, the operator registers and funds that
 * address like any customer's, and each payment is signed offline by the P-256
 * key and carried by one of the wallet's secp256k1 token accounts through the
 * ordinary outbox. Then sync, and the balance read back from the ledger. A
 * replayed operation fails on chain and the outbox says why.
 */
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import {
  type Address,
  decodeFunctionData,
  encodeFunctionData,
  getAddress,
  type Hex,
  hexToBytes,
  keccak256,
  parseAbi,
  parseTransaction,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import {
  executeDigest,
  p256AccountAddress,
  p256AccountFactoryAbi,
} from '../core/chain/p256-account.js';
import { P256AccountSigner } from '../core/chain/p256-account-signer.js';
import { openStore } from '../core/store/database.js';
import { listOutbox } from '../core/store/outbox.js';
import { devKeys } from '../ledger/deploy.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import { openKeySigner } from '../native/pkcs11/token-access.js';
import {
  contractSignature,
  createSafe,
  execSafe,
  safeCall,
  safeTxHash,
} from './support/safe-owner.js';
import { softhsmModule } from './support/softhsm.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['carrier', 'bob', 'other']);
const json = w.json;
let app: AppApi;
let p256Key: { uri: string; address: Address; publicKey: Hex };
let factory: Address;

const currencyAbi = parseAbi(['function balanceOf(address) view returns (uint256)']);
const onChainBalance = (address: Address) =>
  w.ledger.publicClient.readContract({
    address: w.ledger.profile.contracts.currency,
    abi: currencyAbi,
    functionName: 'balanceOf',
    args: [address],
  });
const onChainNonce = (address: Address) =>
  w.ledger.publicClient.readContract({
    address: factory,
    abi: p256AccountFactoryAbi,
    functionName: 'nonceOf',
    args: [address],
  });
const balanceOf = async (address: Address) => (await json(['balance', '--account', address]))[0];

async function result(method: string, params: unknown = {}) {
  const reply = await app.dispatch(method, params);
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code} ${reply.error.message}`);
  return reply.result as any;
}

function expectRefused(run: { code: number; stderr: string }, message: RegExp) {
  expect(run.code).toBe(1);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(message);
}

/** Syncs until nothing is in flight (a node may mine what a sync sent a moment later). */
async function syncSettled() {
  for (let round = 0; round < 20; round++) {
    await json(['sync']);
    const outbox: Array<{ status: string; txHash: string }> = await json(['outbox']);
    if (outbox.every((t) => t.status === 'confirmed' || t.status === 'failed')) return outbox;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the outbox did not settle in 20 syncs');
}

/** The signed transactions in the outbox, as the store holds them (the API shows no raw bytes). */
function rawOutbox() {
  const store = openStore(join(w.home, 'signet.sqlite'));
  try {
    return listOutbox(store, w.ledger.profile.chainId);
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  factory = w.ledger.profile.contracts.p256AccountFactory!;
  app = createAppApi({ home: w.home, env: w.env });
  const token = (await w.cli(['tokens', '--module', softhsmModule, '--json'])).json.find(
    (t: { label: string }) => t.label === 'Wallet',
  ).uri;
  const key = await json([
    'key',
    'generate',
    '--token',
    token,
    '--curve',
    'p256',
    '--label',
    'tpm-like',
    '--pin-file',
    w.pin,
  ]);
  const account = await json([
    'account',
    'add',
    '--key',
    key.uri,
    '--name',
    'P256',
    '--pin-file',
    w.pin,
  ]);
  p256Key = { uri: key.uri, address: account.address, publicKey: account.publicKey };
}, 60_000);
afterAll(() => app?.close());

describe('a P-256 key as a ledger account', () => {
  it('is added as the account contract the factory will deploy, predicted offline', async () => {
    const accounts = await json(['accounts']);
    const added = accounts.find((a: { name: string }) => a.name === 'P256');
    expect(added).toMatchObject({ curve: 'p256', keyUri: p256Key.uri });
    expect(p256Key.address).toBe(p256AccountAddress(factory, p256Key.publicKey));
    const qx = `0x${p256Key.publicKey.slice(4, 68)}` as Hex;
    const qy = `0x${p256Key.publicKey.slice(68)}` as Hex;
    expect(
      await w.ledger.publicClient.readContract({
        address: factory,
        abi: p256AccountFactoryAbi,
        functionName: 'accountAddress',
        args: [qx, qy],
      }),
    ).toBe(p256Key.address);
    expect(await w.ledger.publicClient.getCode({ address: p256Key.address })).toBeUndefined();
  });

  it('is registered and funded by the operator before it exists, and synced like any address', async () => {
    await json(['ledger', 'fund', '--account', p256Key.address, '--amount', '100.00']);
    await json(['ledger', 'fund', '--account', w.keys.carrier!.address, '--amount', '1.00']);
    await json(['ledger', 'fund', '--account', w.keys.bob!.address, '--amount', '1.00']);
    await json(['ledger', 'fund', '--account', w.keys.other!.address, '--amount', '0.01']);
    await json(['sync']);
    expect(await balanceOf(p256Key.address)).toMatchObject({
      balance: '100.00',
      available: '100.00',
      registered: true,
      frozen: false,
    });
  });

  it('reviews a payment as what the P-256 key signs and the carrier’s transaction, then signs exactly that', async () => {
    const request = { from: p256Key.uri, to: w.keys.bob!.address, amount: '12.34' };
    const preview = await result('wallet.previewSend', request);
    const { chainId, contracts } = w.ledger.profile;
    expect(preview).toMatchObject({
      from: p256Key.address,
      to: w.keys.bob!.address,
      amount: '12.34',
      contract: contracts.currency,
      // The carrier's transaction: its nonce, its gas (the budget plus the carrying).
      nonce: 0,
      gasLimit: '570000',
      availableAfter: '87.66',
      carried: {
        account: p256Key.address,
        accountNonce: '0',
        // The default carrier: the wallet's oldest secp256k1 account synced here.
        carrier: w.keys.carrier!.address,
        carrierKeyUri: w.keys.carrier!.uri,
        via: factory,
      },
    });
    const message = preview.carried.typedData.message;
    expect(preview.carried.digest).toBe(
      executeDigest(chainId, p256Key.address, {
        target: message.target,
        value: BigInt(message.value),
        data: message.data,
        nonce: BigInt(message.nonce),
        deadline: BigInt(message.deadline),
      }),
    );
    expect(preview.names).toEqual(
      expect.arrayContaining([
        { address: w.keys.carrier!.address, kind: 'account', name: 'carrier' },
        { address: factory, kind: 'contract', role: 'p256AccountFactory' },
        { address: p256Key.address, kind: 'account', name: 'P256' },
      ]),
    );

    const signed = await result('wallet.send', {
      ...request,
      pin: PIN,
      reviewDigest: preview.reviewDigest,
      offline: true,
    });
    expect(signed.transactions).toEqual([
      expect.objectContaining({
        from: w.keys.carrier!.address,
        nonce: 0,
        status: 'signed',
        amount: '12.34',
        carried: { account: p256Key.address, nonce: 0 },
      }),
    ]);
    // The amount is pending on the P-256 account, not on its carrier.
    expect(await balanceOf(p256Key.address)).toMatchObject({
      pending: '12.34',
      available: '87.66',
    });
    expect(await balanceOf(w.keys.carrier!.address)).toMatchObject({ pending: '0.00' });

    // The carrier's signed transaction calls the factory with the operation and a
    // P-256 signature that verifies over the reviewed digest with the account's key.
    const [queued] = rawOutbox();
    const tx = parseTransaction(queued!.raw);
    expect(getAddress(tx.to!)).toBe(factory);
    const { args } = decodeFunctionData({ abi: p256AccountFactoryAbi, data: tx.data! });
    const [, , , , , , , r, s] = args as readonly Hex[];
    const signature = hexToBytes(`0x${r!.slice(2)}${s!.slice(2)}`);
    expect(
      p256.verify(signature, hexToBytes(preview.carried.digest), hexToBytes(p256Key.publicKey), {
        prehash: false,
      }),
    ).toBe(true);

    // Both signatures are in the audit log, with the review they were made from.
    const { entries } = await result('audit.list', { search: queued!.txHash });
    expect(entries.map((e: { action: string; keyUri: string }) => [e.action, e.keyUri])).toEqual(
      expect.arrayContaining([
        ['sign-typed-data', p256Key.uri],
        ['sign-transaction', w.keys.carrier!.uri],
      ]),
    );
    for (const entry of entries) expect(entry.subject.reviewDigest).toBe(preview.reviewDigest);

    const outbox = await syncSettled();
    expect(outbox.map((t) => t.status)).toEqual(['confirmed']);
    expect(await onChainBalance(p256Key.address)).toBe(87_66n);
    expect(await onChainBalance(w.keys.bob!.address)).toBe(13_34n);
    expect(await onChainNonce(p256Key.address)).toBe(1n);
    expect(await w.ledger.publicClient.getCode({ address: p256Key.address })).toMatch(/^0x/);
    expect(await balanceOf(p256Key.address)).toMatchObject({ balance: '87.66', pending: '0.00' });
    const history = await json(['history', '--account', p256Key.address]);
    expect(history.map((e: { amount: string }) => e.amount)).toEqual(['12.34', '100.00']);
  });

  it('is carried by the account named with --carrier, from the command line, offline', async () => {
    const sent = await json([
      'send',
      '--from',
      p256Key.uri,
      '--to',
      w.keys.bob!.address,
      '--amount',
      '1.00',
      '--carrier',
      w.keys.other!.address,
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    expect(sent.transactions[0]).toMatchObject({
      from: w.keys.other!.address,
      nonce: 0,
      carried: { account: p256Key.address, nonce: 1 },
    });
    await syncSettled();
    expect(await onChainBalance(p256Key.address)).toBe(86_66n);
    expect(await onChainNonce(p256Key.address)).toBe(2n);
  });

  it('refuses, in one line and before any token, a carrier that cannot carry or is not needed', async () => {
    const send = (from: string, carrier: string) =>
      w.cli([
        'send',
        '--from',
        from,
        '--to',
        w.keys.bob!.address,
        '--amount',
        '1.00',
        '--carrier',
        carrier,
        '--offline',
        '--pin-file',
        w.pin,
      ]);
    expectRefused(await send(p256Key.uri, p256Key.address), /carrier P256 is a p256 account/);
    expectRefused(
      await send(p256Key.uri, '0x000000000000000000000000000000000000dEaD'),
      /carrier 0x000000000000000000000000000000000000dEaD is not one of this wallet's accounts/,
    );
    expectRefused(
      await send(w.keys.carrier!.uri, w.keys.other!.address),
      /carrier signs its own transactions; a carrier is only for a P-256 account/,
    );
    expect(
      (await json(['outbox'])).filter((t: { status: string }) => t.status === 'signed'),
    ).toEqual([]);
  });

  it('a replayed operation fails on chain, and the outbox says why', async () => {
    const signed = await json([
      'send',
      '--from',
      p256Key.uri,
      '--to',
      w.keys.bob!.address,
      '--amount',
      '2.00',
      '--offline',
      '--pin-file',
      w.pin,
    ]);
    const { txHash } = signed.transactions[0];
    expect(signed.transactions[0].carried).toEqual({ account: p256Key.address, nonce: 2 });
    // Someone else carries the same signed operation first (anyone may).
    const queued = rawOutbox().find((t) => t.txHash === txHash)!;
    const data = parseTransaction(queued.raw).data!;
    const hash = await w.ledger.wallet(devKeys.centralBank).sendTransaction({ to: factory, data });
    expect((await w.ledger.publicClient.waitForTransactionReceipt({ hash })).status).toBe(
      'success',
    );
    expect(await onChainNonce(p256Key.address)).toBe(3n);

    // The wallet's own carrier transaction then meets a used nonce.
    const outbox = await syncSettled();
    expect(outbox.find((t: { txHash: string }) => t.txHash === txHash)).toMatchObject({
      status: 'failed',
      error: 'transaction reverted: WrongNonce(3, 2)',
      carried: { account: p256Key.address, nonce: 2 },
    });
    // The money moved once.
    expect(await onChainBalance(p256Key.address)).toBe(84_66n);
    expect(await balanceOf(p256Key.address)).toMatchObject({ balance: '84.66', pending: '0.00' });
    // The next operation takes the account's next nonce, from the last sync.
    const next = await result('wallet.previewSend', {
      from: p256Key.uri,
      to: w.keys.bob!.address,
      amount: '1.00',
    });
    expect(next.carried.accountNonce).toBe('3');
    expect(keccak256(queued.raw)).toBe(txHash);
  });

  it('issues, holds and endorses notes through the Notes handlers: each call an operation, carried', async () => {
    const { contracts } = w.ledger.profile;
    const day = (offset: number) =>
      new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const reviewThenSign = async (operation: Record<string, unknown>) => {
      const preview = await result('notes.preview', { operation });
      await result('notes.execute', { operation, pin: PIN, reviewDigest: preview.reviewDigest });
      const outbox = await syncSettled();
      expect(outbox.filter((t: { status: string }) => t.status === 'failed')).toHaveLength(1);
      return preview;
    };
    const notesOf = async (address: Address) =>
      (await result('notes.list', { address })).map((n: { tokenId: string }) => n.tokenId);

    // The P-256 account issues a note to bob: the note, then the approval that pays it.
    const issued = await reviewThenSign({
      op: 'issue',
      from: p256Key.uri,
      payee: w.keys.bob!.address,
      faceValue: '10.00',
      maturity: day(30),
    });
    const [first, second] = issued.transactions;
    expect([first.function, first.contract, first.carried.accountNonce]).toEqual([
      'issue',
      contracts.notes,
      '3',
    ]);
    expect([second.function, second.contract, second.carried.accountNonce]).toEqual([
      'approve',
      contracts.currency,
      '4',
    ]);
    expect(second.nonce).toBe(first.nonce + 1);
    const [tokenId] = await notesOf(w.keys.bob!.address);
    expect(tokenId).toBeDefined();

    // Bob endorses it to the P-256 account, which holds it like any address…
    await reviewThenSign({ op: 'endorse', from: w.keys.bob!.uri, tokenId, to: p256Key.address });
    expect(await notesOf(p256Key.address)).toEqual([tokenId]);
    // …cannot sign a finance offer for it (an offer file carries a secp256k1 signature)…
    const offer = await app.dispatch('notes.preview', {
      operation: {
        op: 'finance-offer',
        from: p256Key.uri,
        tokenId,
        bank: w.keys.bob!.address,
        price: '9.00',
        deadline: day(3),
      },
    });
    expect(offer).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', details: { reason: 'p256-finance-offer' } },
    });
    // …and endorses it back, carried.
    const endorsed = await reviewThenSign({
      op: 'endorse',
      from: p256Key.uri,
      tokenId,
      to: w.keys.bob!.address,
    });
    expect(endorsed.transactions[0].carried.accountNonce).toBe('5');
    expect(await notesOf(w.keys.bob!.address)).toEqual([tokenId]);
    expect(await onChainNonce(p256Key.address)).toBe(6n);
  });

  it('approves a Safe transaction as the Safe’s owner, the P-256 key signing on its token', async () => {
    const search = { configured: [], policy: anyModule };
    const pins = async () => Buffer.from(PIN);
    const account = { address: p256Key.address, publicKey: p256Key.publicKey };
    // Only the account's own P-256 key will do.
    const secp = await openKeySigner(w.keys.carrier!.uri, search, pins);
    expect(() => new P256AccountSigner(secp, account)).toThrow(/needs a P-256 key/);
    await secp.close();
    const key = new P256AccountSigner(await openKeySigner(p256Key.uri, search, pins), account);
    expect(
      () =>
        new P256AccountSigner(key.signer, {
          address: p256Key.address,
          publicKey: `0x04${'11'.repeat(64)}`,
        }),
    ).toThrow(/is not the key of account/);

    const safe = await createSafe(w.ledger, devKeys.centralBank, p256Key.address);
    await w.ledger.fund(safe, 5_00n);
    const transfer = encodeFunctionData({
      abi: parseAbi(['function transfer(address to, uint256 amount) returns (bool)']),
      functionName: 'transfer',
      args: [w.keys.bob!.address, 2_00n],
    });
    const tx = safeCall(w.ledger.profile.contracts.currency, transfer);
    const hash = await safeTxHash(w.ledger, safe, tx);
    let approval: Hex;
    try {
      approval = (await key.signMessageHash(w.ledger.profile.chainId, hash)).signature;
    } finally {
      await key.close();
    }
    const receipt = await w.ledger.publicClient.waitForTransactionReceipt({
      hash: await execSafe(
        w.ledger,
        devKeys.centralBank,
        safe,
        tx,
        contractSignature(p256Key.address, approval),
      ),
    });
    expect(receipt.status).toBe('success');
    expect(await onChainBalance(safe)).toBe(3_00n);
  });
});
