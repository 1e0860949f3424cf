/**
 * Issue 12 §3, at the counter, with real parts: SoftHSM2 tokens, the dev
 * ledger, the real `signet` command. A customer provisioned by a one-row
 * `provision batch`, paid money and a note, loses the token:
 * `signet provision replace` freezes the lost account, provisions a new token,
 * registers it under the same reference and moves the money and the note
 * (recoverFrozen), checked over raw JSON-RPC; the new mailer's PIN opens the
 * new token. Then the customer forgets that PIN (three wrong logins) and
 * `signet provision unblock` resets it to a new mailer. Every refusal, and no
 * PIN in any output, the audit log or the data folder.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Address,
  encodeEventTopics,
  encodeFunctionData,
  getAddress,
  keccak256,
  parseAbi,
  toBytes,
} from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerRefHash } from '../core/customers/customer-ref.js';
import { devKeys } from '../ledger/deploy.js';
import { buildFakeSmartcard } from './fakes/fake-smartcard.js';
import { pinFile, signet as signetRun } from './support/cli.js';
import { softhsmModule } from './support/softhsm.js';
import { syncSettled } from './support/treasury-cli.js';
import { useWallet } from './support/wallet-fixture.js';

const SO_PIN = '27182818';
const w = useWallet(['operator']);
const dir = mkdtempSync(join(tmpdir(), 'signet-counter-'));
const mailers = join(dir, 'mailers');
const soPinFile = pinFile(SO_PIN);
const REF = 'K-0042';
const maturity = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);

const abi = parseAbi([
  'function grantRole(bytes32 role, address account)',
  'function issue(address operator, uint256 amount)',
  'function isRegistered(address account) view returns (bool)',
  'function isFrozen(address account) view returns (bool)',
  'function balanceOf(address account) view returns (uint256)',
  'function operatorOf(address account) view returns (address)',
  'function ownerOf(uint256 tokenId) view returns (address)',
  'function tokenOfOwnerByIndex(address owner, uint256 index) view returns (uint256)',
  'event AccountRegistered(address indexed account, address indexed operator, bytes32 customerRef)',
]);

async function rpc(method: string, params: unknown[]): Promise<any> {
  const response = await fetch(w.ledger.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: unknown };
  if (body.error) throw new Error(JSON.stringify(body.error));
  return body.result;
}
async function read(to: 'currency' | 'notes', functionName: string, args: unknown[]) {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  return rpc('eth_call', [
    { to: w.ledger.profile.contracts[to], data },
    'latest',
  ]) as Promise<string>;
}
const num = async (to: 'currency' | 'notes', fn: string, args: unknown[]) =>
  BigInt(await read(to, fn, args));
const addr = async (to: 'currency' | 'notes', fn: string, args: unknown[]) =>
  getAddress(`0x${(await read(to, fn, args)).slice(26)}`);
/** The reference hash each AccountRegistered of `account` recorded, from the raw logs. */
async function registeredRefs(account: Address): Promise<string[]> {
  const topics = encodeEventTopics({ abi, eventName: 'AccountRegistered', args: { account } });
  const logs = await rpc('eth_getLogs', [
    { address: w.ledger.profile.contracts.currency, topics, fromBlock: '0x0', toBlock: 'latest' },
  ]);
  return logs.map((l: { data: string }) => l.data.toLowerCase());
}

