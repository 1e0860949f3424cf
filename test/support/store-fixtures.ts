/** Stores, accounts and profiles for tests: in memory, in temporary folders, offline. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { ChainProfile } from '../../core/api/profile.js';
import type { NewAccount } from '../../core/store/accounts.js';
import { openStore, type Store } from '../../core/store/database.js';

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

/** A dev ledger profile whose only node is a closed port: every online step fails fast. */
export function closedPortProfile(options: {
  name: string;
  chainId: number;
  confirmations: number;
}): ChainProfile {
  const contract = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as const;
  return {
    ...options,
    rpc: ['http://127.0.0.1:1'],
    txType: 'eip1559',
    contracts: {
      currency: contract(0xc1),
      notes: contract(0xc2),
      safeSingleton: contract(0xc3),
      safeProxyFactory: contract(0xc4),
      multiSend: contract(0xc5),
      multiSendCallOnly: contract(0xc6),
      fallbackHandler: contract(0xc7),
    },
    deployBlock: 0,
    dev: true,
  };
}
