/**
 * npm run bench:devices — a Ledger and a TPM key, each through Signet's path and
 * bare, in one run.
 *
 * Ledger: address derivation and EIP-1559 transaction signing through the FAKE
 * Ledger device (test/fakes/fake-ledger-device.ts: the real TransportNodeHid and
 * hw-app-eth over 64-byte HID reports, answered by a software key), Signet's path
 * (LedgerDeviceEthApp.account: key checked against its address; LedgerDeviceChainSigner:
 * serialise, sign, low-S, recover against the key, assemble) against bare hw-app-eth
 * calls on the same fake device. TPM: P-256 signatures on a swtpm-backed tpm2-pkcs11
 * token, Signet's signer (verified) against a bare pkcs11js loop; skipped with its
 * reason where the TPM packages are missing.
 *
 * Last line: `ratio: X.XX` = Signet's Ledger path ÷ bare hw-app-eth (derivations and
 * signatures together, best round of each).
 */

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { TransactionSerializable } from 'viem';
import { serializeTransaction } from 'viem';
import { LedgerDeviceChainSigner } from '../core/chain/ledger-device-chain-signer.js';
import { LedgerDeviceEthApp } from '../native/hid/eth-app.js';
import type { HidDeviceHandle } from '../native/hid/hid-backend.js';
import { LedgerDeviceSigner } from '../native/hid/signer.js';
import { formatLedgerDeviceUri, ledgerDevicePath } from '../native/hid/uri.js';
import { FakeLedgerDevice, fakeHidBackend } from '../test/fakes/fake-ledger-device.js';
import { bareSignRate, openTpmBenchKey, signetSignRate, tpmBenchMissing } from './support/tpm.js';

const OPERATIONS = 200;
const ROUNDS = 5;
const TPM_SIGNATURES = 300;

const require = createRequire(import.meta.url);
type Transport = import('@ledgerhq/hw-transport').default;
const TransportNodeHid = require('@ledgerhq/hw-transport-node-hid').default as new (
  device: HidDeviceHandle,
) => Transport;
const Eth = require('@ledgerhq/hw-app-eth').default as new (
  transport: Transport,
) => {
  getAddress(path: string): Promise<{ address: string; publicKey: string }>;
  signTransaction(path: string, rawTxHex: string, resolution: null): Promise<unknown>;
};

/** The transactions both paths sign: transfers with distinct nonces, as a batch would. */
const txs: TransactionSerializable[] = Array.from({ length: OPERATIONS }, (_, nonce) => ({
  type: 'eip1559',
  chainId: 31337,
  nonce,
  to: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  value: 0n,
  data: `0xa9059cbb000000000000000000000000${'11'.repeat(20)}${(100 + nonce).toString(16).padStart(64, '0')}`,
  gas: 60_000n,
  maxFeePerGas: 2_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
}));

const device = new FakeLedgerDevice();
const hid = fakeHidBackend([device]);

/** ms per operation: [derive, sign]. */
async function bare(): Promise<[number, number]> {
  const transport = new TransportNodeHid(device.open());
  try {
    const eth = new Eth(transport);
    let start = performance.now();
    for (let i = 0; i < OPERATIONS; i++) await eth.getAddress(ledgerDevicePath(i % 10).slice(2));
    const derive = (performance.now() - start) / OPERATIONS;
    const path = ledgerDevicePath(0).slice(2);
    start = performance.now();
    for (const tx of txs) await eth.signTransaction(path, serializeTransaction(tx).slice(2), null);
    return [derive, (performance.now() - start) / OPERATIONS];
  } finally {
    await transport.close();
  }
}

async function signet(deviceId: string): Promise<[number, number]> {
  const keyUri = formatLedgerDeviceUri({ device: deviceId, account: 0 });
  const signer = new LedgerDeviceChainSigner(await LedgerDeviceSigner.open(keyUri, hid));
  try {
    // Derivation as adding an account does it: the app's answer checked against its key.
    const transport = new TransportNodeHid(device.open());
    let derive: number;
    try {
      const app = new LedgerDeviceEthApp(transport);
      const start = performance.now();
      for (let i = 0; i < OPERATIONS; i++) await app.account(i % 10);
      derive = (performance.now() - start) / OPERATIONS;
    } finally {
      await transport.close();
    }
    const start = performance.now();
    for (const tx of txs) await signer.signTransaction(tx);
    return [derive, (performance.now() - start) / OPERATIONS];
  } finally {
    await signer.close();
  }
}

const deviceId = await (async () => {
  const transport = new TransportNodeHid(device.open());
  try {
    return (await new LedgerDeviceEthApp(transport).account(0)).address;
  } finally {
    await transport.close();
  }
})();

const bareRounds: Array<[number, number]> = [];
const signetRounds: Array<[number, number]> = [];
for (let round = 0; round < ROUNDS; round++) {
  bareRounds.push(await bare());
  signetRounds.push(await signet(deviceId));
}
const total = ([derive, sign]: [number, number]) => derive + sign;
const best = (rounds: Array<[number, number]>) =>
  rounds.reduce((a, b) => (total(b) < total(a) ? b : a));
const [bareDerive, bareSign] = best(bareRounds);
const [signetDerive, signetSign] = best(signetRounds);
const ms = (n: number) => `${n.toFixed(2)} ms`;
const rounds = (list: Array<[number, number]>) => list.map((r) => total(r).toFixed(2)).join(', ');

console.log(
  `Ledger (FAKE device over real HID framing): ${OPERATIONS} derivations + ${OPERATIONS} EIP-1559 signatures per round, ${ROUNDS} rounds (best round)`,
);
console.log(
  `  bare hw-app-eth:  derive ${ms(bareDerive)}/op, sign ${ms(bareSign)}/op  [derive+sign per op: ${rounds(bareRounds)}]`,
);
console.log(
  `  Signet HID path:  derive ${ms(signetDerive)}/op, sign ${ms(signetSign)}/op  [derive+sign per op: ${rounds(signetRounds)}]`,
);

const tpmMissing = tpmBenchMissing();
if (tpmMissing) {
  console.log(`TPM: skipped: ${tpmMissing}`);
} else {
  const key = await openTpmBenchKey();
  try {
    const digests = Array.from({ length: TPM_SIGNATURES }, () => new Uint8Array(randomBytes(32)));
    const bareRates: number[] = [];
    const signetRates: number[] = [];
    for (let round = 0; round < 3; round++) {
      bareRates.push(await bareSignRate(key, digests));
      signetRates.push(await signetSignRate(key, digests));
    }
    const top = (rates: number[]) => Math.max(...rates);
    console.log(
      `TPM (swtpm + tpm2-abrmd + tpm2-pkcs11), P-256, ${TPM_SIGNATURES} signatures × 3 rounds (best):`,
    );
    console.log(
      `  bare pkcs11js loop: ${(1000 / top(bareRates)).toFixed(2)} ms/signature (${top(bareRates).toFixed(0)}/s)`,
    );
    console.log(
      `  Signet signer (verified): ${(1000 / top(signetRates)).toFixed(2)} ms/signature (${top(signetRates).toFixed(0)}/s); TPM ratio ${(top(bareRates) / top(signetRates)).toFixed(2)}`,
    );
  } finally {
    await key.close();
  }
}
console.log(`ratio: ${((signetDerive + signetSign) / (bareDerive + bareSign)).toFixed(2)}`);
