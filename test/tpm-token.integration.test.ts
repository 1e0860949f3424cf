/**
 * A TPM-backed token, for real: swtpm + tpm2-abrmd + tpm2-pkcs11 started in a temp
 * dir (test/support/tpm-stack.ts), provisioned and used through `signet` and
 * Signet's own PKCS#11 code. Where the packages are missing the whole file is
 * skipped, and says why in one line.
 */
import { randomBytes } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenConnection } from '../native/pkcs11/connection.js';
import { findKey, listKeys } from '../native/pkcs11/keys.js';
import { openModule, type Pkcs11Module } from '../native/pkcs11/module.js';
import { pkcs11js } from '../native/pkcs11/pkcs11js.js';
import { Pkcs11Signer } from '../native/pkcs11/signer.js';
import { listTokens, type TokenDescription } from '../native/pkcs11/tokens.js';
import { parsePkcs11Uri } from '../native/pkcs11/uri.js';
import { readTpmLockout } from '../native/tpm/lockout.js';
import { signet } from './support/cli.js';
import {
  findTpmTools,
  startTpmStack,
  type TpmStack,
  tpmLockoutSettings,
} from './support/tpm-stack.js';

const tools = findTpmTools();
const missing = 'missing' in tools ? tools.missing : undefined;
if (missing) console.warn(`TPM token tests skipped: ${missing}`);

const SO_PIN = 'tpm-so-1234';
const PIN = 'tpm-user-1234';
/** The TPM's words with no wrong PIN counted (the stack sets 3 tries, 10 minutes). */
const FRESH = '3 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 minutes';

