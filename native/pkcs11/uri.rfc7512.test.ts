import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../../core/api/errors.js';
import {
  formatPkcs11Uri,
  matchesToken,
  type Pkcs11ObjectType,
  type Pkcs11Uri,
  parsePkcs11Uri,
} from './uri.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

function parseError(text: string): SignetError {
  try {
    parsePkcs11Uri(text);
  } catch (error) {
    if (error instanceof SignetError) return error;
    throw error;
  }
  throw new Error(`expected ${text} to be refused`);
}

function formatError(uri: Pkcs11Uri): string {
  try {
    formatPkcs11Uri(uri);
  } catch (error) {
    if (error instanceof SignetError && error.code === 'INVALID_URI') return error.message;
    throw error;
  }
  throw new Error('expected the URI to be refused');
}

// RFC 7512 §3, in order, with the line breaks the RFC adds for readability removed.
// The two the parser refuses on purpose (pin-value, un-prefixed vendor names) are tested below.
const rfcExamples: [string, Pkcs11Uri][] = [
  ['pkcs11:', {}],
  ['pkcs11:object=my-pubkey;type=public', { object: 'my-pubkey', type: 'public' }],
  [
    'pkcs11:object=my-key;type=private?pin-source=file:/etc/token',
    { object: 'my-key', type: 'private', pinSource: 'file:/etc/token' },
  ],
  [
    'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;' +
      'model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=' +
      '?pin-source=file:/etc/token_pin',
    {
      token: 'The Software PKCS#11 Softtoken',
      manufacturer: 'Snake Oil, Inc.',
      model: '1.0',
      object: 'my-certificate',
      type: 'cert',
      id: bytes(0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91),
      serial: '',
      pinSource: 'file:/etc/token_pin',
    },
  ],
  [
    'pkcs11:object=my-sign-key;type=private?module-name=mypkcs11',
    { object: 'my-sign-key', type: 'private', moduleName: 'mypkcs11' },
  ],
  [
    'pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1',
    { object: 'my-sign-key', type: 'private', modulePath: '/mnt/libmypkcs11.so.1' },
  ],
  ['pkcs11:slot-description=Sun%20Metaslot', { slotDescription: 'Sun Metaslot' }],
  [
    'pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;' +
      'library-version=1.23',
    {
      libraryManufacturer: 'Snake Oil, Inc.',
      libraryDescription: 'Soft Token Library',
      libraryVersion: '1.23',
    },
  ],
  [
    'pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;' +
      'id=%01%02%03%Ba%dd%Ca%fe%04%05%06',
    {
      token: 'My token% created by Joe',
      libraryVersion: '3',
      id: bytes(1, 2, 3, 0xba, 0xdd, 0xca, 0xfe, 4, 5, 6),
    },
  ],
  [
    'pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert',
    { token: 'A name with a substring %;', object: 'my-certificate', type: 'cert' },
  ],
  [
    'pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;' +
      'type=cert',
    { token: 'Name with a small A with acute: á', object: 'my-certificate', type: 'cert' },
  ],
];

describe('RFC 7512 section 3 examples', () => {
  it.each(rfcExamples)('%s', (text, fields) => {
    const uri = parsePkcs11Uri(text);
    expect(uri).toEqual(fields);
    expect(parsePkcs11Uri(formatPkcs11Uri(uri))).toEqual(fields);
  });

  it('refuses the pin-value example without echoing the PIN', () => {
    const error = parseError(
      'pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.' +
        '?pin-value=the-pin',
    );
    expect(error.code).toBe('INVALID_URI');
    expect(error.message).toBe(
      'invalid pkcs11 URI: pin-value is refused: Signet never takes a PIN in a URI ' +
        '(PINs come from a prompt, a file or stdin)',
    );
    expect(error.details).toEqual({
      uri: 'pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.',
    });
  });

  it('refuses the vendor example, whose names lack the x- prefix, and takes them with it', () => {
    const rfc =
      'pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a' +
      '?pin-source=file:/etc/token_pin&vendor-bbb=value-b';
    expect(parseError(rfc).message).toBe('invalid pkcs11 URI: unknown path attribute "vendor-aaa"');
    const prefixed = rfc
      .replace('vendor-aaa', 'x-vendor-aaa')
      .replace('vendor-bbb', 'x-vendor-bbb');
    const fields: Pkcs11Uri = {
      token: 'my-token',
      object: 'my-certificate',
      type: 'cert',
      pinSource: 'file:/etc/token_pin',
      vendor: { 'x-vendor-aaa': 'value-a', 'x-vendor-bbb': 'value-b' },
    };
    expect(parsePkcs11Uri(prefixed)).toEqual(fields);
    expect(parsePkcs11Uri(formatPkcs11Uri(fields))).toEqual(fields);
  });
});

