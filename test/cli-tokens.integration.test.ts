/**
 * The CLI contract against real SoftHSM2 tokens in a temporary directory:
 * provisioning, keys, signing, and every bad input ending in one line and no change.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, verify as opensslVerify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { getAddress, type Hex, keccak256, recoverAddress } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  exportAuditCsv,
  listAudit,
  verifyAuditChain,
} from '../core/store/audit-log.js';
import { openStore } from '../core/store/database.js';
import { parsePkcs11Uri } from '../native/pkcs11/uri.js';
import { pinFile, signet, signetProcess } from './support/cli.js';
import { opensslVerifiesDigest } from './support/openssl.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';

const store = createSoftHsmStore();
const home = mkdtempSync(join(tmpdir(), 'signet-home-'));
const USER_PIN = 'user-pin-4821';
const SO_PIN = 'so-pin-99017';
let tokenUri: string;
const keyUris: Record<string, string> = {};
const keyJson: Record<string, any> = {};
const storePath = join(home, 'signet.sqlite');

/** The audit log as it is now, oldest first. */
function auditEntries(): AuditEntry[] {
  const audit = openStore(storePath);
  try {
    return listAudit(audit, { limit: 500 }).reverse();
  } finally {
    audit.close();
  }
}

beforeAll(() => {
  store.activate();
  process.env.SIGNET_HOME = home;
});
afterAll(() => store.remove());

