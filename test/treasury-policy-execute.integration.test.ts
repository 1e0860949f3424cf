/**
 * A policy's higher threshold above a limit holds at execution: the Safe checks
 * only its own threshold, so a Signet executor with the treasury's policy stored
 * refuses to send a proposal with fewer approvals than the policy asks. Through
 * the real CLI, SoftHSM2 keys and the dev ledger.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { ChainSigner } from '../core/chain/chain-signer.js';
import { ALWAYS, type TreasuryPolicy } from '../core/treasury/policy.js';
import { encodePolicyFile, policyTypedData } from '../core/treasury/policy-file.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import { openKeySigner } from '../native/pkcs11/token-access.js';
import { fundedTreasury, rawCurrencyBalance, syncSettled } from './support/treasury-cli.js';
import { PIN, useWallet } from './support/wallet-fixture.js';

const w = useWallet(['alice', 'bob']);
const dir = mkdtempSync(join(tmpdir(), 'signet-treasury-higher-'));
const file = (name: string) => join(dir, name);
const receiver = getAddress('0x4444444444444444444444444444444444c0ffee');

/** Version 1, signed by alice (the 1-of-2 treasury's threshold): above 1.00, two approvals. */
async function policyFile(treasury: Address): Promise<string> {
  const { contracts, chainId } = w.ledger.profile;
  const policy: TreasuryPolicy = {
    chainId,
    safe: treasury,
    version: 1,
    currencies: [
      {
        currency: contracts.currency,
        decimals: 2,
        perPayment: 10_00n,
        daily: 100_00n,
        higherThreshold: { above: 1_00n, threshold: 2 },
      },
    ],
    payees: [receiver],
    noteContracts: [],
    multiSendCallOnly: contracts.multiSendCallOnly,
    window: ALWAYS,
  };
  const signer = new ChainSigner(
    await openKeySigner(w.keys.alice!.uri, { configured: [], policy: anyModule }, async () =>
      Buffer.from(PIN),
    ),
    w.keys.alice!.address,
  );
  try {
    const { signature } = await signer.signTypedData(policyTypedData(policy));
    const path = file('v1.signet-policy');
    writeFileSync(
      path,
      encodePolicyFile({
        policy,
        signatures: [{ kind: 'ecdsa', owner: w.keys.alice!.address, signature }],
      }),
    );
    return path;
  } finally {
    await signer.close();
  }
}

describe('the policy’s higher threshold at execution', () => {
  it('refuses to execute 3.00 with one approval where the policy asks two; executes with two', async () => {
    const treasury = await fundedTreasury(w, 'Strict', ['alice', 'bob'], 1, '20.00');
    await w.json(['ledger', 'fund', '--account', receiver, '--amount', '0.01']);
    await w.json(['treasury', 'policy', 'set', 'Strict', await policyFile(treasury)]);
    const proposed = await w.json([
      ...['treasury', 'propose', 'Strict', '--to', receiver, '--amount', '3.00'],
      ...['--sign-with', w.keys.alice!.uri, '--out', file('one.signet-approval')],
      ...['--pin-file', w.pin],
    ]);
    expect(proposed.review.approvals).toEqual([w.keys.alice!.address]);

    const refused = await w.cli([
      ...['treasury', 'execute', file('one.signet-approval'), '--from', w.keys.alice!.uri],
      ...['--pin-file', w.pin],
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /treasury policy version 1 asks 2 approvals for this proposal; it has 1/,
    );
    expect((await w.json(['outbox'])).map((t: { kind: string }) => t.kind)).toEqual([
      'treasury-create',
    ]);

    await w.json([
      ...['treasury', 'approve', file('one.signet-approval'), '--key', w.keys.bob!.uri],
      ...['--out', file('two.signet-approval'), '--pin-file', w.pin],
    ]);
    const before = await rawCurrencyBalance(w, receiver);
    await w.json([
      ...['treasury', 'execute', file('two.signet-approval'), '--from', w.keys.alice!.uri],
      ...['--pin-file', w.pin],
    ]);
    await syncSettled(w);
    expect((await rawCurrencyBalance(w, receiver)) - before).toBe(3_00n);
  });
});
