/**
 * Signet's whole API contract in one map: every method the UI may call (through
 * the Electron preload or the loopback browser bridge), its request schema and
 * its result schema. The server validates requests on the way in and results
 * on the way out against these; the renderer imports the same file to type its
 * calls. Pure zod, no Node imports.
 *
 * PINs: a request that may need a token login carries the PIN the UI's PIN
 * dialog collected (`pin` for the user PIN; `soPin` and `newPin` for
 * provisioning; `carrierPin` for a P-256 sender's carrier on another token).
 * Without one, a token that needs it answers PIN_REQUIRED with `details.role`
 * (and `details.field`), and the UI asks and calls again. Each PIN is tried on
 * its own token only. No reply ever carries a PIN.
 *
 * No method signs bytes the caller supplies: the UI signs only what Signet
 * builds and shows (wallet.send, notes.execute), naming the `reviewDigest` of
 * the preview it showed (REVIEW_STALE, and nothing signed, when it moved). Raw
 * digests are the operator's `signet sign`, which records each one in the
 * audit log.
 *
 * Treasuries (core/api/treasury.ts): `treasury.create` from the UI names the
 * `reviewDigest` (and salt nonce) `treasury.predict` showed; a treasury approval signs a Safe
 * proposal's safeTxHash, and only after its review: `treasury.approve` and
 * `treasury.execute` name the review's `reviewDigest` (its safeTxHash) from
 * the UI; propose, cancel and batch refuse `signWith` from the UI. A bundle or
 * QR frames come from the page but are decoded and checked in full, and shown
 * decoded (`treasury.review`, `treasury.qrDecode`) before anything signs them.
 * Every request at its caps fits the bridge's 1 MiB body. `treasury.policy.set`
 * stays the operator's.
 *
 * Customers (core/api/customers.ts): an operator bank's key registers,
 * freezes and unfreezes accounts; from the UI only with the `reviewDigest`
 * `customers.preview` showed.
 *
 * A branch's batch of customers' tokens (core/api/provisioning.ts):
 * `provision.preview` checks the CSV, `provision.start` runs it only with that
 * review's digest, the operator's `pin` and the bank's `soPin`.
 *
 * The offline purse (core/api/purse.ts, which says what a page can and cannot
 * do with each): `purse.pay` signs only a voucher Signet builds from the
 * decoded payment request, from the UI only with the `reviewDigest`
 * `purse.payPreview` showed, and only with the PIN; open, close and settle
 * through the own account sign transactions with the PIN; receive, request,
 * status and payPreview sign nothing; settle to the collection service sends
 * vouchers only to the URL the configuration names.
 */
import { z } from 'zod';
import { addressBookRequests, addressBookResults } from './address-book.js';
import { chainRequests, chainResults, pinSchema } from './chain.js';
import { customerRequests, customerResults } from './customers.js';
import { deviceRequests, deviceResults } from './devices.js';
import { diagnosticsRequests, diagnosticsResults } from './diagnostics.js';
import { noteRequests, noteResults } from './notes.js';
import { operatorRequests, operatorResults } from './operator.js';
import {
  counterRequests,
  counterResults,
  provisionUiRequests,
  provisionUiResults,
} from './provisioning.js';
import { purseRequests, purseResults } from './purse.js';
import { treasuryRequests, treasuryResults } from './treasury.js';

/** The PINs a device request may carry, by the role the token asks for. */
export const pinFieldsSchema = z.object({
  /** The user PIN (role `user`). */
  pin: pinSchema.optional(),
  /** The security officer PIN (roles `so`, `new-so`). */
  soPin: pinSchema.optional(),
  /** A new user PIN (role `new-user`): changing, unblocking, initialising. */
  newPin: pinSchema.optional(),
});

const withPins = <T extends z.ZodType>(schema: T) => z.intersection(schema, pinFieldsSchema);

