/**
 * A FAKE Ledger device: there is no USB here (and no /dev/uhid), so this stands
 * in for one at the lowest level Signet talks to, node-hid's `HID` object. It is
 * not a Ledger and proves nothing about one's firmware; it exists so the real
 * code above it runs: @ledgerhq's TransportNodeHid writes 64-byte HID reports
 * into it and reads 64-byte reports back, with its own framing code, and
 * @ledgerhq/hw-app-eth runs unmodified on that transport.
 *
 * Byte level, as Ledger's HID protocol has it (written here from the protocol,
 * independently of @ledgerhq's framing code, which it checks):
 *   each report: channel (2 bytes, echoed back), tag 0x05, sequence number
 *   (2 bytes, from 0), then data; the first report of a message starts its data
 *   with the message length (2 bytes); reports are zero-padded to 64 bytes.
 *
 * Behind the framing, the Ethereum app's APDUs, answered with a software
 * secp256k1 key (@noble/curves) derived from a BIP-39 test seed:
 *   B0 01 getAppAndVersion (the OS), E0 06 GET_APP_CONFIGURATION,
 *   E0 02 GET_ADDRESS, E0 04 SIGN_TX (chunked), E0 0C SIGN_EIP712 (hashes).
 * And the states a real one has: locked (0x5515 to everything), the dashboard
 * or another app open, the user refusing (0x6985), blind signing off (0x6a80
 * for contract data and EIP-712 hashes), unplugged (reads fail, opens fail),
 * and busy with a confirmation (a second request waits, as on a device).
 *
 * Exported for tests and for benchmarks (`bench:devices`): fakeHidBackend()
 * plugs any number of fake devices into Signet's HID seam.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, toHex } from 'viem';
import { type HDKey, mnemonicToAccount } from 'viem/accounts';
import { addressOfPublicKey } from '../../native/hid/address.js';
import type { HidBackend, HidDeviceHandle, HidDeviceInfo } from '../../native/hid/hid-backend.js';

/** BIP-39's all-"abandon" test seed: its keys are public, like every test key. */
export const fakeLedgerDeviceSeed =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

const REPORT = 64;
const TAG = 0x05;
const HARDENED = 0x80000000;

const SW = {
  OK: 0x9000,
  LOCKED: 0x5515,
  REFUSED: 0x6985,
  INVALID_DATA: 0x6a80,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  APP_NOT_OPEN: 0x6511,
  WRONG_LENGTH: 0x6700,
  WRONG_P1P2: 0x6b00,
} as const;

export type FakeLedgerDeviceDecision = 'approve' | 'refuse';

export interface FakeLedgerDeviceOptions {
  /** BIP-39 phrase the keys derive from (default: the all-"abandon" test seed). */
  seed?: string;
  path?: string;
  product?: string;
  productId?: number;
  serialNumber?: string;
  /** The app open: "Ethereum" (default), "BOLOS" (the dashboard) or any other app name. */
  app?: string;
  locked?: boolean;
  /** The Ethereum app's "Blind signing" setting (default on). */
  blindSigning?: boolean;
  /** What the user does when asked to confirm (default approve). */
  decide?: FakeLedgerDeviceDecision;
}

/** One APDU the device received: class, instruction, P1, P2 and data. */
export interface FakeApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
}

/** What the screen showed for one confirmation (the hashes a user would compare). */
export interface FakeScreen {
  kind: 'transaction' | 'typed-data' | 'address';
  /** Blind-signed: the transaction hash, or EIP-712's domain and message hashes. */
  hashes: string[];
  decision: FakeLedgerDeviceDecision;
}

export class FakeLedgerDevice {
  readonly path: string;
  readonly product: string;
  readonly productId: number;
  readonly serialNumber: string;
  app: string;
  locked: boolean;
  blindSigning: boolean;
  decide: FakeLedgerDeviceDecision;
  /** Every APDU received, in order. */
  readonly apdus: FakeApdu[] = [];
  /** Every confirmation screen shown, in order. */
  readonly screens: FakeScreen[] = [];
  /** Every HID report written to the device (65 bytes: report id 0, then the report). */
  readonly reports: number[][] = [];
  /** Set to make opening fail as the system would (an EACCES error, say). */
  openError: Error | undefined;
  /** A device gone bad: signs with the next account's key instead of the one asked for. */
  corruptSignatures = false;

  private readonly root: HDKey;
  private plugged = true;
  private unplugOn: 'sign' | undefined;
  private handles = new Set<FakeHidHandle>();
  private signing: { ins: number; path: number[]; payload: Uint8Array } | undefined;
  private confirmGate: Promise<void> | undefined;

