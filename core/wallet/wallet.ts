/**
 * The wallet's ledger operations. Each one checks offline what it can, builds
 * the transaction, has the token sign it, and records the signature in the
 * audit log and the transaction in the outbox in one store transaction. None
 * touches the network: `sync` sends.
 */
import type { Address, Hex, TransactionSerializable } from 'viem';
import { type HidBackend, nodeHidBackend } from '../../native/hid/hid-backend.js';
import { mapWindowed } from '../../native/map-windowed.js';
import type { PinProvider } from '../../native/pin.js';
import { SIGNING_SESSIONS } from '../../native/pkcs11/signer.js';
import type { ModuleSearch } from '../../native/pkcs11/token-access.js';
import { SignetError } from '../api/errors.js';
import type { FinanceOfferFile } from '../api/notes.js';
import type { ChainProfile } from '../api/profile.js';
import { type KeySources, openAccountSigner } from '../chain/account-signer.js';
import { type Account, addAccount } from '../store/accounts.js';
import {
  appendAudit,
  appendPrepared,
  type PreparedAuditEntry,
  prepareAudit,
} from '../store/audit-log.js';
import type { Store } from '../store/database.js';
import {
  addPrepared,
  type OutboxTx,
  type PreparedOutboxTx,
  prepareSigned,
} from '../store/outbox.js';
import { type financeOfferTypedData, type PlannedCalls, textValues } from './note-calls.js';
import { activeSender, requireFunds, syncedState } from './offline-checks.js';
import { paymentCall } from './payment.js';
import { type Call, planTransactions } from './transaction-plan.js';

/** Signatures in flight at once over the token's sessions: the token never waits for the host. */
const SIGNING_WINDOW = 2 * SIGNING_SESSIONS;

export interface WalletContext {
  store: Store;
  profile: ChainProfile;
  search: ModuleSearch;
  pins: PinProvider;
  /** The USB HID stack Ledgers are reached through: node-hid unless given (a fake device in tests). */
  hid?: HidBackend;
  now?: () => Date;
}

export class Wallet {
  constructor(private readonly context: WalletContext) {}

  private get keys(): KeySources {
    const { search, pins, hid = nodeHidBackend } = this.context;
    return { search, pins, hid };
  }

  /**
   * Registers a key as a wallet account: on a token (`pkcs11:`) or a Ledger
   * (`ledger:`). Reads its public key; signs nothing.
   */
  async addAccount(keyUri: string, name?: string): Promise<Account> {
    const signer = await openAccountSigner(keyUri, this.keys);
    try {
      const { address } = signer;
      return addAccount(this.context.store, {
        address,
        keyUri: signer.keyUri,
        name: name ?? address,
        curve: 'secp256k1',
        publicKey: `0x${Buffer.from(signer.publicKey).toString('hex')}`,
      });
    } finally {
      await signer.close();
    }
  }

  /** Many payments from one account with one login, planned here (no review): the batch bench. */
  async sendMany(
    fromKeyUri: string,
    payments: Array<{ to: Address; amount: bigint }>,
  ): Promise<OutboxTx[]> {
    const { account, state } = this.sender(fromKeyUri);
    requireFunds(
      this.context.store,
      state,
      payments.reduce((sum, p) => sum + p.amount, 0n),
    );
    return this.signAndQueue(
      account,
      payments.map(({ to, amount }) => paymentCall(this.context.profile, to, amount)),
    );
  }

  /**
   * Signs a finance offer built (and possibly reviewed) by financeOfferTypedData;
   * `reviewDigest`, when it was reviewed, goes into the audit entry.
   */
  async signOffer({
    account,
    typedData,
    reviewDigest,
  }: Pick<ReturnType<typeof financeOfferTypedData>, 'account' | 'typedData'> & {
    reviewDigest?: Hex;
  }): Promise<FinanceOfferFile> {
    const signer = await openAccountSigner(account.keyUri, this.keys, {
      expected: account.address,
    });
    try {
      const { signature } = await signer.signTypedData(typedData);
      const offer = textValues(typedData.message);
      appendAudit(this.context.store, {
        action: 'sign-typed-data',
        keyUri: account.keyUri,
        subject: {
          type: 'FinanceOffer',
          holder: account.address,
          ...offer,
          ...(reviewDigest ? { reviewDigest } : {}),
        },
      });
      return {
        type: 'signet-finance-offer',
        chainId: this.context.profile.chainId,
        notes: this.context.profile.contracts.notes,
        holder: account.address,
        offer,
        signature,
      };
    } finally {
      await signer.close();
    }
  }

  private sender(keyUri: string) {
    return activeSender(this.context.store, this.context.profile.chainId, keyUri);
  }

  /**
   * Signs and queues calls built by the note-calls builders or paymentCall. A
   * reviewed operation passes the transactions it reviewed (`txs`, planned by
   * planTransactions) and their `reviewDigest`: exactly those are signed, and
   * the digest goes into each audit entry.
   */
  queue({
    account,
    calls,
    txs,
    reviewDigest,
  }: PlannedCalls & { txs?: TransactionSerializable[]; reviewDigest?: Hex }): Promise<OutboxTx[]> {
    return this.signAndQueue(account, calls, txs, reviewDigest);
  }

  /**
   * Signs every call with one login, then records them all or none. While the
   * token signs one transaction, the host checks the last signature and builds
   * its audit entry and outbox row; the write transaction at the end holds only
   * the inserts. `planned`: the transactions a review showed, signed as they are.
   */
  private async signAndQueue(
    account: Account,
    calls: Call[],
    planned?: TransactionSerializable[],
    reviewDigest?: Hex,
  ): Promise<OutboxTx[]> {
    const { store, profile } = this.context;
    const txs =
      planned ??
      planTransactions(store, profile, syncedState(store, profile.chainId, account.address), calls);
    if (txs.length !== calls.length) {
      throw new SignetError('INTERNAL', 'the planned transactions do not match the calls');
    }
    const signer = await openAccountSigner(account.keyUri, this.keys, {
      expected: account.address,
      sessions: calls.length > 1 ? SIGNING_SESSIONS : 1,
    });
    let rows: Array<{ outbox: PreparedOutboxTx; audit: PreparedAuditEntry }>;
    try {
      rows = await mapWindowed(txs, SIGNING_WINDOW, async (tx, i) => {
        const call = calls[i]!;
        const outbox = prepareSigned({
          chainId: profile.chainId,
          from: account.address,
          nonce: tx.nonce!,
          raw: await signer.signTransaction(tx),
          kind: call.kind,
          summary: call.summary,
          asset: call.asset,
          amount: call.amount,
        });
        const audit = prepareAudit({
          action: 'sign-transaction',
          keyUri: account.keyUri,
          subject: {
            kind: call.kind,
            chainId: profile.chainId,
            from: account.address,
            nonce: tx.nonce,
            contract: call.to,
            ...call.summary,
            ...(reviewDigest ? { reviewDigest } : {}),
          },
          txHash: outbox.txHash,
        });
        return { outbox, audit };
      });
    } finally {
      await signer.close();
    }
    return store.transaction(() => {
      appendPrepared(
        store,
        rows.map((row) => row.audit),
      );
      return addPrepared(
        store,
        rows.map((row) => row.outbox),
      );
    });
  }
}
