/**
 * The operator's collection service (`signet collect serve`, issue 13): an HTTP
 * API where reconnecting payees and payers deposit offline payments and
 * holders ask for purse certificates, a store of its own in its data folder,
 * and a submitter that takes the vouchers to the purse contract through the
 * outbox. Everything it needs is in the data folder: a restart (or a kill -9)
 * picks up where it stopped, and nothing is paid twice.
 *
 * Data folder: collect.sqlite (vouchers, batches, fraud pairs, certificates)
 * and signet.sqlite (the submitter's account, outbox, audit log, sync state).
 * The ledger profile is the Signet home's active one.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Address, getAddress } from 'viem';
import type { PinProvider } from '../../native/pin.js';
import { SignetError } from '../api/errors.js';
import {
  certificateRequestSchema,
  collectedVoucherSchema,
  depositRequestSchema,
} from '../api/purse-transit.js';
import { AppContext } from '../app/app-context.js';
import type { Caller } from '../app/dispatcher.js';
import { SyncDriver } from '../app/sync-driver.js';
import { openAccountSigner } from '../chain/account-signer.js';
import { makePrivateDir } from '../config/private-files.js';
import { findAccountByKeyUri } from '../store/accounts.js';
import type { Store } from '../store/database.js';
import { acquire, busy, type HeldLock } from '../store/process-lock.js';
import { issueCertificate } from './certificates.js';
import {
  CertificateKeyCache,
  certificateKeyOperators,
  PurseCache,
  purseStates,
} from './chain-reads.js';
import { countsByStatus, getVoucher, openCollectStore } from './collect-store.js';
import { depositPayments } from './deposit.js';
import { createCollectServer, type Route } from './http-api.js';
import { Submitter } from './submitter.js';

export interface CollectServiceOptions {
  /** The Signet home: its active ledger profile and config. */
  home: string;
  env: NodeJS.ProcessEnv;
  /** The service's own folder (created 0700). */
  dataDir: string;
  host: string;
  port: number;
  /** pkcs11: URI of the key that signs settle and fraud-proof transactions (pays the gas). */
  submitterKey: string;
  /** pkcs11: URI of the operator's certificate key; without it, no certificates. */
  certificateKey?: string | undefined;
  /** PINs of the tokens holding those keys (from a file or stdin, never argv). */
  pins: PinProvider;
  batchSize?: number;
  /** Milliseconds between submission rounds. */
  intervalMs?: number;
  onError?: (error: unknown) => void;
}