  constructor(options: FakeLedgerDeviceOptions = {}) {
    this.path = options.path ?? 'fake-hid:ledger-0';
    this.product = options.product ?? 'Nano S Plus';
    this.productId = options.productId ?? 0x5011;
    this.serialNumber = options.serialNumber ?? '0001';
    this.app = options.app ?? 'Ethereum';
    this.locked = options.locked ?? false;
    this.blindSigning = options.blindSigning ?? true;
    this.decide = options.decide ?? 'approve';
    const seed = options.seed ?? fakeLedgerDeviceSeed;
    this.root = masterKey(seed);
  }

  get info(): HidDeviceInfo {
    return {
      path: this.path,
      vendorId: 0x2c97,
      productId: this.productId,
      product: this.product,
      manufacturer: 'Ledger',
      serialNumber: this.serialNumber,
      interface: 0,
      usagePage: 0xffa0,
    };
  }

  get isPlugged(): boolean {
    return this.plugged;
  }

  /** The address (EIP-55) of m/44'/60'/account'/0/0 on this device's seed. */
  address(account = 0): string {
    return addressOfPublicKey(this.publicKey(account));
  }

  /** Pulls the device out: pending reads fail, writes and opens fail. */
  unplug(): void {
    this.plugged = false;
    for (const handle of this.handles) handle.fail(new Error('could not read from HID device'));
  }

  /** Plugs it back in: a fresh device (unlocked state as it was; open handles stay dead). */
  plugIn(): void {
    this.plugged = true;
  }

  /** Unplugs the device the moment the next signing request is complete, before it answers. */
  unplugWhenSigning(): void {
    this.unplugOn = 'sign';
  }

