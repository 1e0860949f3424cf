/**
 * A throwaway TPM for tests: a software TPM 2.0 (swtpm), a private D-Bus bus, the
 * TPM access broker (tpm2-abrmd) on that bus, and a tpm2-pkcs11 store, all in one
 * temporary directory. tpm2-pkcs11 needs tpm2-abrmd in front of swtpm (it fails on
 * the raw swtpm TCTI). Nothing here reaches a user's TPM, bus or tpm2-pkcs11 store:
 * every process gets this directory's bus and ports, and the module this store.
 *
 * tpm2-pkcs11 reads its environment (TPM2_PKCS11_TCTI, TPM2_PKCS11_STORE, the bus
 * address) at C_Initialize: call `activate()` before the module is first opened in
 * the test process, or pass `env` to child processes. One stack per process.
 *
 * Each process runs in a process group of its own; `stop()` ends the groups (and a
 * process exit ends them too) and removes the directory.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { libDirs } from '../../native/pkcs11/discovery.js';

const run = promisify(execFile);

/** The Debian packages the stack comes from (named in the skip reason). */
export const tpmPackages = 'swtpm tpm2-abrmd libtss2-tcti-tabrmd0 libtpm2-pkcs11-1 tpm2-tools dbus';

export interface TpmTools {
  swtpm: string;
  abrmd: string;
  dbusDaemon: string;
  getcap: string;
  dictionaryLockout: string;
  /** tpm2-pkcs11, the PKCS#11 module under test. */
  modulePath: string;
}

/** The tools the stack needs, or one line saying which is missing and how to get it. */
export function findTpmTools(): TpmTools | { missing: string } {
  const need = (what: string, found: string | undefined) =>
    found ? undefined : `${what} is not installed (apt-get install ${tpmPackages})`;
  const tools = {
    swtpm: onPath('swtpm'),
    abrmd: onPath('tpm2-abrmd'),
    dbusDaemon: onPath('dbus-daemon'),
    getcap: onPath('tpm2_getcap'),
    dictionaryLockout: onPath('tpm2_dictionarylockout'),
    modulePath: inLibDirs('pkcs11/libtpm2_pkcs11.so') ?? inLibDirs('libtpm2_pkcs11.so'),
  };
  const tabrmdTcti = inLibDirs('libtss2-tcti-tabrmd.so.0') ?? inLibDirs('libtss2-tcti-tabrmd.so');
  const missing =
    need('swtpm', tools.swtpm) ??
    need('tpm2-abrmd', tools.abrmd) ??
    need('the tabrmd TCTI (libtss2-tcti-tabrmd0)', tabrmdTcti) ??
    need('dbus-daemon', tools.dbusDaemon) ??
    need('tpm2-tools (tpm2_getcap)', tools.getcap && tools.dictionaryLockout) ??
    need('tpm2-pkcs11 (libtpm2_pkcs11.so)', tools.modulePath);
  return missing ? { missing } : (tools as TpmTools);
}

/** Dictionary-attack settings the stack gives its TPM, so the words tests read are fixed. */
export const tpmLockoutSettings = {
  maxTries: 3,
  /** One failure forgiven every 10 minutes. */
  recoverySeconds: 600,
  lockoutRecoverySeconds: 600,
};

