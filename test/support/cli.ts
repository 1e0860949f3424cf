/**
 * Runs `signet` for tests: in-process through cli/main.ts (fast; the module is
 * finalised after each command exactly as in a real run), or as a real child
 * process through bin/signet.js where the exit code of the process matters.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../cli/main.js';
import type { HidBackend } from '../../native/hid/hid-backend.js';

/**
 * The data directory of a run whose env names none: a throwaway one, so that no test
 * writes to the user's own (device commands record in the audit log there).
 */
let scratchHome: string | undefined;
function withHome(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.SIGNET_HOME) return env;
  scratchHome ??= mkdtempSync(join(tmpdir(), 'signet-test-home-'));
  return { ...env, SIGNET_HOME: scratchHome };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json: any;
}

export async function signet(
  args: string[],
  options: {
    stdin?: string;
    env?: NodeJS.ProcessEnv;
    hid?: HidBackend;
    /** stderr claims to be a terminal (progress bars draw only there). */
    stderrTty?: boolean;
  } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.stderrTty === true },
    stdin: stdin as Readable & { isTTY?: boolean },
    env: withHome(options.env ?? process.env),
    ...(options.hid ? { hid: options.hid } : {}),
  });
  return { code, stdout, stderr, json: parseJson(stdout) };
}

/**
 * `noNetwork`: the process runs in a network namespace of its own
 * (`unshare --net`, as root): no interface but a loopback that is down, so it
 * can reach no node, no bridge, nothing: an air-gapped machine, not one that
 * merely has no profile. Failing to make the namespace fails the run, loudly.
 */
export function signetProcess(
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; noNetwork?: boolean } = {},
): CliRun {
  const command = [process.execPath, join(import.meta.dirname, '../../bin/signet.js'), ...args];
  const [file, ...argv] = options.noNetwork ? ['unshare', '--net', ...command] : command;
  const result = spawnSync(file!, argv, {
    input: options.stdin ?? '',
    env: withHome(options.env ?? process.env),
    encoding: 'utf8',
  });
  if (options.noNetwork && result.status === 1 && /^unshare: /m.test(result.stderr)) {
    throw new Error(`cannot give signet a network namespace of its own: ${result.stderr.trim()}`);
  }
  return {
    code: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    json: parseJson(result.stdout),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Writes a PIN file (with the trailing newline an editor leaves) and returns its path. */
export function pinFile(pin: string, dir = mkdtempSync(join(tmpdir(), 'signet-pin-'))): string {
  const path = join(dir, `pin-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, `${pin}\n`, { mode: 0o600 });
  return path;
}

/**
 * Whether `url` answers from inside a network namespace of its own (`unshare
 * --net`), as signetProcess's noNetwork runs: the proof the air-gapped approver
 * really had no way to a node.
 */
export function reachableWithoutNetwork(url: string): boolean {
  const probe = `fetch(${JSON.stringify(url)}, { method: 'POST', body: '{}' }).then(() => process.exit(0), () => process.exit(3))`;
  const result = spawnSync('unshare', ['--net', process.execPath, '-e', probe], {
    encoding: 'utf8',
  });
  if (result.status !== 0 && result.status !== 3) {
    throw new Error(`cannot make a network namespace: ${result.stderr.trim()}`);
  }
  return result.status === 0;
}
