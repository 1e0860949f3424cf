import { describe, expect, it } from 'vitest';
import { SignetError } from '../../core/api/errors.js';
import { parseAppAndVersion } from './eth-app.js';
import { fromLedgerDeviceError } from './status-words.js';

/** An error as @ledgerhq's transports throw them: told apart by name and statusCode only. */
const ledgerhq = (name: string, statusCode?: number) =>
  Object.assign(new Error(`Ledger device: ${name}`), { name, statusCode });

describe('fromLedgerDeviceError', () => {
  const sign = { doing: 'sign the transaction', signing: true };
  const read = { doing: 'read the account' };

  it.each([
    [ledgerhq('TransportStatusError', 0x5515), read, 'DEVICE_LOCKED'],
    [ledgerhq('LockedDeviceError', 0x5515), read, 'DEVICE_LOCKED'],
    [ledgerhq('TransportStatusError', 0x6b0c), read, 'DEVICE_LOCKED'],
    [ledgerhq('TransportStatusError', 0x6511), read, 'DEVICE_APP_NOT_OPEN'],
    [ledgerhq('TransportStatusError', 0x6d00), read, 'DEVICE_APP_NOT_OPEN'],
    [ledgerhq('TransportStatusError', 0x6e00), read, 'DEVICE_APP_NOT_OPEN'],
    [ledgerhq('TransportStatusError', 0x6985), sign, 'DEVICE_REFUSED'],
    [ledgerhq('TransportStatusError', 0x5501), sign, 'DEVICE_REFUSED'],
    [ledgerhq('TransportStatusError', 0x6a80), sign, 'DEVICE_BLIND_SIGNING_OFF'],
    [ledgerhq('EthAppPleaseEnableContractData'), sign, 'DEVICE_BLIND_SIGNING_OFF'],
    [ledgerhq('DisconnectedDevice'), sign, 'DEVICE_DISCONNECTED'],
    [ledgerhq('DisconnectedDeviceDuringOperation'), sign, 'DEVICE_DISCONNECTED'],
    [ledgerhq('TransportRaceCondition'), sign, 'DEVICE_BUSY'],
    // 0x6a80 is "invalid data" outside signing: not a setting to change.
    [ledgerhq('TransportStatusError', 0x6a80), read, 'DEVICE_ERROR'],
  ])('%s while asked to %s → %s', (error, context, code) => {
    const mapped = fromLedgerDeviceError(error, context);
    expect(mapped).toBeInstanceOf(SignetError);
    expect(mapped.code).toBe(code);
    expect(mapped.message).not.toContain('\n');
  });

  it('names an unknown status word in hex, and what Signet asked', () => {
    const mapped = fromLedgerDeviceError(ledgerhq('TransportStatusError', 0x6f00), read);
    expect(mapped.message).toBe('the Ledger answered 0x6f00 when asked to read the account');
    expect(mapped.details).toEqual({ statusWord: '0x6f00', error: 'TransportStatusError' });
  });

  it('keeps one line of anything else, and passes a SignetError through', () => {
    const mapped = fromLedgerDeviceError(new Error('boom\nstack'), read);
    expect(mapped.message).toBe('the Ledger failed to read the account: boom');
    const own = new SignetError('DEVICE_LOCKED', 'x');
    expect(fromLedgerDeviceError(own, read)).toBe(own);
  });
});

describe('parseAppAndVersion', () => {
  it('reads the name and version getAppAndVersion answers', () => {
    const answer = Buffer.from('0108457468657265756d06312e31302e3301029000', 'hex');
    expect(parseAppAndVersion(answer)).toEqual({ name: 'Ethereum', version: '1.10.3' });
  });

  it.each([
    ['another format byte', '0208457468657265756d06312e31302e3301029000'],
    ['a name longer than the answer', '01ff4574689000'],
    ['nothing but the status word', '9000'],
  ])('refuses %s', (_name, hex) => {
    expect(() => parseAppAndVersion(Buffer.from(hex, 'hex'))).toThrow(
      'the Ledger answered a malformed app name',
    );
  });
});
