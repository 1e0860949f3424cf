/** Shared by the store's tests only (not exported from index.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { NewAccount } from './accounts.js';
import { openStore, type Store } from './database.js';

/** An in-memory store whose clock ticks one second per reading, from 2026-01-01. */
export function memoryStore(): Store {
  let tick = Date.parse('2026-01-01T00:00:00Z');
  const now = () => {
    tick += 1000;
    return new Date(tick);
  };
  return openStore(':memory:', { now });
}

/** A fresh directory, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'signet-store-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real secp256k1 account (private key n), so address and public key agree. */
export function walletAccount(n: number): NewAccount {
  const { address, publicKey } = privateKeyToAccount(hex32(n));
  return {
    address,
    publicKey,
    keyUri: `pkcs11:token=Signet;object=key-${n};type=private`,
    name: `Account ${n}`,
    curve: 'secp256k1',
  };
}

/** A distinct 32-byte hash for test n. */
export function hex32(n: number | bigint): Hex {
  return `0x${n.toString(16).padStart(64, '0')}`;
}
