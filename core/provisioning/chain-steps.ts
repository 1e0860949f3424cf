/**
 * The two ledger steps of provisioning a customer, behind a small interface:
 * register this address for this customer reference, and fund this address.
 * `outboxChainSteps` does them the wallet's way: the operator bank's token key
 * signs registerAccount and transfer, queued in the outbox and sent by sync
 * (the same call and reference hash as `signet customer register`).
 *
 * Both steps are asked first whether they already happened ("done"): a
 * transaction queued or confirmed in the outbox for that address, or the
 * chain's own word (registered; a Transfer from the operator to the address),
 * so a resumed batch never registers or funds twice.
 */
import type { Address } from 'viem';
import { SignetError } from '../api/errors.js';
import type { ChainProfile } from '../api/profile.js';
import type { AppContext } from '../app/app-context.js';
import { registryCall } from '../app/customers.js';
import type { Caller } from '../app/dispatcher.js';
import type { SyncDriver } from '../app/sync-driver.js';
import { chainClient, onChain } from '../app/treasury-chain.js';
import { currencyAbi } from '../chain/abi.js';
import type { AccountSigner } from '../chain/account-signer.js';
import { customerRefHash } from '../customers/customer-ref.js';
import { pinnedBlock, requireOperator } from '../customers/registry.js';
import type { Account } from '../store/accounts.js';
import { listOutbox, type OutboxTx } from '../store/outbox.js';
import { findAccount } from '../wallet/find-account.js';
import { paymentCall } from '../wallet/payment.js';
import type { Call } from '../wallet/transaction-plan.js';

/** What a step left: the outbox row of its transaction, or the chain's word that it is done. */
export type StepDone = { outboxId: number; txHash: string } | { onChain: true };

export interface CustomerChainSteps {
  /** The operator's address (the registrar and payer). */
  readonly operator: Address;
  /** Done already (queued, confirmed, or on chain)? */
  registered(address: Address): Promise<StepDone | undefined>;
  register(address: Address, customerRef: string): Promise<StepDone>;
  funded(address: Address, amount: bigint): Promise<StepDone | undefined>;
  fund(address: Address, amount: bigint): Promise<StepDone>;
  /** Sends what is queued and follows it; returns the outbox rows as they stand. */
  settle(outboxIds: number[]): Promise<Map<number, OutboxTx>>;
  /** The operator's live outbox row of `kind` about `account` (a counter's freeze or recovery). */
  queued(kind: Call['kind'], account: Address): OutboxTx | undefined;
  /** Queues one call signed by the operator's key. */
  queue(call: Call): Promise<StepDone & { outboxId: number }>;
  /**
   * From now on the operator's key stays logged in across queue() calls (a
   * batch: one login, not one per transaction) until end(). suspend() logs it
   * out and lets its module go (the batch reopens the module to see new
   * tokens); the next queue() logs in again.
   */
  holdOperator?(): OperatorHold;
}

export interface OperatorHold {
  suspend(): Promise<void>;
  end(): Promise<void>;
}

/** Between looks at the node while a batch's transactions settle (a dev ledger mines at once). */
const SETTLE_POLL_MS = 50;

/** Outbox rows that still stand for a step (not failed, not replaced). */
const live = (tx: OutboxTx) => tx.status !== 'failed' && tx.status !== 'replaced';

export async function outboxChainSteps(
  context: AppContext,
  sync: SyncDriver,
  profile: ChainProfile,
  caller: Caller,
  operatorKeyUri: string,
): Promise<CustomerChainSteps> {
  const store = context.store();
  const wallet = context.wallet(profile, caller);
  let operator: Account;
  try {
    operator = findAccount(store, operatorKeyUri);
  } catch (error) {
    if (!(error instanceof SignetError && error.code === 'ACCOUNT_UNKNOWN')) throw error;
    operator = await wallet.addAccount(operatorKeyUri, 'operator');
  }
  // The nonce and fees come from a sync; the first one also says whether the key is an operator.
  await sync.syncOnce(profile);
  const rpc = context.rpc(profile);
  const client = chainClient(rpc);
  const currency = profile.contracts.currency;
  const operatorKey = { address: operator.address, keyUri: operatorKeyUri };
  await requireOperator(rpc, profile, operatorKey, await pinnedBlock(rpc));
  const ours = (kind: string, to: Address) =>
    listOutbox(store, profile.chainId).find(
      (tx) =>
        tx.from === operator.address &&
        tx.kind === kind &&
        String(kind.startsWith('customer-') ? tx.summary.account : tx.summary.to).toLowerCase() ===
          to.toLowerCase() &&
        live(tx),
    );
  let holding = false;
  let held: Promise<AccountSigner> | undefined;
  const letGo = async () => {
    const signer = held;
    held = undefined;
    await signer?.then(
      (s) => s.close(),
      () => {}, // it never opened: the queue that asked said why
    );
  };
  const queue = async (call: Call): Promise<StepDone & { outboxId: number }> => {
    let signer: AccountSigner | undefined;
    if (holding) {
      held ??= wallet.openSigner(operator);
      try {
        signer = await held;
      } catch (error) {
        held = undefined; // a wrong PIN or a missing token: asked again next time
        throw error;
      }
    }
    const [tx] = await wallet.queue({ account: operator, calls: [call], signer } as never);
    return { outboxId: tx!.id, txHash: tx!.txHash };
  };
  return {
    operator: operator.address,
    queued: (kind, account) => ours(kind, account),
    queue,
    holdOperator() {
      holding = true;
      return {
        suspend: letGo,
        async end() {
          holding = false;
          await letGo();
        },
      };
    },
    async registered(address) {
      const queued = ours('customer-register', address);
      if (queued) return { outboxId: queued.id, txHash: queued.txHash };
      const registeredOnChain = await onChain(
        client.readContract({
          address: currency,
          abi: currencyAbi,
          functionName: 'isRegistered',
          args: [address],
        }),
      );
      return registeredOnChain ? { onChain: true } : undefined;
    },
    register(address, customerRef) {
      // The same call and reference hash as `signet customer register` (core/app/customers.ts).
      return queue(registryCall(profile, 'register', address, customerRefHash(customerRef)));
    },
    async funded(address) {
      const queued = ours('transfer', address);
      if (queued) return { outboxId: queued.id, txHash: queued.txHash };
      const logs = await onChain(
        client.getContractEvents({
          address: currency,
          abi: currencyAbi,
          eventName: 'Transfer',
          args: { from: operator.address, to: address },
          fromBlock: 0n,
        }),
      );
      return logs.length > 0 ? { onChain: true } : undefined;
    },
    fund(address, amount) {
      return queue({
        ...paymentCall(profile, address, amount),
        summary: { to: address, amount: amount.toString() },
      });
    },
    async settle(outboxIds) {
      const settled = new Map<number, OutboxTx>();
      for (let round = 0; round < 100; round++) {
        await sync.syncOnce(profile);
        const rows = listOutbox(store, profile.chainId).filter((tx) => outboxIds.includes(tx.id));
        for (const tx of rows) settled.set(tx.id, tx);
        if (rows.every((tx) => ['confirmed', 'failed', 'replaced'].includes(tx.status))) break;
        await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
      }
      return settled;
    },
  };
}
