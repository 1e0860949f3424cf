/**
 * Transactions and EIP-712 messages signed by a SoftHSM2 key recover, with
 * viem's independent parser, to the account's address, for every envelope
 * Signet builds (EIP-1559 and legacy EIP-155).
 */
import {
  type Hex,
  parseTransaction,
  recoverTransactionAddress,
  recoverTypedDataAddress,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainSigner } from '../core/chain/chain-signer.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import { openKeySigner } from '../native/pkcs11/token-access.js';
import { pinFile, signet } from './support/cli.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';

const store = createSoftHsmStore();
const PIN = '1234-ledger';
let signer: ChainSigner;
let p256Uri: string;
let tokenUri: string;
const pins = async () => Buffer.from(PIN);

beforeAll(async () => {
  store.initToken('Chain signer', PIN);
  store.activate();
  tokenUri = (await signet(['tokens', '--module', softhsmModule, '--json'])).json.find(
    (t: any) => t.label === 'Chain signer',
  ).uri;
  const generate = async (curve: string) =>
    (
      await signet([
        'key',
        'generate',
        '--token',
        tokenUri,
        '--curve',
        curve,
        '--label',
        curve,
        '--pin-file',
        pinFile(PIN),
        '--json',
      ])
    ).json;
  const key = await generate('secp256k1');
  p256Uri = (await generate('p256')).uri;
  signer = new ChainSigner(
    await openKeySigner(key.uri, { configured: [], policy: anyModule }, pins),
    key.address,
  );
});
afterAll(async () => {
  await signer?.close();
  store.remove();
});

const tx = {
  chainId: 31337,
  nonce: 7,
  to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  data: '0xa9059cbb' as Hex,
  value: 0n,
  gas: 90_000n,
} as const;

describe('ChainSigner', () => {
  it('signs EIP-1559 transactions that recover to the account', async () => {
    for (let i = 0; i < 6; i++) {
      const signed = await signer.signTransaction({
        ...tx,
        nonce: i,
        type: 'eip1559',
        maxFeePerGas: 2_000_000_000n,
        maxPriorityFeePerGas: 1n,
      });
      const parsed = parseTransaction(signed);
      expect(parsed).toMatchObject({ chainId: 31337, nonce: i, type: 'eip1559' });
      expect(await recoverTransactionAddress({ serializedTransaction: signed as any })).toBe(
        signer.address,
      );
    }
  });

  it('signs legacy EIP-155 transactions with the chain id in v', async () => {
    const signed = await signer.signTransaction({
      ...tx,
      type: 'legacy',
      gasPrice: 1_000_000_000n,
    });
    const parsed = parseTransaction(signed);
    expect(parsed.chainId).toBe(31337);
    expect([31337n * 2n + 35n, 31337n * 2n + 36n]).toContain(parsed.v);
    expect(await recoverTransactionAddress({ serializedTransaction: signed as any })).toBe(
      signer.address,
    );
  });

  it('signs EIP-712 data (a permit) that recovers to the account', async () => {
    const definition = {
      domain: {
        name: 'Signet Digital Currency',
        version: '1',
        chainId: 31337,
        verifyingContract: tx.to,
      },
      types: {
        Permit: [
          { name: 'owner', type: 'address' },
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'deadline', type: 'uint256' },
        ],
      },
      primaryType: 'Permit',
      message: {
        owner: signer.address,
        spender: tx.to,
        value: 1234n,
        nonce: 0n,
        deadline: 2n ** 40n,
      },
    } as const;
    const { signature } = await signer.signTypedData(definition);
    expect(await recoverTypedDataAddress({ ...definition, signature })).toBe(signer.address);
  });

  it('refuses a transaction without a chain id, a key of another account, and a P-256 key', async () => {
    await expect(
      signer.signTransaction({ ...tx, chainId: undefined, type: 'eip1559' } as any),
    ).rejects.toThrow('refusing to sign a transaction without a chain id');
    const again = await openKeySigner(
      signer.signer.keyUri,
      { configured: [], policy: anyModule },
      pins,
    );
    expect(() => new ChainSigner(again, tx.to)).toThrow(
      `is account ${signer.address}, not ${tx.to}`,
    );
    await again.close();
    const p256 = await openKeySigner(p256Uri, { configured: [], policy: anyModule }, pins);
    expect(() => new ChainSigner(p256)).toThrow('ledger accounts need a secp256k1 key');
    await p256.close();
  });
});
