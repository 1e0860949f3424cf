/** How a command's result and errors reach the user: JSON on stdout, or lines for people. */
import { type SignetError, toSignetError } from '../core/api/errors.js';
import type { CliIo } from './io.js';

export function printResult(io: CliIo, json: boolean, result: unknown, human: () => string): void {
  io.stdout.write(json ? `${JSON.stringify(result)}\n` : `${human()}\n`);
}

/** One line on stderr, always; in --json mode the error object on stdout too. */
export function printError(io: CliIo, json: boolean, thrown: unknown): number {
  const error: SignetError = toSignetError(thrown);
  io.stderr.write(`signet: ${error.message}\n`);
  if (json) io.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
  return exitCodeOf(error);
}

/** 0 success, 1 the user's input (fix the command), 2 the device or anything else. */
export function exitCodeOf(error: SignetError): number {
  return error.category === 'user' ? 1 : 2;
}
