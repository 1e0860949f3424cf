/**
 * npm run bench:batch — 1,000 payments from one token-held account with
 * Wallet.sendMany (offline checks, build, sign on the token, verify, audit log
 * and outbox in one store transaction), against the bare token: 1,000
 * signatures in a bare pkcs11js loop (C_SignInit + C_Sign on one logged-in
 * session, nothing checked), in one run, alternating, best round of each
 * reported. The phase breakdown times the same steps one by one (each alone,
 * so they add up to more than the whole, where signing overlaps the rest).
 * Last line: `overhead: X.XX` (Signet's time ÷ the bare token's).
 *
 * The key is a secp256k1 key on a temporary SoftHSM2 token, added as a wallet
 * account, funded on the dev ledger and synced once so the offline checks pass.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, getAddress, type Hex, recoverTransactionAddress } from 'viem';
import { ChainSigner } from '../core/chain/chain-signer.js';
import { RpcPool } from '../core/rpc/rpc-pool.js';
import { addAccount } from '../core/store/accounts.js';
import { appendPrepared, prepareAudit, verifyAuditChain } from '../core/store/audit-log.js';
import { openStore } from '../core/store/database.js';
import { addPrepared, listOutbox, prepareSigned } from '../core/store/outbox.js';
import { SyncEngine } from '../core/sync/sync-engine.js';
import { requireFunds, syncedState } from '../core/wallet/offline-checks.js';
import { paymentCall } from '../core/wallet/payment.js';
import { planTransactions } from '../core/wallet/transaction-plan.js';
import { Wallet } from '../core/wallet/wallet.js';
import { type DevChain, fundAccount, startDevChain } from '../ledger/dev-chain.js';
import { mapWindowed } from '../native/map-windowed.js';
import { TokenConnection } from '../native/pkcs11/connection.js';
import { findPrivateHandle, generateKeyPair, type TokenKey } from '../native/pkcs11/keys.js';
import { openModule, type Pkcs11Module } from '../native/pkcs11/module.js';
import { anyModule, listedModulesOnly } from '../native/pkcs11/module-policy.js';
import { pkcs11js } from '../native/pkcs11/pkcs11js.js';
import { SIGNING_SESSIONS } from '../native/pkcs11/signer.js';
import { openKeySigner } from '../native/pkcs11/token-access.js';
import { listTokens, type TokenDescription } from '../native/pkcs11/tokens.js';
import { formatPkcs11Uri } from '../native/pkcs11/uri.js';
import { createSoftHsmStore, softhsmModule } from '../test/support/softhsm.js';

const COUNT = 1_000;
/** Rounds alternate bare and Signet; the best of each is compared, the medians shown too. */
const ROUNDS = 5;
const PIN = 'bench-pin-1234';

const tokens = createSoftHsmStore('signet-bench-batch-');
tokens.activate();
tokens.initToken('bench', PIN);
const home = mkdtempSync(join(tmpdir(), 'signet-bench-batch-'));
// Held open for the whole run, so the library is initialised once, as in a long-lived app.
const module = openModule(softhsmModule);
const pins = async () => Buffer.from(PIN);
let ledger: DevChain | undefined;

