/**
 * A purse owner for token tests: a fresh SoftHSM2 token holding one secp256k1
 * account key, and a store that already lists the operator's certificate key,
 * as a sync would have; and a payment cut short by a crash. Shared by the offline-payment tests that sign on a real
 * token without a chain.
 */
import { type Address, toHex } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import { tokenStateOf } from '../../core/purse/pay.js';
import {
  addVoucher,
  type PurseRecord,
  replaceCertificateKeys,
} from '../../core/purse/purse-store.js';
import { withPurseToken } from '../../core/purse/purse-token.js';
import { type PurseDomain, type Voucher, voucherHash } from '../../core/purse/typed-data.js';
import { openStore, type Store } from '../../core/store/database.js';
import type { PinProvider } from '../../native/pin.js';
import { TokenConnection } from '../../native/pkcs11/connection.js';
import { generateKeyPair } from '../../native/pkcs11/keys.js';
import { openModule } from '../../native/pkcs11/module.js';
import type { ModuleSearch } from '../../native/pkcs11/token-access.js';
import { listTokens } from '../../native/pkcs11/tokens.js';
import { formatPkcs11Uri } from '../../native/pkcs11/uri.js';
import { type SoftHsmStore, softhsmModule } from './softhsm.js';

/** Initialises token `label` (user PIN `pin`) and generates the account key `keyLabel` on it. */
export async function tokenAccount(
  hsm: SoftHsmStore,
  label: string,
  pin: string,
  keyLabel: string,
): Promise<{ keyUri: string; address: Address }> {
  hsm.initToken(label, pin);
  const module = openModule(softhsmModule);
  try {
    const token = listTokens(module).find((t) => t.label === label)!;
    const connection = new TokenConnection(module, token, { write: true });
    await connection.logIn('user', async () => Buffer.from(pin));
    const key = await generateKeyPair(connection, 'secp256k1', keyLabel);
    connection.close();
    return {
      keyUri: formatPkcs11Uri(key.uri),
      address: publicKeyToAddress(toHex(key.publicKey)),
    };
  } finally {
    module.close();
  }
}

/** A store at `path` whose clock is `now` (seconds), trusting `certificateKeys` for `domain`. */
export function purseStore(
  path: string,
  domain: PurseDomain,
  certificateKeys: Map<Address, Address>,
  now: bigint,
): Store {
  const store = openStore(path, { now: () => new Date(Number(now) * 1000) });
  replaceCertificateKeys(
    store,
    domain.chainId,
    domain.verifyingContract,
    certificateKeys,
    Number(now),
  );
  return store;
}

/**
 * Steps 1 and 2 of a payment, then the process dies: the intent row in the
 * store and the token's counter moved to `voucher`, but no signature. Moves the
 * token only while it agrees with the host (unlocked, at the host's counter);
 * true when it did.
 */
export async function crashAfterTokenWrite(
  store: Store,
  domain: PurseDomain,
  search: ModuleSearch,
  pins: PinProvider,
  purse: PurseRecord,
  voucher: Voucher,
): Promise<boolean> {
  const address = purse.certificate.purse;
  const hash = voucherHash(domain, voucher);
  addVoucher(store, {
    chainId: domain.chainId,
    purseContract: domain.verifyingContract,
    voucherHash: hash,
    direction: 'paid',
    voucher,
    signature: null,
    certificate: purse.certificate,
    certificateSignature: purse.certificateSignature!, // certified: the purse pays
    status: 'intent',
  });
  return withPurseToken(purse.keyUri, search, pins, async (token) => {
    const { state, raw } = await token.readState(address);
    if (!state || state.locked || state.counter !== purse.counter) return false;
    return token.writeState(address, tokenStateOf(domain, voucher, hash), raw);
  });
}
