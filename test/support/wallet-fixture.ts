/**
 * A wallet as a newcomer would set it up, for ledger tests: a SoftHSM2 token
 * with secp256k1 keys, a fresh data directory, the dev ledger selected, and the
 * keys added as accounts. Commands run through the real CLI, in-process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { ChainProfile } from '../../core/api/profile.js';
import { writeActiveProfile } from '../../core/chain/profile-file.js';
import type { HidBackend } from '../../native/hid/hid-backend.js';
import { type CliRun, pinFile, signet } from './cli.js';
import { type DevChainHandle, useDevChain } from './dev-chain.js';
import { createSoftHsmStore, softhsmModule } from './softhsm.js';

export const PIN = '2468-wallet';

export interface WalletKey {
  uri: string;
  address: `0x${string}`;
}

export interface WalletFixture {
  ledger: DevChainHandle;
  env: NodeJS.ProcessEnv;
  home: string;
  keys: Record<string, WalletKey>;
  pin: string;
  /** Runs `signet …` with this wallet's data directory and token store. */
  cli(args: string[], options?: { stdin?: string; stderrTty?: boolean }): Promise<CliRun>;
  /** Runs `signet … --json` and returns its JSON; a failing command throws with its stderr. */
  json(args: string[]): Promise<any>;
  /** Selects a profile (e.g. one pointing at a closed port) for later commands. */
  useProfile(profile: ChainProfile): void;
}

/** `hid`: the USB HID stack its commands reach Ledgers through (a fake device in tests). */
export function useWallet(names: string[], options: { hid?: HidBackend } = {}): WalletFixture {
  const ledger = useDevChain();
  const tokens = createSoftHsmStore();
  const home = mkdtempSync(join(tmpdir(), 'signet-wallet-'));
  const env = { ...process.env, SIGNET_HOME: home, SOFTHSM2_CONF: tokens.conf };
  const pin = pinFile(PIN);
  const keys: Record<string, WalletKey> = {};
  const cli = (args: string[], run: { stdin?: string; stderrTty?: boolean } = {}) =>
    signet(args, { env, ...(options.hid ? { hid: options.hid } : {}), ...run });

  beforeAll(async () => {
    tokens.initToken('Wallet', PIN);
    tokens.activate();
    writeActiveProfile(ledger.profile, env);
    const token = (await cli(['tokens', '--module', softhsmModule, '--json'])).json.find(
      (t: { label: string }) => t.label === 'Wallet',
    ).uri;
    for (const name of names) {
      const key = (
        await cli([
          'key',
          'generate',
          '--token',
          token,
          '--curve',
          'secp256k1',
          '--label',
          name,
          '--pin-file',
          pin,
          '--json',
        ])
      ).json;
      keys[name] = { uri: key.uri, address: key.address };
      const added = await cli([
        'account',
        'add',
        '--key',
        key.uri,
        '--name',
        name,
        '--pin-file',
        pin,
      ]);
      if (added.code !== 0) throw new Error(added.stderr);
    }
  }, 120_000);
  afterAll(() => {
    tokens.remove();
    rmSync(home, { recursive: true, force: true });
  });

  return {
    ledger,
    env,
    home,
    keys,
    pin,
    cli,
    async json(args) {
      const run = await cli([...args, '--json']);
      if (run.code !== 0) throw new Error(`signet ${args.join(' ')}: ${run.stderr}`);
      return run.json;
    },
    useProfile: (profile) => writeActiveProfile(profile, env),
  };
}
