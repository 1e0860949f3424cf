/**
 * A hostile page. Script running in the real UI page (Chromium, through the
 * loopback bridge, with the page's own session token), a raw HTTP client
 * holding that token, and a caller on Electron's IPC channel from the app's
 * main frame (the real app API behind each) call every method of the API
 * contract with hostile arguments: a foreign library as a PKCS#11 module (a
 * canary that would show it was loaded, real PKCS#11 modules nothing lists,
 * libz, a missing path), pkcs11: URIs whose module-path points elsewhere, a
 * raw digest to sign (the method is gone), bodies over the bridge's cap and
 * huge strings inside it, malformed JSON, wrong types, extra fields, method
 * names like `__proto__`. Each gets its refusal (code and message asserted),
 * and afterwards nothing was signed, loaded or stored: the store is as it
 * was (no audit entry, no outbox row), the token holds the same objects, no
 * foreign library is mapped into the process and the canary never fired.
 *
 * The cases come from the contract: every method in `apiMethods` gets the
 * generic ones, and a method with no case of its own fails the test.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UR, UREncoder } from '@ngraveio/bc-ur';
import { FountainEncoderPart } from '@ngraveio/bc-ur/dist/fountainEncoder.js';
import type { Browser, Page } from 'playwright-core';
import { getAddress, zeroHash } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDRESS_BOOK_MAX_ENTRIES } from '../../core/api/address-book.js';
import type { ErrorCode } from '../../core/api/errors.js';
import { type ApiMethod, apiMethods, apiRequests } from '../../core/api/methods.js';
import { operatorRequests } from '../../core/api/operator.js';
import type { ChainProfile } from '../../core/api/profile.js';
import { MAX_UI_BATCH_CSV } from '../../core/api/provisioning.js';
import type { ApiReply } from '../../core/api/transport.js';
import { MAX_BUNDLE_TEXT, MAX_REQUEST_TEXT } from '../../core/api/treasury.js';
import { type AppApi, createAppApi } from '../../core/app/app-api.js';
import { type Bridge, MAX_BODY_BYTES, startBridge } from '../../core/bridge/bridge-server.js';
import { writeActiveProfile } from '../../core/chain/profile-file.js';
import { encodePaymentRequest } from '../../core/purse/payment-file.js';
import { addPurse } from '../../core/purse/purse-store.js';
import { addAddressBookEntry } from '../../core/store/address-book.js';
import { openStore } from '../../core/store/database.js';
import { addTreasury } from '../../core/store/treasuries.js';
import { fileLocation } from '../../electron/app-location.js';
import {
  createTrustedSenderCheck,
  type InvokeEvent,
  type IpcMainLike,
  registerApi,
  type SenderFrame,
} from '../../electron/ipc.js';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../native/pkcs11/uri.js';
import { pinFile, signet } from '../support/cli.js';
import {
  type ForeignLibraries,
  foreignLibraries,
  mappedFiles,
} from '../support/foreign-libraries.js';
import {
  OFFLINE_CHAIN_ID,
  PAYEE,
  seedSyncedAccount,
  selectOfflineChain,
} from '../support/offline-wallet.js';
import { createSoftHsmStore, softhsmModule } from '../support/softhsm.js';
import { buildRenderer, launchChromium, openUiPage, settle } from '../support/ui-harness.js';

// Globals of the page, for the callback Chromium runs: the root tsconfig is Node-only on purpose.
declare const sessionStorage: { getItem(key: string): string | null };

const PIN = '8080-victim';
const SO_PIN = '9191-victim-so';
const tokens = createSoftHsmStore('signet-hostile-');
const dir = mkdtempSync(join(tmpdir(), 'signet-hostile-'));
const home = join(dir, 'home');
const dist = join(dir, 'dist');
const storePath = join(home, 'signet.sqlite');

let foreign: ForeignLibraries;
let victim: { token: string; key: string; slot: number; address: string };
/** The digest of the one review this wallet showed (a payment of 1.00 to PAYEE). */
let reviewed: string;
/** The victim's treasury (threshold 1) and a payment proposed by it, never approved. */
let proposal: { treasury: string; bundle: string; reviewDigest: string; fragments: number };
/** A payment request to PAYEE, as a page could hand one over, and the victim's own (seeded) purse. */
let victimRequest: string;
/** The offline purse contract the victim's (closed-port) ledger names. */
const OFFLINE_PURSE = getAddress(`0x${'c8'.padStart(40, '0')}`);
/** The treasury the victim's create form showed (Mallory, the victim its one owner): its salt and digest. */
let shownTreasury: { saltNonce: string; reviewDigest: string };
let chain: ChainProfile;
let app: AppApi;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** One hostile call, and the refusal it must get. */
interface HostileCase {
  label: string;
  /** The method as the caller names it (URL path segment, IPC `method`). */
  method: string;
  /** The request body as sent: JSON text (malformed on purpose in some cases), or too big. */
  body: string | { oversize: true };
  contentType?: string;
  status: number;
  code: ErrorCode;
  message: string | RegExp;
  /** The bridge refuses it before dispatch (HTTP-level): no IPC equivalent. */
  bridgeOnly?: boolean;
  /** What IPC answers instead, where it differs (method names are checked by its schema). */
  ipc?: { code: ErrorCode; message: string | RegExp };
}

const EVIL_DIGEST = `0x${'ab'.repeat(32)}`;

const unknownField = (method: string, field: string) =>
  `invalid ${method} request: unknown field "${field}"`;
const invalidRequest = (method: string) =>
  new RegExp(`^invalid ${method.replace('.', '\\.')} request: `);
const notAllowed = (path: string) =>
  `module ${JSON.stringify(path)} is not one Signet knows; add it to "modules" in config.json`;

/** The victim's URIs with module-path pointing at `path` instead. */
const withModule = (uri: string, path: string) =>
  formatPkcs11Uri({ ...parsePkcs11Uri(uri), modulePath: path });

/** Requests each method accepts: the base for "valid but for one extra field". */
function validParams(): Record<ApiMethod, Record<string, unknown>> {
  const send = { from: victim.key, to: PAYEE, amount: '1.00' };
  const redeem = { operation: { op: 'redeem', from: victim.key, tokenId: '1' } };
  return {
    'app.info': {},
    'accounts.list': {},
    'accounts.addLedgerDevice': { device: PAYEE, account: 0 },
    'accounts.balances': {},
    'notes.list': {},
    'history.page': {},
    'outbox.list': {},
    'ledger.status': {},
    'sync.run': {},
    'audit.list': {},
    'audit.verify': {},
    'wallet.previewSend': send,
    'wallet.send': { ...send, offline: true },
    'notes.preview': redeem,
    'notes.execute': { ...redeem, offline: true },
    'addressBook.list': {},
    'addressBook.add': { address: PAYEE, name: 'Mallory' },
    'addressBook.rename': { address: PAYEE, name: 'Mallory' },
    'addressBook.remove': { address: PAYEE },
    'devices.listModules': {},
    'devices.listHid': {},
    'devices.listTokens': {},
    'devices.initToken': { module: softhsmModule, free: true, label: 'Mallory' },
    'devices.changePin': { token: victim.token },
    'devices.unblockPin': { token: victim.token },
    'devices.listKeys': { token: victim.token },
    'devices.generateKey': { token: victim.token, curve: 'secp256k1', label: 'evil' },
    'devices.deleteKey': { key: victim.key, confirm: true },
    'doctor.run': {},
    'treasury.list': {},
    'treasury.show': { treasury: proposal.treasury, offline: true },
    'treasury.predict': { name: 'Mallory', owners: [victim.key], threshold: 1, from: victim.key },
    'treasury.create': {
      name: 'Mallory',
      owners: [victim.key],
      threshold: 1,
      from: victim.key,
      offline: true,
      ...shownTreasury,
    },
    'treasury.propose': { treasury: proposal.treasury, to: PAYEE, amount: '1.00', offline: true },
    'treasury.review': { bundle: proposal.bundle },
    'treasury.approve': {
      bundle: proposal.bundle,
      key: victim.key,
      offline: true,
      reviewDigest: proposal.reviewDigest,
    },
    'treasury.merge': { bundles: [proposal.bundle, proposal.bundle] },
    'treasury.execute': {
      bundle: proposal.bundle,
      from: victim.key,
      reviewDigest: proposal.reviewDigest,
    },
    'treasury.batch': { treasury: proposal.treasury, csv: batchCsv(), offline: true },
    'treasury.cancel': { treasury: proposal.treasury, nonce: '0', offline: true },
    'treasury.proposeNote': {
      treasury: proposal.treasury,
      operation: { op: 'issue', payee: PAYEE, faceValue: '1.00', maturity: '2030-01-31' },
      offline: true,
    },
    'treasury.proposeOwners': {
      treasury: proposal.treasury,
      change: { kind: 'threshold', threshold: 1 },
      offline: true,
    },
    'treasury.qrParts': { bundle: proposal.bundle },
    'treasury.qrDecode': { parts: ['ur:x-signet-approval/1-2/lpadaocfadaxcyhdcxhdcx'] },
    'customers.preview': {
      action: 'register',
      operator: victim.key,
      account: PAYEE,
      customer: 'CUST-1',
    },
    'customers.register': { operator: victim.key, account: PAYEE, customer: 'CUST-1' },
    'customers.freeze': { operator: victim.key, account: PAYEE },
    'customers.unfreeze': { operator: victim.key, account: PAYEE },
    'customers.show': { account: PAYEE },
    'provision.preview': { csv: PROVISION_CSV, operator: victim.key },
    'provision.start': { csv: PROVISION_CSV, operator: victim.key, reviewDigest: EVIL_DIGEST },
    'provision.replacePreview': counterReplace(),
    'provision.counterReplace': { ...counterReplace(), reviewDigest: EVIL_DIGEST },
    'provision.counterUnblock': { token: victim.token, customer: 'CUST-1' },
    'purse.status': {},
    'purse.open': {
      account: victim.key,
      locked: '10.00',
      cap: '5.00',
      maxCount: 3,
      validitySeconds: 3600,
    },
    'purse.request': { account: PAYEE, amount: '1.00' },
    'purse.payPreview': { request: { text: '{}' } },
    'purse.pay': { request: { text: '{}' }, reviewDigest: EVIL_DIGEST },
    'purse.receive': { payment: { text: '{}' } },
    'purse.settle': { via: 'service' },
    'purse.close': { purse: PAYEE },
  };
}

