/**
 * The customer reference an operator bank registers an account under: the
 * bank's own text (a customer number, a KYC file id), of which only a hash
 * goes on chain (DigitalCurrency.registerAccount's `customerRef`), so the bank
 * can match an account to its records while the ledger learns no personal data.
 *
 * The hash: keccak256 of the UTF-8 bytes of `signet-customer-ref-1:` followed
 * by the reference normalised: Unicode NFC, white space around it removed
 * (inside it kept), case kept; 1 to 128 characters (code points) after that,
 * no control characters. The fixed prefix keeps it apart from any other hash
 * of the same text (an address's keccak, another tool's reference hash). A
 * bank recomputes it from its records with any keccak256.
 *
 * A short reference (a sequential customer number) can be guessed from its
 * hash by trying them all: the hash hides the text from a casual reader, not
 * from someone who knows the bank's numbering.
 */
import { type Hex, keccak256, stringToBytes } from 'viem';
import { SignetError } from '../api/errors.js';

export const CUSTOMER_REF_TAG = 'signet-customer-ref-1:';
export const MAX_CUSTOMER_REF_CHARS = 128;

// Control characters (C0, DEL, C1), and the line and paragraph separators.
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/** The reference as it is hashed, or a one-line INVALID_ARGUMENT naming the field. */
export function normaliseCustomerRef(text: string): string {
  const normalised = text.normalize('NFC').trim();
  const refuse = (reason: string, message: string) =>
    new SignetError('INVALID_ARGUMENT', message, { details: { field: 'customer', reason } });
  if (normalised.length === 0) {
    throw refuse('customer-empty', 'the customer reference is empty');
  }
  const chars = [...normalised].length;
  if (chars > MAX_CUSTOMER_REF_CHARS) {
    throw refuse(
      'customer-too-long',
      `the customer reference has ${chars} characters; at most ${MAX_CUSTOMER_REF_CHARS}`,
    );
  }
  if (CONTROL.test(normalised)) {
    throw refuse('customer-control', 'the customer reference contains a control character');
  }
  return normalised;
}

/** The 32 bytes registerAccount records for `text` (see above). */
export function customerRefHash(text: string): Hex {
  return keccak256(stringToBytes(`${CUSTOMER_REF_TAG}${normaliseCustomerRef(text)}`));
}
