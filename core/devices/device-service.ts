/**
 * Signet's device operations, one method per API call. The CLI, the Electron
 * main process and the browser bridge all call these; each validates its
 * request against the contract in core/api/devices.ts.
 *
 * Two things every caller decides: which module paths its requests may name
 * (`policy`: the CLI's operator any, the UI only listed ones), and where the
 * audit entries go. Every provisioning step and every raw signature is
 * recorded before its result is returned (never a PIN). If the entry cannot be
 * written the call fails with that error: a raw signature is then never handed
 * out; a provisioning step has happened on the token, and the error says the
 * store could not be written.
 */
import { createHash } from 'node:crypto';
import { publicKeyToAddress } from 'viem/accounts';
import type { z } from 'zod';
import type { PinProvider } from '../../native/pin.js';
import { parseCurve } from '../../native/pkcs11/curves.js';
import type { DiscoveryOptions } from '../../native/pkcs11/discovery.js';
import {
  deleteKey,
  findKey,
  generateKeyPair,
  listKeys,
  type TokenKey,
} from '../../native/pkcs11/keys.js';
import { openModule } from '../../native/pkcs11/module.js';
import type { ModulePolicy } from '../../native/pkcs11/module-policy.js';
import { changeUserPin, initToken, unblockUserPin } from '../../native/pkcs11/provision.js';
import { Pkcs11Signer } from '../../native/pkcs11/signer.js';
import {
  admitModule,
  listedModules,
  type ModuleSearch,
  withModule,
  withToken,
} from '../../native/pkcs11/token-access.js';
import { listTokens, type TokenDescription, tokenUri } from '../../native/pkcs11/tokens.js';
import { formatPkcs11Uri } from '../../native/pkcs11/uri.js';
import { lockoutWords, readTpmLockout } from '../../native/tpm/lockout.js';
import {
  type DeviceMethod,
  type DeviceRequest,
  type DeviceResult,
  deviceRequests,
  type KeySummary,
  type ModuleSummary,
  type TokenSummary,
  type TpmLockoutSummary,
} from '../api/devices.js';
import { SignetError } from '../api/errors.js';
import type { AuditSink } from '../store/audit-sink.js';
import { parseHexInput, toHex } from './hex.js';

export interface DeviceServiceOptions {
  /** Asked for a PIN only when one is needed. */
  pins: PinProvider;
  /** Module paths from Signet's config file. */
  configuredModules?: string[];
  discovery?: DiscoveryOptions;
  /** Which module paths requests may name: `anyModule` (CLI) or `listedModulesOnly` (UI). */
  policy: ModulePolicy;
  /** Where provisioning steps and raw signatures are recorded. */
  audit: AuditSink;
}

export class DeviceService {
  private readonly search: ModuleSearch;

  constructor(private readonly options: DeviceServiceOptions) {
    this.search = {
      configured: options.configuredModules ?? [],
      discovery: options.discovery,
      policy: options.policy,
    };
  }