/** One customer on a token no one has: a batch the page may review, never start unreviewed. */
const PROVISION_CSV = 'C-1,Customer One,0123456789abcdef,1.00,en\n';

/** A lost token's replacement at the counter, as the page would ask for it. */
const counterReplace = () => ({
  customer: 'CUST-1',
  lost: PAYEE,
  token: victim.token,
  operator: victim.key,
});

/** Module paths a hostile caller names: each must be refused without being opened. */
function foreignModules(): string[] {
  return [
    foreign.canary,
    ...foreign.unlistedModules,
    ...(foreign.otherLibrary ? [foreign.otherLibrary] : []),
    foreign.missing,
    '/proc/self/exe',
    '../../../../../tmp/libevil.so',
  ];
}

type Refusal = [label: string, params: unknown, code: ErrorCode, message: string | RegExp];

/** Each method's own hostile calls (a method missing here fails the test). */
function ownCases(): Partial<Record<ApiMethod, Refusal[]>> {
  const huge = 'x'.repeat(900_000);
  const modules = foreignModules();
  const perModule = (make: (path: string) => [string, unknown]): Refusal[] =>
    modules.map((path) => {
      const [label, params] = make(path);
      return [label, params, 'MODULE_NOT_ALLOWED', notAllowed(path)];
    });
  const noAccount =
    /^no wallet account uses pkcs11:.*; add it with `signet account add --key URI`$/;
  const send = { to: PAYEE, amount: '1.00', offline: true };
  return {
    'app.info': [
      [
        'asks for a module',
        { module: foreign.canary },
        'INVALID_ARGUMENT',
        unknownField('app.info', 'module'),
      ],
    ],
    'accounts.list': [
      [
        'slips in a key',
        { keyUri: victim.key },
        'INVALID_ARGUMENT',
        unknownField('accounts.list', 'keyUri'),
      ],
    ],
    'accounts.addLedgerDevice': [
      [
        'a ledger: URI of its own instead of a device id',
        { uri: `ledger:${PAYEE}?path=m/44'/60'/0'/0/0`, device: PAYEE, account: 0 },
        'INVALID_ARGUMENT',
        unknownField('accounts.addLedgerDevice', 'uri'),
      ],
      [
        'an account index past the hardened range',
        { device: PAYEE, account: 2 ** 31 },
        'INVALID_ARGUMENT',
        'invalid accounts.addLedgerDevice request: account: Too big: expected number to be <=2147483647',
      ],
      [
        'a device id with a wrong checksum',
        { device: PAYEE.toLowerCase().replace('c', 'C'), account: 0 },
        'ADDRESS_INVALID',
        /^the device id 0x\S+ has a wrong checksum/,
      ],
      [
        'a Ledger that is not plugged in',
        { device: PAYEE, account: 0 },
        'DEVICE_NOT_FOUND',
        `no Ledger is plugged in: plug in Ledger ${PAYEE}, unlock it and open its Ethereum app`,
      ],
    ],
    'accounts.balances': [
      [
        'a huge address',
        { address: huge },
        'INVALID_ARGUMENT',
        'invalid accounts.balances request: address: a 0x-prefixed 20-byte address',
      ],
    ],
    'notes.list': [
      [
        'an address that is a number',
        { address: 42 },
        'INVALID_ARGUMENT',
        invalidRequest('notes.list'),
      ],
    ],
    'history.page': [
      [
        'a billion rows',
        { limit: 1e9 },
        'INVALID_ARGUMENT',
        'invalid history.page request: limit: Too big: expected number to be <=500',
      ],
    ],
    'outbox.list': [
      ['another chain', { chainId: 1 }, 'INVALID_ARGUMENT', unknownField('outbox.list', 'chainId')],
    ],
    'ledger.status': [
      [
        'its own node',
        { rpc: ['http://evil.example/'] },
        'INVALID_ARGUMENT',
        unknownField('ledger.status', 'rpc'),
      ],
    ],
    'sync.run': [
      [
        'its own node',
        { rpc: ['http://evil.example/'] },
        'INVALID_ARGUMENT',
        unknownField('sync.run', 'rpc'),
      ],
    ],
    'audit.list': [
      [
        'a huge search',
        { search: huge },
        'INVALID_ARGUMENT',
        /^invalid audit\.list request: search: Too big/,
      ],
    ],
    'audit.verify': [
      ['a repair', { repair: true }, 'INVALID_ARGUMENT', unknownField('audit.verify', 'repair')],
    ],
    'wallet.previewSend': [
      [
        'from the key behind a foreign module',
        { from: withModule(victim.key, foreign.canary), to: PAYEE, amount: '1.00' },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
    ],
    'wallet.send': [
      [
        'from the key behind a foreign module, with the PIN',
        { ...send, from: withModule(victim.key, foreign.canary), pin: PIN },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
      [
        'the victim key, as reviewed, without its PIN',
        { ...send, from: victim.key, reviewDigest: reviewed },
        'PIN_REQUIRED',
        'token "Victim" needs the PIN',
      ],
      [
        'the victim key with its PIN, but no review',
        { ...send, from: victim.key, pin: PIN },
        'INVALID_ARGUMENT',
        'nothing is signed from the UI without the review digest of the preview the user saw',
      ],
      [
        'the victim key with its PIN, and a review it never showed',
        { ...send, from: victim.key, pin: PIN, reviewDigest: EVIL_DIGEST },
        'REVIEW_STALE',
        'the ledger changed since you reviewed; review again',
      ],
      [
        'another payee under the review it showed',
        { ...send, from: victim.key, to: victim.address, pin: PIN, reviewDigest: reviewed },
        'REVIEW_STALE',
        'the ledger changed since you reviewed; review again',
      ],
      [
        'an amount that is a float',
        { ...send, from: victim.key, amount: 1.5 },
        'INVALID_ARGUMENT',
        invalidRequest('wallet.send'),
      ],
      [
        'a huge PIN',
        { ...send, from: victim.key, pin: 'p'.repeat(100_000) },
        'INVALID_ARGUMENT',
        /^invalid wallet\.send request: pin: /,
      ],
      [
        'a huge carrier PIN',
        { ...send, from: victim.key, pin: PIN, carrierPin: 'p'.repeat(100_000) },
        'INVALID_ARGUMENT',
        /^invalid wallet\.send request: carrierPin: /,
      ],
      [
        // A carrier's PIN is tried on a carrier's token only, never on the key's own.
        'the victim key, as reviewed, with its PIN as the carrier PIN',
        { ...send, from: victim.key, reviewDigest: reviewed, carrierPin: PIN },
        'PIN_REQUIRED',
        'token "Victim" needs the PIN',
      ],
    ],
    'notes.preview': [
      [
        'redeem with the key behind a foreign module',
        {
          operation: { op: 'redeem', from: withModule(victim.key, foreign.missing), tokenId: '1' },
        },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
      [
        'an operation that signs a digest',
        { operation: { op: 'sign-digest', from: victim.key, digest: EVIL_DIGEST } },
        'INVALID_ARGUMENT',
        /^invalid notes\.preview request: operation\.op: /,
      ],
    ],
    'notes.execute': [
      [
        'redeem with the key behind a foreign module',
        {
          operation: { op: 'redeem', from: withModule(victim.key, foreign.canary), tokenId: '1' },
          pin: PIN,
        },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
      [
        'an operation that signs a digest',
        { operation: { op: 'sign-digest', from: victim.key, digest: EVIL_DIGEST }, pin: PIN },
        'INVALID_ARGUMENT',
        /^invalid notes\.execute request: operation\.op: /,
      ],
    ],
    'addressBook.list': [
      ['a filter', { name: 'x' }, 'INVALID_ARGUMENT', unknownField('addressBook.list', 'name')],
    ],
    'addressBook.add': [
      [
        "a name for the victim's own account",
        { address: victim.address, name: 'Mallory' },
        'INVALID_ARGUMENT',
        `${victim.address} is your account "${victim.address}"; reviews name it so already`,
      ],
      [
        "a name for the ledger's currency contract",
        { address: `0x${'c1'.padStart(40, '0')}`, name: 'Victim bank' },
        'INVALID_ARGUMENT',
        /^0x0{38}[cC]1 is the ledger's currency contract; reviews name it so already$/,
      ],
      [
        'a name with a right-to-left override',
        { address: PAYEE, name: 'Victim\u202Ekcab' },
        'INVALID_ARGUMENT',
        'invalid addressBook.add request: name: no control or invisible characters',
      ],
      [
        'a huge name',
        { address: PAYEE, name: huge },
        'INVALID_ARGUMENT',
        'invalid addressBook.add request: name: at most 64 characters',
      ],
      [
        'one entry more than the book holds',
        { address: PAYEE, name: 'Mallory' },
        'INVALID_ARGUMENT',
        `the address book is full (${ADDRESS_BOOK_MAX_ENTRIES} entries); remove one to add another`,
      ],
    ],
    'addressBook.rename': [
      [
        'an address not in the book',
        { address: PAYEE, name: 'Mallory' },
        'INVALID_ARGUMENT',
        `${PAYEE} is not in the address book`,
      ],
    ],
    'addressBook.remove': [
      [
        'an address not in the book',
        { address: PAYEE },
        'INVALID_ARGUMENT',
        `${PAYEE} is not in the address book`,
      ],
    ],
    'doctor.run': [
      [
        'a module of its own to look at',
        { module: foreign.canary },
        'INVALID_ARGUMENT',
        unknownField('doctor.run', 'module'),
      ],
      [
        'another data folder',
        { home: '/root/.config/Signet' },
        'INVALID_ARGUMENT',
        unknownField('doctor.run', 'home'),
      ],
    ],
    'devices.listModules': [
      [
        'its own module list',
        { configured: [foreign.canary] },
        'INVALID_ARGUMENT',
        unknownField('devices.listModules', 'configured'),
      ],
    ],
    'devices.listHid': [
      [
        'a device path of its own',
        { path: '/dev/hidraw0' },
        'INVALID_ARGUMENT',
        unknownField('devices.listHid', 'path'),
      ],
    ],
    'devices.listTokens': [
      ...perModule((path) => [`module ${path}`, { module: path }]),
      [
        'a module path past PATH_MAX',
        { module: `/tmp/${'a'.repeat(5000)}.so` },
        'INVALID_ARGUMENT',
        /^invalid devices\.listTokens request: module: Too big/,
      ],
    ],
    'devices.initToken': [
      ...perModule((path) => [
        `module ${path}, with PINs`,
        {
          module: path,
          free: true,
          label: 'Mallory',
          soPin: SO_PIN,
          newPin: PIN,
          confirmErase: true,
        },
      ]),
      [
        'erase the victim token without its SO PIN',
        { module: softhsmModule, slot: victim.slot, label: 'Mallory', confirmErase: true },
        'PIN_REQUIRED',
        'token "Mallory" needs the new SO PIN',
      ],
    ],
    'devices.changePin': perModule((path) => [
      `token behind ${path}`,
      { token: withModule(victim.token, path), pin: PIN, newPin: '11119999' },
    ]),
    'devices.unblockPin': perModule((path) => [
      `token behind ${path}`,
      { token: withModule(victim.token, path), soPin: SO_PIN, newPin: '11119999' },
    ]),
    'devices.listKeys': [
      ...perModule((path) => [
        `token behind ${path}`,
        { token: withModule(victim.token, path), pin: PIN },
      ]),
      [
        'a URI of 3000 characters',
        { token: `pkcs11:token=${'a'.repeat(3000)}` },
        'INVALID_ARGUMENT',
        'invalid devices.listKeys request: token: a pkcs11: URI of at most 2048 characters',
      ],
      [
        'a carrier PIN, where no carrier signs',
        { token: victim.token, carrierPin: PIN },
        'INVALID_ARGUMENT',
        unknownField('devices.listKeys', 'carrierPin'),
      ],
    ],
    'devices.generateKey': [
      ...perModule((path) => [
        `token behind ${path}`,
        { token: withModule(victim.token, path), curve: 'secp256k1', label: 'evil', pin: PIN },
      ]),
      [
        'a huge label',
        { token: victim.token, curve: 'secp256k1', label: huge, pin: PIN },
        'INVALID_ARGUMENT',
        /^invalid devices\.generateKey request: label: Too big/,
      ],
    ],
    'devices.deleteKey': [
      ...perModule((path) => [
        `key behind ${path}`,
        { key: withModule(victim.key, path), confirm: true, pin: PIN },
      ]),
      [
        'the victim key without its PIN',
        { key: victim.key, confirm: true },
        'PIN_REQUIRED',
        'token "Victim" needs the PIN',
      ],
    ],
    ...treasuryCases(perModule, noAccount),
  };
}

/** The treasury methods' own hostile calls: nothing approved, executed or proposed signed. */
function treasuryCases(
  perModule: (make: (path: string) => [string, unknown]) => Refusal[],
  noAccount: RegExp,
): Partial<Record<ApiMethod, Refusal[]>> {
  const { treasury, bundle, reviewDigest } = proposal;
  const noReview =
    'nothing is signed from the UI without the review digest of the preview the user saw';
  const stale = 'the ledger changed since you reviewed; review again';
  const noSignWith = 'a proposal is approved from the UI after its review, with treasury.approve';
  const approve = { bundle, key: victim.key, offline: true };
  const execute = { bundle, from: victim.key };
  const notABundle = 'the approval bundle is truncated or not JSON';
  const foreignFrame = new UREncoder(UR.fromBuffer(Buffer.from('not an approval')), 200).nextPart();
  const mallory = { name: 'Mallory', owners: [victim.key], threshold: 1, from: victim.key };
  const shown = { ...mallory, offline: true, ...shownTreasury };
  // A frame whose header claims 2^32 - 1 fragments: bc-ur would allocate an array that long.
  const claimed = 2 ** 32 - 1;
  const forgedBody = UREncoder.encodeSinglePart(
    new UR(
      new FountainEncoderPart(claimed, claimed, 16, 1, Buffer.alloc(16, 7)).cbor(),
      'x-signet-approval',
    ),
  )
    .split('/')
    .at(-1);
  const forgedFrame = `ur:x-signet-approval/${claimed}-${claimed}/${forgedBody}`;
  const freeze = { operator: victim.key, account: PAYEE };
  const register = { ...freeze, customer: 'CUST-1' };
  const huge = 'x'.repeat(900_000);
  return {
    'treasury.list': [
      [
        'a PIN it never needs',
        { pin: PIN },
        'INVALID_ARGUMENT',
        unknownField('treasury.list', 'pin'),
      ],
    ],
    'treasury.show': [
      [
        'a treasury the wallet does not have',
        { treasury: 'Nope', offline: true },
        'ACCOUNT_UNKNOWN',
        `no treasury Nope on chain ${OFFLINE_CHAIN_ID}; \`signet treasury create\` makes one`,
      ],
      [
        'a PIN it never needs',
        { treasury, offline: true, pin: PIN },
        'INVALID_ARGUMENT',
        unknownField('treasury.show', 'pin'),
      ],
    ],
    'treasury.predict': [
      [
        'sent by the key behind a foreign module',
        { ...mallory, from: withModule(victim.key, foreign.canary) },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
      [
        'owned by the key behind a foreign module',
        { ...mallory, owners: [withModule(victim.key, foreign.canary)] },
        'ACCOUNT_UNKNOWN',
        /^owner pkcs11:.* is not a wallet account: add it with `signet account add`, or give its address$/,
      ],
      [
        'a PIN it never needs',
        { ...mallory, pin: PIN },
        'INVALID_ARGUMENT',
        unknownField('treasury.predict', 'pin'),
      ],
      [
        'fifty-one owners',
        { ...mallory, owners: Array(51).fill(PAYEE) },
        'INVALID_ARGUMENT',
        /^invalid treasury\.predict request: owners: Too big/,
      ],
    ],
    'treasury.create': [
      [
        'sent by the key behind a foreign module, with the PIN',
        {
          ...shown,
          owners: [PAYEE],
          from: withModule(victim.key, foreign.canary),
          pin: PIN,
        },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
      [
        'sent by the victim key, as shown, without its PIN',
        shown,
        'PIN_REQUIRED',
        'token "Victim" needs the PIN',
      ],
      [
        'the victim key with its PIN, but no review',
        { ...mallory, offline: true, saltNonce: shownTreasury.saltNonce, pin: PIN },
        'INVALID_ARGUMENT',
        noReview,
      ],
      [
        'the victim key with its PIN, and a review it never showed',
        { ...shown, reviewDigest: EVIL_DIGEST, pin: PIN },
        'REVIEW_STALE',
        stale,
      ],
      [
        'the victim key with its PIN, under the review of another treasury',
        { ...shown, owners: [PAYEE], pin: PIN },
        'REVIEW_STALE',
        stale,
      ],
      [
        'the victim key with its PIN, as shown but for a salt of its own',
        { ...shown, saltNonce: '1', pin: PIN },
        'REVIEW_STALE',
        stale,
      ],
      [
        'the victim key with its PIN, under the review, without the salt',
        { ...mallory, offline: true, reviewDigest: shownTreasury.reviewDigest, pin: PIN },
        'INVALID_ARGUMENT',
        'a treasury is created from the UI with the salt nonce its prediction showed',
      ],
      [
        'fifty-one owners',
        { name: 'Mallory', owners: Array(51).fill(PAYEE), threshold: 1, from: victim.key },
        'INVALID_ARGUMENT',
        /^invalid treasury\.create request: owners: Too big/,
      ],
    ],
    'treasury.propose': [
      [
        'approved at once by the victim key, with its PIN',
        { treasury, to: PAYEE, amount: '1.00', offline: true, signWith: victim.key, pin: PIN },
        'INVALID_ARGUMENT',
        noSignWith,
      ],
      [
        'a huge description',
        { treasury, to: PAYEE, amount: '1.00', offline: true, description: 'x'.repeat(2001) },
        'INVALID_ARGUMENT',
        /^invalid treasury\.propose request: description: Too big/,
      ],
    ],
    'treasury.review': [
      [
        'a bundle over its cap',
        { bundle: 'x'.repeat(MAX_BUNDLE_TEXT + 1) },
        'INVALID_ARGUMENT',
        /^invalid treasury\.review request: bundle: Too big/,
      ],
      ['not a bundle', { bundle: '{"evil":' }, 'BUNDLE_INVALID', notABundle],
    ],
    'treasury.approve': [
      [
        'the victim key with its PIN, but no review',
        { ...approve, pin: PIN },
        'INVALID_ARGUMENT',
        noReview,
      ],
      [
        'the victim key with its PIN, and a review it never showed',
        { ...approve, pin: PIN, reviewDigest: EVIL_DIGEST },
        'REVIEW_STALE',
        stale,
      ],
      [
        'the victim key with its PIN, under the review of a payment',
        { ...approve, pin: PIN, reviewDigest: reviewed },
        'REVIEW_STALE',
        stale,
      ],
      [
        'as reviewed, without the PIN',
        { ...approve, reviewDigest },
        'PIN_REQUIRED',
        'token "Victim" needs the PIN',
      ],
      ...perModule((path) => [
        `as reviewed, the key behind ${path}`,
        { ...approve, key: withModule(victim.key, path), reviewDigest, pin: PIN },
      ]),
      [
        'a policy over its cap',
        { ...approve, reviewDigest, pin: PIN, policy: 'p'.repeat(512 * 1024 + 1) },
        'INVALID_ARGUMENT',
        /^invalid treasury\.approve request: policy: Too big/,
      ],
    ],
    'treasury.merge': [
      [
        'one bundle',
        { bundles: [bundle] },
        'INVALID_ARGUMENT',
        /^invalid treasury\.merge request: bundles: Too small/,
      ],
      [
        'bundles over the cap together',
        { bundles: Array(5).fill('x'.repeat(200_000)) },
        'INVALID_ARGUMENT',
        `invalid treasury.merge request: bundles: the bundles together are over ${MAX_REQUEST_TEXT} characters: merge them a few at a time`,
      ],
    ],
    'treasury.execute': [
      [
        'the victim key with its PIN, but no review',
        { ...execute, pin: PIN },
        'INVALID_ARGUMENT',
        noReview,
      ],
      [
        'the victim key with its PIN, and a review it never showed',
        { ...execute, pin: PIN, reviewDigest: EVIL_DIGEST },
        'REVIEW_STALE',
        stale,
      ],
    ],
    'treasury.batch': [
      [
        'approved at once by the victim key, with its PIN',
        { treasury, csv: batchCsv(), offline: true, signWith: victim.key, pin: PIN },
        'INVALID_ARGUMENT',
        noSignWith,
      ],
      [
        'a CSV over its cap',
        { treasury, csv: 'x'.repeat(1_000_001), offline: true },
        'INVALID_ARGUMENT',
        /^invalid treasury\.batch request: csv: Too big/,
      ],
    ],
    'treasury.cancel': [
      [
        'approved at once by the victim key, with its PIN',
        { treasury, nonce: '0', offline: true, signWith: victim.key, pin: PIN },
        'INVALID_ARGUMENT',
        noSignWith,
      ],
    ],
    'treasury.proposeNote': [
      [
        'a note issue approved at once by the victim key, with its PIN',
        {
          treasury,
          operation: { op: 'issue', payee: PAYEE, faceValue: '1.00', maturity: '2030-01-31' },
          offline: true,
          signWith: victim.key,
          pin: PIN,
        },
        'INVALID_ARGUMENT',
        noSignWith,
      ],
    ],
    'treasury.proposeOwners': [
      [
        'the attacker added as an owner, approved at once by the victim key, with its PIN',
        {
          treasury,
          change: { kind: 'add', owner: PAYEE, threshold: 1 },
          offline: true,
          signWith: victim.key,
          pin: PIN,
        },
        'INVALID_ARGUMENT',
        noSignWith,
      ],
    ],
    'treasury.qrParts': [
      [
        'a million frames',
        { bundle, count: 1_000_000 },
        'INVALID_ARGUMENT',
        /^invalid treasury\.qrParts request: count: Too big/,
      ],
      [
        'frames of 10 bytes',
        { bundle, fragmentBytes: 10 },
        'INVALID_ARGUMENT',
        /^invalid treasury\.qrParts request: fragmentBytes: Too small/,
      ],
      [
        'more frames than 3 × the fragments',
        { bundle, count: 3 * proposal.fragments + 1 },
        'INVALID_ARGUMENT',
        `at most ${3 * proposal.fragments} frames for ${proposal.fragments} fragments (3 each, 600 in all), not ${3 * proposal.fragments + 1}`,
      ],
      ['not a bundle', { bundle: '{"evil":' }, 'BUNDLE_INVALID', notABundle],
    ],
    'treasury.qrDecode': [
      [
        '601 parts',
        { parts: Array(601).fill('ur:x') },
        'INVALID_ARGUMENT',
        /^invalid treasury\.qrDecode request: parts: Too big/,
      ],
      [
        'a part of 4001 characters',
        { parts: ['u'.repeat(4001)] },
        'INVALID_ARGUMENT',
        /^invalid treasury\.qrDecode request: parts\.0: Too big/,
      ],
      [
        'parts over the cap together',
        { parts: Array(250).fill('u'.repeat(3999)) },
        'INVALID_ARGUMENT',
        `invalid treasury.qrDecode request: parts: the QR parts together are over ${MAX_REQUEST_TEXT} characters`,
      ],
      [
        'a frame claiming 4 billion fragments',
        { parts: [forgedFrame] },
        'BUNDLE_INVALID',
        `this QR frame claims a sequence of ${claimed} fragments; an approval bundle has at most 600`,
      ],
      [
        'a frame of another UR type',
        { parts: [foreignFrame] },
        'BUNDLE_INVALID',
        'this QR frame is a bytes, not an approval bundle (x-signet-approval)',
      ],
      [
        'not a UR',
        { parts: ['hello'] },
        'BUNDLE_INVALID',
        'this QR frame is not a UR (ur:x-signet-approval/…): hello',
      ],
    ],
    // The operator bank's registry: a page asking the victim's key to register or freeze
    // an account is refused unless it names the review the user saw.
    'customers.preview': [
      [
        'with the key behind a foreign module',
        { ...register, action: 'register', operator: withModule(victim.key, foreign.canary) },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
      [
        'a freeze with a customer reference',
        { ...freeze, action: 'freeze', customer: 'CUST-1' },
        'INVALID_ARGUMENT',
        'a customer reference is given to register an account, not to freeze it',
      ],
      [
        'an action of its own',
        { ...register, action: 'recover' },
        'INVALID_ARGUMENT',
        /^invalid customers\.preview request: action: /,
      ],
      [
        'a PIN it never needs',
        { ...register, action: 'register', pin: PIN },
        'INVALID_ARGUMENT',
        unknownField('customers.preview', 'pin'),
      ],
    ],
    'customers.register': [
      [
        'the victim key with its PIN, but no review',
        { ...register, pin: PIN },
        'INVALID_ARGUMENT',
        noReview,
      ],
      [
        'the victim key with its PIN, and a review it never showed',
        { ...register, pin: PIN, reviewDigest: EVIL_DIGEST },
        'REVIEW_STALE',
        stale,
      ],
      [
        'the key behind a foreign module, with the PIN',
        { ...register, operator: withModule(victim.key, foreign.canary), pin: PIN },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
      [
        'a customer reference of 129 characters',
        { ...register, customer: 'x'.repeat(129), pin: PIN },
        'INVALID_ARGUMENT',
        'the customer reference has 129 characters; at most 128',
      ],
      [
        'a huge customer reference',
        { ...register, customer: huge, pin: PIN },
        'INVALID_ARGUMENT',
        /^invalid customers\.register request: customer: Too big/,
      ],
    ],
    'customers.freeze': [
      [
        'the victim key with its PIN, but no review',
        { ...freeze, pin: PIN },
        'INVALID_ARGUMENT',
        noReview,
      ],
      [
        'the victim key with its PIN, and a review it never showed',
        { ...freeze, pin: PIN, reviewDigest: EVIL_DIGEST },
        'REVIEW_STALE',
        stale,
      ],
      [
        'a customer reference to record',
        { ...freeze, customer: 'CUST-1', pin: PIN },
        'INVALID_ARGUMENT',
        unknownField('customers.freeze', 'customer'),
      ],
    ],
    'customers.unfreeze': [
      [
        'the victim key with its PIN, but no review',
        { ...freeze, pin: PIN },
        'INVALID_ARGUMENT',
        noReview,
      ],
      [
        'the key behind a foreign module, with the PIN',
        { ...freeze, operator: withModule(victim.key, foreign.canary), pin: PIN },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
    ],
    'customers.show': [
      [
        'a huge address',
        { account: huge },
        'INVALID_ARGUMENT',
        'invalid customers.show request: account: a 0x-prefixed 20-byte address',
      ],
      [
        'an address with a wrong checksum',
        { account: PAYEE.toLowerCase().replace('c', 'C') },
        'ADDRESS_INVALID',
        /^the account 0x\S+ has a wrong checksum/,
      ],
    ],
    // A branch's batch: the page names neither the mailers' folder nor the batch, loads no
    // module Signet does not list, and starts nothing it did not review.
    'provision.preview': [
      ...perModule((path) => [
        `the tokens' module ${path}`,
        { ...{ csv: PROVISION_CSV, operator: victim.key }, module: path },
      ]),
      ...perModule((path) => [
        `the operator key behind ${path}`,
        { ...{ csv: PROVISION_CSV, operator: victim.key }, operator: withModule(victim.key, path) },
      ]),
      [
        'a mailer folder of its own',
        { ...{ csv: PROVISION_CSV, operator: victim.key }, mailers: dir },
        'INVALID_ARGUMENT',
        unknownField('provision.preview', 'mailers'),
      ],
      [
        'a batch id of its own',
        { ...{ csv: PROVISION_CSV, operator: victim.key }, batchId: 'evil' },
        'INVALID_ARGUMENT',
        unknownField('provision.preview', 'batchId'),
      ],
      [
        'a CSV over the cap',
        { ...{ csv: PROVISION_CSV, operator: victim.key }, csv: 'x'.repeat(MAX_UI_BATCH_CSV + 1) },
        'INVALID_ARGUMENT',
        /^invalid provision\.preview request: csv: Too big/,
      ],
    ],
    'provision.start': [
      [
        'both PINs, and a review it never showed',
        {
          ...{ csv: PROVISION_CSV, operator: victim.key },
          pin: PIN,
          soPin: SO_PIN,
          reviewDigest: EVIL_DIGEST,
        },
        'REVIEW_STALE',
        'the batch changed since you reviewed it (its file, operator, module or ledger); review again',
      ],
      [
        'both PINs, and no review',
        { ...{ csv: PROVISION_CSV, operator: victim.key }, pin: PIN, soPin: SO_PIN },
        'INVALID_ARGUMENT',
        /^invalid provision\.start request: reviewDigest: /,
      ],
      [
        'a mailer folder of its own',
        {
          ...{ csv: PROVISION_CSV, operator: victim.key },
          reviewDigest: EVIL_DIGEST,
          mailers: dir,
          pin: PIN,
          soPin: SO_PIN,
        },
        'INVALID_ARGUMENT',
        unknownField('provision.start', 'mailers'),
      ],
      [
        'a wait of its own',
        { ...{ csv: PROVISION_CSV, operator: victim.key }, reviewDigest: EVIL_DIGEST, waitMs: 1 },
        'INVALID_ARGUMENT',
        unknownField('provision.start', 'waitMs'),
      ],
      ...perModule((path) => [
        `the tokens' module ${path}, with both PINs`,
        {
          ...{ csv: PROVISION_CSV, operator: victim.key },
          module: path,
          reviewDigest: EVIL_DIGEST,
          pin: PIN,
          soPin: SO_PIN,
        },
      ]),
    ],
    // At the counter: no folder and no module from the page, no replacement unreviewed.
    'provision.replacePreview': [
      [
        'a mailer folder of its own',
        { ...counterReplace(), mailers: '/tmp/evil' },
        'INVALID_ARGUMENT',
        unknownField('provision.replacePreview', 'mailers'),
      ],
      [
        'a module of its own',
        { ...counterReplace(), module: foreign.canary },
        'INVALID_ARGUMENT',
        unknownField('provision.replacePreview', 'module'),
      ],
      ...perModule((path) => [
        `the new token behind ${path}`,
        { ...counterReplace(), token: withModule(victim.token, path) },
      ]),
    ],
    'provision.counterReplace': [
      [
        'no review, with both PINs',
        { ...counterReplace(), pin: PIN, soPin: SO_PIN },
        'INVALID_ARGUMENT',
        /^invalid provision\.counterReplace request: reviewDigest: /,
      ],
      [
        'a mailer folder of its own',
        { ...counterReplace(), reviewDigest: EVIL_DIGEST, mailers: '/tmp/evil' },
        'INVALID_ARGUMENT',
        unknownField('provision.counterReplace', 'mailers'),
      ],
      ...perModule((path) => [
        `the new token behind ${path}, with both PINs`,
        {
          ...counterReplace(),
          token: withModule(victim.token, path),
          reviewDigest: EVIL_DIGEST,
          pin: PIN,
          soPin: SO_PIN,
        },
      ]),
    ],
    'provision.counterUnblock': [
      [
        'a mailer folder of its own',
        { token: victim.token, customer: 'CUST-1', mailers: '/tmp/evil', soPin: SO_PIN },
        'INVALID_ARGUMENT',
        unknownField('provision.counterUnblock', 'mailers'),
      ],
      ...perModule((path) => [
        `the token behind ${path}, with the SO PIN`,
        { token: withModule(victim.token, path), customer: 'CUST-1', soPin: SO_PIN },
      ]),
    ],
    // The offline purse: a page gets its own purse's status and may ask for a payment (signs
    // nothing, stores nothing); it names neither where the certificate is asked nor where
    // vouchers go, and no voucher is signed without the review and the PIN.
    ...purseCases(huge, { noAccount, noReview, stale }),
  };
}

/** The offline purse methods' hostile calls (core/api/purse.ts says what a page may do). */
function purseCases(
  huge: string,
  said: { noAccount: RegExp; noReview: string; stale: string },
): Partial<Record<ApiMethod, Refusal[]>> {
  const { noAccount, noReview, stale } = said;
  const foreignKey = withModule(victim.key, foreign.canary);
  const open = {
    account: victim.key,
    locked: '10.00',
    cap: '5.00',
    maxCount: 3,
    validitySeconds: 3600,
    pin: PIN,
  };
  return {
    'purse.status': [
      [
        'a huge account',
        { account: huge },
        'INVALID_ARGUMENT',
        'invalid purse.status request: account: a 0x-prefixed 20-byte address',
      ],
      [
        'a PIN it never needs',
        { pin: PIN },
        'INVALID_ARGUMENT',
        unknownField('purse.status', 'pin'),
      ],
    ],
    'purse.open': [
      [
        'the key behind a foreign module, with the PIN',
        { ...open, account: foreignKey },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
      [
        'an operator service of its own, with the PIN',
        { ...open, operatorService: 'http://127.0.0.1:9/evil' },
        'INVALID_ARGUMENT',
        unknownField('purse.open', 'operatorService'),
      ],
      [
        'an amount with three decimals',
        { ...open, locked: '10.001' },
        'INVALID_ARGUMENT',
        'invalid purse.open request: locked: an amount like 12.34 (at most two decimals)',
      ],
      [
        'no payment at all',
        { ...open, maxCount: 0 },
        'INVALID_ARGUMENT',
        /^invalid purse\.open request: maxCount: Too small/,
      ],
      [
        'a million payments',
        { ...open, maxCount: 1_000_000 },
        'INVALID_ARGUMENT',
        /^invalid purse\.open request: maxCount: Too big/,
      ],
      [
        'valid for thirty years',
        { ...open, validitySeconds: 10 ** 9 },
        'INVALID_ARGUMENT',
        /^invalid purse\.open request: validitySeconds: Too big/,
      ],
    ],
    'purse.request': [
      [
        'a payee that is not this wallet’s',
        { account: PAYEE, amount: '1.00' },
        'ACCOUNT_UNKNOWN',
        `${PAYEE} is not one of this wallet's accounts`,
      ],
      [
        'a memo of 141 characters',
        { account: victim.address, amount: '1.00', memo: 'x'.repeat(141) },
        'INVALID_ARGUMENT',
        /^invalid purse\.request request: memo: Too big/,
      ],
      [
        'a PIN it never needs',
        { account: victim.address, amount: '1.00', pin: PIN },
        'INVALID_ARGUMENT',
        unknownField('purse.request', 'pin'),
      ],
    ],
    'purse.payPreview': [
      [
        'a request cut short',
        { request: { text: victimRequest.slice(0, 40) } },
        'VOUCHER_REFUSED',
        /^This payment request is not well formed: /,
      ],
      [
        'a huge request',
        { request: { text: huge } },
        'INVALID_ARGUMENT',
        /^invalid purse\.payPreview request: request\.text: Too big/,
      ],
      [
        '201 QR frames',
        { request: { parts: Array(201).fill('ur:x') } },
        'INVALID_ARGUMENT',
        'invalid purse.payPreview request: request: Invalid input',
      ],
      [
        'a PIN it never needs',
        { request: { text: '{}' }, pin: PIN },
        'INVALID_ARGUMENT',
        unknownField('purse.payPreview', 'pin'),
      ],
    ],
    'purse.pay': [
      [
        'the victim’s purse with its PIN, but no review',
        { request: { text: victimRequest }, pin: PIN },
        'INVALID_ARGUMENT',
        noReview,
      ],
      [
        'the victim’s purse with its PIN, and a review it never showed',
        { request: { text: victimRequest }, reviewDigest: EVIL_DIGEST, pin: PIN },
        'REVIEW_STALE',
        stale,
      ],
      [
        'a request that is not one, with the PIN',
        { request: { text: '{"signet":' }, reviewDigest: EVIL_DIGEST, pin: PIN },
        'VOUCHER_REFUSED',
        /^This payment request is not well formed: /,
      ],
      [
        'a review digest that is not one',
        { request: { text: '{}' }, reviewDigest: 'abc', pin: PIN },
        'INVALID_ARGUMENT',
        'invalid purse.pay request: reviewDigest: a review digest (0x and 64 hex digits)',
      ],
      [
        'a voucher of its own to sign',
        { request: { text: '{}' }, voucher: { amount: '1' }, pin: PIN },
        'INVALID_ARGUMENT',
        unknownField('purse.pay', 'voucher'),
      ],
    ],
    'purse.receive': [
      [
        'a payment that is not one',
        { payment: { text: '{}' } },
        'VOUCHER_REFUSED',
        /^This offline payment is not well formed: /,
      ],
      [
        'a QR frame that is not a payment',
        {
          payment: {
            parts: [new UREncoder(UR.fromBuffer(Buffer.from('not a payment')), 200).nextPart()],
          },
        },
        'VOUCHER_REFUSED',
        'This QR code is a bytes, not an offline payment.',
      ],
      [
        'a huge payment',
        { payment: { text: huge } },
        'INVALID_ARGUMENT',
        /^invalid purse\.receive request: payment\.text: Too big/,
      ],
      [
        'neither text nor frames',
        { payment: {} },
        'INVALID_ARGUMENT',
        'invalid purse.receive request: payment: Invalid input',
      ],
    ],
    'purse.settle': [
      [
        'to a collection service nobody configured',
        { via: 'service' },
        'INVALID_ARGUMENT',
        'no collection service is configured: set "purse": {"collectionService": URL} in config.json',
      ],
      [
        'through a key behind a foreign module, with the PIN',
        { via: 'own', submitter: foreignKey, pin: PIN },
        'ACCOUNT_UNKNOWN',
        noAccount,
      ],
      [
        'a collection service of its own',
        { via: 'service', url: 'http://127.0.0.1:9/evil' },
        'INVALID_ARGUMENT',
        unknownField('purse.settle', 'url'),
      ],
      [
        'a way of its own',
        { via: 'elsewhere' },
        'INVALID_ARGUMENT',
        /^invalid purse\.settle request: via: /,
      ],
    ],
    'purse.close': [
      [
        'a purse that is not this wallet’s, with the PIN',
        { purse: PAYEE, pin: PIN },
        'PURSE_NOT_FOUND',
        `no purse ${PAYEE} on chain ${OFFLINE_CHAIN_ID} in this wallet`,
      ],
      [
        'a huge purse',
        { purse: huge, pin: PIN },
        'INVALID_ARGUMENT',
        'invalid purse.close request: purse: a 0x-prefixed 20-byte address',
      ],
    ],
  };
}

/** A Safe CSV Airdrop file of one payment of the ledger's currency. */
function batchCsv(): string {
  return `token_type,token_address,receiver,amount,id\nerc20,${chain.contracts.currency},${PAYEE},1.00,\n`;
}

/**
 * Status the bridge gives a refusal the app itself made: 200, the refusal in the body
 * (`ok: false`), so the page's console stays empty. Only the bridge's own refusals
 * (malformed JSON, wrong type or size, unknown path) carry a 4xx.
 */
const APP_REFUSAL = 200;

/** Every hostile call: the methods' own, the generic ones for every method, bad method names. */
function hostileCases(): HostileCase[] {
  const valid = validParams();
  const own = ownCases();
  const cases: HostileCase[] = [];
  const json = (
    method: string,
    label: string,
    params: unknown,
    code: ErrorCode,
    message: string | RegExp,
  ) =>
    cases.push({
      label,
      method,
      body: JSON.stringify(params),
      status: APP_REFUSAL,
      code,
      message,
    });
  for (const method of apiMethods) {
    for (const [label, params, code, message] of own[method] ?? [])
      json(method, label, params, code, message);
    const base = valid[method];
    json(
      method,
      'a raw digest beside valid fields',
      { ...base, digest: EVIL_DIGEST },
      'INVALID_ARGUMENT',
      unknownField(method, 'digest'),
    );
    json(
      method,
      'a huge extra field',
      { ...base, padding: 'x'.repeat(900_000) },
      'INVALID_ARGUMENT',
      unknownField(method, 'padding'),
    );
    json(
      method,
      'a constructor field',
      { ...base, constructor: { prototype: { admin: true } } },
      'INVALID_ARGUMENT',
      unknownField(method, 'constructor'),
    );
    const proto = JSON.stringify(base).replace(
      /^\{/,
      `{"__proto__":{"module":${JSON.stringify(foreign.canary)}}${Object.keys(base).length ? ',' : ''}`,
    );
    cases.push({
      label: '__proto__ in the body',
      method,
      body: proto,
      status: APP_REFUSAL,
      code: 'INVALID_ARGUMENT',
      message: unknownField(method, '__proto__'),
    });
    for (const wrong of ['[]', '"devices.sign"', '42', 'null', 'true']) {
      cases.push({
        label: `params ${wrong}`,
        method,
        body: wrong,
        status: APP_REFUSAL,
        code: 'INVALID_ARGUMENT',
        message: invalidRequest(method),
      });
    }
    const bridgeOnly = { method, status: 400, code: 'INVALID_ARGUMENT' as const, bridgeOnly: true };
    cases.push({
      ...bridgeOnly,
      label: 'malformed JSON',
      body: '{"module":',
      message: 'the request body is not valid JSON',
    });
    cases.push({
      ...bridgeOnly,
      label: 'not JSON at all',
      body: 'module=/tmp/libevil.so',
      message: 'the request body is not valid JSON',
    });
    cases.push({
      ...bridgeOnly,
      label: 'sent as a form',
      body: JSON.stringify(base),
      contentType: 'application/x-www-form-urlencoded',
      status: 415,
      message: 'send the request as application/json',
    });
    cases.push({
      ...bridgeOnly,
      label: 'a body over the cap',
      body: { oversize: true },
      status: 413,
      message: `the request body exceeds ${MAX_BODY_BYTES} bytes`,
    });
  }
  // Bundles of 1 MiB, and parts arrays past the body: the bridge refuses them unread (413);
  // over IPC, where no body cap applies, the contract's caps do.
  const oneMiB = 'x'.repeat(1024 * 1024);
  const oversized: Array<[ApiMethod, string, unknown]> = [
    ['treasury.review', 'a 1 MiB bundle', { bundle: oneMiB }],
    ['treasury.approve', 'a 1 MiB bundle', { bundle: oneMiB, key: victim.key, pin: PIN }],
    ['treasury.execute', 'a 1 MiB bundle', { bundle: oneMiB, from: victim.key, pin: PIN }],
    ['treasury.merge', 'two 1 MiB bundles', { bundles: [oneMiB, oneMiB] }],
    ['treasury.qrParts', 'a 1 MiB bundle', { bundle: oneMiB }],
    ['purse.receive', 'a 1 MiB payment', { payment: { text: oneMiB } }],
    ['purse.payPreview', 'a 1 MiB payment request', { request: { text: oneMiB } }],
    ['purse.pay', 'a 1 MiB payment request', { request: { text: oneMiB }, pin: PIN }],
    [
      'treasury.qrDecode',
      '600 parts of 4000 characters',
      { parts: Array(600).fill('u'.repeat(4000)) },
    ],
    [
      'treasury.qrDecode',
      '100,000 parts',
      { parts: Array(100_000).fill('ur:x-signet-approval/1-2/lp') },
    ],
  ];
  for (const [method, label, params] of oversized) {
    cases.push({
      label,
      method,
      body: JSON.stringify(params),
      status: 413,
      code: 'INVALID_ARGUMENT',
      message: `the request body exceeds ${MAX_BODY_BYTES} bytes`,
      ipc: { code: 'INVALID_ARGUMENT', message: invalidRequest(method) },
    });
  }
  const malformedCall = {
    code: 'INVALID_ARGUMENT' as const,
    message: 'malformed call: expected { method, params }',
  };
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    cases.push({
      label: `method ${name}`,
      method: name,
      body: '{}',
      status: 404,
      code: 'INVALID_ARGUMENT',
      message: `unknown API method "${name}"`,
      ipc: malformedCall,
    });
  }
  // Every operator-only method (raw signatures, accounts.add, a treasury's policy…) is the
  // CLI's alone: unknown to the page, the bridge and IPC alike.
  for (const name of new Set([
    ...Object.keys(operatorRequests),
    'devices.signDigest',
    'wallet.signRaw',
  ])) {
    cases.push({
      label: `method ${name}`,
      method: name,
      body: JSON.stringify({ key: victim.key, digest: EVIL_DIGEST, pin: PIN }),
      status: 404,
      code: 'INVALID_ARGUMENT',
      message: `unknown API method "${name}"`,
    });
  }
  return cases;
}

interface Answer {
  status: number;
  reply: ApiReply | null;
}

/** Through the raw loopback HTTP, with the bridge's token. */
function overHttp(c: HostileCase): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = typeof c.body === 'string' ? c.body : 'x'.repeat(MAX_BODY_BYTES + 1);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: bridge.port,
        path: `/api/${c.method}`,
        method: 'POST',
        headers: {
          host: `127.0.0.1:${bridge.port}`,
          authorization: `Bearer ${bridge.token}`,
          'content-type': c.contentType ?? 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          let reply: ApiReply | null = null;
          try {
            reply = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {}
          resolve({ status: res.statusCode ?? 0, reply });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A fake ipcMain (as in electron-ipc.test.ts): keeps the handler, invokes it as Electron would. */
class FakeIpcMain implements IpcMainLike {
  handler: ((event: InvokeEvent, ...args: unknown[]) => unknown) | undefined;
  handle(_channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => unknown) {
    this.handler = listener;
  }
  removeHandler() {
    this.handler = undefined;
  }
}

const appPage = '/opt/Signet/resources/app.asar/renderer/dist/index.html';
const mainFrame: SenderFrame = {
  url: `file://${appPage}`,
  parent: null,
  processId: 4,
  routingId: 1,
};

/** Over IPC from the app's own main frame (a page whose script was subverted), to the real app API. */
async function overIpc(c: HostileCase): Promise<ApiReply> {
  const ipcMain = new FakeIpcMain();
  const unregister = registerApi(ipcMain, app.dispatch, {
    isTrustedSender: createTrustedSenderCheck(fileLocation(appPage), () => mainFrame),
  });
  try {
    const params = JSON.parse(c.body as string);
    return (await ipcMain.handler?.(
      { senderFrame: mainFrame },
      { method: c.method, params },
    )) as ApiReply;
  } finally {
    unregister();
  }
}

/** Everything that must not change: the store's rows, the token's objects, Signet's files. */
function snapshot() {
  const store = openStore(storePath);
  const tables: Record<string, unknown[]> = {};
  try {
    const names = store.db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
      )
      .all();
    for (const { name } of names) tables[name] = store.db.prepare(`SELECT * FROM "${name}"`).all();
  } finally {
    store.close();
  }
  const files = (root: string): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      const path = join(root, entry);
      if (!statSync(path).isFile() || /signet\.sqlite/.test(entry)) continue;
      out[entry] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
    return out;
  };
  return { tables, token: files(join(tokens.dir, 'tokens')), home: files(home) };
}

/**
 * The victim's address book, full (through the store's own path, each entry
 * audited): a caller holding the bridge token can grow neither it nor the
 * audit log with it, and listing it is bounded.
 */
function fillAddressBook(): void {
  const store = openStore(storePath);
  try {
    for (let i = 0; i < ADDRESS_BOOK_MAX_ENTRIES; i++) {
      const address = getAddress(`0xab${i.toString(16).padStart(38, '0')}`);
      addAddressBookEntry(store, { address, name: `Party ${i}` });
    }
  } finally {
    store.close();
  }
}

/** A treasury of the victim's (threshold 1: the victim's key alone approves its payments). */
function addVictimTreasury(): void {
  const store = openStore(storePath);
  try {
    addTreasury(store, {
      chainId: OFFLINE_CHAIN_ID,
      address: getAddress(`0x${'5afe'.repeat(10)}`),
      name: 'Vault',
      owners: [getAddress(victim.address), PAYEE],
      threshold: 1,
      saltNonce: 7n,
    });
  } finally {
    store.close();
  }
}

/**
 * An open purse of the victim's (its key named on the victim's token): a page that
 * could get a voucher out of it without the review and the PIN would be paid.
 */
function addVictimPurse(): void {
  const store = openStore(storePath);
  try {
    addPurse(store, {
      chainId: OFFLINE_CHAIN_ID,
      purseContract: OFFLINE_PURSE,
      certificate: {
        purse: getAddress(`0x${'ca5e'.repeat(10)}`),
        owner: getAddress(victim.address),
        locked: 1_000n,
        cap: 500n,
        maxCount: 3,
        validFrom: 0n,
        validUntil: 4_000_000_000n,
        operator: getAddress(`0x${'0b'.repeat(20)}`),
        epoch: 0,
      },
      certificateSignature: `0x${'11'.repeat(65)}`,
      keyUri: formatPkcs11Uri({ ...parsePkcs11Uri(victim.key), object: 'signet-purse-0' }),
      state: 'open',
      lastVoucherHash: zeroHash,
    });
  } finally {
    store.close();
  }
}

/** What must never be mapped into this (the bridge's) process. */
const neverLoaded = () => [foreign.canary, ...foreign.unlistedModules];

let before: ReturnType<typeof snapshot>;

beforeAll(async () => {
  tokens.initToken('Victim', PIN, SO_PIN);
  tokens.activate();
  foreign = foreignLibraries(dir);
  const env = { ...process.env, SIGNET_HOME: home };
  const cli = (args: string[]) => signet(args, { env });
  // The offline ledger with a purse contract named, so the purse methods get past it.
  chain = selectOfflineChain(home);
  chain = { ...chain, contracts: { ...chain.contracts, offlinePurse: OFFLINE_PURSE } };
  writeActiveProfile(chain, { SIGNET_HOME: home });
  const token = (await cli(['tokens', '--module', softhsmModule, '--json'])).json.find(
    (t: { label: string }) => t.label === 'Victim',
  );
  const key = (
    await cli([
      'key',
      'generate',
      '--token',
      token.uri,
      '--curve',
      'secp256k1',
      '--label',
      'victim',
      '--pin-file',
      pinFile(PIN),
      '--json',
    ])
  ).json;
  const added = await cli(['account', 'add', '--key', key.uri, '--pin-file', pinFile(PIN)]);
  if (added.code !== 0) throw new Error(added.stderr);
  seedSyncedAccount(home, key.address);
  victim = { token: token.uri, key: key.uri, slot: token.slot, address: key.address };
  fillAddressBook();
  addVictimTreasury();
  addVictimPurse();
  victimRequest = encodePaymentRequest({
    domain: { chainId: OFFLINE_CHAIN_ID, verifyingContract: OFFLINE_PURSE },
    payee: getAddress(PAYEE),
    amount: 100n,
  });

  buildRenderer(dist);
  app = createAppApi({ home, env });
  // The one review the victim saw (a preview writes nothing).
  const preview = await app.dispatch('wallet.previewSend', {
    from: victim.key,
    to: PAYEE,
    amount: '1.00',
  });
  if (!preview.ok) throw new Error(preview.error.message);
  reviewed = (preview.result as { reviewDigest: string }).reviewDigest;
  // A payment the victim's treasury proposed (unsigned), and its review: what a page would
  // have to name to get the victim's key to approve it.
  const proposed = await app.call(
    'treasury.propose',
    { treasury: 'Vault', to: PAYEE, amount: '1.00', offline: true },
    () => Promise.reject(new Error('no PIN is asked for a proposal')),
  );
  const frames = await app.call('treasury.qrParts', { bundle: proposed.bundle }, () =>
    Promise.reject(new Error('no PIN')),
  );
  proposal = {
    treasury: 'Vault',
    bundle: proposed.bundle,
    reviewDigest: proposed.review.reviewDigest,
    fragments: frames.fragments,
  };
  // The treasury the victim's create form predicted (a prediction writes nothing).
  const predicted = await app.dispatch('treasury.predict', {
    name: 'Mallory',
    owners: [victim.key],
    threshold: 1,
    from: victim.key,
  });
  if (!predicted.ok) throw new Error(predicted.error.message);
  const { saltNonce, reviewDigest: createReview } = predicted.result as {
    saltNonce: string;
    reviewDigest: string;
  };
  shownTreasury = { saltNonce, reviewDigest: createReview };
  bridge = await startBridge({ dispatch: app.dispatch, staticDir: dist });
  browser = await launchChromium();
  page = await openUiPage(browser, bridge.url, pageErrors);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await settle(page);
  before = snapshot();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  app?.close();
  tokens.remove();
  rmSync(dir, { recursive: true, force: true });
});

function expectRefused(
  c: HostileCase,
  reply: ApiReply | null,
  expected = { code: c.code, message: c.message },
) {
  const where = `${c.method}: ${c.label}`;
  expect(reply?.ok, `${where}: ${JSON.stringify(reply).slice(0, 300)}`).toBe(false);
  if (!reply || reply.ok) return;
  expect(reply.error.code, where).toBe(expected.code);
  if (typeof expected.message === 'string')
    expect(reply.error.message, where).toBe(expected.message);
  else expect(reply.error.message, where).toMatch(expected.message);
  expect(reply.error.message, where).not.toContain('\n');
  expect(reply.error.message.length, where).toBeLessThan(400);
  for (const pin of [PIN, SO_PIN]) expect(JSON.stringify(reply), where).not.toContain(pin);
}

describe('a hostile caller of every API method gets a refusal, and nothing happens', () => {
  it('has cases for every method of the contract, built on requests the contract accepts', () => {
    const own = ownCases();
    const valid = validParams();
    for (const method of apiMethods) {
      expect(own[method]?.length ?? 0, `no hostile case of its own for ${method}`).toBeGreaterThan(
        0,
      );
      expect(apiRequests[method].safeParse(valid[method]).success, method).toBe(true);
    }
    expect(apiMethods).not.toContain('devices.sign');
    for (const method of Object.keys(operatorRequests)) expect(apiMethods).not.toContain(method);
    expect(Object.keys(operatorRequests)).toContain('treasury.policy.set');
    expect(apiMethods).toEqual(expect.arrayContaining(['treasury.approve', 'treasury.qrDecode']));
  });

  it('script in the page, with the page’s own session token', async () => {
    const cases = hostileCases();
    const answers = await page.evaluate(
      async ({ cases, cap }) => {
        const token = sessionStorage.getItem('signet.bridgeToken');
        const out: Array<{ status: number; reply: unknown }> = [];
        for (const c of cases) {
          const body = typeof c.body === 'string' ? c.body : 'x'.repeat(cap + 1);
          try {
            const res = await fetch(`/api/${c.method}`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${token}`,
                'content-type': c.contentType ?? 'application/json',
              },
              body,
            });
            out.push({ status: res.status, reply: await res.json().catch(() => null) });
          } catch (error) {
            out.push({ status: 0, reply: { fetchError: String(error) } });
          }
        }
        return out;
      },
      { cases, cap: MAX_BODY_BYTES },
    );
    expect(answers).toHaveLength(cases.length);
    cases.forEach((c, i) => {
      expect(answers[i]!.status, `${c.method}: ${c.label}`).toBe(c.status);
      expectRefused(c, answers[i]!.reply as ApiReply);
    });
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('a raw HTTP client holding the bridge token', async () => {
    for (const c of hostileCases()) {
      const answer = await overHttp(c);
      expect(answer.status, `${c.method}: ${c.label}`).toBe(c.status);
      expectRefused(c, answer.reply);
    }
  }, 180_000);

  it('Electron IPC from the app’s main frame', async () => {
    for (const c of hostileCases().filter((h) => !h.bridgeOnly)) {
      const reply = await overIpc(c);
      expectRefused(c, reply, c.ipc ?? { code: c.code, message: c.message });
    }
  }, 180_000);

  it('lists a full address book within the cap', async () => {
    const res = await fetch(`http://127.0.0.1:${bridge.port}/api/addressBook.list`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const reply = (await res.json()) as ApiReply;
    expect(reply.ok && reply.result).toHaveLength(ADDRESS_BOOK_MAX_ENTRIES);
  });

  it('left nothing signed, loaded or stored', () => {
    const after = snapshot();
    expect(after.tables.audit_log).toEqual(before.tables.audit_log);
    expect(after.tables.outbox).toEqual(before.tables.outbox);
    // The victim's treasury: no proposal recorded (its next nonce), no other treasury added.
    expect(before.tables.treasuries).toHaveLength(1);
    expect(after.tables.treasuries).toEqual(before.tables.treasuries);
    expect(after.tables.treasury_policies).toEqual(before.tables.treasury_policies);
    expect(after.tables).toEqual(before.tables);
    expect(after.token).toEqual(before.token);
    expect(after.home).toEqual(before.home);
    expect(existsSync(join(home, 'config.json'))).toBe(false);
    expect(foreign.canaryFired()).toBe(false);
    const mapped = mappedFiles();
    for (const path of neverLoaded()) expect(mapped.has(realpathSync(path)), path).toBe(false);
  });
});
