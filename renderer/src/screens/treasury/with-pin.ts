/**
 * A treasury call that may need the token's PIN: tried without one first (an
 * owner key that needs no login, or a call that signs nothing, goes through at
 * once); when the token answers PIN_REQUIRED, the PIN dialog asks and the same
 * call runs again with the PIN. The PIN goes to that one call only.
 */
import { ApiError } from '../../api.js';
import type { PinRequest } from '../../components/PinDialog.js';

export async function withPin<T>(
  askPin: (request: PinRequest) => void,
  prompt: { title: string; description: string },
  attempt: (pin: string | undefined) => Promise<T>,
  done: (result: T) => void,
): Promise<void> {
  try {
    done(await attempt(undefined));
  } catch (caught) {
    if (!(caught instanceof ApiError) || caught.code !== 'PIN_REQUIRED') throw caught;
    askPin({ ...prompt, run: async (pin) => done(await attempt(pin)) });
  }
}
