/**
 * PINs reach the device layer only through a PinProvider, asked at the moment a
 * PIN is needed (never for a PIN-pad token). A PIN is a Buffer so it can be
 * zeroed after use; it is never logged, stored or put in an error.
 */
export type PinRole = 'user' | 'so' | 'new-user' | 'new-so';

export interface PinRequest {
  role: PinRole;
  /** The token's label, for the prompt. */
  token: string;
}

export type PinProvider = (request: PinRequest) => Promise<Buffer>;

/** Runs `use` with the PIN as the string pkcs11js needs, then wipes the buffer. */
export async function withPin<T>(
  pins: PinProvider,
  request: PinRequest,
  use: (pin: string) => T | Promise<T>,
): Promise<T> {
  const pin = await pins(request);
  try {
    return await use(pin.toString('utf8'));
  } finally {
    pin.fill(0);
  }
}
