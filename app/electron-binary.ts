/**
 * Whether Electron can run here, and fetching its binary on the first start.
 *
 * The `electron` npm package only records where its binary is; the binary comes
 * from outside the npm registry. Electron's own postinstall would fetch it, but
 * package.json's `allowScripts` denies that script (machines without download
 * access would fail `npm ci` on it), so `npm start` runs the same script,
 * `node_modules/electron/install.js`, the first time the binary is missing:
 * in a child process, bounded in time, its output kept for a one-line reason.
 * It honours Electron's own settings (ELECTRON_MIRROR, electron_config_cache,
 * proxies); ELECTRON_SKIP_BINARY_DOWNLOAD skips the attempt. No Electron imports.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronBinary =
  | { available: true; path: string }
  | { available: false; reason: string };

/** How long the fetch may take: Electron's archive is about 100 MB. */
export const FETCH_TIMEOUT_MS = 120_000;

export function findElectronBinary(from: string = import.meta.url): ElectronBinary {
  const require = createRequire(from);
  let exported: unknown;
  try {
    // Under Node, the package exports the absolute path of the binary (and throws when
    // the download never happened: "Electron failed to install correctly"; a module
    // that throws is not cached, so a later look after a fetch loads it again).
    exported = require('electron');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      available: false,
      reason:
        code === 'MODULE_NOT_FOUND'
          ? 'the electron package is not installed'
          : 'its binary is missing',
    };
  }
  if (typeof exported !== 'string' || exported === '') {
    return { available: false, reason: 'the electron package names no binary' };
  }
  try {
    if (!statSync(exported).isFile()) throw new Error('not a file');
    accessSync(exported, constants.X_OK);
  } catch {
    return { available: false, reason: `its binary ${exported} is missing or not executable` };
  }
  return { available: true, path: exported };
}

/** Electron's own download script, or undefined when the package is not installed. */
export function electronInstallScript(from: string = import.meta.url): string | undefined {
  try {
    return join(dirname(createRequire(from).resolve('electron/package.json')), 'install.js');
  } catch {
    return undefined;
  }
}

export type FetchOutcome = { fetched: true } | { fetched: false; reason: string };

/**
 * The few words that say why a fetch failed, from the script's output: the
 * first error message (`RequestError: getaddrinfo ENOTFOUND github.com` gives
 * `getaddrinfo ENOTFOUND github.com`), else its exit code.
 */
export function fetchFailureReason(output: string, exitCode: number | null): string {
  const message = /^\s*\w*Error: (.+)$/m.exec(output)?.[1]?.trim();
  if (message) return message.length > 120 ? `${message.slice(0, 117)}...` : message;
  return exitCode === null
    ? 'its download script was stopped'
    : `its download script exited with code ${exitCode}`;
}

/**
 * Runs Electron's install script once, with Node, and waits at most `timeoutMs`
 * (then kills it). Never throws: every outcome is a FetchOutcome. Exit code 0
 * means the script is done; the caller checks the binary again.
 */
export function fetchElectronBinary(options: {
  script: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}): Promise<FetchOutcome> {
  const timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  return new Promise((resolveFetch) => {
    let output = '';
    let timedOut = false;
    const child = spawn(process.execPath, [options.script], {
      cwd: dirname(options.script),
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      // The first error is at the top; a runaway script must not fill memory.
      if (output.length < 64_000) output += chunk.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolveFetch({ fetched: false, reason: error.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        resolveFetch({ fetched: false, reason: `no download within ${timeoutMs / 1000} s` });
      } else if (code === 0) {
        resolveFetch({ fetched: true });
      } else {
        resolveFetch({ fetched: false, reason: fetchFailureReason(output, code) });
      }
    });
  });
}

export type ElectronChoice =
  /** `fetched`: the binary came down during this start. */
  | { launch: true; path: string; fetched: boolean }
  /** `line`: the one line that says why the browser serves the UI instead. */
  | { launch: false; line: string };

const INSTEAD = 'serving the same UI in your browser instead.';

/**
 * What `npm start` opens: Electron's binary when it is there or can be fetched
 * now; otherwise the browser, with one line saying why. `onFetch` is told
 * before a fetch starts (it may take a while: a terminal can show that).
 */
export async function chooseElectron(options: {
  env: NodeJS.ProcessEnv;
  onFetch?: () => void;
  find?: () => ElectronBinary;
  /** Electron's install.js; undefined: the package is not installed. */
  script?: string | undefined;
  timeoutMs?: number;
}): Promise<ElectronChoice> {
  const find = options.find ?? (() => findElectronBinary());
  const env = options.env;
  if (env.SIGNET_UI === 'browser') {
    return { launch: false, line: 'Serving the UI in your browser (SIGNET_UI=browser).' };
  }
  const found = find();
  if (found.available) return { launch: true, path: found.path, fetched: false };
  const script = 'script' in options ? options.script : electronInstallScript();
  if (!script) {
    return { launch: false, line: `Electron cannot run here (${found.reason}); ${INSTEAD}` };
  }
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    return {
      launch: false,
      line: `Electron's binary is not installed and was not fetched (ELECTRON_SKIP_BINARY_DOWNLOAD is set); ${INSTEAD}`,
    };
  }
  options.onFetch?.();
  const outcome = await fetchElectronBinary({
    script,
    env,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  if (!outcome.fetched) {
    return {
      launch: false,
      line: `Electron's binary could not be fetched (${outcome.reason}); ${INSTEAD}`,
    };
  }
  const after = find();
  if (!after.available) {
    return {
      launch: false,
      line: `Electron's binary could not be fetched (its download script finished but ${after.reason}); ${INSTEAD}`,
    };
  }
  return { launch: true, path: after.path, fetched: true };
}
