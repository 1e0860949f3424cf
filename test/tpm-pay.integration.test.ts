/**
 * A TPM key pays on the dev ledger from the command line: a real swtpm +
 * tpm2-abrmd + tpm2-pkcs11 stack (test/support/tpm-token.ts) holds the P-256
 * key, whose account is its P256Account contract; the operator registers and
 * funds that address; a secp256k1 account on a SoftHSM2 token (another module,
 * loaded in the same process) carries each payment. The two tokens have
 * different PINs, and each PIN goes to its own token only: a wrong or missing
 * carrier PIN costs the TPM nothing (its own dictionary-attack counter is read
 * before and after), and signs and queues nothing. The balances are read back
 * from the chain with viem, not through Signet.
 *
 * Where the TPM packages are missing the whole file is skipped, and says why in
 * one line.
 */
import { type Address, getAddress, parseAbi } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { p256AccountAddress, p256AccountFactoryAbi } from '../core/chain/p256-account.js';
import { readTpmLockout } from '../native/tpm/lockout.js';
import { type CliRun, pinFile } from './support/cli.js';
import { softhsmModule } from './support/softhsm.js';
import { findTpmTools } from './support/tpm-stack.js';
import { startTpmToken, type TpmToken } from './support/tpm-token.js';
import { useWallet, PIN as WALLET_PIN } from './support/wallet-fixture.js';

const tools = findTpmTools();
const missing = 'missing' in tools ? tools.missing : undefined;
if (missing) console.warn(`TPM payment tests skipped: ${missing}`);

const TPM_PIN = 'tpm-user-pin-1234';

