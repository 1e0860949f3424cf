/**
 * PINs from the UI's PIN dialog, for one request only. The strings arrive in
 * the request (JSON cannot carry anything else); they are copied into Buffers
 * at once, handed to the device layer as fresh copies (which it wipes after
 * C_Login), and the Buffers are zeroed when the request ends. A PIN is never
 * echoed, logged, stored or put in an error. A role the request brought no PIN
 * for answers PIN_REQUIRED with the role, so the UI can ask and call again.
 */
import type { PinProvider, PinRole } from '../../native/pin.js';
import { SignetError } from '../api/errors.js';

export interface PinFields {
  pin?: string;
  soPin?: string;
  newPin?: string;
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
  provider: PinProvider;
  /** Zeroes every PIN this request carried; asking afterwards is PIN_REQUIRED. */
  wipe(): void;
}

/** Takes the PIN fields out of `request` (deleting them) and wraps them in a provider. */
export function takeRequestPins(request: Record<string, unknown>): RequestPins {
  const held = new Map<keyof PinFields, Buffer>();
  for (const field of ['pin', 'soPin', 'newPin'] as const) {
    const value = request[field];
    delete request[field];
    if (typeof value === 'string' && value.length > 0) held.set(field, Buffer.from(value, 'utf8'));
  }
  let wiped = false;
  return {
    provider: async (ask) => {
      const pin = wiped ? undefined : held.get(fieldFor[ask.role]);
      if (!pin) {
        throw new SignetError(
          'PIN_REQUIRED',
          `token "${ask.token}" needs the ${roleWords[ask.role]}`,
          { details: { role: ask.role, field: fieldFor[ask.role], token: ask.token } },
        );
      }
      // A copy: the device layer zeroes what it is given, and may ask again
      // within the request (a new session logs in again).
      return Buffer.from(pin);
    },
    wipe: () => {
      wiped = true;
      for (const pin of held.values()) pin.fill(0);
      held.clear();
    },
  };
}
