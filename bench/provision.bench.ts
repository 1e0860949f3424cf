/**
 * npm run bench:provision — 50 customers' tokens provisioned and registered on the
 * dev ledger (Hardhat), through Signet's batch and bare, in one run.
 *
 * Signet: `signet provision batch` in-process (cli/main.ts, as the tests run it) on
 * a 50-row CSV (every other row funded): per row the token re-initialised with the
 * bank's SO PIN and a random user PIN, a secp256k1 key made on it, the account
 * registered and funded by the operator bank's token key (queued in the outbox,
 * then sent and followed to confirmation), and a sealed PIN mailer written.
 *
 * Bare: the same PKCS#11 calls on 50 other tokens through pkcs11js directly
 * (C_InitToken; SO login + C_InitPIN; user login + C_GenerateKeyPair secp256k1 +
 * the public point read), and the same transactions (registerAccount, transfer),
 * each signed on the operator's token (C_SignInit + C_Sign, one login for the run),
 * made low-S, serialised with viem and sent to the node, every receipt checked.
 * Nothing else: no journal, no audit log, no outbox, no mailer, no checks.
 *
 * Both runs start from factory tokens (initialised by softhsm2-util with the
 * bank's SO PIN, holding no key: SoftHSM2 has one free slot at a time, so
 * "fresh" tokens are shipped like this), in one SoftHSM2 store in a temp dir,
 * and the same operator key (granted OPERATOR_ROLE and issued money by the dev
 * central bank). A 2-row warm-up of each comes first and is not counted; then
 * 5 rounds of 50 each, Signet first and bare first alternating (the machine is
 * shared, so one round is noisy), and the figures are the median round's.
 *
 * Every PKCS#11 call the two runs make is timed inside the module (pkcs11js's
 * methods wrapped), so the report can say where Signet's extra time goes.
 * Last line: `overhead: X.XX` = Signet's batch wall time ÷ the bare run's (median round).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  parseAbi,
  parseEther,
  recoverAddress,
  serializeTransaction,
  type TransactionSerializableEIP1559,
} from 'viem';
import { privateKeyToAccount, publicKeyToAddress } from 'viem/accounts';
import { main } from '../cli/main.js';
import { writeActiveProfile } from '../core/chain/profile-file.js';
import { customerRefHash } from '../core/customers/customer-ref.js';
import { OPERATOR_ROLE } from '../core/customers/registry.js';
import { devChain, devKeys } from '../ledger/deploy.js';
import { type DevChain, startDevChain } from '../ledger/dev-chain.js';
import { pinFile, signet } from '../test/support/cli.js';
import { createSoftHsmStore, softhsmModule } from '../test/support/softhsm.js';

/** secp256k1's group order (low-S: s ≤ n/2, as the ledger requires). */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const TOKENS = 50;
const WARMUP = 2;
/** Measured rounds, Signet and bare alternating first (the machine is shared: noisy); the median is reported. */
const ROUNDS = 5;
const SO_PIN = '31415926';
const OPERATOR_PIN = 'bench-operator-1';
/** Every other customer is funded: 12.34 + row. */
const amountOf = (i: number) => (i % 2 === 0 ? 0n : 1234n + BigInt(i));

type Pkcs11Class = typeof import('pkcs11js').PKCS11;
type Pkcs11 = import('pkcs11js').PKCS11;
const p11 = createRequire(import.meta.url)('pkcs11js') as typeof import('pkcs11js');

// --- Time spent inside the PKCS#11 module, by call (both runs, same wrapping). ---
const timedCalls = [
  'C_Initialize',
  'C_Finalize',
  'C_GetSlotList',
  'C_GetTokenInfo',
  'C_GetMechanismList',
  'C_OpenSession',
  'C_Login',
  'C_InitToken',
  'C_InitPIN',
  'C_GenerateKeyPair',
  'C_Sign',
  'C_SignCallback',
] as const;
type CallName = (typeof timedCalls)[number];
const inModule = new Map<CallName, { count: number; ms: number }>();
{
  const proto = (p11.PKCS11 as Pkcs11Class).prototype as unknown as Record<
    string,
    (...args: unknown[]) => unknown
  >;
  for (const name of timedCalls) {
    const original = proto[name]!;
    const count = (started: number) => {
      const entry = inModule.get(name) ?? { count: 0, ms: 0 };
      entry.count++;
      entry.ms += performance.now() - started;
      inModule.set(name, entry);
    };
    proto[name] = function (this: unknown, ...args: unknown[]) {
      const started = performance.now();
      // Signet's signer calls C_SignAsync, which is C_SignCallback on libuv's pool:
      // counted until it calls back.
      const callback = args[3];
      if (name === 'C_SignCallback' && typeof callback === 'function') {
        args[3] = (...result: unknown[]) => {
          count(started);
          return callback(...result);
        };
        return original.apply(this, args);
      }
      const result = original.apply(this, args);
      count(started);
      return result;
    };
  }
}
const takeCalls = () => {
  const copy = new Map(inModule);
  inModule.clear();
  return copy;
};

