/**
 * Reverts in words: the ledger contracts' custom errors decoded by name, so the
 * outbox says "NotRegistered(0x…)" rather than a 4-byte selector.
 */
import { decodeErrorResult, type Hex, parseAbi } from 'viem';
import { SignetError } from '../api/errors.js';
import { offlinePurseErrors } from '../purse/abi.js';

export const chainErrorsAbi = [
  ...parseAbi([
    'error AccountIsFrozen(address account)',
    'error CurrencyNotAccepted(address currency)',
    'error NotRegistered(address account)',
    'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
    'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
    'error AuthorizationAlreadyUsed(address authorizer, bytes32 nonce)',
    'error AuthorizationExpired(uint256 validBefore)',
    'error ECDSAInvalidSignatureS(bytes32 s)',
    'error HolderCannotReceive(address holder)',
    'error InvalidOfferSignature(address holder)',
    'error MaturityNotInFuture(uint64 maturity)',
    'error NotHolder(uint256 tokenId, address caller)',
    'error NotOfferedBank(address caller, address bank)',
    'error NotSystemContract(address currency)',
    'error NoteMatured(uint256 tokenId, uint64 maturity)',
    'error NoteNotMature(uint256 tokenId, uint64 maturity)',
    'error OfferExpired(uint256 deadline)',
    'error OfferNonceUsed(address holder, bytes32 nonce)',
    'error PaymentFailed()',
    'error ValueExceedsNote(uint256 value, uint256 balance)',
    'error ZeroValue()',
    // P-256 accounts (P256Account.sol).
    'error WrongNonce(uint256 expected, uint256 given)',
    'error Expired(uint256 deadline)',
    'error InvalidSignature()',
    'error InvalidPublicKey(bytes32 qx, bytes32 qy)',
    'error NotAnAccount()',
  ]),
  // Offline purses (OfflinePurse.sol): the purse ABI's own error list.
  ...offlinePurseErrors,
] as const;

/** The error's message, with a ledger contract's custom error named when it is one. */
export function revertMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const data =
    error instanceof SignetError ? (error.details?.revertData as Hex | undefined) : undefined;
  if (!data) return message;
  try {
    const decoded = decodeErrorResult({ abi: chainErrorsAbi, data });
    const args = (decoded.args ?? []).map(String).join(', ');
    return `transaction reverted: ${decoded.errorName}(${args})`;
  } catch {
    return message;
  }
}