  async listModules(
    input: DeviceRequest<'listModules'> = {},
  ): Promise<DeviceResult<'listModules'>> {
    parse('listModules', input);
    return listedModules(this.search).map((candidate): ModuleSummary => {
      try {
        const module = openModule(candidate.path);
        try {
          return { ...candidate, loaded: true, ...module.info() };
        } finally {
          module.close();
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { ...candidate, loaded: false, error: message };
      }
    });
  }

  async listTokens(input: DeviceRequest<'listTokens'> = {}): Promise<DeviceResult<'listTokens'>> {
    const request = parse('listTokens', input);
    const paths = request.module
      ? [admitModule(request.module, this.search)]
      : listedModules(this.search).map((m) => m.path);
    const tokens: TokenSummary[] = [];
    for (const path of paths) {
      try {
        await withModule(path, async (module) => {
          const found = listTokens(module);
          // One TPM per module: its lockout state is read once for all its tokens.
          const lockout = found.some((t) => t.tpm) ? await tpmLockoutSummary() : undefined;
          tokens.push(...found.map((t) => tokenSummary(t, t.tpm ? lockout : undefined)));
        });
      } catch (error) {
        // An explicit module must work; a discovered one that does not is skipped.
        if (request.module) throw error;
      }
    }
    return tokens;
  }

  async initToken(input: DeviceRequest<'initToken'>): Promise<DeviceResult<'initToken'>> {
    const request = parse('initToken', input);
    return withModule(admitModule(request.module, this.search), async (module) => {
      const slots = listTokens(module);
      const target =
        request.slot === undefined
          ? slots.find((t) => !t.flags.tokenInitialized)
          : slots.find((t) => t.slot === request.slot);
      if (!target) {
        const where = request.slot === undefined ? 'a free slot' : `slot ${request.slot}`;
        throw new SignetError('TOKEN_NOT_FOUND', `no token in ${where} of ${module.path}`);
      }
      const token = await initToken(
        module,
        target.slotHandle,
        { label: request.label, confirmErase: request.confirmErase },
        this.options.pins,
      );
      const uri = formatPkcs11Uri(tokenUri(token));
      this.options.audit({
        action: 'init-token',
        keyUri: uri,
        subject: {
          label: token.label,
          serial: token.serial,
          model: token.model,
          module: module.path,
          slot: target.slot,
          // Re-initialised: whatever keys it held are gone.
          erased: target.flags.tokenInitialized,
        },
      });
      return token.tpm ? { uri, tpmLockout: await tpmLockoutSummary() } : { uri };
    });
  }

  async changePin(input: DeviceRequest<'changePin'>): Promise<DeviceResult<'changePin'>> {
    const request = parse('changePin', input);
    await withToken(request.token, this.search, { write: true }, async (connection) => {
      await changeUserPin(connection, this.options.pins);
      this.options.audit(tokenEntry('change-pin', connection.token));
    });
    return { changed: true };
  }

  async unblockPin(input: DeviceRequest<'unblockPin'>): Promise<DeviceResult<'unblockPin'>> {
    const request = parse('unblockPin', input);
    await withToken(request.token, this.search, { write: true }, async (connection) => {
      await unblockUserPin(connection, this.options.pins);
      this.options.audit(tokenEntry('unblock-pin', connection.token));
    });
    return { unblocked: true };
  }

  async listKeys(input: DeviceRequest<'listKeys'>): Promise<DeviceResult<'listKeys'>> {
    const request = parse('listKeys', input);
    return withToken(request.token, this.search, { login: this.options.pins }, async (connection) =>
      (await listKeys(connection)).map(keySummary),
    );
  }

  async generateKey(input: DeviceRequest<'generateKey'>): Promise<DeviceResult<'generateKey'>> {
    const request = parse('generateKey', input);
    const curve = parseCurve(request.curve);
    return withToken(
      request.token,
      this.search,
      { write: true, login: this.options.pins },
      async (connection) => {
        const key = keySummary(await generateKeyPair(connection, curve, request.label));
        this.options.audit({
          action: 'generate-key',
          keyUri: key.uri,
          subject: {
            curve: key.curve,
            label: key.label,
            id: key.id,
            publicKey: key.publicKey,
            address: key.address,
            ...tokenFacts(connection.token),
          },
        });
        return key;
      },
    );
  }

  async deleteKey(input: DeviceRequest<'deleteKey'>): Promise<DeviceResult<'deleteKey'>> {
    const request = parse('deleteKey', input);
    if (!request.confirm) {
      throw new SignetError(
        'CONFIRMATION_REQUIRED',
        `deleting ${request.key} destroys the key for good; confirm with --yes`,
      );
    }
    return withToken(
      request.key,
      this.search,
      { write: true, login: this.options.pins },
      async (connection, uri) => {
        const key = await findKey(connection, uri);
        await deleteKey(connection, key);
        const deleted = formatPkcs11Uri(key.uri);
        this.options.audit({
          action: 'delete-key',
          keyUri: deleted,
          subject: {
            curve: key.curve,
            label: key.label,
            id: toHex(key.id),
            publicKey: toHex(key.publicKey),
            ...tokenFacts(connection.token),
          },
        });
        return { deleted };
      },
    );
  }

  async sign(input: DeviceRequest<'sign'>): Promise<DeviceResult<'sign'>> {
    const request = parse('sign', input);
    const data = parseHexInput(
      request.digest ?? request.message ?? '',
      request.digest ? 'digest' : 'message',
    );
    return withToken(
      request.key,
      this.search,
      { login: this.options.pins },
      async (connection, uri) => {
        const key = await findKey(connection, uri);
        if (key.curve === 'ed25519' && request.digest !== undefined) {
          throw new SignetError(
            'INVALID_ARGUMENT',
            'an Ed25519 key signs the message itself: use --message, not --digest',
          );
        }
        if (key.curve !== 'ed25519' && request.message !== undefined) {
          throw new SignetError(
            'INVALID_ARGUMENT',
            `a ${key.curve} key signs a 32-byte digest: hash the message and use --digest`,
          );
        }
        if (key.curve !== 'ed25519' && data.length !== 32) {
          throw new SignetError(
            'DIGEST_INVALID',
            `the digest must be 32 bytes (64 hex digits), not ${data.length} bytes`,
          );
        }
        const signature = await new Pkcs11Signer(connection, key).sign(data);
        const result = {
          signature: toHex(signature.bytes),
          r: toHex(signature.bytes.subarray(0, 32)),
          s: toHex(signature.bytes.subarray(32)),
          v: signature.v ?? null,
        };
        // Only a signature the audit log holds is handed out.
        this.options.audit({
          action: request.digest === undefined ? 'sign-message' : 'sign-digest',
          keyUri: formatPkcs11Uri(key.uri),
          subject: {
            curve: key.curve,
            ...(request.digest === undefined
              ? { messageSha256: toHex(createHash('sha256').update(data).digest()) }
              : { digest: toHex(data) }),
            bytes: data.length,
            signature: result.signature,
            v: result.v,
          },
        });
        return result;
      },
    );
  }
}

/** An audit entry for a step on a whole token (PIN change, unblock). */
function tokenEntry(action: string, token: TokenDescription) {
  return {
    action,
    keyUri: formatPkcs11Uri(tokenUri(token)),
    subject: tokenFacts(token),
  };
}

/** What names a token to a reader of the audit log. */
function tokenFacts(token: TokenDescription) {
  return { token: token.label, serial: token.serial };
}

function parse<M extends DeviceMethod>(
  method: M,
  input: unknown,
): z.infer<(typeof deviceRequests)[M]> {
  const result = deviceRequests[method].safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new SignetError(
      'INVALID_ARGUMENT',
      `invalid ${method} request: ${where}${issue?.message}`,
    );
  }
  return result.data as z.infer<(typeof deviceRequests)[M]>;
}

export function tokenSummary(
  token: TokenDescription,
  tpmLockout?: TpmLockoutSummary,
): TokenSummary {
  return {
    uri: formatPkcs11Uri(tokenUri(token)),
    label: token.label,
    manufacturer: token.manufacturer,
    model: token.model,
    serial: token.serial,
    slot: token.slot,
    flags: token.flags,
    mechanisms: token.mechanisms,
    ...(tpmLockout ? { tpmLockout } : {}),
  };
}

/** The TPM's lockout state with its words (tpm2-pkcs11 tokens' PIN flags never change). */
export async function tpmLockoutSummary(): Promise<TpmLockoutSummary> {
  const lockout = await readTpmLockout();
  return { ...lockout, words: lockoutWords(lockout) };
}

export function keySummary(key: TokenKey): KeySummary {
  const publicKey = toHex(key.publicKey);
  return {
    uri: formatPkcs11Uri(key.uri),
    label: key.label,
    id: toHex(key.id),
    curve: key.curve,
    publicKey,
    address: key.curve === 'secp256k1' ? publicKeyToAddress(publicKey) : null,
    protection: key.protection,
  };
}
