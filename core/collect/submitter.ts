/**
 * Takes deposited vouchers to the chain: fraud proofs first (one per purse),
 * then the pending vouchers in batches to OfflinePurse.settle, each signed by
 * the service's submitter key through the wallet (outbox, audit log) and sent
 * by the sync like every Signet transaction. One round at a time:
 *
 *   1. sync: send what the outbox holds, follow receipts to the confirmation depth;
 *   2. reconcile each open batch with its outbox row: confirmed → ask a quorum of
 *      nodes which of its vouchers are settled (those are; the rest wait for the
 *      next batch) or whether the purse is frozen; failed → its vouchers go back;
 *      still signing after a crash → adopt the transaction the outbox holds for it,
 *      or release its vouchers;
 *   3. sign the next fraud proof and the next settle batch, then sync to send them.
 *
 * Nothing is paid twice: the contract skips a voucher it settled, and a voucher
 * is marked settled only when a quorum shows it so.
 */
import type { Address } from 'viem';
import { encodeFunctionData } from 'viem';
import type { ChainProfile } from '../api/profile.js';
import type { SyncDriver } from '../app/sync-driver.js';
import { offlinePurseAbi } from '../purse/abi.js';
import { paymentFromJson } from '../purse/payment-file.js';
import type { RpcPool } from '../rpc/rpc-pool.js';
import type { Account } from '../store/accounts.js';
import type { Store } from '../store/database.js';
import { getOutbox, listOutbox, type OutboxTx } from '../store/outbox.js';
import type { Wallet } from '../wallet/wallet.js';
import { purseState, RETRIABLE_REJECTIONS, rejectionsIn, settledVouchers } from './chain-reads.js';
import {
  type Batch,
  batchQueued,
  batchVouchers,
  type CollectedVoucher,
  finishBatch,
  fraudOfBatch,
  openBatches,
  startFraudBatch,
  startSettleBatch,
} from './collect-store.js';

export interface SubmitterContext {
  profile: ChainProfile;
  purseContract: Address;
  /** The service's vouchers. */
  collect: Store;
  /** The service's Signet store: accounts, outbox. */
  signet: Store;
  sync: SyncDriver;
  rpc: RpcPool;
  wallet(): Wallet;
  submitter: Account;
  batchSize: number;
  onError(error: unknown): void;
}

/** Gas for a settle batch: a base and a share per voucher (measured ≈ 60k each batched). */
export function settleGas(count: number): bigint {
  return 200_000n + 120_000n * BigInt(count);
}

export class Submitter {
  #running: Promise<void> | undefined;
  #again = false;

  constructor(private readonly context: SubmitterContext) {}

