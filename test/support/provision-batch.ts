/**
 * Shared parts of the `signet provision batch` tests (issue 12 §2, §4): the
 * bank's blank tokens made by softhsm2-util as a factory ships them, the real
 * command in a process of its own (so kill -9 and exit codes are real), the
 * ledger read over raw JSON-RPC (not through Signet's own client), and the
 * data folder's journal and outbox.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Address,
  encodeFunctionData,
  type Hex,
  keccak256,
  pad,
  parseAbi,
  toBytes,
} from 'viem';
import { openStore } from '../../core/store/database.js';
import { devKeys } from '../../ledger/deploy.js';
import type { WalletFixture } from './wallet-fixture.js';

/** The bank's SO PIN for its customers' tokens. */
export const SO_PIN = '31415926';

export const currencyAbi = parseAbi([
  'function grantRole(bytes32 role, address account)',
  'function revokeRole(bytes32 role, address account)',
  'function issue(address operator, uint256 amount)',
  'function isRegistered(address account) view returns (bool)',
  'function balanceOf(address account) view returns (uint256)',
]);

/** The central bank appoints `operator` as an operator bank, issues it money and gives it gas. */
export async function appointOperator(w: WalletFixture, operator: Address): Promise<void> {
  const bank = w.ledger.wallet(devKeys.centralBank);
  const currency = w.ledger.profile.contracts.currency as Address;
  for (const [functionName, args] of [
    ['grantRole', [keccak256(toBytes('OPERATOR_ROLE')), operator]],
    ['issue', [operator, 1_000_000_00n]],
  ] as const) {
    const hash = await bank.writeContract({
      address: currency,
      abi: currencyAbi,
      functionName,
      args,
    } as never);
    await w.ledger.publicClient.waitForTransactionReceipt({ hash });
  }
  await w.ledger.setBalance(operator, 10n ** 20n);
}

/** A blank token as the factory ships it (the bank's SO PIN, no key); returns its serial. */
export function softhsmToken(w: WalletFixture, label: string, soPin = SO_PIN): string {
  return softhsmTokenWithSlot(w, label, soPin).serial;
}

export function softhsmTokenWithSlot(
  w: WalletFixture,
  label: string,
  soPin = SO_PIN,
): { serial: string; slot: number } {
  const out = execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', '00000000'],
    { env: w.env, encoding: 'utf8' },
  );
  const slot = /reassigned to slot (\d+)/.exec(out)![1]!;
  const show = execFileSync('softhsm2-util', ['--show-slots'], { env: w.env, encoding: 'utf8' });
  const block = show.split(/\n(?=Slot )/).find((b) => b.startsWith(`Slot ${slot}`))!;
  return { serial: /Serial number:\s*(\S+)/.exec(block)![1]!, slot: Number(slot) };
}

/** A token's label as softhsm2-util shows it (by serial). */
export function tokenLabel(w: WalletFixture, serial: string): string | undefined {
  const show = execFileSync('softhsm2-util', ['--show-slots'], { env: w.env, encoding: 'utf8' });
  const block = show
    .split(/\n(?=Slot )/)
    .find((b) => new RegExp(`Serial number:\\s*${serial}\\b`).test(b));
  return block ? /Label:\s*(.*)/.exec(block)![1]!.trim() : undefined;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `signet provision batch ARGS` in a process of its own; `onStderr` sees stderr as it comes. */
export function provisionBatch(
  w: WalletFixture,
  args: string[],
  options: {
    killAt?: string;
    env?: NodeJS.ProcessEnv;
    onStderr?: (text: string, child: ChildProcess) => void;
  } = {},
): Promise<Run> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, '../../bin/signet.js'), 'provision', 'batch', ...args],
    {
      env: {
        ...w.env,
        ...options.env,
        ...(options.killAt ? { SIGNET_FAKE_PROVISION_KILL_AT: options.killAt } : {}),
      },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    options.onStderr?.(stderr, child);
  });
  return new Promise((resolve) =>
    child.on('exit', (code, signal) =>
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - started) / 1000 }),
    ),
  );
}

