/**
 * The token steps of provisioning a customer, shared by the batch
 * (batch.ts) and the counter (counter.ts: a lost token replaced, a locked PIN
 * reset): a random user PIN, the token initialised with the bank's SO PIN, a
 * fresh user PIN set with the SO PIN, the customer's key made once.
 * None of them stores or logs a PIN.
 */
import { randomInt } from 'node:crypto';
import { publicKeyToAddress } from 'viem/accounts';
import { TokenConnection } from '../../native/pkcs11/connection.js';
import { generateKeyPair, listKeys, type TokenKey } from '../../native/pkcs11/keys.js';
import type { Pkcs11Module } from '../../native/pkcs11/module.js';
import { initToken, unblockUserPin } from '../../native/pkcs11/provision.js';
import type { TokenDescription } from '../../native/pkcs11/tokens.js';

/** The label of the customer's ledger key on the token. */
export const CUSTOMER_KEY_LABEL = 'signet-account';
/** PIN length when the token allows it: 8 decimal digits. */
const PIN_DIGITS = 8;

/** A random decimal PIN of the length the token accepts (8 digits where it may). */
export function randomPin(token: Pick<TokenDescription, 'minPinLength' | 'maxPinLength'>): string {
  const length = Math.max(
    token.minPinLength,
    Math.min(PIN_DIGITS, token.maxPinLength || PIN_DIGITS),
  );
  let pin = '';
  for (let i = 0; i < length; i++) pin += String(randomInt(10));
  return pin;
}

export async function withConnection<T>(
  module: Pkcs11Module,
  token: TokenDescription,
  work: (connection: TokenConnection) => Promise<T>,
): Promise<T> {
  const connection = new TokenConnection(module, token, { write: true });
  try {
    return await work(connection);
  } finally {
    connection.close();
  }
}

/** Initialises the token (erasing it: the caller checked it holds no key) with the SO PIN and `userPin`. */
export function initCustomerToken(
  module: Pkcs11Module,
  token: TokenDescription,
  label: string,
  soPin: string,
  userPin: string,
): Promise<TokenDescription> {
  return initToken(module, token.slotHandle, { label, confirmErase: true }, async (ask) =>
    Buffer.from(ask.role === 'new-user' ? userPin : soPin),
  );
}

/** Sets `userPin` as the token's user PIN after an SO login (unblocks a locked PIN). */
export function resetUserPin(
  module: Pkcs11Module,
  token: TokenDescription,
  soPin: string,
  userPin: string,
): Promise<void> {
  return withConnection(module, token, (c) =>
    unblockUserPin(c, async (ask) => Buffer.from(ask.role === 'new-user' ? userPin : soPin)),
  );
}

/** The customer's secp256k1 key on the token: the one with our label if there is one, else a new one. */
export function customerKey(
  module: Pkcs11Module,
  token: TokenDescription,
  userPin: string,
): Promise<TokenKey> {
  return withConnection(module, token, async (c) => {
    await c.logIn('user', async () => Buffer.from(userPin));
    const existing = (await listKeys(c)).find(
      (k) => k.label === CUSTOMER_KEY_LABEL && k.curve === 'secp256k1',
    );
    return existing ?? (await generateKeyPair(c, 'secp256k1', CUSTOMER_KEY_LABEL));
  });
}

export function keyAddress(key: TokenKey): string {
  return publicKeyToAddress(`0x${Buffer.from(key.publicKey).toString('hex')}`);
}
