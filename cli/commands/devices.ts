/** signet modules | tokens | token init | pin … | keys | key … | sign */
import type { Command } from 'commander';
import type { HidDeviceSummary, KeySummary, TokenSummary } from '../../core/api/devices.js';
import { SignetError } from '../../core/api/errors.js';
import type { PinRole } from '../../native/pin.js';
import type { CliContext } from '../context.js';
import type { PinOptions } from '../pin-source.js';

interface PinFlags {
  pinFile?: string;
  soPinFile?: string;
  newPinFile?: string;
  pinStdin?: boolean;
}

export function registerDeviceCommands(program: Command, context: CliContext): void {
  /** The command's PIN sources: a file per role, or standard input. */
  const pins = (
    flags: PinFlags,
    files: Partial<Record<PinRole, string | undefined>>,
  ): PinOptions => ({ files: definedOnly(files), stdin: flags.pinStdin === true });
  const userPin = (flags: PinFlags) => pins(flags, { user: flags.pinFile });

  program
    .command('modules')
    .description('list the PKCS#11 modules Signet finds')
    .option('--json', 'machine-readable output')
    .action((flags: { json?: boolean }) =>
      context.run(
        flags,
        (app) => app.call('devices.listModules', {}),
        (modules) =>
          modules
            .map(
              (m) =>
                `${m.loaded ? 'ok   ' : 'error'}  ${m.path}  (${m.source})  ${m.loaded ? `${m.manufacturer} ${m.libraryVersion}` : m.error}`,
            )
            .join('\n') || 'no PKCS#11 modules found',
      ),
    );

  program
    .command('devices')
    .description('USB HID hardware wallets (Ledger)')
    .command('list')
    .description(
      'list the Ledgers plugged in: whether each can be opened, the app open, and its device id',
    )
    .option('--json', 'machine-readable output')
    .action((flags: { json?: boolean }) =>
      context.run(
        flags,
        (app) => app.call('devices.listHid', {}),
        (devices) => devices.map(describeHidDevice).join('\n') || 'no Ledger is plugged in',
      ),
    );

  program
    .command('tokens')
    .description('list tokens with their PIN state and signing mechanisms')
    .option('--module <path>', 'PKCS#11 module (default: every module found)')
    .option('--json', 'machine-readable output')
    .action((flags: { module?: string; json?: boolean }) =>
      context.run(
        flags,
        (app) => app.call('devices.listTokens', { module: flags.module }),
        (tokens) => tokens.map(describeToken).join('\n') || 'no tokens found',
      ),
    );

  const token = program.command('token').description('provision tokens');
  token
    .command('init')
    .description('initialise a token: label, SO PIN and user PIN')
    .requiredOption('--module <path>', 'PKCS#11 module')
    .option('--slot <id>', 'slot id (decimal or 0x hex)')
    .option('--free', 'the first slot with an uninitialised token')
    .requiredOption('--label <label>', 'token label, at most 32 bytes')
    .option('--so-pin-file <file>', 'file holding the new SO PIN')
    .option('--pin-file <file>', 'file holding the new user PIN')
    .option('--pin-stdin', 'read the SO PIN, then the user PIN, from standard input')
    .option('--yes', 'confirm erasing a token that is already initialised')
    .option('--json', 'machine-readable output')
    .action(
      (
        flags: PinFlags & {
          module: string;
          slot?: string;
          free?: boolean;
          label: string;
          yes?: boolean;
          json?: boolean;
        },
      ) =>
        context.run(
          flags,
          (app) =>
            app.call(
              'devices.initToken',
              {
                module: flags.module,
                slot: flags.slot === undefined ? undefined : parseSlot(flags.slot),
                free: flags.free,
                label: flags.label,
                confirmErase: flags.yes === true,
              },
              pins(flags, { 'new-so': flags.soPinFile, 'new-user': flags.pinFile }),
            ),
          (result) =>
            result.tpmLockout ? `${result.uri}\n  TPM: ${result.tpmLockout.words}` : result.uri,
        ),
    );

  const pin = program.command('pin').description('change or unblock a user PIN');
  pin
    .command('change')
    .description('change the user PIN (asks for the current one, then the new one)')
    .requiredOption('--token <uri>', 'pkcs11: URI of the token')
    .option('--pin-file <file>', 'file holding the current PIN')
    .option('--new-pin-file <file>', 'file holding the new PIN')
    .option('--pin-stdin', 'read the current PIN, then the new PIN, from standard input')
    .option('--json', 'machine-readable output')
    .action((flags: PinFlags & { token: string; json?: boolean }) =>
      context.run(
        flags,
        (app) =>
          app.call(
            'devices.changePin',
            { token: flags.token },
            pins(flags, { user: flags.pinFile, 'new-user': flags.newPinFile }),
          ),
        () => 'PIN changed',
      ),
    );
  pin
    .command('unblock')
    .description('set a new user PIN with the SO PIN (unblocks a locked PIN)')
    .requiredOption('--token <uri>', 'pkcs11: URI of the token')
    .option('--so-pin-file <file>', 'file holding the SO PIN')
    .option('--new-pin-file <file>', 'file holding the new user PIN')
    .option('--pin-stdin', 'read the SO PIN, then the new PIN, from standard input')
    .option('--json', 'machine-readable output')
    .action((flags: PinFlags & { token: string; json?: boolean }) =>
      context.run(
        flags,
        (app) =>
          app.call(
            'devices.unblockPin',
            { token: flags.token },
            pins(flags, { so: flags.soPinFile, 'new-user': flags.newPinFile }),
          ),
        () => 'PIN unblocked; the new PIN is set',
      ),
    );

  program
    .command('keys')
    .description('list the keys on a token and how well each is protected')
    .requiredOption('--token <uri>', 'pkcs11: URI of the token')
    .option('--pin-file <file>', 'file holding the user PIN')
    .option('--pin-stdin', 'read the user PIN from standard input')
    .option('--json', 'machine-readable output')
    .action((flags: PinFlags & { token: string; json?: boolean }) =>
      context.run(
        flags,
        (app) => app.call('devices.listKeys', { token: flags.token }, userPin(flags)),
        (keys) => keys.map(describeKey).join('\n') || 'no keys on this token',
      ),
    );

  const key = program.command('key').description('make or remove keys');
  key
    .command('generate')
    .description('generate a key pair on the token')
    .requiredOption('--token <uri>', 'pkcs11: URI of the token')
    .requiredOption('--curve <curve>', 'secp256k1, p256 or ed25519')
    .requiredOption('--label <label>', 'the key label')
    .option('--pin-file <file>', 'file holding the user PIN')
    .option('--pin-stdin', 'read the user PIN from standard input')
    .option('--json', 'machine-readable output')
    .action((flags: PinFlags & { token: string; curve: string; label: string; json?: boolean }) =>
      context.run(
        flags,
        (app) =>
          app.call(
            'devices.generateKey',
            { token: flags.token, curve: flags.curve, label: flags.label },
            userPin(flags),
          ),
        describeKey,
      ),
    );
  key
    .command('delete')
    .description('destroy a key pair on the token (needs --yes)')
    .requiredOption('--key <uri>', 'pkcs11: URI of the key')
    .option('--pin-file <file>', 'file holding the user PIN')
    .option('--pin-stdin', 'read the user PIN from standard input')
    .option('--yes', 'confirm: the key is destroyed for good')
    .option('--json', 'machine-readable output')
    .action((flags: PinFlags & { key: string; yes?: boolean; json?: boolean }) =>
      context.run(
        flags,
        (app) =>
          app.call(
            'devices.deleteKey',
            { key: flags.key, confirm: flags.yes === true },
            userPin(flags),
          ),
        (result) => `deleted ${result.deleted}`,
      ),
    );

  program
    .command('sign')
    .description('sign a 32-byte digest (ECDSA) or a message (Ed25519)')
    .requiredOption('--key <uri>', 'pkcs11: URI of the key')
    .option('--digest <hex>', '32-byte digest, hex')
    .option('--message <hex>', 'message to sign with an Ed25519 key, hex')
    .option('--pin-file <file>', 'file holding the user PIN')
    .option('--pin-stdin', 'read the user PIN from standard input')
    .option('--json', 'machine-readable output')
    .action(
      (flags: PinFlags & { key: string; digest?: string; message?: string; json?: boolean }) =>
        context.run(
          flags,
          (app) => {
            if ((flags.digest === undefined) === (flags.message === undefined)) {
              throw new SignetError(
                'INVALID_ARGUMENT',
                'give exactly one of --digest or --message',
              );
            }
            return app.call(
              'devices.sign',
              { key: flags.key, digest: flags.digest, message: flags.message },
              userPin(flags),
            );
          },
          (result) =>
            [
              `signature: ${result.signature}`,
              `r: ${result.r}`,
              `s: ${result.s}`,
              ...(result.v === null ? [] : [`v: ${result.v}`]),
            ].join('\n'),
        ),
    );
}