  /**
   * Holds the next confirmation until the returned function is called: the
   * device "waits for the user", as a real one does between request and answer.
   */
  holdConfirmation(): () => void {
    let release!: () => void;
    this.confirmGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.confirmGate = undefined;
      release();
    };
  }

  /** node-hid's `new HID(path)` for this device. */
  open(): HidDeviceHandle {
    if (!this.plugged) throw new Error(`cannot open device with path ${this.path}`);
    if (this.openError) throw this.openError;
    const handle = new FakeHidHandle(this);
    this.handles.add(handle);
    return handle;
  }

  /** @internal a handle was closed */
  forget(handle: FakeHidHandle): void {
    this.handles.delete(handle);
  }

  private publicKey(account: number): Uint8Array {
    return this.key([44 + HARDENED, 60 + HARDENED, account + HARDENED, 0, 0]).publicKey;
  }

  private key(path: number[]): { privateKey: Uint8Array; publicKey: Uint8Array } {
    let node = this.root;
    for (const index of path) node = node.deriveChild(index);
    const privateKey = node.privateKey!;
    return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, false) };
  }

  private signingKey(path: number[]): Uint8Array {
    const wrong = path.map((index, i) => (i === 2 ? index + 1 : index));
    return this.key(this.corruptSignatures ? wrong : path).privateKey;
  }

  /** One APDU in, its response (data ‖ status word) out. */
  async exchange(apdu: Uint8Array): Promise<Uint8Array> {
    const [cla = 0, ins = 0, p1 = 0, p2 = 0, length = 0] = apdu;
    const data = apdu.subarray(5, 5 + length);
    this.apdus.push({ cla, ins, p1, p2, data: Uint8Array.from(data) });
    if (this.locked) return status(SW.LOCKED);
    if (cla === 0xb0 && ins === 0x01) return this.appAndVersion();
    if (cla !== 0xe0) return status(SW.CLA_NOT_SUPPORTED);
    if (this.app === 'BOLOS') return status(SW.APP_NOT_OPEN);
    if (this.app !== 'Ethereum') return status(SW.CLA_NOT_SUPPORTED);
    switch (ins) {
      case 0x06:
        return respond(Uint8Array.of(this.blindSigning ? 0x01 : 0x00, 1, 10, 3));
      case 0x02:
        return this.getAddress(p1, p2, data);
      case 0x04:
        return this.signTransaction(p1, data);
      case 0x0c:
        return this.signTypedDataHashes(p1, p2, data);
      default:
        return status(SW.INS_NOT_SUPPORTED);
    }
  }

  private appAndVersion(): Uint8Array {
    const name = new TextEncoder().encode(this.app);
    const version = new TextEncoder().encode(this.app === 'BOLOS' ? '1.1.2' : '1.10.3');
    return respond(Uint8Array.from([1, name.length, ...name, version.length, ...version, 1, 0x02]));
  }

  private async getAddress(p1: number, p2: number, data: Uint8Array): Promise<Uint8Array> {
    const path = readPath(data);
    if (!path) return status(SW.INVALID_DATA);
    const { publicKey } = this.key(path);
    const address = addressOfPublicKey(publicKey).slice(2);
    if (p1 === 0x01 && !(await this.confirm({ kind: 'address', hashes: [] }))) {
      return status(SW.REFUSED);
    }
    const chainCode = p2 === 0x01 ? new Uint8Array(32) : new Uint8Array(0);
    return respond(
      Uint8Array.from([
        publicKey.length,
        ...publicKey,
        address.length,
        ...new TextEncoder().encode(address),
        ...chainCode,
      ]),
    );
  }

  private async signTransaction(p1: number, data: Uint8Array): Promise<Uint8Array> {
    if (p1 === 0x00) {
      const path = readPath(data);
      if (!path) return status(SW.INVALID_DATA);
      this.signing = { ins: 0x04, path, payload: data.subarray(1 + 4 * path.length) };
    } else if (p1 === 0x80 && this.signing?.ins === 0x04) {
      this.signing.payload = concat(this.signing.payload, data);
    } else {
      return status(SW.WRONG_P1P2);
    }
    const tx = this.signing.payload;
    const total = transactionLength(tx);
    if (total === undefined || tx.length < total) return status(SW.OK); // more chunks to come
    const { path } = this.signing;
    this.signing = undefined;
    if (tx.length > total) return status(SW.INVALID_DATA);
    const fields = transactionFields(tx);
    if (!fields) return status(SW.INVALID_DATA);
    const hash = keccak_256(tx);
    // What the Ethereum app does with calldata it cannot decode: blind-sign it, or refuse.
    const blind = fields.data.length > 0;
    if (blind && !this.blindSigning) return status(SW.INVALID_DATA);
    if (this.unplugOn === 'sign') return this.pullOut();
    const screen = { kind: 'transaction' as const, hashes: blind ? [bytesToHex(hash)] : [] };
    if (!(await this.confirm(screen))) return status(SW.REFUSED);
    const { recovery, rs } = sign(hash, this.signingKey(path));
    // Typed transactions get the parity; legacy ones EIP-155's v, cut to one byte as the app does.
    const v =
      fields.type === 'legacy'
        ? (chainIdUint32(fields.chainId) * 2 + 35 + recovery) & 0xff
        : recovery;
    return respond(Uint8Array.from([v, ...rs]));
  }

  private async signTypedDataHashes(p1: number, p2: number, data: Uint8Array): Promise<Uint8Array> {
    if (p1 !== 0x00 || p2 !== 0x00) return status(SW.WRONG_P1P2);
    const path = readPath(data);
    const offset = path ? 1 + 4 * path.length : 0;
    if (!path || data.length !== offset + 64) return status(SW.WRONG_LENGTH);
    const domain = data.subarray(offset, offset + 32);
    const message = data.subarray(offset + 32, offset + 64);
    // Hashes alone are blind: recent Ethereum apps sign them only with blind signing on.
    if (!this.blindSigning) return status(SW.INVALID_DATA);
    if (this.unplugOn === 'sign') return this.pullOut();
    const screen = {
      kind: 'typed-data' as const,
      hashes: [bytesToHex(domain), bytesToHex(message)],
    };
    if (!(await this.confirm(screen))) return status(SW.REFUSED);
    const digest = keccak_256(concat(Uint8Array.of(0x19, 0x01), domain, message));
    const { recovery, rs } = sign(digest, this.signingKey(path));
    return respond(Uint8Array.from([27 + recovery, ...rs]));
  }

  private async confirm(screen: Omit<FakeScreen, 'decision'>): Promise<boolean> {
    await this.confirmGate;
    this.screens.push({ ...screen, decision: this.decide });
    return this.decide === 'approve';
  }

  /** Unplugged mid-request: no answer comes, and every open handle fails. */
  private pullOut(): never {
    this.unplugOn = undefined;
    this.unplug();
    throw new UnpluggedError();
  }
}

class UnpluggedError extends Error {}

/**
 * node-hid's HID object over a fake device: reports written are decoded into
 * APDUs, answers are framed into reports handed to read() callbacks.
 */
