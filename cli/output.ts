/** How a command's result and errors reach the user: JSON on stdout, or lines for people. */
import { SignetError } from '../core/api/errors.js';
import type { CliIo } from './io.js';

export function printResult(io: CliIo, json: boolean, result: unknown, human: () => string): void {
  io.stdout.write(json ? `${JSON.stringify(result)}\n` : `${human()}\n`);
}

/**
 * One line on stderr, always; in --json mode the error object on stdout too.
 * Something that is not a SignetError is not written for people (it may name
 * paths or internals): it prints as a generic internal error, and its own text
 * only with SIGNET_DEBUG set.
 */
export function printError(io: CliIo, json: boolean, thrown: unknown): number {
  let error: SignetError;
  if (thrown instanceof SignetError) {
    error = thrown;
  } else {
    error = new SignetError('INTERNAL', 'internal error (set SIGNET_DEBUG=1 to see it)');
    if (io.env.SIGNET_DEBUG) {
      const text = thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
      io.stderr.write(`signet: internal error: ${text}\n`);
    }
  }
  io.stderr.write(`signet: ${error.message}\n`);
  if (json) io.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
  return exitCodeOf(error);
}

/** 0 success, 1 the user's input (fix the command), 2 the device or anything else. */
export function exitCodeOf(error: SignetError): number {
  return error.category === 'user' ? 1 : 2;
}