try {
  const token = listTokens(module).find((t) => t.label === 'bench')!;
  const key = await withConnection(module, token, (connection) =>
    generateKeyPair(connection, 'secp256k1', 'batch bench'),
  );
  const keyUri = formatPkcs11Uri(key.uri);

  ledger = await startDevChain();
  const { profile } = ledger;
  const store = openStore(join(home, 'signet.sqlite'));
  const wallet = new Wallet({
    store,
    profile,
    search: {
      configured: [softhsmModule],
      discovery: { p11kitConfigDirs: [], wellKnown: [] },
      policy: listedModulesOnly,
    },
    pins,
  });
  const account = await wallet.addAccount(keyUri, 'payer');
  await fundAccount(profile, account.address, 1_000_000_00n);
  const rpc = new RpcPool({ urls: profile.rpc, chainId: profile.chainId, timeoutMs: 5_000 });
  await new SyncEngine(store, rpc, profile).syncOnce();

  const payments = Array.from({ length: COUNT }, (_, i) => ({
    to: getAddress(`0x${randomBytes(20).toString('hex')}`) as Address,
    amount: BigInt(1 + (i % 100)),
  }));
  const digests = Array.from({ length: COUNT }, () => randomBytes(32));

  const bare: number[] = [];
  const signet: number[] = [];
  const phases = { plan: [] as number[], sign: [] as number[], record: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await withConnection(module, token, (c) => bareLoop(c, key, digests)));

    const started = performance.now();
    const queued = await wallet.sendMany(keyUri, payments);
    signet.push(performance.now() - started);
    await check(queued, account.address);

    // The phases alone: plan (checks and build), sign (token, verify, rows), record (inserts).
    const state = syncedState(store, profile.chainId, account.address);
    let t = performance.now();
    const calls = payments.map(({ to, amount }) => paymentCall(profile, to, amount));
    requireFunds(store, state, 0n);
    const txs = planTransactions(store, profile, state, calls);
    phases.plan.push(performance.now() - t);
    const signer = new ChainSigner(
      await openKeySigner(
        keyUri,
        { configured: [softhsmModule], policy: anyModule },
        pins,
        SIGNING_SESSIONS,
      ),
    );
    t = performance.now();
    const rows = await mapWindowed(txs, 2 * SIGNING_SESSIONS, async (tx, i) => {
      const outbox = prepareSigned({
        chainId: profile.chainId,
        from: account.address,
        nonce: tx.nonce!,
        raw: await signer.signTransaction(tx),
        kind: 'transfer',
        summary: calls[i]!.summary,
        asset: 'currency',
        amount: calls[i]!.amount,
      });
      return { outbox, audit: prepareAudit({ action: 'bench', subject: calls[i]!.summary }) };
    });
    phases.sign.push(performance.now() - t);
    await signer.close();
    const scratch = openStore(join(home, `scratch-${round}.sqlite`));
    addAccount(scratch, { ...account, name: 'payer' });
    t = performance.now();
    scratch.transaction(() => {
      appendPrepared(
        scratch,
        rows.map((r) => r.audit),
      );
      addPrepared(
        scratch,
        rows.map((r) => r.outbox),
      );
    });
    phases.record.push(performance.now() - t);
    scratch.close();
  }
  const outbox = listOutbox(store, profile.chainId, { status: 'signed' }).length;
  const audit = verifyAuditChain(store);
  if (outbox !== ROUNDS * COUNT || !audit.intact || audit.entries !== ROUNDS * COUNT)
    throw new Error(`outbox ${outbox}, audit log ${JSON.stringify(audit)}`);
  store.close();

  const best = (ms: number[]) => Math.min(...ms);
  const list = (ms: number[]) => ms.map((m) => m.toFixed(0)).join(', ');
  console.log(`payments per run: ${COUNT}, rounds: ${ROUNDS} (best round reported)`);
  console.log(
    `bare token (sync C_SignInit + C_Sign, one session, nothing checked): ${best(bare).toFixed(0)} ms for ${COUNT} signatures  [${list(bare)}]`,
  );
  console.log(
    `Signet Wallet.sendMany (checks, build, sign, verify, audit, outbox): ${best(signet).toFixed(0)} ms for ${COUNT} transfers  [${list(signet)}]`,
  );
  console.log(
    `phases alone (best): plan ${best(phases.plan).toFixed(0)} ms, sign+verify+rows ${best(phases.sign).toFixed(0)} ms, record (inserts) ${best(phases.record).toFixed(0)} ms`,
  );
  const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
  console.log(`median ratio: ${(median(signet) / median(bare)).toFixed(2)}`);
  console.log(`overhead: ${(best(signet) / best(bare)).toFixed(2)}`);
} finally {
  await ledger?.stop();
  module.close();
  tokens.remove();
  rmSync(home, { recursive: true, force: true });
}

/** A logged-in connection for `work`, logged out and closed after. */
async function withConnection<T>(
  module: Pkcs11Module,
  token: TokenDescription,
  work: (connection: TokenConnection) => Promise<T>,
): Promise<T> {
  // One connection at a time: the login belongs to the application, so closing a
  // second connection would log the first one out.
  const connection = new TokenConnection(module, token, { write: true });
  try {
    await connection.logIn('user', pins);
    return await work(connection);
  } finally {
    connection.close();
  }
}

/** Milliseconds for the signatures in a bare synchronous loop on one session. */
function bareLoop(connection: TokenConnection, key: TokenKey, digests: Buffer[]): Promise<number> {
  const { CKM_ECDSA } = pkcs11js();
  const api = connection.module.api;
  return connection.withSession((session) => {
    // Handles do not outlive a login (SoftHSM2 renumbers them): look the key up again.
    const handle = findPrivateHandle(connection, session, key.id);
    const out = Buffer.alloc(128);
    const start = performance.now();
    for (const digest of digests) {
      api.C_SignInit(session, { mechanism: CKM_ECDSA }, handle);
      api.C_Sign(session, digest, out);
    }
    return performance.now() - start;
  });
}

/** Every payment queued; the first and last signed by the account's key. */
async function check(queued: Array<{ raw: Hex; status: string }>, from: Address): Promise<void> {
  if (queued.length !== COUNT || queued.some((tx) => tx.status !== 'signed'))
    throw new Error(`sendMany queued ${queued.length} transactions`);
  for (const tx of [queued[0]!, queued.at(-1)!]) {
    const signer = await recoverTransactionAddress({ serializedTransaction: tx.raw as never });
    if (signer !== from) throw new Error(`a transaction recovers to ${signer}, not ${from}`);
  }
}
