/**
 * The wallet's ledger operations. Each one checks offline what it can, builds
 * the transaction, has the token sign it, and records the signature in the
 * audit log and the transaction in the outbox in one store transaction. None
 * touches the network: `sync` sends.
 */
import { type Address, type Hex, type TransactionSerializable, toHex } from 'viem';
import { type HidBackend, nodeHidBackend } from '../../native/hid/hid-backend.js';
import { isLedgerDeviceUri } from '../../native/hid/uri.js';
import { mapWindowed } from '../../native/map-windowed.js';
import type { PinProvider } from '../../native/pin.js';
import { type Pkcs11Signer, SIGNING_SESSIONS } from '../../native/pkcs11/signer.js';
import { type ModuleSearch, openKeySigner } from '../../native/pkcs11/token-access.js';
import { parsePkcs11Uri } from '../../native/pkcs11/uri.js';
import { SignetError } from '../api/errors.js';
import type { FinanceOfferFile } from '../api/notes.js';
import type { ChainProfile } from '../api/profile.js';
import { type AccountSigner, type KeySources, openAccountSigner } from '../chain/account-signer.js';
import { ChainSigner } from '../chain/chain-signer.js';
import { carriedCallData, p256AccountAddress, p256Factory } from '../chain/p256-account.js';
import { P256AccountSigner } from '../chain/p256-account-signer.js';
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
import type { CarriedPlan } from './carried-operations.js';
import { type financeOfferTypedData, type PlannedCalls, textValues } from './note-calls.js';
import { activeSender, requireFunds, syncedState } from './offline-checks.js';
import { paymentCall } from './payment.js';
import { type Call, planTransactions } from './transaction-plan.js';

/** Signatures in flight at once over the token's sessions: the token never waits for the host. */
const SIGNING_WINDOW = 2 * SIGNING_SESSIONS;

/** No carrier PIN came with the request: the carrier's token is told so, and nothing is tried. */
const noCarrierPins: PinProvider = async (ask) => {
  throw new SignetError('PIN_REQUIRED', `the carrier's token "${ask.token}" needs the PIN`, {
    details: { role: ask.role, token: ask.token },
  });
};