class FakeHidHandle implements HidDeviceHandle {
  private incoming:
    | { channel: number; length: number; data: number[]; sequence: number }
    | undefined;
  private readonly outgoing: Uint8Array[] = [];
  private readonly readers: Array<(error: Error | null | undefined, data?: number[]) => void> = [];
  private failure: Error | undefined;
  private closed = false;
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly device: FakeLedgerDevice) {}

  getDeviceInfo() {
    const { product, manufacturer, serialNumber } = this.device.info;
    return { product: product!, manufacturer: manufacturer!, serialNumber: serialNumber! };
  }

  write(report: number[]): number {
    if (this.closed) throw new TypeError('Cannot write to closed device');
    if (this.failure || !this.device.isPlugged) throw new TypeError('Cannot write to hid device');
    this.device.reports.push([...report]);
    // node-hid takes the report id first (0: Ledgers use none), then the 64-byte report.
    if (report.length !== REPORT + 1 || report[0] !== 0x00) {
      throw new TypeError(`fake Ledger: a report is 1 + ${REPORT} bytes, got ${report.length}`);
    }
    const frame = report.slice(1);
    const channel = (frame[0]! << 8) | frame[1]!;
    const sequence = (frame[3]! << 8) | frame[4]!;
    if (frame[2] !== TAG) throw new TypeError(`fake Ledger: bad tag 0x${frame[2]!.toString(16)}`);
    if (sequence === 0) {
      const length = (frame[5]! << 8) | frame[6]!;
      this.incoming = { channel, length, data: frame.slice(7), sequence: 0 };
    } else {
      if (
        !this.incoming ||
        this.incoming.channel !== channel ||
        sequence !== this.incoming.sequence + 1
      ) {
        throw new TypeError(`fake Ledger: out-of-order report (sequence ${sequence})`);
      }
      this.incoming.sequence = sequence;
      this.incoming.data.push(...frame.slice(5));
    }
    if (this.incoming.data.length >= this.incoming.length) {
      const { channel: answerOn, length, data } = this.incoming;
      this.incoming = undefined;
      const apdu = Uint8Array.from(data.slice(0, length));
      // One APDU at a time, as the device's single-threaded app does.
      this.busy = this.busy.then(() => this.answer(answerOn, apdu));
    }
    return report.length;
  }

  private async answer(channel: number, apdu: Uint8Array): Promise<void> {
    let response: Uint8Array;
    try {
      response = await this.device.exchange(apdu);
    } catch (error) {
      if (error instanceof UnpluggedError) return; // no answer: the reads fail instead
      throw error;
    }
    if (this.failure || this.closed) return;
    for (const report of frameResponse(channel, response)) this.outgoing.push(report);
    this.deliver();
  }

  read(callback: (error: Error | null | undefined, data?: number[]) => void): void {
    if (this.closed) throw new Error('Unable to read from a closed HID device');
    this.readers.push(callback);
    this.deliver();
  }

  /** @internal the device was pulled out: what node-hid's read does then. */
  fail(error: Error): void {
    this.failure = error;
    this.deliver();
  }

  private deliver(): void {
    // Asynchronously, like node-hid's reads on a worker thread.
    setImmediate(() => {
      while (this.readers.length > 0) {
        if (this.failure) {
          this.readers.shift()!(this.failure);
          continue;
        }
        const report = this.outgoing.shift();
        if (!report) return;
        this.readers.shift()!(null, [...report]);
      }
    });
  }

  close(): void {
    this.closed = true;
    this.device.forget(this);
  }
}

/** Ledger HID framing, device to host: channel, tag, sequence, and the length up front. */
export function frameResponse(channel: number, response: Uint8Array): Uint8Array[] {
  const message = concat(Uint8Array.of(response.length >> 8, response.length & 0xff), response);
  const frames: Uint8Array[] = [];
  for (let offset = 0, sequence = 0; offset < message.length; sequence++) {
    const frame = new Uint8Array(REPORT);
    frame.set([channel >> 8, channel & 0xff, TAG, sequence >> 8, sequence & 0xff]);
    const chunk = message.subarray(offset, offset + REPORT - 5);
    frame.set(chunk, 5);
    offset += chunk.length;
    frames.push(frame);
  }
  return frames;
}

/** Plugs fake devices into Signet's HID seam in place of node-hid. */
export function fakeHidBackend(devices: FakeLedgerDevice[]): HidBackend & {
  devicesPlugged: FakeLedgerDevice[];
} {
  return {
    devicesPlugged: devices,
    devices: (vendorId) =>
      devices.filter((d) => d.isPlugged && d.info.vendorId === vendorId).map((d) => d.info),
    open: (path) => {
      const device = devices.find((d) => d.path === path);
      if (!device) throw new Error(`cannot open device with path ${path}`);
      return device.open();
    },
  };
}