const currencyAbi = parseAbi([
  'function grantRole(bytes32 role, address account)',
  'function issue(address operator, uint256 amount)',
  'function registerAccount(address account, bytes32 customerRef)',
  'function transfer(address to, uint256 value) returns (bool)',
  'function isRegistered(address account) view returns (bool)',
  'function balanceOf(address account) view returns (uint256)',
]);

const tokens = createSoftHsmStore('signet-bench-provision-');
tokens.activate();
const home = mkdtempSync(join(tmpdir(), 'signet-bench-provision-home-'));
const env = { ...process.env, SIGNET_HOME: home, SOFTHSM2_CONF: tokens.conf };
let ledger: DevChain | undefined;

const run = promisify(execFile);

/**
 * Factory tokens (softhsm2-util, the bank's SO PIN, no key); returns their serials by label.
 * Not execFileSync: a blocked event loop misses the node closing an idle keep-alive
 * socket, and the next request on it fails ("other side closed").
 */
async function factoryTokens(labels: string[]): Promise<Map<string, string>> {
  for (const label of labels) {
    await run(
      'softhsm2-util',
      ['--init-token', '--free', '--label', label, '--so-pin', SO_PIN, '--pin', '00000000'],
      { env },
    );
  }
  const show = (await run('softhsm2-util', ['--show-slots'], { env, encoding: 'utf8' })).stdout;
  const serials = new Map<string, string>();
  for (const block of show.split(/\n(?=Slot )/)) {
    const label = /Label:\s*(.*)$/m.exec(block)?.[1]?.trim();
    const serial = /Serial number:\s*(\S+)/.exec(block)?.[1];
    if (label && serial && labels.includes(label)) serials.set(label, serial);
  }
  if (serials.size !== labels.length)
    throw new Error(`made ${labels.length}, found ${serials.size}`);
  return serials;
}

async function cli(args: string[]) {
  const run = await signet(args, { env });
  if (run.code !== 0)
    throw new Error(`signet ${args[0]} ${args[1]}: ${run.stderr}${run.stdout.slice(0, 3000)}`);
  return run;
}