  /** Runs a round now, or once more after the one running. */
  kick(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.round();
        } while (this.#again);
      } catch (error) {
        this.context.onError(error);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Waits for the round in progress, if any. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  private async round(): Promise<void> {
    const { profile, sync } = this.context;
    await sync.syncOnce(profile);
    await this.reconcile();
    const signed = (await this.submitFraud()) + (await this.submitSettle());
    if (signed > 0) {
      await sync.syncOnce(profile);
      await this.reconcile();
    }
  }

  private async reconcile(): Promise<void> {
    const { collect, signet, profile } = this.context;
    for (const batch of openBatches(collect, profile.chainId)) {
      if (batch.status === 'signing') {
        // A crash between signing and recording: the outbox says whether it was signed.
        const tx = listOutbox(signet, profile.chainId).find(
          (row) => row.summary.collectBatch === batch.id,
        );
        if (tx) batchQueued(collect, batch.id, tx.txHash);
        else finishBatch(collect, batch, { ok: false });
        continue;
      }
      const tx = batch.txHash ? getOutbox(signet, batch.txHash) : undefined;
      if (!tx || tx.status === 'failed' || tx.status === 'replaced') {
        finishBatch(collect, batch, { ok: false });
      } else if (tx.status === 'confirmed') {
        await this.finishConfirmed(batch, tx);
      }
    }
  }

  private async finishConfirmed(batch: Batch, tx: OutboxTx): Promise<void> {
    const { collect, purseContract } = this.context;
    const rpc = this.rpc();
    if (batch.kind === 'settle') {
      const vouchers = batchVouchers(collect, batch.id);
      const settled = await settledVouchers(
        rpc,
        purseContract,
        vouchers.map((v) => paymentFromJson(v.payment).voucher),
      );
      // No quorum on some: ask again next round, leaving the batch open.
      if (settled.some((s) => s === undefined)) return;
      const unpaid = vouchers.filter((_, i) => !settled[i]).map((v) => v.hash);
      const reasons =
        unpaid.length > 0 && tx.blockNumber !== null
          ? await rejectionsIn(rpc, purseContract, tx.blockNumber, unpaid)
          : new Map<string, string>();
      if (reasons === undefined) return;
      const rejected = new Map<string, string>();
      const retry = new Map<string, string>();
      for (const [hash, reason] of reasons) {
        (RETRIABLE_REJECTIONS.has(reason) ? retry : rejected).set(hash, reason);
      }
      finishBatch(collect, batch, {
        ok: true,
        settled: vouchers.filter((_, i) => settled[i]).map((v) => v.hash),
        rejected,
        retry,
      });
    } else {
      const fraud = fraudOfBatch(collect, batch.id);
      const state = fraud
        ? await purseState(rpc, purseContract, fraud.purse as Address)
        : undefined;
      if (fraud && state === undefined) return;
      finishBatch(collect, batch, { ok: true, proven: state?.frozen === true });
    }
  }

  private async submitFraud(): Promise<number> {
    const { collect, profile, purseContract } = this.context;
    if (openBatches(collect, profile.chainId).some((b) => b.kind === 'fraud')) return 0;
    const started = startFraudBatch(collect, profile.chainId);
    if (!started) return 0;
    const { batch, fraud } = started;
    // A purse frozen already (settle caught the fraud, or another prover) is proven: the
    // contract refuses a second proof (PurseIsFrozen), so nothing is sent.
    const state = await purseState(this.rpc(), purseContract, fraud.purse as Address);
    if (state?.frozen) {
      finishBatch(collect, batch, { ok: true, proven: true });
      return 0;
    }
    const a = paymentFromJson(fraud.a.payment);
    const b = paymentFromJson(fraud.b.payment);
    await this.sign(batch, {
      to: purseContract,
      data: encodeFunctionData({
        abi: offlinePurseAbi,
        functionName: 'proveFraud',
        args: [a.voucher, a.voucherSignature, b.voucher, b.voucherSignature],
      }),
      kind: 'purse-fraud',
      summary: { collectBatch: batch.id, purse: fraud.purse, a: fraud.a.hash, b: fraud.b.hash },
      asset: 'currency',
      amount: 0n,
      gas: 400_000n,
    });
    return 1;
  }

  private async submitSettle(): Promise<number> {
    const { collect, profile, purseContract, batchSize } = this.context;
    if (openBatches(collect, profile.chainId).some((b) => b.kind === 'settle')) return 0;
    const started = startSettleBatch(collect, profile.chainId, batchSize);
    if (!started) return 0;
    const { batch, vouchers } = started;
    const payments = vouchers.map((v: CollectedVoucher) => paymentFromJson(v.payment));
    await this.sign(batch, {
      to: purseContract,
      data: encodeFunctionData({
        abi: offlinePurseAbi,
        functionName: 'settle',
        args: [payments.map((p) => p.voucher), payments.map((p) => p.voucherSignature)],
      }),
      kind: 'purse-settle',
      summary: { collectBatch: batch.id, vouchers: vouchers.length },
      asset: 'currency',
      amount: 0n,
      gas: settleGas(vouchers.length),
    });
    return 1;
  }

  /** Signs the batch's call and records its transaction; on failure its vouchers go back. */
  private async sign(batch: Batch, call: Parameters<Wallet['queue']>[0]['calls'][number]) {
    const { collect, submitter } = this.context;
    try {
      const [tx] = await this.context.wallet().queue({ account: submitter, calls: [call] });
      batchQueued(collect, batch.id, tx!.txHash);
    } catch (error) {
      finishBatch(collect, batch, { ok: false });
      throw error;
    }
  }

  private rpc() {
    return this.context.rpc;
  }
}