function masterKey(seed: string): HDKey {
  // The account at the root path "m" holds the seed's master key.
  const account = mnemonicToAccount(seed, { path: 'm' as `m/44'/60'/${string}` });
  return account.getHdKey();
}

function sign(digest: Uint8Array, privateKey: Uint8Array): { recovery: number; rs: Uint8Array } {
  const signature = secp256k1.sign(digest, privateKey, { prehash: false, format: 'recovered' });
  return { recovery: signature[0]!, rs: signature.subarray(1) };
}

function readPath(data: Uint8Array): number[] | undefined {
  const count = data[0];
  if (count === undefined || count === 0 || count > 10 || data.length < 1 + 4 * count) {
    return undefined;
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: count }, (_, i) => view.getUint32(1 + 4 * i));
}

function status(sw: number): Uint8Array {
  return Uint8Array.of(sw >> 8, sw & 0xff);
}

function respond(data: Uint8Array): Uint8Array {
  return concat(data, status(SW.OK));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The full length of a serialised transaction from its first bytes (the type
 * byte, then the RLP list header), or undefined while the header is incomplete:
 * how the device knows the last chunk has arrived.
 */
function transactionLength(tx: Uint8Array): number | undefined {
  const typed = tx[0] !== undefined && tx[0] < 0x80;
  const start = typed ? 1 : 0;
  const header = tx[start];
  if (header === undefined) return undefined;
  if (header < 0xc0) return -1; // not a list: malformed
  if (header <= 0xf7) return start + 1 + (header - 0xc0);
  const size = header - 0xf7;
  if (tx.length < start + 1 + size) return undefined;
  let length = 0;
  for (let i = 0; i < size; i++) length = length * 256 + tx[start + 1 + i]!;
  return start + 1 + size + length;
}

/** The few fields the app acts on: its type, chain id and calldata. */
function transactionFields(
  tx: Uint8Array,
): { type: 'legacy' | 'eip1559'; chainId: bigint; data: Uint8Array } | undefined {
  const typed = tx[0]! < 0x80;
  if (typed && tx[0] !== 0x02) return undefined;
  const items = rlpList(tx.subarray(typed ? 1 : 0));
  if (!items) return undefined;
  const int = (b: Uint8Array | undefined) => (b && b.length > 0 ? BigInt(toHex(b)) : 0n);
  if (typed) {
    if (items.length !== 9) return undefined;
    return { type: 'eip1559', chainId: int(items[0]), data: items[7]! };
  }
  if (items.length !== 9) return undefined; // EIP-155: nonce … data, chainId, 0, 0
  return { type: 'legacy', chainId: int(items[6]), data: items[5]! };
}

/** The byte strings of a flat RLP list (nested lists, like the access list, are kept raw). */
function rlpList(bytes: Uint8Array): Uint8Array[] | undefined {
  const item = (at: number): { start: number; end: number; next: number } | undefined => {
    const b = bytes[at];
    if (b === undefined) return undefined;
    if (b < 0x80) return { start: at, end: at + 1, next: at + 1 };
    const short = (base: number) => ({
      start: at + 1,
      end: at + 1 + b - base,
      next: at + 1 + b - base,
    });
    const long = (base: number) => {
      const size = b - base;
      let length = 0;
      for (let i = 0; i < size; i++) length = length * 256 + (bytes[at + 1 + i] ?? 0);
      return { start: at + 1 + size, end: at + 1 + size + length, next: at + 1 + size + length };
    };
    if (b <= 0xb7) return short(0x80);
    if (b < 0xc0) return long(0xb7);
    if (b <= 0xf7) return short(0xc0);
    return long(0xf7);
  };
  const list = item(0);
  if (!list || bytes[0]! < 0xc0 || list.next !== bytes.length) return undefined;
  const out: Uint8Array[] = [];
  for (let at = list.start; at < list.end; ) {
    const next = item(at);
    if (!next || next.next > list.end) return undefined;
    out.push(bytes.subarray(next.start, next.end));
    at = next.next;
  }
  return out;
}

function chainIdUint32(chainId: bigint): number {
  // The app keeps the chain id's first 4 bytes (hw-app-eth's getChainIdAsUint32 mirrors it).
  let hex = chainId.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Number.parseInt(hex.slice(0, 8), 16);
}