describe('provisioning', () => {
  it('lists the free slot of a new store', async () => {
    const run = await signet(['tokens', '--module', softhsmModule, '--json']);
    expect(run.code).toBe(0);
    expect(run.json).toHaveLength(1);
    expect(run.json[0].flags.tokenInitialized).toBe(false);
  });

  it('initialises a token with a label, SO PIN and user PIN', async () => {
    const run = await signet([
      'token',
      'init',
      '--module',
      softhsmModule,
      '--free',
      '--label',
      'Alice Treasury',
      '--so-pin-file',
      pinFile(SO_PIN),
      '--pin-file',
      pinFile(USER_PIN),
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    tokenUri = run.json.uri;
    const uri = parsePkcs11Uri(tokenUri);
    expect(uri).toMatchObject({
      token: 'Alice Treasury',
      model: 'SoftHSM v2',
      modulePath: softhsmModule,
    });
    expect(uri.serial).toMatch(/^[0-9a-f]{16}$/);

    const tokens = (await signet(['tokens', '--module', softhsmModule, '--json'])).json;
    const token = tokens.find((t: any) => t.uri === tokenUri);
    expect(token.flags).toMatchObject({
      tokenInitialized: true,
      userPinInitialized: true,
      loginRequired: true,
    });
    expect(token.mechanisms).toEqual(expect.arrayContaining(['CKM_ECDSA', 'CKM_EDDSA']));
  });

  it('refuses to re-initialise a token without --yes and leaves it as it was', async () => {
    const serial = parsePkcs11Uri(tokenUri).serial;
    const slot = (await signet(['tokens', '--module', softhsmModule, '--json'])).json.find(
      (t: any) => t.serial === serial,
    ).slot;
    const run = await signet([
      'token',
      'init',
      '--module',
      softhsmModule,
      '--slot',
      String(slot),
      '--label',
      'Mallory',
      '--so-pin-file',
      pinFile(SO_PIN),
      '--pin-file',
      pinFile(USER_PIN),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^signet: the token in slot \d+ is already initialised as "Alice Treasury"; re-initialising erases its keys \(confirm with --yes\)\n$/,
    );
    expect(
      (await signet(['tokens', '--module', softhsmModule, '--json'])).json.some(
        (t: any) => t.label === 'Mallory',
      ),
    ).toBe(false);
  });
});

describe('keys', () => {
  it.each(['secp256k1', 'p256', 'ed25519'] as const)(
    'generates a %s key on the token, protected',
    async (curve) => {
      const run = await signet([
        'key',
        'generate',
        '--token',
        tokenUri,
        '--curve',
        curve,
        '--label',
        `${curve} key`,
        '--pin-file',
        pinFile(USER_PIN),
        '--json',
      ]);
      expect(run.stderr).toBe('');
      const key = run.json;
      keyUris[curve] = key.uri;
      keyJson[curve] = key;
      expect(key.curve).toBe(curve);
      expect(key.label).toBe(`${curve} key`);
      expect(key.id).toMatch(/^0x[0-9a-f]{32}$/);
      expect(key.protection).toEqual({
        sensitive: true,
        extractable: false,
        alwaysSensitive: true,
        neverExtractable: true,
        local: true,
        hardwareProtected: true,
      });
      if (curve === 'ed25519') {
        expect(key.publicKey).toMatch(/^0x[0-9a-f]{64}$/);
        expect(key.address).toBeNull();
      } else {
        expect(key.publicKey).toMatch(/^0x04[0-9a-f]{128}$/);
      }
      if (curve === 'secp256k1') {
        expect(key.address).toBe(getAddress(key.address));
        expect(key.address).toBe(publicKeyToAddress(key.publicKey));
      }
    },
  );

  it('lists the keys with their URIs', async () => {
    const run = await signet([
      'keys',
      '--token',
      tokenUri,
      '--pin-file',
      pinFile(USER_PIN),
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(run.json.map((k: any) => k.uri).sort()).toEqual(Object.values(keyUris).sort());
    expect(run.json).toContainEqual(keyJson.secp256k1);
  });

  it('lists and signs with a secp256k1 key made by OpenSC pkcs11-tool', async () => {
    execFileSync(
      'pkcs11-tool',
      [
        '--module',
        softhsmModule,
        '--token-label',
        'Alice Treasury',
        '--login',
        '--pin',
        USER_PIN,
        '--keypairgen',
        '--key-type',
        'EC:secp256k1',
        '--label',
        'opensc-made',
        '--id',
        'a1b2',
      ],
      { env: store.env, stdio: 'pipe' },
    );
    const keys = (
      await signet(['keys', '--token', tokenUri, '--pin-file', pinFile(USER_PIN), '--json'])
    ).json;
    const made = keys.find((k: any) => k.label === 'opensc-made');
    expect(made).toMatchObject({ curve: 'secp256k1', id: '0xa1b2' });
    expect(parsePkcs11Uri(made.uri).id).toEqual(new Uint8Array([0xa1, 0xb2]));
    const digest = keccak256(new TextEncoder().encode('interop'));
    const signed = await signet([
      'sign',
      '--key',
      made.uri,
      '--digest',
      digest,
      '--pin-file',
      pinFile(USER_PIN),
      '--json',
    ]);
    expect(signed.code).toBe(0);
    expect(
      await recoverAddress({
        hash: digest,
        signature: `${signed.json.signature}${signed.json.v ? '1c' : '1b'}` as Hex,
      }),
    ).toBe(made.address);
  });
  it('reports a key imported from software as not hardware-protected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-import-'));
    const der = join(dir, 'key.der');
    const pub = join(dir, 'pub.der');
    execFileSync('openssl', [
      'ecparam',
      '-name',
      'secp256k1',
      '-genkey',
      '-noout',
      '-outform',
      'DER',
      '-out',
      der,
    ]);
    execFileSync(
      'openssl',
      ['ec', '-inform', 'DER', '-in', der, '-pubout', '-outform', 'DER', '-out', pub],
      { stdio: 'pipe' },
    );
    for (const [file, type] of [
      [der, 'privkey'],
      [pub, 'pubkey'],
    ] as const) {
      execFileSync(
        'pkcs11-tool',
        [
          '--module',
          softhsmModule,
          '--token-label',
          'Alice Treasury',
          '--login',
          '--pin',
          USER_PIN,
          '--write-object',
          file,
          '--type',
          type,
          '--id',
          '0c0c',
          '--label',
          'imported',
        ],
        { env: store.env, stdio: 'pipe' },
      );
    }
    const keys = (
      await signet(['keys', '--token', tokenUri, '--pin-file', pinFile(USER_PIN), '--json'])
    ).json;
    const imported = keys.find((k: any) => k.label === 'imported');
    expect(imported.protection).toMatchObject({
      local: false,
      alwaysSensitive: false,
      hardwareProtected: false,
    });
    const human = await signet(['keys', '--token', tokenUri, '--pin-file', pinFile(USER_PIN)]);
    expect(human.stdout).toContain(
      `"imported"  secp256k1  ${imported.address}  NOT hardware-protected`,
    );
    expect(human.stdout).toContain(
      `"secp256k1 key"  secp256k1  ${keyJson.secp256k1.address}  hardware-protected`,
    );
    const deleted = await signet([
      'key',
      'delete',
      '--key',
      imported.uri,
      '--pin-file',
      pinFile(USER_PIN),
      '--yes',
    ]);
    expect(deleted.code).toBe(0);
  });
});

describe('signing', () => {
  it('signs a digest with secp256k1: low-S, recovery id, verified by OpenSSL and noble', async () => {
    for (let i = 0; i < 8; i++) {
      const digest = keccak256(new TextEncoder().encode(`payment ${i}`));
      const run = await signet([
        'sign',
        '--key',
        keyUris.secp256k1!,
        '--digest',
        digest,
        '--pin-file',
        pinFile(USER_PIN),
        '--json',
      ]);
      expect(run.code).toBe(0);
      const { signature, r, s, v } = run.json;
      expect(signature).toBe(`${r}${s.slice(2)}`);
      expect(BigInt(s) <= secp256k1.Point.CURVE().n / 2n).toBe(true);
      expect([0, 1]).toContain(v);
      const digestBytes = Buffer.from(digest.slice(2), 'hex');
      expect(
        opensslVerifiesDigest('secp256k1', keyJson.secp256k1.publicKey, digestBytes, signature),
      ).toBe(true);
      const recovered = secp256k1.Signature.fromBytes(
        Buffer.from(signature.slice(2), 'hex'),
        'compact',
      )
        .addRecoveryBit(v)
        .recoverPublicKey(digestBytes);
      expect(Buffer.from(recovered.toBytes(false)).toString('hex')).toBe(
        keyJson.secp256k1.publicKey.slice(2),
      );
    }
  });

  it('signs a digest with P-256, verified by OpenSSL', async () => {
    const digest = Buffer.alloc(32, 0x5a);
    const run = await signet([
      'sign',
      '--key',
      keyUris.p256!,
      '--digest',
      digest.toString('hex'),
      '--pin-file',
      pinFile(USER_PIN),
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(run.json.v).toBeNull();
    expect(opensslVerifiesDigest('P-256', keyJson.p256.publicKey, digest, run.json.signature)).toBe(
      true,
    );
  });

  it('signs a message with Ed25519, verified by OpenSSL (through node:crypto)', async () => {
    const message = Buffer.from('note 7 endorsed to Bob');
    const run = await signet([
      'sign',
      '--key',
      keyUris.ed25519!,
      '--message',
      message.toString('hex'),
      '--pin-file',
      pinFile(USER_PIN),
      '--json',
    ]);
    expect(run.code).toBe(0);
    const key = createPublicKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        x: Buffer.from(keyJson.ed25519.publicKey.slice(2), 'hex').toString('base64url'),
      },
      format: 'jwk',
    });
    expect(opensslVerify(null, message, key, Buffer.from(run.json.signature.slice(2), 'hex'))).toBe(
      true,
    );
  });

  it('reads the PIN from standard input', async () => {
    const run = await signet(
      ['sign', '--key', keyUris.secp256k1!, '--digest', '11'.repeat(32), '--pin-stdin', '--json'],
      {
        stdin: `${USER_PIN}\n`,
      },
    );
    expect(run.code).toBe(0);
    expect(run.json.signature).toMatch(/^0x[0-9a-f]{128}$/);
  });
});

describe('PIN management', () => {
  const NEW_PIN = 'changed-pin-5512';
  it('changes the user PIN: the old one stops working, the new one works', async () => {
    const run = await signet([
      'pin',
      'change',
      '--token',
      tokenUri,
      '--pin-file',
      pinFile(USER_PIN),
      '--new-pin-file',
      pinFile(NEW_PIN),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(
      (await signet(['keys', '--token', tokenUri, '--pin-file', pinFile(USER_PIN)])).code,
    ).toBe(1);
    expect((await signet(['keys', '--token', tokenUri, '--pin-file', pinFile(NEW_PIN)])).code).toBe(
      0,
    );
  });

  it('sets a new user PIN with the SO PIN (unblock)', async () => {
    const run = await signet([
      'pin',
      'unblock',
      '--token',
      tokenUri,
      '--so-pin-file',
      pinFile(SO_PIN),
      '--new-pin-file',
      pinFile(USER_PIN),
    ]);
    expect(run.code).toBe(0);
    expect(
      (await signet(['keys', '--token', tokenUri, '--pin-file', pinFile(USER_PIN)])).code,
    ).toBe(0);
  });

  it('refuses a wrong SO PIN for unblock and keeps the user PIN', async () => {
    const run = await signet([
      'pin',
      'unblock',
      '--token',
      tokenUri,
      '--so-pin-file',
      pinFile('wrong-so-pin'),
      '--new-pin-file',
      pinFile('other-pin-0000'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^signet: wrong SO PIN for token "Alice Treasury"/);
    expect(
      (await signet(['keys', '--token', tokenUri, '--pin-file', pinFile(USER_PIN)])).code,
    ).toBe(0);
  });
});

describe('bad input: one line, the right exit code, nothing changed', () => {
  /** `signet key generate` of a throwaway key "x", which bad input must never create. */
  const generateX = (curve: string, pin: string, ...extra: string[]) =>
    signet([
      'key',
      'generate',
      '--token',
      tokenUri,
      '--curve',
      curve,
      '--label',
      'x',
      '--pin-file',
      pinFile(pin),
      ...extra,
    ]);

  async function keyCount() {
    return (await signet(['keys', '--token', tokenUri, '--pin-file', pinFile(USER_PIN), '--json']))
      .json.length;
  }

  function expectOneLine(run: { stderr: string }, pattern: RegExp) {
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(run.stderr.trimEnd()).toMatch(pattern);
  }

  it('a missing module names the path (exit 1)', async () => {
    const run = await signet(['tokens', '--module', '/nonexistent/libnothing.so']);
    expect(run.code).toBe(1);
    expectOneLine(run, /^signet: PKCS#11 module not found: \/nonexistent\/libnothing\.so$/);
  });

  it('a file that is not a library, and a library that is not PKCS#11 (exit 1)', async () => {
    const text = await signet(['tokens', '--module', '/etc/hostname']);
    expect(text.code).toBe(1);
    expectOneLine(text, /^signet: not a PKCS#11 module: \/etc\/hostname \(/);
    const libz = execFileSync(
      'sh',
      ['-c', 'ls /usr/lib/*/libz.so.1 /lib/*/libz.so.1 2>/dev/null | head -1'],
      { encoding: 'utf8' },
    ).trim();
    const lib = await signet(['tokens', '--module', libz]);
    expect(lib.code).toBe(1);
    expectOneLine(lib, /^signet: not a PKCS#11 module: .*libz\.so\.1 \(/);
  });

  it('a module that fails C_Initialize names the path (exit 2)', async () => {
    const saved = process.env.SOFTHSM2_CONF;
    process.env.SOFTHSM2_CONF = '/nonexistent/softhsm2.conf';
    try {
      const run = await signet(['tokens', '--module', softhsmModule]);
      expect(run.code).toBe(2);
      expectOneLine(
        run,
        new RegExp(
          `^signet: PKCS#11 module ${softhsmModule} failed to initialise: CKR_GENERAL_ERROR$`,
        ),
      );
    } finally {
      process.env.SOFTHSM2_CONF = saved;
    }
  });

  it('an absent token (exit 2)', async () => {
    const run = await signet([
      'keys',
      '--token',
      `pkcs11:serial=0000000000000000?module-path=${softhsmModule}`,
      '--pin-file',
      pinFile(USER_PIN),
    ]);
    expect(run.code).toBe(2);
    expectOneLine(
      run,
      /^signet: no token matches pkcs11:serial=0000000000000000\?module-path=.* \(is it inserted\?\)$/,
    );
  });

  it('a wrong PIN says so with the retry state and changes nothing (exit 1)', async () => {
    const before = await keyCount();
    const run = await generateX('secp256k1', 'wrong-pin-1', '--json');
    expect(run.code).toBe(1);
    expectOneLine(
      run,
      /^signet: wrong PIN for token "Alice Treasury"; the token reports few tries left$/,
    );
    expect(run.json.error).toMatchObject({
      code: 'PIN_INCORRECT',
      details: { retryState: 'count-low' },
    });
    expect(await keyCount()).toBe(before);
  });

  it('a PIN too short or too long for the token costs no try (exit 1)', async () => {
    const before = await keyCount();
    const short = await generateX('secp256k1', '123');
    expect(short.code).toBe(1);
    expectOneLine(
      short,
      /^signet: the PIN for token "Alice Treasury" must be 4 to 255 characters long, not 3$/,
    );
    const long = await signet([
      'keys',
      '--token',
      tokenUri,
      '--pin-file',
      pinFile('9'.repeat(256)),
    ]);
    expect(long.code).toBe(1);
    expectOneLine(long, /must be 4 to 255 characters long, not 256$/);
    expect(await keyCount()).toBe(before);
  });

  it('an unsupported curve (exit 1)', async () => {
    const before = await keyCount();
    const run = await generateX('ed448', USER_PIN);
    expect(run.code).toBe(1);
    expectOneLine(run, /^signet: unsupported curve "ed448"; use secp256k1, p256, ed25519$/);
    expect(await keyCount()).toBe(before);
  });

  it('a digest that is not 32 bytes or not hex (exit 1)', async () => {
    const short = await signet([
      'sign',
      '--key',
      keyUris.secp256k1!,
      '--digest',
      'abcd',
      '--pin-file',
      pinFile(USER_PIN),
    ]);
    expect(short.code).toBe(1);
    expectOneLine(short, /^signet: the digest must be 32 bytes \(64 hex digits\), not 2 bytes$/);
    const nothex = await signet([
      'sign',
      '--key',
      keyUris.secp256k1!,
      '--digest',
      'zz'.repeat(32),
      '--pin-file',
      pinFile(USER_PIN),
    ]);
    expect(nothex.code).toBe(1);
    expectOneLine(nothex, /^signet: the digest must be hex/);
  });

  it('an unknown key URI (exit 1)', async () => {
    const run = await signet([
      'sign',
      '--key',
      `${tokenUri.replace('?', ';id=%ff%ff?')}`,
      '--digest',
      '00'.repeat(32),
      '--pin-file',
      pinFile(USER_PIN),
    ]);
    expect(run.code).toBe(1);
    expectOneLine(run, /^signet: no key on token "Alice Treasury" matches pkcs11:.*id=%FF%FF/);
  });

  it('a malformed URI (exit 1)', async () => {
    const run = await signet([
      'keys',
      '--token',
      'pkcs11:token=a;token=b',
      '--pin-file',
      pinFile(USER_PIN),
    ]);
    expect(run.code).toBe(1);
    expectOneLine(run, /^signet: invalid pkcs11 URI: /);
    const notUri = await signet([
      'keys',
      '--token',
      'token=alice',
      '--pin-file',
      pinFile(USER_PIN),
    ]);
    expect(notUri.code).toBe(1);
    expectOneLine(notUri, /^signet: /);
  });

  it('delete without --yes is refused and keeps the key; with --yes it is gone', async () => {
    const before = await keyCount();
    const refused = await signet([
      'key',
      'delete',
      '--key',
      keyUris.p256!,
      '--pin-file',
      pinFile(USER_PIN),
    ]);
    expect(refused.code).toBe(1);
    expectOneLine(
      refused,
      /^signet: deleting pkcs11:.* destroys the key for good; confirm with --yes$/,
    );
    expect(await keyCount()).toBe(before);
    const deleted = await signet([
      'key',
      'delete',
      '--key',
      keyUris.p256!,
      '--pin-file',
      pinFile(USER_PIN),
      '--yes',
      '--json',
    ]);
    expect(deleted.code).toBe(0);
    expect(await keyCount()).toBe(before - 1);
  });

  it('a PIN on the command line is refused without echoing it', async () => {
    const run = await signet(['keys', '--token', tokenUri, '--pin=4821secret']);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain('4821secret');
    expectOneLine(run, /^signet: Signet never takes a PIN on the command line/);
  });

  describe('an SO PIN or a new PIN on the command line is refused too, never echoed, nothing changed', () => {
    const SECRET = 'argv-secret-6623';
    const tokenLabels = async () =>
      (await signet(['tokens', '--module', softhsmModule, '--json'])).json.map(
        (t: { label: string }) => t.label,
      );
    const cases: Array<[string, () => string[]]> = [
      [
        'token init --so-pin=…',
        () => [
          'token',
          'init',
          '--module',
          softhsmModule,
          '--free',
          '--label',
          'Mallory',
          `--so-pin=${SECRET}`,
          '--pin-file',
          pinFile(SECRET),
        ],
      ],
      [
        'token init --so-pin …',
        () => [
          'token',
          'init',
          '--module',
          softhsmModule,
          '--free',
          '--label',
          'Mallory',
          '--so-pin',
          SECRET,
          '--pin-file',
          pinFile(SECRET),
        ],
      ],
      [
        'pin change --new-pin=…',
        () => [
          'pin',
          'change',
          '--token',
          tokenUri,
          '--pin-file',
          pinFile(USER_PIN),
          `--new-pin=${SECRET}`,
        ],
      ],
      [
        'pin change --new-pin …',
        () => [
          'pin',
          'change',
          '--token',
          tokenUri,
          '--pin-file',
          pinFile(USER_PIN),
          '--new-pin',
          SECRET,
        ],
      ],
      [
        'pin unblock --so-pin=… --new-pin=…',
        () => ['pin', 'unblock', '--token', tokenUri, `--so-pin=${SO_PIN}`, `--new-pin=${SECRET}`],
      ],
      [
        'pin unblock --so-pin … (with --json)',
        () => [
          'pin',
          'unblock',
          '--token',
          tokenUri,
          '--so-pin',
          SO_PIN,
          '--new-pin-file',
          pinFile(SECRET),
          '--json',
        ],
      ],
    ];

    it.each(cases)('%s', async (_name, args) => {
      const labels = await tokenLabels();
      const audited = auditEntries().length;
      const run = await signet(args());
      expect(run.code).toBe(1);
      expectOneLine(
        run,
        /^signet: Signet never takes a PIN on the command line; use --pin-file, --pin-stdin or the prompt$/,
      );
      for (const secret of [SECRET, SO_PIN]) {
        expect(run.stdout + run.stderr).not.toContain(secret);
      }
      if (args().includes('--json')) {
        expect(run.json).toEqual({
          error: {
            code: 'INVALID_ARGUMENT',
            message: expect.stringMatching(/^Signet never takes a PIN/),
          },
        });
      }
      // Nothing changed: no token made, the user PIN as it was, nothing recorded.
      expect(await tokenLabels()).toEqual(labels);
      expect(
        (await signet(['keys', '--token', tokenUri, '--pin-file', pinFile(USER_PIN)])).code,
      ).toBe(0);
      expect(
        (await signet(['keys', '--token', tokenUri, '--pin-file', pinFile(SECRET)])).code,
      ).toBe(1);
      expect(auditEntries().length).toBe(audited);
    });

    it('the signet process exits 1 on --so-pin=…, one line, without the value', () => {
      const run = signetProcess(
        [
          'token',
          'init',
          '--module',
          softhsmModule,
          '--free',
          '--label',
          'Mallory',
          `--so-pin=${SECRET}`,
        ],
        { env: { ...store.env, SIGNET_HOME: home } },
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'signet: Signet never takes a PIN on the command line; use --pin-file, --pin-stdin or the prompt\n',
      );
      expect(run.stdout).toBe('');
    });
  });

  it('no PIN source and no terminal asks for one in words (exit 1)', async () => {
    const run = await signet(['keys', '--token', tokenUri]);
    expect(run.code).toBe(1);
    expectOneLine(
      run,
      /^signet: token "Alice Treasury" needs the PIN: give --pin-file FILE or --pin-stdin, or run in a terminal$/,
    );
  });
});

describe('the signet process', () => {
  it('exits 1 on user errors and 2 on device errors, one line on stderr, never the PIN', () => {
    const secret = 'process-pin-77';
    const wrong = signetProcess(['keys', '--token', tokenUri, '--pin-stdin'], {
      stdin: `${secret}\n`,
      env: store.env,
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^signet: wrong PIN for token "Alice Treasury"[^\n]*\n$/);
    expect(wrong.stdout + wrong.stderr).not.toContain(secret);
    const absent = signetProcess(['keys', '--token', 'pkcs11:token=nobody', '--pin-stdin'], {
      stdin: `${USER_PIN}\n`,
      env: store.env,
    });
    expect(absent.code).toBe(2);
    const ok = signetProcess(['tokens', '--module', softhsmModule, '--json'], { env: store.env });
    expect(ok.code).toBe(0);
    expect(ok.json.some((t: any) => t.uri === tokenUri)).toBe(true);
  });
});

describe('the audit log', () => {
  it('records every provisioning step and raw signature made above, with what it was done to', () => {
    const entries = auditEntries();
    const audit = openStore(storePath);
    try {
      expect(verifyAuditChain(audit)).toEqual({ intact: true, entries: entries.length });
    } finally {
      audit.close();
    }
    const of = (action: string) => entries.filter((e) => e.action === action);
    const serial = parsePkcs11Uri(tokenUri).serial;
    const token = { token: 'Alice Treasury', serial };

    expect(of('init-token')).toEqual([
      expect.objectContaining({
        keyUri: tokenUri,
        subject: {
          label: 'Alice Treasury',
          serial,
          model: 'SoftHSM v2',
          module: softhsmModule,
          slot: expect.any(Number),
          erased: false,
        },
      }),
    ]);
    const generated = of('generate-key').filter((e) => Object.values(keyUris).includes(e.keyUri!));
    expect(generated.map((e) => e.subject)).toEqual(
      ['secp256k1', 'p256', 'ed25519'].map((curve) => ({
        curve,
        label: `${curve} key`,
        id: keyJson[curve].id,
        publicKey: keyJson[curve].publicKey,
        address: keyJson[curve].address,
        ...token,
      })),
    );
    // The 8 payments, the P-256 digest, the one read from stdin, and the OpenSC key's.
    const digests = of('sign-digest');
    expect(digests).toHaveLength(11);
    for (let i = 0; i < 8; i++) {
      const digest = keccak256(new TextEncoder().encode(`payment ${i}`));
      expect(digests).toContainEqual(
        expect.objectContaining({
          keyUri: keyUris.secp256k1,
          subject: expect.objectContaining({ curve: 'secp256k1', digest, bytes: 32 }),
        }),
      );
    }
    expect(digests).toContainEqual(
      expect.objectContaining({
        keyUri: keyUris.p256,
        subject: expect.objectContaining({
          curve: 'p256',
          digest: `0x${'5a'.repeat(32)}`,
          v: null,
        }),
      }),
    );
    const message = Buffer.from('note 7 endorsed to Bob');
    expect(of('sign-message')).toEqual([
      expect.objectContaining({
        keyUri: keyUris.ed25519,
        subject: {
          curve: 'ed25519',
          messageSha256: `0x${createHash('sha256').update(message).digest('hex')}`,
          bytes: message.length,
          signature: expect.stringMatching(/^0x[0-9a-f]{128}$/),
          v: null,
        },
      }),
    ]);
    // Changed once and unblocked once; the refused unblock (wrong SO PIN) left no entry.
    for (const action of ['change-pin', 'unblock-pin']) {
      expect(of(action)).toEqual([expect.objectContaining({ keyUri: tokenUri, subject: token })]);
    }
    // The software-imported key and the P-256 key; the delete without --yes left no entry.
    expect(of('delete-key').map((e) => [e.keyUri, e.subject.label])).toEqual([
      [expect.stringContaining('object=imported'), 'imported'],
      [keyUris.p256, 'p256 key'],
    ]);
    expect(new Set(entries.map((e) => e.action))).toEqual(
      new Set([
        'init-token',
        'generate-key',
        'sign-digest',
        'sign-message',
        'change-pin',
        'unblock-pin',
        'delete-key',
      ]),
    );
  });

  it('holds no PIN: not in the store files, not in the CSV export', () => {
    const pins = [
      USER_PIN,
      SO_PIN,
      'changed-pin-5512',
      'wrong-so-pin',
      'other-pin-0000',
      'wrong-pin-1',
      'process-pin-77',
      'argv-secret-6623',
    ];
    const files = [storePath, `${storePath}-wal`, `${storePath}-shm`]
      .filter((path) => existsSync(path))
      .map((path) => readFileSync(path));
    const audit = openStore(storePath);
    let csv: string;
    try {
      csv = exportAuditCsv(audit);
    } finally {
      audit.close();
    }
    const all = Buffer.concat([...files, Buffer.from(csv)]);
    // The search sees what was recorded (so it would see a PIN there) …
    expect(all.includes('Alice Treasury')).toBe(true);
    expect(csv).toContain('sign-digest');
    // … and no PIN, in any encoding a careless write could leave.
    for (const pin of pins) {
      for (const form of [
        pin,
        Buffer.from(pin).toString('hex'),
        Buffer.from(pin).toString('base64'),
      ]) {
        expect(all.includes(form), pin).toBe(false);
      }
    }
  });
});
