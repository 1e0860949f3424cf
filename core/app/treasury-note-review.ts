/**
 * A treasury proposal read back as a note operation (issue 11 §2): the note
 * engine's calls (core/wallet/note-calls.ts), one directly or several through
 * MultiSendCallOnly, decoded from the calldata the owners sign. Only the shapes
 * the engine builds are recognised: one DigitalNote call, and at most an
 * allowance of the currency to that contract; anything else stays a raw call.
 * With no ledger selected (an offline approver) any contract's calls are read by
 * the DigitalNote ABI, and the review says the contract is not verified.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  type Address,
  bytesToHex,
  decodeFunctionData,
  getAddress,
  type Hex,
  hashTypedData,
  hexToBytes,
  isAddressEqual,
  maxUint256,
} from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import type { ChainProfile } from '../api/profile.js';
import { currencyAbi, financeOfferTypes, notesAbi } from '../chain/abi.js';
import { decodeMultiSend, multiSendAbi, type SafeTx } from '../chain/safe.js';
import type { FinanceOfferMessage } from '../wallet/finance-offer.js';
import { gasBudget, type TxKind } from '../wallet/transaction-plan.js';

const day = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString().slice(0, 10);

interface Decoded {
  to: Address;
  data: Hex;
}

export function decodeNoteCall(
  profile: ChainProfile | undefined,
  bundle: { chainId: number; safe: Address },
  tx: Pick<SafeTx, 'to' | 'value' | 'data' | 'operation'>,
) {
  const { safe } = bundle;
  const calls = noteCalls(profile, tx);
  if (!calls) return undefined;
  let note: (Decoded & { call: ReturnType<typeof decodeNotes> }) | undefined;
  let allowance: { token: Address; spender: Address; amount: bigint } | undefined;
  for (const call of calls) {
    const decoded = decodeNotes(call.data);
    if (decoded) {
      if (note) return undefined; // one note operation per proposal
      note = { ...call, call: decoded };
      continue;
    }
    const approve = decodeApprove(call.data);
    if (!approve || allowance) return undefined;
    allowance = { token: getAddress(call.to), ...approve };
  }
  if (!note?.call) return undefined;
  const notes = getAddress(note.to);
  if (profile && !isAddressEqual(notes, profile.contracts.notes)) return undefined;
  if (allowance) {
    if (!isAddressEqual(allowance.spender, notes)) return undefined;
    if (profile && !isAddressEqual(allowance.token, profile.contracts.currency)) return undefined;
  }
  const base = {
    kind: 'note' as const,
    notes,
    verified: profile !== undefined,
    tokenId: null as string | null,
    to: null as string | null,
    faceValue: null as string | null,
    value: null as string | null,
    price: null as string | null,
    maturity: null as string | null,
    currency: (allowance ? allowance.token : null) as string | null,
    deadline: null as string | null,
    allowance: allowance
      ? {
          token: allowance.token,
          spender: allowance.spender,
          amount: allowance.amount === maxUint256 ? 'unlimited' : allowance.amount.toString(),
        }
      : null,
  };
  const { call } = note;
  switch (call.functionName) {
    case 'issue': {
      const [payee, faceValue, currency, maturity] = call.args;
      return {
        ...base,
        op: 'issue' as const,
        to: getAddress(payee),
        faceValue: faceValue.toString(),
        maturity: day(maturity),
        currency: getAddress(currency),
      };
    }
    case 'transferFrom': {
      const [first, to, third] = call.args;
      if (typeof first === 'string') {
        // A whole note; from anyone but the treasury it would be a transfer on another's behalf.
        if (!isAddressEqual(first, safe)) return undefined;
        return {
          ...base,
          op: 'endorse' as const,
          tokenId: third.toString(),
          to: getAddress(to),
        };
      }
      return {
        ...base,
        op: 'split' as const,
        tokenId: first.toString(),
        to: getAddress(to),
        value: third.toString(),
      };
    }
    case 'redeem':
      return { ...base, op: 'redeem' as const, tokenId: call.args[0].toString() };
    case 'finance': {
      const [offer, signature] = call.args;
      // The treasury finances as the bank the offer names; any other bank and the call reverts.
      if (!isAddressEqual(offer.bank, safe)) return undefined;
      return {
        ...base,
        op: 'finance-accept' as const,
        to: offerSigner(bundle.chainId, notes, offer, signature),
        tokenId: offer.tokenId.toString(),
        value: offer.value.toString(),
        price: offer.price.toString(),
        deadline: new Date(Number(offer.deadline) * 1000).toISOString(),
      };
    }
  }
}

/**
 * The holder who signed the offer, and whom finance() pays: recovered from the
 * signature over the note contract's EIP-712 domain (finance-offer.ts), here
 * synchronously (a review is). Null when the signature recovers no key.
 */
