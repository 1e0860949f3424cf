/**
 * The purse's EIP-712 digests hashed by hand, for speed: viem's hashTypedData
 * re-derives and re-encodes the types on every call (≈ 20× slower), which would
 * cap a payee's (or the collection service's) checks well under 5,000
 * vouchers/s. The type hashes are computed once from core/purse/typed-data.ts;
 * verify.test.ts checks these digests against viem's as the oracle.
 *
 * Every field is one 32-byte word (addresses, uints, bytes32: all static), so a
 * struct hash is keccak(typeHash ‖ word ‖ word …). A value out of its type's
 * range (a uint32 counter of 2^32, a 19-byte address) is refused, never wrapped.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Address, Hex } from 'viem';
import { SignetError } from '../api/errors.js';
import {
  PURSE_DOMAIN_NAME,
  PURSE_DOMAIN_VERSION,
  type PurseCertificate,
  type PurseDomain,
  purseTypes,
  type Voucher,
} from './typed-data.js';

function encodeType(name: keyof typeof purseTypes): string {
  return `${name}(${purseTypes[name].map((field) => `${field.type} ${field.name}`).join(',')})`;
}

const DOMAIN_TYPE_HASH = keccak_256(
  utf8ToBytes('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
);
const CERTIFICATE_TYPE_HASH = keccak_256(utf8ToBytes(encodeType('PurseCertificate')));
const VOUCHER_TYPE_HASH = keccak_256(utf8ToBytes(encodeType('Voucher')));
const NAME_HASH = keccak_256(utf8ToBytes(PURSE_DOMAIN_NAME));
const VERSION_HASH = keccak_256(utf8ToBytes(PURSE_DOMAIN_VERSION));

const MAX_UINT256 = (1n << 256n) - 1n;
const HEX_WORD = /^0x[0-9a-fA-F]{64}$/;
const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function malformed(field: string): SignetError {
  return new SignetError('VOUCHER_REFUSED', `The payment's ${field} is not well formed.`, {
    details: { reason: 'malformed', field },
  });
}

/** A hex digit's value from its char code (the pattern checks ran before). */
function nibble(code: number): number {
  // '0'-'9' → 0-9, 'A'-'F' and 'a'-'f' → 10-15.
  return code < 58 ? code - 48 : (code | 32) - 87;
}

/** Writes hex digits (no 0x) right-aligned into the 32-byte word at `offset`. */
function writeHex(out: Uint8Array, offset: number, digits: string): void {
  const start = offset + 32 - digits.length / 2;
  for (let i = 0, j = start; i < digits.length; i += 2, j++) {
    out[j] = (nibble(digits.charCodeAt(i)) << 4) | nibble(digits.charCodeAt(i + 1));
  }
}

class Words {
  readonly bytes: Uint8Array;
  private offset = 0;
  constructor(count: number) {
    this.bytes = new Uint8Array(count * 32);
  }
  raw(word: Uint8Array): this {
    this.bytes.set(word, this.offset);
    this.offset += 32;
    return this;
  }
  address(value: Address, field: string): this {
    if (typeof value !== 'string' || !HEX_ADDRESS.test(value)) throw malformed(field);
    writeHex(this.bytes, this.offset, value.slice(2));
    this.offset += 32;
    return this;
  }
  bytes32(value: Hex, field: string): this {
    if (typeof value !== 'string' || !HEX_WORD.test(value)) throw malformed(field);
    writeHex(this.bytes, this.offset, value.slice(2));
    this.offset += 32;
    return this;
  }
  uint(value: bigint | number, bits: number, field: string): this {
    const big = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
    if (
      typeof big !== 'bigint' ||
      big < 0n ||
      big > (bits === 256 ? MAX_UINT256 : (1n << BigInt(bits)) - 1n)
    ) {
      throw malformed(field);
    }
    let digits = big.toString(16);
    if (digits.length % 2) digits = `0${digits}`;
    writeHex(this.bytes, this.offset, digits);
    this.offset += 32;
    return this;
  }
}

const domainSeparators = new Map<string, Uint8Array>();

function domainSeparator(domain: PurseDomain): Uint8Array {
  const key = `${domain.chainId}:${domain.verifyingContract.toLowerCase()}`;
  let separator = domainSeparators.get(key);
  if (!separator) {
    separator = keccak_256(
      new Words(5)
        .raw(DOMAIN_TYPE_HASH)
        .raw(NAME_HASH)
        .raw(VERSION_HASH)
        .uint(domain.chainId, 256, 'chainId')
        .address(domain.verifyingContract, 'purseContract').bytes,
    );
    domainSeparators.set(key, separator);
  }
  return separator;
}

function digest(domain: PurseDomain, structHash: Uint8Array): Uint8Array {
  const message = new Uint8Array(66);
  message[0] = 0x19;
  message[1] = 0x01;
  message.set(domainSeparator(domain), 2);
  message.set(structHash, 34);
  return keccak_256(message);
}

export function certificateDigest(domain: PurseDomain, c: PurseCertificate): Uint8Array {
  const words = new Words(10)
    .raw(CERTIFICATE_TYPE_HASH)
    .address(c.purse, 'certificate.purse')
    .address(c.owner, 'certificate.owner')
    .uint(c.locked, 256, 'certificate.locked')
    .uint(c.cap, 256, 'certificate.cap')
    .uint(c.maxCount, 32, 'certificate.maxCount')
    .uint(c.validFrom, 64, 'certificate.validFrom')
    .uint(c.validUntil, 64, 'certificate.validUntil')
    .address(c.operator, 'certificate.operator')
    .uint(c.epoch, 32, 'certificate.epoch');
  return digest(domain, keccak_256(words.bytes));
}

export function voucherDigest(domain: PurseDomain, v: Voucher): Uint8Array {
  const words = new Words(9)
    .raw(VOUCHER_TYPE_HASH)
    .address(v.purse, 'voucher.purse')
    .uint(v.epoch, 32, 'voucher.epoch')
    .address(v.payee, 'voucher.payee')
    .uint(v.amount, 256, 'voucher.amount')
    .uint(v.counter, 32, 'voucher.counter')
    .uint(v.cumulative, 256, 'voucher.cumulative')
    .bytes32(v.prevVoucherHash, 'voucher.prevVoucherHash')
    .uint(v.issuedAt, 64, 'voucher.issuedAt');
  return digest(domain, keccak_256(words.bytes));
}

/** Same digest as typed-data.ts's certificateHash, fast. */
export function fastCertificateHash(domain: PurseDomain, certificate: PurseCertificate): Hex {
  return `0x${bytesToHex(certificateDigest(domain, certificate))}`;
}

/** Same digest as typed-data.ts's voucherHash, fast. */
export function fastVoucherHash(domain: PurseDomain, voucher: Voucher): Hex {
  return `0x${bytesToHex(voucherDigest(domain, voucher))}`;
}
