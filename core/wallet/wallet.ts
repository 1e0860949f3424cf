/**
 * The wallet's ledger operations. Each one checks offline what it can, builds
 * the transaction, has the token sign it, and records the signature in the
 * audit log and the transaction in the outbox in one store transaction. None
 * touches the network: `sync` sends.
 */
import { randomBytes } from 'node:crypto';
import { type Address, encodeFunctionData, type Hex, maxUint256 } from 'viem';
import type { PinProvider } from '../../native/pin.js';
import { SignetError } from '../api/errors.js';
import type { LedgerProfile } from '../api/profile.js';
import { type ModuleSearch, openKeySigner } from '../devices/token-access.js';
import { currencyAbi, financeOfferTypes, notesAbi } from '../ledger/abi.js';
import { LedgerSigner } from '../ledger/ledger-signer.js';
import { type Account, addAccount } from '../store/accounts.js';
import { appendAudit } from '../store/audit-log.js';
import { getChainMeta, ledgerNow } from '../store/chain-meta.js';
import type { Store } from '../store/database.js';
import { addSigned, listOutbox, type OutboxTx } from '../store/outbox.js';
import {
  activeSender,
  heldNote,
  requireBeforeMaturity,
  requireFunds,
  requireMatured,
  syncedState,
} from './offline-checks.js';
import { checkedPayment, paymentCall } from './payment.js';
import { planTransaction, type TxKind } from './transaction-plan.js';

export interface WalletContext {
  store: Store;
  profile: LedgerProfile;
  search: ModuleSearch;
  pins: PinProvider;
  now?: () => Date;
}

interface Call {
  to: Address;
  data: Hex;
  kind: TxKind;
  summary: Record<string, unknown>;
  asset: 'currency' | 'note';
  /** Outgoing currency (minor units) this transaction commits. */
  amount: bigint;
}

export class Wallet {
  constructor(private readonly context: WalletContext) {}

  /** The ledger's time as best known offline: maturity is judged by block time. */
  private get now(): Date {
    return ledgerNow(
      getChainMeta(this.context.store, this.context.profile.chainId),
      this.context.now?.() ?? new Date(),
    );
  }

  /** Registers a token key as a wallet account (reads its public key; signs nothing). */
  async addAccount(keyUri: string, name?: string): Promise<Account> {
    const signer = await openKeySigner(keyUri, this.context.search, this.context.pins);
    try {
      const ledger = new LedgerSigner(signer);
      return addAccount(this.context.store, {
        address: ledger.address,
        keyUri: signer.keyUri,
        name: name ?? ledger.address,
        curve: 'secp256k1',
        publicKey: `0x${Buffer.from(signer.publicKey).toString('hex')}`,
      });
    } finally {
      await signer.close();
    }
  }

  async send(fromKeyUri: string, to: Address, amount: bigint): Promise<OutboxTx> {
    const { account, call } = checkedPayment(
      this.context.store,
      this.context.profile,
      fromKeyUri,
      to,
      amount,
    );
    const [queued] = await this.signAndQueue(account, [call]);
    return queued!;
  }

  /** Many payments from one account with one login; the bench and payroll use it. */
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

