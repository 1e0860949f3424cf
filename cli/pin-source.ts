/**
 * Where the CLI gets PINs: a file, standard input, or a prompt that does not
 * echo. Never argv: it shows in the process list and shell history. Every PIN
 * is handed over as a fresh Buffer that the device layer wipes after use.
 * A P-256 sender's carrier on another token has a source of its own
 * (--carrier-pin-file), so --pin-file's PIN is never tried on that token.
 */
import { readFileSync } from 'node:fs';
import { SignetError } from '../core/api/errors.js';
import type { PinProvider, PinRequest, PinRole } from '../native/pin.js';
import type { CliIo } from './io.js';

export interface PinOptions {
  /** PIN file per role, from --pin-file, --so-pin-file, --new-pin-file. */
  files: Partial<Record<PinRole, string>>;
  /**
   * --carrier-pin-file: the PIN of the token a P-256 sender's carrier signs on,
   * when that is another token than the sender's key (never --pin-file's PIN).
   */
  carrierFile?: string;
  /** --pin-stdin: one PIN per line, in the order the command asks for them. */
  stdin: boolean;
}

const roleWords: Record<PinRole, string> = {
  user: 'PIN',
  so: 'SO PIN',
  'new-user': 'new user PIN',
  'new-so': 'new SO PIN',
};

export interface CliPins {
  /** The PINs of the token the command names (a payment's: its key's). */
  pins: PinProvider;
  /** The user PIN of a carrier's token, asked only when it is another token. */
  carrierPins: PinProvider;
}

/** The command's PIN sources; one standard input, read in the order the PINs are asked. */
export function cliPinProviders(options: PinOptions, io: CliIo): CliPins {
  let stdinLines: Buffer[] | undefined;
  const ask = async (
    request: PinRequest,
    file: string | undefined,
    flag: string,
    whose: string,
  ): Promise<Buffer> => {
    if (file) return readPinFile(file, request.role);
    if (options.stdin) {
      stdinLines ??= splitLines(await readAll(io.stdin));
      const line = stdinLines.shift();
      if (!line) {
        throw new SignetError(
          'PIN_REQUIRED',
          `standard input ran out before the ${roleWords[request.role]}${whose ? ` of ${whose} "${request.token}"` : ''}`,
        );
      }
      return line;
    }
    if (io.stdin.isTTY && io.stdin.setRawMode) return promptPin(request, io, whose || 'token');
    throw new SignetError(
      'PIN_REQUIRED',
      `${whose || 'token'} "${request.token}" needs the ${roleWords[request.role]}: give ${flag} FILE or --pin-stdin, or run in a terminal`,
      { details: { role: request.role } },
    );
  };
  return {
    pins: (request) => ask(request, options.files[request.role], flagFor(request.role), ''),
    carrierPins: async (request) => {
      // A carrier only ever logs in as its token's user.
      if (request.role !== 'user') {
        throw new SignetError('INTERNAL', 'a carrier logs in as its user only');
      }
      return ask(request, options.carrierFile, '--carrier-pin-file', "the carrier's token");
    },
  };
}

function flagFor(role: PinRole): string {
  return {
    user: '--pin-file',
    so: '--so-pin-file',
    'new-so': '--so-pin-file',
    'new-user': '--new-pin-file',
  }[role];
}

function readPinFile(path: string, role: PinRole): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SignetError(
      'INVALID_ARGUMENT',
      `cannot read the ${roleWords[role]} file ${path} (${reason})`,
    );
  }
  const pin = stripNewline(content);
  const copy = Buffer.from(pin);
  content.fill(0);
  return copy;
}

/** One trailing newline (LF or CRLF) is the file's, not the PIN's. */
function stripNewline(content: Buffer): Buffer {
  let end = content.length;
  if (content[end - 1] === 0x0a) end--;
  if (content[end - 1] === 0x0d) end--;
  return content.subarray(0, end);
}

function splitLines(all: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= all.length; i++) {
    if (i === all.length || all[i] === 0x0a) {
      if (i > start || i < all.length)
        lines.push(Buffer.from(stripNewline(all.subarray(start, i + 1))));
      start = i + 1;
    }
  }
  all.fill(0);
  return lines;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  const all = Buffer.concat(chunks);
  for (const chunk of chunks) chunk.fill(0);
  return all;
}

async function promptPin(request: PinRequest, io: CliIo, whose: string): Promise<Buffer> {
  const ask = (text: string) => readHidden(`${text} for ${whose} "${request.token}": `, io);
  const pin = await ask(`Enter the ${roleWords[request.role]}`);
  if (request.role !== 'new-user' && request.role !== 'new-so') return pin;
  const again = await ask(`Repeat the ${roleWords[request.role]}`);
  const same = pin.equals(again);
  again.fill(0);
  if (!same) {
    pin.fill(0);
    throw new SignetError(
      'INVALID_ARGUMENT',
      `the two ${roleWords[request.role]}s differ; nothing was changed`,
    );
  }
  return pin;
}

/** Reads one line from the terminal in raw mode, echoing nothing. */
function readHidden(prompt: string, io: CliIo): Promise<Buffer> {
  const stdin = io.stdin;
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    const typed = Buffer.alloc(256);
    let length = 0;
    const finish = (error?: SignetError) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      const pin = Buffer.from(typed.subarray(0, length));
      typed.fill(0);
      if (error) {
        pin.fill(0);
        reject(error);
      } else resolve(pin);
    };
    const onData = (chunk: Buffer) => {
      for (const byte of chunk) {
        if (byte === 0x0d || byte === 0x0a) return finish();
        if (byte === 0x03) return finish(new SignetError('INVALID_ARGUMENT', 'cancelled'));
        if (byte === 0x7f || byte === 0x08) length = Math.max(0, length - 1);
        else if (length < typed.length) typed[length++] = byte;
      }
      chunk.fill(0);
    };
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
