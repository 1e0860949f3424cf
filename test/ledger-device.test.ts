/**
 * The HID device layer (native/hid/) on a FAKE Ledger (there is no USB here):
 * @ledgerhq's TransportNodeHid and hw-app-eth run unmodified over the fake's
 * 64-byte HID reports; recorded APDU exchanges (hw-transport-mocker) replay the
 * error states; every state is one SignetError, tested with its words.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTransportReplayer, RecordStore } from '@ledgerhq/hw-transport-mocker';
import {
  getTypesForEIP712Domain,
  type Hex,
  hashDomain,
  hashStruct,
  keccak256,
  recoverTransactionAddress,
  serializeTransaction,
  type TransactionSerializable,
  toHex,
  verifyTypedData,
} from 'viem';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignetError } from '../core/api/errors.js';
import { openLedgerDeviceTransport } from '../native/hid/device-access.js';
import { findDeviceHolders } from '../native/hid/device-holders.js';
import { identifyLedgerDevices, listLedgerDevices } from '../native/hid/device-list.js';
import { LedgerDeviceEthApp } from '../native/hid/eth-app.js';
import { nodeHidBackend } from '../native/hid/hid-backend.js';
import { LedgerDeviceSigner, ledgerDeviceTransactionHash } from '../native/hid/signer.js';
import { formatLedgerDeviceUri } from '../native/hid/uri.js';
import { FakeLedgerDevice, fakeHidBackend } from './fakes/fake-ledger-device.js';
import { RECORDED_TX, recordedApdus } from './fixtures/ledger-device-apdus.js';

const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const transfer: TransactionSerializable = {
  type: 'eip1559',
  chainId: 31337,
  nonce: 7,
  to: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  value: 0n,
  gas: 60_000n,
  maxFeePerGas: 2_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
  // transfer(to, 1234), and enough bytes after it that the APDU spans several chunks
  data: `0xa9059cbb000000000000000000000000${to.slice(2).toLowerCase()}${(1234).toString(16).padStart(64, '0')}${'00'.repeat(300)}`,
};
const bytes = (hex: Hex) => Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));

async function caught(work: Promise<unknown> | (() => unknown)): Promise<SignetError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (error instanceof SignetError) {
      expect(error.message).not.toContain('\n');
      return error;
    }
    throw error;
  }
  throw new Error('expected a SignetError');
}

/** A signed transaction from the signer's answer, as the chain would get it. */
function assemble(
  tx: TransactionSerializable,
  signature: { signature: Uint8Array; yParity: 0 | 1 },
) {
  return serializeTransaction(tx, {
    r: toHex(signature.signature.subarray(0, 32)),
    s: toHex(signature.signature.subarray(32)),
    yParity: signature.yParity,
    v: BigInt(27 + signature.yParity), // legacy envelopes take v (viem applies EIP-155)
  });
}

let device: FakeLedgerDevice;
let hid: ReturnType<typeof fakeHidBackend>;
let uri: string;
const signers: LedgerDeviceSigner[] = [];
const open = async (text = uri) => {
  const signer = await LedgerDeviceSigner.open(text, hid);
  signers.push(signer);
  return signer;
};

beforeEach(() => {
  device = new FakeLedgerDevice();
  hid = fakeHidBackend([device]);
  uri = formatLedgerDeviceUri({ device: device.address(0), account: 2 });
});
afterEach(async () => {
  for (const signer of signers.splice(0)) await signer.close();
});

describe('the fake device speaks Ledger HID framing to the real transport', () => {
  it('takes 64-byte reports with channel, tag 0x05 and sequence numbers, and hw-app-eth runs on it', async () => {
    const transport = await openLedgerDeviceTransport(hid, device.path);
    try {
      const app = new LedgerDeviceEthApp(transport);
      // BIP-44 test vector of the all-"abandon" seed, through framing, APDUs and hw-app-eth.
      expect((await app.account(0)).address).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
      expect(await app.appAndVersion()).toEqual({ name: 'Ethereum', version: '1.10.3' });
      await app.signTransaction(0, bytes(serializeTransaction(transfer)));
    } finally {
      await transport.close();
    }
    for (const report of device.reports) {
      expect(report).toHaveLength(65); // node-hid's report id 0, then the 64-byte report
      expect(report[0]).toBe(0);
      expect(report[3]).toBe(0x05);
    }
    const channels = new Set(device.reports.map((r) => (r[1]! << 8) | r[2]!));
    expect(channels.size).toBe(1); // one transport, one channel
    const sequences = device.reports.map((r) => (r[4]! << 8) | r[5]!);
    // The transaction spans several APDUs, and its first APDU several reports: 0, 1, 2, 3, 4, 0, …
    expect(sequences.join(',')).toMatch(/^0,0,(0,)*0,1,2,3,4,0,/);
    expect(device.apdus.filter((a) => a.ins === 0x04).map((a) => a.p1)).toEqual([0x00, 0x80]);
  });
});

