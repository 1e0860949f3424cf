/**
 * The parts of the ledger contracts Signet calls and indexes, as human-readable
 * signatures. Core never loads compiler output at run time; a test checks every
 * entry here against the compiled contracts in ledger/.
 */
import { parseAbi } from 'viem';

export const currencyAbi = parseAbi([
  'function balanceOf(address account) view returns (uint256)',
  'function decimals() view returns (uint8)',
  'function isRegistered(address account) view returns (bool)',
  'function isFrozen(address account) view returns (bool)',
  'function transfer(address to, uint256 amount) returns (bool)',
  'function approve(address spender, uint256 amount) returns (bool)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function transferBatch(address[] to, uint256[] amounts)',
  'function registerAccount(address account, bytes32 customerRef)',
  'function hasRole(bytes32 role, address account) view returns (bool)',
  'function operatorOf(address account) view returns (address)',
  'function freeze(address account)',
  'function unfreeze(address account)',
  'event AccountRegistered(address indexed account, address indexed operator, bytes32 customerRef)',
  'function transferWithAuthorization(address from, address to, uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce, uint8 v, bytes32 r, bytes32 s)',
  'function receiveWithAuthorization(address from, address to, uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce, uint8 v, bytes32 r, bytes32 s)',
  'function authorizationState(address authorizer, bytes32 nonce) view returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
]);

export const notesAbi = parseAbi([
  'function issue(address payee, uint256 faceValue, address currency, uint64 maturity) returns (uint256)',
  'function transferFrom(address from, address to, uint256 tokenId)',
  'function transferFrom(uint256 fromTokenId, address to, uint256 value) returns (uint256)',
  'function redeem(uint256 tokenId)',
  'function ownerOf(uint256 tokenId) view returns (address)',
  'function balanceOf(uint256 tokenId) view returns (uint256)',
  'function slotOf(uint256 tokenId) view returns (uint256)',
  'function isDishonoured(uint256 tokenId) view returns (bool)',
  'function slotInfo(uint256 slot) view returns (address acceptor, address currency, uint64 maturity)',
  'struct FinanceOffer { uint256 tokenId; uint256 value; address bank; uint256 price; uint256 deadline; bytes32 nonce; }',
  'function finance(FinanceOffer offer, bytes signature) returns (uint256)',
  'function financeNonceUsed(address holder, bytes32 nonce) view returns (bool)',
  'event NoteRedeemed(uint256 indexed tokenId, address indexed holder, uint256 value)',
  'event NoteDishonoured(uint256 indexed tokenId, address indexed acceptor, address indexed holder, uint256 value)',
]);

/** The EIP-712 offer a note holder signs offline and a financing bank submits. */
export const financeOfferTypes = {
  FinanceOffer: [
    { name: 'tokenId', type: 'uint256' },
    { name: 'value', type: 'uint256' },
    { name: 'bank', type: 'address' },
    { name: 'price', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;
