import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../../core/api/errors.js';
import {
  formatLedgerDeviceUri,
  isLedgerDeviceUri,
  ledgerDeviceMaxAccount,
  ledgerDevicePath,
  parseLedgerDeviceUri,
} from './uri.js';

// The "abandon … about" test seed's first Ethereum address (BIP-39/BIP-44 test vector).
const device = '0x9858EfFD232B4033E47d90003D41EC34EcaEda94';
const uri = (query: string, id = device) => `ledger:${id}?${query}`;

function refusal(text: string): string {
  try {
    parseLedgerDeviceUri(text);
  } catch (error) {
    if (error instanceof SignetError && error.code === 'INVALID_URI') {
      expect(error.message).not.toContain('\n');
      return error.message;
    }
    throw error;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe('ledger: URIs', () => {
  it('parses a device id and an account path, and prints them back the same', () => {
    const text = uri("path=m/44'/60'/7'/0/0");
    expect(parseLedgerDeviceUri(text)).toEqual({ device, account: 7 });
    expect(formatLedgerDeviceUri({ device, account: 7 })).toBe(text);
  });

  it('takes the device id in one case and prints it checksummed', () => {
    const lower = uri("path=m/44'/60'/0'/0/0", device.toLowerCase());
    expect(parseLedgerDeviceUri(lower).device).toBe(device);
    expect(formatLedgerDeviceUri(parseLedgerDeviceUri(lower))).toBe(uri("path=m/44'/60'/0'/0/0"));
    expect(
      parseLedgerDeviceUri(uri("path=m/44'/60'/0'/0/0", `0x${device.slice(2).toUpperCase()}`))
        .device,
    ).toBe(device);
  });

  it('round-trips every account index, from 0 to 2³¹−1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: ledgerDeviceMaxAccount }), (account) => {
        const text = formatLedgerDeviceUri({ device, account });
        expect(text).toBe(`ledger:${device}?path=m/44'/60'/${account}'/0/0`);
        expect(parseLedgerDeviceUri(text)).toEqual({ device, account });
      }),
    );
  });

  it('tells a ledger: URI from a pkcs11: one by its scheme, in any case', () => {
    expect(isLedgerDeviceUri('ledger:x')).toBe(true);
    expect(isLedgerDeviceUri('LEDGER:x')).toBe(true);
    expect(isLedgerDeviceUri('pkcs11:token=ledger')).toBe(false);
  });

  it.each([
    ['pkcs11:token=A', 'it must start with "ledger:"'],
    ["ledger:?path=m/44'/60'/0'/0/0", 'it names no device'],
    [`ledger:${device}`, 'it has no path='],
    [`ledger:${device}?`, 'it has no path='],
    [
      "ledger:0x1234?path=m/44'/60'/0'/0/0",
      'device id "0x1234" is not a 0x-prefixed 20-byte address',
    ],
    [
      uri("path=m/44'/60'/0'/0/0", device.replace('E', 'e')),
      `has a wrong checksum (mistyped?); expected ${device}`,
    ],
    [uri("path=m/44'/60'/0'/0/0&path=m/44'/60'/1'/0/0"), 'attribute "path" is repeated'],
    [uri("path=m/44'/60'/0'/0/0&account=1"), 'unknown attribute "account" (only path= is known)'],
    [uri('path'), 'attribute "path" has no "="'],
    [uri("=m/44'/60'/0'/0/0"), 'empty attribute name'],
    [uri("path=m/44'/60'/0'/0/0#x"), 'must not contain spaces or "#"'],
    [uri("path=44'/60'/0'/0/0"), 'must start with "m/"'],
    [uri("path=m/44'/60'/0'"), 'has 3 levels after m/, not 5'],
    [uri("path=m/44'/60'/0'/0/0/0"), 'has 6 levels after m/, not 5'],
    [uri('path=m/44h/60h/0h/0/0'), `write hardened levels with ' (44'), not "h"`],
    [uri("path=m/44'/60'/0H/0/0"), `write hardened levels with ' (0'), not "H"`],
    [uri('path=m/44’/60’/0’/0/0'), `write hardened levels with ' (44'), not "’"`],
    [uri('path=m/44%27/60%27/0%27/0/0'), 'without percent-escapes'],
    [uri("path=m/49'/60'/0'/0/0"), "must begin m/44' (BIP-44)"],
    [uri("path=m/44/60'/0'/0/0"), "must begin m/44' (BIP-44)"],
    [uri("path=m/44'/0'/0'/0/0"), "must have coin type 60' (Ethereum)"],
    [uri("path=m/44'/60'/0/0/0"), "the account level of \"m/44'/60'/0/0/0\" must be hardened (0')"],
    [uri("path=m/44'/60'/0'/1/0"), 'must end /0/0 (not hardened)'],
    [uri("path=m/44'/60'/0'/0/5"), 'must end /0/0 (not hardened)'],
    [uri("path=m/44'/60'/0'/0'/0"), 'must end /0/0 (not hardened)'],
    [uri("path=m/44'/60'/-1'/0/0"), 'level "-1\'" of path'],
    [uri("path=m/44'/60'/01'/0/0"), 'is not a decimal index (no sign, no leading zeros)'],
    [uri("path=m/44'/60'/x'/0/0"), 'is not a decimal index'],
    [
      uri("path=m/44'/60'/2147483648'/0/0"),
      "index 2147483648 in path \"m/44'/60'/2147483648'/0/0\" is out of range (0 to 2147483647)",
    ],
    [uri("path=m/44'/60'/99999999999999999999'/0/0"), 'is out of range'],
  ])('refuses %s in one line', (text, reason) => {
    expect(refusal(text)).toContain(reason);
  });

  it('cuts a pasted page short in its message', () => {
    const message = refusal(`ledger:${'x'.repeat(5000)}`);
    expect(message.length).toBeLessThan(400);
  });

  it('refuses to print an account index out of range or a device id not checksummed', () => {
    expect(() => ledgerDevicePath(-1)).toThrow('account index -1 is out of range');
    expect(() => ledgerDevicePath(2 ** 31)).toThrow('out of range (0 to 2147483647)');
    expect(() => ledgerDevicePath(1.5)).toThrow('out of range');
    expect(() => formatLedgerDeviceUri({ device: device.toLowerCase(), account: 0 })).toThrow(
      `is not in its checksummed form ${device}`,
    );
  });
});