  /** The acceptor (debtor) issues a note to a payee, and approves paying it at maturity. */
  async issueNote(
    fromKeyUri: string,
    payee: Address,
    faceValue: bigint,
    maturity: Date,
  ): Promise<OutboxTx[]> {
    const { account } = this.sender(fromKeyUri);
    if (maturity.getTime() <= this.now.getTime()) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `the maturity ${maturity.toISOString().slice(0, 10)} is not in the future`,
      );
    }
    const { currency, notes } = this.context.profile.contracts;
    const seconds = BigInt(Math.floor(maturity.getTime() / 1000));
    return this.signAndQueue(account, [
      {
        to: notes,
        data: encodeFunctionData({
          abi: notesAbi,
          functionName: 'issue',
          args: [payee, faceValue, currency, seconds],
        }),
        kind: 'note-issue',
        summary: {
          payee,
          faceValue: faceValue.toString(),
          maturity: maturity.toISOString().slice(0, 10),
        },
        asset: 'note',
        amount: 0n,
      },
      // Redemption pulls the face value from the acceptor at maturity. The approval is
      // unlimited: a finite one would replace (not add to) the one earlier notes rely
      // on, and the note contract pulls only what matured notes entitle it to.
      {
        to: currency,
        data: encodeFunctionData({
          abi: currencyAbi,
          functionName: 'approve',
          args: [notes, maxUint256],
        }),
        kind: 'approve',
        summary: { spender: notes, amount: 'unlimited', for: 'note redemption' },
        asset: 'currency',
        amount: 0n,
      },
    ]);
  }

  async endorseNote(fromKeyUri: string, tokenId: bigint, to: Address): Promise<OutboxTx> {
    const { account } = this.holder(fromKeyUri, tokenId, 'before-maturity');
    const data = encodeFunctionData({
      abi: notesAbi,
      functionName: 'transferFrom',
      args: [account.address, to, tokenId],
    });
    const [queued] = await this.signAndQueue(account, [
      {
        to: this.context.profile.contracts.notes,
        data,
        kind: 'note-endorse',
        summary: { tokenId: tokenId.toString(), to },
        asset: 'note',
        amount: 0n,
      },
    ]);
    return queued!;
  }

  async splitNote(
    fromKeyUri: string,
    tokenId: bigint,
    to: Address,
    value: bigint,
  ): Promise<OutboxTx> {
    const { account, note } = this.holder(fromKeyUri, tokenId, 'before-maturity');
    if (value >= note.value) {
      throw new SignetError(
        'AMOUNT_INVALID',
        `a split must leave value on note ${tokenId} (it holds ${note.value}); endorse it to move it whole`,
      );
    }
    const data = encodeFunctionData({
      abi: notesAbi,
      functionName: 'transferFrom',
      args: [tokenId, to, value],
    });
    const [queued] = await this.signAndQueue(account, [
      {
        to: this.context.profile.contracts.notes,
        data,
        kind: 'note-split',
        summary: { tokenId: tokenId.toString(), to, value: value.toString() },
        asset: 'note',
        amount: 0n,
      },
    ]);
    return queued!;
  }

  async redeemNote(fromKeyUri: string, tokenId: bigint): Promise<OutboxTx> {
    const { account } = this.holder(fromKeyUri, tokenId, 'matured');
    const data = encodeFunctionData({ abi: notesAbi, functionName: 'redeem', args: [tokenId] });
    const [queued] = await this.signAndQueue(account, [
      {
        to: this.context.profile.contracts.notes,
        data,
        kind: 'note-redeem',
        summary: { tokenId: tokenId.toString() },
        asset: 'note',
        amount: 0n,
      },
    ]);
    return queued!;
  }

  /**
   * Finance, step 1 (the holder, possibly offline): sign an offer to sell `value`
   * of a note to `bank` for `price`. The offer travels to the bank as a file.
   */
  async signFinanceOffer(
    fromKeyUri: string,
    tokenId: bigint,
    bank: Address,
    value: bigint,
    price: bigint,
    deadline: Date,
  ): Promise<FinanceOfferFile> {
    const { account, note } = this.holder(fromKeyUri, tokenId, 'before-maturity');
    if (value > note.value)
      throw new SignetError(
        'AMOUNT_INVALID',
        `note ${tokenId} holds ${note.value}, less than ${value}`,
      );
    const offer = {
      tokenId,
      value,
      bank,
      price,
      deadline: BigInt(Math.floor(deadline.getTime() / 1000)),
      nonce: `0x${randomBytes(32).toString('hex')}` as Hex,
    };
    const signer = new LedgerSigner(
      await openKeySigner(account.keyUri, this.context.search, this.context.pins),
      account.address,
    );
    try {
      const definition = {
        domain: {
          name: 'Signet Digital Note',
          version: '1',
          chainId: this.context.profile.chainId,
          verifyingContract: this.context.profile.contracts.notes,
        },
        types: financeOfferTypes,
        primaryType: 'FinanceOffer' as const,
        message: offer,
      };
      const { signature } = await signer.signTypedData(definition);
      appendAudit(this.context.store, {
        action: 'sign-typed-data',
        keyUri: account.keyUri,
        subject: { type: 'FinanceOffer', holder: account.address, ...stringify(offer) },
      });
      return {
        type: 'signet-finance-offer',
        chainId: this.context.profile.chainId,
        notes: this.context.profile.contracts.notes,
        holder: account.address,
        offer: stringify(offer),
        signature,
      };
    } finally {
      await signer.close();
    }
  }

  /** Finance, step 2 (the bank): approve the price and submit the holder's offer. */
  async acceptFinanceOffer(bankKeyUri: string, file: FinanceOfferFile): Promise<OutboxTx[]> {
    const { account, state } = this.sender(bankKeyUri);
    const { profile } = this.context;
    if (
      file.chainId !== profile.chainId ||
      file.notes.toLowerCase() !== profile.contracts.notes.toLowerCase()
    ) {
      throw new SignetError(
        'WRONG_CHAIN',
        `the offer is for chain ${file.chainId} contract ${file.notes}, not this ledger`,
      );
    }
    if (file.offer.bank.toLowerCase() !== account.address.toLowerCase()) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `the offer is made to bank ${file.offer.bank}, not ${account.address}`,
      );
    }
    const price = BigInt(file.offer.price);
    requireFunds(this.context.store, state, price);
    const taken = listOutbox(this.context.store, profile.chainId).find(
      (tx) =>
        tx.kind === 'note-finance' &&
        tx.summary.nonce === file.offer.nonce &&
        tx.status !== 'failed',
    );
    if (taken) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        `this offer was already accepted (transaction ${taken.txHash})`,
      );
    }
    const offer = {
      tokenId: BigInt(file.offer.tokenId),
      value: BigInt(file.offer.value),
      bank: file.offer.bank as Address,
      price,
      deadline: BigInt(file.offer.deadline),
      nonce: file.offer.nonce as Hex,
    };
    return this.signAndQueue(account, [
      {
        to: profile.contracts.currency,
        // Unlimited for the same reason as at issue: a finite approval would replace
        // the one this bank's own notes may rely on. finance() pulls only the price
        // of an offer the holder signed and this bank submits.
        data: encodeFunctionData({
          abi: currencyAbi,
          functionName: 'approve',
          args: [profile.contracts.notes, maxUint256],
        }),
        kind: 'approve',
        summary: {
          spender: profile.contracts.notes,
          amount: 'unlimited',
          for: `financing note ${offer.tokenId}`,
        },
        asset: 'currency',
        amount: price,
      },
      {
        to: profile.contracts.notes,
        data: encodeFunctionData({
          abi: notesAbi,
          functionName: 'finance',
          args: [offer, file.signature],
        }),
        kind: 'note-finance',
        summary: {
          tokenId: offer.tokenId.toString(),
          holder: file.holder,
          value: offer.value.toString(),
          price: price.toString(),
          nonce: offer.nonce,
        },
        asset: 'note',
        amount: 0n,
      },
    ]);
  }

  /** The account holding a note, checked for the moment the operation needs. */
  private holder(keyUri: string, tokenId: bigint, when: 'before-maturity' | 'matured') {
    const { account } = this.sender(keyUri);
    const note = heldNote(
      this.context.store,
      this.context.profile.chainId,
      tokenId,
      account.address,
    );
    if (when === 'matured') requireMatured(note, this.now);
    else requireBeforeMaturity(note, this.now);
    return { account, note };
  }

  private sender(keyUri: string) {
    return activeSender(this.context.store, this.context.profile.chainId, keyUri);
  }

  /** Signs every call with one login, then records them all or none. */
  private async signAndQueue(account: Account, calls: Call[]): Promise<OutboxTx[]> {
    const { store, profile } = this.context;
    const state = syncedState(store, profile.chainId, account.address);
    const txs = calls.map((call, i) => planTransaction(store, profile, state, call, i));
    const signer = new LedgerSigner(
      await openKeySigner(
        account.keyUri,
        this.context.search,
        this.context.pins,
        calls.length > 1 ? 4 : 1,
      ),
      account.address,
    );
    let signed: Awaited<ReturnType<LedgerSigner['signTransaction']>>[];
    try {
      signed = await signer.signTransactions(txs);
    } finally {
      await signer.close();
    }
    return store.transaction(() =>
      calls.map((call, i) => {
        const tx = txs[i]!;
        const { raw, hash } = signed[i]!;
        appendAudit(store, {
          action: 'sign-transaction',
          keyUri: account.keyUri,
          subject: {
            kind: call.kind,
            chainId: profile.chainId,
            from: account.address,
            nonce: tx.nonce,
            contract: call.to,
            ...call.summary,
          },
          txHash: hash,
        });
        return addSigned(store, {
          chainId: profile.chainId,
          from: account.address,
          nonce: tx.nonce!,
          txHash: hash,
          raw,
          kind: call.kind,
          summary: call.summary,
          asset: call.asset,
          amount: call.amount,
        });
      }),
    );
  }
}

export interface FinanceOfferFile {
  type: 'signet-finance-offer';
  chainId: number;
  notes: string;
  holder: string;
  offer: {
    tokenId: string;
    value: string;
    bank: string;
    price: string;
    deadline: string;
    nonce: string;
  };
  signature: Hex;
}

function stringify<T extends Record<string, unknown>>(value: T): { [K in keyof T]: string } {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) as never;
}
