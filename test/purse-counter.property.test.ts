/**
 * The purse counter's invariant under random histories (fast-check), on a real
 * SoftHSM2 token and a real SQLite store: payments, backups of the store,
 * restores of an old backup, and crashes between the token's write and the
 * signature. Whatever happens, no two vouchers the token signed share a
 * counter, every signed voucher names the one before it, and once the host
 * and the token disagree, nothing more is signed.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { getAddress, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignetError } from '../core/api/errors.js';
import { certifyOpened, createPurse } from '../core/purse/open.js';
import { nextVoucher, payOffline } from '../core/purse/pay.js';
import { findIntent, getPurse } from '../core/purse/purse-store.js';
import {
  FIRST_PREV_VOUCHER_HASH,
  type PurseDomain,
  type Voucher,
} from '../core/purse/typed-data.js';
import { openStore, type Store } from '../core/store/database.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import { signCertificate } from './support/purse.js';
import { crashAfterTokenWrite, purseStore, tokenAccount } from './support/purse-owner.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';

const hsm = createSoftHsmStore();
const PIN = '8642-prop';
const pins = async () => Buffer.from(PIN);
const search = { configured: [softhsmModule], policy: anyModule };
const domain: PurseDomain = {
  chainId: 31337,
  verifyingContract: getAddress('0x5fbdb2315678afecb367f032d93f642f64180aa3'),
};
const operatorKey = privateKeyToAccount(generatePrivateKey());
const payee = getAddress('0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc');
const dir = mkdtempSync(join(tmpdir(), 'signet-purse-prop-'));
const NOW = 1_800_000_000n;
let ownerUri = '';
let owner = getAddress('0x0000000000000000000000000000000000000001');
let epoch = 0;
let run = 0;

type Op =
  | { kind: 'pay'; amount: bigint }
  | { kind: 'backup' }
  | { kind: 'restore' }
  | { kind: 'crash'; amount: bigint };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.bigInt(1n, 500n).map((amount) => ({ kind: 'pay' as const, amount })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'backup' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'restore' as const }) },
  {
    weight: 1,
    arbitrary: fc.bigInt(1n, 500n).map((amount) => ({ kind: 'crash' as const, amount })),
  },
);

beforeAll(async () => {
  hsm.activate();
  ({ keyUri: ownerUri, address: owner } = await tokenAccount(hsm, 'prop', PIN, 'owner'));
});
afterAll(() => {
  hsm.remove();
  rmSync(dir, { recursive: true, force: true });
});

function reopen(path: string): Store {
  return openStore(path, { now: () => new Date(Number(NOW) * 1000) });
}

describe('the purse counter', () => {
  it('never signs two vouchers at one counter, whatever the store goes through', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 8 }), async (ops) => {
        run++;
        const path = join(dir, `run-${run}.sqlite`);
        const backupPath = join(dir, `run-${run}-backup.sqlite`);
        let store = purseStore(path, domain, new Map([[operatorKey.address, owner]]), NOW);
        const purse = await createPurse({ store, search, pins }, domain, ownerUri, {
          owner,
          operator: owner,
          epoch: epoch++,
          locked: 1_000_000n,
          cap: 1_000n,
          maxCount: 50,
          validFrom: NOW - 10n,
          validUntil: NOW + 1000n,
        });
        // Opened on chain with these terms: the operator's certificate, checked and stored.
        await certifyOpened(
          store,
          domain,
          purse,
          purse.certificate,
          async (certificate, d) => ({
            certificate,
            signature: await signCertificate(operatorKey, d, certificate),
          }),
          new Map([[operatorKey.address, owner]]),
        );
        const address = purse.certificate.purse;
        const signed: Array<{ voucher: Voucher; hash: Hex }> = [];
        let backedUp = false;
        let mismatched = false;
        try {
          for (const op of ops) {
            if (op.kind === 'backup') {
              store.db.pragma('wal_checkpoint(TRUNCATE)');
              copyFileSync(path, backupPath);
              backedUp = true;
            } else if (op.kind === 'restore' && backedUp) {
              store.close();
              for (const suffix of ['-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
              copyFileSync(backupPath, path);
              store = reopen(path);
            } else if (op.kind === 'crash') {
              // Steps 1 and 2 of a payment, then the process dies: no signature.
              const host = getPurse(store, domain.chainId, address)!;
              // After a crash Signet resumes the intent it left before any new payment
              // (pay.ts), so a second crash with that intent still pending is no new state:
              // a new intent at the same counter is what the store's unique index refuses.
              if (host.mismatch || findIntent(store, domain.chainId, address)) continue;
              const voucher = nextVoucher(host, payee, op.amount, NOW);
              await crashAfterTokenWrite(store, domain, search, pins, host, voucher);
            } else if (op.kind === 'pay') {
              try {
                const { paid, resumed } = await payOffline(
                  { store, search, pins, now: NOW },
                  domain,
                  address,
                  payee,
                  op.amount,
                );
                for (const one of [resumed, paid])
                  if (one) signed.push({ voucher: one.voucher, hash: one.voucherHash });
                expect(mismatched, 'signed after a mismatch').toBe(false);
              } catch (error) {
                if (!(error instanceof SignetError) || error.code !== 'PURSE_STATE_MISMATCH')
                  throw error;
                mismatched = true;
              }
            }
          }
        } finally {
          store.close();
        }
        // One voucher per counter, each naming the one before it.
        const counters = signed.map((s) => s.voucher.counter);
        expect(new Set(counters).size).toBe(counters.length);
        const sorted = [...signed].sort((a, b) => a.voucher.counter - b.voucher.counter);
        sorted.forEach((s, i) => {
          expect(s.voucher.counter).toBe(i + 1);
          expect(s.voucher.prevVoucherHash).toBe(
            i === 0 ? FIRST_PREV_VOUCHER_HASH : sorted[i - 1]!.hash,
          );
        });
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});