function offerSigner(
  chainId: number,
  notes: Address,
  offer: FinanceOfferMessage,
  signature: Hex,
): Address | null {
  try {
    const digest = hashTypedData({
      domain: { name: 'Signet Digital Note', version: '1', chainId, verifyingContract: notes },
      types: financeOfferTypes,
      primaryType: 'FinanceOffer',
      message: offer,
    });
    const bytes = hexToBytes(signature);
    if (bytes.length !== 65) return null;
    const v = bytes[64]!;
    // noble's "recovered" format puts the recovery bit first: [recovery, r, s].
    const recovered = new Uint8Array([v >= 27 ? v - 27 : v, ...bytes.slice(0, 64)]);
    const point = secp256k1.Signature.fromBytes(recovered, 'recovered').recoverPublicKey(
      hexToBytes(digest),
    );
    return publicKeyToAddress(bytesToHex(point.toBytes(false)));
  } catch {
    return null;
  }
}

/** The plain calls of the proposal: itself, or the MultiSendCallOnly batch it delegates to. */
function noteCalls(
  profile: ChainProfile | undefined,
  tx: Pick<SafeTx, 'to' | 'value' | 'data' | 'operation'>,
): Decoded[] | undefined {
  if (tx.value !== 0n) return undefined;
  if (tx.operation === 0) return [{ to: tx.to, data: tx.data }];
  if (profile && !isAddressEqual(tx.to, profile.contracts.multiSendCallOnly)) return undefined;
  try {
    const { args } = decodeFunctionData({ abi: multiSendAbi, data: tx.data });
    const calls = decodeMultiSend(args[0]);
    if (calls.some((c) => (c.value ?? 0n) !== 0n)) return undefined;
    return calls.map((c) => ({ to: c.to, data: c.data }));
  } catch {
    return undefined;
  }
}

function decodeNotes(data: Hex) {
  try {
    const decoded = decodeFunctionData({ abi: notesAbi, data });
    switch (decoded.functionName) {
      case 'issue':
      case 'transferFrom':
      case 'redeem':
      case 'finance':
        return decoded;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

function decodeApprove(data: Hex) {
  try {
    const decoded = decodeFunctionData({ abi: currencyAbi, data });
    if (decoded.functionName !== 'approve') return undefined;
    const [spender, amount] = decoded.args;
    return { spender: getAddress(spender), amount };
  } catch {
    return undefined;
  }
}

type NoteCall = NonNullable<ReturnType<typeof decodeNoteCall>>;

const NOTE_GAS: Record<NoteCall['op'], TxKind> = {
  issue: 'note-issue',
  endorse: 'note-endorse',
  split: 'note-split',
  redeem: 'note-redeem',
  'finance-accept': 'note-finance',
};

/** execTransaction's gas for a note proposal: the Safe's own, the note call's and the allowance's. */
export function noteExecutionGas(call: NoteCall): bigint {
  return (
    gasBudget['treasury-execute'] +
    gasBudget[NOTE_GAS[call.op]] +
    (call.allowance ? gasBudget.approve : 0n)
  );
}
