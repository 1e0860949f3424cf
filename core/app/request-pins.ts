/**
 * PINs from the UI's PIN dialog, for one request only. The strings arrive in
 * the request (JSON cannot carry anything else); they are copied into Buffers
 * at once, handed to the device layer as fresh copies (which it wipes after
 * C_Login), and the Buffers are zeroed when the request ends. A PIN is never
 * echoed, logged, stored or put in an error. A role the request brought no PIN
 * for answers PIN_REQUIRED with the role, so the UI can ask and call again.
 *
 * One request may log in to two tokens: a P-256 account's key and the token of
 * the carrier that signs its transaction. Each has its own PIN and its own
 * provider (`pin` for the key's token, `carrierPin` for the carrier's), so a
 * PIN typed for one token is never tried on the other (a TPM counts every
 * wrong one, and locks after three).
 */
import type { PinProvider, PinRole } from '../../native/pin.js';
import { SignetError } from '../api/errors.js';

export interface PinFields {
  pin?: string;
  soPin?: string;
  newPin?: string;
  carrierPin?: string;
}

const fieldFor: Record<PinRole, keyof PinFields> = {
  user: 'pin',
  so: 'soPin',
  'new-so': 'soPin',
  'new-user': 'newPin',
};

const roleWords: Record<PinRole, string> = {
  user: 'PIN',
  so: 'SO PIN',
  'new-so': 'new SO PIN',
  'new-user': 'new user PIN',
};

export interface RequestPins {
  /** The PINs of the token the request names (its key's, for a payment). */
  provider: PinProvider;
  /** The user PIN of a carrier's token (`carrierPin`): asked only by the carrier's login. */
  carrierProvider: PinProvider;
  /** Zeroes every PIN this request carried; asking afterwards is PIN_REQUIRED. */
  wipe(): void;
}

/** Takes the PIN fields out of `request` (deleting them) and wraps them in providers. */
export function takeRequestPins(request: Record<string, unknown>): RequestPins {
  const held = new Map<keyof PinFields, Buffer>();
  for (const field of ['pin', 'soPin', 'newPin', 'carrierPin'] as const) {
    const value = request[field];
    delete request[field];
    if (typeof value === 'string' && value.length > 0) held.set(field, Buffer.from(value, 'utf8'));
  }
  let wiped = false;
  const hand = (field: keyof PinFields, role: PinRole, token: string, whose = 'token') => {
    const pin = wiped ? undefined : held.get(field);
    if (!pin) {
      throw new SignetError('PIN_REQUIRED', `${whose} "${token}" needs the ${roleWords[role]}`, {
        details: { role, field, token },
      });
    }
    // A copy: the device layer zeroes what it is given, and may ask again
    // within the request (a new session logs in again).
    return Buffer.from(pin);
  };
  return {
    provider: async (ask) => hand(fieldFor[ask.role], ask.role, ask.token),
    carrierProvider: async (ask) => {
      // A carrier only ever logs in as its token's user.
      if (ask.role !== 'user')
        throw new SignetError('INTERNAL', 'a carrier logs in as its user only');
      return hand('carrierPin', 'user', ask.token, "the carrier's token");
    },
    wipe: () => {
      wiped = true;
      for (const pin of held.values()) pin.fill(0);
      held.clear();
    },
  };
}
