/**
 * The Ethereum app's protocol on a Ledger, through @ledgerhq/hw-app-eth
 * unmodified, plus the OS's getAppAndVersion (CLA 0xB0), which says which app
 * is open. Nothing here reaches the network: hw-app-eth's clear-signing
 * metadata (token and plugin descriptors from Ledger's servers) is never
 * asked for. Transactions are sent with resolution `null`, so the device
 * blind-signs what it cannot decode and shows its hash; the service that
 * would fetch descriptors is replaced by one that refuses to, and every
 * server URL is null.
 */
import { createRequire } from 'node:module';
import { SignetError } from '../../core/api/errors.js';
import { addressOfPublicKey } from './address.js';
import type { LedgerDeviceTransport } from './device-access.js';
import { fromLedgerDeviceError } from './status-words.js';
import { ledgerDevicePath } from './uri.js';

/** The name the Ethereum app reports for itself; the dashboard reports "BOLOS". */
export const ETHEREUM_APP = 'Ethereum';
const DASHBOARD = 'BOLOS';

export interface AppAndVersion {
  name: string;
  version: string;
}

/** r, s and the device's v (its own encoding, which callers do not trust: they recover). */
export interface DeviceSignature {
  r: Uint8Array;
  s: Uint8Array;
  v: number;
}

type EthModule = typeof import('@ledgerhq/hw-app-eth');
type Eth = InstanceType<EthModule['default']>;
let ethModule: EthModule | undefined;

function hwAppEth(): EthModule {
  ethModule ??= createRequire(import.meta.url)('@ledgerhq/hw-app-eth') as EthModule;
  return ethModule;
}

/** Every server hw-app-eth knows of, switched off. */
const OFFLINE = {
  nftExplorerBaseURL: null,
  pluginBaseURL: null,
  cryptoassetsBaseURL: null,
  calServiceURL: null,
  extraPlugins: null,
};

/** "44'/60'/x'/0/0", the path as hw-app-eth takes it. */
const appPath = (account: number) => ledgerDevicePath(account).slice(2);

const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

export class LedgerDeviceEthApp {
  private readonly eth: Eth;

  constructor(private readonly transport: LedgerDeviceTransport) {
    const module = hwAppEth();
    const noResolution = {
      // hw-app-eth's own service (read by name: Signet's names keep "ledger" for the chain),
      // minus the one function that would fetch from Ledger's servers.
      ...(Reflect.get(module, 'ledgerService') as object),
      resolveTransaction: () =>
        Promise.reject(new Error('Signet resolves no clear-signing metadata over the network')),
    };
    this.eth = new module.default(transport as never, 'w0w', OFFLINE, noResolution as never);
  }

  /** Which app is open ("Ethereum", or "BOLOS" for the dashboard). */
  async appAndVersion(): Promise<AppAndVersion> {
    let response: Buffer;
    try {
      response = await this.transport.send(0xb0, 0x01, 0x00, 0x00);
    } catch (error) {
      throw fromLedgerDeviceError(error, { doing: 'say which app is open' });
    }
    return parseAppAndVersion(response);
  }

  /** Refuses in words unless the Ethereum app is the one open. */
  async requireEthereumApp(): Promise<AppAndVersion> {
    const app = await this.appAndVersion();
    if (app.name !== ETHEREUM_APP) {
      const open = app.name === DASHBOARD ? 'the dashboard is open' : `the ${app.name} app is open`;
      throw new SignetError(
        'DEVICE_APP_NOT_OPEN',
        `${open} on the Ledger, not the Ethereum app: open it and try again`,
        { details: { app: app.name, version: app.version } },
      );
    }
    return app;
  }

  /** The account's public key (SEC1, 65 bytes) and address, checked against each other. */
  async account(account: number): Promise<{ publicKey: Uint8Array; address: string }> {
    let answer: { publicKey: string; address: string };
    try {
      answer = await this.eth.getAddress(appPath(account), false, false);
    } catch (error) {
      throw fromLedgerDeviceError(error, { doing: 'read the account' });
    }
    const publicKey = fromHex(answer.publicKey);
    let address: string;
    try {
      address = addressOfPublicKey(publicKey);
    } catch {
      throw new SignetError('DEVICE_ERROR', 'the Ledger answered a malformed public key');
    }
    if (address.toLowerCase() !== answer.address.toLowerCase()) {
      throw new SignetError(
        'SIGNATURE_INVALID',
        `the Ledger's address ${answer.address} is not the address of the key it returned (${address})`,
      );
    }
    return { publicKey, address };
  }

  /** Signs an unsigned serialised transaction (EIP-2718 typed, or legacy EIP-155 RLP). */
  async signTransaction(account: number, unsignedTx: Uint8Array): Promise<DeviceSignature> {
    try {
      const { r, s, v } = await this.eth.signTransaction(
        appPath(account),
        Buffer.from(unsignedTx).toString('hex'),
        null,
      );
      return {
        r: fromHex(r.padStart(64, '0')),
        s: fromHex(s.padStart(64, '0')),
        v: Number.parseInt(v, 16),
      };
    } catch (error) {
      throw fromLedgerDeviceError(error, { doing: 'sign the transaction', signing: true });
    }
  }

  /** EIP-712 from its two hashes: the device shows both and signs keccak(0x1901 ‖ domain ‖ message). */
  async signTypedDataHashes(
    account: number,
    domainHash: Uint8Array,
    messageHash: Uint8Array,
  ): Promise<DeviceSignature> {
    try {
      const { r, s, v } = await this.eth.signEIP712HashedMessage(
        appPath(account),
        Buffer.from(domainHash).toString('hex'),
        Buffer.from(messageHash).toString('hex'),
      );
      return { r: fromHex(r.padStart(64, '0')), s: fromHex(s.padStart(64, '0')), v };
    } catch (error) {
      throw fromLedgerDeviceError(error, { doing: 'sign the typed data', signing: true });
    }
  }
}

/** B0 01 answer: format 1, then name, version and flags, each length-prefixed. */
export function parseAppAndVersion(response: Uint8Array): AppAndVersion {
  const bad = () => new SignetError('DEVICE_ERROR', 'the Ledger answered a malformed app name');
  if (response[0] !== 0x01) throw bad();
  let offset = 1;
  const field = () => {
    const length = response[offset];
    if (length === undefined || offset + 1 + length > response.length - 2) throw bad();
    const value = Buffer.from(response.subarray(offset + 1, offset + 1 + length)).toString(
      'latin1',
    );
    offset += 1 + length;
    return value;
  };
  const name = field();
  const version = field();
  return { name, version };
}
