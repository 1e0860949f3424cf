/**
 * `npm start`: Signet on its embedded default, in the desktop window or, where
 * Electron cannot run, in the browser through the loopback bridge.
 *
 *   1. The data directory is SIGNET_HOME, else the platform default (the same
 *      folder the CLI uses). One app per data directory: if another start
 *      already runs on it, one line says which process and where, exit 1,
 *      and nothing is started or changed. If it already selects a ledger that is not a dev
 *      ledger (or one that cannot be read), that choice is kept: no dev ledger
 *      and no demo token are started, and the UI opens on the user's ledger.
 *   2. Otherwise the embedded dev ledger (Hardhat Network, a free port on
 *      127.0.0.1) is started and selected, and, when SoftHSM2 is installed, the
 *      demo token (app/demo-token.ts) is made once under `<home>/demo-tokens`,
 *      its key added as an account, funded with 1000.00 and synced.
 *   3. Electron's binary present, or fetched now by Electron's own install.js
 *      (npm ci does not run it: see app/electron-binary.ts): the bundled shell
 *      (dist/electron/main.js, bundled on every start) runs with the same
 *      environment. Otherwise one line says why, and the bridge serves the same
 *      UI and API on 127.0.0.1 at a random port with a random session token;
 *      the URL is printed.
 *   4. SIGINT/SIGTERM (or the window closing) stops everything: the bridge, the
 *      app API, the dev ledger. Exit code 0.
 *
 * Environment:
 *   SIGNET_HOME          data directory (default: the platform's, as for the CLI)
 *   SIGNET_RENDERER_DIR  built UI for the browser bridge (default renderer/dist)
 *   SIGNET_UI=browser    use the browser bridge even where Electron is available
 *   SIGNET_DEMO_TOKEN=0  no demo token (SOFTHSM2_CONF is then left alone)
 *   ELECTRON_SKIP_BINARY_DOWNLOAD  do not try to fetch Electron's binary
 *
 *   tsx app/start.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignetError } from '../core/api/errors.js';
import type { ChainProfile } from '../core/api/profile.js';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { type Bridge, startBridge } from '../core/bridge/bridge-server.js';
import { formatAmount, parseAmount } from '../core/chain/amount.js';
import { activeProfilePath, writeActiveProfile } from '../core/chain/profile-file.js';
import { signetHome } from '../core/config/paths.js';
import { makePrivateDir } from '../core/config/private-files.js';
import { openStore } from '../core/store/database.js';
import { acquire, busy } from '../core/store/process-lock.js';
import type { DevChain } from '../ledger/dev-chain.js';
import { DEMO_TOKEN_LABEL, ensureDemoToken, findSoftHsmModule } from './demo-token.js';
import { chooseElectron } from './electron-binary.js';
import { currentProfile } from './embedded-default.js';

const APP_PURPOSE = 'the Signet app (npm start)';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEMO_FUNDING = '1000.00';

let fetchingShown = false;
const say = (line: string) => {
  // Clears a "Fetching..." status line first (see showFetching).
  if (fetchingShown) process.stdout.write('\r\x1b[K');
  fetchingShown = false;
  process.stdout.write(`${line}\n`);
};
const warn = (line: string) => process.stderr.write(`${line}\n`);
/**
 * On a terminal, says a fetch is under way until the next line replaces it, so
 * the outcome is still one line; logs and pipes get only that line.
 */