export interface TpmStack {
  dir: string;
  modulePath: string;
  /** tpm2-pkcs11's store (its sqlite database). */
  storeDir: string;
  /** What tpm2-pkcs11 and tpm2-tools need to reach this TPM (and nothing else). */
  tpmEnv: Record<string, string>;
  /** process.env plus tpmEnv, for child processes (the CLI). */
  env: NodeJS.ProcessEnv;
  /** Points the current process's tpm2-pkcs11 at this TPM; call before opening the module. */
  activate(): void;
  /** Forgets every wrong PIN the TPM counted and ends a lockout (the lockout auth is empty). */
  clearLockout(): Promise<void>;
  /** Process ids of swtpm, dbus-daemon and tpm2-abrmd (each leads a process group). */
  pids: number[];
  /** Runs a tpm2-tools command against this TPM. */
  tpm2(tool: string, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

let running: TpmStack | undefined;

export async function startTpmStack(options: { quiet?: boolean } = {}): Promise<TpmStack> {
  const tools = findTpmTools();
  if ('missing' in tools) throw new Error(tools.missing);
  if (running) throw new Error('a TPM stack is already running in this process; stop it first');

  const dir = mkdtempSync(join(tmpdir(), 'signet-tpm-'));
  const stateDir = join(dir, 'tpm-state');
  const storeDir = join(dir, 'pkcs11-store');
  mkdirSync(stateDir);
  mkdirSync(storeDir);
  const children: ChildProcess[] = [];
  const killAll = () => {
    for (const child of children) killGroup(child, 'SIGKILL');
  };
  process.on('exit', killAll);

  const stop = async () => {
    process.off('exit', killAll);
    // The broker first (it holds the TPM connection and the bus name), then the bus, then the TPM.
    for (const child of [...children].reverse()) await endGroup(child);
    rmSync(dir, { recursive: true, force: true });
    if (running === stack) running = undefined;
  };

  let stack!: TpmStack;
  try {
    const { swtpm, port } = await startSwtpm(tools.swtpm, stateDir, join(dir, 'swtpm.log'));
    children.push(swtpm);

    const busConfig = join(dir, 'bus.conf');
    writeFileSync(busConfig, sessionBusConfig(join(dir, 'bus')));
    const dbus = spawn(
      tools.dbusDaemon,
      [`--config-file=${busConfig}`, '--nofork', '--nopidfile', '--print-address=1'],
      { detached: true, stdio: ['ignore', 'pipe', openSync(join(dir, 'dbus.log'), 'a')] },
    );
    children.push(dbus);
    const busAddress = await firstLine(dbus, 'dbus-daemon', join(dir, 'dbus.log'));

    const tcti = 'tabrmd:bus_type=session';
    const tpmEnv: Record<string, string> = {
      DBUS_SESSION_BUS_ADDRESS: busAddress,
      TPM2_PKCS11_TCTI: tcti,
      TPM2_PKCS11_STORE: storeDir,
      TPM2TOOLS_TCTI: tcti,
      ...(options.quiet === false ? {} : { TPM2_PKCS11_LOG_LEVEL: '0', TSS2_LOG: 'all+NONE' }),
    };
    const env = { ...process.env, ...tpmEnv };

    const abrmdLog = join(dir, 'tpm2-abrmd.log');
    const abrmd = spawnLogged(
      tools.abrmd,
      [
        '--session',
        `--tcti=swtpm:host=127.0.0.1,port=${port}`,
        '--logger=stdout',
        ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
      ],
      abrmdLog,
      env,
    );
    children.push(abrmd);
    const tpm2 = async (tool: string, args: string[]) =>
      (await run(tool, args, { env, encoding: 'utf8', timeout: 10_000 })).stdout;
    // Ready when a TPM command goes through the broker.
    await waitFor(
      'tpm2-abrmd',
      abrmd,
      () =>
        tpm2(tools.getcap, ['properties-fixed']).then(
          () => true,
          () => false,
        ),
      abrmdLog,
    );
    await tpm2(tools.dictionaryLockout, [
      '--setup-parameters',
      `--max-tries=${tpmLockoutSettings.maxTries}`,
      `--recovery-time=${tpmLockoutSettings.recoverySeconds}`,
      `--lockout-recovery-time=${tpmLockoutSettings.lockoutRecoverySeconds}`,
    ]);

    stack = {
      dir,
      modulePath: tools.modulePath,
      storeDir,
      tpmEnv,
      env,
      activate() {
        Object.assign(process.env, tpmEnv);
      },
      async clearLockout() {
        await tpm2(tools.dictionaryLockout, ['--clear-lockout']);
      },
      pids: children.map((child) => child.pid!),
      tpm2,
      stop,
    };
    running = stack;
    return stack;
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * swtpm on two adjacent ports (the swtpm TCTI reaches the control channel on the
 * server port + 1). A port found free can be taken before swtpm binds it: then
 * swtpm exits, and another pair is tried.
 */
async function startSwtpm(
  binary: string,
  stateDir: string,
  log: string,
): Promise<{ swtpm: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePortPair();
    const swtpm = spawnLogged(
      binary,
      [
        'socket',
        '--tpm2',
        '--tpmstate',
        `dir=${stateDir}`,
        '--server',
        `type=tcp,port=${port},bindaddr=127.0.0.1`,
        '--ctrl',
        `type=tcp,port=${port + 1},bindaddr=127.0.0.1`,
        '--flags',
        'not-need-init,startup-clear',
      ],
      log,
    );
    try {
      await waitFor('swtpm', swtpm, () => canConnect(port), log);
      return { swtpm, port };
    } catch (error) {
      await endGroup(swtpm);
      if (attempt === 5) throw error;
    }
  }
}

function sessionBusConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

function spawnLogged(
  command: string,
  args: string[],
  log: string,
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  const out = openSync(log, 'a');
  return spawn(command, args, { detached: true, env, stdio: ['ignore', out, out] });
}

/** Polls `ready` until it holds; fails at once if the process exits, with its log. */
async function waitFor(
  name: string,
  child: ChildProcess,
  ready: () => Promise<boolean>,
  log: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}): ${tail(log)}`);
    }
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} was not ready after ${timeoutMs} ms: ${tail(log)}`);
}

function firstLine(child: ChildProcess, name: string, log: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error(`${name} printed no address: ${tail(log)}`)),
      10_000,
    );
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve(text.slice(0, end).trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}): ${tail(log)}`));
    });
  });
}

function tail(log: string): string {
  try {
    return readFileSync(log, 'utf8').trim().split('\n').slice(-5).join(' | ') || '(no output)';
  } catch {
    return '(no log)';
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A free port whose next port is free too, below Linux's ephemeral range
 * (32768–60999), where outgoing connections take ports at any moment: on a busy
 * machine most ephemeral ports next to a free one are taken.
 */
async function freePortPair(): Promise<number> {
  const low = 20_000;
  const high = 32_000;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + 2 * Math.floor((Math.random() * (high - low)) / 2);
    const free = (p: number) =>
      listenOnce(p).then(
        () => true,
        () => false,
      );
    if ((await free(port)) && (await free(port + 1))) return port;
  }
  throw new Error(`no two adjacent free ports between ${low} and ${high} on 127.0.0.1`);
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : port));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** SIGTERM to the child's process group; SIGKILL if it has not exited within 3 s. */
async function endGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

function onPath(name: string): string | undefined {
  // tpm2-abrmd lives in /usr/sbin, which is not on every user's PATH.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function inLibDirs(file: string): string | undefined {
  return libDirs.map((dir) => join(dir, file)).find((path) => existsSync(path));
}
