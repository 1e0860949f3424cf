/**
 * What a Ledger's answers mean, in one table: APDU status words and
 * @ledgerhq's transport errors → Signet's errors, in words. Errors are told
 * apart by `statusCode` and `name`, never by `instanceof`: @ledgerhq ships
 * several copies of its error classes (one per package version installed).
 */
import { type ErrorCode, SignetError } from '../../core/api/errors.js';

interface Meaning {
  code: ErrorCode;
  /** One line, for people. */
  message: string;
}

const LOCKED: Meaning = {
  code: 'DEVICE_LOCKED',
  message: 'the Ledger is locked: unlock it with its PIN, on the device, and try again',
};
const APP_NOT_OPEN: Meaning = {
  code: 'DEVICE_APP_NOT_OPEN',
  message: 'the Ethereum app is not open on the Ledger: open it and try again',
};
const REFUSED: Meaning = {
  code: 'DEVICE_REFUSED',
  message: 'refused on the Ledger: nothing was signed',
};
const BLIND_SIGNING_OFF: Meaning = {
  code: 'DEVICE_BLIND_SIGNING_OFF',
  message:
    'the Ledger cannot show this in full and its Ethereum app has "Blind signing" off: ' +
    "turn it on in the app's settings, then compare the hash on the device with the one Signet shows",
};

/** Status words (ISO 7816 SW1SW2) the device answers. */
const STATUS_WORDS = new Map<number, Meaning>([
  [0x5515, LOCKED], // LOCKED_DEVICE: the OS answers for any app while the screen is locked
  [0x6b0c, LOCKED], // older firmware's "locked"
  [0x6511, APP_NOT_OPEN], // the dashboard: no app open
  [0x6d00, APP_NOT_OPEN], // INS not supported: another app is open
  [0x6e00, APP_NOT_OPEN], // CLA not supported: another app, or the dashboard
  [0x6e01, APP_NOT_OPEN], // CLA not supported (the dashboard on newer firmware)
  [0x6d02, APP_NOT_OPEN], // unknown APDU (the dashboard)
  [0x6985, REFUSED], // conditions of use not satisfied: the user said no
  [0x5501, REFUSED], // USER_REFUSED_ON_DEVICE
]);

/** Status words the Ethereum app answers while signing, with a meaning of their own there. */
const SIGNING_STATUS_WORDS = new Map<number, Meaning>([[0x6a80, BLIND_SIGNING_OFF]]);

/** @ledgerhq errors by name. */
const NAMED = new Map<string, Meaning>([
  ['LockedDeviceError', LOCKED],
  ['EthAppPleaseEnableContractData', BLIND_SIGNING_OFF],
  ['UserRefusedOnDevice', REFUSED],
]);

const DISCONNECTED = new Set([
  'DisconnectedDevice',
  'DisconnectedDeviceDuringOperation',
  'DisconnectedDeviceDuringOperationError',
]);

function hex(sw: number): string {
  return `0x${sw.toString(16).padStart(4, '0')}`;
}

export interface DeviceErrorContext {
  /** What Signet asked the device to do, as a verb phrase: "sign the transaction". */
  doing: string;
  /** A signing operation: 0x6a80 then means blind signing is off. */
  signing?: boolean;
}

/** Any error from the transport or the Ethereum app, as a SignetError in words. */
export function fromLedgerDeviceError(error: unknown, context: DeviceErrorContext): SignetError {
  if (error instanceof SignetError) return error;
  const { name, statusCode, message } = (error ?? {}) as {
    name?: unknown;
    statusCode?: unknown;
    message?: unknown;
  };
  const text = typeof message === 'string' ? message : String(error);
  const sw = typeof statusCode === 'number' ? statusCode : undefined;
  const meaning =
    (sw !== undefined && context.signing ? SIGNING_STATUS_WORDS.get(sw) : undefined) ??
    (sw !== undefined ? STATUS_WORDS.get(sw) : undefined) ??
    (typeof name === 'string' ? NAMED.get(name) : undefined);
  const details = { ...(sw === undefined ? {} : { statusWord: hex(sw) }), ...nameOf(name) };
  if (meaning) {
    return new SignetError(meaning.code, meaning.message, { details, cause: error });
  }
  if (typeof name === 'string' && DISCONNECTED.has(name)) {
    return disconnected(context.doing, error);
  }
  if (name === 'TransportRaceCondition') {
    return new SignetError(
      'DEVICE_BUSY',
      'the Ledger is still waiting for an answer to an earlier request: answer or refuse it on the device, then try again',
      { details, cause: error },
    );
  }
  if (sw !== undefined) {
    return new SignetError(
      'DEVICE_ERROR',
      `the Ledger answered ${hex(sw)} when asked to ${context.doing}`,
      { details, cause: error },
    );
  }
  return new SignetError(
    'DEVICE_ERROR',
    `the Ledger failed to ${context.doing}: ${text.split('\n', 1)[0]}`,
    { details, cause: error },
  );
}

function nameOf(name: unknown): Record<string, string> {
  return typeof name === 'string' && name !== 'Error' ? { error: name } : {};
}

/** The device went away mid-operation. Nothing is stored until a signature verifies. */
export function disconnected(doing: string, cause?: unknown): SignetError {
  return new SignetError(
    'DEVICE_DISCONNECTED',
    `the Ledger was unplugged while Signet asked it to ${doing}; nothing was signed or stored, so it is safe to plug it back in and retry`,
    { details: { retry: 'safe' }, cause },
  );
}
