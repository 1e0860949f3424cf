/**
 * The review digest: one keccak-256 over exactly what the token will be asked
 * to sign, so "what was reviewed" and "what is signed" can be compared as two
 * 32-byte values. For transactions: each one unsigned, serialized as it is
 * hashed for signing (chain id, nonce, fees, gas, the contract it calls, its
 * calldata), in order. For typed data: its EIP-712 hash, the very digest the
 * token signs (the domain names the chain and the contract). Around those, the
 * operation and the signing account (a transaction does not name its sender).
 *
 * For a P-256 account's operations, carried by another account
 * (carried-operations.ts): each operation's EIP-712 hash (the digest its key
 * signs), then the carrier's unsigned transaction that carries it, with a zero
 * signature where the key's will go; and the carrier named beside the account.
 *
 * The fields are ABI-encoded, which is unambiguous (every field typed and
 * length-prefixed), and tagged with a version so a later encoding can never
 * collide with this one.
 */
import {
  type Address,
  encodeAbiParameters,
  type Hex,
  hashTypedData,
  keccak256,
  serializeTransaction,
  type TransactionSerializable,
  type TypedDataDefinition,
} from 'viem';

const TAG = 'signet-review-1';

const layout = [
  { name: 'tag', type: 'string' },
  { name: 'kind', type: 'string' },
  { name: 'operation', type: 'string' },
  { name: 'signer', type: 'address' },
  { name: 'items', type: 'bytes[]' },
] as const;

/** A carried run names its carrier too (a longer head: it can never encode like `layout`). */
const carriedLayout = [
  ...layout.slice(0, 4),
  { name: 'carrier', type: 'address' },
  layout[4],
] as const;

export type SigningPayload =
  | { kind: 'transactions'; txs: readonly TransactionSerializable[] }
  | { kind: 'typed-data'; typedData: TypedDataDefinition }
  | {
      kind: 'carried';
      carrier: Address;
      /** The EIP-712 digests the P-256 key signs, one per transaction. */
      operations: readonly Hex[];
      /** The carrier's transactions, each with a zero signature in place of the key's. */
      txs: readonly TransactionSerializable[];
    };

export function reviewDigest(operation: string, signer: Address, payload: SigningPayload): Hex {
  if (payload.kind === 'carried') {
    const items = payload.txs.flatMap((tx, i) => [
      payload.operations[i]!,
      serializeTransaction(tx),
    ]);
    return keccak256(
      encodeAbiParameters(carriedLayout, [
        TAG,
        payload.kind,
        operation,
        signer,
        payload.carrier,
        items,
      ]),
    );
  }
  const items =
    payload.kind === 'transactions'
      ? payload.txs.map((tx) => serializeTransaction(tx))
      : [hashTypedData(payload.typedData)];
  return keccak256(encodeAbiParameters(layout, [TAG, payload.kind, operation, signer, items]));
}
