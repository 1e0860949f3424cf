/**
 * Paying and receiving offline with real SoftHSM2 tokens and real stores, no
 * chain (the chain's part is test/purse.integration.test.ts): the counter on
 * the token, a host store restored from a backup (PURSE_STATE_MISMATCH,
 * nothing signed), a crash between the token's write and the signature
 * (resumed with the same voucher), a double spend made by signing on the
 * token behind Signet's back (caught by a payee holding the first voucher),
 * and every offline refusal storing nothing.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Address, getAddress, type Hex, toHex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignetError } from '../core/api/errors.js';
import { certifyOpened, createPurse } from '../core/purse/open.js';
import { nextVoucher, payOffline } from '../core/purse/pay.js';
import {
  addVoucher,
  claimIntent,
  getPurse,
  listVouchers,
  type PurseRecord,
  setPurseState,
} from '../core/purse/purse-store.js';
import { withPurseToken } from '../core/purse/purse-token.js';
import { receivePayment } from '../core/purse/receive.js';
import {
  type PurseCertificate,
  type PurseDomain,
  type Voucher,
  voucherHash,
} from '../core/purse/typed-data.js';
import type { OfflinePayment } from '../core/purse/verify.js';
import { listAudit } from '../core/store/audit-log.js';
import { openStore, type Store } from '../core/store/database.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import { openKeySigner } from '../native/pkcs11/token-access.js';
import { signCertificate } from './support/purse.js';
import { crashAfterTokenWrite, purseStore, tokenAccount } from './support/purse-owner.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';

const hsm = createSoftHsmStore();
const PIN = '1357-pin';
const pins = async () => Buffer.from(PIN);
const search = { configured: [softhsmModule], policy: anyModule };
const domain: PurseDomain = {
  chainId: 31337,
  verifyingContract: getAddress('0x5fbdb2315678afecb367f032d93f642f64180aa3'),
};
const operatorKey = privateKeyToAccount(generatePrivateKey());
const operator = getAddress('0x70997970c51812dc3a010c7d01b50e0d17dc79c8');
const dir = mkdtempSync(join(tmpdir(), 'signet-purse-pay-'));
const NOW = 1_800_000_000n;

interface Holder {
  name: string;
  keyUri: string;
  address: Address;
  store: Store;
  storePath: string;
}
let alice: Holder;
let bob: Holder;
let carol: Holder;

async function holder(name: string): Promise<Holder> {
  const { keyUri, address } = await tokenAccount(hsm, name, PIN, `${name}-account`);
  const storePath = join(dir, `${name}.sqlite`);
  const store = purseStore(storePath, domain, new Map([[operatorKey.address, operator]]), NOW);
  return { name, keyUri, address, store, storePath };
}

async function openPurse(
  owner: Holder,
  epoch: number,
  terms: Partial<{ locked: bigint; cap: bigint; maxCount: number }> = {},
) {
  const purse = await createPurse({ store: owner.store, search, pins }, domain, owner.keyUri, {
    owner: owner.address,
    operator,
    epoch,
    locked: terms.locked ?? 100_00n,
    cap: terms.cap ?? 40_00n,
    maxCount: terms.maxCount ?? 5,
    validFrom: NOW - 60n,
    validUntil: NOW + 3600n,
  });
  // The chain showed it opened with these terms (the chain's part is purse.integration).
  await certifyOpened(owner.store, domain, purse, purse.certificate, certifier, operatorKeys);
  return getPurse(owner.store, domain.chainId, purse.certificate.purse)!;
}

const operatorKeys = new Map([[operatorKey.address, operator]]);
const certifier = async (certificate: PurseCertificate, d: PurseDomain) => ({
  certificate,
  signature: await signCertificate(operatorKey, d, certificate),
});

const payContext = (h: Holder, now = NOW) => ({ store: h.store, search, pins, now });

function paymentOf(purse: PurseRecord, voucher: Voucher, voucherSignature: Hex): OfflinePayment {
  return {
    certificate: purse.certificate,
    certificateSignature: purse.certificateSignature!,
    voucher,
    voucherSignature,
  };
}

const receive = (h: Holder, payment: OfflinePayment, now = NOW) =>
  receivePayment(payment, {
    store: h.store,
    domain,
    ownAccounts: [h.address],
    now,
    receiveLimit: 1_000_00n,
  });

/** The refusal's reason, and proof nothing was stored. */
function refusedReason(h: Holder, attempt: () => unknown): string {
  const before = listVouchers(h.store, domain.chainId).length;
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).message).not.toContain('\n');
    expect(listVouchers(h.store, domain.chainId)).toHaveLength(before);
    return (error as SignetError).code === 'VOUCHER_REFUSED'
      ? String((error as SignetError).details?.reason)
      : (error as SignetError).code;
  }
  throw new Error('not refused');
}