describe.skipIf(missing !== undefined)('a TPM token (swtpm, tpm2-abrmd, tpm2-pkcs11)', () => {
  let stack: TpmStack;
  let modulePath: string;
  let tokenUri: string;
  let keyUri: string;
  let bobUri: string;

  beforeAll(async () => {
    stack = await startTpmStack();
    // tpm2-pkcs11 reads its TCTI and store at C_Initialize: before any module opens.
    stack.activate();
    modulePath = stack.modulePath;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Runs `work` on the module opened fresh, as each CLI command does. */
  async function withTpmModule<T>(work: (module: Pkcs11Module) => T | Promise<T>): Promise<T> {
    const module = openModule(modulePath);
    try {
      return await work(module);
    } finally {
      module.close();
    }
  }

  it('is recognised as a TPM token by its module, with no NUL padding in its model', async () => {
    const tokens = await withTpmModule(listTokens);
    expect(tokens).toHaveLength(1);
    const [free] = tokens as [TokenDescription];
    expect(free).toMatchObject({
      tpm: true,
      // swtpm's vendor and vendor string, as tpm2-pkcs11 reports any TPM's.
      manufacturer: 'IBM',
      model: 'SW   TPM',
      serial: '0000000000000000',
    });
    expect(free.flags.tokenInitialized).toBe(false);
  });

  it('initialises like any token (SO PIN, then user PIN) and reports the TPM lockout in words', async () => {
    const init = await signet(
      ['token', 'init', '--module', modulePath, '--free', '--label', 'alice-tpm', '--pin-stdin'],
      { stdin: `${SO_PIN}\n${PIN}\n` },
    );
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const [uri, words] = init.stdout.trim().split('\n');
    expect(words).toBe(`  TPM: ${FRESH}`);
    tokenUri = uri!;
    expect(parsePkcs11Uri(tokenUri)).toMatchObject({ token: 'alice-tpm', model: 'SW   TPM' });

    const listed = await signet(['tokens', '--module', modulePath, '--json']);
    expect(listed.code).toBe(0);
    const alice = listed.json.find((t: { label: string }) => t.label === 'alice-tpm');
    expect(alice.flags).toMatchObject({ tokenInitialized: true, userPinInitialized: true });
    expect(alice.tpmLockout).toEqual({
      known: true,
      failures: 0,
      maxFailures: tpmLockoutSettings.maxTries,
      triesLeft: tpmLockoutSettings.maxTries,
      intervalSeconds: tpmLockoutSettings.recoverySeconds,
      locked: false,
      words: FRESH,
    });
    // tpm2-pkcs11 always keeps one free slot for the next token.
    expect(
      listed.json.filter(
        (t: { flags: { tokenInitialized: boolean } }) => !t.flags.tokenInitialized,
      ),
    ).toHaveLength(1);
    const text = await signet(['tokens', '--module', modulePath]);
    expect(text.stdout).toContain(
      `"alice-tpm"  SW   TPM  serial 0000000000000000  ready\n  ${tokenUri}\n  TPM: ${FRESH}`,
    );
  });

  it('tells a second token of the same TPM apart although every TPM token has the same serial', async () => {
    const second = await signet(
      [
        'token',
        'init',
        '--module',
        modulePath,
        '--free',
        '--label',
        'bob-tpm',
        '--pin-stdin',
        '--json',
      ],
      { stdin: `${SO_PIN}\n${PIN}\n` },
    );
    expect(second.code).toBe(0);
    bobUri = second.json.uri;
    expect(parsePkcs11Uri(bobUri)).toMatchObject({
      token: 'bob-tpm',
      serial: '0000000000000000',
    });

    // Same label: the two could never be named apart.
    const same = await signet(
      ['token', 'init', '--module', modulePath, '--free', '--label', 'alice-tpm', '--pin-stdin'],
      { stdin: `${SO_PIN}\n${PIN}\n` },
    );
    expect(same.code).toBe(1);
    expect(same.stderr.trim().split('\n')).toEqual([
      'signet: this TPM already has a token labelled "alice-tpm"; TPM tokens share one serial number, so only the label tells them apart: choose another label',
    ]);

    // tpm2-pkcs11 cannot re-initialise a token; Signet says so instead of trying.
    const slot = (await withTpmModule(listTokens)).find((t) => t.label === 'bob-tpm')!.slot;
    const again = await signet(
      [
        'token',
        'init',
        '--module',
        modulePath,
        '--slot',
        String(slot),
        '--label',
        'carol-tpm',
        '--yes',
        '--pin-stdin',
      ],
      { stdin: `${SO_PIN}\n${PIN}\n` },
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /is a TPM token, which cannot be re-initialised; initialise the free slot instead/,
    );
    const labels = (await withTpmModule(listTokens)).map((t) => t.label);
    expect(labels).toEqual(['alice-tpm', 'bob-tpm', '']);
  });

  it('generates a hardware-protected P-256 key that signs a digest on the TPM, verified with @noble/curves', async () => {
    const made = await signet(
      [
        'key',
        'generate',
        '--token',
        tokenUri,
        '--curve',
        'p256',
        '--label',
        'cash',
        '--pin-stdin',
        '--json',
      ],
      { stdin: `${PIN}\n` },
    );
    expect(made.stderr).toBe('');
    expect(made.json).toMatchObject({ curve: 'p256', label: 'cash', address: null });
    expect(made.json.protection).toEqual({
      sensitive: true,
      extractable: false,
      alwaysSensitive: true,
      neverExtractable: true,
      local: true,
      hardwareProtected: true,
    });
    keyUri = made.json.uri;
    const publicKey = Buffer.from(made.json.publicKey.slice(2), 'hex');

    // Signet's signer: low-S r‖s, checked against the key before it is returned.
    const digest = new Uint8Array(randomBytes(32));
    const signature = await withTpmModule(async (module) => {
      const token = listTokens(module).find((t) => t.label === 'alice-tpm')!;
      const connection = new TokenConnection(module, token);
      await connection.logIn('user', async () => Buffer.from(PIN));
      const key = await findKey(connection, parsePkcs11Uri(keyUri));
      // What the token itself returns for CKM_ECDSA: raw r‖s, not DER.
      const raw = await connection.withSession((session) => {
        module.api.C_SignInit(session, { mechanism: pkcs11js().CKM_ECDSA }, key.privateHandle);
        return module.api.C_Sign(session, Buffer.from(digest), Buffer.alloc(160));
      });
      expect(raw).toHaveLength(64);
      const signer = new Pkcs11Signer(connection, key);
      try {
        return await signer.sign(digest);
      } finally {
        await signer.close();
      }
    });
    expect(signature.bytes).toHaveLength(64);
    expect(signature.v).toBeUndefined();
    expect(p256.verify(signature.bytes, digest, publicKey, { prehash: false, lowS: true })).toBe(
      true,
    );

    // The same through `signet sign`.
    const signed = await signet(
      [
        'sign',
        '--key',
        keyUri,
        '--digest',
        Buffer.from(digest).toString('hex'),
        '--pin-stdin',
        '--json',
      ],
      { stdin: `${PIN}\n` },
    );
    expect(signed.code).toBe(0);
    const bytes = Buffer.from(signed.json.signature.slice(2), 'hex');
    expect(p256.verify(bytes, digest, publicKey, { prehash: false, lowS: true })).toBe(true);
    expect(p256.verify(bytes, new Uint8Array(randomBytes(32)), publicKey, { prehash: false })).toBe(
      false,
    );
  });

  it('refuses secp256k1 and Ed25519 keys in one line: TPM tokens hold P-256 keys only', async () => {
    for (const curve of ['secp256k1', 'ed25519']) {
      const refused = await signet(
        [
          'key',
          'generate',
          '--token',
          tokenUri,
          '--curve',
          curve,
          '--label',
          `no-${curve}`,
          '--pin-stdin',
          '--json',
        ],
        { stdin: `${PIN}\n` },
      );
      expect(refused.code).toBe(1);
      expect(refused.json.error).toMatchObject({
        code: 'CURVE_UNSUPPORTED',
        message: `token "alice-tpm" is a TPM token, and TPM tokens hold P-256 keys only: use --curve p256, not ${curve}`,
      });
    }
    // Nothing was made.
    const keys = await withTpmModule(async (module) => {
      const token = listTokens(module).find((t) => t.label === 'alice-tpm')!;
      const connection = new TokenConnection(module, token);
      try {
        await connection.logIn('user', async () => Buffer.from(PIN));
        return (await listKeys(connection)).map((k) => k.label);
      } finally {
        connection.close();
      }
    });
    expect(keys).toEqual(['cash']);
  });

  it("counts wrong PINs with the TPM's own counter, says when it locks, and works again once the lockout is cleared", async () => {
    await stack.clearLockout();
    const listKeysWith = (pin: string) =>
      signet(['keys', '--token', tokenUri, '--pin-stdin', '--json'], { stdin: `${pin}\n` });
    const expectError = (
      run: Awaited<ReturnType<typeof listKeysWith>>,
      code: string,
      message: string,
    ) => {
      expect(run.code).toBe(1);
      expect(run.json.error.code).toBe(code);
      expect(run.json.error.message).toBe(message);
      return run.json.error.details;
    };

    const first = expectError(
      await listKeysWith('wrong-1'),
      'PIN_INCORRECT',
      'wrong PIN for token "alice-tpm"; 2 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 minutes',
    );
    expect(first).toMatchObject({
      triesLeft: 2,
      retryState: 'count-low',
      tpmLockout: { failures: 1 },
    });
    expect(first.tpmLockout).toEqual(await readTpmLockout());

    // A wrong PIN on another token of the same TPM counts against the same limit.
    const bob = await signet(['keys', '--token', bobUri, '--pin-stdin', '--json'], {
      stdin: 'wrong-2\n',
    });
    expect(bob.json.error.details).toMatchObject({ triesLeft: 1, retryState: 'final-try' });
    expect(bob.json.error.message).toBe(
      'wrong PIN for token "bob-tpm"; 1 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 minutes',
    );

    expectError(
      await listKeysWith('wrong-3'),
      'PIN_LOCKED',
      'wrong PIN for token "alice-tpm"; the TPM is locked after too many wrong PINs: try again in at most 10 minutes',
    );
    // Locked: the right PIN is not even tried.
    const refused = expectError(
      await listKeysWith(PIN),
      'PIN_LOCKED',
      'the PIN of token "alice-tpm" cannot be tried now: the TPM is locked after too many wrong PINs: try again in at most 10 minutes',
    );
    expect(refused).toMatchObject({ ckr: 'CKR_PIN_LOCKED', retryState: 'locked', triesLeft: 0 });
    const status = await signet(['tokens', '--module', modulePath]);
    expect(status.stdout).toContain('"alice-tpm"  SW   TPM  serial 0000000000000000  PIN LOCKED');

    // The TPM's owner clears the lockout (here: the empty lockout auth of a fresh swtpm).
    await stack.clearLockout();
    const after = await listKeysWith(PIN);
    expect(after.code).toBe(0);
    expect(after.json.map((k: { label: string }) => k.label)).toEqual(['cash']);
    expect(
      (await signet(['tokens', '--module', modulePath, '--json'])).json[0].tpmLockout.words,
    ).toBe(FRESH);
  });

  it('a PIN change checks the current PIN with the TPM: a wrong one counts and changes nothing; the SO PIN sets a new one', async () => {
    await stack.clearLockout();
    const keysWith = async (pin: string) =>
      (await signet(['keys', '--token', tokenUri, '--pin-stdin'], { stdin: `${pin}\n` })).code;
    const NEW_PIN = 'tpm-user-5678';
    const wrong = await signet(['pin', 'change', '--token', tokenUri, '--pin-stdin', '--json'], {
      stdin: `not-the-pin\n${NEW_PIN}\n`,
    });
    expect(wrong.json.error).toMatchObject({
      code: 'PIN_INCORRECT',
      message:
        'wrong PIN for token "alice-tpm"; 2 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 minutes',
    });
    expect(await keysWith(PIN)).toBe(0);

    const changed = await signet(['pin', 'change', '--token', tokenUri, '--pin-stdin'], {
      stdin: `${PIN}\n${NEW_PIN}\n`,
    });
    expect(changed.stderr).toBe('');
    expect(changed.code).toBe(0);
    expect(await keysWith(NEW_PIN)).toBe(0);

    const unblocked = await signet(['pin', 'unblock', '--token', tokenUri, '--pin-stdin'], {
      stdin: `${SO_PIN}\n${PIN}\n`,
    });
    expect(unblocked.stderr).toBe('');
    expect(unblocked.code).toBe(0);
    expect(await keysWith(PIN)).toBe(0);
    await stack.clearLockout();
  });
});
