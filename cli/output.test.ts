import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../core/api/errors.js';
import type { CliIo } from './io.js';
import { printError } from './output.js';

function io(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  const streams: CliIo = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    stdin: Readable.from([]),
    env,
  };
  return { streams, out };
}

describe('printError', () => {
  it('prints a SignetError as its one line, with the exit code of its category', () => {
    const { streams, out } = io();
    const code = printError(streams, true, new SignetError('PIN_LOCKED', 'the PIN is locked'));
    expect(code).toBe(1);
    expect(out.stderr).toBe('signet: the PIN is locked\n');
    expect(JSON.parse(out.stdout)).toEqual({
      error: { code: 'PIN_LOCKED', message: 'the PIN is locked' },
    });
  });

  it("never prints an internal error's own text (paths, internals) unless SIGNET_DEBUG asks", () => {
    const thrown = new Error('ENOENT /home/alice/.config/Signet/secret-path');
    const quiet = io();
    expect(printError(quiet.streams, true, thrown)).toBe(2);
    expect(quiet.out.stderr).toBe('signet: internal error (set SIGNET_DEBUG=1 to see it)\n');
    expect(quiet.out.stdout).not.toContain('secret-path');
    const debug = io({ SIGNET_DEBUG: '1' });
    printError(debug.streams, false, thrown);
    expect(debug.out.stderr).toContain('secret-path');
  });
});
