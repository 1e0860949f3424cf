/**
 * Treasury tests through the real `signet` command: a one-line refusal, raw
 * JSON-RPC reads (nothing of Signet's in between), the outbox synced until it
 * settles, and a 2-of-3 treasury created, deployed and funded through the CLI.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Address, decodeFunctionResult, encodeFunctionData, type Hex } from 'viem';
import { expect } from 'vitest';
import { currencyAbi } from '../../core/chain/abi.js';
import { safeAbi } from '../../core/chain/safe.js';
import { syncSettled } from './sync-settled.js';
import type { WalletFixture } from './wallet-fixture.js';

/** Sync until nothing is in flight: one helper for every test (test/support/sync-settled.ts). */
export { syncSettled };

/** Exit 1, and one line on stderr matching `message`. */
export function expectRefused(run: { code: number; stderr: string }, message: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(message);
}

/**
 * Raw JSON-RPC to the dev node. A read is retried once when the keep-alive
 * connection it reused was closed by the node meanwhile (it idles out while a
 * test blocks the event loop in spawnSync or a long synchronous decode).
 */
export async function rawRpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const send = () =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
  let response: Response;
  try {
    response = await send();
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
    response = await send();
  }
  const body = (await response.json()) as { result: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** The currency's balance of `address`, read over raw JSON-RPC. */
export async function rawCurrencyBalance(w: WalletFixture, address: Address): Promise<bigint> {
  const data = encodeFunctionData({ abi: currencyAbi, functionName: 'balanceOf', args: [address] });
  const result = await rawRpc<Hex>(w.ledger.url, 'eth_call', [
    { to: w.ledger.profile.contracts.currency, data },
    'latest',
  ]);
  return decodeFunctionResult({ abi: currencyAbi, functionName: 'balanceOf', data: result });
}

/**
 * A treasury named `name` owned by the wallet keys `owners` (the first sends its
 * deployment), created with `signet treasury create`, deployed by sync and funded
 * with `amount`. Returns its address.
 */
export async function fundedTreasury(
  w: WalletFixture,
  name: string,
  owners: readonly string[],
  threshold: number,
  amount: string,
): Promise<Address> {
  const sender = w.keys[owners[0]!]!;
  await w.json(['ledger', 'fund', '--account', sender.address, '--amount', '10.00']);
  await w.json(['sync']);
  const created = await w.json([
    ...['treasury', 'create', '--name', name],
    ...owners.flatMap((owner) => ['--owner', w.keys[owner]!.address]),
    ...['--threshold', String(threshold), '--from', sender.uri, '--offline', '--pin-file', w.pin],
  ]);
  await syncSettled(w);
  const address = created.treasury.address as Address;
  expect((await w.json(['treasury', 'show', name])).chain).toMatchObject({ deployed: true });
  await w.json(['ledger', 'fund', '--account', address, '--amount', amount]);
  return address;
}

/** A Safe's getOwners(), getThreshold() and nonce(), read over raw JSON-RPC. */
export async function rawSafe(
  w: WalletFixture,
  safe: Address,
): Promise<{ owners: readonly Address[]; threshold: bigint; nonce: bigint }> {
  const read = async (functionName: 'getOwners' | 'getThreshold' | 'nonce'): Promise<unknown> => {
    const data = encodeFunctionData({ abi: safeAbi, functionName } as const);
    const result = await rawRpc<Hex>(w.ledger.url, 'eth_call', [{ to: safe, data }, 'latest']);
    return decodeFunctionResult({ abi: safeAbi, functionName, data: result } as const);
  };
  return {
    owners: (await read('getOwners')) as readonly Address[],
    threshold: (await read('getThreshold')) as bigint,
    nonce: (await read('nonce')) as bigint,
  };
}

/** The frame files of a `treasury qr` folder, in display order. */
export function qrFrames(folder: string): string[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.png'))
    .sort()
    .map((name) => join(folder, name));
}

/** A tenth of the frames deleted and the rest shuffled (a seeded shuffle, so a failure can be replayed). */
export function dropAndShuffle(files: readonly string[], seed: number): string[] {
  let state = seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const shuffled = [...files];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return shuffled.slice(Math.round(files.length / 10));
}
