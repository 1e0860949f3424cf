import type { HidBackend } from '../native/hid/hid-backend.js';

/** The streams a CLI run uses; tests pass their own to run commands in-process. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  /** `isTTY` when it is a terminal: progress bars draw only there. */
  stderr: { write(text: string): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  env: NodeJS.ProcessEnv;
  /** The USB HID stack: node-hid unless given (tests plug in a fake Ledger). */
  hid?: HidBackend;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
