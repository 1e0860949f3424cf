/**
 * The device part of Signet's API contract: what the UI (through IPC or the
 * browser bridge) and the CLI may ask, and what they get back. Pure zod, no
 * Node imports, so the renderer can import it.
 */
import { z } from 'zod';
import { type ErrorCode, errorCodes } from './errors.js';

export const hexSchema = z.string().regex(/^0x([0-9a-f]{2})*$/, 'lowercase 0x-prefixed hex');
/** A URI names a token or key in a few hundred characters; far longer is not one. */
export const pkcs11UriSchema = z
  .string()
  .startsWith('pkcs11:', 'a pkcs11: URI')
  .max(2048, 'a pkcs11: URI of at most 2048 characters');
/**
 * A key on a Ledger (native/hid/uri.ts parses it strictly where it is used):
 * `ledger:<device id>?path=m/44'/60'/x'/0/0`, about 90 characters.
 */
export const ledgerDeviceUriSchema = z
  .string()
  .startsWith('ledger:', 'a ledger: URI')
  .max(256, 'a ledger: URI of at most 256 characters');
/** The key of a wallet account: on a PKCS#11 token, or on a Ledger. */
export const keyUriSchema = z
  .string()
  .max(2048, 'a key URI of at most 2048 characters')
  .regex(/^(pkcs11|ledger):/, 'a pkcs11: or ledger: URI');
/** Does this key URI name a key on a Ledger (which asks no PIN: it is typed on the device)? */
export const isLedgerDeviceKey = (keyUri: string) => keyUri.startsWith('ledger:');
/** A PKCS#11 module's file path (PATH_MAX on Linux). */
const modulePathSchema = z.string().min(1).max(4096);
export const curveSchema = z.enum(['secp256k1', 'p256', 'ed25519']);
export type CurveName = z.infer<typeof curveSchema>;

export const moduleSummarySchema = z.object({
  path: z.string(),
  name: z.string(),
  source: z.enum(['config', 'p11-kit', 'well-known']),
  loaded: z.boolean(),
  manufacturer: z.string().optional(),
  description: z.string().optional(),
  cryptokiVersion: z.string().optional(),
  libraryVersion: z.string().optional(),
  /** Why the module could not be loaded, one line. */
  error: z.string().optional(),
});
export type ModuleSummary = z.infer<typeof moduleSummarySchema>;

export const tokenFlagsSchema = z.object({
  tokenInitialized: z.boolean(),
  loginRequired: z.boolean(),
  protectedAuthenticationPath: z.boolean(),
  writeProtected: z.boolean(),
  userPinInitialized: z.boolean(),
  userPinCountLow: z.boolean(),
  userPinFinalTry: z.boolean(),
  userPinLocked: z.boolean(),
  userPinToBeChanged: z.boolean(),
  soPinCountLow: z.boolean(),
  soPinFinalTry: z.boolean(),
  soPinLocked: z.boolean(),
  soPinToBeChanged: z.boolean(),
});

/**
 * A TPM's dictionary-attack lockout (TPM-backed tokens only): wrong PINs the TPM
 * counts against all its tokens, and when it forgives one. `words` says it for people.
 */
export const tpmLockoutSchema = z.union([
  z.object({
    known: z.literal(true),
    failures: z.number().int().nonnegative(),
    maxFailures: z.number().int().nonnegative(),
    triesLeft: z.number().int().nonnegative(),
    /** Seconds after which the TPM forgives one wrong PIN; 0: never by itself. */
    intervalSeconds: z.number().int().nonnegative(),
    locked: z.boolean(),
    words: z.string(),
  }),
  z.object({ known: z.literal(false), reason: z.string(), words: z.string() }),
]);
export type TpmLockoutSummary = z.infer<typeof tpmLockoutSchema>;

export const tokenSummarySchema = z.object({
  uri: pkcs11UriSchema,
  label: z.string(),
  manufacturer: z.string(),
  model: z.string(),
  serial: z.string(),
  slot: z.number().int().nonnegative(),
  flags: tokenFlagsSchema,
  mechanisms: z.array(z.string()),
  /** TPM-backed tokens only: the PIN flags say nothing, the TPM's lockout state does. */
  tpmLockout: tpmLockoutSchema.optional(),
});
export type TokenSummary = z.infer<typeof tokenSummarySchema>;

export const keyProtectionSchema = z.object({
  sensitive: z.boolean(),
  extractable: z.boolean(),
  alwaysSensitive: z.boolean(),
  neverExtractable: z.boolean(),
  local: z.boolean(),
  hardwareProtected: z.boolean(),
});