export interface WalletContext {
  store: Store;
  profile: ChainProfile;
  search: ModuleSearch;
  /** PINs for the token of the key that signs (a P-256 account's: its key's). */
  pins: PinProvider;
  /**
   * The PIN of a carrier's token, asked only when the carrier's key is on
   * another token than the P-256 key it carries for (on the same token, the
   * key's login serves both). Left out: that token answers PIN_REQUIRED.
   */
  carrierPins?: PinProvider | undefined;
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
    if (isLedgerDeviceUri(keyUri)) {
      const device = await openAccountSigner(keyUri, this.keys);
      try {
        return this.addSecp256k1Account(device, name);
      } finally {
        await device.close();
      }
    }
    // A token key: secp256k1 is an account itself; P-256 (a TPM's only curve) gets an account contract.
    const key = await openKeySigner(keyUri, this.context.search, this.context.pins);
    try {
      if (key.curve === 'p256') return this.addP256Account(key, name);
      return this.addSecp256k1Account(new ChainSigner(key), name);
    } finally {
      await key.close();
    }
  }

  private addSecp256k1Account(signer: AccountSigner, name?: string): Account {
    const { address } = signer;
    return addAccount(this.context.store, {
      address,
      keyUri: signer.keyUri,
      name: name ?? address,
      curve: 'secp256k1',
      publicKey: `0x${Buffer.from(signer.publicKey).toString('hex')}`,
    });
  }

  /**
   * A P-256 key's account is its account contract's address, computed offline
   * from the ledger's factory and the key (deployed with its first operation).
   */
  private addP256Account(signer: Pkcs11Signer, name?: string): Account {
    const publicKey = toHex(signer.publicKey);
    const address = p256AccountAddress(p256Factory(this.context.profile), publicKey);
    return addAccount(this.context.store, {
      address,
      keyUri: signer.keyUri,
      name: name ?? address,
      curve: 'p256',
      publicKey,
    });
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
    carried,
    reviewDigest,
    signer,
  }: PlannedCalls & {
    txs?: TransactionSerializable[];
    carried?: CarriedPlan;
    reviewDigest?: Hex;
    /** The account's signer, held open by the caller (openSigner) across many queues: not closed here. */
    signer?: AccountSigner;
  }): Promise<OutboxTx[]> {
    if (account.curve === 'p256') {
      if (!carried || !txs) {
        throw new SignetError(
          'INTERNAL',
          'a P-256 account signs only a planned, carried operation',
        );
      }
      return this.signCarriedAndQueue(account, calls, txs, carried, reviewDigest);
    }
    return this.signAndQueue(account, calls, txs, reviewDigest, signer);
  }

  /**
   * A secp256k1 account's signer, logged in, for a caller that queues many
   * times in a row (a provisioning batch: one login, not one per transaction).
   * The caller closes it.
   */
  openSigner(account: Account): Promise<AccountSigner> {
    if (account.curve === 'p256') {
      throw new SignetError('INTERNAL', 'a P-256 account signs only a planned, carried operation');
    }
    return openAccountSigner(account.keyUri, this.keys, { expected: account.address });
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
    held?: AccountSigner,
  ): Promise<OutboxTx[]> {
    const { store, profile } = this.context;
    const txs =
      planned ??
      planTransactions(store, profile, syncedState(store, profile.chainId, account.address), calls);
    if (txs.length !== calls.length) {
      throw new SignetError('INTERNAL', 'the planned transactions do not match the calls');
    }
    if (held && held.address.toLowerCase() !== account.address.toLowerCase()) {
      throw new SignetError('INTERNAL', 'the held signer is not the account’s');
    }
    const signer =
      held ??
      (await openAccountSigner(account.keyUri, this.keys, {
        expected: account.address,
        sessions: calls.length > 1 ? SIGNING_SESSIONS : 1,
      }));
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
      if (!held) await signer.close();
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

  /**
   * The carrier's signer, opened after the P-256 key (logged in already). On
   * the key's own token it is a second key on the key's connection: one login,
   * one PIN, asked once. On another token or a Ledger it is opened on its own,
   * with the carrier's PIN only: the key's PIN is never tried on the carrier's
   * token. Closing it leaves the key's connection to the key.
   */
  private async openCarrier(carrier: Account, key: Pkcs11Signer): Promise<AccountSigner> {
    const expected = carrier.address;
    if (!isLedgerDeviceUri(carrier.keyUri)) {
      const beside = await key.keyBeside(parsePkcs11Uri(carrier.keyUri));
      if (beside) return new ChainSigner(beside, expected);
    }
    const pins = this.context.carrierPins ?? noCarrierPins;
    try {
      return await openAccountSigner(carrier.keyUri, { ...this.keys, pins }, { expected });
    } catch (error) {
      // Which of the request's PINs was wrong (its words name the token already).
      if (error instanceof SignetError && error.code.startsWith('PIN_')) {
        throw new SignetError(error.code, error.message, {
          details: { ...error.details, field: 'carrierPin' },
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * A P-256 account's operations (planned by carried-operations.ts): its key
   * signs each one, the signature takes the place of the zeros in the
   * carrier's planned transaction, and the carrier signs that. Both keys are
   * opened (and logged in) before either signs, so a wrong PIN signs nothing;
   * then both signatures of every operation are audited and the carrier's
   * transactions queued, all or none.
   */
  private async signCarriedAndQueue(
    account: Account,
    calls: Call[],
    txs: TransactionSerializable[],
    { carrier, operations }: CarriedPlan,
    reviewDigest?: Hex,
  ): Promise<OutboxTx[]> {
    const { store, profile, search, pins } = this.context;
    if (txs.length !== calls.length || operations.length !== calls.length) {
      throw new SignetError('INTERNAL', 'the planned operations do not match the calls');
    }
    txs.forEach((tx, i) => {
      if (tx.data !== carriedCallData(account.publicKey, operations[i]!)) {
        throw new SignetError('INTERNAL', 'a planned transaction does not carry its operation');
      }
    });
    const keySigner = await openKeySigner(account.keyUri, search, pins);
    const rows: Array<{ outbox: PreparedOutboxTx; audits: PreparedAuditEntry[] }> = [];
    try {
      const key = new P256AccountSigner(keySigner, account);
      const carrierSigner = await this.openCarrier(carrier, keySigner);
      try {
        for (const [i, call] of calls.entries()) {
          const operation = operations[i]!;
          const tx = txs[i]!;
          const { digest, r, s } = await key.signOperation(profile.chainId, operation);
          const data = carriedCallData(account.publicKey, operation, { r, s });
          const outbox = prepareSigned({
            chainId: profile.chainId,
            from: carrier.address,
            nonce: tx.nonce!,
            raw: await carrierSigner.signTransaction({ ...tx, data }),
            kind: call.kind,
            summary: { ...call.summary, account: account.address, carrier: carrier.address },
            asset: call.asset,
            amount: call.amount,
            carried: { account: account.address, nonce: Number(operation.nonce) },
          });
          const reviewed = reviewDigest ? { reviewDigest } : {};
          const audits = [
            prepareAudit({
              action: 'sign-typed-data',
              keyUri: account.keyUri,
              subject: {
                type: 'Execute',
                kind: call.kind,
                chainId: profile.chainId,
                account: account.address,
                accountNonce: operation.nonce,
                target: operation.target,
                deadline: operation.deadline,
                digest,
                carrier: carrier.address,
                ...call.summary,
                ...reviewed,
              },
              txHash: outbox.txHash,
            }),
            prepareAudit({
              action: 'sign-transaction',
              keyUri: carrier.keyUri,
              subject: {
                kind: call.kind,
                chainId: profile.chainId,
                from: carrier.address,
                nonce: tx.nonce,
                contract: tx.to,
                carries: account.address,
                accountNonce: operation.nonce,
                ...call.summary,
                ...reviewed,
              },
              txHash: outbox.txHash,
            }),
          ];
          rows.push({ outbox, audits });
        }
      } finally {
        await carrierSigner.close();
      }
    } finally {
      await keySigner.close();
    }
    return store.transaction(() => {
      appendPrepared(
        store,
        rows.flatMap((row) => row.audits),
      );
      return addPrepared(
        store,
        rows.map((row) => row.outbox),
      );
    });
  }
}