describe('LedgerDeviceSigner', () => {
  it("derives the account's key on m/44'/60'/x'/0/0", async () => {
    const signer = await open();
    expect(signer.address).toBe(device.address(2));
    expect(signer.address).not.toBe(device.address(0));
    expect(signer.publicKey).toHaveLength(65);
    expect(signer.keyUri).toBe(uri);
  });

  it('signs an EIP-1559 transaction that recovers to the account, with the parity as v', async () => {
    const signer = await open();
    const unsigned = bytes(serializeTransaction(transfer));
    const signature = await signer.signTransaction(unsigned);
    const signed = assemble(transfer, signature);
    expect(await recoverTransactionAddress({ serializedTransaction: signed as never })).toBe(
      signer.address,
    );
    // The hash Signet shows is the one the device showed for blind signing.
    expect(toHex(ledgerDeviceTransactionHash(unsigned))).toBe(keccak256(unsigned));
    expect(device.screens.at(-1)).toEqual({
      kind: 'transaction',
      hashes: [keccak256(unsigned)],
      decision: 'approve',
    });
  });

  it('signs both parities across many transactions (v is the parity, not 27/28)', async () => {
    const signer = await open();
    const parities = new Set<number>();
    for (let nonce = 0; nonce < 12; nonce++) {
      const tx = { ...transfer, nonce, data: '0x' as Hex };
      const signature = await signer.signTransaction(bytes(serializeTransaction(tx)));
      parities.add(signature.yParity);
      expect(
        await recoverTransactionAddress({
          serializedTransaction: assemble(tx, signature) as never,
        }),
      ).toBe(signer.address);
    }
    expect([...parities].sort()).toEqual([0, 1]);
  });

  it('signs a legacy EIP-155 transaction too', async () => {
    const signer = await open();
    const legacy: TransactionSerializable = {
      type: 'legacy',
      chainId: 31337,
      nonce: 1,
      to,
      value: 5n,
      gas: 21_000n,
      gasPrice: 1_000_000_000n,
    };
    const signature = await signer.signTransaction(bytes(serializeTransaction(legacy)));
    expect(
      await recoverTransactionAddress({
        serializedTransaction: assemble(legacy, signature) as never,
      }),
    ).toBe(signer.address);
  });

  it('signs EIP-712 from its domain and message hashes, which the device shows', async () => {
    const signer = await open();
    const domain = { name: 'Notes', version: '1', chainId: 31337, verifyingContract: transfer.to! };
    const types = {
      Offer: [
        { name: 'price', type: 'uint256' },
        { name: 'bank', type: 'address' },
      ],
    } as const;
    const typedData = {
      domain,
      types,
      primaryType: 'Offer',
      message: { price: 990n, bank: to },
    } as const;
    const domainHash = hashDomain({
      domain,
      types: { EIP712Domain: getTypesForEIP712Domain({ domain }), ...types },
    } as Parameters<typeof hashDomain>[0]);
    const messageHash = hashStruct({
      data: typedData.message,
      primaryType: 'Offer',
      types: typedData.types,
    });
    const { signature, yParity } = await signer.signTypedDataHashes(
      bytes(domainHash),
      bytes(messageHash),
    );
    const hex = `${toHex(signature)}${(27 + yParity).toString(16)}` as Hex;
    expect(
      await verifyTypedData({ ...typedData, address: signer.address as Hex, signature: hex }),
    ).toBe(true);
    expect(device.screens.at(-1)).toEqual({
      kind: 'typed-data',
      hashes: [domainHash, messageHash],
      decision: 'approve',
    });
  });

  it('refuses a signature that does not recover to the account (a device gone bad)', async () => {
    const signer = await open();
    device.corruptSignatures = true;
    const error = await caught(signer.signTransaction(bytes(serializeTransaction(transfer))));
    expect(error.code).toBe('SIGNATURE_INVALID');
    expect(error.message).toBe(
      `the Ledger's signature does not recover to account ${signer.address}: nothing was signed or stored`,
    );
  });

  it('asks one thing at a time: a second request waits for the first', async () => {
    const signer = await open();
    const release = device.holdConfirmation();
    const first = signer.signTransaction(bytes(serializeTransaction(transfer)));
    const second = signer.signTransaction(bytes(serializeTransaction({ ...transfer, nonce: 8 })));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(device.screens).toHaveLength(0);
    release();
    await Promise.all([first, second]);
    expect(device.screens).toHaveLength(2);
  });

  it('never asks a server for clear-signing metadata (no token or plugin APDUs)', async () => {
    const signer = await open();
    await signer.signTransaction(bytes(serializeTransaction(transfer)));
    // 0x0A provide ERC-20 info, 0x12 set plugin, 0x16 set external plugin, 0x14 NFT, 0x22 domain
    expect(
      device.apdus.map((a) => a.ins).filter((ins) => [0x0a, 0x12, 0x14, 0x16, 0x22].includes(ins)),
    ).toEqual([]);
  });
});