/** Signs a voucher with the purse key straight through PKCS#11: Signet's counter never hears of it. */
async function signBehindSignet(purse: PurseRecord, voucher: Voucher): Promise<Hex> {
  const signer = await openKeySigner(purse.keyUri, search, pins);
  try {
    const { bytes, v } = await signer.sign(
      Buffer.from(voucherHash(domain, voucher).slice(2), 'hex'),
    );
    return `${toHex(bytes)}${(27 + v!).toString(16)}` as Hex;
  } finally {
    await signer.close();
  }
}

beforeAll(async () => {
  hsm.activate();
  alice = await holder('alice');
  bob = await holder('bob');
  carol = await holder('carol');
});
afterAll(() => {
  for (const h of [alice, bob, carol]) h?.store.close();
  hsm.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe('paying offline from a purse on the token', () => {
  let purse: PurseRecord;

  it('pays three times; the payee checks each offline and holds them as pending income', async () => {
    purse = await openPurse(alice, 1);
    expect(purse.keyUri).toContain('object=signet-purse-1');
    for (const amount of [10_00n, 5_50n, 20_00n]) {
      const { paid, resumed } = await payOffline(
        payContext(alice),
        domain,
        purse.certificate.purse,
        bob.address,
        amount,
      );
      expect(resumed).toBeNull();
      const received = receive(bob, paymentOf(purse, paid.voucher, paid.signature));
      expect(received.alreadyHeld).toBe(false);
      expect(received.record.voucherHash).toBe(paid.voucherHash);
    }
    const after = getPurse(alice.store, domain.chainId, purse.certificate.purse)!;
    expect([after.counter, after.cumulative]).toEqual([3, 35_50n]);
    // Each signature is in the audit log, naming the voucher, never a PIN.
    const audited = listAudit(alice.store, { limit: 100 }).filter(
      (e) => e.action === 'sign-voucher',
    );
    expect(audited.map((e) => e.subject.counter).sort()).toEqual([1, 2, 3]);
    expect(JSON.stringify(audited)).not.toContain(PIN);
    expect(
      listVouchers(bob.store, domain.chainId, { direction: 'received' })
        .map((r) => r.voucher.counter)
        .sort(),
    ).toEqual([1, 2, 3]);
    // The token agrees with the host.
    const onToken = await withPurseToken(purse.keyUri, search, pins, (t) =>
      t.readState(purse.certificate.purse),
    );
    expect(onToken.state).toMatchObject({
      counter: 3,
      cumulative: 35_50n,
      locked: false,
      lastVoucherHash: after.lastVoucherHash,
    });
  });

  it('receiving the same payment again changes nothing', async () => {
    const [last] = listVouchers(alice.store, domain.chainId, { direction: 'paid' });
    const again = receive(bob, paymentOf(purse, last!.voucher, last!.signature!));
    expect(again.alreadyHeld).toBe(true);
    expect(listVouchers(bob.store, domain.chainId)).toHaveLength(3);
  });

  it('Signet refuses to pay over the cap, the locked amount or the count, signing nothing', async () => {
    const before = listVouchers(alice.store, domain.chainId).length;
    const code = async (amount: bigint) =>
      payOffline(payContext(alice), domain, purse.certificate.purse, bob.address, amount).then(
        () => 'paid',
        (error: SignetError) => `${error.code}:${error.details?.reason}`,
      );
    expect(await code(40_01n)).toBe('PURSE_LIMIT:over-cap');
    expect(await code(0n)).toBe('PURSE_LIMIT:bad-amount');
    const expired = await payOffline(
      payContext(alice, NOW + 7200n),
      domain,
      purse.certificate.purse,
      bob.address,
      1_00n,
    ).catch((e: SignetError) => e.details?.reason);
    expect(expired).toBe('expired');
    expect(listVouchers(alice.store, domain.chainId)).toHaveLength(before);
  });

  it('a host store restored from a backup cannot reuse a counter: the token refuses, nothing is signed, both sides marked', async () => {
    const own = await openPurse(alice, 2);
    await payOffline(payContext(alice), domain, own.certificate.purse, bob.address, 1_00n);
    // The backup: the store as it was before the next payment.
    alice.store.db.pragma('wal_checkpoint(TRUNCATE)');
    const backup = join(dir, 'alice-backup.sqlite');
    copyFileSync(alice.storePath, backup);
    await payOffline(payContext(alice), domain, own.certificate.purse, carol.address, 2_00n);
    alice.store.close();
    for (const suffix of ['-wal', '-shm']) rmSync(`${alice.storePath}${suffix}`, { force: true });
    copyFileSync(backup, alice.storePath);
    alice.store = openStore(alice.storePath, { now: () => new Date(Number(NOW) * 1000) });
    expect(getPurse(alice.store, domain.chainId, own.certificate.purse)!.counter).toBe(1);
    const vouchersBefore = listVouchers(alice.store, domain.chainId);

    const error = await payOffline(
      payContext(alice),
      domain,
      own.certificate.purse,
      bob.address,
      3_00n,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('PURSE_STATE_MISMATCH');
    expect((error as SignetError).message).toMatch(
      /token's counter is 2 and this computer's 1; nothing was signed/,
    );
    expect(listVouchers(alice.store, domain.chainId)).toEqual(vouchersBefore);
    expect(getPurse(alice.store, domain.chainId, own.certificate.purse)!.mismatch).toBe(true);
    const onToken = await withPurseToken(own.keyUri, search, pins, (t) =>
      t.readState(own.certificate.purse),
    );
    expect(onToken.state).toMatchObject({ counter: 2, locked: true });
    // And it stays refused, from the host's mark, without touching the token.
    await expect(
      payOffline(payContext(alice), domain, own.certificate.purse, bob.address, 1_00n),
    ).rejects.toThrow(/pays offline no more/);
  });

  it('two payments asked at once are signed one after the other, not mistaken for a mismatch', async () => {
    const own = await openPurse(alice, 6);
    const [a, b] = await Promise.all([
      payOffline(payContext(alice), domain, own.certificate.purse, bob.address, 1_00n),
      payOffline(payContext(alice), domain, own.certificate.purse, carol.address, 2_00n),
    ]);
    expect([a.paid.voucher.counter, b.paid.voucher.counter]).toEqual([1, 2]);
    expect(b.paid.voucher.prevVoucherHash).toBe(a.paid.voucherHash);
    expect(getPurse(alice.store, domain.chainId, own.certificate.purse)!.mismatch).toBe(false);
  });

  it('two store handles racing for one counter: the second claim is DEVICE_BUSY, and only one voucher holds the counter', async () => {
    const own = await openPurse(alice, 7);
    const other = openStore(alice.storePath, { now: () => new Date(Number(NOW) * 1000) });
    try {
      // Both processes read counter 0 and build voucher #1, to different payees.
      const intent = (store: Store, payee: Address) => {
        const voucher = nextVoucher(own, payee, 1_00n, NOW);
        return {
          chainId: domain.chainId,
          purseContract: domain.verifyingContract,
          voucherHash: voucherHash(domain, voucher),
          direction: 'paid' as const,
          voucher,
          signature: null,
          certificate: own.certificate,
          certificateSignature: own.certificateSignature!,
          status: 'intent' as const,
          settledTx: null,
          storedAt: store.now().toISOString(),
        };
      };
      claimIntent(other, intent(other, bob.address));
      const refused = (() => {
        try {
          claimIntent(alice.store, intent(alice.store, carol.address));
        } catch (error) {
          return error as SignetError;
        }
      })();
      expect(refused?.code).toBe('DEVICE_BUSY');
      expect(refused?.message).not.toContain('\n');
      const paid = listVouchers(alice.store, domain.chainId, { direction: 'paid' }).filter(
        (v) => v.voucher.purse === own.certificate.purse,
      );
      expect(paid.map((v) => [v.voucher.counter, v.voucher.payee])).toEqual([[1, bob.address]]);
    } finally {
      other.close();
    }
  });

  it("an intent another live process claimed is left alone: DEVICE_BUSY, nothing signed, token unmoved; a dead claimer's is resumed", async () => {
    const own = await openPurse(alice, 8);
    const voucher = nextVoucher(own, bob.address, 3_00n, NOW);
    const hash = voucherHash(domain, voucher);
    const row = {
      chainId: domain.chainId,
      purseContract: domain.verifyingContract,
      voucherHash: hash,
      direction: 'paid' as const,
      voucher,
      signature: null,
      certificate: own.certificate,
      certificateSignature: own.certificateSignature!,
      status: 'intent' as const,
    };
    // The parent process is alive: it is "another process paying" right now.
    addVoucher(alice.store, row, `${process.ppid}@${hostname()}`);
    const audited = listAudit(alice.store, { limit: 500 }).length;
    await expect(
      payOffline(payContext(alice), domain, own.certificate.purse, carol.address, 1_00n),
    ).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    expect(listAudit(alice.store, { limit: 500 }).length).toBe(audited);
    await withPurseToken(own.keyUri, search, pins, async (t) => {
      expect((await t.readState(own.certificate.purse)).state?.counter).toBe(0);
    });
    expect(getPurse(alice.store, domain.chainId, own.certificate.purse)!.counter).toBe(0);
    // The claimer died before moving the token: its intent is dropped and the payment goes on.
    alice.store.db
      .prepare('UPDATE purse_vouchers SET claimed_by = ? WHERE voucher_hash = ?')
      .run(`2147483646@${hostname()}`, hash);
    const { paid, resumed } = await payOffline(
      payContext(alice),
      domain,
      own.certificate.purse,
      carol.address,
      1_00n,
    );
    expect(resumed).toBeNull();
    expect(paid.voucher.counter).toBe(1);
    expect(paid.voucher.payee).toBe(carol.address);
  });

  it('a purse opened on chain and awaiting its certificate pays nothing: one line, nothing stored or signed', async () => {
    const purse = await createPurse({ store: alice.store, search, pins }, domain, alice.keyUri, {
      owner: alice.address,
      operator,
      epoch: 9,
      locked: 100_00n,
      cap: 40_00n,
      maxCount: 5,
      validFrom: NOW - 60n,
      validUntil: NOW + 3600n,
    });
    setPurseState(alice.store, domain.chainId, purse.certificate.purse, 'certifying');
    const before = listVouchers(alice.store, domain.chainId).length;
    const refusal = await payOffline(
      payContext(alice),
      domain,
      purse.certificate.purse,
      bob.address,
      1_00n,
    ).catch((error: SignetError) => error);
    expect(refusal).toMatchObject({
      code: 'PURSE_LIMIT',
      details: { reason: 'awaiting-certificate' },
    });
    expect((refusal as SignetError).message).not.toContain('\n');
    expect(listVouchers(alice.store, domain.chainId).length).toBe(before);
    // A certificate of other terms, or by an unlisted key, is not stored.
    const stranger = privateKeyToAccount(generatePrivateKey());
    const record = getPurse(alice.store, domain.chainId, purse.certificate.purse)!;
    await expect(
      certifyOpened(
        alice.store,
        domain,
        record,
        record.certificate,
        async (c, d) => ({
          certificate: { ...c, cap: c.cap + 1n },
          signature: await signCertificate(operatorKey, d, { ...c, cap: c.cap + 1n }),
        }),
        operatorKeys,
      ),
    ).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    await expect(
      certifyOpened(
        alice.store,
        domain,
        record,
        record.certificate,
        async (c, d) => ({
          certificate: c,
          signature: await signCertificate(stranger, d, c),
        }),
        operatorKeys,
      ),
    ).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    const still = getPurse(alice.store, domain.chainId, purse.certificate.purse)!;
    expect([still.state, still.certificateSignature]).toEqual(['certifying', null]);
    // The right certificate: the purse pays.
    await certifyOpened(alice.store, domain, still, still.certificate, certifier, operatorKeys);
    const { paid } = await payOffline(
      payContext(alice),
      domain,
      purse.certificate.purse,
      bob.address,
      1_00n,
    );
    expect(paid.voucher.counter).toBe(1);
  });

  it('a crash between the token write and the signature resumes with the same voucher', async () => {
    const own = await openPurse(alice, 3);
    // Steps 1 and 2 of a payment, then the crash: the intent row and the token's counter, no signature.
    const voucher = nextVoucher(own, bob.address, 7_00n, NOW);
    const hash = voucherHash(domain, voucher);
    expect(await crashAfterTokenWrite(alice.store, domain, search, pins, own, voucher)).toBe(true);

    const { paid, resumed } = await payOffline(
      payContext(alice, NOW + 5n),
      domain,
      own.certificate.purse,
      carol.address,
      1_00n,
    );
    expect(resumed?.voucherHash).toBe(hash);
    expect(resumed?.voucher).toEqual(voucher);
    expect(paid.voucher.counter).toBe(2);
    expect(paid.voucher.prevVoucherHash).toBe(hash);
    // The resumed voucher is as good as any: its payee takes it.
    expect(receive(bob, paymentOf(own, resumed!.voucher, resumed!.signature)).alreadyHeld).toBe(
      false,
    );
    expect(receive(carol, paymentOf(own, paid.voucher, paid.signature)).alreadyHeld).toBe(false);
  });

  it('a double spend signed behind Signet is refused by a payee holding the first voucher, and taken by one who does not', async () => {
    const own = await openPurse(alice, 4);
    const first = nextVoucher(own, bob.address, 30_00n, NOW);
    const overlapping: Voucher = {
      ...first,
      payee: bob.address,
      amount: 25_00n,
      cumulative: 25_00n,
    };
    const firstSig = await signBehindSignet(own, first);
    const secondSig = await signBehindSignet(own, overlapping);
    receive(bob, paymentOf(own, first, firstSig));
    expect(refusedReason(bob, () => receive(bob, paymentOf(own, overlapping, secondSig)))).toBe(
      'double-spend',
    );
    // Carol, who never saw the first, cannot tell offline: the chain's fraud proof will.
    const toCarol: Voucher = { ...overlapping, payee: carol.address };
    const toCarolSig = await signBehindSignet(own, toCarol);
    expect(receive(carol, paymentOf(own, toCarol, toCarolSig)).alreadyHeld).toBe(false);
  });

  it('refuses offline, storing nothing: expired certificate, unknown operator, over cap, count or locked, tampered, not the payee', async () => {
    const own = await openPurse(alice, 5, { locked: 50_00n, cap: 30_00n, maxCount: 2 });
    const v1 = nextVoucher(own, carol.address, 10_00n, NOW);
    const sig1 = await signBehindSignet(own, v1);
    const p1 = paymentOf(own, v1, sig1);
    expect(refusedReason(carol, () => receive(carol, p1, NOW + 7200n))).toBe('certificate-expired');
    expect(
      refusedReason(carol, () =>
        receive(carol, { ...p1, voucher: { ...v1, amount: 11_00n, cumulative: 11_00n } }),
      ),
    ).toBe('voucher-signature');
    expect(refusedReason(bob, () => receive(bob, p1))).toBe('not-payee');

    const stranger = privateKeyToAccount(generatePrivateKey());
    const forged = await signCertificate(stranger, domain, own.certificate);
    expect(
      refusedReason(carol, () => receive(carol, { ...p1, certificateSignature: forged })),
    ).toBe('certificate-signature');
    // An operator no chain lists, certifying itself.
    const selfCertified = { ...own.certificate, operator: stranger.address };
    const unknown = {
      ...p1,
      certificate: selfCertified,
      certificateSignature: await signCertificate(stranger, domain, selfCertified),
    };
    expect(refusedReason(carol, () => receive(carol, unknown))).toBe('unknown-operator');

    // Signed by the real purse key, beyond the certificate's limits.
    const signed = async (v: Voucher) => paymentOf(own, v, await signBehindSignet(own, v));
    const overCap = await signed({ ...v1, amount: 31_00n, cumulative: 31_00n });
    expect(refusedReason(carol, () => receive(carol, overCap))).toBe('over-cap');
    const overCount = await signed({ ...v1, counter: 3 });
    expect(refusedReason(carol, () => receive(carol, overCount))).toBe('over-count');
    const overLocked = await signed({ ...v1, amount: 20_00n, cumulative: 51_00n });
    expect(refusedReason(carol, () => receive(carol, overLocked))).toBe('over-locked');
    expect(
      listVouchers(carol.store, domain.chainId).some(
        (r) => r.voucher.purse === own.certificate.purse,
      ),
    ).toBe(false);
    // Over the payee's own receive limit (pending offline income it accepts at most).
    expect(
      refusedReason(carol, () =>
        receivePayment(p1, {
          store: carol.store,
          domain,
          ownAccounts: [carol.address],
          now: NOW,
          receiveLimit: 9_99n,
        }),
      ),
    ).toBe('receive-limit');
    // The honest one still goes through afterwards.
    expect(receive(carol, p1).alreadyHeld).toBe(false);
  });
});
