/**
 * PIN lockout and PIN-pad login through the CLI. SoftHSM2 never locks a PIN and
 * has no PIN pad, so these run against the FAKE smart card (test/fakes): a shim
 * over a real SoftHSM2 token that locks after 3 wrong PINs and can act as a pad.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFakeSmartcard, type FakeSmartcard } from './fakes/fake-smartcard.js';
import { pinFile, signet } from './support/cli.js';
import { createSoftHsmStore } from './support/softhsm.js';

const store = createSoftHsmStore();
const USER_PIN = '246810';
const SO_PIN = 'so-13579';
let card: FakeSmartcard;
let tokenUri: string;
let keyUri: string;

beforeAll(async () => {
  store.initToken('Retail Card', USER_PIN, SO_PIN);
  card = buildFakeSmartcard({ softhsmConf: store.conf, dir: join(store.dir, 'fake') });
  card.activate();
  const tokens = (await signet(['tokens', '--module', card.modulePath, '--json'])).json;
  tokenUri = tokens.find((t: any) => t.label === 'Retail Card').uri;
  keyUri = (
    await signet([
      'key',
      'generate',
      '--token',
      tokenUri,
      '--curve',
      'secp256k1',
      '--label',
      'cash',
      '--pin-file',
      pinFile(USER_PIN),
      '--json',
    ])
  ).json.uri;
});
afterAll(() => store.remove());

const digest = '42'.repeat(32);
const sign = (pin: string) =>
  signet(['sign', '--key', keyUri, '--digest', digest, '--pin-file', pinFile(pin), '--json']);

describe('a card that locks after three wrong PINs (fake smart card)', () => {
  it('counts down: few tries left, final try, locked — then refuses even the right PIN', async () => {
    const first = await sign('000001');
    expect(first.code).toBe(1);
    expect(first.stderr.trim()).toBe(
      'signet: wrong PIN for token "Retail Card"; the token reports few tries left',
    );

    const second = await sign('000002');
    expect(second.stderr.trim()).toBe(
      'signet: wrong PIN for token "Retail Card"; one try left before it locks',
    );
    expect(second.json.error.details.retryState).toBe('final-try');

    const third = await sign('000003');
    expect(third.code).toBe(1);
    expect(third.stderr.trim()).toBe(
      'signet: the PIN of token "Retail Card" is locked; unblock it with the SO PIN',
    );
    expect(third.json.error.code).toBe('PIN_LOCKED');

    const right = await sign(USER_PIN);
    expect(right.code).toBe(1);
    expect(right.json.error.code).toBe('PIN_LOCKED');

    const tokens = (await signet(['tokens', '--module', card.modulePath, '--json'])).json;
    expect(tokens.find((t: any) => t.uri === tokenUri).flags.userPinLocked).toBe(true);
  });

  it('unblocks with the SO PIN; the new PIN signs and the lock flags clear', async () => {
    const unblock = await signet([
      'pin',
      'unblock',
      '--token',
      tokenUri,
      '--so-pin-file',
      pinFile(SO_PIN),
      '--new-pin-file',
      pinFile('864200'),
    ]);
    expect(unblock.stderr).toBe('');
    expect(unblock.code).toBe(0);
    const signed = await sign('864200');
    expect(signed.code).toBe(0);
    const tokens = (await signet(['tokens', '--module', card.modulePath, '--json'])).json;
    expect(tokens.find((t: any) => t.uri === tokenUri).flags).toMatchObject({
      userPinLocked: false,
      userPinFinalTry: false,
      userPinCountLow: false,
    });
  });
});

describe('a card with a PIN pad (fake smart card)', () => {
  it('logs in on the pad: no PIN is asked for, from any source', async () => {
    process.env.FAKE_SMARTCARD_PINPAD = '1';
    process.env.FAKE_SMARTCARD_PINPAD_PIN = '864200';
    try {
      const tokens = (await signet(['tokens', '--module', card.modulePath, '--json'])).json;
      expect(tokens.find((t: any) => t.uri === tokenUri).flags.protectedAuthenticationPath).toBe(
        true,
      );
      // No --pin-file, no --pin-stdin, no terminal: only the pad can supply the PIN.
      const signed = await signet(['sign', '--key', keyUri, '--digest', digest, '--json']);
      expect(signed.stderr).toBe('');
      expect(signed.json.signature).toMatch(/^0x[0-9a-f]{128}$/);

      process.env.FAKE_SMARTCARD_PINPAD_PIN = '999999';
      const wrong = await signet(['sign', '--key', keyUri, '--digest', digest, '--json']);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr.trim()).toBe(
        'signet: wrong PIN for token "Retail Card"; the token reports few tries left',
      );
    } finally {
      delete process.env.FAKE_SMARTCARD_PINPAD;
      delete process.env.FAKE_SMARTCARD_PINPAD_PIN;
    }
  });
});