describe('device states, in words, on the fake device', () => {
  it('locked', async () => {
    device.locked = true;
    const error = await caught(open());
    expect(error.code).toBe('DEVICE_LOCKED');
    expect(error.message).toBe(
      'the Ledger is locked: unlock it with its PIN, on the device, and try again',
    );
  });

  it('the dashboard open, or another app', async () => {
    device.app = 'BOLOS';
    expect((await caught(open())).message).toBe(
      'the dashboard is open on the Ledger, not the Ethereum app: open it and try again',
    );
    device.app = 'Bitcoin';
    const error = await caught(open());
    expect(error.code).toBe('DEVICE_APP_NOT_OPEN');
    expect(error.message).toBe(
      'the Bitcoin app is open on the Ledger, not the Ethereum app: open it and try again',
    );
    expect(error.details).toMatchObject({ app: 'Bitcoin' });
  });

  it('refused on the device', async () => {
    const signer = await open();
    device.decide = 'refuse';
    const error = await caught(signer.signTransaction(bytes(serializeTransaction(transfer))));
    expect(error.code).toBe('DEVICE_REFUSED');
    expect(error.message).toBe('refused on the Ledger: nothing was signed');
    expect(device.screens.at(-1)?.decision).toBe('refuse');
  });

  it('blind signing off, for contract data and for EIP-712 hashes', async () => {
    const signer = await open();
    device.blindSigning = false;
    const error = await caught(signer.signTransaction(bytes(serializeTransaction(transfer))));
    expect(error.code).toBe('DEVICE_BLIND_SIGNING_OFF');
    expect(error.message).toContain('"Blind signing" off');
    expect(error.message).toContain('compare the hash on the device with the one Signet shows');
    const typed = await caught(signer.signTypedDataHashes(new Uint8Array(32), new Uint8Array(32)));
    expect(typed.code).toBe('DEVICE_BLIND_SIGNING_OFF');
    // A plain payment with no contract data needs no blind signing.
    await signer.signTransaction(bytes(serializeTransaction({ ...transfer, data: '0x' })));
  });

  it('unplugged mid-signing: safe to retry, and the retry signs', async () => {
    const signer = await open();
    device.unplugWhenSigning();
    const error = await caught(signer.signTransaction(bytes(serializeTransaction(transfer))));
    expect(error.code).toBe('DEVICE_DISCONNECTED');
    expect(error.message).toBe(
      'the Ledger was unplugged while Signet asked it to sign the transaction; nothing was signed or stored, so it is safe to plug it back in and retry',
    );
    expect(error.details).toEqual({ retry: 'safe' });
    // The signer knows: it does not talk to a device that is gone.
    expect((await caught(signer.signTransaction(bytes(serializeTransaction(transfer))))).code).toBe(
      'DEVICE_DISCONNECTED',
    );
    expect(device.screens).toHaveLength(0);
    device.plugIn();
    const again = await open();
    const signature = await again.signTransaction(bytes(serializeTransaction(transfer)));
    expect(
      await recoverTransactionAddress({
        serializedTransaction: assemble(transfer, signature) as never,
      }),
    ).toBe(again.address);
  });

  it('not plugged in, or another device (another seed)', async () => {
    device.unplug();
    const none = await caught(open());
    expect(none.code).toBe('DEVICE_NOT_FOUND');
    expect(none.message).toBe(
      `no Ledger is plugged in: plug in Ledger ${device.address(0)}, unlock it and open its Ethereum app`,
    );
    const other = new FakeLedgerDevice({
      seed: 'test test test test test test test test test test test junk',
    });
    hid = fakeHidBackend([other]);
    const error = await caught(open());
    expect(error.code).toBe('DEVICE_NOT_FOUND');
    expect(error.message).toBe(
      `the Ledger plugged in is device ${other.address(0)}, not ${device.address(0)} (it holds another recovery phrase)`,
    );
  });

  it('finds the one asked for among several Ledgers', async () => {
    const other = new FakeLedgerDevice({
      path: 'fake-hid:ledger-1',
      seed: 'test test test test test test test test test test test junk',
    });
    hid = fakeHidBackend([other, device]);
    expect((await open()).address).toBe(device.address(2));
    const third = new FakeLedgerDevice({
      path: 'fake-hid:ledger-2',
      seed: 'legal winner thank year wave sausage worth useful legal winner thank yellow',
    });
    hid = fakeHidBackend([other, third]);
    expect((await caught(open())).message).toBe(
      `none of the 2 Ledgers plugged in is device ${device.address(0)} (each holds another recovery phrase)`,
    );
  });

  it('busy in this process: a second opening of the same device is refused by name', async () => {
    await open();
    const error = await caught(open());
    expect(error.code).toBe('DEVICE_BUSY');
    expect(error.message).toContain('Signet is already using the Ledger at fake-hid:ledger-0');
  });

  it('busy in another program the system cannot name: the usual suspects', async () => {
    device.openError = new TypeError(`cannot open device with path ${device.path}`);
    const error = await caught(open());
    expect(error.code).toBe('DEVICE_BUSY');
    expect(error.message).toBe(
      'the Ledger at fake-hid:ledger-0 is busy: another program may be using it (Ledger Live, a browser tab using WebHID, MetaMask or Frame); close it there and try again',
    );
  });

  it('EACCES: names the udev rules file and how to install it', async () => {
    device.openError = Object.assign(
      new Error(`EACCES: permission denied, open '${device.path}'`),
      { code: 'EACCES' },
    );
    const error = await caught(open());
    expect(error.code).toBe('DEVICE_ACCESS_DENIED');
    expect(error.message).toMatch(
      /^Signet may not open the Ledger at fake-hid:ledger-0 \(permission denied\): install Signet's udev rules: `sudo cp \S+\/build\/linux\/60-signet-hid\.rules \/etc\/udev\/rules\.d\/ && sudo udevadm control --reload-rules && sudo udevadm trigger`, then plug the Ledger in again$/,
    );
  });
});