export const apiRequests = {
  ...chainRequests,
  ...noteRequests,
  ...addressBookRequests,
  'devices.listModules': deviceRequests.listModules,
  'devices.listHid': deviceRequests.listHid,
  'devices.listTokens': deviceRequests.listTokens,
  'devices.initToken': withPins(deviceRequests.initToken),
  'devices.changePin': withPins(deviceRequests.changePin),
  'devices.unblockPin': withPins(deviceRequests.unblockPin),
  'devices.listKeys': withPins(deviceRequests.listKeys),
  'devices.generateKey': withPins(deviceRequests.generateKey),
  'devices.deleteKey': withPins(deviceRequests.deleteKey),
  ...diagnosticsRequests,
  'treasury.list': treasuryRequests['treasury.list'],
  'treasury.show': treasuryRequests['treasury.show'],
  'treasury.predict': treasuryRequests['treasury.predict'],
  'treasury.create': withPins(treasuryRequests['treasury.create']),
  'treasury.propose': withPins(treasuryRequests['treasury.propose']),
  'treasury.review': treasuryRequests['treasury.review'],
  'treasury.approve': withPins(treasuryRequests['treasury.approve']),
  'treasury.merge': treasuryRequests['treasury.merge'],
  'treasury.execute': withPins(treasuryRequests['treasury.execute']),
  'treasury.batch': withPins(treasuryRequests['treasury.batch']),
  'treasury.cancel': withPins(treasuryRequests['treasury.cancel']),
  'treasury.proposeNote': withPins(treasuryRequests['treasury.proposeNote']),
  'treasury.proposeOwners': withPins(treasuryRequests['treasury.proposeOwners']),
  'treasury.qrParts': treasuryRequests['treasury.qrParts'],
  'treasury.qrDecode': treasuryRequests['treasury.qrDecode'],
  'customers.preview': customerRequests['customers.preview'],
  'customers.register': withPins(customerRequests['customers.register']),
  'customers.freeze': withPins(customerRequests['customers.freeze']),
  'customers.unfreeze': withPins(customerRequests['customers.unfreeze']),
  'customers.show': customerRequests['customers.show'],
  'provision.preview': provisionUiRequests['provision.preview'],
  'provision.start': withPins(provisionUiRequests['provision.start']),
  // At the counter (issue 12 §3): a lost token replaced after its review, a locked PIN reset.
  'provision.replacePreview': counterRequests['provision.replacePreview'],
  'provision.counterReplace': withPins(counterRequests['provision.counterReplace']),
  'provision.counterUnblock': withPins(counterRequests['provision.counterUnblock']),
  // The offline purse (issue 13): only pay, open, close and an own settle sign, each with the PIN.
  'purse.status': purseRequests['purse.status'],
  'purse.open': withPins(purseRequests['purse.open']),
  'purse.request': purseRequests['purse.request'],
  'purse.payPreview': purseRequests['purse.payPreview'],
  'purse.pay': withPins(purseRequests['purse.pay']),
  'purse.receive': purseRequests['purse.receive'],
  'purse.settle': withPins(purseRequests['purse.settle']),
  'purse.close': withPins(purseRequests['purse.close']),
} as const;

export const apiResults = {
  ...chainResults,
  ...noteResults,
  ...addressBookResults,
  'devices.listModules': deviceResults.listModules,
  'devices.listHid': deviceResults.listHid,
  'devices.listTokens': deviceResults.listTokens,
  'devices.initToken': deviceResults.initToken,
  'devices.changePin': deviceResults.changePin,
  'devices.unblockPin': deviceResults.unblockPin,
  'devices.listKeys': deviceResults.listKeys,
  'devices.generateKey': deviceResults.generateKey,
  'devices.deleteKey': deviceResults.deleteKey,
  ...diagnosticsResults,
  'treasury.list': treasuryResults['treasury.list'],
  'treasury.show': treasuryResults['treasury.show'],
  'treasury.predict': treasuryResults['treasury.predict'],
  'treasury.create': treasuryResults['treasury.create'],
  'treasury.propose': treasuryResults['treasury.propose'],
  'treasury.review': treasuryResults['treasury.review'],
  'treasury.approve': treasuryResults['treasury.approve'],
  'treasury.merge': treasuryResults['treasury.merge'],
  'treasury.execute': treasuryResults['treasury.execute'],
  'treasury.batch': treasuryResults['treasury.batch'],
  'treasury.cancel': treasuryResults['treasury.cancel'],
  'treasury.proposeNote': treasuryResults['treasury.proposeNote'],
  'treasury.proposeOwners': treasuryResults['treasury.proposeOwners'],
  'treasury.qrParts': treasuryResults['treasury.qrParts'],
  'treasury.qrDecode': treasuryResults['treasury.qrDecode'],
  ...customerResults,
  ...provisionUiResults,
  ...counterResults,
  ...purseResults,
} as const satisfies Record<keyof typeof apiRequests, z.ZodType>;

export type ApiMethod = keyof typeof apiRequests;
/** What a caller sends (defaults may be left out). */
export type ApiRequest<M extends ApiMethod> = z.input<(typeof apiRequests)[M]>;
export type ApiResult<M extends ApiMethod> = z.infer<(typeof apiResults)[M]>;

export const apiMethods = Object.keys(apiRequests) as ApiMethod[];

/**
 * Everything the app's handlers answer: the UI's methods above and the
 * operator's (core/api/operator.ts), which only the CLI reaches, in-process.
 */
export const appRequests = { ...apiRequests, ...operatorRequests } as const;
export const appResults = { ...apiResults, ...operatorResults } as const;
export type AppMethod = keyof typeof appRequests;
export type AppRequest<M extends AppMethod> = z.input<(typeof appRequests)[M]>;
export type AppResult<M extends AppMethod> = z.infer<(typeof appResults)[M]>;

/** True for a method of the contract (own keys only: `__proto__`, `toString` are not methods). */
export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(apiRequests, name);
}