export interface CollectService {
  url: string;
  chainId: number;
  purseContract: Address;
  submitter: Address;
  /** Runs a submission round now and waits for it (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function startCollectService(options: CollectServiceOptions): Promise<CollectService> {
  makePrivateDir(options.dataDir);
  const onError = options.onError ?? (() => {});
  const context = new AppContext({
    home: options.home,
    env: options.env,
    storePath: join(options.dataDir, 'signet.sqlite'),
    purpose: 'signet collect serve',
    onInternalError: (_method, error) => onError(error),
  });
  let collect: Store | undefined;
  let held: HeldLock | undefined;
  try {
    const profile = context.profile();
    const purseContract = profile.contracts.offlinePurse;
    if (!purseContract) {
      throw new SignetError(
        'PROFILE_INVALID',
        `ledger "${profile.name}" has no offline purse contract (contracts.offlinePurse)`,
      );
    }
    const caller: Caller = { origin: 'cli', pins: options.pins };
    const wallet = () => context.wallet(profile, caller);
    const signet = context.store();
    // One service per data folder: two would submit the same vouchers twice over
    // (the contract pays once, but the gas would be spent twice).
    const lock = acquire(signet, 'app', 'signet collect serve');
    if ('holder' in lock) throw busy('app', lock.holder);
    held = lock.held;
    const submitterAccount =
      findAccountByKeyUri(signet, options.submitterKey) ??
      (await wallet().addAccount(options.submitterKey, 'collect-submitter'));
    collect = openCollectStore(join(options.dataDir, 'collect.sqlite'));
    const rpc = context.rpc(profile);
    const domain = { chainId: profile.chainId, verifyingContract: getAddress(purseContract) };
    const certificateKeys = new CertificateKeyCache((keys) =>
      certificateKeyOperators(rpc, domain.verifyingContract, keys),
    );
    const purses = new PurseCache((list) => purseStates(rpc, domain.verifyingContract, list));

    const submitter = new Submitter({
      profile,
      purseContract: domain.verifyingContract,
      collect,
      signet,
      sync: new SyncDriver(context),
      rpc,
      wallet,
      submitter: submitterAccount,
      batchSize: options.batchSize ?? 100,
      onError,
    });

    const store = collect;
    const certificateKey = options.certificateKey;
    const routes: Route[] = [
      {
        method: 'GET',
        path: /^\/v1\/health$/,
        handle: () => ({
          ok: true,
          chainId: profile.chainId,
          purseContract: domain.verifyingContract,
          submitter: submitterAccount.address,
          certificates: certificateKey !== undefined,
          vouchers: countsByStatus(store, profile.chainId),
        }),
      },
      {
        method: 'POST',
        path: /^\/v1\/vouchers$/,
        body: depositRequestSchema,
        handle: async (_params, body) => {
          const results = await depositPayments(
            {
              store,
              domain,
              lookupKeys: (keys) => certificateKeys.lookup(keys),
              lookupPurses: (list) => purses.lookup(list),
            },
            (body as { payments: unknown[] }).payments,
          );
          if (results.some((r) => r.status === 'accepted')) void submitter.kick();
          return { results };
        },
      },
      {
        method: 'GET',
        path: /^\/v1\/vouchers\/(0x[0-9a-fA-F]{64})$/,
        handle: ([hash]) => {
          const voucher = getVoucher(store, hash!);
          if (!voucher) {
            throw new SignetError('INVALID_ARGUMENT', `the service holds no voucher ${hash}`, {
              details: { voucherHash: hash },
            });
          }
          return collectedVoucherSchema.parse({
            voucherHash: voucher.hash,
            chainId: voucher.chainId,
            purse: getAddress(voucher.purse),
            counter: voucher.counter,
            payee: getAddress(voucher.payee),
            amount: voucher.amount.toString(),
            status: voucher.status,
            txHash: voucher.txHash,
            reason: voucher.reason,
          });
        },
      },
      {
        method: 'POST',
        path: /^\/v1\/certificates$/,
        body: certificateRequestSchema,
        handle: (_params, body) => {
          if (certificateKey === undefined) {
            throw new SignetError(
              'INVALID_ARGUMENT',
              'this collection service issues no certificates (started without --certificate-key)',
            );
          }
          return issueCertificate(
            {
              store,
              profile,
              purseContract: domain.verifyingContract,
              rpc,
              openSigner: () =>
                openAccountSigner(certificateKey, {
                  search: context.search(caller),
                  pins: options.pins,
                  hid: context.hid,
                }),
              now: () => BigInt(Math.floor(Date.now() / 1000)),
            },
            body as Parameters<typeof issueCertificate>[1],
          );
        },
      },
    ];

    const server = createCollectServer(routes, onError);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(
          new SignetError(
            'INVALID_ARGUMENT',
            `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
          ),
        ),
      );
      server.listen(options.port, options.host, resolve);
    });
    const address = server.address() as AddressInfo;
    const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`;
    lock.held.setLocation(url);

    // Reconcile what a previous run left, then a round every interval.
    void submitter.kick();
    const timer = setInterval(() => void submitter.kick(), options.intervalMs ?? 2_000);

    return {
      url,
      chainId: profile.chainId,
      purseContract: domain.verifyingContract,
      submitter: submitterAccount.address,
      flush: async () => {
        await submitter.idle();
        await submitter.kick();
      },
      close: async () => {
        clearInterval(timer);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await submitter.idle();
        store.close();
        lock.held.release();
        context.close();
      },
    };
  } catch (error) {
    collect?.close();
    held?.release();
    context.close();
    throw error;
  }
}