describe('parsePkcs11Uri', () => {
  it('takes the scheme in any case and escapes in either hex case', () => {
    expect(parsePkcs11Uri('PKCS11:object=%6b%4B')).toEqual({ object: 'kK' });
  });

  it('takes an empty query and every character the RFC leaves bare in each component', () => {
    expect(parsePkcs11Uri('pkcs11:?')).toEqual({});
    expect(parsePkcs11Uri("pkcs11:object=:[]@!$'()*+,=&-._~?pin-source=:[]@!$'()*+,=/?|")).toEqual({
      object: ":[]@!$'()*+,=&-._~",
      pinSource: ":[]@!$'()*+,=/?|",
    });
  });

  it('reads slot-id as a number', () => {
    expect(parsePkcs11Uri('pkcs11:slot-id=007')).toEqual({ slotId: 7 });
  });

  it.each([
    ['pkcs12:token=a', 'it must start with "pkcs11:"'],
    ['token=a', 'it must start with "pkcs11:"'],
    ['pkcs11:token=%G1', 'bad percent-escape "%G1" in token'],
    ['pkcs11:token=abc%4', 'bad percent-escape "%4" in token'],
    ['pkcs11:id=%', 'bad percent-escape "%" in id'],
    ['pkcs11:token=my token', 'character " " in token must be percent-encoded'],
    ['pkcs11:token=PKCS#11', 'character "#" in token must be percent-encoded'],
    ['pkcs11:object=keys/main', 'character "/" in object must be percent-encoded'],
    ['pkcs11:object=clé', 'character "é" in object must be percent-encoded'],
    ['pkcs11:?pin-source=a;b', 'character ";" in pin-source must be percent-encoded'],
    ['pkcs11:token=%FF', 'token is not valid UTF-8 once percent-decoded'],
    ['pkcs11:token=a;token=b', 'attribute "token" is repeated'],
    ['pkcs11:x-a=1?x-a=2', 'attribute "x-a" is repeated'],
    ['pkcs11:tokn=a', 'unknown path attribute "tokn"'],
    ['pkcs11:Token=a', 'unknown path attribute "Token"'],
    ['pkcs11:module-path=/lib.so', 'unknown path attribute "module-path"'],
    ['pkcs11:?token=a', 'unknown query attribute "token"'],
    ['pkcs11:=a', 'empty attribute name in the path'],
    ['pkcs11:token=a;', 'empty attribute name in the path'],
    ['pkcs11:?&pin-source=a', 'empty attribute name in the query'],
    ['pkcs11:token', 'attribute "token" has no "="'],
    ['pkcs11:slot-id=abc', 'slot-id must be a decimal integer, got "abc"'],
    ['pkcs11:slot-id=-1', 'slot-id must be a decimal integer, got "-1"'],
    ['pkcs11:slot-id=1.5', 'slot-id must be a decimal integer, got "1.5"'],
    ['pkcs11:slot-id=', 'slot-id must be a decimal integer, got ""'],
    ['pkcs11:slot-id=%31', 'slot-id must be a decimal integer, got "%31"'],
    ['pkcs11:slot-id=9007199254740993', 'slot-id 9007199254740993 is too large'],
    ['pkcs11:type=key', 'unknown type "key"'],
    ['pkcs11:type=Public', 'unknown type "Public"'],
    ['pkcs11:type=%70ublic', 'unknown type "%70ublic"'],
    ['pkcs11:library-version=1.', 'library-version must be M or M.N, got "1."'],
    ['pkcs11:?module-path=', 'module-path must not be empty'],
  ])('refuses %s', (text, reason) => {
    const error = parseError(text);
    expect(error.code).toBe('INVALID_URI');
    expect(error.message).toBe(`invalid pkcs11 URI: ${reason}`);
    expect(error.details).toEqual({ uri: text });
  });

  it.each([
    ['pkcs11:token=t;pin-value=1234;object=k', 'pkcs11:token=t;object=k'],
    ['pkcs11:tokn=x?PIN-VALUE=1234', 'pkcs11:tokn=x'], // the PIN wins over any other error
    ['pkcs11:?pin-source=a&pin-value=1234', 'pkcs11:'],
    ['pkcs11:x-pin-value=1234', 'pkcs11:'], // the pre-RFC draft spelling
    ['pkcs12:token=t?pin-value=1234', 'pkcs12:token=t'],
  ])('refuses a PIN in %s and never repeats it', (text, uri) => {
    const error = parseError(text);
    expect(error.message).toMatch(/^invalid pkcs11 URI: pin-value is refused: Signet never takes/);
    expect(error.details).toEqual({ uri });
    expect(JSON.stringify(error.toJSON())).not.toContain('1234');
  });
});

