/**
 * npm run bench:sign — 2,000 secp256k1 signatures on a SoftHSM2 key, through
 * Signet's signing path (token signature, low-S, recovery id, verification
 * against the key) and through a bare pkcs11js loop (C_SignInit + C_Sign on one
 * logged-in session, nothing checked), in one run. Last line: `ratio: X.XX`.
 */
import { randomBytes } from 'node:crypto';
import { TokenConnection } from '../native/pkcs11/connection.js';
import { generateKeyPair, type TokenKey } from '../native/pkcs11/keys.js';
import { openModule } from '../native/pkcs11/module.js';
import { pkcs11js } from '../native/pkcs11/pkcs11js.js';
import { Pkcs11Signer, SIGNING_SESSIONS } from '../native/pkcs11/signer.js';
import { listTokens } from '../native/pkcs11/tokens.js';
import { createSoftHsmStore, softhsmModule } from '../test/support/softhsm.js';

const COUNT = 2_000;
const ROUNDS = 3;
const PIN = 'bench-pin-1234';

const store = createSoftHsmStore('signet-bench-');
store.activate();
store.initToken('bench', PIN);
const module = openModule(softhsmModule);
const pins = async () => Buffer.from(PIN);

try {
  // One connection per token per process: the login belongs to the application,
  // so a second connection logging out would log this one out too.
  const token = listTokens(module).find((t) => t.label === 'bench')!;
  const connection = new TokenConnection(module, token, {
    write: true,
    sessions: SIGNING_SESSIONS,
  });
  await connection.logIn('user', pins);
  const key = await generateKeyPair(connection, 'secp256k1', 'bench key');
  const signer = new Pkcs11Signer(connection, key);
  const digests = Array.from({ length: COUNT }, () => new Uint8Array(randomBytes(32)));

  const bare: number[] = [];
  const signet: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await bareLoop(connection, key, digests));
    signet.push(await signetPath(signer, digests));
  }
  await signer.close();

  const best = (rates: number[]) => Math.max(...rates);
  const list = (rates: number[]) => rates.map((r) => r.toFixed(0)).join(', ');
  console.log(`signatures per run: ${COUNT}, rounds: ${ROUNDS} (best round reported)`);
  console.log(
    `bare pkcs11js loop (sync C_SignInit + C_Sign, no checks): ${best(bare).toFixed(0)} sig/s  [${list(bare)}]`,
  );
  console.log(
    `Signet path (low-S, recovery id, verified; ${SIGNING_SESSIONS} sessions): ${best(signet).toFixed(0)} sig/s  [${list(signet)}]`,
  );
  console.log(`ratio: ${(best(signet) / best(bare)).toFixed(2)}`);
} finally {
  module.close();
  store.remove();
}

async function bareLoop(connection: TokenConnection, key: TokenKey, digests: Uint8Array[]) {
  const { CKM_ECDSA } = pkcs11js();
  const api = connection.module.api;
  return connection.withSession((session) => {
    const out = Buffer.alloc(128);
    const start = performance.now();
    for (const digest of digests) {
      api.C_SignInit(session, { mechanism: CKM_ECDSA }, key.privateHandle);
      api.C_Sign(session, Buffer.from(digest), out);
    }
    return (digests.length / (performance.now() - start)) * 1000;
  });
}

async function signetPath(signer: Pkcs11Signer, digests: Uint8Array[]) {
  const start = performance.now();
  const signatures = await signer.signMany(digests);
  const rate = (digests.length / (performance.now() - start)) * 1000;
  if (signatures.length !== digests.length) throw new Error('missing signatures');
  return rate;
}