const showFetching = () => {
  if (!process.stdout.isTTY) return;
  process.stdout.write("Fetching Electron's binary (first start only; up to 2 minutes)...");
  fetchingShown = true;
};
const describe = (error: unknown) =>
  error instanceof SignetError || error instanceof Error ? error.message : String(error);

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
function stopSignal(): { stopped: Promise<NodeJS.Signals>; requested: () => boolean } {
  let requested = false;
  const stopped = new Promise<NodeJS.Signals>((resolveStop) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (requested) {
        warn('Stopping now, without cleaning up.');
        process.exit(130);
      }
      requested = true;
      resolveStop(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { stopped, requested: () => requested };
}

async function main(): Promise<number> {
  const stop = stopSignal();
  const home = signetHome(process.env);
  makePrivateDir(home);
  // Every path below (profile, config, store) resolves inside `home`.
  const env: NodeJS.ProcessEnv = { ...process.env, SIGNET_HOME: home };
  say(`Signet data folder: ${home}`);

  // One app per data folder: a second start would start a second dev ledger and re-point
  // the shared profile under the first one's window.
  const lockStore = openStore(join(home, 'signet.sqlite'));
  const taken = acquire(lockStore, 'app', APP_PURPOSE);
  if ('holder' in taken) {
    lockStore.close();
    warn(`signet start: ${busy('app', taken.holder).message}; use that one, or stop it first.`);
    return 1;
  }
  const appLock = taken.held;

  let ledger: DevChain | undefined;
  let api: AppApi | undefined;
  let bridge: Bridge | undefined;
  let electron: ChildProcess | undefined;
  try {
    // 1–2. The embedded default, unless the user chose a ledger of their own.
    const current = currentProfile(env);
    let profile: ChainProfile | undefined;
    if (current.kind === 'real') {
      say(
        `Using your ledger "${current.profile.name}" (chain ${current.profile.chainId}) from ${activeProfilePath(env)}; the dev ledger and the demo token are not started.`,
      );
    } else if (current.kind === 'unreadable') {
      say(
        `Your ledger profile is left as it is (${current.problem}); fix or remove it to get the dev ledger. The dev ledger and the demo token are not started.`,
      );
    } else {
      // Loaded on demand: the dev ledger brings Hardhat and the contract artifacts.
      const { startDevChain } = await import('../ledger/dev-chain.js');
      ledger = await startDevChain({ port: 0 });
      profile = ledger.profile;
      writeActiveProfile(profile, env);
      say(
        `Dev ledger (Hardhat, pid ${ledger.node.process.pid}) at ${ledger.node.url}, chain ${profile.chainId}; selected as the active ledger${current.kind === 'dev' ? ' (it replaces the earlier dev ledger selection)' : ''}.`,
      );
    }
    if (stop.requested()) return 0;

    api = createAppApi({
      home,
      env,
      onInternalError: (method, error) => warn(`internal error in ${method}: ${describe(error)}`),
      // Sync progress and node state to the browser's event stream, once the bridge is up
      // (Electron's main process makes its own API and sends them to its window).
      onEvent: (event) => bridge?.publish(event),
    });

    if (ledger && profile) await setUpDemoToken(home, env, profile, api);
    if (stop.requested()) return 0;

    // 3. The desktop window, or the browser. The first start fetches Electron's binary.
    const choice = await chooseElectron({ env, onFetch: showFetching });
    if (stop.requested()) return 0;
    if (choice.launch) {
      if (choice.fetched) say("Fetched Electron's binary (first start only).");
      // Electron's main process opens the store itself: this process lets go of it.
      api.close();
      api = undefined;
      appLock.setLocation('the desktop window');
      electron = await launchElectron(choice.path, env);
      const exited = new Promise<number>((resolveExit) =>
        electron?.once('exit', (code) => resolveExit(code ?? 0)),
      );
      const outcome = await Promise.race([exited, stop.stopped.then(() => 'signal' as const)]);
      if (outcome !== 'signal') return outcome;
      return 0;
    }

    say(choice.line);
    const staticDir = resolve(env.SIGNET_RENDERER_DIR ?? join(repoRoot, 'renderer', 'dist'));
    if (!existsSync(join(staticDir, 'index.html'))) {
      say(
        `The UI is not built (no ${join(staticDir, 'index.html')}): run \`npx vite build\`, then reload; until then only the API answers.`,
      );
    }
    bridge = await startBridge({
      dispatch: api.dispatch,
      staticDir: existsSync(staticDir) ? staticDir : undefined,
      port: 0,
    });
    // Tokens plugged in or pulled out reach the page as devices.changed events. Only now:
    // the demo token set-up above chose the SoftHSM2 store this process uses.
    await api.watchDevices();
    appLock.setLocation(`http://127.0.0.1:${bridge.port}/`);
    say(`Open ${bridge.url}`);
    say('Stop with Ctrl-C.');
    await stop.stopped;
    return 0;
  } finally {
    // 4. Everything this run started, newest first.
    if (electron && electron.exitCode === null && electron.signalCode === null) {
      const child = electron;
      await new Promise<void>((resolveExit) => {
        child.once('exit', () => resolveExit());
        child.kill('SIGTERM');
      });
    }
    await bridge?.close();
    api?.close();
    await ledger?.stop();
    appLock.release();
    lockStore.close();
    if (ledger) say('Signet stopped; the dev ledger is down.');
  }
}

/**
 * The demo token on the dev ledger. Never fatal: without SoftHSM2, or when any
 * step fails, the wallet opens without it and one line says why.
 */
async function setUpDemoToken(
  home: string,
  env: NodeJS.ProcessEnv,
  profile: ChainProfile,
  api: AppApi,
): Promise<void> {
  if (env.SIGNET_DEMO_TOKEN === '0') {
    say('No demo token (SIGNET_DEMO_TOKEN=0).');
    return;
  }
  const module = findSoftHsmModule();
  if (!module) {
    say(
      'SoftHSM2 is not installed, so there is no demo token (install softhsm2 for one); continuing without it.',
    );
    return;
  }
  try {
    const demo = await ensureDemoToken(home, module);
    // This process already uses the demo store (useDemoTokenStore); Electron's must too.
    env.SOFTHSM2_CONF = demo.paths.conf;
    // Through the app's own handlers, as `signet account add` would (once: no PIN after).
    const pins = async () => Buffer.from(demo.pin);
    const accounts = await api.call('accounts.list', {}, pins);
    if (!accounts.some((a) => a.address === demo.address))
      await api.call('accounts.add', { key: demo.keyUri, name: 'Demo account' }, pins);
    // Each start brings a fresh dev chain: fund the demo account on it.
    const { fundAccount } = await import('../ledger/dev-chain.js');
    await fundAccount(profile, demo.address, parseAmount(DEMO_FUNDING));
    await api.call('sync.run', {}, pins);
    const balance = formatAmount(parseAmount(DEMO_FUNDING));
    if (demo.created) {
      say(
        `Demo token "${DEMO_TOKEN_LABEL}" made in ${demo.paths.dir}; its key's account ${demo.address} holds ${balance} on the dev ledger.`,
      );
      say(
        `DEMO ONLY: the demo token's PIN is ${demo.pin} (also in ${demo.paths.readme}). It is a software token with a written-down PIN: never use it for real funds.`,
      );
    } else {
      say(
        `Demo token "${DEMO_TOKEN_LABEL}" reused from ${demo.paths.dir} (its PIN is in ${demo.paths.readme}); account ${demo.address} funded with ${balance} on the new dev ledger.`,
      );
    }
  } catch (error) {
    say(`The demo token could not be set up (${describe(error)}); continuing without it.`);
  }
}

/**
 * Bundles the Electron shell and runs it on this environment. Bundled on every
 * start, as `npm start` rebuilds the renderer: a bundle left from older sources
 * would run a main process that no longer matches the UI (esbuild takes a moment).
 */
async function launchElectron(binary: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const code = await new Promise<number | null>((resolveBuild) => {
    spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'build', 'bundle-electron.ts')], {
      cwd: repoRoot,
      stdio: 'inherit',
    }).once('exit', resolveBuild);
  });
  if (code !== 0) throw new Error('bundling the Electron shell failed');
  const childEnv = { ...env };
  delete childEnv.ELECTRON_RUN_AS_NODE; // it would make the binary a plain Node
  say('Opening the Signet window.');
  // The app folder is the repository: its package.json "main" names dist/electron/main.js,
  // and main.ts finds renderer/dist and the preload relative to it.
  return spawn(binary, [repoRoot], { cwd: repoRoot, env: childEnv, stdio: 'inherit' });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    warn(`signet start: ${describe(error)}`);
    process.exit(1);
  },
);