function parseSlot(text: string): number {
  const value = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `--slot must be a slot id (decimal or 0x hex), not "${text}"`,
    );
  }
  return value;
}

function definedOnly<T extends object>(record: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as never;
}

function describeToken(token: TokenSummary): string {
  const f = token.flags;
  const tpmLocked = token.tpmLockout?.known === true && token.tpmLockout.locked;
  const state = !f.tokenInitialized
    ? 'not initialised'
    : f.userPinLocked || tpmLocked
      ? 'PIN LOCKED'
      : f.userPinFinalTry
        ? 'PIN final try'
        : f.userPinCountLow
          ? 'PIN tries low'
          : f.protectedAuthenticationPath
            ? 'PIN pad'
            : 'ready';
  const tpm = token.tpmLockout ? `\n  TPM: ${token.tpmLockout.words}` : '';
  return `slot ${token.slot}  "${token.label}"  ${token.model}  serial ${token.serial || '-'}  ${state}\n  ${token.uri}${tpm}`;
}

function describeKey(key: KeySummary): string {
  const protection = key.protection.hardwareProtected
    ? 'hardware-protected'
    : 'NOT hardware-protected';
  return `"${key.label}"  ${key.curve}  ${key.address ?? key.publicKey}  ${protection}\n  ${key.uri}`;
}

/** One Ledger: what it is and where, then its account 0 URI, or why Signet cannot use it now. */
function describeHidDevice(device: HidDeviceSummary): string {
  const app = device.app ? `  ${device.app.name} ${device.app.version}` : '';
  const head = `${device.product}  ${device.path}${app}`;
  if (device.uri) return `${head}\n  device ${device.deviceId}\n  ${device.uri}`;
  return `${head}\n  ${device.problem?.message ?? 'not identified'}`;
}
