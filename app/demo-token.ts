/**
 * The demo token `npm start` gives a first-time user: a SoftHSM2 token store of
 * its own under the data directory (`<home>/demo-tokens`, with its own
 * softhsm2.conf), one token "Signet Demo" with one secp256k1 key. Made once and
 * reused on later starts. Its PINs are random, written to `<home>/demo-tokens/README`
 * (mode 0600) before the token is made, so a run that fails halfway leaves a
 * record, and shown once on the console. A demo token only, never a real one.
 */
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDir, writePrivateFile } from '../core/config/private-files.js';
import { DeviceService } from '../core/devices/device-service.js';
import { auditToFile } from '../core/store/audit-sink.js';
import type { PinProvider } from '../native/pin.js';
import { listedModulesOnly } from '../native/pkcs11/module-policy.js';
import { withModule } from '../native/pkcs11/token-access.js';
import { listTokens } from '../native/pkcs11/tokens.js';
import { parsePkcs11Uri } from '../native/pkcs11/uri.js';

export const DEMO_TOKEN_LABEL = 'Signet Demo';
export const DEMO_KEY_LABEL = 'Signet Demo key';

const softhsmCandidates = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib64/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

/** The SoftHSM2 PKCS#11 module, if SoftHSM2 is installed. */
export function findSoftHsmModule(candidates: string[] = softhsmCandidates): string | undefined {
  return candidates.find((path) => existsSync(path));
}

export interface DemoTokenPaths {
  dir: string;
  conf: string;
  readme: string;
  state: string;
}

export function demoTokenPaths(home: string): DemoTokenPaths {
  const dir = join(home, 'demo-tokens');
  return {
    dir,
    conf: join(dir, 'softhsm2.conf'),
    readme: join(dir, 'README'),
    state: join(dir, 'demo.json'),
  };
}

export interface DemoToken {
  paths: DemoTokenPaths;
  tokenUri: string;
  keyUri: string;
  address: `0x${string}`;
  /** True when this run made the token (its PIN is then shown once). */
  created: boolean;
  /** The demo user PIN (read back from the README on later runs). */
  pin: string;
}

interface DemoState {
  tokenUri: string;
  serial: string;
  keyUri: string;
  address: `0x${string}`;
}

/**
 * Points this process's SoftHSM2 at the demo store. SoftHSM2 reads SOFTHSM2_CONF
 * at C_Initialize, so this runs before any PKCS#11 use in the process.
 */
export function useDemoTokenStore(home: string): DemoTokenPaths {
  const paths = demoTokenPaths(home);
  const tokens = join(paths.dir, 'tokens');
  makePrivateDir(tokens);
  // Rewritten each start: the store stays usable when the data folder moves.
  writePrivateFile(
    paths.conf,
    `# SoftHSM2 configuration of Signet's demo token store (made by npm start).\ndirectories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  process.env.SOFTHSM2_CONF = paths.conf;
  return paths;
}

/** Finds the demo token made by an earlier start, or makes it now (token, PINs, key). */
export async function ensureDemoToken(home: string, module: string): Promise<DemoToken> {
  const paths = useDemoTokenStore(home);
  const previous = readState(paths);
  if (previous) {
    const present = await withModule(module, (m) =>
      listTokens(m).some(
        (t) =>
          t.flags.tokenInitialized && t.label === DEMO_TOKEN_LABEL && t.serial === previous.serial,
      ),
    );
    const pin = readPins(paths).user;
    if (present && pin) return { paths, ...previous, created: false, pin };
  }

  const pins = { so: demoPin(), user: demoPin() };
  writeReadme(paths, pins);
  const provider: PinProvider = async (request) =>
    Buffer.from(request.role === 'new-so' || request.role === 'so' ? pins.so : pins.user);
  // Only the SoftHSM2 module: nothing here may touch another token.
  const devices = new DeviceService({
    pins: provider,
    configuredModules: [module],
    discovery: { p11kitConfigDirs: [], wellKnown: [] },
    policy: listedModulesOnly,
    audit: auditToFile(join(home, 'signet.sqlite')),
  });
  const { uri: tokenUri } = await devices.initToken({
    module,
    free: true,
    label: DEMO_TOKEN_LABEL,
  });
  const key = await devices.generateKey({
    token: tokenUri,
    curve: 'secp256k1',
    label: DEMO_KEY_LABEL,
  });
  if (!key.address) throw new Error('the demo key has no Ethereum address');
  const state: DemoState = {
    tokenUri,
    serial: parsePkcs11Uri(tokenUri).serial ?? '',
    keyUri: key.uri,
    address: key.address as `0x${string}`,
  };
  writePrivateFile(paths.state, `${JSON.stringify(state, null, 2)}\n`);
  return { paths, ...state, created: true, pin: pins.user };
}

/** 8 random digits: SoftHSM2 wants 4 to 255 characters. */
function demoPin(): string {
  return String(randomInt(0, 100_000_000)).padStart(8, '0');
}

function writeReadme(paths: DemoTokenPaths, pins: { so: string; user: string }): void {
  // It holds the demo PINs: the owner's alone, like every file in the data folder.
  writePrivateFile(
    paths.readme,
    [
      "Signet's demo token (made by `npm start`)",
      '',
      'DEMO ONLY. This SoftHSM2 token is software, its PINs are written here in plain',
      'text, and it exists to show the wallet working. Never keep real funds or real',
      'keys on it. Delete this folder to get a fresh demo token on the next start.',
      '',
      `Token: ${DEMO_TOKEN_LABEL}`,
      `SOFTHSM2_CONF=${paths.conf}`,
      `User PIN: ${pins.user}`,
      `SO PIN: ${pins.so}`,
      '',
    ].join('\n'),
  );
}

function readPins(paths: DemoTokenPaths): { user?: string; so?: string } {
  try {
    const text = readFileSync(paths.readme, 'utf8');
    return {
      user: /^User PIN: (\S+)$/m.exec(text)?.[1],
      so: /^SO PIN: (\S+)$/m.exec(text)?.[1],
    };
  } catch {
    return {};
  }
}

function readState(paths: DemoTokenPaths): DemoState | undefined {
  try {
    const state = JSON.parse(readFileSync(paths.state, 'utf8')) as Partial<DemoState>;
    if (
      typeof state.tokenUri === 'string' &&
      typeof state.serial === 'string' &&
      state.serial !== '' &&
      typeof state.keyUri === 'string' &&
      typeof state.address === 'string' &&
      /^0x[0-9a-fA-F]{40}$/.test(state.address)
    ) {
      return state as DemoState;
    }
  } catch {
    // No state yet, or a damaged one: make the token again.
  }
  return undefined;
}