describe('a device node another process holds (Linux /proc)', () => {
  let holder: ChildProcess | undefined;
  afterEach(() => {
    holder?.kill('SIGKILL');
    holder = undefined;
  });

  it('names the process that holds it, and refuses to open it alongside', async () => {
    const node = join(mkdtempSync(join(tmpdir(), 'signet-hidraw-')), 'hidraw7');
    writeFileSync(node, '');
    // A real process holding the "device node" open, as Ledger Live holds /dev/hidrawN.
    holder = spawn('sh', ['-c', `exec 3<>"${node}"; echo ready; exec sleep 30`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve) => holder!.stdout!.once('data', resolve));
    const holders = findDeviceHolders(node);
    expect(holders).toEqual([{ pid: holder.pid, name: 'sleep' }]);

    const busy = new FakeLedgerDevice({ path: node });
    const error = await caught(openLedgerDeviceTransport(fakeHidBackend([busy]), node));
    expect(error.code).toBe('DEVICE_BUSY');
    expect(error.message).toBe(
      `the Ledger at ${node} is busy: it is open in sleep (pid ${holder.pid}); close it there and try again`,
    );
    expect(busy.apdus).toHaveLength(0);
  });

  it('tells Ledger Live by its command line', () => {
    const proc = mkdtempSync(join(tmpdir(), 'signet-proc-'));
    const node = join(proc, 'hidraw3');
    writeFileSync(node, '');
    mkdirSync(join(proc, '4242', 'fd'), { recursive: true });
    symlinkSync(node, join(proc, '4242', 'fd', '31'));
    writeFileSync(join(proc, '4242', 'comm'), 'ledger-live-des\n');
    writeFileSync(
      join(proc, '4242', 'cmdline'),
      '/opt/ledger-live-desktop/ledger-live-desktop\0--no-sandbox\0',
    );
    expect(findDeviceHolders(node, { procRoot: proc })).toEqual([
      { pid: 4242, name: 'Ledger Live' },
    ]);
  });
});

