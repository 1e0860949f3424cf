import { describe, expect, it } from 'vitest';
import { SignetError } from '../api/errors.js';
import { takeRequestPins } from './request-pins.js';

describe('request PINs', () => {
  it('takes the PIN fields out of the request', () => {
    const request: Record<string, unknown> = {
      token: 'pkcs11:token=A',
      pin: '1234',
      newPin: '5678',
    };
    takeRequestPins(request);
    expect(request).toEqual({ token: 'pkcs11:token=A' });
  });

  it('hands out a fresh copy per ask, by role, and zeroes its own after the request', async () => {
    const pins = takeRequestPins({ pin: '1234', soPin: 'so-pin', newPin: '5678' });
    const first = await pins.provider({ role: 'user', token: 'A' });
    first.fill(0); // what withPin does after C_Login
    expect((await pins.provider({ role: 'user', token: 'A' })).toString()).toBe('1234');
    expect((await pins.provider({ role: 'new-so', token: 'A' })).toString()).toBe('so-pin');
    expect((await pins.provider({ role: 'new-user', token: 'A' })).toString()).toBe('5678');
    pins.wipe();
    await expect(pins.provider({ role: 'user', token: 'A' })).rejects.toMatchObject({
      code: 'PIN_REQUIRED',
    });
  });

  it('asks for a missing PIN by role, and never names a PIN it has', async () => {
    const pins = takeRequestPins({ pin: 'secret-1234' });
    const error = await pins.provider({ role: 'so', token: 'Wallet' }).catch((e) => e);
    expect(error).toBeInstanceOf(SignetError);
    expect(error.toJSON()).toEqual({
      code: 'PIN_REQUIRED',
      message: 'token "Wallet" needs the SO PIN',
      details: { role: 'so', field: 'soPin', token: 'Wallet' },
    });
    expect(JSON.stringify(error.toJSON())).not.toContain('secret-1234');
  });

  it('keeps the carrier token’s PIN apart: each provider hands out only its own', async () => {
    const request: Record<string, unknown> = { pin: 'tpm-pin', carrierPin: 'hsm-pin' };
    const pins = takeRequestPins(request);
    expect(request).toEqual({});
    expect((await pins.provider({ role: 'user', token: 'TPM' })).toString()).toBe('tpm-pin');
    expect((await pins.carrierProvider({ role: 'user', token: 'HSM' })).toString()).toBe('hsm-pin');
    pins.wipe();
    await expect(pins.carrierProvider({ role: 'user', token: 'HSM' })).rejects.toMatchObject({
      code: 'PIN_REQUIRED',
    });
  });

  it('never hands the key’s PIN to the carrier’s token, nor the carrier’s to the key’s', async () => {
    const onlyKey = takeRequestPins({ pin: 'tpm-pin' });
    const error = await onlyKey.carrierProvider({ role: 'user', token: 'HSM' }).catch((e) => e);
    expect(error.toJSON()).toEqual({
      code: 'PIN_REQUIRED',
      message: 'the carrier\'s token "HSM" needs the PIN',
      details: { role: 'user', field: 'carrierPin', token: 'HSM' },
    });
    const onlyCarrier = takeRequestPins({ carrierPin: 'hsm-pin' });
    await expect(onlyCarrier.provider({ role: 'user', token: 'TPM' })).rejects.toMatchObject({
      code: 'PIN_REQUIRED',
      details: { field: 'pin' },
    });
    // A carrier logs in as its user only: no SO PIN or new PIN goes to its token.
    const all = takeRequestPins({ pin: '1', soPin: '2', newPin: '3', carrierPin: '4' });
    for (const role of ['so', 'new-so', 'new-user'] as const) {
      await expect(all.carrierProvider({ role, token: 'HSM' })).rejects.toMatchObject({
        code: 'INTERNAL',
      });
    }
  });
});