describe.skipIf(missing !== undefined)('a TPM key pays on the dev ledger (CLI)', () => {
  // The TPM first: it must be set up before anything in this process opens tpm2-pkcs11.
  let tpm: TpmToken;
  beforeAll(async () => {
    tpm = await startTpmToken({ tokenLabel: 'teller-tpm', userPin: TPM_PIN });
  }, 60_000);
  afterAll(async () => {
    await tpm?.stop();
  });

  // SoftHSM2 token "Wallet" (PIN WALLET_PIN) with the carrier's secp256k1 key, and bob.
  const w = useWallet(['carrier', 'bob']);
  const tpmPin = pinFile(TPM_PIN);
  const walletPin = w.pin;
  const wrongPin = pinFile('not-the-pin-1');
  let account: Address;
  let app: AppApi;

  const currencyAbi = parseAbi(['function balanceOf(address) view returns (uint256)']);
  const onChainBalance = (address: Address) =>
    w.ledger.publicClient.readContract({
      address: w.ledger.profile.contracts.currency,
      abi: currencyAbi,
      functionName: 'balanceOf',
      args: [address],
    });
  const failures = async () => {
    const lockout = await readTpmLockout();
    if (!lockout.known) throw new Error(`the TPM's counter cannot be read: ${lockout.reason}`);
    return lockout.failures;
  };
  const outbox = async (): Promise<Array<{ status: string; carried: unknown }>> =>
    w.json(['outbox']);
  const signatures = async () =>
    (await w.json(['audit', '--limit', '500'])).entries.filter((e: { action: string }) =>
      e.action.startsWith('sign-'),
    ).length;
  const send = (amount: string, pins: string[]) =>
    w.cli([
      'send',
      '--from',
      tpm.keyUri,
      '--to',
      w.keys.bob!.address,
      '--amount',
      amount,
      '--carrier',
      w.keys.carrier!.address,
      '--offline',
      ...pins,
    ]);
  /** Syncs until nothing is in flight. */
  const syncSettled = async () => {
    for (let round = 0; round < 20; round++) {
      await w.json(['sync']);
      const rows = await outbox();
      if (rows.every((t) => t.status === 'confirmed' || t.status === 'failed')) return rows;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the outbox did not settle in 20 syncs');
  };
  function expectOneLine(run: CliRun, code: number, line: string | RegExp) {
    expect(run.code).toBe(code);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  }
  const state = async () => ({
    queued: (await outbox()).length,
    signatures: await signatures(),
    failures: await failures(),
  });
  /** What a refused payment must leave: nothing signed, nothing queued, the TPM's count as it was. */
  async function expectNothingDone(before: Awaited<ReturnType<typeof state>>) {
    expect(await state()).toEqual(before);
  }

  beforeAll(async () => {
    app = createAppApi({ home: w.home, env: w.env });
  });
  afterAll(() => app?.close());

  it('adds the TPM key as its account contract, the module found without module-path', async () => {
    // The URI as a user types it: the TPM token and key by label; Signet finds the module.
    const added = await w.cli([
      'account',
      'add',
      '--key',
      `pkcs11:token=${tpm.tokenLabel};object=tpm-key`,
      '--name',
      'TPM',
      '--pin-file',
      tpmPin,
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const [line, uri] = added.stdout.trim().split('\n');
    const factory = w.ledger.profile.contracts.p256AccountFactory!;
    const predicted = p256AccountAddress(
      factory,
      `0x${Buffer.from(tpm.publicKey).toString('hex')}`,
    );
    expect(line).toBe(`TPM  ${predicted} (P-256 account contract)`);
    // Stored under the key's full URI, with the module that holds it.
    expect(uri?.trim()).toBe(tpm.keyUri);
    account = predicted;
    expect(await w.ledger.publicClient.getCode({ address: account })).toBeUndefined();
  });

  it('is registered and funded by the operator, and synced like any address', async () => {
    await w.json(['ledger', 'fund', '--account', account, '--amount', '100.00']);
    await w.json(['ledger', 'fund', '--account', w.keys.carrier!.address, '--amount', '1.00']);
    await w.json(['ledger', 'fund', '--account', w.keys.bob!.address, '--amount', '1.00']);
    await w.json(['sync']);
    expect((await w.json(['balance', '--account', account]))[0]).toMatchObject({
      balance: '100.00',
      registered: true,
    });
  });

  it('reviews a carrier on another token as needing its own PIN', async () => {
    const preview = await app.dispatch('wallet.previewSend', {
      from: tpm.keyUri,
      to: w.keys.bob!.address,
      amount: '1.00',
      carrier: w.keys.carrier!.address,
    });
    expect(preview).toMatchObject({
      ok: true,
      result: {
        carried: {
          carrier: w.keys.carrier!.address,
          carrierLogin: { kind: 'other-token', token: 'Wallet', keyToken: 'teller-tpm' },
        },
      },
    });
  });

  it('refuses a missing carrier PIN in one line: --pin-file is the TPM’s, never tried on the carrier’s token', async () => {
    const before = await state();
    expect(before).toEqual({ queued: 0, signatures: 0, failures: 0 });
    expectOneLine(
      await send('12.34', ['--pin-file', tpmPin]),
      1,
      `signet: the carrier's token "Wallet" needs the PIN: give --carrier-pin-file FILE or --pin-stdin, or run in a terminal`,
    );
    // Nor on the command line, where every process sees it.
    expectOneLine(
      await send('12.34', ['--pin-file', tpmPin, `--carrier-pin=${WALLET_PIN}`]),
      1,
      'signet: Signet never takes a PIN on the command line; use --pin-file, --pin-stdin or the prompt',
    );
    await expectNothingDone(before);
  });

  it('refuses a wrong carrier PIN in one line naming the carrier’s token; the TPM counts nothing', async () => {
    const before = await state();
    const run = await send('12.34', ['--pin-file', tpmPin, '--carrier-pin-file', wrongPin]);
    expectOneLine(run, 1, /^signet: wrong PIN for token "Wallet"/);
    const json = await send('12.34', [
      '--pin-file',
      tpmPin,
      '--carrier-pin-file',
      wrongPin,
      '--json',
    ]);
    expect(json.json.error).toMatchObject({
      code: 'PIN_INCORRECT',
      details: { field: 'carrierPin' },
    });
    await expectNothingDone(before);
  });

  it('refuses a wrong TPM PIN in one line with the TPM’s tries left, and queues nothing', async () => {
    const before = await state();
    // The carrier's PIN given as the TPM's: what one PIN for both tokens used to do.
    const run = await send('12.34', ['--pin-file', walletPin, '--carrier-pin-file', walletPin]);
    expectOneLine(
      run,
      1,
      'signet: wrong PIN for token "teller-tpm"; 2 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 minutes',
    );
    await expectNothingDone({ ...before, failures: before.failures + 1 });
    await tpm.stack.clearLockout();
    expect(await failures()).toBe(0);
  });

  it('pays with a PIN per token (two PIN files), and settles on the chain', async () => {
    const run = await send('12.34', ['--pin-file', tpmPin, '--carrier-pin-file', walletPin]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`for ${account} (its nonce 0)`);
    expect(await outbox()).toEqual([
      expect.objectContaining({ status: 'signed', carried: { account, nonce: 0 } }),
    ]);
    expect((await syncSettled()).map((t) => t.status)).toEqual(['confirmed']);

    // Read back from the chain itself: the TPM account paid, and its contract now exists.
    expect(await onChainBalance(account)).toBe(87_66n);
    expect(await onChainBalance(w.keys.bob!.address)).toBe(13_34n);
    expect(await w.ledger.publicClient.getCode({ address: account })).toMatch(/^0x[0-9a-f]+$/);
    expect(
      await w.ledger.publicClient.readContract({
        address: w.ledger.profile.contracts.p256AccountFactory!,
        abi: p256AccountFactoryAbi,
        functionName: 'nonceOf',
        args: [account],
      }),
    ).toBe(1n);
    // The TPM key signed the operation; the carrier's key the transaction.
    const { entries } = await w.json(['audit', '--limit', '500']);
    expect(
      entries
        .filter((e: { action: string }) => e.action.startsWith('sign-'))
        .map((e: { action: string; keyUri: string }) => [e.action, e.keyUri]),
    ).toEqual([
      ['sign-transaction', w.keys.carrier!.uri],
      ['sign-typed-data', tpm.keyUri],
    ]);
    expect(await failures()).toBe(0);
  });

  it('takes the two PINs from standard input, the TPM’s first, and sends at once without --offline', async () => {
    const run = await w.cli(
      [
        'send',
        '--from',
        tpm.keyUri,
        '--to',
        w.keys.bob!.address,
        '--amount',
        '0.66',
        '--carrier',
        w.keys.carrier!.uri,
        '--pin-stdin',
        '--json',
      ],
      { stdin: `${TPM_PIN}\n${WALLET_PIN}\n` },
    );
    expect(run.stderr).toBe('');
    expect(run.json.transactions[0]).toMatchObject({ carried: { account, nonce: 1 } });
    await syncSettled();
    expect(await onChainBalance(account)).toBe(87_00n);
  });

  it('from the API: a PIN per token (pin, carrierPin); a wrong carrierPin says so and costs the TPM nothing', async () => {
    const request = {
      from: tpm.keyUri,
      to: w.keys.bob!.address,
      amount: '2.00',
      carrier: w.keys.carrier!.address,
    };
    const preview = await app.dispatch('wallet.previewSend', request);
    if (!preview.ok) throw new Error(preview.error.message);
    const { reviewDigest } = preview.result as { reviewDigest: string };
    const reviewed = { ...request, reviewDigest, offline: true };
    const before = await state();

    const noCarrierPin = await app.dispatch('wallet.send', { ...reviewed, pin: TPM_PIN });
    expect(noCarrierPin).toEqual({
      ok: false,
      error: {
        code: 'PIN_REQUIRED',
        message: `the carrier's token "Wallet" needs the PIN`,
        details: { role: 'user', field: 'carrierPin', token: 'Wallet' },
      },
    });
    const wrong = await app.dispatch('wallet.send', {
      ...reviewed,
      pin: TPM_PIN,
      carrierPin: 'not-the-pin-2',
    });
    expect(wrong).toMatchObject({
      ok: false,
      error: { code: 'PIN_INCORRECT', details: { field: 'carrierPin' } },
    });
    expect(JSON.stringify(wrong)).not.toContain('not-the-pin-2');
    await expectNothingDone(before);

    const paid = await app.dispatch('wallet.send', {
      ...reviewed,
      pin: TPM_PIN,
      carrierPin: WALLET_PIN,
    });
    expect(paid).toMatchObject({ ok: true, result: { transactions: [{ status: 'signed' }] } });
    expect(JSON.stringify(paid)).not.toMatch(new RegExp(`${TPM_PIN}|${WALLET_PIN}`));
    await syncSettled();
    expect(await onChainBalance(account)).toBe(85_00n);
    expect(await failures()).toBe(0);
  });

  it('issues a note from the TPM account through the Notes handlers, a PIN per token', async () => {
    const operation = {
      op: 'issue',
      from: tpm.keyUri,
      payee: w.keys.bob!.address,
      faceValue: '3.00',
      maturity: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
    };
    const preview = await app.dispatch('notes.preview', {
      operation,
      carrier: w.keys.carrier!.address,
    });
    if (!preview.ok) throw new Error(preview.error.message);
    const { transactions, reviewDigest } = preview.result as {
      transactions: Array<{ carried: { carrierLogin: unknown } }>;
      reviewDigest: string;
    };
    expect(transactions.map((tx) => tx.carried.carrierLogin)).toEqual([
      { kind: 'other-token', token: 'Wallet', keyToken: 'teller-tpm' },
      { kind: 'other-token', token: 'Wallet', keyToken: 'teller-tpm' },
    ]);
    const issued = await app.dispatch('notes.execute', {
      operation,
      carrier: w.keys.carrier!.address,
      reviewDigest,
      pin: TPM_PIN,
      carrierPin: WALLET_PIN,
      offline: true,
    });
    expect(issued).toMatchObject({ ok: true, result: { transactions: [{}, {}] } });
    await syncSettled();
    const held = await w.json(['notes', '--account', w.keys.bob!.address]);
    expect(held).toEqual([expect.objectContaining({ acceptor: account, value: '3.00' })]);
    expect(await failures()).toBe(0);
  });

  it('one token holding both keys is one login: one PIN, asked once', async () => {
    // A P-256 key on the SoftHSM2 token beside the carrier's key.
    const token = (await w.cli(['tokens', '--module', softhsmModule, '--json'])).json.find(
      (t: { label: string }) => t.label === 'Wallet',
    ).uri;
    const key = await w.json([
      'key',
      'generate',
      '--token',
      token,
      '--curve',
      'p256',
      '--label',
      'p256-beside',
      '--pin-file',
      walletPin,
    ]);
    const beside = await w.json(['account', 'add', '--key', key.uri, '--pin-file', walletPin]);
    await w.json(['ledger', 'fund', '--account', beside.address, '--amount', '5.00']);
    await w.json(['sync']);
    const preview = await app.dispatch('wallet.previewSend', {
      from: key.uri,
      to: w.keys.bob!.address,
      amount: '1.00',
      carrier: w.keys.carrier!.address,
    });
    expect(preview).toMatchObject({
      ok: true,
      result: { carried: { carrierLogin: { kind: 'same-token' } } },
    });
    // One line on standard input: a second PIN prompt would find it ran out.
    const run = await w.cli(
      [
        'send',
        '--from',
        key.uri,
        '--to',
        w.keys.bob!.address,
        '--amount',
        '1.00',
        '--carrier',
        w.keys.carrier!.address,
        '--offline',
        '--pin-stdin',
        '--json',
      ],
      { stdin: `${WALLET_PIN}\n` },
    );
    expect(run.stderr).toBe('');
    expect(run.json.transactions[0]).toMatchObject({
      from: getAddress(w.keys.carrier!.address),
      carried: { account: beside.address, nonce: 0 },
    });
    await syncSettled();
    expect(await onChainBalance(beside.address)).toBe(4_00n);

    // The UI's door, which opens modules by the path Signet lists (not the URI's
    // spelling, here a symlink): still one token, one `pin`, no carrierPin.
    const request = {
      from: key.uri,
      to: w.keys.bob!.address,
      amount: '1.00',
      carrier: w.keys.carrier!.address,
    };
    const reviewed = await app.dispatch('wallet.previewSend', request);
    if (!reviewed.ok) throw new Error(reviewed.error.message);
    const paid = await app.dispatch('wallet.send', {
      ...request,
      reviewDigest: (reviewed.result as { reviewDigest: string }).reviewDigest,
      pin: WALLET_PIN,
      offline: true,
    });
    expect(paid).toMatchObject({ ok: true, result: { transactions: [{ status: 'signed' }] } });
    await syncSettled();
    expect(await onChainBalance(beside.address)).toBe(3_00n);
  });
});
