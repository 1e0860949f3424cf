/**
 * A customer at the counter, for the UI's counter tests: the wallet's
 * `operator` key made an operator bank (role, money, gas), one customer
 * provisioned by a one-row `signet provision batch` with 50.00 and paid a
 * 10.00 note, and a blank SoftHSM2 token for the replacement. Reads of the
 * ledger go over raw JSON-RPC, not through Signet.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, encodeFunctionData, getAddress, keccak256, parseAbi, toBytes } from 'viem';
import { devKeys } from '../../ledger/deploy.js';
import { pinFile } from './cli.js';
import { softhsmModule } from './softhsm.js';
import { syncSettled } from './sync-settled.js';
import type { WalletFixture } from './wallet-fixture.js';

export const COUNTER_SO_PIN = '27182818';

const abi = parseAbi([
  'function grantRole(bytes32 role, address account)',
  'function issue(address operator, uint256 amount)',
  'function isFrozen(address account) view returns (bool)',
  'function balanceOf(address account) view returns (uint256)',
  'function ownerOf(uint256 tokenId) view returns (address)',
  'function tokenOfOwnerByIndex(address owner, uint256 index) view returns (uint256)',
]);

/** The chain as raw JSON-RPC reads it (not through Signet). */
export function chainOverRpc(w: WalletFixture) {
  const rpc = async (method: string, params: unknown[]): Promise<any> => {
    const response = await fetch(w.ledger.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: unknown; error?: unknown };
    if (body.error) throw new Error(JSON.stringify(body.error));
    return body.result;
  };
  const read = (to: 'currency' | 'notes', functionName: string, args: unknown[]) =>
    rpc('eth_call', [
      {
        to: w.ledger.profile.contracts[to],
        data: encodeFunctionData({ abi, functionName, args } as never),
      },
      'latest',
    ]) as Promise<string>;
  return {
    balance: async (account: string) => BigInt(await read('currency', 'balanceOf', [account])),
    frozen: async (account: string) => BigInt(await read('currency', 'isFrozen', [account])) === 1n,
    noteOwner: async (id: bigint) =>
      getAddress(`0x${(await read('notes', 'ownerOf', [id])).slice(26)}`),
    firstNote: async (account: string) =>
      BigInt(await read('notes', 'tokenOfOwnerByIndex', [account, 0n])),
  };
}

/** A fresh SoftHSM2 token in the wallet's store: its serial. */
export function blankToken(w: WalletFixture, label: string): string {
  const out = execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--so-pin', COUNTER_SO_PIN, '--pin', '00000000'],
    { env: w.env, encoding: 'utf8' },
  );
  const slot = /reassigned to slot (\d+)/.exec(out)![1];
  const show = execFileSync('softhsm2-util', ['--show-slots'], { env: w.env, encoding: 'utf8' });
  const block = show.split(/\n(?=Slot )/).find((b) => b.startsWith(`Slot ${slot}`))!;
  return /Serial number:\s*(\S+)/.exec(block)![1]!;
}

/** The token's pkcs11: URI as `signet tokens` gives it (what the page picks from its list). */
export async function tokenUriOf(w: WalletFixture, serial: string, module = softhsmModule) {
  const tokens = await w.json(['tokens', '--module', module]);
  return tokens.find((t: { serial: string }) => t.serial === serial).uri as string;
}

export interface CounterCustomer {
  ref: string;
  lost: Address;
  noteId: bigint;
}

/** The operator bank and its customer `ref` with 50.00 and a 10.00 note. */
export async function counterCustomer(w: WalletFixture, ref: string): Promise<CounterCustomer> {
  const operator = w.keys.operator!;
  const bank = w.ledger.wallet(devKeys.centralBank);
  for (const [functionName, args] of [
    ['grantRole', [keccak256(toBytes('OPERATOR_ROLE')), operator.address]],
    ['issue', [operator.address, 1_000_000_00n]],
  ] as const) {
    const hash = await bank.writeContract({
      address: w.ledger.profile.contracts.currency as Address,
      abi,
      functionName,
      args,
    } as never);
    await w.ledger.publicClient.waitForTransactionReceipt({ hash });
  }
  await w.ledger.setBalance(operator.address, 10n ** 20n);
  const dir = mkdtempSync(join(tmpdir(), 'signet-counter-setup-'));
  const csv = join(dir, 'one.csv');
  writeFileSync(
    csv,
    `customer,name,token,amount,language\n${ref},Wang Fang,${blankToken(w, 'blank-old')},50.00,en\n`,
  );
  const batch = await w.json([
    ...['provision', 'batch', '--csv', csv, '--operator', operator.uri],
    ...['--mailers', join(dir, 'mailers'), '--module', softhsmModule],
    ...['--so-pin-file', pinFile(COUNTER_SO_PIN), '--pin-file', w.pin],
  ]);
  const lost = getAddress(batch.rows[0].address);
  const maturity = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  await w.json([
    ...['note', 'issue', '--from', operator.uri, '--to', lost, '--amount', '10.00'],
    ...['--maturity', maturity, '--pin-file', w.pin],
  ]);
  await syncSettled(w);
  return { ref, lost, noteId: await chainOverRpc(w).firstNote(lost) };
}

/** The PIN a mailer carries (the test reads it to prove it is nowhere else). */
export const mailerPin = (path: string) => /PIN: (\d+)/.exec(readFileSync(path, 'utf8'))![1]!;