export const keySummarySchema = z.object({
  uri: pkcs11UriSchema,
  label: z.string(),
  id: hexSchema,
  curve: curveSchema,
  /** SEC1 uncompressed (65 bytes) for EC keys, 32 bytes for Ed25519. */
  publicKey: hexSchema,
  /** EIP-55 checksummed address, secp256k1 keys only. */
  address: z.string().nullable(),
  protection: keyProtectionSchema,
});
export type KeySummary = z.infer<typeof keySummarySchema>;

export const signResultSchema = z.object({
  /** r‖s (low-S) for ECDSA, the 64-byte signature for Ed25519. */
  signature: hexSchema,
  r: hexSchema,
  s: hexSchema,
  /** secp256k1 recovery id; null for other curves. */
  v: z.union([z.literal(0), z.literal(1)]).nullable(),
});
export type SignResult = z.infer<typeof signResultSchema>;

const errorCodeSchema = z.enum(Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]]);

/** Why a device cannot be used now, in words (its code has a translation). */
export const deviceProblemSchema = z.object({ code: errorCodeSchema, message: z.string() });

/** A Ledger plugged in over USB HID, as `signet devices list` and the Devices screen show it. */
export const hidDeviceSchema = z.object({
  path: z.string(),
  /** "Nano S Plus", "Nano X", … */
  product: z.string(),
  productId: z.number().int().nonnegative(),
  serial: z.string().nullable(),
  /** Whether Signet could open it just now; if not, why, and who holds it where the system says. */
  open: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true) }),
    deviceProblemSchema.extend({
      ok: z.literal(false),
      holders: z.array(z.object({ pid: z.number().int(), name: z.string() })),
    }),
  ]),
  /** The app open on it ("Ethereum", "BOLOS" for the dashboard), when it said. */
  app: z.object({ name: z.string(), version: z.string() }).nullable(),
  /** Its Ethereum app's address at m/44'/60'/0'/0/0: the id its `ledger:` URIs carry. */
  deviceId: z.string().nullable(),
  /** The key URI of its account 0. */
  uri: ledgerDeviceUriSchema.nullable(),
  /** Why it could not be identified (locked, the Ethereum app not open, busy…). */
  problem: deviceProblemSchema.nullable(),
});
export type HidDeviceSummary = z.infer<typeof hidDeviceSchema>;

export const deviceRequests = {
  listModules: z.object({}),
  /** Ledgers plugged in over USB HID, each opened to see whether it can be, and identified. */
  listHid: z.object({}),
  listTokens: z.object({ module: modulePathSchema.optional() }),
  initToken: z
    .object({
      module: modulePathSchema,
      slot: z.number().int().nonnegative().optional(),
      free: z.boolean().optional(),
      label: z.string().min(1).max(32),
      confirmErase: z.boolean().optional(),
    })
    .refine(
      (r) => (r.slot === undefined) !== (r.free !== true),
      'give exactly one of slot or free',
    ),
  changePin: z.object({ token: pkcs11UriSchema }),
  unblockPin: z.object({ token: pkcs11UriSchema }),
  listKeys: z.object({ token: pkcs11UriSchema }),
  generateKey: z.object({
    token: pkcs11UriSchema,
    curve: z.string().max(32),
    label: z.string().min(1).max(128),
  }),
  deleteKey: z.object({ key: pkcs11UriSchema, confirm: z.boolean() }),
  /**
   * The CLI's `signet sign` only: raw bytes signed blind. Not in the UI's
   * contract (methods.ts); every such signature goes into the audit log.
   */
  sign: z
    .object({ key: pkcs11UriSchema, digest: z.string().optional(), message: z.string().optional() })
    .refine(
      (r) => (r.digest === undefined) !== (r.message === undefined),
      'give exactly one of digest or message',
    ),
} as const;

export const deviceResults = {
  listModules: z.array(moduleSummarySchema),
  listHid: z.array(hidDeviceSchema),
  listTokens: z.array(tokenSummarySchema),
  initToken: z.object({ uri: pkcs11UriSchema, tpmLockout: tpmLockoutSchema.optional() }),
  changePin: z.object({ changed: z.literal(true) }),
  unblockPin: z.object({ unblocked: z.literal(true) }),
  listKeys: z.array(keySummarySchema),
  generateKey: keySummarySchema,
  deleteKey: z.object({ deleted: pkcs11UriSchema }),
  sign: signResultSchema,
} as const;

export type DeviceMethod = keyof typeof deviceRequests;
export type DeviceRequest<M extends DeviceMethod> = z.input<(typeof deviceRequests)[M]>;
export type DeviceResult<M extends DeviceMethod> = z.infer<(typeof deviceResults)[M]>;
