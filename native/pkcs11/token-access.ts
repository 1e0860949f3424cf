/**
 * From a pkcs11: URI to an open, logged-in connection on the token it names,
 * closed again when the work is done (no session or login outlives a call).
 */

import { SignetError } from '../../core/api/errors.js';
import type { PinProvider } from '../pin.js';
import { TokenConnection } from './connection.js';
import { type DiscoveryOptions, discoverModules } from './discovery.js';
import { findKey } from './keys.js';
import { openModule, type Pkcs11Module } from './module.js';
import type { ModulePolicy } from './module-policy.js';
import { Pkcs11Signer } from './signer.js';
import { findToken, type TokenDescription } from './tokens.js';
import { formatPkcs11Uri, type Pkcs11Uri, parsePkcs11Uri } from './uri.js';

export interface ModuleSearch {
  configured: string[];
  discovery?: DiscoveryOptions;
  /** Which module paths a caller may name: `module-path=` in a URI, a module field. */
  policy: ModulePolicy;
}

/** The modules Signet lists: the config file's, then discovery's. */
export function listedModules(search: ModuleSearch) {
  return discoverModules({ configured: search.configured, ...search.discovery });
}

/** The path to open for a module a caller named, if the search's policy admits it. */
export function admitModule(path: string, search: ModuleSearch): string {
  return search.policy.admit(path, () => listedModules(search));
}

export interface AccessOptions {
  write?: boolean;
  /** Log in as the user first (skipped for tokens that need no login). */
  login?: PinProvider;
  sessions?: number;
}

export async function withModule<T>(
  path: string,
  work: (module: Pkcs11Module) => T | Promise<T>,
): Promise<T> {
  const module = openModule(path);
  try {
    return await work(module);
  } finally {
    module.close();
  }
}

export async function withToken<T>(
  uriText: string,
  search: ModuleSearch,
  options: AccessOptions,
  work: (connection: TokenConnection, uri: Pkcs11Uri) => T | Promise<T>,
): Promise<T> {
  const uri = parsePkcs11Uri(uriText);
  const { module, token } = locateToken(uri, search);
  const connection = new TokenConnection(module, token, options);
  try {
    if (options.login && token.flags.loginRequired) await connection.logIn('user', options.login);
    return await work(connection, uri);
  } finally {
    connection.close();
    module.close();
  }
}

/**
 * Finds the one token a URI names: in its module-path if it has one (and the
 * search's policy admits that module), else in every module Signet lists. The
 * caller closes the returned module.
 */
export function locateToken(
  uri: Pkcs11Uri,
  search: ModuleSearch,
): { module: Pkcs11Module; token: TokenDescription } {
  if (uri.modulePath) {
    const module = openModule(admitModule(uri.modulePath, search));
    try {
      return { module, token: findToken(module, uri) };
    } catch (error) {
      module.close();
      throw error;
    }
  }
  const found: Array<{ module: Pkcs11Module; token: TokenDescription }> = [];
  for (const candidate of listedModules(search)) {
    let module: Pkcs11Module;
    try {
      module = openModule(candidate.path);
    } catch {
      continue; // A module that does not load holds no token we could use.
    }
    try {
      found.push({ module, token: findToken(module, uri) });
    } catch (error) {
      module.close();
      if (error instanceof SignetError && error.code === 'AMBIGUOUS_URI') throw error;
    }
  }
  const text = formatPkcs11Uri(uri);
  if (found.length === 1) return found[0]!;
  for (const { module } of found) module.close();
  if (found.length === 0) {
    throw new SignetError('TOKEN_NOT_FOUND', `no token matches ${text} (is it inserted?)`, {
      details: { uri: text },
    });
  }
  throw new SignetError(
    'AMBIGUOUS_URI',
    `tokens in ${found.length} modules match ${text}; add module-path`,
    {
      details: { uri: text },
    },
  );
}

/**
 * Opens the key a URI names for a run of signatures, logged in once. The
 * signer owns its connection and module: close() logs out and releases both.
 */
export async function openKeySigner(
  keyUri: string,
  search: ModuleSearch,
  pins: PinProvider,
  sessions = 1,
): Promise<Pkcs11Signer> {
  const uri = parsePkcs11Uri(keyUri);
  const { module, token } = locateToken(uri, search);
  const connection = new TokenConnection(module, token, { sessions });
  try {
    if (token.flags.loginRequired) await connection.logIn('user', pins);
    const key = await findKey(connection, uri);
    return new Pkcs11Signer(connection, key, () => module.close());
  } catch (error) {
    connection.close();
    module.close();
    throw error;
  }
}
