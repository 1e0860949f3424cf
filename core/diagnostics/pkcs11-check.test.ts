/**
 * What each token flag turns into (tokenFindings): the flags are PKCS#11's
 * CK_TOKEN_INFO bits as a token reports them. SoftHSM2 raises only the COUNT_LOW
 * ones and the fake card a locked PIN (test/cli-doctor.integration.test.ts reads
 * them from real tokens); the rest (SO PIN locked, PIN to be changed, write
 * protection) no token here can be made to report, so their mapping is checked here.
 */
import { describe, expect, it } from 'vitest';
import type { TokenDescription, TokenFlags } from '../../native/pkcs11/tokens.js';
import { tokenFindings } from './pkcs11-check.js';

const calm: TokenFlags = {
  tokenInitialized: true,
  loginRequired: true,
  protectedAuthenticationPath: false,
  writeProtected: false,
  userPinInitialized: true,
  userPinCountLow: false,
  userPinFinalTry: false,
  userPinLocked: false,
  userPinToBeChanged: false,
  soPinCountLow: false,
  soPinFinalTry: false,
  soPinLocked: false,
  soPinToBeChanged: false,
};

function token(flags: Partial<TokenFlags> = {}, extra: Partial<TokenDescription> = {}) {
  return {
    slot: 7,
    slotHandle: Buffer.alloc(8),
    label: 'Treasury',
    manufacturer: 'Maker',
    model: 'Card',
    serial: '00ab',
    flags: { ...calm, ...flags },
    minPinLength: 4,
    maxPinLength: 16,
    mechanisms: ['CKM_ECDSA'],
    modulePath: '/usr/lib/vendor.so',
    tpm: false,
    ...extra,
  } satisfies TokenDescription;
}

const kinds = (t: TokenDescription) =>
  tokenFindings(t, 'vendor').map((f) => `${f.code} ${f.status}`);

describe('tokenFindings', () => {
  it('says a calm token is ready, with no fix', () => {
    const [ready, ...rest] = tokenFindings(token(), 'vendor');
    expect(rest).toEqual([]);
    expect(ready).toMatchObject({
      area: 'tokens',
      status: 'ok',
      code: 'token.ready',
      what: 'Token “Treasury” (serial 00ab, Card) in vendor: initialised, user PIN set, no failed PIN tries.',
    });
    expect(ready?.fix).toBeUndefined();
  });

  it('says a slot with an empty token is free, whatever else its flags say', () => {
    expect(kinds(token({ tokenInitialized: false, userPinLocked: true }))).toEqual([
      'token.empty ok',
    ]);
  });

  it.each<[Partial<TokenFlags>, string[]]>([
    [{ userPinCountLow: true }, ['token.userPinCountLow warn']],
    [{ userPinCountLow: true, userPinFinalTry: true }, ['token.userPinFinalTry warn']],
    [{ userPinCountLow: true, userPinLocked: true }, ['token.userPinLocked fail']],
    [{ userPinToBeChanged: true }, ['token.userPinToBeChanged warn']],
    [{ userPinInitialized: false }, ['token.noUserPin warn']],
    [{ soPinCountLow: true }, ['token.soPinCountLow warn']],
    [{ soPinFinalTry: true, soPinCountLow: true }, ['token.soPinFinalTry warn']],
    [{ soPinLocked: true }, ['token.soPinLocked fail']],
    [{ soPinToBeChanged: true }, ['token.soPinToBeChanged warn']],
    [{ writeProtected: true }, ['token.writeProtected warn']],
    [
      { userPinLocked: true, soPinLocked: true },
      ['token.userPinLocked fail', 'token.soPinLocked fail'],
    ],
  ])('turns %j into %j', (flags, expected) => {
    expect(kinds(token(flags))).toEqual(expected);
  });

  it('warns of a token that cannot sign in a way Signet uses', () => {
    expect(kinds(token({}, { mechanisms: ['CKM_RSA_PKCS'] }))).toEqual(['token.cannotSign warn']);
    expect(kinds(token({}, { mechanisms: ['CKM_EDDSA'] }))).toEqual(['token.ready ok']);
  });

  it('gives each warning and failure a fix whose command names the token', () => {
    const [locked] = tokenFindings(token({ userPinLocked: true }), 'vendor');
    expect(locked?.fix).toBe(
      "Unblock it with the SO PIN: `signet pin unblock --token 'pkcs11:token=Treasury;manufacturer=Maker;serial=00ab;model=Card?module-path=/usr/lib/vendor.so'` (or Devices → Unblock PIN).",
    );
    for (const flags of [
      { soPinLocked: true },
      { writeProtected: true },
      { soPinToBeChanged: true },
    ])
      expect(tokenFindings(token(flags), 'vendor')[0]?.fix).toMatch(/^\S.*\.$/);
  });

  it('keeps a quote in a label from ending the shell quoting of the command', () => {
    const [finding] = tokenFindings(token({ userPinLocked: true }, { label: "Bob's" }), 'vendor');
    expect(finding?.fix).toContain("--token 'pkcs11:token=Bob%27s;");
    expect(finding?.what).toBe("The user PIN of “Bob's” is locked: its keys cannot sign.");
  });
});