function softhsmToken(label: string): string {
  const out = execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--so-pin', SO_PIN, '--pin', '00000000'],
    { env: w.env, encoding: 'utf8' },
  );
  const slot = /reassigned to slot (\d+)/.exec(out)![1];
  const show = execFileSync('softhsm2-util', ['--show-slots'], { env: w.env, encoding: 'utf8' });
  const block = show.split(/\n(?=Slot )/).find((b) => b.startsWith(`Slot ${slot}`))!;
  return /Serial number:\s*(\S+)/.exec(block)![1]!;
}
/** The slot SoftHSM2 shows the token with this serial in (two tokens carry the customer's label). */
function slotOf(serial: string): string {
  const show = execFileSync('softhsm2-util', ['--show-slots'], { env: w.env, encoding: 'utf8' });
  const block = show
    .split(/\n(?=Slot )/)
    .find((b) => new RegExp(`Serial number:\\s*${serial}`).test(b));
  return /^Slot (\d+)/.exec(block!)![1]!;
}
/** pkcs11-tool logged in with `pin` to the token with this serial: its objects, or the failure. */
function login(serial: string, pin: string): { ok: boolean; out: string } {
  try {
    const out = execFileSync(
      'pkcs11-tool',
      ['--module', softhsmModule, '--slot', slotOf(serial), '--login', '--pin', pin, '-O'],
      { env: w.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { ok: true, out };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
/** The real command in a process of its own (so a SIGKILL kills only it). */
function signetChild(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../bin/signet.js'), ...args], {
    env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (_code, signal) => resolve({ signal, stdout, stderr })),
  );
}
const pinOf = (path: string) => /PIN: (\d+)/.exec(readFileSync(path, 'utf8'))![1]!;
const outputs: string[] = [];
async function signet(args: string[]) {
  const run = await w.cli([...args, '--json']);
  outputs.push(run.stdout, run.stderr);
  return run;
}

describe('at the counter: a lost token replaced, a forgotten PIN reset', () => {
  let lost: Address;
  let oldSerial: string;
  let newSerial: string;
  let noteId: bigint;

  beforeAll(async () => {
    const operator = w.keys.operator!;
    const bank = w.ledger.wallet(devKeys.centralBank);
    const currency = w.ledger.profile.contracts.currency as Address;
    for (const [functionName, args] of [
      ['grantRole', [keccak256(toBytes('OPERATOR_ROLE')), operator.address]],
      ['issue', [operator.address, 1_000_000_00n]],
    ] as const) {
      const hash = await bank.writeContract({
        address: currency,
        abi,
        functionName,
        args,
      } as never);
      await w.ledger.publicClient.waitForTransactionReceipt({ hash });
    }
    await w.ledger.setBalance(operator.address, 10n ** 20n);

    // The customer, provisioned by a one-row batch with 50.00.
    oldSerial = softhsmToken('blank-old');
    const csv = join(dir, 'one.csv');
    writeFileSync(
      csv,
      `customer,name,token,amount,language\n${REF},Wang Fang,${oldSerial},50.00,en\n`,
    );
    const batch = await signet([
      ...['provision', 'batch', '--csv', csv, '--operator', operator.uri, '--mailers', mailers],
      ...['--module', softhsmModule, '--so-pin-file', soPinFile, '--pin-file', w.pin],
    ]);
    expect(batch.code, batch.stderr).toBe(0);
    lost = getAddress(batch.json.rows[0].address);
    // And a note, issued to them by the operator's funded account.
    await w.json([
      ...['note', 'issue', '--from', operator.uri, '--to', lost, '--amount', '10.00'],
      ...['--maturity', maturity, '--pin-file', w.pin],
    ]);
    await syncSettled(w);
    noteId = await num('notes', 'tokenOfOwnerByIndex', [lost, 0n]);
    expect(await num('currency', 'balanceOf', [lost])).toBe(5000n);
    newSerial = softhsmToken('blank-new');
  }, 300_000);

  const replace = (extra: Record<string, string> = {}) => {
    const flags = {
      '--customer': REF,
      '--lost': lost,
      '--token': newSerial,
      '--operator': w.keys.operator!.uri,
      '--so-pin-file': soPinFile,
      '--pin-file': w.pin,
      '--mailers': mailers,
      '--module': softhsmModule,
      '--name': 'Wang Fang',
      '--language': 'zh-CN',
      ...extra,
    };
    return signet(['provision', 'replace', ...Object.entries(flags).flat()]);
  };

  it('refuses, in one line and changing nothing: a wrong reference, not our customer, a token with a key', async () => {
    const wrongRef = await replace({ '--customer': 'K-0043' });
    expect(wrongRef.code).toBe(1);
    expect(wrongRef.json.error.details.reason).toBe('customer-mismatch');
    expect(wrongRef.stderr.trim().split('\n')).toHaveLength(1);

    const stranger = await replace({ '--lost': w.keys.operator!.address });
    expect(stranger.json.error.code).toBe('NOT_ACCOUNT_OPERATOR');
    const nobody = await replace({ '--lost': '0x1111111111111111111111111111111111111111' });
    expect(nobody.json.error.code).toBe('NOT_ACCOUNT_OPERATOR');
    expect(nobody.stderr).toMatch(/not a customer of any operator bank/);

    const someones = softhsmToken('someone');
    execFileSync(
      'pkcs11-tool',
      [
        ...['--module', softhsmModule, '--token-label', 'someone', '--login', '--pin', '00000000'],
        ...['--keypairgen', '--key-type', 'EC:secp256k1', '--label', 'theirs'],
      ],
      { env: w.env, stdio: 'ignore' },
    );
    const keyed = await replace({ '--token': someones });
    expect(keyed.json.error.details.reason).toBe('token-has-keys');
    expect(keyed.stderr).toMatch(/already holds a key/);

    const absent = await replace({ '--token': 'ffffffffffffffff' });
    expect(absent.json.error.code).toBe('TOKEN_NOT_FOUND');

    // Nothing changed: the lost account still unfrozen, its money where it was.
    expect(BigInt(await read('currency', 'isFrozen', [lost]))).toBe(0n);
    expect(await num('currency', 'balanceOf', [lost])).toBe(5000n);
  }, 120_000);

  it('replaces the lost token: frozen and emptied, the new account registered with the money and the note', async () => {
    const started = performance.now();
    const run = await replace();
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    expect(run.code, run.stderr).toBe(0);
    const result = run.json;
    const replacement = getAddress(result.replacement);
    expect(result.tokenSerial).toBe(newSerial);

    // The ledger, over raw JSON-RPC.
    expect(BigInt(await read('currency', 'isFrozen', [lost]))).toBe(1n);
    expect(await num('currency', 'balanceOf', [lost])).toBe(0n);
    expect(BigInt(await read('currency', 'isRegistered', [replacement]))).toBe(1n);
    expect(await addr('currency', 'operatorOf', [replacement])).toBe(
      getAddress(w.keys.operator!.address),
    );
    const hash = customerRefHash(REF).toLowerCase();
    expect(await registeredRefs(replacement)).toEqual([hash]);
    expect(await registeredRefs(lost)).toEqual([hash]);
    expect(await num('currency', 'balanceOf', [replacement])).toBe(5000n);
    expect(await addr('notes', 'ownerOf', [noteId])).toBe(replacement);

    // The new mailer: owner-only, in Chinese, its PIN opens the new token.
    expect(result.mailer).toMatch(new RegExp(`${REF}\\.replace-[0-9a-f]{12}\\.pin\\.txt$`));
    expect(statSync(result.mailer).mode & 0o777).toBe(0o600);
    expect(readFileSync(result.mailer, 'utf8')).toContain('令牌序列号');
    const pin = pinOf(result.mailer);
    const loginNew = login(newSerial, pin);
    expect(loginNew.ok, loginNew.out).toBe(true);
    expect(loginNew.out).toMatch(/signet-account/);

    // Run again: nothing is done twice.
    const again = await replace();
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.done).toEqual(['already done by an earlier run of this operation']);
    const outbox: Array<{ kind: string; txHash: string }> = await w.json(['outbox']);
    const kinds = outbox.map((t) => t.kind).filter((k) => k.startsWith('customer-'));
    // Figures: the recovery's gas (its budget is 13M: one system contract's 12M share).
    const gasOf = async (kind: string) =>
      BigInt(
        (await rpc('eth_getTransactionReceipt', [outbox.find((t) => t.kind === kind)!.txHash]))
          .gasUsed,
      );
    console.log(
      `replace: ${seconds} s; gas used: freeze ${await gasOf('customer-freeze')}, recoverFrozen (1 note) ${await gasOf('customer-recover')}`,
    );
    expect(kinds.filter((k) => k === 'customer-freeze')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'customer-recover')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'customer-register')).toHaveLength(2);
  }, 300_000);

  it('resets a locked PIN at the counter: the new mailer PIN opens the token, the old one does not', async () => {
    // SoftHSM2 never locks a PIN (checked: wrong logins leave the right PIN working), so the
    // lock comes from the FAKE smart card (test/fakes), a shim over the real SoftHSM2 token.
    const card = buildFakeSmartcard({ softhsmConf: w.env.SOFTHSM2_CONF!, dir: join(dir, 'fake') });
    const env = { ...w.env, ...card.env };
    card.activate(); // the in-process CLI's module reads its state file from this process's env
    const cardLogin = (pin: string) => {
      try {
        execFileSync(
          'pkcs11-tool',
          ['--module', card.modulePath, '--slot', slotOf(newSerial), '--login', '--pin', pin, '-O'],
          { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
        );
        return 'ok';
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string };
        return /CKR_\w+/.exec(`${e.stdout}${e.stderr}`)?.[0] ?? 'failed';
      }
    };
    const replaced = readdirSync(mailers).find((f) => f.includes('.replace-'))!;
    const oldPin = pinOf(join(mailers, replaced));
    // The card's three tries: two wrong PINs refused, the third locks it.
    expect(cardLogin('00000001')).toBe('CKR_PIN_INCORRECT');
    expect(cardLogin('00000002')).toBe('CKR_PIN_INCORRECT');
    expect(cardLogin('00000003')).toBe('CKR_PIN_LOCKED');
    expect(cardLogin(oldPin)).toBe('CKR_PIN_LOCKED');

    const tokens = (await signetRun(['tokens', '--module', card.modulePath, '--json'], { env }))
      .json;
    const uri = tokens.find((t: any) => t.serial === newSerial).uri;
    const unblock = (extra: string[] = []) =>
      signetRun(
        [
          ...['provision', 'unblock', '--token', uri, '--customer', REF, '--mailers', mailers],
          ...['--so-pin-file', soPinFile, '--module', card.modulePath, '--json', ...extra],
        ],
        { env },
      ).then((run) => {
        outputs.push(run.stdout, run.stderr);
        return run;
      });
    // Refused: the token is not this customer's; a wrong SO PIN.
    const other = await unblock(['--customer', 'K-9999']);
    expect(other.code).toBe(1);
    expect(other.json.error.details.reason).toBe('customer-mismatch');
    const wrongSo = await signetRun(
      [
        ...['provision', 'unblock', '--token', uri, '--customer', REF, '--mailers', mailers],
        ...['--so-pin-file', pinFile('00000000'), '--module', card.modulePath, '--json'],
      ],
      { env },
    );
    expect(wrongSo.json.error.code).toBe('PIN_INCORRECT');
    expect(cardLogin(oldPin)).toBe('CKR_PIN_LOCKED'); // nothing changed

    const run = await unblock();
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.tokenSerial).toBe(newSerial);
    expect(statSync(run.json.mailer).mode & 0o777).toBe(0o600);
    const fresh = pinOf(run.json.mailer);
    expect(cardLogin(fresh)).toBe('ok');
    expect(cardLogin(oldPin)).toBe('CKR_PIN_INCORRECT');
    expect(login(newSerial, fresh).ok).toBe(true);
  }, 120_000);

  it('resumes a replacement killed like kill -9 mid-way, doing nothing twice', async () => {
    const REF2 = 'K-0077';
    const serial = softhsmToken('blank-2');
    const csv = join(dir, 'two.csv');
    writeFileSync(csv, `customer,name,token,amount,language\n${REF2},Li Lei,${serial},7.00,en\n`);
    const batch = await signet([
      ...['provision', 'batch', '--csv', csv, '--operator', w.keys.operator!.uri],
      ...['--mailers', mailers, '--module', softhsmModule, '--so-pin-file', soPinFile],
      ...['--pin-file', w.pin],
    ]);
    expect(batch.code, batch.stderr).toBe(0);
    const lost2 = getAddress(batch.json.rows[0].address);
    const newer = softhsmToken('blank-3');
    const args = [
      ...['provision', 'replace', '--customer', REF2, '--lost', lost2, '--token', newer],
      ...['--operator', w.keys.operator!.uri, '--so-pin-file', soPinFile, '--pin-file', w.pin],
      ...['--mailers', mailers, '--module', softhsmModule, '--json'],
    ];
    // In a process of its own: the test-only hook SIGKILLs it once the key is recorded.
    const killed = await signetChild(args, {
      ...w.env,
      SIGNET_FAKE_PROVISION_KILL_AT: 'replace:key-generated',
    });
    outputs.push(killed.stdout, killed.stderr);
    expect(killed.signal).toBe('SIGKILL');
    expect(BigInt(await read('currency', 'isFrozen', [lost2]))).toBe(1n);
    expect(await num('currency', 'balanceOf', [lost2])).toBe(700n);

    const resumed = await signet(args.slice(0, -1));
    expect(resumed.code, resumed.stderr).toBe(0);
    // The PIN drawn by the killed run died with it: a fresh one, set with the SO PIN.
    expect(resumed.json.done).toEqual([
      'fresh PIN set (the interrupted run’s PIN was never written down)',
      'new account registered',
      '7.00 and the notes moved to the new account',
      'new PIN mailer written',
    ]);
    const replacement = getAddress(resumed.json.replacement);
    expect(await num('currency', 'balanceOf', [replacement])).toBe(700n);
    expect(await num('currency', 'balanceOf', [lost2])).toBe(0n);
    expect(await registeredRefs(replacement)).toEqual([customerRefHash(REF2).toLowerCase()]);
    expect(login(newer, pinOf(resumed.json.mailer)).ok).toBe(true);
    const outbox: Array<{ kind: string; summary: { account?: string } }> = await w.json(['outbox']);
    const about = (kind: string, a: string) =>
      outbox.filter((t) => t.kind === kind && t.summary.account?.toLowerCase() === a.toLowerCase());
    expect(about('customer-freeze', lost2)).toHaveLength(1);
    expect(about('customer-recover', lost2)).toHaveLength(1);
    expect(about('customer-register', replacement)).toHaveLength(1);
  }, 300_000);

  it('leaves no PIN in any output, the audit log or the data folder', async () => {
    const pins = readdirSync(mailers).map((f) => pinOf(join(mailers, f)));
    expect(pins.length).toBeGreaterThanOrEqual(5);
    const auditCsv = join(dir, 'audit.csv');
    await w.json(['audit', '--csv', auditCsv]);
    const audit = readFileSync(auditCsv, 'utf8');
    expect(audit).toMatch(/counter-replace/);
    expect(audit).toMatch(/unblock-pin/);
    const dataFiles = readdirSync(w.home, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name));
    const haystacks = [
      ...outputs,
      audit,
      ...dataFiles.map((f) => readFileSync(f).toString('latin1')),
    ];
    for (const pin of pins) {
      for (const text of haystacks) expect(text.includes(pin)).toBe(false);
    }
  });
});
