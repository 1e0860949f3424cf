/**
 * The offline purse contract (ledger/contracts/OfflinePurse.sol) as core calls and
 * indexes it: human-readable signatures, checked against the compiled contract by
 * test/ledger-abi.integration.test.ts. The structs are core/purse/typed-data.ts's
 * field for field, so a `Voucher` or `PurseCertificate` passes straight in; `open` takes
 * `PurseTerms` (the certificate without `operator`, which the contract reads from the
 * currency) and must fit the operator's on-chain `pursePolicyOf`.
 *
 * Settlement is recorded per purse and counter (a 128-bit tag of the voucher hash,
 * two counters per storage slot: the gas budget), so `isSettled` takes the voucher,
 * not its hash; the VoucherSettled event carries the full hash (indexed).
 */
import { parseAbi } from 'viem';

/** VoucherRejected.reason, as the contract's Rejection enum numbers them. */
export const voucherRejections = {
  1: 'unknown-purse',
  2: 'purse-closed',
  3: 'voucher-signature',
  4: 'wrong-epoch',
  5: 'over-count',
  6: 'bad-amount',
  7: 'bad-cumulative',
  8: 'outside-validity',
  /** Retriable: the payee is not registered, or frozen, in the currency (or is the purse contract). */
  9: 'payee-inactive',
  /** Retriable: fraud overdrew the purse and the operator's pool cannot cover it yet. */
  10: 'guarantee-short',
  /** Permanent: the purse was already paid maxCount × cap in all (the operator's certified exposure). */
  11: 'exposure-exceeded',
} as const;
export type VoucherRejection = (typeof voucherRejections)[keyof typeof voucherRejections];

/** The contract's custom errors; core/chain/revert.ts decodes reverts with these too. */
export const offlinePurseErrors = parseAbi([
  'error NotAnOperator(address account)',
  'error CertificateKeyOfAnotherOperator(address key, address operator)',
  'error NotPurseOwner(address caller, address owner)',
  'error OwnerNotActive(address owner)',
  'error WrongEpoch(uint32 expected, uint32 given)',
  'error PurseExists(address purse)',
  'error InvalidTerms()',
  'error OutsidePolicy(address operator)',
  'error UnknownPurse(address purse)',
  'error PurseIsFrozen(address purse)',
  'error PurseIsClosed(address purse)',
  'error NotThawed(address purse, uint256 thawsAt)',
  'error NotFraud()',
  'error LengthMismatch(uint256 vouchers, uint256 signatures)',
]);

export const offlinePurseAbi = [
  ...parseAbi([
    'struct PurseCertificate { address purse; address owner; uint256 locked; uint256 cap; uint32 maxCount; uint64 validFrom; uint64 validUntil; address operator; uint32 epoch; }',
    'struct PurseTerms { address purse; address owner; uint256 locked; uint256 cap; uint32 maxCount; uint64 validFrom; uint64 validUntil; uint32 epoch; }',
    'struct PursePolicy { uint256 maxLocked; uint256 maxCap; uint32 maxCount; uint64 maxValidity; }',
    'struct Voucher { address purse; uint32 epoch; address payee; uint256 amount; uint32 counter; uint256 cumulative; bytes32 prevVoucherHash; uint64 issuedAt; }',
    'struct PurseState { address owner; address operator; uint256 locked; uint256 cap; uint32 maxCount; uint64 validFrom; uint64 validUntil; uint32 epoch; uint256 paid; uint256 fromGuarantee; bool frozen; bool closed; }',
    'function setCertificateKey(address key, bool listed)',
    'function certificateKeyOperator(address key) view returns (address)',
    'function depositGuarantee(uint256 amount)',
    'function guaranteeOf(address operator) view returns (uint256)',
    'function setPursePolicy(uint256 maxLocked, uint256 maxCap, uint32 maxCount, uint64 maxValidity)',
    'function pursePolicyOf(address operator) view returns (PursePolicy policy)',
    'function open(PurseTerms terms)',
    'function settle(Voucher[] vouchers, bytes[] signatures)',
    'function proveFraud(Voucher a, bytes sigA, Voucher b, bytes sigB)',
    'function close(address purse)',
    'function purseOf(address purse) view returns (PurseState state)',
    'function isSettled(Voucher voucher) view returns (bool)',
    'function settledTag(address purse, uint32 counter) view returns (bytes16)',
    'function epochOf(address owner) view returns (uint32)',
    'function isDefrauder(address account) view returns (bool)',
    'function grace() view returns (uint64)',
    'function currency() view returns (address)',
    'function voucherHash(Voucher voucher) view returns (bytes32)',
    'function certificateHash(PurseCertificate cert) view returns (bytes32)',
    'event CertificateKeySet(address indexed operator, address indexed key, bool listed)',
    'event PurseOpened(address indexed purse, address indexed owner, address indexed operator, uint32 epoch, uint256 locked, uint64 validUntil)',
    'event VoucherSettled(address indexed purse, bytes32 indexed voucherHash, address indexed payee, uint256 amount, uint256 fromGuarantee)',
    'event VoucherRejected(address indexed purse, bytes32 indexed voucherHash, uint8 reason)',
    'event FraudProven(address indexed purse, address indexed owner, bytes32 a, bytes32 b)',
    'event GuaranteeDeposited(address indexed operator, uint256 amount)',
    'event PursePolicySet(address indexed operator, uint256 maxLocked, uint256 maxCap, uint32 maxCount, uint64 maxValidity)',
    'event PurseClosed(address indexed purse, address indexed owner, uint256 refunded)',
  ]),
  ...offlinePurseErrors,
] as const;

/** What `open` takes: a certificate's fields without `operator` (the contract reads it from the currency). */
export interface PurseTerms {
  purse: `0x${string}`;
  owner: `0x${string}`;
  locked: bigint;
  cap: bigint;
  maxCount: number;
  validFrom: bigint;
  validUntil: bigint;
  epoch: number;
}

/** The terms a certificate certifies (field for field, without the operator). */
export function purseTerms(certificate: PurseTerms & { operator?: unknown }): PurseTerms {
  const { purse, owner, locked, cap, maxCount, validFrom, validUntil, epoch } = certificate;
  return { purse, owner, locked, cap, maxCount, validFrom, validUntil, epoch };
}
