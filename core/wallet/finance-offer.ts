/**
 * The EIP-712 finance offer a note holder signs and a bank submits: its domain
 * (the note contract's own, EIP712("Signet Digital Note", "1")), and who signed
 * an offer file, recovered offline from its signature. finance() pays whoever
 * holds the note when it runs, if that holder signed: so the bank trusts the
 * signer the signature proves, never the `holder` the file merely names.
 */
import { type Address, type Hex, isAddressEqual, recoverTypedDataAddress } from 'viem';
import { SignetError } from '../api/errors.js';
import type { FinanceOfferFile } from '../api/notes.js';
import type { ChainProfile } from '../api/profile.js';
import { financeOfferTypes } from '../chain/abi.js';

export type FinanceOfferMessage = {
  tokenId: bigint;
  value: bigint;
  bank: Address;
  price: bigint;
  deadline: bigint;
  nonce: Hex;
};

/** The typed data of an offer, exactly as the holder's token signs it. */
export function financeOfferTyped(profile: ChainProfile, message: FinanceOfferMessage) {
  return {
    domain: {
      name: 'Signet Digital Note',
      version: '1',
      chainId: profile.chainId,
      verifyingContract: profile.contracts.notes,
    },
    types: financeOfferTypes,
    primaryType: 'FinanceOffer' as const,
    message,
  };
}

/** An offer file's terms as the contract reads them. */
export function offerMessage(file: FinanceOfferFile): FinanceOfferMessage {
  const { offer } = file;
  return {
    tokenId: BigInt(offer.tokenId),
    value: BigInt(offer.value),
    bank: offer.bank as Address,
    price: BigInt(offer.price),
    deadline: BigInt(offer.deadline),
    nonce: offer.nonce as Hex,
  };
}

/**
 * The holder who signed the offer, recovered from its signature over this
 * ledger's domain and the file's terms, and required to be the `holder` the
 * file names (which the review shows and the audit records). A signature over
 * other terms (a price changed after signing) recovers to someone else.
 */
export async function offerSigner(profile: ChainProfile, file: FinanceOfferFile): Promise<Address> {
  let signer: Address;
  try {
    signer = await recoverTypedDataAddress({
      ...financeOfferTyped(profile, offerMessage(file)),
      signature: file.signature as Hex,
    });
  } catch (error) {
    throw new SignetError('INVALID_ARGUMENT', "the offer's signature is not a valid signature", {
      cause: error,
      details: { reason: 'offer-signature-invalid' },
    });
  }
  if (!isAddressEqual(signer, file.holder as Address)) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `the offer names ${file.holder} as the holder, but its signature is by ${signer}: another key signed it, or its terms were changed after signing`,
      { details: { reason: 'offer-signer', holder: file.holder, signer } },
    );
  }
  return signer;
}