describe('device states replayed from recorded APDU exchanges (hw-transport-mocker)', () => {
  const replay = async (record: string) =>
    new LedgerDeviceEthApp((await openTransportReplayer(RecordStore.fromString(record))) as never);
  const tx = bytes(RECORDED_TX as Hex);

  it.each([
    [
      'locked (0x5515)',
      recordedApdus.locked,
      (a: LedgerDeviceEthApp) => a.appAndVersion(),
      'DEVICE_LOCKED',
      'the Ledger is locked: unlock it with its PIN, on the device, and try again',
    ],
    [
      'locked, reading an address',
      recordedApdus.lockedAddress,
      (a: LedgerDeviceEthApp) => a.account(0),
      'DEVICE_LOCKED',
      'the Ledger is locked',
    ],
    [
      'locked on older firmware (0x6b0c)',
      recordedApdus.lockedOlderFirmware,
      (a: LedgerDeviceEthApp) => a.appAndVersion(),
      'DEVICE_LOCKED',
      'the Ledger is locked',
    ],
    [
      'the dashboard (BOLOS)',
      recordedApdus.dashboard,
      (a: LedgerDeviceEthApp) => a.requireEthereumApp(),
      'DEVICE_APP_NOT_OPEN',
      'the dashboard is open on the Ledger, not the Ethereum app: open it and try again',
    ],
    [
      'the dashboard answering 0x6511',
      recordedApdus.dashboard,
      async (a: LedgerDeviceEthApp) => {
        await a.appAndVersion();
        return a.account(0);
      },
      'DEVICE_APP_NOT_OPEN',
      'the Ethereum app is not open on the Ledger: open it and try again',
    ],
    [
      'another app (Bitcoin)',
      recordedApdus.otherApp,
      (a: LedgerDeviceEthApp) => a.requireEthereumApp(),
      'DEVICE_APP_NOT_OPEN',
      'the Bitcoin app is open on the Ledger',
    ],
    [
      'another app answering 0x6e00',
      recordedApdus.otherApp,
      async (a: LedgerDeviceEthApp) => {
        await a.appAndVersion();
        return a.account(0);
      },
      'DEVICE_APP_NOT_OPEN',
      'the Ethereum app is not open on the Ledger',
    ],
    [
      'another app answering 0x6d00',
      recordedApdus.otherAppInsNotSupported,
      (a: LedgerDeviceEthApp) => a.account(0),
      'DEVICE_APP_NOT_OPEN',
      'the Ethereum app is not open on the Ledger',
    ],
    [
      'refused a transaction',
      recordedApdus.refusedTransaction,
      (a: LedgerDeviceEthApp) => a.signTransaction(0, tx),
      'DEVICE_REFUSED',
      'refused on the Ledger: nothing was signed',
    ],
    [
      'refused typed data',
      recordedApdus.refusedTypedData,
      (a: LedgerDeviceEthApp) =>
        a.signTypedDataHashes(0, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)),
      'DEVICE_REFUSED',
      'refused on the Ledger',
    ],
    [
      'blind signing off (a transaction)',
      recordedApdus.blindSigningOffTransaction,
      (a: LedgerDeviceEthApp) => a.signTransaction(0, tx),
      'DEVICE_BLIND_SIGNING_OFF',
      '"Blind signing" off',
    ],
    [
      'blind signing off (EIP-712 hashes)',
      recordedApdus.blindSigningOffTypedData,
      (a: LedgerDeviceEthApp) =>
        a.signTypedDataHashes(0, new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)),
      'DEVICE_BLIND_SIGNING_OFF',
      '"Blind signing" off',
    ],
  ])('%s', async (_name, record, work, code, words) => {
    const error = await caught(work(await replay(record)));
    expect(error.code).toBe(code);
    expect(error.message).toContain(words);
  });
});

