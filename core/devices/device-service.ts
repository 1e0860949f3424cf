/**
 * Signet's device operations, one method per API call. The CLI, the Electron
 * main process and the browser bridge all call these; each validates its
 * request against the contract in core/api/devices.ts.
 */
import { publicKeyToAddress } from 'viem/accounts';
import type { z } from 'zod';
import type { PinProvider } from '../../native/pin.js';
import { parseCurve } from '../../native/pkcs11/curves.js';
import { type DiscoveryOptions, discoverModules } from '../../native/pkcs11/discovery.js';
import {
  deleteKey,
  findKey,
  generateKeyPair,
  listKeys,
  type TokenKey,
} from '../../native/pkcs11/keys.js';
import { openModule } from '../../native/pkcs11/module.js';
import { changeUserPin, initToken, unblockUserPin } from '../../native/pkcs11/provision.js';
import { Pkcs11Signer } from '../../native/pkcs11/signer.js';
import { type ModuleSearch, withModule, withToken } from '../../native/pkcs11/token-access.js';
import { listTokens, type TokenDescription, tokenUri } from '../../native/pkcs11/tokens.js';
import { formatPkcs11Uri } from '../../native/pkcs11/uri.js';
import {
  type DeviceMethod,
  type DeviceRequest,
  type DeviceResult,
  deviceRequests,
  type KeySummary,
  type ModuleSummary,
  type TokenSummary,
} from '../api/devices.js';
import { SignetError } from '../api/errors.js';
import { parseHexInput, toHex } from './hex.js';

export interface DeviceServiceOptions {
  /** Asked for a PIN only when one is needed. */
  pins: PinProvider;
  /** Module paths from Signet's config file. */
  configuredModules?: string[];
  discovery?: DiscoveryOptions;
}

export class DeviceService {
  private readonly search: ModuleSearch;

  constructor(private readonly options: DeviceServiceOptions) {
    this.search = { configured: options.configuredModules ?? [], discovery: options.discovery };
  }

  async listModules(
    input: DeviceRequest<'listModules'> = {},
  ): Promise<DeviceResult<'listModules'>> {
    parse('listModules', input);
    return discoverModules({ configured: this.search.configured, ...this.search.discovery }).map(
      (candidate): ModuleSummary => {
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
      },
    );
  }

  async listTokens(input: DeviceRequest<'listTokens'> = {}): Promise<DeviceResult<'listTokens'>> {
    const request = parse('listTokens', input);
    const paths = request.module
      ? [request.module]
      : discoverModules({ configured: this.search.configured, ...this.search.discovery }).map(
          (m) => m.path,
        );
    const tokens: TokenSummary[] = [];
    for (const path of paths) {
      try {
        await withModule(path, (module) => tokens.push(...listTokens(module).map(tokenSummary)));
      } catch (error) {
        // An explicit module must work; a discovered one that does not is skipped.
        if (request.module) throw error;
      }
    }
    return tokens;
  }

  async initToken(input: DeviceRequest<'initToken'>): Promise<DeviceResult<'initToken'>> {
    const request = parse('initToken', input);
    return withModule(request.module, async (module) => {
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
      return { uri: formatPkcs11Uri(tokenUri(token)) };
    });
  }

  async changePin(input: DeviceRequest<'changePin'>): Promise<DeviceResult<'changePin'>> {
    const request = parse('changePin', input);
    await withToken(request.token, this.search, { write: true }, (connection) =>
      changeUserPin(connection, this.options.pins),
    );
    return { changed: true };
  }

  async unblockPin(input: DeviceRequest<'unblockPin'>): Promise<DeviceResult<'unblockPin'>> {
    const request = parse('unblockPin', input);
    await withToken(request.token, this.search, { write: true }, (connection) =>
      unblockUserPin(connection, this.options.pins),
    );
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
      async (connection) => keySummary(await generateKeyPair(connection, curve, request.label)),
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
        return { deleted: formatPkcs11Uri(key.uri) };
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
        return {
          signature: toHex(signature.bytes),
          r: toHex(signature.bytes.subarray(0, 32)),
          s: toHex(signature.bytes.subarray(32)),
          v: signature.v ?? null,
        };
      },
    );
  }
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

export function tokenSummary(token: TokenDescription): TokenSummary {
  return {
    uri: formatPkcs11Uri(tokenUri(token)),
    label: token.label,
    manufacturer: token.manufacturer,
    model: token.model,
    serial: token.serial,
    slot: token.slot,
    flags: token.flags,
    mechanisms: token.mechanisms,
  };
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
