/**
 * Signet's one error type. It crosses every boundary unchanged: IPC, the browser
 * bridge, the CLI's JSON output and the audit log. No Node imports here: the
 * renderer imports this file.
 */

/**
 * Who has to act: `user` fixes their input (CLI exit 1); `device` the hardware
 * and `network` the ledger nodes (exit 2).
 */
export type ErrorCategory = 'user' | 'device' | 'network' | 'internal';

export const errorCodes = {
  INVALID_ARGUMENT: 'user',
  INVALID_URI: 'user',
  MODULE_NOT_FOUND: 'user',
  MODULE_INVALID: 'user',
  /** A module path from the UI that Signet does not list (config file, discovery). */
  MODULE_NOT_ALLOWED: 'user',
  PIN_REQUIRED: 'user',
  PIN_INCORRECT: 'user',
  PIN_LEN_RANGE: 'user',
  PIN_LOCKED: 'user',
  KEY_NOT_FOUND: 'user',
  AMBIGUOUS_URI: 'user',
  CURVE_UNSUPPORTED: 'user',
  DIGEST_INVALID: 'user',
  CONFIRMATION_REQUIRED: 'user',
  TOKEN_NOT_FOUND: 'device',
  TOKEN_REMOVED: 'device',
  TOKEN_NOT_INITIALIZED: 'device',
  MODULE_INIT_FAILED: 'device',
  MECHANISM_UNSUPPORTED: 'device',
  SIGNATURE_INVALID: 'device',
  DEVICE_BUSY: 'device',
  DEVICE_ERROR: 'device',
  /** A Ledger is locked: its PIN is typed on the device, never in Signet. */
  DEVICE_LOCKED: 'user',
  /** A Ledger's Ethereum app is not open (the dashboard or another app is). */
  DEVICE_APP_NOT_OPEN: 'user',
  /** The user refused on the device: nothing was signed. */
  DEVICE_REFUSED: 'user',
  /** The Ethereum app's "Blind signing" setting is off and this signature needs it. */
  DEVICE_BLIND_SIGNING_OFF: 'user',
  /** The system refuses to open a USB device (Linux: its udev rules are not installed). */
  DEVICE_ACCESS_DENIED: 'user',
  /** A device went away mid-operation: nothing was signed or stored, so it is safe to retry. */
  DEVICE_DISCONNECTED: 'device',
  /** No plugged-in device is the one named (none plugged in, or one on another seed). */
  DEVICE_NOT_FOUND: 'device',
  PROFILE_INVALID: 'user',
  ADDRESS_INVALID: 'user',
  AMOUNT_INVALID: 'user',
  ACCOUNT_UNKNOWN: 'user',
  NOT_REGISTERED: 'user',
  /** The key is not an operator bank of the ledger's currency (no OPERATOR_ROLE on chain). */
  NOT_OPERATOR: 'user',
  /** The account is another operator's customer (or no customer at all): its operator alone freezes it. */
  NOT_ACCOUNT_OPERATOR: 'user',
  /** The account is in the currency's registry already: it is registered once, by one operator. */
  ALREADY_REGISTERED: 'user',
  ACCOUNT_FROZEN: 'user',
  INSUFFICIENT_BALANCE: 'user',
  NOTE_NOT_FOUND: 'user',
  NOTE_MATURED: 'user',
  NOTE_NOT_MATURE: 'user',
  /** A note payable in a currency other than the ledger's own: not money to this wallet. */
  NOTE_CURRENCY_UNKNOWN: 'user',
  NOT_DEV_CHAIN: 'user',
  /** The dev chain engine asked for (anvil) is not installed on this machine. */
  DEV_ENGINE_MISSING: 'user',
  FILE_INVALID: 'user',
  /** An approval bundle (file or QR) is truncated, corrupted, or carries a signature that is not an owner's. */
  BUNDLE_INVALID: 'user',
  /** Two approval bundles are not for the same proposal (chain, treasury, nonce, SafeTx, owners): not merged. */
  BUNDLE_MISMATCH: 'user',
  /** A treasury proposal has fewer owners' approvals than its threshold. */
  THRESHOLD_NOT_MET: 'user',
  /** A treasury policy file is corrupted, not signed by enough owners, for another treasury, or older than one already seen. */
  POLICY_INVALID: 'user',
  /** A treasury proposal breaks the treasury's signed policy (a limit, the payee list, the time window) or is not covered by it. */
  POLICY_VIOLATION: 'user',
  /**
   * What would be signed now is not what the user reviewed (the ledger state
   * moved: a nonce, a fee; or the request differs): nothing was signed. Review again.
   */
  REVIEW_STALE: 'user',
  /** Another process on the data folder holds the sync: wait, or stop it. */
  SYNC_BUSY: 'user',
  /** Signet already runs on this data folder. */
  ALREADY_RUNNING: 'user',
  /**
   * An offline payment (voucher, certificate, payment request) fails a check the
   * payee makes with no network; `details.reason` names which (core/purse/verify.ts).
   * Nothing was stored.
   */
  VOUCHER_REFUSED: 'user',
  /**
   * The purse's counter on the token and in this computer's store disagree (a
   * restored backup, another computer): it pays offline no more until an online
   * new epoch. Nothing was signed.
   */
  PURSE_STATE_MISMATCH: 'user',
  /** The purse cannot pay this: over its cap, out of payments or of money, expired, frozen or closed. */
  PURSE_LIMIT: 'user',
  /** No open purse for this account on this chain (or the one named is unknown). */
  PURSE_NOT_FOUND: 'user',
  NODE_UNREACHABLE: 'network',
  WRONG_CHAIN: 'network',
  NODE_DISAGREES: 'network',
  RPC_ERROR: 'network',
  TX_REVERTED: 'network',
  INTERNAL: 'internal',
} as const satisfies Record<string, ErrorCategory>;

export type ErrorCode = keyof typeof errorCodes;

/** The shape an error takes on the wire. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class SignetError extends Error {
  override readonly name = 'SignetError';
  readonly code: ErrorCode;
  /** Structured facts for programs (retry state, the path, the URI); never secrets. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    // One line, always: the CLI prints it as is on stderr.
    super(message.replace(/\s*\n\s*/g, ' '), { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  get category(): ErrorCategory {
    return errorCodes[this.code];
  }

  toJSON(): SerializedError {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }

  static fromJSON(value: SerializedError): SignetError {
    return new SignetError(value.code, value.message, { details: value.details });
  }
}