describe('formatPkcs11Uri', () => {
  it('prints attributes in canonical order with upper-case escapes', () => {
    const [text] = rfcExamples[3]!;
    expect(formatPkcs11Uri(parsePkcs11Uri(text))).toBe(
      'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;' +
        'serial=;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91' +
        '?pin-source=file:/etc/token_pin',
    );
    expect(formatPkcs11Uri({})).toBe('pkcs11:');
  });

  it('escapes by component: & is bare in the path, / ? | are bare in the query', () => {
    const value = 'a/b?c|d&e;f g%';
    expect(formatPkcs11Uri({ object: value, pinSource: value })).toBe(
      'pkcs11:object=a%2Fb%3Fc%7Cd&e%3Bf%20g%25?pin-source=a/b?c|d%26e%3Bf%20g%25',
    );
  });

  it('percent-encodes every byte of id, printable or not', () => {
    expect(formatPkcs11Uri({ id: bytes(0x41, 0x42, 0x00, 0xff) })).toBe('pkcs11:id=%41%42%00%FF');
  });

  it('prints vendor attributes last in the path, sorted, and the query in its order', () => {
    const uri: Pkcs11Uri = {
      vendor: { 'x-b': '2', 'x-a': 'é' },
      pinSource: 'p',
      moduleName: 'n',
      modulePath: '/m.so',
      id: bytes(1),
      slotId: 0,
    };
    expect(formatPkcs11Uri(uri)).toBe(
      'pkcs11:slot-id=0;id=%01;x-a=%C3%A9;x-b=2?module-name=n&module-path=/m.so&pin-source=p',
    );
  });

  it.each<[Pkcs11Uri, string]>([
    [{ slotId: -1 }, 'cannot print slot-id: not a slot number'],
    [{ slotId: 1.5 }, 'cannot print slot-id: not a slot number'],
    [{ type: 'key' as Pkcs11ObjectType }, 'cannot print type: unknown type "key"'],
    [
      { libraryVersion: 'v1' },
      'cannot print library-version: library-version must be M or M.N, got "v1"',
    ],
    [{ moduleName: '' }, 'cannot print module-name: module-name must not be empty'],
    [{ token: 'a\uD800' }, 'cannot print token: not a Unicode string'],
    [{ vendor: { 'vendor-aaa': 'a' } }, 'vendor attribute "vendor-aaa" is not x-…'],
    [{ vendor: { 'x-a;b': 'a' } }, 'vendor attribute "x-a;b" is not x-…'],
  ])('refuses %j', (uri, reason) => {
    expect(formatError(uri)).toBe(`invalid pkcs11 URI: ${reason}`);
  });

  it('refuses to print a PIN as a vendor attribute', () => {
    expect(formatError({ vendor: { 'x-pin-value': '1234' } })).not.toContain('1234');
  });
});

describe('matchesToken', () => {
  const token = {
    label: 'signet  ',
    manufacturer: 'SoftHSM project',
    serial: '0a1b',
    model: 'SoftHSM v2',
  };

  it('matches on every token attribute the URI names, ignoring the padding', () => {
    expect(matchesToken({}, token)).toBe(true);
    expect(matchesToken({ token: 'signet', serial: '0a1b', object: 'any' }, token)).toBe(true);
    expect(matchesToken({ token: 'signet', model: 'SoftHSM v3' }, token)).toBe(false);
    expect(matchesToken({ manufacturer: 'SoftHSM' }, token)).toBe(false);
    expect(matchesToken({ token: 'signet  ' }, token)).toBe(false);
  });
});

describe('round trip', () => {
  // Unicode strings salted with the delimiters and escape characters, plus a BOM and an emoji.
  const special = [';', '?', '&', '%', '/', ' ', '=', '#', '|', '\uFEFF', '😀', 'é', 'a'];
  const text = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.constantFrom(...special) }),
  );
  const arbitraryUri: fc.Arbitrary<Pkcs11Uri> = fc.record(
    {
      token: text,
      manufacturer: text,
      serial: text,
      model: text,
      libraryManufacturer: text,
      libraryDescription: text,
      libraryVersion: fc.stringMatching(/^\d{1,3}(\.\d{1,3})?$/),
      slotDescription: text,
      slotManufacturer: text,
      slotId: fc.maxSafeNat(),
      object: text,
      type: fc.constantFrom<Pkcs11ObjectType>('cert', 'data', 'private', 'public', 'secret-key'),
      id: fc.uint8Array(),
      modulePath: text.filter((s) => s !== ''),
      moduleName: text.filter((s) => s !== ''),
      pinSource: text,
      vendor: fc.dictionary(fc.stringMatching(/^x-[A-Za-z0-9_-]{1,8}$/), text, { minKeys: 1 }),
    },
    { requiredKeys: [] },
  );

  it('parse(format(uri)) gives back the same fields, and format is canonical', () => {
    fc.assert(
      fc.property(arbitraryUri, (uri) => {
        const printed = formatPkcs11Uri(uri);
        const parsed = parsePkcs11Uri(printed);
        expect(parsed).toEqual(uri);
        expect(formatPkcs11Uri(parsed)).toBe(printed);
      }),
      { numRuns: 500 },
    );
  });
});