/** One JSON-RPC call straight to the dev node: the ledger's word, not Signet's. */
export async function rawRpc(w: WalletFixture, method: string, params: unknown[]): Promise<any> {
  const response = await fetch(w.ledger.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: unknown };
  if (body.error) throw new Error(JSON.stringify(body.error));
  return body.result;
}

export async function rawCall(
  w: WalletFixture,
  functionName: 'isRegistered' | 'balanceOf',
  address: Address,
): Promise<bigint> {
  const data = encodeFunctionData({ abi: currencyAbi, functionName, args: [address] });
  return BigInt(
    await rawRpc(w, 'eth_call', [{ to: w.ledger.profile.contracts.currency, data }, 'latest']),
  );
}

/** AccountRegistered logs for `account` (all registrars), over raw JSON-RPC. */
export async function registrationsOf(w: WalletFixture, account: Address): Promise<unknown[]> {
  return rawRpc(w, 'eth_getLogs', [
    {
      address: w.ledger.profile.contracts.currency,
      fromBlock: '0x0',
      toBlock: 'latest',
      topics: [keccak256(toBytes('AccountRegistered(address,address,bytes32)')), pad(account)],
    },
  ]);
}

/** Transfer logs from `from` to `to`, over raw JSON-RPC. */
export async function transfers(w: WalletFixture, from: Address, to: Address): Promise<unknown[]> {
  return rawRpc(w, 'eth_getLogs', [
    {
      address: w.ledger.profile.contracts.currency,
      fromBlock: '0x0',
      toBlock: 'latest',
      topics: [keccak256(toBytes('Transfer(address,address,uint256)')), pad(from as Hex), pad(to)],
    },
  ]);
}

export interface JournalEntry {
  customer_ref: string;
  step: string;
  intent: string | null;
  pin_resets: number;
  register_tx: number | null;
  fund_tx: number | null;
  token_serial: string | null;
  address: string | null;
}

/** A read of the data folder's SQLite store (opened and closed: it checkpoints the WAL). */
export function readStore<T>(w: WalletFixture, sql: string, ...params: unknown[]): T[] {
  const store = openStore(join(w.home, 'signet.sqlite'));
  try {
    return store.db.prepare(sql).all(...params) as T[];
  } finally {
    store.close();
  }
}

export const journal = (w: WalletFixture) =>
  readStore<JournalEntry>(w, 'SELECT * FROM provision_journal ORDER BY batch_id, line');

export const outboxRows = (w: WalletFixture) =>
  readStore<{ id: number; kind: string; status: string }>(
    w,
    'SELECT id, kind, status FROM outbox ORDER BY id',
  );

/** How many outbox rows of each kind (all statuses). */
export function outboxKinds(w: WalletFixture): Record<string, number> {
  const rows = readStore<{ kind: string; n: number }>(
    w,
    'SELECT kind, count(*) AS n FROM outbox GROUP BY kind ORDER BY kind',
  );
  return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
}

/**
 * Where `pin` shows in `text`, ignoring where its digits are only part of a long hex
 * string (a hash, an address, a raw transaction: 40 hex characters or more around
 * them), which 8 random digits match by chance once in a few megabytes of hex.
 */
export function pinSightings(pin: string, text: string): string[] {
  const hex = /[0-9a-fA-F]/;
  const seen: string[] = [];
  for (let at = text.indexOf(pin); at >= 0; at = text.indexOf(pin, at + 1)) {
    let from = at;
    let to = at + pin.length;
    while (from > 0 && hex.test(text[from - 1]!)) from--;
    while (to < text.length && hex.test(text[to]!)) to++;
    if (to - from < 40) seen.push(JSON.stringify(text.slice(Math.max(0, at - 40), at + 48)));
  }
  return seen;
}

export function filesUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}
