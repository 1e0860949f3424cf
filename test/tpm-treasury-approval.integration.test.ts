/**
 * A TPM owner approves a treasury payment through its account contract: a real
 * swtpm + tpm2-abrmd + tpm2-pkcs11 stack (test/support/tpm-token.ts) holds the
 * P-256 key, whose P256Account co-owns a 2-of-2 treasury with a secp256k1 key
 * on a SoftHSM2 token. The TPM key approves in a separate process with no
 * ledger profile (--offline) from the proposer's file; the bundle executes
 * once, the payee's balance read over raw JSON-RPC.
 *
 * Where the TPM packages are missing the whole file is skipped, and says why in
 * one line.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, getAddress } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { p256AccountAddress } from '../core/chain/p256-account.js';
import { pinFile, signetProcess } from './support/cli.js';
import { findTpmTools } from './support/tpm-stack.js';
import { startTpmToken, type TpmToken } from './support/tpm-token.js';
import { rawCurrencyBalance, syncSettled } from './support/treasury-cli.js';
import { useWallet } from './support/wallet-fixture.js';

const tools = findTpmTools();
const missing = 'missing' in tools ? tools.missing : undefined;
if (missing) console.warn(`TPM treasury approval tests skipped: ${missing}`);

const TPM_PIN = 'tpm-user-pin-5678';

describe.skipIf(missing !== undefined)('a TPM owner approves through its account contract', () => {
  // The TPM first: it must be set up before anything in this process opens tpm2-pkcs11.
  let tpm: TpmToken;
  beforeAll(async () => {
    tpm = await startTpmToken({ tokenLabel: 'treasurer-tpm', userPin: TPM_PIN });
  }, 60_000);
  afterAll(async () => {
    await tpm?.stop();
  });

  const w = useWallet(['alice']);
  const tpmPin = pinFile(TPM_PIN);
  const dir = mkdtempSync(join(tmpdir(), 'signet-tpm-treasury-'));
  const file = (name: string) => join(dir, name);
  const receiver = getAddress('0x3333333333333333333333333333333333c0ffee');
  let account: Address;

  it('a 2-of-2 treasury of a token key and the TPM key’s account pays once', async () => {
    const added = await w.json([
      ...['account', 'add', '--key', tpm.keyUri, '--name', 'TPM', '--pin-file', tpmPin],
    ]);
    account = added.address;
    const publicKey = `0x${Buffer.from(tpm.publicKey).toString('hex')}` as const;
    expect(account).toBe(
      p256AccountAddress(w.ledger.profile.contracts.p256AccountFactory!, publicKey),
    );

    await w.json(['ledger', 'fund', '--account', w.keys.alice!.address, '--amount', '10.00']);
    await w.json(['ledger', 'fund', '--account', account, '--amount', '1.00']);
    await w.json(['ledger', 'fund', '--account', receiver, '--amount', '0.01']);
    await w.json(['sync']);
    const created = await w.json([
      ...['treasury', 'create', '--name', 'TPM-Ops', '--owner', w.keys.alice!.address],
      ...['--owner', account, '--threshold', '2', '--from', w.keys.alice!.uri],
      ...['--offline', '--pin-file', w.pin],
    ]);
    const treasury = created.treasury.address as Address;
    // The account's first operation deploys it (carried by alice), so the Safe can ask it.
    await w.json([
      ...['send', '--from', tpm.keyUri, '--to', receiver, '--amount', '0.01'],
      ...['--carrier', w.keys.alice!.address, '--pin-file', tpmPin],
      ...['--carrier-pin-file', w.pin],
    ]);
    await syncSettled(w);
    await w.json(['ledger', 'fund', '--account', treasury, '--amount', '30.00']);

    await w.json([
      ...['treasury', 'propose', 'TPM-Ops', '--to', receiver, '--amount', '3.50'],
      ...['--sign-with', w.keys.alice!.uri, '--out', file('a.signet-approval')],
      ...['--pin-file', w.pin],
    ]);

    // The TPM approver: another process, no ledger profile, no network.
    const home = mkdtempSync(join(tmpdir(), 'signet-tpm-offline-'));
    const approved = signetProcess(
      [
        ...['treasury', 'approve', file('a.signet-approval'), '--key', tpm.keyUri],
        ...['--out', file('at.signet-approval'), '--offline', '--pin-stdin', '--json'],
      ],
      { env: { ...w.env, ...tpm.env, SIGNET_HOME: home }, stdin: `${TPM_PIN}\n` },
    );
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.json.approvedBy).toBe(account);
    expect(existsSync(join(home, 'profile.json'))).toBe(false);
    const body = JSON.parse(readFileSync(file('at.signet-approval'), 'utf8')).body;
    expect(body.approvals.map((a: { kind: string }) => a.kind).sort()).toEqual([
      'contract',
      'ecdsa',
    ]);

    const before = await rawCurrencyBalance(w, receiver);
    await w.json([
      ...['treasury', 'execute', file('at.signet-approval'), '--from', w.keys.alice!.uri],
      ...['--pin-file', w.pin],
    ]);
    await syncSettled(w);
    expect(await rawCurrencyBalance(w, receiver)).toBe(before + 3_50n);
    expect((await w.json(['treasury', 'show', 'TPM-Ops'])).chain).toMatchObject({ nonce: '1' });
  });
});
