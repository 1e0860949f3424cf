import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { cliPinProviders, type PinOptions } from './pin-source.js';

const dir = mkdtempSync(join(tmpdir(), 'signet-pins-'));
function file(content: string) {
  const path = join(dir, Math.random().toString(36).slice(2));
  writeFileSync(path, content);
  return path;
}
function io(stdin = ''): CliIo {
  return {
    stdout: { write: () => true },
    stderr: { write: () => true },
    stdin: Readable.from([Buffer.from(stdin)]),
    env: {},
  };
}
const user = { role: 'user', token: 't' } as const;
const cliPinProvider = (options: PinOptions, cliIo: CliIo) => cliPinProviders(options, cliIo).pins;

describe('cliPinProvider', () => {
  it('drops one trailing newline (LF or CRLF) from a PIN file, nothing else', async () => {
    for (const [content, pin] of [
      ['1234\n', '1234'],
      ['1234\r\n', '1234'],
      ['1234', '1234'],
      [' 12 34 \n\n', ' 12 34 \n'],
    ]) {
      const pins = cliPinProvider({ files: { user: file(content!) }, stdin: false }, io());
      expect((await pins(user)).toString()).toBe(pin);
    }
  });

  it('hands out a fresh buffer each time, so wiping one does not wipe the next', async () => {
    const pins = cliPinProvider({ files: { user: file('9999\n') }, stdin: false }, io());
    const first = await pins(user);
    first.fill(0);
    expect((await pins(user)).toString()).toBe('9999');
  });

  it('reads one PIN per line from stdin, in the order asked', async () => {
    const pins = cliPinProvider({ files: {}, stdin: true }, io('old-pin\r\nnew-pin\n'));
    expect((await pins({ role: 'user', token: 't' })).toString()).toBe('old-pin');
    expect((await pins({ role: 'new-user', token: 't' })).toString()).toBe('new-pin');
    await expect(pins(user)).rejects.toThrow('standard input ran out before the PIN');
  });

  it('says which flag to use when there is no source and no terminal', async () => {
    const pins = cliPinProvider({ files: {}, stdin: false }, io());
    await expect(pins({ role: 'so', token: 'Bank' })).rejects.toThrow(
      'token "Bank" needs the SO PIN: give --so-pin-file FILE or --pin-stdin, or run in a terminal',
    );
  });

  it('names a PIN file it cannot read, without reading anything else', async () => {
    const pins = cliPinProvider({ files: { user: join(dir, 'missing') }, stdin: false }, io());
    await expect(pins(user)).rejects.toThrow(
      `cannot read the PIN file ${join(dir, 'missing')} (ENOENT)`,
    );
  });
});

describe('the carrier PIN source', () => {
  it('reads --carrier-pin-file for the carrier, and never --pin-file', async () => {
    const { pins, carrierPins } = cliPinProviders(
      { files: { user: file('key-pin\n') }, carrierFile: file('carrier-pin\n'), stdin: false },
      io(),
    );
    expect((await pins(user)).toString()).toBe('key-pin');
    expect((await carrierPins({ role: 'user', token: 'Carrier' })).toString()).toBe('carrier-pin');
  });

  it('says --carrier-pin-file when only --pin-file came (its PIN is the key token’s, not tried)', async () => {
    const { pins, carrierPins } = cliPinProviders(
      { files: { user: file('key-pin\n') }, stdin: false },
      io(),
    );
    expect((await pins(user)).toString()).toBe('key-pin');
    await expect(carrierPins({ role: 'user', token: 'Carrier' })).rejects.toThrow(
      `the carrier's token "Carrier" needs the PIN: give --carrier-pin-file FILE or --pin-stdin, or run in a terminal`,
    );
  });

  it('takes the next stdin line, after the key’s, for the carrier', async () => {
    const { pins, carrierPins } = cliPinProviders(
      { files: {}, stdin: true },
      io('key-pin\ncarrier-pin\n'),
    );
    expect((await pins(user)).toString()).toBe('key-pin');
    expect((await carrierPins({ role: 'user', token: 'Carrier' })).toString()).toBe('carrier-pin');
    await expect(carrierPins({ role: 'user', token: 'Carrier' })).rejects.toThrow(
      `standard input ran out before the PIN of the carrier's token "Carrier"`,
    );
  });
});