try {
  ledger = await startDevChain();
  const { profile } = ledger;
  writeActiveProfile(profile, env);
  const url = ledger.node.url;
  const chain = devChain(profile.chainId, url);
  const transport = http(url, { retryCount: 0 });
  const client = createPublicClient({ chain, transport, pollingInterval: 20 });
  const currency = profile.contracts.currency as Address;

  // The operator bank's key on a token, an account in Signet's store, appointed by the central bank.
  tokens.initToken('operator', OPERATOR_PIN);
  const operatorPinFile = pinFile(OPERATOR_PIN, home);
  const soPinFile = pinFile(SO_PIN, home);
  const operatorToken = (await cli(['tokens', '--module', softhsmModule, '--json'])).json.find(
    (t: { label: string }) => t.label === 'operator',
  ).uri as string;
  const operatorKey = (
    await cli([
      ...['key', 'generate', '--token', operatorToken, '--curve', 'secp256k1'],
      ...['--label', 'operator', '--pin-file', operatorPinFile, '--json'],
    ])
  ).json as { uri: string; address: Address };
  await cli([
    'account',
    'add',
    '--key',
    operatorKey.uri,
    '--name',
    'operator',
    '--pin-file',
    operatorPinFile,
  ]);
  const bank = createWalletClient({
    account: privateKeyToAccount(devKeys.centralBank),
    chain,
    transport,
  });
  for (const [functionName, args] of [
    ['grantRole', [OPERATOR_ROLE, operatorKey.address]],
    ['issue', [operatorKey.address, 1_000_000_00n]],
  ] as const) {
    const hash = await bank.writeContract({
      address: currency,
      abi: currencyAbi,
      functionName,
      args,
    } as never);
    await client.waitForTransactionReceipt({ hash });
  }
  await createTestClient({ mode: 'hardhat', chain, transport }).setBalance({
    address: operatorKey.address,
    value: parseEther('100'),
  });

  // --- Signet: `signet provision batch` in-process. ---
  const signetBatch = async (prefix: string, count: number) => {
    const labels = Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
    const serials = await factoryTokens(labels.map((l) => `blank-${l}`));
    const dir = mkdtempSync(join(home, `${prefix}-`));
    const csv = join(dir, 'batch.csv');
    const rows = labels.map(
      (label, i) =>
        `${label},Customer ${i + 1},${serials.get(`blank-${label}`)},${formatMinor(amountOf(i))},${i % 2 ? 'zh-CN' : 'en'}`,
    );
    writeFileSync(csv, `customer,name,token,amount,language\n${rows.join('\n')}\n`);
    takeCalls();
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    // The CLI in-process on a "terminal": its progress bar tells when the first row
    // starts (its first step, once its token is found) and the last one ends; before
    // is the start (PINs, sync, operator check), after is sending and confirming.
    let firstRow: number | undefined;
    let lastRow: number | undefined;
    let stdout = '';
    let stderr = '';
    const code = await main(
      [
        ...['provision', 'batch', '--csv', csv, '--operator', operatorKey.uri],
        ...['--mailers', join(dir, 'mailers'), '--module', softhsmModule],
        ...['--so-pin-file', soPinFile, '--pin-file', operatorPinFile],
        ...['--wait-seconds', '0', '--json'],
      ],
      {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: {
          write: (text: string) => {
            firstRow ??= performance.now();
            if (text.includes(`${count}/${count} `)) lastRow ??= performance.now();
            stderr += text;
          },
          isTTY: true,
        },
        stdin: Readable.from([]) as Readable & { isTTY?: boolean },
        env,
      },
    );
    const ended = performance.now();
    const wall = ended - started;
    const cpu = cpuMs(process.cpuUsage(cpuStarted));
    const calls = takeCalls();
    if (code !== 0) throw new Error(`signet provision batch: ${stderr}${stdout.slice(0, 3000)}`);
    const result = JSON.parse(stdout) as {
      provisioned: number;
      seconds: number;
      rows: Array<{ address: string; seconds: Record<string, number> }>;
    };
    if (result.provisioned !== count)
      throw new Error(`Signet provisioned ${result.provisioned} of ${count}`);
    const mailers = readdirSync(join(dir, 'mailers'));
    if (
      mailers.length !== count ||
      mailers.some((m) => (statSync(join(dir, 'mailers', m)).mode & 0o777) !== 0o600)
    )
      throw new Error('mailers missing or not 0600');
    await checkOnChain(
      result.rows.map((r) => r.address as Address),
      count,
    );
    const setup = (firstRow ?? started) - started;
    const settle = ended - (lastRow ?? started);
    return { wall, cpu, calls, result, setup, settle };
  };

  // --- Bare: the same PKCS#11 calls through pkcs11js, the same transactions. ---
  const bareRun = async (prefix: string, count: number) => {
    const labels = Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
    const serials = await factoryTokens(labels.map((l) => `blank-${l}`));
    takeCalls();
    const phase = {
      start: 0,
      lookup: 0,
      init: 0,
      pin: 0,
      keygen: 0,
      register: 0,
      fund: 0,
      settle: 0,
    };
    const time = async <T>(name: keyof typeof phase, work: () => T | Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await work();
      } finally {
        phase[name] += performance.now() - t;
      }
    };
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    const api: Pkcs11 = new p11.PKCS11();
    api.load(softhsmModule);
    api.C_Initialize();
    const addresses: Address[] = [];
    try {
      // Slots by serial, once.
      const slots = await time('lookup', () => {
        const bySerial = new Map<string, Buffer>();
        for (const slot of api.C_GetSlotList(true)) {
          const info = api.C_GetTokenInfo(slot);
          bySerial.set(info.serialNumber.trim(), slot);
        }
        return bySerial;
      });
      // The operator's key: one session, one login for the whole run.
      const opSlot = [...slots.entries()].find(
        ([, s]) => api.C_GetTokenInfo(s).label.trim() === 'operator',
      )![1];
      const opSession = api.C_OpenSession(opSlot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
      api.C_Login(opSession, p11.CKU_USER, OPERATOR_PIN);
      const [opKey] = findObjects(api, opSession, [
        { type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY },
        { type: p11.CKA_LABEL, value: 'operator' },
      ]);
      let nonce = await client.getTransactionCount({
        address: operatorKey.address,
        blockTag: 'pending',
      });
      const block = await client.getBlock();
      const maxPriorityFeePerGas = 1_000_000_000n;
      const maxFeePerGas = 2n * (block.baseFeePerGas ?? 0n) + maxPriorityFeePerGas;
      const hashes: Hex[] = [];
      const send = async (data: Hex) => {
        const tx: TransactionSerializableEIP1559 = {
          type: 'eip1559',
          chainId: profile.chainId,
          nonce: nonce++,
          to: currency,
          data,
          gas: 200_000n,
          maxFeePerGas,
          maxPriorityFeePerGas,
        };
        const hash = keccak256(serializeTransaction(tx));
        api.C_SignInit(opSession, { mechanism: p11.CKM_ECDSA }, opKey!);
        const raw = api.C_Sign(opSession, Buffer.from(hash.slice(2), 'hex'), Buffer.alloc(64));
        const r = BigInt(`0x${raw.subarray(0, 32).toString('hex')}`);
        let s = BigInt(`0x${raw.subarray(32, 64).toString('hex')}`);
        if (s > N / 2n) s = N - s;
        const sig = { r: toHex32(r), s: toHex32(s) };
        const yParity =
          (await recoverAddress({ hash, signature: { ...sig, yParity: 0 } })) ===
          operatorKey.address
            ? 0
            : 1;
        hashes.push(
          await client.request({
            method: 'eth_sendRawTransaction',
            params: [serializeTransaction(tx, { ...sig, yParity })],
          }),
        );
      };

      // Start: module loaded, operator logged in, nonce and fees (the slot lookup apart).
      phase.start = performance.now() - started - phase.lookup;
      for (const [i, label] of labels.entries()) {
        const slot = slots.get(serials.get(`blank-${label}`)!)!;
        const userPin = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
        await time('init', () => api.C_InitToken(slot, SO_PIN, label.padEnd(32)));
        await time('pin', () => {
          const session = api.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
          api.C_Login(session, p11.CKU_SO, SO_PIN);
          api.C_InitPIN(session, userPin);
          api.C_Logout(session);
          api.C_CloseSession(session);
        });
        const address = await time('keygen', () => {
          const session = api.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
          api.C_Login(session, p11.CKU_USER, userPin);
          const id = Buffer.from(keccak256(Buffer.from(label)).slice(2, 34), 'hex');
          const common = [
            { type: p11.CKA_TOKEN, value: true },
            { type: p11.CKA_LABEL, value: 'signet-account' },
            { type: p11.CKA_ID, value: id },
            { type: p11.CKA_KEY_TYPE, value: p11.CKK_EC },
          ];
          const pair = api.C_GenerateKeyPair(
            session,
            { mechanism: p11.CKM_EC_KEY_PAIR_GEN },
            [
              ...common,
              { type: p11.CKA_CLASS, value: p11.CKO_PUBLIC_KEY },
              { type: p11.CKA_PRIVATE, value: false },
              { type: p11.CKA_VERIFY, value: true },
              { type: p11.CKA_EC_PARAMS, value: Buffer.from('06052b8104000a', 'hex') },
            ],
            [
              ...common,
              { type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY },
              { type: p11.CKA_PRIVATE, value: true },
              { type: p11.CKA_SIGN, value: true },
              { type: p11.CKA_SENSITIVE, value: true },
              { type: p11.CKA_EXTRACTABLE, value: false },
              { type: p11.CKA_DERIVE, value: false },
            ],
          );
          const [point] = api.C_GetAttributeValue(session, pair.publicKey, [
            { type: p11.CKA_EC_POINT },
          ]);
          api.C_Logout(session);
          api.C_CloseSession(session);
          // DER OCTET STRING (04 41) around the uncompressed point.
          const value = point!.value as Buffer;
          return publicKeyToAddress(`0x${value.subarray(value.length - 65).toString('hex')}`);
        });
        addresses.push(address);
        await time('register', () =>
          send(
            encodeFunctionData({
              abi: currencyAbi,
              functionName: 'registerAccount',
              args: [address, customerRefHash(label)],
            }),
          ),
        );
        const amount = amountOf(i);
        if (amount > 0n)
          await time('fund', () =>
            send(
              encodeFunctionData({
                abi: currencyAbi,
                functionName: 'transfer',
                args: [address, amount],
              }),
            ),
          );
      }
      await time('settle', async () => {
        for (const hash of hashes) {
          const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 });
          if (receipt.status !== 'success') throw new Error(`bare transaction ${hash} reverted`);
        }
      });
      api.C_Logout(opSession);
      api.C_CloseSession(opSession);
    } finally {
      api.C_Finalize();
      api.close();
    }
    const wall = performance.now() - started;
    const cpu = cpuMs(process.cpuUsage(cpuStarted));
    const calls = takeCalls();
    await checkOnChain(addresses, count);
    return { wall, cpu, calls, phase };
  };

  /** Every address registered and the funded ones paid exactly their amount (raw reads). */
  async function checkOnChain(addresses: Address[], count: number) {
    if (addresses.length !== count) throw new Error(`${addresses.length} addresses, not ${count}`);
    for (const [i, address] of addresses.entries()) {
      const registered = await client.readContract({
        address: currency,
        abi: currencyAbi,
        functionName: 'isRegistered',
        args: [address],
      });
      const balance = await client.readContract({
        address: currency,
        abi: currencyAbi,
        functionName: 'balanceOf',
        args: [address],
      });
      if (!registered || balance !== amountOf(i))
        throw new Error(`${address}: registered ${registered}, balance ${balance}`);
    }
  }

  // Warm-up (not counted), then the measured rounds, which of the two goes first alternating.
  await signetBatch('warm-signet', WARMUP);
  await bareRun('warm-bare', WARMUP);
  const rounds: Array<{
    s: Awaited<ReturnType<typeof signetBatch>>;
    b: Awaited<ReturnType<typeof bareRun>>;
  }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      const s = await signetBatch(`S${r}`, TOKENS);
      rounds.push({ s, b: await bareRun(`B${r}`, TOKENS) });
    } else {
      const b = await bareRun(`B${r}`, TOKENS);
      rounds.push({ s: await signetBatch(`S${r}`, TOKENS), b });
    }
  }
  const ratio = (round: (typeof rounds)[number]) => round.s.wall / round.b.wall;
  // The figures below are the median round's (by its ratio).
  const { s, b } = [...rounds].sort((x, y) => ratio(x) - ratio(y))[Math.floor(ROUNDS / 2)]!;

  const funded = Array.from({ length: TOKENS }, (_, i) => amountOf(i)).filter((a) => a > 0n).length;
  const sum = (phase: string) =>
    s.result.rows.reduce((t, r) => t + (r.seconds[phase] ?? 0), 0) * 1000;
  const ms = (n: number, per = TOKENS) => `${(n / per).toFixed(1).padStart(8)} ms`;
  const call = (calls: Map<CallName, { count: number; ms: number }>, name: CallName) =>
    calls.get(name) ?? { count: 0, ms: 0 };

  console.log(
    `provisioning ${TOKENS} SoftHSM2 tokens on the dev ledger (Hardhat), ${funded} of them funded; after a ${WARMUP}-token warm-up of each`,
  );
  console.log(
    `${ROUNDS} rounds (Signet first, then bare first, alternating): ${rounds
      .map(
        (r) =>
          `${(r.s.wall / 1000).toFixed(2)} s / ${(r.b.wall / 1000).toFixed(2)} s = ${ratio(r).toFixed(2)}`,
      )
      .join(', ')}; figures below: the median round`,
  );
  console.log('phase (per token)            Signet batch      bare');
  console.log(`  token lookup              ${ms(sum('wait'))}  ${ms(b.phase.lookup)}`);
  console.log(`  init + PIN                ${ms(sum('init'))}  ${ms(b.phase.init + b.phase.pin)}`);
  console.log(
    `    init (C_InitToken)      ${ms(call(s.calls, 'C_InitToken').ms)}  ${ms(b.phase.init)}`,
  );
  console.log(
    `    PIN (SO login, InitPIN) ${ms(sum('init') - call(s.calls, 'C_InitToken').ms)}  ${ms(b.phase.pin)}`,
  );
  console.log(`  keygen                    ${ms(sum('keygen'))}  ${ms(b.phase.keygen)}`);
  console.log(`  register (per token)      ${ms(sum('register'))}  ${ms(b.phase.register)}`);
  console.log(
    `  fund (per funded token)   ${ms(sum('fund'), funded)}  ${ms(b.phase.fund, funded)}`,
  );
  console.log(`  PIN mailer                ${ms(sum('mailer'))}        -`);
  const rowPhases = ['wait', 'init', 'pin', 'keygen', 'register', 'fund', 'mailer'];
  const rest = s.wall - s.setup - s.settle - rowPhases.reduce((t, p) => t + sum(p), 0);
  console.log(`  journal, audit, checks   ${ms(rest)}        -`);
  console.log(`  start: PINs, sync, role  ${ms(s.setup)}  ${ms(b.phase.start)}`);
  console.log(`  end: send, confirm       ${ms(s.settle)}  ${ms(b.phase.settle)}`);
  console.log(`  time per token            ${ms(s.wall)}  ${ms(b.wall)}`);
  console.log(
    `totals: Signet ${(s.wall / 1000).toFixed(2)} s (batch handler ${s.result.seconds.toFixed(2)} s), bare ${(b.wall / 1000).toFixed(2)} s`,
  );
  console.log('inside the PKCS#11 module (calls, ms total):');
  const inside = (calls: Map<CallName, { ms: number }>) =>
    [...calls.values()].reduce((t, c) => t + c.ms, 0);
  for (const name of timedCalls) {
    const a = call(s.calls, name);
    const c = call(b.calls, name);
    if (a.count + c.count === 0) continue;
    console.log(
      `  ${(name === 'C_SignCallback' ? 'C_Sign (async)' : name).padEnd(18)} Signet ${String(a.count).padStart(4)} ${a.ms.toFixed(0).padStart(6)} ms   bare ${String(c.count).padStart(4)} ${c.ms.toFixed(0).padStart(6)} ms`,
    );
  }
  console.log(
    `  all of them         Signet ${inside(s.calls).toFixed(0).padStart(9)} ms   bare ${inside(b.calls).toFixed(0).padStart(9)} ms`,
  );
  console.log(
    `outside the module (Signet's own work, the node, waits): Signet ${(s.wall - inside(s.calls)).toFixed(0)} ms, bare ${(b.wall - inside(b.calls)).toFixed(0)} ms`,
  );
  // C_GenerateKeyPair is the same work in both runs and, on a shared machine, the noisiest.
  const keygen = (calls: typeof s.calls) => call(calls, 'C_GenerateKeyPair').ms;
  console.log(
    `without C_GenerateKeyPair: Signet ${((s.wall - keygen(s.calls)) / 1000).toFixed(2)} s, bare ${((b.wall - keygen(b.calls)) / 1000).toFixed(2)} s, ratio ${((s.wall - keygen(s.calls)) / (b.wall - keygen(b.calls))).toFixed(2)}`,
  );
  const median = (values: number[]) =>
    [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  console.log(
    `this process's CPU time (the node apart; steadier on a loaded machine): Signet ${(s.cpu / 1000).toFixed(2)} s, bare ${(b.cpu / 1000).toFixed(2)} s; median ratio over the rounds ${median(rounds.map((r) => r.s.cpu / r.b.cpu)).toFixed(2)}`,
  );
  console.log(`overhead: ${(s.wall / b.wall).toFixed(2)}`);
} finally {
  await ledger?.stop();
  tokens.remove();
  rmSync(home, { recursive: true, force: true });
}

/** This process's CPU time (user + system), in ms: less moved than wall time by other processes' load. */
function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function toHex32(n: bigint): Hex {
  return `0x${n.toString(16).padStart(64, '0')}`;
}

function formatMinor(amount: bigint): string {
  return `${amount / 100n}.${String(amount % 100n).padStart(2, '0')}`;
}

function findObjects(
  api: Pkcs11,
  session: Buffer,
  template: import('pkcs11js').Template,
): Buffer[] {
  api.C_FindObjectsInit(session, template);
  try {
    return api.C_FindObjects(session, 10);
  } finally {
    api.C_FindObjectsFinal(session);
  }
}
