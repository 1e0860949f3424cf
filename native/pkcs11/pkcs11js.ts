/**
 * pkcs11js is a native addon: load it only when a device is first touched, so the
 * CLI's help, the UI and the ledger code start on machines without it.
 */
import { createRequire } from 'node:module';

export type Pkcs11js = typeof import('pkcs11js');
export type Pkcs11Api = import('pkcs11js').PKCS11;
export type Handle = Buffer;

let loaded: Pkcs11js | undefined;

export function pkcs11js(): Pkcs11js {
  loaded ??= createRequire(import.meta.url)('pkcs11js') as Pkcs11js;
  return loaded;
}
