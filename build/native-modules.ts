/**
 * The native (node-gyp) modules in the packaged app's dependency tree, and why
 * each is there. electron-builder's npmRebuild rebuilds every one of them for
 * Electron's ABI from source (build/electron-builder.yml); they stay out of the
 * esbuild bundle and out of app.asar. test/electron-packaging.test.ts checks
 * this list against the production dependency tree and the builder
 * configuration, so a new native module cannot slip in unnoticed.
 */
export const nativeModules = {
  pkcs11js: 'PKCS#11 tokens (native/pkcs11)',
  'better-sqlite3': 'the store (core/store)',
  secp256k1: "libsecp256k1's signature checks (native/ecdsa)",
  'node-hid': 'Ledger devices over HID (@ledgerhq/hw-transport-node-hid)',
  usb: "USB plug events, for @ledgerhq/hw-transport-node-hid's device list",
  keccak: 'through @ledgerhq/hw-app-eth (eip55); falls back to JavaScript without its build',
} as const;

export type NativeModule = keyof typeof nativeModules;
