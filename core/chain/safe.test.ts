import { concat, encodeAbiParameters, keccak256, stringToBytes, zeroAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { paymentTx, TEST_CHAIN_ID, TEST_SAFE } from '../../test/fixtures/approval-bundles.js';
import { safeTxHash, safeTxTypes } from './safe.js';

/** The constants in Safe.sol 1.4.1 (@safe-global/safe-contracts 1.4.1, contracts/Safe.sol lines 52 and 57). */
const DOMAIN_SEPARATOR_TYPEHASH =
  '0x47e79534a245952e8b16893a336b85a3d9ea9fa8c573f3d803afb92a79469218';
const SAFE_TX_TYPEHASH = '0xbb8310d486368db6bd6f849402fdd73ad53d316b5a4b2644ad6efe0f941286d8';

describe('safeTxHash (Safe 1.4.1, EIP-712)', () => {
  it('uses the SafeTx type whose hash is Safe.sol 1.4.1 SAFE_TX_TYPEHASH', () => {
    const fields = safeTxTypes.SafeTx.map((f) => `${f.type} ${f.name}`).join(',');
    expect(keccak256(stringToBytes(`SafeTx(${fields})`))).toBe(SAFE_TX_TYPEHASH);
    expect(
      keccak256(stringToBytes('EIP712Domain(uint256 chainId,address verifyingContract)')),
    ).toBe(DOMAIN_SEPARATOR_TYPEHASH);
  });

  it('equals the digest built the way Safe.sol encodeTransactionData builds it', () => {
    const tx = paymentTx({
      value: 5n,
      safeTxGas: 1n,
      baseGas: 2n,
      gasPrice: 3n,
      refundReceiver: TEST_SAFE,
    });
    const domainSeparator = keccak256(
      encodeAbiParameters(
        [{ type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }],
        [DOMAIN_SEPARATOR_TYPEHASH, BigInt(TEST_CHAIN_ID), TEST_SAFE],
      ),
    );
    const structHash = keccak256(
      encodeAbiParameters(
        [
          { type: 'bytes32' },
          { type: 'address' },
          { type: 'uint256' },
          { type: 'bytes32' },
          { type: 'uint8' },
          { type: 'uint256' },
          { type: 'uint256' },
          { type: 'uint256' },
          { type: 'address' },
          { type: 'address' },
          { type: 'uint256' },
        ],
        [
          SAFE_TX_TYPEHASH,
          tx.to,
          tx.value,
          keccak256(tx.data),
          tx.operation,
          tx.safeTxGas,
          tx.baseGas,
          tx.gasPrice,
          tx.gasToken,
          tx.refundReceiver,
          tx.nonce,
        ],
      ),
    );
    expect(safeTxHash(TEST_CHAIN_ID, TEST_SAFE, tx)).toBe(
      keccak256(concat(['0x1901', domainSeparator, structHash])),
    );
  });

  it('changes with the chain, the treasury and every field of the transaction', () => {
    const base = safeTxHash(TEST_CHAIN_ID, TEST_SAFE, paymentTx());
    expect(safeTxHash(1, TEST_SAFE, paymentTx())).not.toBe(base);
    expect(safeTxHash(TEST_CHAIN_ID, zeroAddress, paymentTx())).not.toBe(base);
    expect(safeTxHash(TEST_CHAIN_ID, TEST_SAFE, paymentTx({ nonce: 8n }))).not.toBe(base);
    expect(safeTxHash(TEST_CHAIN_ID, TEST_SAFE, paymentTx({ operation: 1 }))).not.toBe(base);
    expect(safeTxHash(TEST_CHAIN_ID, TEST_SAFE, paymentTx({ data: '0x' }))).not.toBe(base);
  });
});