describe('listing', () => {
  it('lists each Ledger with whether it opens, and identifies those that can say', async () => {
    const locked = new FakeLedgerDevice({
      path: 'fake-hid:ledger-1',
      product: 'Nano X',
      locked: true,
    });
    hid = fakeHidBackend([device, locked]);
    const listed = await listLedgerDevices(hid);
    expect(listed).toEqual([
      {
        path: device.path,
        product: 'Nano S Plus',
        productId: 0x5011,
        serial: '0001',
        open: { ok: true },
      },
      {
        path: locked.path,
        product: 'Nano X',
        productId: 0x5011,
        serial: '0001',
        open: { ok: true },
      },
    ]);
    const identified = await identifyLedgerDevices(hid);
    expect(identified[0]).toMatchObject({
      app: { name: 'Ethereum', version: '1.10.3' },
      deviceId: device.address(0),
      uri: formatLedgerDeviceUri({ device: device.address(0), account: 0 }),
      problem: null,
    });
    expect(identified[1]).toMatchObject({
      deviceId: null,
      problem: { code: 'DEVICE_LOCKED' },
    });
  });

  it('says why a device cannot be opened', async () => {
    device.openError = Object.assign(new Error('EACCES'), { code: 'EACCES' });
    const [listed] = await listLedgerDevices(hid);
    expect(listed?.open).toMatchObject({ ok: false, code: 'DEVICE_ACCESS_DENIED', holders: [] });
  });

  it('on the real HID stack (node-hid): no Ledger here, and a node that is gone says so', async () => {
    expect(await listLedgerDevices(nodeHidBackend)).toEqual([]);
    const error = await caught(
      openLedgerDeviceTransport(nodeHidBackend, '/dev/hidraw-signet-none'),
    );
    expect(error.code).toBe('DEVICE_NOT_FOUND');
    expect(error.message).toBe('the Ledger at /dev/hidraw-signet-none was unplugged');
  });
});

describe('EACCES from the kernel (a real permission check, run as an unprivileged user)', () => {
  it('refuses a device node the user may not open, naming the rules to install', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-eacces-'));
    chmodSync(dir, 0o755);
    const node = join(dir, 'hidraw9');
    writeFileSync(node, '');
    chmodSync(node, 0o600); // root's, as /dev/hidrawN is without the udev rules
    const script = join(dir, 'open.mts');
    writeFileSync(
      script,
      `import { openLedgerDeviceTransport } from ${JSON.stringify(join(import.meta.dirname, '../native/hid/device-access.ts'))};
       import { nodeHidBackend } from ${JSON.stringify(join(import.meta.dirname, '../native/hid/hid-backend.ts'))};
       try { await openLedgerDeviceTransport(nodeHidBackend, ${JSON.stringify(node)}); console.log('opened'); }
       catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
    );
    chmodSync(script, 0o644);
    const out = execFileSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--',
        process.execPath,
        '--import',
        'tsx',
        script,
      ],
      {
        cwd: join(import.meta.dirname, '..'),
        env: { ...process.env, HOME: dir, TSX_DISABLE_CACHE: '1' },
        encoding: 'utf8',
      },
    );
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(result.code).toBe('DEVICE_ACCESS_DENIED');
    expect(result.message).toContain(
      `Signet may not open the Ledger at ${node} (permission denied)`,
    );
    expect(result.message).toContain(
      '/etc/udev/rules.d/ && sudo udevadm control --reload-rules && sudo udevadm trigger',
    );
  });
});
